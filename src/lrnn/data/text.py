"""Text: folders of ``.txt`` files (one sub-folder per class), a text column of a table, loose
documents and standard input, turned into sparse TF-IDF rows by a vectorizer that a model
carries.

Features are word n-grams (1–2 by default), lower-cased, kept when they occur in at least
``min_df`` documents (at most ``max_features`` of the most frequent), weighted by sublinear
TF-IDF (``1 + log tf`` times ``idf = log((1 + m)/(1 + df)) + 1``) and scaled to unit L2 norm
per document. With ``hashing`` the terms are hashed into that many columns instead of being
kept in a vocabulary (for vocabularies too large to keep; the model then cannot name its words).

Why scikit-learn's ``CountVectorizer``/``HashingVectorizer``: a well-kept tokenizer and n-gram
counter, the same at training and prediction time. Only the counting is scikit-learn's; the
weighting (:meth:`TextVectorizer.transform`) is written here so that a saved model needs nothing
but its vocabulary (a JSON list, the model's ``feature_names``) and its IDF weights (a tensor,
``idf``) — never a pickle — and gives the same features, bit for bit, when loaded.

Every document is checked before it is used: size (:data:`limits.MAX_DOCUMENT_BYTES`),
binary content (a NUL byte), the encoding (``--encoding``), emptiness — each a one-line
:class:`DataError` naming the file.
"""

from __future__ import annotations

import codecs
import math
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from lrnn.data import limits
from lrnn.data.checks import (
    PICTURE_MAGIC,
    Utf8ReadAsOneByte,
    bom_encoding,
    clip,
    quoted,
)
from lrnn.data.dataset import Dataset, encode_labels, row_names
from lrnn.data.preprocessing import TAKES, Preprocessing
from lrnn.data.text_folders import folder_documents
from lrnn.data.words import WORD, unspaced_script, word_pattern
from lrnn.errors import DataError, ModelFileError, UsageError, user_stacklevel

#: The settings a text model records (Preprocessing.text), with their defaults.
DEFAULTS: dict[str, Any] = {
    "ngram_range": [1, 2],
    "min_df": 2,
    "max_features": None,
    "hashing": None,
    "lowercase": True,
    "sublinear_tf": True,
    "norm": "l2",
    "encoding": "utf-8",
    "text_column": None,
    "unicode_form": "NFC",
    "marks_in_words": True,
}
#: A model file written before ``unicode_form`` or ``marks_in_words`` existed lacks it: its
#: documents were read without it, and are now (the same features as when it was trained).
_OPTIONAL_SETTINGS = frozenset({"unicode_form", "marks_in_words"})


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------
def settings(
    ngrams: Sequence[int] | None = None,
    min_df: float | None = None,
    max_features: int | None = None,
    hashing: int | None = None,
    encoding: str | None = None,
    text_column: str | None = None,
) -> dict[str, Any]:
    """The text settings from command-line options (None = the default), checked."""
    out = dict(DEFAULTS)
    given = {
        "ngram_range": None if ngrams is None else [int(v) for v in ngrams],
        "min_df": min_df,
        "max_features": max_features,
        "hashing": hashing,
        "encoding": encoding,
        "text_column": text_column,
    }
    out.update({k: v for k, v in given.items() if v is not None})
    problem = check_settings(out)
    if problem:
        raise UsageError(f"{problem}.")
    if out["hashing"] is not None and out["max_features"] is not None:
        raise UsageError("--hashing and --max-features do not go together; drop one of them.")
    if hashing is not None and min_df is not None:
        raise UsageError(
            "--hashing and --min-df do not go together (hashed columns keep every word, "
            "however rare); drop one of them."
        )
    if out["hashing"] is not None:  # as the model file says it: hashing keeps every word
        out["min_df"] = 1
    return out


