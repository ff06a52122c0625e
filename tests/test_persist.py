"""Model and checkpoint files: round trips, atomic writes, and hostile or broken files."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import struct
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrnn import persist
from lrnn.data import Preprocessing
from lrnn.data.dataset import class_name_problem, look_alike_problem
from lrnn.errors import LrnnError, ModelFileError, UsageError
from lrnn.files import atomic_write_bytes, check_writable, clean_stale_temp_files
from lrnn.persist import (
    FORMAT_VERSION,
    ModelFile,
    load_checkpoint,
    load_model,
    save_checkpoint,
    save_model,
)


def small_model(dtype=np.float64, n: int = 3) -> ModelFile:
    names = [f"f{i}" for i in range(n)]
    spec = Preprocessing(kind="table", feature_names=tuple(names), mean=(0.5,) * n, std=(2.0,) * n)
    return ModelFile(
        w=np.linspace(-1, 1, n).astype(dtype),
        b=-0.125,
        classes=("no", "yes"),
        threshold=0.4,
        preprocessing=spec.to_dict(),
        feature_names=names,
        training={"iterations": 100, "learning_rate": 0.005, "costs": [0.69, 0.5]},
        manifest={"seed": 0, "data_sha256": "ab" * 32},
    )


def error_of(fn, *args) -> str:
    """Call ``fn`` expecting a ModelFileError; return its message, checked to be one line."""
    with pytest.raises(ModelFileError) as info:
        fn(*args)
    message = str(info.value)
    assert "\n" not in message
    return message


def write_st(path: Path, tensors: dict, lrnn_meta: dict | str | None) -> Path:
    """A safetensors file with arbitrary lrnn metadata, for files save_model would refuse."""
    meta = None
    if lrnn_meta is not None:
        meta = {"lrnn": lrnn_meta if isinstance(lrnn_meta, str) else json.dumps(lrnn_meta)}
    path.write_bytes(safetensors.numpy.save(tensors, metadata=meta))
    return path


def raw_file(path: Path, header: dict, data: bytes = b"") -> Path:
    """A file with a hand-made safetensors header (which the library would refuse to write)."""
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


# --------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_model_round_trip(tmp_path, dtype):
    model = small_model(dtype)
    path = tmp_path / "model.safetensors"
    save_model(path, model)
    back = load_model(path)
    assert back.w.dtype == dtype
    np.testing.assert_array_equal(back.w, model.w)
    assert back.b == model.b and isinstance(back.b, float)
    assert back.classes == ("no", "yes")
    assert back.threshold == 0.4
    assert back.preprocessing == model.preprocessing
    assert Preprocessing.from_dict(back.preprocessing) == Preprocessing.from_dict(
        model.preprocessing
    )
    assert back.feature_names == model.feature_names
    assert back.training == model.training
    assert back.manifest == model.manifest
    back.w[0] = 5.0  # the loaded weights are an ordinary writable array


def test_save_model_replaces_only_a_model_and_names_swapped_arguments(tmp_path):
    """save_model wrote over any file (a CSV of data became a model), where the estimator's
    save and the command line refuse; save_model(model, path) failed deep inside."""
    from lrnn.errors import UsageError

    data = tmp_path / "d.csv"
    data.write_text("a,label\n1,0\n")
    with pytest.raises(UsageError, match="already exists and is not an lrnn model"):
        save_model(data, small_model())
    assert data.read_text() == "a,label\n1,0\n"
    save_model(tmp_path / "m.safetensors", small_model())
    save_model(tmp_path / "m.safetensors", small_model())  # its own kind: replaced
    for args in ((small_model(), tmp_path / "x.safetensors"), (tmp_path / "x", None)):
        with pytest.raises(UsageError, match="takes a path and a ModelFile"):
            save_model(*args)
    # the course API's b is a one-element array: "only 0-dimensional arrays can be converted"
    one = tmp_path / "one.safetensors"
    save_model(one, dataclasses.replace(small_model(), b=np.array([0.25])))
    assert load_model(one).b == 0.25
    with pytest.raises(UsageError, match="a two-class model's b is one number, got shape"):
        save_model(one, dataclasses.replace(small_model(), b=np.array([0.25, 1.0])))
    with pytest.raises(UsageError, match="the model must be a file's path, got NoneType"):
        load_model(None)


def test_file_is_plain_safetensors_with_lrnn_metadata(tmp_path):
    path = tmp_path / "model.safetensors"
    save_model(path, small_model())
    tensors = safetensors.numpy.load_file(str(path))
    assert sorted(tensors) == ["b", "w"] and tensors["b"].shape == (1,)
    from safetensors import safe_open

    with safe_open(str(path), framework="np") as f:
        meta = json.loads(f.metadata()["lrnn"])
    # a sigmoid neuron is written as format 1, byte for byte what earlier versions wrote
    assert meta["format"] == "lrnn-model" and meta["format_version"] == 1 < FORMAT_VERSION
    assert "kind" not in meta
    assert meta["classes"] == ["no", "yes"] and "lrnn_version" in meta


def test_numpy_values_and_non_finite_numbers_become_plain_json(tmp_path):
    model = small_model()
    model.training = {
        "final_cost": float("nan"),
        "costs": np.array([1.0, np.inf]),
        "n": np.int64(3),
    }
    path = tmp_path / "m.safetensors"
    save_model(path, model)
    assert load_model(path).training == {"final_cost": None, "costs": [1.0, None], "n": 3}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    w=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=8),
    b=st.floats(allow_nan=False, allow_infinity=False),
    threshold=st.floats(0, 1),
    classes=st.lists(  # control characters are refused; a blank name is kept
        st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=10).filter(
            lambda name: class_name_problem([name], blank_ok=True) is None
        ),
        min_size=2,
        max_size=2,
        unique=True,
    ).filter(lambda names: look_alike_problem(names) is None),  # '' and an unassigned letter
    f32=st.booleans(),
)
def test_round_trip_property(w, b, threshold, classes, f32):
    with np.errstate(over="ignore"):
        arr = np.array(w, dtype=np.float32 if f32 else np.float64)
    if not np.isfinite(arr).all():  # float64 values beyond float32's range
        return
    model = ModelFile(w=arr, b=b, classes=tuple(classes), threshold=threshold)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.safetensors")
        save_model(path, model)
        back = load_model(path)
    np.testing.assert_array_equal(back.w, arr)
    assert back.w.dtype == arr.dtype
    assert (back.b, back.classes, back.threshold) == (b, tuple(classes), threshold)


def test_checkpoint_round_trip(tmp_path):
    tensors = {
        "w": np.arange(4, dtype=np.float32),
        "m": np.zeros((2, 3)),
        "rng_key": np.arange(624, dtype=np.uint32),
        "step": np.array(7, dtype=np.int64),
        "mask": np.array([1, 0], dtype=np.uint8),
        "pos": np.array([3], dtype=np.int32),
    }
    metadata = {"iteration": 7, "settings": {"solver": "adam", "lr": 0.01}, "rng": [1, 2]}
    path = tmp_path / "run.ckpt"
    save_checkpoint(path, tensors, metadata)
    back, meta = load_checkpoint(path)
    assert meta == metadata
    assert sorted(back) == sorted(tensors)
    for key, value in tensors.items():
        np.testing.assert_array_equal(back[key], value)
        assert back[key].dtype == value.dtype
        assert back[key].flags.writeable


def test_a_checkpoint_whose_tensors_changed_is_refused(tmp_path):
    """One flipped bit in θ resumed without a word to other weights (a resume continues bit
    for bit), and damage near the end was reported as a diverged run: a checksum of the
    tensors, saved beside them, is checked on reading. Checkpoints written without one load."""
    from lrnn import persist

    theta = np.linspace(-1, 1, 9)
    path = tmp_path / "run.ckpt"
    save_checkpoint(path, {"theta": theta, "step": np.array(3, dtype=np.int64)}, {"i": 3})
    blob = bytearray(path.read_bytes())
    blob[-30] ^= 0x01  # a bit of θ's last values
    damaged = tmp_path / "damaged.ckpt"
    damaged.write_bytes(bytes(blob))
    with pytest.raises(ModelFileError) as info:
        load_checkpoint(damaged)
    assert str(info.value) == (
        f"{damaged}: the checkpoint's tensors differ from the checksum saved with them; the file "
        "was damaged or edited since it was written — resume from another checkpoint, or start "
        "training again without --resume."
    )
    meta = {"format": persist.CHECKPOINT_FORMAT, "format_version": 1, "metadata": {"i": 3}}
    older = tmp_path / "older.ckpt"
    persist._write(str(older), {"theta": theta}, meta)  # no checksum: as written before it
    np.testing.assert_array_equal(load_checkpoint(older)[0]["theta"], theta)
    # the metadata (settings, counters, history) is checked too, and a checksum deleted from
    # a checkpoint that was written with both is missed, not taken for an older file
    header, body = _header_and_body(path.read_bytes())
    written = json.loads(header["__metadata__"]["lrnn"])
    for change, said in (
        (lambda m: m["metadata"].update(i=4), "settings, counters or history differ from the"),
        (lambda m: m.pop("tensors_sha256"), "written with a checksum of its tensors and has"),
    ):
        edited = json.loads(json.dumps(written))
        change(edited)
        header["__metadata__"]["lrnn"] = json.dumps(edited)
        raw_file(damaged, header, body)
        assert said in error_of(load_checkpoint, damaged)
    both = {"theta": theta, "step": np.array(3, dtype=np.int64)}
    persist._write(str(older), both, {**meta, "tensors_sha256": written["tensors_sha256"]})
    assert load_checkpoint(older)[1] == {"i": 3}  # written with the tensors' checksum alone


def test_save_refuses_what_it_could_not_load(tmp_path):
    path = tmp_path / "m.safetensors"
    bad = small_model()
    bad.w = np.array([np.nan, 1.0, 2.0])
    with pytest.raises(UsageError, match="not all finite"):
        save_model(path, bad)
    bad = small_model()
    bad.classes = ("same", "same")
    with pytest.raises(UsageError, match="two different strings"):
        save_model(path, bad)
    bad = small_model()
    bad.feature_names = ["only one"]
    with pytest.raises(UsageError, match="feature_names"):
        save_model(path, bad)
    bad = small_model()
    bad.training = {"callback": print}
    with pytest.raises(UsageError, match="builtin_function_or_method"):
        save_model(path, bad)
    with pytest.raises(UsageError, match="dtype bool"):
        save_checkpoint(path, {"flags": np.array([True])}, {})
    assert not path.exists()


# --------------------------------------------------------------------------------------------
# Atomic writes


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".tmp-" in p.name]


def test_failed_replace_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save_model(path, small_model())
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persist.os, "replace", fail)
    with pytest.raises(LrnnError) as info:
        save_model(path, small_model(np.float32))
    # a run whose output fails exits 1 on the command line, as for a plot or a history; a
    # ModelFileError (exit 2) says the command could not run as asked
    assert not isinstance(info.value, ModelFileError | UsageError)
    message = str(info.value)
    assert "model.safetensors: cannot write (No space left on device)" in message
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []
    with pytest.raises(OSError):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == before and leftovers(tmp_path) == []


def test_failed_fsync_and_interrupt_leave_old_file(tmp_path, monkeypatch):
    path = tmp_path / "out.bin"
    atomic_write_bytes(path, b"old")

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(persist.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old" and leftovers(tmp_path) == []


def test_atomic_write_replaces_and_names_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "out.bin"
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr(persist.os, "replace", spy)
    atomic_write_bytes(path, b"one")
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two"
    assert all(name.startswith(f".out.bin.tmp-{os.getpid()}-") for name in seen)


def dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_clean_stale_temp_files(tmp_path):
    """Only names that atomic_write_bytes makes (pid, dash, 8 hex digits) are lrnn's to
    remove; a user's own file that merely starts like one stays, however old."""
    path = tmp_path / "model.safetensors"
    dead = tmp_path / f".model.safetensors.tmp-{dead_pid()}-aaaa0000"
    live = tmp_path / f".model.safetensors.tmp-{os.getpid()}-bbbb1111"
    old_live = tmp_path / f".model.safetensors.tmp-{os.getpid()}-cccc2222"
    users = [tmp_path / ".model.safetensors.tmp-nopid", tmp_path / ".model.safetensors.tmp-backup"]
    users.append(tmp_path / f".model.safetensors.tmp-{dead_pid()}-mine")
    other = tmp_path / ".other.safetensors.tmp-1-dddd3333"
    for p in (dead, live, old_live, *users, other, path):
        p.write_bytes(b"x")
    hours_ago = time.time() - 2 * 3600
    for p in (old_live, *users):
        os.utime(p, (hours_ago, hours_ago))
    assert clean_stale_temp_files(path) == 2
    kept = [live, *users, other, path]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in kept)
    assert clean_stale_temp_files(tmp_path / "missing-folder" / "m") == 0


