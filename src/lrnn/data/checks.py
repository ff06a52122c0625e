"""Checks and message pieces shared by every loader.

Every failure a loader reports is one line that names the file, the column or value, and the
way out; these helpers keep those lines short and alike (values clipped to one line, lists of
names shortened), and refuse data by its declared size before reading it.
"""

from __future__ import annotations

import codecs
import math
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lrnn.data import limits
from lrnn.errors import DataError, user_stacklevel

#: Byte-order marks name their encoding for certain (UTF-32's before UTF-16's: FF FE 00 00
#: starts both).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF8, "utf-8-sig"),
)


def bom_encoding(start: bytes) -> str | None:
    """The encoding a byte-order mark at ``start`` names, or None: it decides for a whole
    stream or body too, which is split into lines only once its encoding is known."""
    return next((name for bom, name in _BOMS if start.startswith(bom)), None)


def unmarked_utf16(head: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" where most of the first bytes' odd (or even) places hold
    zeros and the others (almost) none, as ASCII text in UTF-16 does; None for anything else."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    low, high = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    few = 0.02 * pairs  # a character such as 一 (U+4E00) has a zero low byte
    if high >= 0.5 * pairs and low <= few:
        return "utf-16-le"
    if low >= 0.5 * pairs and high <= few:
        return "utf-16-be"
    return None


class Utf8ReadAsOneByte:
    """Documents of UTF-8 text read in a one-byte encoding (latin-1, cp1252, …), counted and
    said once per data set. Every byte decodes there, so nothing is refused, but each accented
    letter becomes two characters ('é' as 'Ã©') and its words are not the ones a model knows:
    a model trained with --encoding latin-1 scored UTF-8 documents by the bias, exit 0. Text
    in a one-byte encoding is almost never valid UTF-8 (an accented letter followed by a plain
    one is not), so the sign is sure."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        try:
            self.on = len(bytes(range(128, 256)).decode(encoding, errors="replace")) == 128
        except LookupError:
            self.on = False
        self.on = self.on and codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig")
        self.names: list[str] = []
        self.seen = 0

    def see(self, blob: bytes, name: str) -> None:
        self.seen += 1
        if not self.on or blob.isascii() or bom_encoding(blob):
            return
        try:
            blob.decode("utf-8")
        except UnicodeDecodeError:
            return
        self.names.append(name)

    def message(self, fix: str = "give --encoding utf-8") -> str | None:
        """What to say, or None; ``fix``: how this reader names UTF-8 (serve: a charset)."""
        if not self.names:
            return None
        return (
            f"{len(self.names)} of {self.seen} document(s) are UTF-8 text read as "
            f"{self.encoding} (e.g. {self.names[0]!r}), so their accented letters are misread "
            f"('é' as 'Ã©') and so are their words; if they are UTF-8, {fix}."
        )

    def say(self, source: str) -> None:
        if (said := self.message()) is not None:
            warnings.warn(f"{source}: {said}", stacklevel=user_stacklevel())


def check_finite(
    X: np.ndarray, source: str, columns: Sequence[str] | None, first_row: int = 0
) -> None:
    """Refuse NaN or infinity in float features, naming the first cell that holds one.

    ``first_row`` is the file's row of ``X[0]``: a streamed block is one part of its file.
    """
    if X.dtype.kind != "f" or np.isfinite(X).all():
        return
    row, col = (int(i) for i in np.argwhere(~np.isfinite(X))[0])
    row += first_row
    if columns is not None:  # a table: NaN is what pandas makes of an empty cell, inf of 1e400
        value = X[row - first_row, col]
        where = (
            f"column '{columns[col]}' is empty or NaN (row {row + 1})"
            if np.isnan(value)
            else f"column '{columns[col]}' has value {value} (row {row + 1}), infinite or "
            "beyond a float's range (±1.8e308)"
        )
    else:
        where = f"X[{row}, {col}] is {X[row - first_row, col]}"
    raise DataError(
        f"{source + ': ' if source else ''}{where}; features must be finite numbers — fill in "
        "or drop that row."
    )


#: How the picture formats people hand to the wrong model begin (a JPEG was "a binary file").
PICTURE_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
#: The kinds :func:`file_kind` names, that callers compare with.
ZIP_FILE = "ZIP archive (an .xlsx or .npz is one)"
NPY_FILE = "NumPy .npy file"
#: ...and the other files that get named as text (a PNG saved as .csv was "not valid utf-8").
FILE_MAGIC = (
    *((magic, f"{name} picture") for magic, name in PICTURE_MAGIC),
    (b"PK\x03\x04", ZIP_FILE),
    (b"\x1f\x8b", "gzip-compressed file"),
    (b"\x89HDF\r\n\x1a\n", "HDF5 file"),
    (b"\x93NUMPY", NPY_FILE),
    # an old Excel workbook (.xls) or Word document: Microsoft's compound file format
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Microsoft Office file (an .xls is one)"),
)


def file_kind(path: str | Path) -> str | None:
    """What a file is by its first bytes, when they name one of :data:`FILE_MAGIC` (bytes no
    text file begins with), or a Parquet file ("PAR1" at both ends: text may begin so).
    An OSError (a folder, a file this user may not read) is the caller's to say."""
    with open(path, "rb") as f:
        head = f.read(8)
        if head.startswith(b"PAR1") and f.seek(0, 2) >= 12:
            f.seek(-4, 2)
            if f.read(4) == b"PAR1":
                return "Parquet file"
    return next((kind for magic, kind in FILE_MAGIC if head.startswith(magic)), None)


def check_bytes(source: str, what: str, shape: Sequence[int], itemsize: int) -> None:
    """Refuse an array by its declared size, before a single byte of it is read."""
    if any(int(s) < 0 for s in shape):  # numpy would go on to say the file is cut short
        raise DataError(
            f"{source}: {what} declares the shape {tuple(int(s) for s in shape)}, with a "
            "negative size: the file is damaged or not made by numpy.save; save the array again."
        )
    nbytes = math.prod(int(s) for s in shape) * int(itemsize)
    if nbytes > limits.MAX_ARRAY_BYTES:
        raise DataError(
            f"{source}: {what} declares shape {tuple(int(s) for s in shape)} "
            f"({nbytes / 2**30:.1f} GiB), over lrnn's limit of "
            f"{limits.MAX_ARRAY_BYTES / 2**30:g} GiB; use a smaller file or stream the data in "
            "parts."
        )


def not_parquet(path: Any, exc: BaseException) -> DataError:
    """A Parquet file that pyarrow or pandas cannot read, in one line, for every loader."""
    return DataError(
        f"{path}: not a readable Parquet file ({short(exc)}); it is empty, cut short or of "
        "another format — write it again (pandas: DataFrame.to_parquet) or remove it."
    )


def short(e: BaseException) -> str:
    """An exception's message on one line, for embedding in ours; an object's repr in it is
    its type alone (numpy's .npy reader says "<ast.Call object at 0x7f…>")."""
    text = re.sub(r"<([\w.]+) object at 0x[0-9a-fA-F]+>", r"\1", str(e))
    return " ".join(text.split())[:200] or type(e).__name__


def is_float(v: Any) -> bool:
    """Whether ``v`` converts to a finite float (a 400-digit integer does not)."""
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError, OverflowError):
        return False


