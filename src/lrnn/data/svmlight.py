"""svmlight / libsvm files (``.svm``, ``.svmlight``, ``.libsvm``, optionally ``.gz``/``.bz2``):
one example per line, ``label index:value index:value …``, read into a CSR matrix.

Parsing is scikit-learn's ``load_svmlight_file`` (a compiled, well-tested reader; no pickle).
Feature numbering is detected: a file whose smallest index is 0 is zero-based, otherwise it is
taken as one-based (LIBSVM's convention) — and the choice is stated in the data's description
(``"d.svm (one-based indices)"``, which the training header shows). A model records
the base and its width, so a file to predict on may be narrower than the training file (its
missing columns are zeros); values at indices beyond the model's width are left out with a
warning naming the first line (no training example holds such a feature, so its weight would
be 0); a file with no index 0 for a zero-based model is warned of too (it may count from 1).

Checked before use: line length (:data:`limits.MAX_LINE_BYTES`, scanned before parsing),
the parser's own complaints (bad indices or values, named with the file), NaN or infinite
values (named by line), and, for prediction, indices beyond the model's width (said).
"""

from __future__ import annotations

import bz2
import gzip
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from lrnn.data import limits
from lrnn.data.checks import clip, expansion_budget, short
from lrnn.data.dataset import Dataset, encode_labels, row_names
from lrnn.data.preprocessing import Preprocessing
from lrnn.errors import DataError, user_stacklevel

SUFFIXES = (".svm", ".svmlight", ".libsvm")
COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open}


def is_svmlight(path: str | Path) -> bool:
    """Whether the file name says svmlight (also under .gz or .bz2)."""
    suffixes = [s.lower() for s in Path(path).suffixes[-2:]]
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in SUFFIXES


def _open(name: str) -> Any:
    opener = COMPRESSED.get(Path(name).suffix.lower(), open)
    return opener(name, "rb")


def _compressed_as(name: str) -> str | None:
    """ "gzip" or "bzip2" when the file starts with that format's signature, else None."""
    with open(name, "rb") as f:
        head = f.read(3)
    return "gzip" if head[:2] == b"\x1f\x8b" else "bzip2" if head == b"BZh" else None


def _check_lines(name: str) -> None:
    """Refuse a line longer than the limit before the parser holds it in memory, and a
    compressed file that expands far beyond what real data does (a decompression bomb)."""
    current, line, expanded = 0, 0, 0
    compressed = Path(name).suffix.lower() in COMPRESSED
    budget = expansion_budget(Path(name).stat().st_size)
    with _open(name) as f:
        while chunk := f.read(1 << 20):
            expanded += len(chunk)
            if compressed and expanded > budget:
                raise DataError(
                    f"{name}: expands to more than {budget} bytes, over "
                    f"{limits.MAX_EXPANSION_RATIO} times its compressed size — not real data; "
                    "give the file uncompressed if it is."
                )
            pieces = chunk.split(b"\n")
            for k, piece in enumerate(pieces):
                length = current + len(piece) if k == 0 else len(piece)
                if length > limits.MAX_LINE_BYTES:
                    raise DataError(
                        f"{name}: line {line + k + 1} is longer than {limits.MAX_LINE_BYTES} "
                        "bytes; check it is an svmlight file with one example per line."
                    )
            line += len(pieces) - 1
            current = len(pieces[-1]) + (current if len(pieces) == 1 else 0)


def _file_line(name: str, example: int) -> int:
    """The 1-based line of the file that holds example ``example`` (0-based): comment lines
    (``#``) and blank lines hold none. Only called to name a line in an error."""
    seen = -1
    with _open(name) as f:
        for number, raw in enumerate(f, start=1):
            if raw.split(b"#", 1)[0].strip():
                seen += 1
                if seen == example:
                    return number
    return example + 1


def _line_of(name: str, X: Any, position: int) -> int:
    """The file line of the example that holds stored value ``position`` of the CSR X."""
    row = int(np.searchsorted(X.indptr, position, side="right")) - 1
    return _file_line(name, row)


#: Numbers as the compiled parser reads them: ASCII digits (Python's float() also takes
#: Arabic-Indic digits, which the parser refuses, so the line at fault was not found).
_NUMBER = re.compile(
    r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:nan|inf|infinity)", re.I | re.A
)
_WHOLE = re.compile(r"[+-]?\d+", re.A)


#: An underscore between two digits, which the parser (Python's float) reads as nothing.
_GROUPING = re.compile(r"(?<=\d)_(?=\d)")


def _number(text: str) -> bool:
    """Whether the parser reads ``text`` as a number (NaN too: that is refused later, by line)."""
    return _NUMBER.fullmatch(_GROUPING.sub("", text)) is not None