def check_settings(d: Any) -> str | None:
    """What is wrong with a settings dict (from options or a model file), or None."""
    if not isinstance(d, dict) or not set(DEFAULTS) - _OPTIONAL_SETTINGS <= set(d) <= set(DEFAULTS):
        return "the text settings are not the expected object"
    if d.get("unicode_form") not in (None, "NFC"):
        return f'unicode_form {clip(repr(d["unicode_form"]))} must be "NFC" or null'
    if d.get("marks_in_words") not in (None, True, False):
        return f"marks_in_words {clip(repr(d['marks_in_words']))} must be true, false or null"
    lo_hi = d["ngram_range"]
    if not (
        isinstance(lo_hi, list | tuple)
        and len(lo_hi) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in lo_hi)
        and 1 <= lo_hi[0] <= lo_hi[1] <= 5
    ):
        return (
            f"--ngrams {clip(repr(lo_hi))} must be two whole numbers 1 ≤ LOW ≤ HIGH ≤ 5; "
            "give e.g. 1 2"
        )
    min_df = d["min_df"]
    if isinstance(min_df, bool) or not (
        (isinstance(min_df, int) and min_df >= 1) or (isinstance(min_df, float) and 0 < min_df < 1)
    ):
        return (
            f"--min-df {clip(repr(min_df))} must be a whole count ≥ 1 (of documents) or a fraction "
            "between 0 and 1 (of the documents, 1 itself excluded: give the count 1 for a term "
            "in one document or more); give e.g. 2"
        )
    for key, flag, example in (
        ("max_features", "--max-features", "20000"),
        ("hashing", "--hashing", "2**20"),
    ):
        v = d[key]
        top = limits.MAX_SPARSE_FEATURES
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= top):
            return (
                f"{flag} {clip(repr(v))} must be a whole number between 1 and {top}; "
                f"give e.g. {example}"
            )
    if not isinstance(d["encoding"], str) or not known_encoding(d["encoding"]):
        return (
            f"--encoding {clip(repr(d['encoding']))} is not a text encoding Python knows; "
            "use e.g. utf-8"
        )
    if d["text_column"] is not None and not isinstance(d["text_column"], str):
        return "text_column must be a column name"
    if d["lowercase"] is not True or d["sublinear_tf"] is not True or d["norm"] != "l2":
        return "only lower-cased, sublinear, L2-normalised TF-IDF is supported"
    return None


def known_encoding(name: str) -> bool:
    try:
        info = codecs.lookup(name)
    except LookupError:
        return False
    # rot13, hex, zlib … are codecs too, but not from bytes to text; "undefined" refuses all
    if not getattr(info, "_is_text_encoding", True):
        return False
    sample = "A cat, 42 times.\n"
    try:
        return sample.encode(info.name).decode(info.name) == sample
    except (UnicodeError, LookupError, TypeError):
        return False


# --------------------------------------------------------------------------------------------
# The vectorizer
# --------------------------------------------------------------------------------------------
def _counting(settings: dict) -> dict[str, Any]:
    """scikit-learn's counting options for these settings. With ``unicode_form`` "NFC" each
    document is put in composed form before it is lower-cased: "café" typed as e plus a
    combining accent (as some editors, PDF copies and macOS write it) is otherwise split at the
    accent into "cafe", and matches neither the word nor the model's vocabulary."""
    common: dict[str, Any] = {
        "ngram_range": tuple(settings["ngram_range"]),
        "lowercase": True,
        "dtype": np.float64,
    }
    marks = bool(settings.get("marks_in_words"))
    if settings.get("unicode_form") == "NFC":  # in place of lowercase=True's own step
        common["preprocessor"] = _composed_lower_case_dotless if marks else _composed_lower_case
    if marks:
        common["token_pattern"] = word_pattern()
    return common


def _composed_lower_case(document: str) -> str:
    return unicodedata.normalize("NFC", document).lower()


def _composed_lower_case_dotless(document: str) -> str:
    """Turkish "İ" lower-cases to "i" and a combining dot above, which no composed form takes
    back: "İstanbul" would not be "istanbul"; the dot is dropped."""
    return unicodedata.normalize("NFC", document).lower().replace("i\u0307", "i")