def clip(v: Any, limit: int = 40) -> str:
    """A value for an error message: at most ``limit`` characters, on one line, its spaces
    kept (a column named ' label' shown as 'label' sent the user to --label 'label')."""
    text = re.sub(r"\s", " ", str(v))
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LARGEST_FLOAT_INT = int(sys.float_info.max)


def is_int(v: Any) -> bool:
    """A real ``int`` (JSON's integers), not a bool."""
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
    """A real ``int`` or ``float``, not a bool, and not an int beyond float's range (JSON
    allows 10**400, which no computation here can take)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    return not isinstance(v, int) or abs(v) <= _LARGEST_FLOAT_INT


def quoted(names: Sequence[str], limit: int = 10) -> str:
    """``'a', 'b', ... (12 in all)``: a list of names for a message, at most ``limit`` shown."""
    shown = ", ".join(f"'{clip(n)}'" for n in names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "") or "none"


def warn_of_nested_folders(root: Path, class_folders: list[Path]) -> None:
    """Say that folders inside the class folders are not read: their files would otherwise
    be left out without a word (a corpus unpacked one level too deep)."""
    import warnings

    nested = [
        d
        for folder in class_folders
        for d in sorted(folder.iterdir())
        if d.is_dir() and not d.name.startswith(".")
    ]
    if nested:
        warnings.warn(
            f"{root}: {len(nested)} folder(s) inside the class folders are not read "
            f"({_first_three(nested, root)}); move their files up into the class folder to use "
            "them.",
            stacklevel=user_stacklevel(),
        )


def _first_three(paths: list[Path], root: Path) -> str:
    """The first three of ``paths`` relative to ``root``, and "…" when there are more."""
    shown = ", ".join(str(p.relative_to(root)) for p in paths[:3])
    return shown + (", …" if len(paths) > 3 else "")


def warn_of_odd_entries(root: Path, folders: list[Path]) -> None:
    """Say which entries of ``folders`` are neither files nor folders — a link to nothing, a
    pipe, a socket, a device (or a link to one: /dev/zero was called "a link to nothing") —
    and so are left out: a data set should not lose examples without a word."""
    import warnings

    odd = sorted(
        p
        for folder in folders
        for p in folder.iterdir()
        if not p.name.startswith(".") and not p.is_file() and not p.is_dir()
    )
    if odd:
        warnings.warn(
            f"{root}: {len(odd)} entr{'y' if len(odd) == 1 else 'ies'} neither a file nor a "
            f"folder left out ({_first_three(odd, root)}): a link to nothing, a pipe, a "
            "socket or a device; replace it with the file it stands for to use it.",
            stacklevel=user_stacklevel(),
        )


def leave_out_links_outside(root: Path, files: list[Path]) -> list[Path]:
    """``files`` without those that resolve (symlinks followed) to somewhere outside ``root``,
    with a warning naming them: a data set from elsewhere could link to a local file (a key, a
    password file), whose words or pixels would then be trained into a model that gets shared.
    """
    import warnings

    top = root.resolve()
    away = {f for f in files if not f.resolve().is_relative_to(top)}
    if not away:
        return files
    warnings.warn(
        f"{root}: {len(away)} file(s) are links to places outside the folder and were left out "
        f"({_first_three(sorted(away), root)}); copy them into the folder to use them.",
        stacklevel=user_stacklevel(),
    )
    return [f for f in files if f not in away]


def expansion_budget(stored_bytes: int) -> int:
    """The most bytes data stored in ``stored_bytes`` may expand to when decompressed (or
    filled in): :data:`limits.MAX_EXPANSION_RATIO` times, plus :data:`limits.MIN_EXPANSION_BYTES`
    — real data compresses 3–10×, a decompression bomb thousands of times."""
    return limits.MAX_EXPANSION_RATIO * max(0, int(stored_bytes)) + limits.MIN_EXPANSION_BYTES


def check_expansion(name: str, what: str, stored_bytes: int, expanded_bytes: int) -> None:
    """Refuse data that expands past :func:`expansion_budget`."""
    if expanded_bytes > expansion_budget(stored_bytes):
        raise DataError(
            f"{name}: {what} expands to {expanded_bytes} bytes from {stored_bytes} stored, over "
            f"{limits.MAX_EXPANSION_RATIO} times — not real data (a decompression bomb?); "
            "check the file."
        )


#: Labels that mark a value as unknown in exported tables (pandas reads "", NA, null and N/A
#: as missing, refused by name; these it keeps as text, so each became a class).
_MISSING_MARKERS = {"?", "-", "--", ".", "*"}

#: "A few" values of a column: at most this share of them looks like a slip (a typo, a
#: placeholder), where more is the data's own way of writing.
FEW = 0.05


def _one_spelling_rare(stripped: np.ndarray, group: list[str]) -> bool:
    """Single letters of both cases are classes where each is common ('a' and 'A' of
    handwriting); where one case holds at most 5 % of the letter's labels (a Y/N column with a
    lone 'y'), it is a typo's class."""
    counts = [int(np.count_nonzero(stripped == g.strip())) for g in group]
    return min(counts) <= FEW * sum(counts)