def test_check_writable(tmp_path):
    check_writable(tmp_path / "model.safetensors")
    with pytest.raises(UsageError, match="is a folder"):
        check_writable(tmp_path)
    with pytest.raises(UsageError, match="does not exist"):
        check_writable(tmp_path / "nope" / "model.safetensors")
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(UsageError, match="not writable"):
            check_writable(locked / "model.safetensors")


# --------------------------------------------------------------------------------------------
# Hostile and broken files


class Evil:
    """Unpickling this creates the marker file: proof that code ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_is_never_loaded(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(Evil(str(marker)), protocol=protocol))
    message = error_of(load_model, path)
    assert message == (
        f"{path}: this is a Python pickle, which lrnn never loads because unpickling can run "
        "arbitrary code; retrain or convert the model to lrnn's .safetensors format."
    )
    assert "pickle" in error_of(load_checkpoint, path)
    assert not marker.exists()


def test_torch_zip_file_is_called_a_pickle(tmp_path):
    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"w": 1}))
    assert "this is a zip archive (as PyTorch saves its pickles)" in error_of(load_model, path)


def test_an_npz_of_data_given_as_a_model_is_called_data(tmp_path):
    """np.savez's archive, given where a model goes, was "a zip archive (as PyTorch saves its
    pickles)": the way out is the data's own place, not converting a model."""
    path = tmp_path / "arrays.npz"
    np.savez(path, X=np.zeros((3, 2)), y=np.zeros(3))
    said = "this is a NumPy .npz archive of arrays (data), not a model"
    assert said in error_of(load_model, path)
    assert said in error_of(load_checkpoint, path)


