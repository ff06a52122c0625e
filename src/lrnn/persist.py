"""Model and checkpoint files: safetensors containers, validated before they are trusted.

A model file is a safetensors file with two tensors, ``w`` ``(n,)`` and ``b`` ``(1,)``, and one
metadata key, ``"lrnn"``, whose value is a JSON object: format name and version, the lrnn
version that wrote it, class names, threshold, preprocessing spec, feature names, training
summary and manifest. That is a sigmoid neuron (two classes), written as format version 1 —
byte for byte what earlier versions wrote, so they still read it. A softmax layer (K ≥ 3
classes) is format version 2: ``w`` ``(n, K)`` (one column per class, in ``classes`` order),
``b`` ``(K,)`` and ``"kind": "softmax layer"`` in the metadata; a file without ``kind`` is a
sigmoid neuron. A checkpoint is the same container with any named tensors and a free
metadata dict (``"format": "lrnn-checkpoint"``).

Why this shape: safetensors holds raw numbers only, so loading never runs code (a pickle does);
the JSON metadata is readable with any tool; and the header is checked by hand *before* a
data byte is read — dtypes, shapes, spans that tile the data end to end — so a hostile or
truncated file fails with a one-line :class:`ModelFileError` instead of an allocation of
whatever size the file declares. The checked data is read once, and each tensor is a view of
it (the safetensors library writes the files).

Writes are atomic: a temporary file in the same folder, fsync, rename, fsync the folder. A
crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lrnn._version import __version__
from lrnn.errors import (
    LrnnError,
    ModelFileError,
    RepeatedKey,
    UsageError,
    clipped_repr,
    given_path,
    json_once_each,
    printable,
)
from lrnn.files import atomic_write_bytes, keep_others_files, not_a_regular_file
from lrnn.model_meta import MAX_HISTORY_ROWS, check_model_meta, check_text_model, checked_idf

#: The newest format this version reads (and writes for softmax layers).
FORMAT_VERSION = 2
#: What a sigmoid neuron's file (and a checkpoint) is written as: unchanged since version 1.
SIGMOID_FORMAT_VERSION = 1
SIGMOID, SOFTMAX = "sigmoid neuron", "softmax layer"
MODEL_FORMAT = "lrnn-model"
CHECKPOINT_FORMAT = "lrnn-checkpoint"

#: Largest JSON header accepted (safetensors itself uses 100 MB; lrnn's headers are tiny).
MAX_HEADER_BYTES = 16 * 2**20
#: Largest total of tensor bytes a file may declare.
MAX_TENSOR_BYTES = 4 * 2**30
#: Most axes of a tensor in a model or checkpoint file (see _check_entries).
MAX_TENSOR_AXES = 3

#: The way out of a damaged file, for models and checkpoints alike.
_DAMAGED = "use an intact copy or write the file again (retrain)"

#: safetensors dtype → numpy dtype, for the dtypes lrnn writes; anything else is refused.
_DTYPES = {
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"),
    "U8": np.dtype("u1"),
}


@dataclass
class ModelFile:
    """Everything a trained neuron needs to predict, and what is worth knowing about it."""

    w: np.ndarray  # (n,) float32 or float64; a softmax layer's (n, K)
    b: Any  # a float; a softmax layer's (K,) array
    classes: tuple[str, ...]  # two: classes[1] is the positive class; or K ≥ 3
    threshold: float = 0.5
    preprocessing: dict = field(default_factory=dict)  # Preprocessing.to_dict()
    feature_names: list[str] | None = None
    training: dict = field(default_factory=dict)  # iterations, learning rate, costs, solver, ...
    manifest: dict = field(default_factory=dict)  # versions, seed, data sha256, ...
    #: the run's recorded history (columns of numbers), so a report always has a learning curve
    history: dict[str, list[float]] | None = None
    #: text models: the IDF weight of each feature (their vocabulary is ``feature_names``);
    #: stored as the optional tensor ``idf``, so older model files load as before
    idf: np.ndarray | None = None


# --------------------------------------------------------------------------------------------
# Models


#: Room in a model's header for everything but its names (settings, manifest, history).
_HEADER_ROOM_FOR_THE_REST = 2**20


def names_problem(feature_names: Any, classes: Any) -> str | None:
    """Why a model with these feature and class names could not be read back (its header,
    which holds the names twice, would pass :data:`MAX_HEADER_BYTES`), with the way out."""
    size = len(json.dumps(list(classes or ())))
    if feature_names:
        size += 2 * len(json.dumps(list(feature_names)))
    if size + _HEADER_ROOM_FOR_THE_REST <= MAX_HEADER_BYTES:
        return None
    return (
        f"the model's feature and class names take {size / 2**20:.1f} MiB, more than a model "
        f"file's header holds ({MAX_HEADER_BYTES // 2**20} MiB); use shorter column names, or "
        "fewer features (for text: --max-features, a larger --min-df, or --hashing)."
    )


def save_model(path: str | os.PathLike, model: ModelFile) -> None:
    """Write ``model`` to ``path`` atomically (the old file survives any failure). A file
    there is replaced only when it is an lrnn model, as the command line's outputs are."""
    if isinstance(path, ModelFile) or not isinstance(model, ModelFile):
        raise UsageError(
            f"save_model(path, model) takes a path and a ModelFile, got "
            f"{type(path).__name__} and {type(model).__name__}; for a fitted LogisticNeuron "
            "use its save(path)."
        )
    name = os.fspath(path)
    keep_others_files(name, "model")  # a data file given as the path became a model
    w = np.asarray(model.w)
    layer = w.ndim == 2
    b = np.asarray(model.b, dtype=np.float64).reshape(-1)
    if not layer and b.size != 1:
        raise UsageError(
            f"{name}: a two-class model's b is one number, got shape {np.shape(model.b)}; "
            "pass the trained bias."
        )
    b = b if layer else float(b[0])  # the course API's b may be a one-element array
    if w.ndim not in (1, 2) or w.dtype not in (np.float32, np.float64) or w.size == 0:
        raise UsageError(
            f"{name}: w must be a non-empty 1-D (or, for K classes, (n, K)) float32 or float64 "
            f"array, got shape {w.shape} and dtype {w.dtype}; pass the trained weights."
        )
    if layer and np.shape(b) != (w.shape[1],):
        raise UsageError(
            f"{name}: a softmax layer's b needs {w.shape[1]} values (one per class), got "
            f"shape {np.shape(b)}; pass the trained biases."
        )
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise UsageError(
            f"{name}: the weights are not all finite (training diverged?); lower the learning "
            "rate and retrain before saving."
        )
    meta = {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION if layer else SIGMOID_FORMAT_VERSION,
        "lrnn_version": __version__,
        **({"kind": SOFTMAX} if layer else {}),
        "classes": list(model.classes),
        "threshold": model.threshold,
        "preprocessing": model.preprocessing,
        "feature_names": None if model.feature_names is None else list(model.feature_names),
        "training": model.training,
        "manifest": model.manifest,
    }
    if model.history is not None:
        meta["history"] = _thinned(model.history)
    meta = _jsonable(meta, name, "model")
    check_model_meta(meta, w, name, error=UsageError)
    bias = b if layer else np.array([b], dtype=np.float64)
    tensors = {"w": np.ascontiguousarray(w), "b": bias}
    if model.idf is not None:
        tensors["idf"] = np.ascontiguousarray(model.idf, dtype=np.float64)
    _write(name, tensors, meta)


