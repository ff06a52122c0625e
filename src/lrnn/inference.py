"""The one prediction path: a saved model, its preprocessing spec and decoded inputs → records.

``lrnn predict``, ``lrnn serve`` and the self-check of ``lrnn export`` all go through
:func:`predict_records`, so the three cannot drift apart: a probability the server returns is
the same float, bit for bit, as the one ``lrnn predict --json`` prints for the same input, and
the ONNX graph is checked against it before it is written.

A record is ``{"name", "probability", "label", "probabilities"}``. For a two-class model
(the sigmoid neuron) ``probability`` is P(``classes[1]``) (the positive class) and ``label`` the
class chosen by the threshold (``probability > threshold``). For a K-class model (a softmax
layer) ``label`` is the most probable class and ``probability`` its probability. Either way
``probabilities`` maps every class to its probability (in ``classes`` order, or the ``top`` most
probable first when asked), so clients that read the binary fields keep working.

This module also turns raw request bodies into the same decoded inputs the command line gets
from files: :func:`decode_images` runs each upload through the very decoder (and size checks)
``lrnn.data`` uses for image files, and :func:`table_rows` builds a table from JSON rows or
columns and applies the model's standardisation.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lrnn import data, objective, persist
from lrnn.data import images as image_io
from lrnn.data import limits
from lrnn.data.checks import clip, quoted
from lrnn.errors import DataError, UsageError

#: What a prediction record holds, in this order.
RECORD_KEYS = ("name", "probability", "label", "probabilities")


@dataclass(frozen=True)
class Predictor:
    """A loaded model with its parsed preprocessing spec: everything prediction needs."""

    model: persist.ModelFile
    spec: data.Preprocessing
    source: str = ""

    @classmethod
    def load(cls, path: str | Path) -> Predictor:
        """Read and check a model file (see :func:`lrnn.persist.load_model`)."""
        from lrnn.data.text import model_spec

        model = persist.load_model(path)
        return cls(model, model_spec(model, str(path)), str(path))

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.model.classes)

    @property
    def n_features(self) -> int:
        return int(np.asarray(self.model.w).shape[0])

    def positive_probability(self, X: np.ndarray) -> np.ndarray:
        """σ(scale · X w + b) for already preprocessed rows ``X``: P(classes[1]) of a
        two-class model (a softmax layer has no positive class: see :func:`probabilities`).
        Preprocessed as the model's spec leaves them for ``scale``: a picture model's rows are
        the raw 0–255 pixels, flattened (``scale`` is the 1/255; pixels divided already give
        probabilities near 0.5), a standardized table's rows are standardized."""
        if np.asarray(self.model.w).ndim == 2:
            raise UsageError(
                f"this model has {len(self.classes)} classes and no positive class; "
                "lrnn.inference.probabilities(model, spec, X) gives each class's probability."
            )
        X = _rows(self.model, X)
        pictures = self.spec.kind == "image" and self.spec.scale != 1.0
        fractions = pictures and X.dtype.kind == "f" and X.size and np.any(X != np.round(X))
        if fractions and float(np.max(np.abs(X))) <= 1.0:
            warnings.warn(  # the lesson's X / 255, divided again by the model's scale
                f"every value is within [-1, 1], as if the pixels were divided by 255 already; "
                f"{self.source or 'this model'} divides them itself (scale "
                f"{self.spec.scale:.6g}): pass the raw 0-255 pixels, else every probability "
                "is near the bias's.",
                UserWarning,
                stacklevel=2,
            )
        return objective.sigmoid(logits(self.model.w, self.model.b, X, self.spec.scale))

    def records(
        self, ds: data.Dataset, threshold: float | None = None
    ) -> list[dict[str, str | float]]:
        """One record per example of ``ds`` (as loaded by :mod:`lrnn.data` with this spec)."""
        if not isinstance(ds, data.Dataset):  # an array: "has no attribute 'spec'"
            raise UsageError(
                f"records takes a Dataset, got {type(ds).__name__}; load the inputs with "
                "lrnn.data.load_inputs(paths, predictor.spec), or score rows already prepared "
                "with positive_probability(X)."
            )
        if ds.spec is not self.spec and ds.spec != self.spec:  # scored unstandardized: wrong
            raise UsageError(  # labels for 359 of 569 rows, without a word
                f"the data {ds.source} was prepared otherwise than {self.source or 'this model'}"
                " prepares its inputs (its scaling, columns or vocabulary); load it with "
                "lrnn.data.load_inputs(path, predictor.spec)."
            )
        return predict_records(self.model, self.spec, ds, threshold)

    def predict_documents(
        self, documents: Sequence[str], threshold: float | None = None
    ) -> list[dict[str, Any]]:
        """One record per document of raw text, as ``lrnn predict -`` prints them for one
        document per line: the model's own vectorizer (vocabulary, IDF, n-grams, saved in the
        file) makes the features, so a text model needs no preprocessing from its caller.
        Documents are named ``document 1``, ``document 2``, …"""
        if self.spec.kind != "text":
            raise UsageError(
                f"{self.source or 'this model'} was trained on {self.spec.kind} data, not text; "
                "load that data with lrnn.data.load_inputs and pass it to records()."
            )
        if isinstance(documents, str | bytes):  # a string is a sequence of one-letter documents
            raise UsageError(
                "predict_documents takes a list of documents, not one string; "
                "wrap it: predict_documents([text])."
            )
        # a dict would give its keys (the server's {"documents": [...]} scored "documents"),
        # a set an order that names none of the caller's documents
        ordered = not isinstance(documents, Mapping | Set) and isinstance(documents, Iterable)
        if not ordered:
            raise UsageError(
                f"predict_documents takes a list of documents (strings, in order), not a "
                f"{type(documents).__name__}; give e.g. predict_documents([text, ...])."
            )
        texts = list(documents)
        if not texts:
            raise UsageError("predict_documents: no documents; give a list of strings.")
        odd = next((i for i, d in enumerate(texts, 1) if not isinstance(d, str)), None)
        if odd is not None:
            kind = type(texts[odd - 1]).__name__
            hint = " (decode bytes first: data.decode('utf-8'))" if kind == "bytes" else ""
            raise UsageError(f"document {odd} is a {kind}, not a string; give text{hint}.")
        ds = text_documents(checked_documents(texts, "remove it"), self.spec, "predict_documents")
        return self.records(ds, threshold)

    def explained_classes(self, ds: data.Dataset) -> np.ndarray:
        """The class index :meth:`contributions` explains for each example: the positive
        class for the sigmoid neuron, the predicted class for a softmax layer."""
        if np.asarray(self.model.w).ndim == 1:
            return np.ones(ds.X.shape[0], dtype=np.intp)
        return np.argmax(probabilities(self.model, self.spec, ds.X), axis=1)

    def contributions(
        self, ds: data.Dataset, explained: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``scale · w ⊙ x`` per example and feature — how much each input moved the logit of
        the class explained — and that class's bias, per example.

        Their row sum plus the bias is the logit. The class explained is ``classes[1]`` for the
        sigmoid neuron (positive entries push towards it) and each example's predicted class for
        a softmax layer (its column of W): ``explained`` when the caller has them already.
        """
        w = np.asarray(self.model.w, dtype=np.float64)
        rows = ds.X.toarray() if hasattr(ds.X, "toarray") else ds.X  # one request's rows
        X = np.asarray(rows, dtype=np.float64)
        if w.ndim == 1:
            return X * (w * self.spec.scale), np.full(X.shape[0], float(self.model.b))
        chosen = self.explained_classes(ds) if explained is None else explained
        bias = np.asarray(self.model.b, dtype=np.float64)[chosen]
        return X * (w[:, chosen].T * self.spec.scale), bias


def row_namer(ds: data.Dataset) -> Callable[[int], str]:
    """A row of ``ds`` as an error should name it: its file and the name ``lrnn predict``
    prints for it ("big.csv: row 2"), not its index from 0."""
    names = ds.names
    return lambda i: f"{ds.source}: {names[i] if i < len(names) else f'row {i + 1}'}"


def logits(
    w: np.ndarray, b: Any, X: Any, scale: float, name_row: Callable[[int], str] | None = None
) -> np.ndarray:
    """The one place that picks how logits are computed for a model's weights and rows: (m, K)
    for a softmax layer (w (n, K), b (K,)), (m,) for the sigmoid neuron — sparse rows (text,
    svmlight) without densifying them, dense rows through :func:`lrnn.objective.logits`.
    ``name_row`` names a row whose logit is not finite (see :func:`row_namer`)."""
    w = objective.weights_for_rows(np.asarray(w), X)
    if not isinstance(X, np.ndarray):  # a Predictor may be handed any matrix, not only lrnn's
        from lrnn.backends.sparse_backend import check_structure

        check_structure(X)
    with np.errstate(over="ignore", invalid="ignore"):  # said once, below, not as warnings
        if w.ndim == 2:
            from lrnn import softmax

            z = softmax.logits(w, np.asarray(b, dtype=w.dtype), X, scale)
        elif not isinstance(X, np.ndarray):
            from lrnn.backends.sparse_backend import logits as sparse_logits

            z = sparse_logits(w, float(b), X, scale)
        else:
            z = objective.logits(w, float(b), X, scale)
    return objective.require_finite_logits(z, w, name_row)


def probabilities(model: persist.ModelFile, spec: data.Preprocessing, X: np.ndarray) -> Any:
    """P(class) for preprocessed rows ``X``: (m,) P(classes[1]) for the sigmoid neuron,
    (m, K) softmax probabilities for a softmax layer."""
    z = logits(model.w, model.b, _rows(model, X), spec.scale)
    if z.ndim == 2:
        from lrnn import softmax

        return softmax.softmax(z)
    return objective.sigmoid(z)


def _rows(model: persist.ModelFile, X: Any) -> Any:
    """``X`` as rows the model scores: 2-D (a single row of 64 values gave 64 probabilities
    of one number each), as wide as the model's weights; sparse rows as they are."""
    if not hasattr(X, "tocsr"):  # scipy's sparse matrices and arrays have it
        X = np.asarray(X)
    width = np.asarray(model.w).shape[0]
    if X.ndim != 2:
        raise UsageError(
            f"X must be 2-D, one row per example; got shape {X.shape}"
            + (" (one example: X.reshape(1, -1))." if X.ndim == 1 else ".")
        )
    if X.shape[1] != width:
        raise UsageError(
            f"X has {X.shape[1]} features per row, the model takes {width}; give rows "
            "prepared as the model's inputs (lrnn.data.load_inputs(path, predictor.spec).X)."
        )
    return X


def threshold_problem(threshold: Any, n_classes: int) -> str | None:
    """What is wrong with a decision threshold (None: nothing), for ``--threshold``, serve's
    ``?threshold=`` and Python callers alike: a NaN labelled every example with the first
    class, and a softmax layer ignored it."""
    if threshold is None:
        return None
    if n_classes > 2:
        return (
            f"a threshold applies to two-class models only (this one has {n_classes} classes "
            "and predicts the most probable)"
        )
    real = isinstance(threshold, int | float | np.integer | np.floating)
    if not (real and not isinstance(threshold, bool) and 0 <= threshold <= 1):
        return "not a number between 0 and 1"
    return None


def _check_threshold(threshold: Any, n_classes: int) -> None:
    problem = threshold_problem(threshold, n_classes)
    if problem is not None:
        way_out = "leave it out" if n_classes > 2 else "give one"
        raise UsageError(f"threshold={threshold!r}: {problem}; {way_out}.")


def predict_records(
    model: persist.ModelFile,
    spec: data.Preprocessing,
    ds: data.Dataset,
    threshold: float | None = None,
    top: int | None = None,
) -> list[dict[str, Any]]:
    """Records for every example of ``ds`` (see the module docstring).

    Two classes: ``threshold`` defaults to the model's stored one; the label is ``classes[1]``
    when the probability is strictly above it. K classes: the most probable class (a
    threshold does not apply). ``top`` keeps the ``top`` most probable classes in
    ``probabilities``, most probable first.
    """
    return list(iter_records(model, spec, ds, threshold, top))


def iter_records(
    model: persist.ModelFile,
    spec: data.Preprocessing,
    ds: data.Dataset,
    threshold: float | None = None,
    top: int | None = None,
) -> Iterator[dict[str, Any]]:
    """:func:`predict_records` one record at a time, for a caller that writes each as it
    comes: a table of millions of rows made a list of dicts of about 650 bytes a row. The
    checks and the probabilities are made before this returns, so a refusal comes before any
    record."""
    data.check_width(ds, np.asarray(model.w).shape[0])
    _check_threshold(threshold, len(model.classes))
    z = logits(model.w, model.b, ds.X, spec.scale, row_namer(ds))
    classes = list(model.classes)
    if z.ndim == 2:
        from lrnn import softmax

        p = softmax.softmax(z)
        chosen = np.argmax(p, axis=1)
        return (
            {
                "name": name,
                "probability": float(row[k]),
                "label": classes[k],
                "probabilities": _by_class(classes, row, top),
            }
            for name, row, k in zip(ds.names, p, chosen, strict=True)
        )
    t = model.threshold if threshold is None else threshold
    # P(classes[0]) is σ(−z), not 1 − σ(z): a probability of 1e-20 keeps its digits (1 − σ(z)
    # would round to 0), and it is what the exported ONNX graph computes
    p, p_first = objective.sigmoid(z), objective.sigmoid(-z)
    return (
        {
            "name": name,
            "probability": float(q),
            "label": classes[1] if q > t else classes[0],
            "probabilities": _by_class(classes, (float(q0), float(q)), top),
        }
        for name, q, q0 in zip(ds.names, p, p_first, strict=True)
    )


def _by_class(classes: list[str], row: Any, top: int | None) -> dict[str, float]:
    if top is None:
        return {c: float(v) for c, v in zip(classes, row, strict=True)}
    order = np.argsort(-np.asarray(row, dtype=np.float64), kind="stable")[:top]
    return {classes[k]: float(row[k]) for k in order}


# --------------------------------------------------------------------------------------------
# Inputs that arrive as bytes or JSON rather than as files


class _NamedBytes(io.BytesIO):
    """An in-memory file whose ``str`` is the name the client gave it.

    :mod:`lrnn.data`'s image decoder formats its argument into its error messages; handing it
    this object instead of a path makes an upload fail with the same one-line messages (and the
    same size checks) as a file on disk would, naming the upload.
    """

    def __init__(self, blob: bytes, name: str) -> None:
        super().__init__(blob)
        self._name = name

    def __str__(self) -> str:
        return self._name

    __format__ = object.__format__  # format() → str() → the name


def decode_images(blobs: Sequence[tuple[str, bytes]], spec: data.Preprocessing) -> data.Dataset:
    """``(name, encoded image bytes)`` pairs → a Dataset exactly as ``lrnn predict`` builds it.

    Every image goes through :mod:`lrnn.data`'s decoder: pixel count checked from the header
    before decoding (decompression bombs), EXIF orientation, conversion to the model's mode and
    bilinear resize to the model's size.
    """
    if spec.kind != "image":
        raise DataError(
            f"the model was trained on {spec.kind} data, not images; send JSON rows instead."
        )
    if not blobs:
        raise DataError("no image in the request; send one image or a multipart upload.")
    mode, size = image_io.image_target(spec, None)
    h, w, c = spec.image_shape  # type: ignore[misc]
    # Every picture may have up to MAX_IMAGE_PIXELS, but not all of a request's together: one
    # upload of many huge pictures would cost a worker minutes of decoding.
    declared = sum(image_io.declared_pixels(blob) for _, blob in blobs)
    if declared > limits.MAX_IMAGE_PIXELS:
        raise DataError(
            f"the request's {len(blobs)} pictures hold {declared / 1e6:.0f} megapixels "
            f"together, more than one request may ({limits.MAX_IMAGE_PIXELS / 1e6:.0f}); send "
            "fewer or smaller pictures per request."
        )
    raw = np.empty((len(blobs), h, w, c), dtype=np.uint8)
    notes: list[str] = []  # the answer's warnings: a client sees no server log
    for i, (name, blob) in enumerate(blobs):
        if not blob:
            raise DataError(f"{name}: the image is empty (0 bytes); send the file's contents.")
        raw[i] = image_io.read_image(_NamedBytes(blob, name), mode, size, notes)  # type: ignore[arg-type]
    names = [name for name, _ in blobs]
    ds = image_io.image_dataset(raw, None, None, names, ", ".join(names[:3]))
    ds.notes = notes
    return ds


#: Documents in one request to a text model.
MAX_DOCUMENTS_PER_REQUEST = 1000


def text_lines(
    body: bytes, spec: data.Preprocessing, charset: str | None = None
) -> tuple[list[str], list[str]]:
    """A text/plain body: one document per line (as ``lrnn predict -`` reads standard input),
    each checked like a document file (size, binary data, emptiness), decoded by the body's
    own ``charset`` when it names one, else by the model's encoding; with what the command
    line would warn of (UTF-8 lines read in a model's one-byte encoding, unnamed)."""
    from lrnn.data.checks import Utf8ReadAsOneByte, bom_encoding
    from lrnn.data.text import decode_document, is_wide, known_encoding, wide_lines
    from lrnn.data.text_stdin import cr_ended

    if charset is not None and not known_encoding(charset):
        raise DataError(f"charset={charset!r} is not a text encoding; name one, e.g. utf-8.")
    encoding = charset or spec.text["encoding"]
    marked = bom_encoding(body[:4])  # a UTF-16/32 byte-order mark: split as that encoding
    if marked is not None and is_wide(marked):
        encoding = marked
    fix = "send UTF-8, or name the body's encoding: Content-Type: text/plain; charset=latin-1"
    if is_wide(encoding):  # split after decoding: a 0x0a byte is half of many characters
        try:  # the whole body at once (each line is held to a document's size below)
            text = body.decode(encoding)
        except UnicodeError as e:
            raise DataError(f"the body is not valid {encoding} text ({e}); {fix}.") from e
        lines = wide_lines(text, encoding)
    else:
        # at line feeds only (a CR before one is dropped), as `lrnn predict -` reads its input:
        # bytes.splitlines() also split at a lone CR, so the two read one body differently
        lines = [line.removesuffix(b"\r") for line in body.split(b"\n")]
        if lines and not lines[-1]:  # the break that ends the last line
            lines.pop()
    _check_count(len(lines))
    wide = "charset=utf-16 in Content-Type"  # a served body names its encoding in its header
    misread = Utf8ReadAsOneByte(encoding if charset is None else "utf-8")  # (a named one: meant)
    docs = []
    for i, line in enumerate(lines, 1):
        docs.append(decode_document(line, f"line {i}", encoding, fix, wide))
        misread.see(line, f"line {i}")
    said = misread.message("send Content-Type: text/plain; charset=utf-8")
    notes = [] if said is None else [said]
    if cr_ended(docs):  # as `lrnn predict -` says it
        notes.append(
            "the body is one line that holds carriage returns (CR) but no line feed, so it is "
            "read as one document; if each CR ends a document, end them with line feeds (\\n)."
        )
    return docs, notes


def json_documents(payload: Any) -> list[str]:
    """JSON ``{"documents": ["…", …]}``: non-empty strings."""
    docs = payload.get("documents") if isinstance(payload, dict) else None
    if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs):
        raise DataError(
            'a text model takes JSON {"documents": ["…", …]} (a list of strings); fix the body.'
        )
    _refuse_unknown_keys(payload, ("documents",))
    _check_count(len(docs), 'send {"documents": ["…", …]} with one or more')
    return checked_documents(docs)