def test_truncated_at_every_byte_raises_model_file_error(tmp_path):
    source = tmp_path / "model.safetensors"
    save_model(source, small_model(n=2))
    data = source.read_bytes()
    path = tmp_path / "cut.safetensors"
    for k in range(len(data)):
        path.write_bytes(data[:k])
        with pytest.raises(ModelFileError) as info:
            load_model(path)
        assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_truncated_checkpoints_raise_model_file_error(tmp_path):
    source = tmp_path / "run.ckpt"
    save_checkpoint(source, {"w": np.arange(3.0), "t": np.array([1], np.int64)}, {"i": 1})
    data = source.read_bytes()
    path = tmp_path / "cut.ckpt"
    for k in range(0, len(data), 7):
        path.write_bytes(data[:k])
        with pytest.raises(ModelFileError):
            load_checkpoint(path)


def test_huge_declared_tensors_are_refused(tmp_path):
    meta = {"__metadata__": {"lrnn": json.dumps({"format": "lrnn-model", "format_version": 1})}}
    huge = {"w": {"dtype": "F64", "shape": [10**9, 10**3], "data_offsets": [0, 8 * 10**12]}}
    message = error_of(load_model, raw_file(tmp_path / "huge.safetensors", {**huge, **meta}))
    assert "tensor 'w'" in message and "outside" in message
    # A header length far beyond the file, or beyond the 16 MiB limit.
    path = tmp_path / "long-header.safetensors"
    path.write_bytes(struct.pack("<Q", 2**40) + b"{}")
    assert "header declares" in error_of(load_model, path)