@dataclass(frozen=True)
class TextVectorizer:
    """Text → sparse TF-IDF rows; saved in a model as its feature names and ``idf`` tensor."""

    settings: dict
    vocabulary: tuple[str, ...] | None  # column order; None with hashing
    idf: np.ndarray  # (n_features,) float64

    @property
    def n_features(self) -> int:
        return int(self.idf.shape[0])

    def _counter(self) -> Any:
        from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer

        common = _counting(self.settings)
        if self.settings["hashing"] is not None:
            return HashingVectorizer(
                n_features=self.settings["hashing"], alternate_sign=False, norm=None, **common
            )
        vocabulary = {term: i for i, term in enumerate(self.vocabulary or ())}
        return CountVectorizer(vocabulary=vocabulary, **common)

    def transform(self, docs: Sequence[str]) -> Any:
        """CSR float64 rows: sublinear TF times IDF, unit L2 norm (all-zero rows stay zero)."""
        from sklearn.preprocessing import normalize

        X = self._counter().transform(list(docs)).tocsr()
        X.sum_duplicates()
        np.log(X.data, out=X.data)
        X.data += 1.0
        X.data *= self.idf[X.indices]
        return normalize(X, norm="l2", copy=False)

    @classmethod
    def fit(cls, docs: Sequence[str], options: dict, source: str) -> TextVectorizer:
        """Learn the vocabulary (unless hashing) and the IDF weights from training documents."""
        from sklearn.feature_extraction.text import CountVectorizer

        vocabulary = None
        if options["hashing"] is None:
            counter = CountVectorizer(
                min_df=options["min_df"], max_features=options["max_features"], **_counting(options)
            )
            try:
                counter.fit(list(docs))
            except ValueError as e:  # "empty vocabulary" / "After pruning, no terms remain"
                fix = (
                    "lower --min-df or give more documents"
                    if options["min_df"] != 1 and _any_word(docs, options)
                    else "give documents with words"  # no --min-df would leave one
                )
                unspaced = unspaced_script(docs)
                raise DataError(
                    f"{source}: no words are left in the vocabulary with --min-df "
                    f"{options['min_df']} (with {len(docs)} documents; {WORD}); "
                    + (f"{unspaced}" if unspaced else f"{fix}.")
                ) from e
            vocabulary = tuple(counter.get_feature_names_out().tolist())
        if unspaced := unspaced_script(docs):  # whole phrases as words: learns little
            warnings.warn(f"{source}: {unspaced}", stacklevel=user_stacklevel())
        width = options["hashing"] if vocabulary is None else len(vocabulary)
        draft = cls(options, vocabulary, np.ones(width))
        counts = draft._counter().transform(list(docs)).tocsr()
        counts.sum_duplicates()
        if counts.nnz == 0:  # hashing keeps every word, so none was there: nothing to learn
            raise DataError(
                f"{source}: none of the {len(docs)} documents holds a word ({WORD}: emoji, "
                "punctuation and single characters are left out); give documents with words."
            )
        df = np.bincount(counts.indices, minlength=width).astype(np.float64)
        idf = np.log((1.0 + len(docs)) / (1.0 + df)) + 1.0
        return cls(options, vocabulary, idf)


def _vocabulary_advice(settings: dict) -> str:
    """How to keep more words: the options that cut the vocabulary, as they were given."""
    if settings.get("hashing") is not None:
        return ""
    ways = [] if settings.get("min_df") == 1 else ["lower --min-df"]
    ways += [] if settings.get("max_features") is None else ["raise --max-features"]
    return ", or " + " or ".join(ways) if ways else ""


def _any_word(docs: Sequence[str], options: dict) -> bool:
    """Whether any document holds a word at all (what --min-df 1 would keep)."""
    from sklearn.feature_extraction.text import CountVectorizer

    try:
        CountVectorizer(min_df=1, **_counting(options)).fit(list(docs))
    except ValueError:
        return False
    return True


def term_name(names: Sequence[str] | None, column: int) -> str:
    """How a text model's column is shown: its term, or ``hash #N`` for a hashing model (which
    keeps no vocabulary)."""
    return str(names[column]) if names else f"hash #{column}"


def vectorizer_for_model(model: Any, spec: Preprocessing) -> TextVectorizer | None:
    """A text model's vectorizer rebuilt from its file (feature names + idf), else None; the
    file's reader (:func:`lrnn.persist.load_model`) has checked that they fit its weights."""
    if spec.kind != "text":
        return None
    vocabulary = None if spec.text["hashing"] is not None else tuple(model.feature_names or ())
    return TextVectorizer(dict(spec.text), vocabulary, np.asarray(model.idf, dtype=np.float64))


def model_spec(model: Any, path: str | None = None) -> Preprocessing:
    """A saved model's spec, with its text vectorizer attached when it is a text model;
    a refusal names the model file at ``path``."""
    try:
        spec = Preprocessing.from_dict(model.preprocessing)
    except ModelFileError as e:
        if path is None:
            raise
        raise ModelFileError(f"{path}: {e}") from e
    vectorizer = vectorizer_for_model(model, spec)
    return spec if vectorizer is None else replace(spec, vectorizer=vectorizer)