def checked_documents(docs: list[str], way_out: str = "send the text as UTF-8") -> list[str]:
    """Strings checked as document files are (no binary data, not empty), each named by its
    place: ``document 1``, …; ``way_out`` ends the refusal of a lone surrogate (a request
    sends UTF-8; a Python caller gives text)."""
    from lrnn.data.text import decode_document

    for i, d in enumerate(docs, 1):
        bad = next((c for c in d if "\ud800" <= c <= "\udfff"), None)
        if bad is not None:  # valid JSON (an escape), but not text
            raise DataError(
                f"document {i}: holds a lone surrogate ({bad.encode('unicode_escape').decode()}), "
                f"which is not a character; {way_out}."
            )
    return [
        decode_document(d.encode(), f"document {i}", "utf-8", "send the documents as text")
        for i, d in enumerate(docs, 1)
    ]


#: Rows of a table in one request: each costs Python work in parsing and in its answer.
MAX_ROWS_PER_REQUEST = 10_000


def _check_rows(n: int) -> None:
    if n > MAX_ROWS_PER_REQUEST:
        raise DataError(
            f"{n} rows in one request, over the limit of {MAX_ROWS_PER_REQUEST}; send them in "
            "several requests (or score a file with lrnn predict)."
        )


def _check_count(n: int, way: str = "send one document per line") -> None:
    if n == 0:
        raise DataError(f"no documents in the request; {way}.")
    if n > MAX_DOCUMENTS_PER_REQUEST:
        raise DataError(
            f"{n} documents in one request, over the limit of {MAX_DOCUMENTS_PER_REQUEST}; "
            "send them in several requests."
        )