def test_bytes_beyond_the_tensors_are_refused_before_they_are_read(tmp_path):
    """A sparse file (kilobytes on disk, gigabytes long) was read whole into memory, then
    refused by the parser: 4 GB of memory for an 8 KB download. The tensors must tile the data
    bytes, checked from the header before any data byte is read."""
    path = tmp_path / "m.safetensors"
    save_model(path, small_model(n=3))
    good = path.read_bytes()
    with open(path, "r+b") as f:
        f.truncate(len(good) + 2**31)  # a hole: no disk used
    message = error_of(load_model, path)
    assert "its tensors do not cover its" in message and "data bytes end to end" in message
    # a gap between two tensors, and an overlap, are refused the same way
    header, body = _header_and_body(good)
    tensors = sorted(
        (k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"]
    )
    last = tensors[-1]
    # b over w's last bytes, the spans ending where the data ends: it loaded (b = w[1])
    overlap = {**header, "w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]},
               "b": {"dtype": "F64", "shape": [1], "data_offsets": [8, 16]}}  # fmt: skip
    overlap = {k: v for k, v in overlap.items() if k in ("w", "b", "__metadata__")}
    raw_file(path, overlap, np.array([0.5, 0.25]).tobytes())
    assert "do not cover its 16 data bytes end to end" in error_of(load_model, path)
    for shift in (8, -8):
        altered = json.loads(json.dumps(header))
        altered[last]["data_offsets"] = [o + shift for o in altered[last]["data_offsets"]]
        raw_file(path, altered, body + b"\0" * 8 * (shift > 0))
        assert "do not cover its" in error_of(load_model, path)


def test_weights_the_metadata_does_not_ask_for_are_refused_before_they_are_read(
    tmp_path, monkeypatch
):
    """A header declaring 2 GiB of weights for a model of 3 features, in a sparse file that
    tiles its data exactly: all of it was read (2.4 GB of memory) before the mismatch was
    found. The declared shape is checked against the metadata first."""
    path = tmp_path / "m.safetensors"
    save_model(path, small_model(n=3))
    header, body = _header_and_body(path.read_bytes())
    n = 2**28
    header["w"] = {"dtype": "F64", "shape": [n], "data_offsets": [8, 8 + 8 * n]}
    header["b"] = {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}
    raw_file(path, header, body[-8:])
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size + 8 * n)  # a hole: no disk used

    def no_reading(*args, **kwargs):
        raise AssertionError("the data was read")

    monkeypatch.setattr(persist, "bytearray", no_reading, raising=False)
    message = error_of(load_model, path)
    assert f"there are 3 feature_names for {n} weights" in message, message
    # a standardisation shorter than the weights (it failed in NumPy's words, or blamed the
    # data) is named when the file loads
    save_model(path, small_model(n=3))
    header, body = _header_and_body(path.read_bytes())
    meta = json.loads(header["__metadata__"]["lrnn"])
    picture = Preprocessing(kind="image", image_shape=(1, 3, 1), scale=1 / 255)
    meta["preprocessing"] = {**picture.to_dict(), "mean": [0.5], "std": [2.0]}
    header["__metadata__"]["lrnn"] = json.dumps(meta)
    raw_file(path, header, body)
    assert "preprocessing.mean holds 1 values for 3 weights" in error_of(load_model, path)