def say_if_labels_look_wrong(values: np.ndarray, uniq: np.ndarray, source: str, what: str) -> None:
    """Labels that look mistyped: a few fractions among whole numbers (0.5 among 0/1), True or
    False beside numbers, a few marks of an unknown label ('?'), and words that differ only in
    case ("yes" and "Yes") are warned of. Each trained a softmax layer with a class of its own,
    with at most a warning about classes of a single example (a yes/no column with a few
    capitalised rows: four classes). Single letters of both cases are said only where one case
    is a few of the letter's labels: "a" and "A" are two classes of handwriting."""
    m = values.shape[0]
    if values.dtype.kind == "f":
        fractional = np.flatnonzero(values != np.round(values))
        if 0 < fractional.size <= FEW * m:
            row = int(fractional[0])
            warnings.warn(
                f"{source}: {what} is {values[row]:g} for example {row + 1}, a fraction among "
                f"whole numbers ({fractional.size} such): each such value is a class of its own "
                "— fix it if it is a typo.",
                stacklevel=user_stacklevel(),
            )
    elif values.dtype.kind == "U":
        stripped = np.char.strip(values.astype(str))
        texts = np.char.lower(stripped)
        present = set(texts.tolist())
        if present & {"true", "false"} and present - {"true", "false"}:
            others = sorted(str(v) for v in uniq if str(v).strip().lower() not in ("true", "false"))
            warnings.warn(
                f"{source}: {what} mixes True/False with {', '.join(map(repr, others[:3]))}: "
                "each is a class of its own — write every label one way.",
                stacklevel=user_stacklevel(),
            )
        for marker in sorted(present & _MISSING_MARKERS):
            if marker == "-" and "+" in present:  # sentiment: "+", "0", "-" are classes
                continue
            if any(o != marker and set(o) == set(marker) for o in present):  # "*" to "****"
                continue
            rows = np.flatnonzero(texts == marker)
            if uniq.size > 2 and rows.size <= FEW * m:  # "+"/"-" are classes, not gaps
                warnings.warn(
                    f"{source}: {what} is {marker!r} for {rows.size} example(s) (first: "
                    f"example {int(rows[0]) + 1}), which looks like a missing label, not a "
                    "class, and trains a class of its own — fill those labels in, or drop those "
                    "rows.",
                    stacklevel=user_stacklevel(),
                )
        spelled: dict[str, list[str]] = {}
        for v in uniq:
            spelled.setdefault(str(v).strip().casefold(), []).append(str(v))
        alike = sorted(
            sorted(group)
            for group in spelled.values()
            if len(group) > 1 and (len(group[0].strip()) > 1 or _one_spelling_rare(stripped, group))
        )
        if alike:
            more = f" (and {len(alike) - 1} more such group(s))" if len(alike) > 1 else ""
            warnings.warn(
                f"{source}: {what} has {' and '.join(map(repr, alike[0][:3]))}{more}, which "
                "differ only in case: each is a class of its own — if they are one, write them "
                "alike.",
                stacklevel=user_stacklevel(),
            )