# --------------------------------------------------------------------------------------------
# Reading documents
# --------------------------------------------------------------------------------------------
#: How a command-line user names another encoding (serve says it its own way).
ENCODING_FIX = (
    "give --encoding with the encoding that all the documents share (e.g. --encoding latin-1), "
    "or convert this one to theirs (iconv -f latin-1 -t utf-8)"
)

#: The refusal of a blank document (a folder's loader gathers them all and leaves them out).
EMPTY = "the document is empty; remove it or add its text."


def is_wide(encoding: str) -> bool:
    """UTF-16 or UTF-32: a line break is two or four bytes there, so text in them is split
    into lines after decoding, not before (a 0x0a byte is half of many characters)."""
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def wide_lines(text: str, encoding: str) -> list[bytes]:
    """Decoded UTF-16/32 text split at its line breaks, each line encoded again, so that lines
    go through the checks of :func:`decode_document` as lines of any other encoding do."""
    lines = text.split("\n")
    if lines and not lines[-1].strip("\r"):  # the break that ends the last line
        lines.pop()
    return [line.rstrip("\r").encode(encoding) for line in lines]


def decode_document(
    blob: bytes, where: str, encoding: str, fix: str = ENCODING_FIX, wide: str | None = None
) -> str:
    """Checked text of one document: not too large, not binary, decodable, not empty.

    ``wide``: how this reader names UTF-16 (the option, a served body's charset); None for
    text that already is characters (a JSON string), where a NUL is just a NUL."""
    if len(blob) > limits.MAX_DOCUMENT_BYTES:
        raise DataError(
            f"{where}: over lrnn's limit of {limits.MAX_DOCUMENT_BYTES} bytes per "
            "document; give smaller documents (split it, one per line or file)."
        )
    # a document that starts with a byte-order mark is read by it, whatever the option says
    # (a UTF-16 file among UTF-8 ones was "binary", and a UTF-8 BOM stayed in the text)
    encoding = bom_encoding(blob) or encoding
    picture = next((name for magic, name in PICTURE_MAGIC if blob.startswith(magic)), None)
    characters = wide is None and fix != ENCODING_FIX  # a JSON string: text already
    if picture is not None and not characters:
        raise DataError(
            f"{where}: is a {picture} picture, not text; a text model reads documents — give "
            "it text (pictures go to a model trained on pictures)."
        )
    # UTF-16 and UTF-32 text holds NUL bytes in every ASCII character: there, the decoder
    # below is the judge of binary data
    if not is_wide(encoding) and b"\x00" in blob[:65536]:
        if characters:
            raise DataError(f"{where}: holds a NUL character (\\u0000); remove it.")
        raise DataError(
            f"{where}: looks like a binary file (it holds NUL bytes), not text; give text "
            f"documents (or, for UTF-16/UTF-32 text, {wide or '--encoding utf-16'})."
        )
    try:
        text = blob.decode(encoding)
    except UnicodeDecodeError as e:
        raise DataError(
            f"{where}: not valid {encoding} text (byte 0x{blob[e.start]:02x} at offset "
            f"{e.start}); {fix}."
        ) from e
    except UnicodeError as e:  # codecs such as punycode raise the parent class
        raise DataError(f"{where}: not valid {encoding} text ({e}); {fix}.") from e
    if not text.strip():
        raise DataError(f"{where}: {EMPTY}")
    return text


def load_documents(paths: Sequence[str], spec: Preprocessing) -> Dataset:
    """Loose documents to predict on: files, or ``-`` for one document per line of standard
    input (named ``stdin:N``), as TF-IDF rows from the model's vectorizer."""
    encoding = spec.text["encoding"]
    docs: list[str] = []
    names: list[str] = []
    for p in paths:  # every path checked before standard input is read
        path = Path(p)
        if p == "-":
            continue
        if path.is_dir():  # one folder on its own is read by the folder loader
            raise DataError(
                f"{p}: a folder among other inputs; give either .txt files (and - for standard "
                "input), or one folder on its own, not a mix."
            )
        if not path.exists():
            raise DataError(f"{p}: no such file; check the path.")
        if not path.is_file():  # a pipe or a device would be read without end
            raise DataError(
                f"{p}: not a regular file (a pipe or a device); give .txt files, a folder of "
                "them, or - for one document per line."
            )
    misread = Utf8ReadAsOneByte(encoding)
    for p in paths:
        if p == "-":
            from lrnn.data.text_stdin import stdin_documents  # a stream, read when named

            lines, line_names = stdin_documents(encoding)
            docs.extend(lines)
            names.extend(line_names)
            continue
        blob = _read_capped(Path(p))
        docs.append(decode_document(blob, p, encoding))
        misread.see(blob, p)
        names.append(p)
    misread.say(", ".join(paths[:3]))
    return documents_dataset(docs, None, names, ", ".join(paths[:3]), None, spec)