def _header_and_body(blob: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8 : 8 + length]), blob[8 + length :]


def test_total_tensor_size_limit(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    save_model(path, small_model(n=64))
    monkeypatch.setattr(persist, "MAX_TENSOR_BYTES", 100)
    assert "refusing to load" in error_of(load_model, path)


def test_inconsistent_headers_are_refused(tmp_path):
    meta = {"__metadata__": {"lrnn": json.dumps({"format": "lrnn-model", "format_version": 1})}}
    cases = {
        "span": {"w": {"dtype": "F64", "shape": [3], "data_offsets": [0, 16]}},
        "dtype": {"w": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}},
        "shape": {"w": {"dtype": "F64", "shape": [-1], "data_offsets": [0, 8]}},
        "offsets": {"w": {"dtype": "F64", "shape": [1], "data_offsets": [8, 0]}},
        "entry": {"w": "nonsense"},
    }
    for name, header in cases.items():
        path = raw_file(tmp_path / f"{name}.safetensors", {**header, **meta}, b"\0" * 16)
        error_of(load_model, path)
    path = tmp_path / "list.safetensors"
    path.write_bytes(struct.pack("<Q", 2) + b"[]")
    assert "not a safetensors file" in error_of(load_model, path)
    path.write_bytes(struct.pack("<Q", 3) + b"{x}")
    assert "not valid JSON" in error_of(load_model, path)
    deep = b"{" + b'"a":[' * 100_000
    path.write_bytes(struct.pack("<Q", len(deep)) + deep)
    error_of(load_model, path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300), safetensors_like=st.booleans())