def _whole(text: str) -> int | None:
    """``text`` as the parser reads a whole number (a sign allowed), or None."""
    text = _GROUPING.sub("", text)
    return int(text) if _WHOLE.fullmatch(text) else None


def _first_bad_line(name: str) -> tuple[int, str] | None:
    """(line number, what is wrong there) for the first line the parser would refuse, read
    again line by line — only after the compiled parser has refused the file, which does not
    say where."""
    with _open(name) as f:
        for number, raw in enumerate(f, start=1):
            tokens = raw.split(b"#", 1)[0].decode("utf-8", "replace").split()
            if not tokens:
                continue
            if not _number(tokens[0]):
                return number, f"starts with {clip(tokens[0])!r}, not a numeric label"
            previous = -1
            for token in tokens[1:]:
                index, _, value = token.partition(":")
                if index == "qid" and _whole(value) is not None:
                    continue
                position = _whole(index)
                if position is None or position < 0 or not _number(value):
                    return number, f"has {clip(token)!r}, not index:value"
                if position <= previous:
                    return number, f"has index {index} after {previous}: indices must increase"
                if position > limits.MAX_SPARSE_FEATURES:
                    return number, (
                        f"has index {clip(index)}, beyond lrnn's {limits.MAX_SPARSE_FEATURES} "
                        "features"
                    )
                previous = position
    return None