def load_model(path: str | os.PathLike) -> ModelFile:
    """Read a model file written by :func:`save_model`, checking everything before use."""
    name = given_path(path, "the model", "model.safetensors")
    checked: list[bool] = []  # whether the metadata was checked before the data was read
    tensors, meta = _read(
        name, MODEL_FORMAT, lambda entries, meta: checked.append(_fits(name, entries, meta))
    )
    if set(tensors) - {"idf"} != {"w", "b"}:
        raise ModelFileError(
            f"{name}: a model holds tensors 'w' and 'b', this file holds "
            f"{', '.join(map(repr, sorted(tensors))) or 'none'}; it is not an lrnn model."
        )
    w, b = tensors["w"], tensors["b"]
    kind = meta.get("kind", SIGMOID)
    if kind not in (SIGMOID, SOFTMAX):
        raise ModelFileError(
            f"{name}: the model's kind {str(kind)[:40]!r} is neither {SIGMOID!r} nor "
            f"{SOFTMAX!r}; the file is corrupt — retrain the model."
        )
    layer = kind == SOFTMAX
    want_b = (w.shape[-1],) if layer else (1,)
    if w.ndim != (2 if layer else 1) or w.size == 0 or w.dtype.kind != "f" or b.shape != want_b:
        what = "an (n, K) float array and b K floats" if layer else "a 1-D float array and b a "
        raise ModelFileError(
            f"{name}: w must be {what}{'' if layer else 'single float'}, got shapes {w.shape} "
            f"and {b.shape} of dtype {w.dtype} and {b.dtype}; the file is corrupt — retrain the "
            "model."
        )
    if layer and (w.shape[1] < 3 or meta.get("format_version") == 1):
        # two classes are one sigmoid neuron with a threshold; readers of a "layer" of two
        # took the argmax and ignored the threshold, and one of one failed on an index
        raise ModelFileError(
            f"{name}: a softmax layer has 3 or more classes (lrnn's model format 2), this "
            f"one {w.shape[1]} (format {str(meta.get('format_version'))[:10]}); the file is "
            "corrupt — retrain the model."
        )
    if b.dtype.kind != "f":
        raise ModelFileError(f"{name}: b is not a float array; the file is corrupt — retrain.")
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise ModelFileError(
            f"{name}: the weights contain NaN or infinity; the file is corrupt — retrain the model."
        )
    if not any(checked):  # (once: a text model's 300,000 names took 2 s a check)
        check_model_meta(meta, w, name, error=ModelFileError)
    check_text_model(meta, w, tensors.get("idf"), name)
    return ModelFile(
        w=w,
        b=b.copy() if layer else float(b[0]),
        classes=tuple(meta["classes"]),
        threshold=float(meta["threshold"]),
        preprocessing=meta["preprocessing"],
        feature_names=meta["feature_names"],
        training=meta["training"],
        manifest=meta["manifest"],
        history=None
        if meta.get("history") is None
        else {
            k: [math.nan if v is None else v for v in values]
            for k, values in meta["history"].items()
        },
        idf=checked_idf(tensors.get("idf"), w, name),
    )