def test_random_bytes_only_raise_model_file_error(data, safetensors_like):
    if safetensors_like:  # a plausible length prefix and "{" so the JSON path is exercised
        data = struct.pack("<Q", len(data) + 1) + b"{" + data
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.safetensors"
        path.write_bytes(data)
        with pytest.raises(ModelFileError):
            load_model(path)
        with pytest.raises(ModelFileError):
            load_checkpoint(path)


_VALID = None


def valid_bytes() -> bytes:
    global _VALID
    if _VALID is None:
        with tempfile.TemporaryDirectory() as d:
            save_model(os.path.join(d, "m"), small_model(n=2))
            _VALID = Path(d, "m").read_bytes()
    return _VALID


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_corrupted_bytes_load_or_raise_model_file_error(data):
    blob = bytearray(valid_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i] = data.draw(st.integers(0, 255))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.safetensors"
        path.write_bytes(bytes(blob))
        try:
            model = load_model(path)
        except ModelFileError:
            return
    assert model.w.shape == (2,) and np.isfinite(model.w).all()


def test_missing_and_folder_paths(tmp_path):
    assert error_of(load_model, tmp_path / "nope.safetensors").endswith(
        "no such file; check the path."
    )
    assert "folder" in error_of(load_model, tmp_path)


def test_foreign_safetensors_file(tmp_path):
    path = write_st(tmp_path / "foreign.safetensors", {"weight": np.zeros(3, np.float32)}, None)
    assert "is not an lrnn model (no lrnn metadata)" in error_of(load_model, path)
    text = tmp_path / "notes.txt"
    text.write_text("hello, world\n")
    assert "not a safetensors file" in error_of(load_model, text)


def test_model_and_checkpoint_are_not_confused(tmp_path):
    model, ckpt = tmp_path / "m.safetensors", tmp_path / "c.ckpt"
    save_model(model, small_model())
    save_checkpoint(ckpt, {"w": np.zeros(2)}, {"iteration": 1})
    assert "is a checkpoint, not a model" in error_of(load_model, ckpt)
    assert "is a model, not a checkpoint" in error_of(load_checkpoint, model)


def good_meta(**changes) -> dict:
    meta = {
        "format": "lrnn-model",
        "format_version": 1,
        "lrnn_version": "0.1.0",
        "classes": ["a", "b"],
        "threshold": 0.5,
        "preprocessing": {},
        "feature_names": None,
        "training": {},
        "manifest": {},
    }
    meta.update(changes)
    return meta


W2 = {"w": np.zeros(2), "b": np.zeros(1)}