def text_documents(
    texts: list[str],
    spec: data.Preprocessing,
    source: str = "the request",
    notes: Sequence[str] = (),
) -> data.Dataset:
    """Checked documents → TF-IDF rows by the model's own vectorizer, named ``document N``;
    ``source`` is what messages call them (a request to the server, or a Python call), and
    ``notes`` what reading them found to say (the server relays them as warnings)."""
    from lrnn.data.text import documents_dataset

    names = [f"document {i}" for i in range(1, len(texts) + 1)]
    ds = documents_dataset(texts, None, names, source, None, spec)
    ds.notes.extend(notes)
    return ds


def table_rows(payload: Any, spec: data.Preprocessing, n_features: int) -> data.Dataset:
    """JSON ``{"rows": [[…], …]}`` or ``{"columns": {name: […], …}}`` → a preprocessed Dataset.

    Rows are named ``row 1``, ``row 2``, … as ``lrnn predict`` names the rows of a table file;
    ``columns`` needs every feature the model was trained on (extra columns are ignored, as in
    a CSV file). Values must be finite numbers.
    """
    if spec.kind == "image":
        raise DataError(
            "the model was trained on images; send an image (raw body or multipart upload), "
            "not JSON."
        )
    # pandas' to_json(orient="records"): a list of objects (a bare list of lists stays refused:
    # one row or many, it cannot say)
    if isinstance(payload, list) and payload and all(isinstance(r, Mapping) for r in payload):
        payload = {"rows": payload}
    if not isinstance(payload, Mapping) or not ({"rows", "columns"} & set(payload)):
        bare = isinstance(payload, list) and payload and all(isinstance(r, list) for r in payload)
        why = (  # a list of lists cannot say whether it is one row or many
            ' (a bare list of lists is not read: it cannot tell one row from many; send {"rows": '
            "[[…], …]})"
            if bare
            else ""
        )
        raise DataError(
            'the JSON body must be an object with "rows" (a list of rows: lists of numbers, '
            'or objects of feature name → number) or "columns" (feature name → list of '
            f"numbers), or a list of row objects (feature name → number){why}; fix the request."
        )
    if "rows" in payload and "columns" in payload:
        raise DataError('give either "rows" or "columns", not both; fix the request.')
    _refuse_unknown_keys(payload, ("rows", "columns"))
    names = list(spec.feature_names) if spec.feature_names is not None else None
    if "rows" in payload:
        rows = payload["rows"]
        if not isinstance(rows, list):
            raise DataError(
                f'"rows" must be a list of rows, not {_json_kind(rows)}; send [[…], …] '
                "(one row: [[…]]), or give a single object of feature name → number as [{…}]."
            )
        if not rows:
            raise DataError('"rows" must be a non-empty list of rows; send at least one row.')
        _check_rows(len(rows))
        rows = [
            _by_name(row, i, names) if isinstance(row, Mapping) else row
            for i, row in enumerate(rows)
        ]
        for i, row in enumerate(rows):
            if not isinstance(row, list):
                raise DataError(
                    f'"rows"[{i}] is neither a list nor an object; send each row as a list of '
                    "numbers, or as an object of feature name → number."
                )
            if len(row) != n_features:
                raise DataError(
                    f'"rows"[{i}] has {len(row)} values but the model takes {n_features} '
                    f"features{_feature_hint(names)}; send rows of {n_features} numbers."
                )
        table = [[_number(v, i, j, names) for j, v in enumerate(row)] for i, row in enumerate(rows)]
        X = np.array(table, dtype=np.float64).reshape(len(rows), n_features)
    else:
        columns = payload["columns"]
        if names is None:
            raise DataError(
                'this model has no feature names, so "columns" cannot be matched; send "rows".'
            )
        if not isinstance(columns, Mapping):
            raise DataError('"columns" must be an object: feature name → list of numbers.')
        absent = [n for n in names if n not in columns]
        if absent:
            raise DataError(
                f'"columns" lacks feature(s) {quoted(absent)} that the model was trained '
                "on; add them (extra columns are ignored)."
            )
        lengths = {len(v) if isinstance(v, list) else -1 for v in (columns[n] for n in names)}
        _check_rows(max(lengths))
        if -1 in lengths or len(lengths) != 1 or 0 in lengths:
            raise DataError(
                '"columns" must map each feature to a non-empty list, all of the same length; '
                "fix the request."
            )
        m = lengths.pop()
        X = np.empty((m, len(names)), dtype=np.float64)
        for j, n in enumerate(names):
            for i, v in enumerate(columns[n]):
                X[i, j] = _number(v, i, j, names)
    names_out = data.row_names(X.shape[0])
    rows = spec.transform(X)
    if spec.kind == "svmlight":  # scored by the sparse kernel, as lrnn predict scores the file
        import scipy.sparse as sp  # (a dense product sums in another order: other last bits)

        rows = sp.csr_matrix(rows)
    return data.Dataset(rows, None, None, names_out, spec, "the request")  # as text_documents