def _fits(name: str, entries: dict, meta: dict) -> bool:
    """The metadata checked against the weights' shape as the header declares it, before the
    data is read (a file a few kilobytes on disk, sparse, declared 2 GiB of weights for 64
    features, and predict read all of it before it found the mismatch); False where the
    declared shape is not one a model has (refused once read, in its own words)."""
    shape = entries.get("w", {}).get("shape")
    layer = meta.get("kind", SIGMOID) == SOFTMAX
    if not (isinstance(shape, list) and len(shape) == (2 if layer else 1) and 0 not in shape):
        return False
    declared = np.broadcast_to(np.float64(0), tuple(shape))  # no memory: a shape
    check_model_meta(meta, declared, name, error=ModelFileError)
    return True


def _thinned(history: dict) -> dict[str, list[float]]:
    """The history's columns, thinned to MAX_HISTORY_ROWS rows so a long run stays small."""
    columns = {str(k): list(v) for k, v in history.items()}
    rows = len(next(iter(columns.values()), []))
    if rows <= MAX_HISTORY_ROWS:
        return columns
    keep = np.unique(np.linspace(0, rows - 1, MAX_HISTORY_ROWS).round().astype(int))
    return {k: [v[i] for i in keep] for k, v in columns.items()}


# --------------------------------------------------------------------------------------------
# Checkpoints