@pytest.mark.parametrize(
    ("tensors", "meta", "expected"),
    [
        (W2, good_meta(format_version=FORMAT_VERSION + 1), "upgrade lrnn"),
        # the writer's version is quoted escaped: LogisticNeuron.load's message held raw ESC
        (
            W2,
            good_meta(format_version=FORMAT_VERSION + 1, lrnn_version="9\x1b]0;pwned\x07"),
            "by lrnn 9\\x1b]0;pwned\\x07; this lrnn",
        ),
        (W2, good_meta(kind="tree"), "neither 'sigmoid neuron' nor 'softmax layer'"),
        (
            {"w": np.zeros((2, 3)), "b": np.zeros(2)},
            good_meta(format_version=2, kind="softmax layer", classes=["a", "b", "c"]),
            "b K floats",
        ),
        (
            {"w": np.zeros((2, 3)), "b": np.zeros(3)},
            good_meta(format_version=2, kind="softmax layer", classes=["a", "b"]),
            "classes must be 3 different strings",
        ),
        (
            {"w": np.zeros((2, 3)), "b": np.zeros(3)},
            good_meta(format_version=2, kind="softmax layer", classes=["a", "b", "a"]),
            "classes must be 3 different strings",
        ),
        # a "layer" of two classes ignored its threshold; one of one failed on an index
        (
            {"w": np.zeros((2, 2)), "b": np.zeros(2)},
            good_meta(format_version=2, kind="softmax layer", classes=["a", "b"], threshold=0.9),
            "a softmax layer has 3 or more classes (lrnn's model format 2), this one 2",
        ),
        (
            {"w": np.zeros((2, 1)), "b": np.zeros(1)},
            good_meta(format_version=2, kind="softmax layer", classes=["a"]),
            "this one 1 (format 2)",
        ),
        (
            {"w": np.zeros((2, 3)), "b": np.zeros(3)},
            good_meta(format_version=1, kind="softmax layer", classes=["a", "b", "c"]),
            "this one 3 (format 1)",
        ),
        (W2, good_meta(format_version="1"), "format_version"),
        (W2, good_meta(classes=["a"]), "classes"),
        (W2, good_meta(classes=["a", 1]), "classes"),
        # predict printed a line break (U+2028) inside a class name
        (W2, good_meta(classes=["a\u2028b", "c"]), "'a\\u2028b', which holds control"),
        (W2, good_meta(threshold=1.5), "threshold"),
        (W2, good_meta(threshold=True), "threshold"),
        (W2, good_meta(feature_names=["x", "y", "z"]), "3 feature_names for 2 weights"),
        (W2, good_meta(feature_names=[1, 2]), "feature_names"),
        # predict read columns by one list, the estimator, ONNX and served rows by the other
        (
            W2,
            good_meta(
                feature_names=["x", "y"],
                preprocessing={"kind": "table", "feature_names": ["y", "x"]},
            ),
            "feature_names and preprocessing.feature_names list different columns",
        ),
        (
            W2,
            good_meta(preprocessing={"kind": "table", "feature_names": ["x", "x"]}),
            "preprocessing.feature_names names 'x' twice",
        ),
        (W2, good_meta(training=[]), "training"),
        (W2, good_meta(preprocessing={"kind": "sound"}), "preprocessing kind"),
        (W2, good_meta(preprocessing={"kind": "image", "image_shape": [8, 8, 1]}), "64 features"),
        (W2, good_meta(preprocessing={"kind": "table", "future": 1}), "newer lrnn"),
        ({"w": np.zeros((2, 1)), "b": np.zeros(1)}, good_meta(), "1-D float"),
        ({"w": np.zeros(2, np.int64), "b": np.zeros(1)}, good_meta(), "1-D float"),
        ({"w": np.zeros(2), "b": np.array([np.nan])}, good_meta(), "NaN"),
        ({"w": np.zeros(2), "b": np.zeros(1), "x": np.zeros(1)}, good_meta(), "'x'"),
        (W2, "{not json", "not valid JSON"),
        (W2, "[1]", "not an object"),
        # NaN is no JSON number (lrnn writes null): Python's json read it, other readers not
        (W2, '{"format": "lrnn-model", "format_version": 1, "threshold": NaN}', "not valid JSON"),
        (W2, good_meta(training={"iterations": "many"}), "training.iterations"),
        (W2, good_meta(training={"test_accuracy": -3}), "training.test_accuracy"),
    ],
)
def test_bad_model_metadata(tmp_path, tensors, meta, expected):
    path = write_st(tmp_path / "bad.safetensors", tensors, meta)
    message = error_of(load_model, path)
    assert expected in message and str(path) in message


def test_checkpoint_without_metadata_object(tmp_path):
    path = write_st(
        tmp_path / "c.ckpt", {"w": np.zeros(1)}, {"format": "lrnn-checkpoint", "format_version": 1}
    )
    assert "metadata is missing" in error_of(load_checkpoint, path)