def _by_name(row: Mapping, i: int, names: list[str] | None) -> list[Any]:
    """A row sent as an object (feature name → value, as a record of pandas' to_json) as the
    list of its values in the model's feature order; other keys are ignored, as a CSV's extra
    columns are."""
    if names is None:
        raise DataError(
            f'"rows"[{i}] is an object, but this model has no feature names to match its keys; '
            "send each row as a list of numbers."
        )
    absent = [n for n in names if n not in row]
    if absent:
        raise DataError(
            f'"rows"[{i}] lacks feature(s) {quoted(absent)} that the model was trained on; add '
            "them (extra keys are ignored)."
        )
    return [row[n] for n in names]


def _json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words (the request's author wrote JSON, not Python)."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return "a number"


def _refuse_unknown_keys(payload: Mapping, known: tuple[str, ...]) -> None:
    """A key the API does not read is refused, not ignored: a "threshold" put in the body
    would otherwise be silently replaced by the model's own."""
    unknown = sorted(set(payload) - set(known))
    if unknown:
        raise DataError(
            f"the JSON body has the key(s) {quoted(unknown, 5)}, which this API does not read "
            f"(it reads {' or '.join(repr(k) for k in known)}); options such as threshold and "
            "explain go in the query string: POST /predict?threshold=0.9."
        )


def _feature_hint(names: list[str] | None) -> str:
    return "" if names is None else f" ({quoted(names, 5)})"


def _number(v: Any, row: int, col: int, names: list[str] | None) -> float:
    """One JSON value as a finite float, or a DataError naming row and column."""
    value = None
    if isinstance(v, int | float) and not isinstance(v, bool):
        try:
            value = float(v)
        except OverflowError:  # an integer beyond float range
            value = None
    if value is None or not math.isfinite(value):
        where = f"column '{names[col]}'" if names is not None else f"column {col + 1}"
        beyond = isinstance(v, float) and math.isinf(v) or value is None and type(v) is int
        if beyond:
            raise DataError(  # JSON has no infinity: a number such as 1e400 was read as one
                f"row {row + 1}, {where}: a number beyond float64's range (about 1.8e308); "
                "features must be finite numbers — fix the value."
            )
        raise DataError(
            f"row {row + 1}, {where}: {clip(_as_json(v))} is not a finite number; features "
            "must be numbers — fix the value."
        )
    return value


def _as_json(v: Any) -> str:
    """A JSON value as the client wrote it (true, null, "x"), for messages about it."""
    try:
        return json.dumps(v)
    except (TypeError, ValueError):
        return repr(v)