def save_checkpoint(
    path: str | os.PathLike, tensors: dict[str, np.ndarray], metadata: dict
) -> None:
    """Write named arrays plus a JSON-able metadata dict atomically (resume state)."""
    name = os.fspath(path)
    arrays: dict[str, np.ndarray] = {}
    allowed = set(_DTYPES.values())
    for key, value in tensors.items():
        a = np.asarray(value)
        if not isinstance(key, str) or key == "__metadata__":
            raise UsageError(f"{name}: tensor name {key!r} is not allowed; use another name.")
        if a.dtype.newbyteorder("<") not in allowed:
            raise UsageError(
                f"{name}: tensor '{key}' has dtype {a.dtype}; checkpoints hold float32, float64, "
                "int64, int32, uint32 or uint8 — convert it first."
            )
        arrays[key] = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<"))
    plain = _jsonable(metadata, name, "checkpoint")
    meta = {
        "format": CHECKPOINT_FORMAT,
        "format_version": SIGMOID_FORMAT_VERSION,
        "lrnn_version": __version__,
        "metadata": plain,
        "tensors_sha256": _tensors_digest(arrays),
        "metadata_sha256": _metadata_digest(plain),
    }
    _write(name, arrays, _jsonable(meta, name, "checkpoint"))


def _metadata_digest(metadata: Any) -> str:
    """SHA-256 of a checkpoint's metadata as canonical JSON: the run's settings, counters and
    history, which a resume continues as much as it does the tensors."""
    text = json.dumps(metadata, sort_keys=True, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _tensors_digest(tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 of a checkpoint's tensors (names, dtypes, shapes, little-endian bytes): a
    resume continues from them bit for bit, so one flipped bit in θ resumed without a word
    to other weights, and damage near the end was "training diverged"."""
    h = hashlib.sha256()
    for key in sorted(tensors):
        a = np.ascontiguousarray(tensors[key], dtype=tensors[key].dtype.newbyteorder("<"))
        h.update(f"{key} {a.dtype.str} {a.shape}\n".encode())
        h.update(a.reshape(-1).view(np.uint8).data)
    return h.hexdigest()


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict]:
    """Read a checkpoint: ``(tensors, metadata)`` as given to :func:`save_checkpoint`."""
    name = os.fspath(path)
    tensors, meta = _read(name, CHECKPOINT_FORMAT)
    # Checkpoints written before these checksums have none (before the metadata's, only the
    # tensors'); one written with both that lacks one has lost it since. They catch damage,
    # not a deliberate edit: anyone can compute a SHA-256 again.
    saved = meta.get("tensors_sha256")
    if saved is None and "metadata_sha256" in meta:
        raise ModelFileError(
            f"{name}: the checkpoint was written with a checksum of its tensors and has lost "
            "it; the file was damaged or edited since — resume from another checkpoint, or "
            "start training again without --resume."
        )
    if saved is not None and saved != _tensors_digest(tensors):
        raise _changed_since(name, "tensors")
    metadata = meta.get("metadata")
    if not isinstance(metadata, dict):
        raise ModelFileError(
            f"{name}: checkpoint metadata is missing or not an object; the file is corrupt — "
            "start training again without --resume."
        )
    saved = meta.get("metadata_sha256")
    if saved is not None and saved != _metadata_digest(metadata):
        raise _changed_since(name, "settings, counters or history")
    return tensors, metadata


def _changed_since(name: str, what: str) -> ModelFileError:
    return ModelFileError(
        f"{name}: the checkpoint's {what} differ from the checksum saved with them; the file "
        "was damaged or edited since it was written — resume from another checkpoint, or start "
        "training again without --resume."
    )


# --------------------------------------------------------------------------------------------
# The container


def _jsonable(obj: Any, name: str, what: str) -> Any:
    """Plain JSON types from numpy scalars/arrays and tuples; NaN/inf become null (strict JSON)."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise UsageError(f"{name}: {what} metadata key {k!r} is not a string.")
            out[k] = _jsonable(v, name, what)
        return out
    if isinstance(obj, list | tuple):
        return [_jsonable(v, name, what) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist(), name, what)
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    raise UsageError(
        f"{name}: cannot store a {type(obj).__name__} in {what} metadata; use numbers, strings, "
        "lists and dicts."
    )


def _write(name: str, tensors: dict[str, np.ndarray], meta: dict) -> None:
    import safetensors.numpy

    text = json.dumps(meta, allow_nan=False)
    if len(text) + 2**16 > MAX_HEADER_BYTES:  # lrnn would refuse to read this file back
        raise UsageError(
            f"{name}: the file's metadata would take {len(text) / 2**20:.1f} MiB, more than "
            f"lrnn reads back ({MAX_HEADER_BYTES // 2**20} MiB); use shorter feature or class "
            "names, or fewer features. Nothing was written."
        )
    data = safetensors.numpy.save(tensors, metadata={"lrnn": text})
    try:
        atomic_write_bytes(name, data)
    except OSError as e:  # the run is done and its output fails (a full disk): exit 1 in the CLI,
        raise LrnnError(  # as for the plot, the history and the report
            f"{name}: cannot write ({e.strerror or _short(e)}); check the folder exists, is "
            "writable and has free space."
        ) from e


def _short(e: BaseException) -> str:
    return " ".join(str(e).split())[:200] or type(e).__name__


def _first_zip_member(f: Any, head: bytes) -> bytes:
    """The name of a zip file's first member, from its local header (nothing decompressed,
    the central directory not read): b"" when the file is no zip."""
    if not head.startswith(b"PK\x03\x04"):
        return b""
    f.seek(26)
    name_length = int.from_bytes(f.read(2), "little")
    f.seek(30)
    return f.read(min(name_length, 256))


def _looks_like_pickle(head: bytes, tail: bytes) -> bool:
    """Pickle protocols 2-5 start with PROTO (0x80, version); PyTorch files are zip archives of
    pickles; protocols 0-1 start with a MARK/GLOBAL/container opcode and end with STOP ('.')."""
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return True
    if head.startswith(b"PK\x03\x04"):
        return True
    return head[:1] in (b"(", b"c", b"]", b"}") and tail.rstrip(b"\r\n").endswith(b".")


def _read(
    name: str, expected_format: str, before_data: Callable[[dict, dict], None] | None = None
) -> tuple[dict[str, np.ndarray], dict]:
    """Validate a safetensors file by hand, then load it; returns (tensors, lrnn metadata).
    ``before_data`` checks the header's entries and the metadata before any data is read."""
    if not os.path.isdir(name) and not_a_regular_file(name):  # opening a FIFO waits forever
        kind = "checkpoint" if expected_format == CHECKPOINT_FORMAT else "model file"
        raise ModelFileError(
            f"{name}: is not a regular file (a pipe, a device or a socket); give a {kind} "
            "saved by lrnn."
        )
    try:
        f = open(name, "rb")  # closed by the with below
    except FileNotFoundError as e:
        raise ModelFileError(f"{name}: no such file; check the path.") from e
    except IsADirectoryError as e:
        raise ModelFileError(f"{name}: is a folder, not a model file; give the file.") from e
    except OSError as e:
        raise ModelFileError(f"{name}: cannot open ({e.strerror or _short(e)}).") from e
    with f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(9)
        looks_safetensors = len(head) == 9 and head[8:9] == b"{"
        if not looks_safetensors:
            if _first_zip_member(f, head).endswith(b".npy"):  # np.savez: data, not a pickle
                raise ModelFileError(
                    f"{name}: this is a NumPy .npz archive of arrays (data), not a model; give "
                    "a model file saved by lrnn (.safetensors), and the data where the command "
                    "takes its data."
                )
            f.seek(max(0, size - 16))
            if _looks_like_pickle(head, f.read(16)):
                what = (
                    "a zip archive (as PyTorch saves its pickles)"
                    if head.startswith(b"PK\x03\x04")
                    else "a Python pickle"
                )
                raise ModelFileError(
                    f"{name}: this is {what}, which lrnn never loads because unpickling "
                    "can run arbitrary code; retrain or convert the model to lrnn's "
                    ".safetensors format."
                )
            if size < 10:
                raise ModelFileError(
                    f"{name}: only {size} bytes, too short to be an lrnn model; the file is "
                    f"truncated or not a model — {_DAMAGED}."
                )
            raise ModelFileError(
                f"{name}: is not an lrnn model (not a safetensors file); give a file saved by lrnn."
            )
        (header_len,) = struct.unpack("<Q", head[:8])
        if header_len > MAX_HEADER_BYTES and header_len <= size - 8:
            raise ModelFileError(
                f"{name}: its header takes {header_len} bytes, more than lrnn reads "
                f"({MAX_HEADER_BYTES // 2**20} MiB); it was not written by this lrnn, or was "
                "altered — use a model saved by lrnn."
            )
        if header_len > size - 8:
            raise ModelFileError(
                f"{name}: header declares {header_len} bytes but the file has {size}; the file "
                f"is truncated or corrupt — {_DAMAGED}."
            )
        f.seek(8)
        header_bytes = f.read(header_len)
        entries, meta_raw = _parse_header(name, header_bytes)
        data_len = size - 8 - header_len
        _check_entries(name, entries, data_len)
        meta = _lrnn_meta(name, meta_raw, expected_format)
        if before_data is not None:
            before_data(entries, meta)
        # The tensors tile the data bytes exactly (checked above), so this reads at most
        # MAX_TENSOR_BYTES, once: views into it are the arrays, no parser's copy beside them.
        data = bytearray(data_len)
        if f.readinto(data) != data_len or f.read(1):
            raise ModelFileError(f"{name}: the file changed while it was read; try again.")
    tensors = {}
    for key, entry in entries.items():
        dtype = _DTYPES[entry["dtype"]]
        start, stop = entry["data_offsets"]
        count = (stop - start) // dtype.itemsize
        array = np.frombuffer(data, dtype=dtype, count=count, offset=start)
        tensors[key] = array.reshape(entry["shape"]).astype(dtype.newbyteorder("="), copy=False)
    return tensors, meta


def _repeated(name: str, where: str, e: RepeatedKey) -> ModelFileError:
    return ModelFileError(
        f"{name}: {where} names {e.key[:60]!r} twice, so readers may disagree on what it holds; "
        f"the file was altered — {_DAMAGED}."
    )


def _parse_header(name: str, header_bytes: bytes) -> tuple[dict, dict]:
    try:
        header = json_once_each(header_bytes)
    except RepeatedKey as e:
        raise _repeated(name, "the header", e) from e
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError too
        raise ModelFileError(
            f"{name}: the header is not valid JSON; the file is truncated or corrupt — {_DAMAGED}."
        ) from e
    if not isinstance(header, dict):
        raise ModelFileError(
            f"{name}: the header is not a JSON object; the file is corrupt — {_DAMAGED}."
        )
    meta_raw = header.pop("__metadata__", None)
    if meta_raw is not None and not (
        isinstance(meta_raw, dict) and all(isinstance(v, str) for v in meta_raw.values())
    ):
        raise ModelFileError(
            f"{name}: the header metadata is malformed; the file is corrupt — {_DAMAGED}."
        )
    return header, meta_raw or {}


def _check_entries(name: str, entries: dict, data_len: int) -> None:
    """Every tensor: an allowed dtype, a shape whose size matches its byte span, inside the file."""
    total = 0
    for key, entry in entries.items():

        def bad(what: str, key: str = key) -> ModelFileError:
            return ModelFileError(
                f"{name}: tensor '{key}' {what}; the file is corrupt — {_DAMAGED}."
            )

        if not isinstance(entry, dict):
            raise bad("has no description")
        name_of_dtype = entry.get("dtype")
        dtype = _DTYPES.get(name_of_dtype) if isinstance(name_of_dtype, str) else None
        if dtype is None:
            raise bad(f"has dtype {clipped_repr(entry.get('dtype'))}, which lrnn does not use")
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not (
            isinstance(shape, list)
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)
        ):
            raise bad(f"has a malformed shape {clipped_repr(shape)}")
        # lrnn writes at most 3 axes (a checkpoint's L-BFGS pairs of a K-class layer); a shape
        # of 71 axes, or of 0 × 2⁶² × 2⁶² (0 bytes), passed the byte count and then failed in
        # NumPy with its own message
        if len(shape) > MAX_TENSOR_AXES or any(s > MAX_TENSOR_BYTES for s in shape):
            raise bad(f"has a shape lrnn never writes ({clipped_repr(shape)})")
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            and 0 <= offsets[0] <= offsets[1] <= data_len
        ):
            raise bad(
                f"has offsets {clipped_repr(offsets)} outside the {data_len} data bytes "
                "(truncated?)"
            )
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes != offsets[1] - offsets[0]:
            raise bad(f"declares {nbytes} bytes but spans {offsets[1] - offsets[0]}")
        total += nbytes
        if total > MAX_TENSOR_BYTES:
            raise ModelFileError(
                f"{name}: the tensors declare more than {MAX_TENSOR_BYTES / 2**30:g} GiB; refusing "
                "to load a file this large; give a model or checkpoint written by lrnn."
            )
    # safetensors' own rule, checked before a byte of data is read: the tensors' spans follow
    # one another from the first data byte to the last. Bytes beyond them (a file padded, or
    # sparse: gigabytes on disk in a few kilobytes) would otherwise be read, then refused.
    end, tiled = 0, True
    for start, stop in sorted(tuple(e["data_offsets"]) for e in entries.values()):
        if start != end:  # a gap, or an overlap: either way not one tensor after another
            tiled = False
            break
        end = stop
    if not tiled or end != data_len:
        raise ModelFileError(
            f"{name}: its tensors do not cover its {data_len} data bytes end to end (bytes "
            f"added, removed or overlapping after byte {end}); the file is corrupt — "
            f"{_DAMAGED}."
        )