@pytest.mark.parametrize(
    "key", ["classes", "threshold", "preprocessing", "feature_names", "training", "manifest"]
)
def test_metadata_without_a_required_key_is_refused(tmp_path, key):
    """Found by the fuzz test above: a renamed key used to escape as a bare KeyError."""
    source = tmp_path / "valid.safetensors"
    source.write_bytes(valid_bytes())
    with safetensors.safe_open(source, "numpy") as f:
        meta = json.loads(f.metadata()["lrnn"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    del meta[key]
    path = write_st(tmp_path / "m.safetensors", tensors, meta)
    message = error_of(load_model, path)
    assert f"no '{key}'" in message and "retrain" in message


def test_a_link_is_written_through_and_a_file_keeps_its_permissions(tmp_path):
    """``current.safetensors -> v1.safetensors``: saving to the link updates v1 and keeps the
    link (as a shell's > does); the replaced file keeps its mode; a read-only file is refused
    before any work; a dangling link's target is created."""
    v1, link = tmp_path / "v1.safetensors", tmp_path / "current.safetensors"
    v1.write_bytes(b"old")
    v1.chmod(0o600)
    link.symlink_to("v1.safetensors")
    check_writable(link)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink() and v1.read_bytes() == b"new"
    assert (v1.stat().st_mode & 0o777) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
    v1.chmod(0o444)
    with pytest.raises(UsageError, match=r"is read-only.*chmod u\+w"):
        check_writable(link)
    v1.chmod(0o644)
    dangling = tmp_path / "h.csv"
    dangling.symlink_to("made.csv")
    atomic_write_bytes(dangling, b"x")
    assert dangling.is_symlink() and (tmp_path / "made.csv").read_bytes() == b"x"


def test_a_planted_link_in_a_shared_folder_and_a_link_loop_are_refused(tmp_path):
    """In a sticky, world-writable folder (/tmp) a link that belongs to another user is not
    followed — the kernel's protected_symlinks rule for a shell's > — and a loop is said
    before any work."""
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    with pytest.raises(UsageError, match="symbolic links form a loop"):
        check_writable(loop)
    if os.geteuid() != 0:
        pytest.skip("handing a link to another user needs root")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.conf"
    victim.write_text("precious\n")
    planted = shared / "h.csv"
    planted.symlink_to(victim)
    os.chown(planted, 1234, 1234, follow_symlinks=False)
    with pytest.raises(UsageError, match="belongs to another user; lrnn does not write"):
        check_writable(planted)
    with pytest.raises(UsageError, match="belongs to another user"):
        atomic_write_bytes(planted, b"iteration,cost\n")
    assert victim.read_text() == "precious\n"
    mine = shared / "mine.csv"
    mine.symlink_to(victim)  # the caller's own link is followed, as a shell would
    atomic_write_bytes(mine, b"new\n")
    assert victim.read_text() == "new\n" and mine.is_symlink()


def test_dot_dot_after_a_linked_folder_is_the_file_systems_parent(tmp_path, monkeypatch):
    """``linked/../m.bin`` with ``linked -> real/sub`` is real/m.bin for the kernel (and a
    shell's >), not the text's tmp_path/m.bin; a name too long is one line, not an errno."""
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "linked").symlink_to(tmp_path / "real" / "sub")
    monkeypatch.chdir(tmp_path)
    check_writable("linked/../m.bin")
    atomic_write_bytes("linked/../m.bin", b"x")
    assert (tmp_path / "real" / "m.bin").read_bytes() == b"x"
    assert not (tmp_path / "m.bin").exists()
    with pytest.raises(UsageError, match=r"cannot be written there \(File name too long\)"):
        check_writable("x" * 300 + "/m.bin")


def test_odd_output_names_are_said_in_one_line_or_written(tmp_path, monkeypatch):
    """A trailing '/', set-user-ID bits (not copied to the new file) and a name long enough
    that its temporary file's name would pass 255 bytes."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match="ends with '/'; give a file name"):
        check_writable("model/")
    old = tmp_path / "m.bin"
    old.write_bytes(b"old")
    old.chmod(0o6755)
    atomic_write_bytes(old, b"new")
    assert old.stat().st_mode & 0o7777 == 0o755
    long_name = "m" * 240 + ".csv"
    check_writable(long_name)
    atomic_write_bytes(long_name, b"x")
    assert (tmp_path / long_name).read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["m.bin", long_name])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_control_characters_are_found_with_or_without_the_printable_shortcut(text):
    """Names from model files are checked for control characters (a 300,000-word vocabulary
    took 2 s a check, a Python call a character): the shortcut through str.isprintable
    answers as the character-by-character rule does, for any text."""
    from lrnn import errors

    by_character = any(errors._is_control(ch) for ch in text)
    assert errors.has_control_characters(text) == by_character
    for control in ("\n", "\x1b", "\u202e", "\u2028"):
        assert errors.has_control_characters(text + control)