def _read_capped(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(limits.MAX_DOCUMENT_BYTES + 1)


def load_text_folder(
    path: Path, options: dict, spec: Preprocessing | None, require_labels: bool
) -> Dataset:
    """A folder with one sub-folder of .txt files per class → TF-IDF rows (see module)."""
    files, labels = folder_documents(path, allow_flat=not require_labels)
    if not files:
        raise DataError(f"{path}: no .txt documents found; add one .txt file per document.")
    encoding = spec.text["encoding"] if spec is not None else options["encoding"]
    docs, empty, misread = [], [], Utf8ReadAsOneByte(encoding)
    for f in files:  # one file in memory at a time, decoded once
        try:
            blob = _read_capped(f)
            docs.append(decode_document(blob, str(f), encoding))
            misread.see(blob, str(f.relative_to(path)))
        except DataError as e:
            if not str(e).endswith(EMPTY):
                raise
            empty.append(f)
    misread.say(str(path))
    if empty:  # all of them in one line; left out, as a folder's stray files are
        shown = ", ".join(str(f.relative_to(path)) for f in empty[:3])
        said = f"{len(empty)} of {len(files)} document(s) are empty ({shown}"
        said += f"{', …' if len(empty) > 3 else ''})"
        if len(empty) == len(files):
            raise DataError(f"{path}: {said}; add their text.")
        # a document of punctuation alone is kept (it teaches the bias, and is said so); an
        # empty file is more likely a download or export that failed: left out, and said
        warnings.warn(
            f"{path}: {said}, so they are left out; add their text or remove them.",
            stacklevel=user_stacklevel(),
        )
        gone = set(empty)
        if labels is not None:
            kept = [label for f, label in zip(files, labels, strict=True) if f not in gone]
            lost = sorted(set(labels) - set(kept))  # a class of empty documents alone
            if lost:
                warnings.warn(
                    f"{path}: every document of class(es) {', '.join(map(repr, lost[:5]))} is "
                    "empty, so those classes are left out; add their text or remove them.",
                    stacklevel=user_stacklevel(),
                )
            labels = kept
        files = [f for f in files if f not in gone]
    names = [str(f.relative_to(path)) for f in files]
    files_options = {**options, "text_column": None}  # documents in files, not in a column
    return documents_dataset(
        docs, labels, names, str(path), files_options, spec, "the class folders"
    )


def no_known_words(
    X: Any, names: Sequence[str], training: bool = False, advice: str = ""
) -> str | None:
    """The warning for TF-IDF rows with no stored value — documents none of whose words the
    model knows, scored by the bias alone (a wrong encoding or language looks like this) —
    or None when every document has one. In training data such a row (emoji, punctuation
    or digits only, or words --min-df left out) teaches nothing but the bias."""
    blank = np.flatnonzero(np.diff(X.tocsr().indptr) == 0)
    if not blank.size:
        return None
    example = names[int(blank[0])]
    if training:
        return (
            f"{blank.size} of {X.shape[0]} document(s) hold no word the vocabulary keeps (e.g. "
            f"{example!r}): {WORD}, so emoji, punctuation and single characters are left out; "
            f"those rows teach the neuron nothing but the bias — check them{advice}."
        )
    return (
        f"{blank.size} document(s) hold no word the model knows (e.g. {example!r}); "
        "their probabilities come from the bias alone."
    )


def documents_dataset(
    docs: list[str],
    labels: Sequence[Any] | None,
    names: list[str],
    source: str,
    options: dict | None,
    spec: Preprocessing | None,
    labels_are: str = "the class",
) -> Dataset:
    """Documents (and labels) → a Dataset of TF-IDF rows: a new vectorizer when training,
    the model's when ``spec`` (from a saved text model) is given."""
    scoring = spec is not None  # a saved model's vectorizer, on a file, folder or table
    if spec is None:
        vectorizer = TextVectorizer.fit(docs, options, source)
        spec = Preprocessing(kind="text", text=dict(options), vectorizer=vectorizer)
    if spec.vectorizer is None:
        raise DataError(f"{source}: the model was not trained on text; give {spec.kind} data.")
    X = spec.vectorizer.transform(docs)
    said = "standard input" if source == "-" else source  # as its blank lines are told
    advice = _vocabulary_advice(spec.vectorizer.settings)
    if message := no_known_words(X, names, not scoring, advice):
        warnings.warn(f"{said}: {message}", stacklevel=user_stacklevel())
    y, classes = (None, None)
    if labels is not None:
        values = labels if isinstance(labels, np.ndarray) else np.asarray(labels, dtype=object)
        y, classes = encode_labels(values, source, labels_are)
    return Dataset(X, y, classes, names, spec, source, documents=docs)


def load_text_table(
    name: str, label: str, options: dict, spec: Preprocessing | None, require_labels: bool
) -> Dataset:
    """A CSV/Parquet file whose ``text_column`` holds one document per row."""
    # the table loader's limits apply
    from lrnn.data.tables import csv_column_as_written, label_values, read_table

    settings = spec.text if spec is not None else options
    column = settings["text_column"]
    if column is None:  # a model trained on files of documents, given a table
        give = (
            "a folder with one sub-folder of .txt files per class"
            if require_labels
            else TAKES["text"]
        )
        raise DataError(
            f"{name}: the model was trained on documents in files, not on a table's text "
            f"column; give {give}, or name the table's column of documents with --text-column."
        )
    frame = read_table(name, [column, label], settings["encoding"], ENCODING_FIX, label=label)
    if column not in frame.columns:
        has = ", ".join(map(repr, list(frame.columns)[:8]))
        fix = (
            f"give a table with that column, or name this one's column of documents with "
            f"--text-column (it has {has})"
            if spec is not None
            else f"name one of {has} with --text-column"
        )
        # (with a model, the column is its own or one --text-column named: either way it is
        # where the documents were looked for; it was called the model's when the user's)
        whose = "the column of documents to read" if spec is not None else "named by --text-column"
        raise DataError(f"{name}: no column {column!r} ({whose}); {fix}.")
    values = frame[column]
    csv = name.lower().endswith(".csv")
    if csv and values.isna().any():
        # documents as written: "None" or "NA" is text, not NaN (only the cells pandas took
        # for missing are read again; a column of numbers stays one, and is refused below)
        values = values.where(
            values.notna(), csv_column_as_written(name, column, settings["encoding"])
        )
    docs, misread = [], Utf8ReadAsOneByte(settings["encoding"] if csv else "utf-8")
    for i, v in enumerate(values.tolist()):
        where = f"{name}: row {i + 1}, column {column!r}"
        if isinstance(v, bool | int | float) and not (isinstance(v, float) and math.isnan(v)):
            raise DataError(
                f"{where} holds the number {clip(v)}, not text (the whole column is numbers); "
                "name the column of documents with --text-column."
            )
        if not isinstance(v, str):
            raise DataError(f"{where} is empty or not text; fill it or remove the row.")
        docs.append(decode_document(v.encode("utf-8"), where, "utf-8"))
        if misread.on:  # the cell's own bytes, as the file holds them
            misread.see(v.encode(settings["encoding"], "replace"), f"row {i + 1}")
    misread.say(name)
    labels = label_values(frame, name, label, require_labels)
    names = row_names(len(docs))
    ds = documents_dataset(docs, labels, names, name, options, spec, f"label column {label!r}")
    if spec is None:  # evaluate and report read the same label column by default
        ds = replace(ds, spec=replace(ds.spec, label_column=label))
        _say_unread_columns(name, frame, column, label)
    return ds


def _say_unread_columns(name: str, frame: Any, column: str, label: str) -> None:
    """A text model reads the documents only: the table's other columns are not features."""
    if name.lower().endswith(".csv"):
        columns = list(frame.columns)
    else:  # Parquet: only the two columns were read; the schema names the rest
        import pyarrow.parquet as pq

        columns = pq.read_schema(name).names
    unread = [c for c in columns if c not in (column, label)]
    if unread:
        warnings.warn(
            f"{name}: a text model reads only the documents in column {column!r}; the other "
            f"column(s) {quoted(unread, 3)} are not used — remove them from the file to "
            "silence this, or train a table model on them without --text-column.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def snippet(text: str, length: int = 160) -> str:
    """The start of a document on one line, for reports."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