def _lrnn_meta(name: str, meta_raw: dict, expected_format: str) -> dict:
    text = meta_raw.get("lrnn")
    if text is None:
        raise ModelFileError(
            f"{name}: is not an lrnn model (no lrnn metadata); give a file saved by lrnn."
        )
    try:
        meta = json_once_each(text)
    except RepeatedKey as e:
        raise _repeated(name, "the lrnn metadata", e) from e
    except (ValueError, RecursionError) as e:
        raise ModelFileError(
            f"{name}: the lrnn metadata is not valid JSON; corrupt file — {_DAMAGED}."
        ) from e
    if not isinstance(meta, dict):
        raise ModelFileError(
            f"{name}: the lrnn metadata is not an object; corrupt file — {_DAMAGED}."
        )
    fmt, version = meta.get("format"), meta.get("format_version")
    if fmt != expected_format:
        kinds = {MODEL_FORMAT: "a model", CHECKPOINT_FORMAT: "a checkpoint"}
        raise ModelFileError(
            f"{name}: is {kinds.get(str(fmt), f'format {str(fmt)[:40]!r}')}, not "
            f"{kinds[expected_format]}; give "
            f"{kinds[expected_format]} file."
        )
    if not (isinstance(version, int) and not isinstance(version, bool) and version >= 1):
        raise ModelFileError(
            f"{name}: format_version {repr(version)[:40]} is invalid; corrupt file — {_DAMAGED}."
        )
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{name}: written in format version {clipped_repr(version, 20)} by lrnn "
            f"{printable(str(meta.get('lrnn_version', '?'))[:40])}; this lrnn {__version__} "
            "reads version "
            f"{FORMAT_VERSION} — upgrade lrnn."
        )
    return meta