def load_svmlight(name: str, spec: Preprocessing | None, require_labels: bool) -> Dataset:
    """An svmlight file → Dataset with a CSR X (float64); see the module docstring."""
    X, labels, queries = _parsed(name)
    if X.shape[0] == 0:
        raise DataError(f"{name}: no examples; give a file with data.")
    if np.any(queries):
        warnings.warn(
            f"{name}: its qid: values (query ids, which group examples for ranking) are "
            "ignored; lrnn classifies each example on its own.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    if spec is None:
        base = 0 if X.nnz and X.indices.min() == 0 else 1
        if X.nnz == 0:
            raise DataError(
                f"{name}: no line has any feature (index:value), only labels; each line is "
                "'label index:value …' — give a file with features."
            )
    else:
        base = spec.index_base or 0
    if X.shape[1] - base > limits.MAX_SPARSE_FEATURES:  # a one-based file has no column 0
        widest = int(np.argmax(X.indices))
        raise DataError(
            f"{name}: line {_line_of(name, X, widest)} has feature index {int(X.indices[widest])}, "
            f"over lrnn's limit of {limits.MAX_SPARSE_FEATURES} features, so at most "
            f"{limits.MAX_SPARSE_FEATURES - 1 + base} in a {'zero' if base == 0 else 'one'}-based "
            "file (the weights would be a dense vector that wide); fix that line."
        )
    if not np.isfinite(X.data).all():
        raise DataError(
            f"{name}: line {_line_of(name, X, int(np.argmin(np.isfinite(X.data))))} has a NaN "
            "or infinite value; fix or "
            "remove that line."
        )
    if spec is None:
        _say_if_mostly_empty(name, X, base, int(np.unique(labels).size))
        X = _rebased(X, base, name)
        spec = Preprocessing(kind="svmlight", index_base=base, width=int(X.shape[1]))
    else:
        counts_from_one = base == 0 and X.nnz > 0 and int(X.indices.min()) > 0
        X = _to_width(_rebased(X, base, name), int(spec.width or 0), base, name)
        if counts_from_one:  # the model's numbering is used; a shift would go unseen
            warnings.warn(
                f"{name}: no feature is numbered 0, as if the file counted from 1; it is read "
                "counting from 0, like the model's training file — if it counts from 1, "
                "renumber it from 0, or every feature is read one column off.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
    names = row_names(X.shape[0])
    y, classes = None, None
    # predict reads labels only when all are usable, and ignores them otherwise, as it ignores a
    # table's label column: a NaN placeholder where the class is unknown is no reason to refuse
    if require_labels or (spec is not None and np.isfinite(labels).all()):
        y, classes = encode_labels(labels, name, "the label")
    described = f"{name} ({'zero' if spec.index_base == 0 else 'one'}-based indices)"
    return Dataset(X, y, classes, names, spec, described)


def _parsed(name: str) -> tuple[Any, Any, Any]:
    """(X, labels, query ids) as scikit-learn's parser reads them, every failure one line that
    names the file (and the line, where one is at fault)."""
    import zlib

    from sklearn.datasets import load_svmlight_file

    if Path(name).is_dir():
        raise DataError(f"{name}: is a folder, not an svmlight file; give the file itself.")
    try:
        _check_lines(name)
        with _open(name) as f:
            X, labels, queries = load_svmlight_file(
                f, zero_based=True, dtype=np.float64, query_id=True
            )
    except (DataError, PermissionError):
        raise  # _check_lines' own message (a bomb, a line too long), or one the CLI words
    except OverflowError as e:
        bad = _first_bad_line(name)
        if bad is not None:
            raise DataError(f"{name}: line {bad[0]} {bad[1]}; fix that line.") from e
        raise DataError(
            f"{name}: holds a feature index too large to be one ({short(e)}); fix the line — "
            f"lrnn takes at most {limits.MAX_SPARSE_FEATURES} features."
        ) from e
    except (ValueError, OSError, EOFError, RuntimeError, zlib.error) as e:
        packed = Path(name).suffix.lower() in COMPRESSED
        if packed and not isinstance(e, ValueError):
            fix = "check that the file is complete and really compressed that way"
            raise DataError(f"{name}: not a valid svmlight file ({short(e)}); {fix}.") from e
        fix = (
            "each line is 'label index:value …' with increasing whole-number indices and "
            "numeric values"
        )
        magic = _compressed_as(name) if not packed else None
        if magic is not None:  # not text at all: its bytes would be shown as the first label
            raise DataError(
                f"{name}: is {magic}-compressed, but named as plain text; name it with its "
                f"compression's suffix ({name}.{'gz' if magic == 'gzip' else 'bz2'}) or "
                "decompress it first."
            ) from e
        bad = _first_bad_line(name) if isinstance(e, ValueError) else None
        if bad is not None:
            raise DataError(f"{name}: line {bad[0]} {bad[1]}; fix that line — {fix}.") from e
        raise DataError(f"{name}: not a valid svmlight file ({short(e)}); {fix}.") from e
    return X, labels, queries


#: Widths from which a file whose columns are nearly all empty is worth a word: each column is
#: a weight (8 bytes) in every vector a solver keeps, so L-BFGS's memory alone is 40 of them.
WIDE_ENOUGH_TO_SAY = 2**20


def _say_if_mostly_empty(name: str, X: Any, base: int, classes: int) -> None:
    """One stray index (16000000:1 on a file of 20 features) makes a model that wide: every
    solver's vectors, the model file and an exported graph's input are that long (L-BFGS took
    6.4 GB on 200 rows). Say so, naming the line that holds the highest index."""
    width = int(X.shape[1]) - base  # a one-based file has no column 0
    refused = 8 * width * (classes if classes > 2 else 1) > limits.MAX_WEIGHT_BYTES
    if width < WIDE_ENOUGH_TO_SAY or refused:  # refused: said then
        return
    used = int(np.unique(X.indices).size)  # after the cheap tests: this sorts every value
    if used * 100 > width:
        return
    widest = int(np.argmax(X.indices))
    warnings.warn(
        f"{name}: its feature indices run to {int(X.indices[widest])} (line "
        f"{_line_of(name, X, widest)}), "
        f"but only {used} columns hold a value, so the model will have {width} weights "
        f"({8 * width / 2**20:.0f} MB per vector the solver keeps); renumber the features "
        "from 0 if the indices are not meant to be that large.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def _rebased(X: Any, base: int, name: str) -> Any:
    """A one-based file's matrix without its unused column 0."""
    import scipy.sparse as sp

    if base == 0:
        return X
    if X.nnz and X.indices.min() == 0:
        first = int(np.flatnonzero(X.indices == 0)[0])  # named by its line, as a wide one is
        raise DataError(
            f"{name}: line {_line_of(name, X, first)} has feature index 0, but the model "
            "numbers features from 1; give a file numbered like the training file (a "
            "zero-based training file whose column 0 is empty reads as one-based: add '0:0' to "
            "one of its lines and train again)."
        )
    width = max(X.shape[1] - 1, 1)
    return sp.csr_matrix((X.data, X.indices - 1, X.indptr), shape=(X.shape[0], width))


def _to_width(X: Any, width: int, base: int, name: str) -> Any:
    """X with the model's ``width`` columns: a narrower file is widened with zero columns."""
    import scipy.sparse as sp

    if X.shape[1] > width:
        beyond = X.indices >= width
        first = int(np.flatnonzero(beyond)[0])  # the first stored value beyond
        where = (
            f"line {_line_of(name, X, first)} has feature index {int(X.indices[first]) + base}, "
            f"beyond the model's {width} features, numbered {base} to {width - 1 + base} as in "
            "its training file"
        )
        # a feature no training example holds has a weight of exactly 0 in a model trained
        # on a wider matrix (its gradient is alpha·w from w = 0), so leaving it out scores the
        # rows as that model would: sparse data meets new features (a test file was refused)
        warnings.warn(
            f"{name}: {int(beyond.sum())} value(s) at features the training file does not have "
            f"are left out ({where}): no training example holds them, so a model would weigh "
            "them 0.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return sp.csr_matrix(X)[:, :width]
    if X.shape[1] == width:
        return X
    return sp.csr_matrix((X.data, X.indices, X.indptr), shape=(X.shape[0], width))
