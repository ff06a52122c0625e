# ruff: noqa: E501 - the matrix keeps one case per line
"""The bad-input matrix: every door, every file kind, every numeric option, one line each.

Each row of :data:`CASES` is ``(id, build, needle)``. ``build(f)`` gets a :class:`Files` helper
rooted in a fresh folder (holding copies of a trained image model, a table model, a checkpoint
and a training history) and returns either

* an argv list for ``lrnn``: the command must exit 1 or 2 with exactly one line on stderr that
  starts with ``error:``, names the problem (``needle``, case-insensitive), says a way out, is
  not lrnn's "unexpected" fallback, and leaves every file in the folder as it was; or
* a zero-argument callable (the estimator): it must raise ``ValueError``/``TypeError`` (lrnn's
  errors are both) whose message contains ``needle``.

Adding a case is adding a line. The CLI rows run in-process through ``lrnn.cli.main`` (what the
console script calls) so the matrix stays fast; ``test_matrix_rows_in_a_subprocess`` runs a few
rows through the real ``lrnn`` executable to show the two agree.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import os
import re
import shutil
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest
import safetensors.numpy
from PIL import Image

from lrnn import data, persist
from lrnn.cli import main
from lrnn.errors import has_control_characters
from lrnn.estimator import LogisticNeuron
from tests.cli_helpers import assert_clean_failure, run, snapshot
from tests.serving_helpers import icon_around

#: A message must tell the user what to do: one of these verbs, somewhere in the line.
ADVICE = re.compile(
    r"\b(use|give|add|check|try|choose|drop|fix|set|pass|remove|rename|retrain|train|start|"
    r"create|resize|convert|keep|save|fill|select|lower|raise|see|name|upgrade|scale|arrange|"
    r"reshape|stream|merge|encode|store|rewrite|pick|resume|verify|lower)\b",
    re.IGNORECASE,
)

IMAGE_MODEL = "digits.safetensors"  # built-in digits, 8×8 grey pictures, classes three/eight
TABLE_MODEL = "table.safetensors"  # columns a, b, c; classes no/yes
THREE_MODEL = "three.safetensors"  # columns a, b, c; classes hi/lo/mid (a softmax layer)
CHECKPOINT = "digits.ckpt.safetensors"  # from the image model's run (gd, default data)
HISTORY = "history.csv"  # from the image model's run
TEXT_MODEL = "text.safetensors"  # a folder of generated reviews, classes neg/pos
SVM_MODEL = "svm.safetensors"  # an svmlight file, 6 features numbered from 1


def _reviews(folder: Path) -> str:
    """Generated reviews: one sub-folder of .txt files per class."""
    for name, word in (("pos", "great"), ("neg", "awful")):
        (folder / "reviews" / name).mkdir(parents=True, exist_ok=True)
        for i in range(6):
            (folder / "reviews" / name / f"{i}.txt").write_text(f"a {word} film number {i}\n")
    return "reviews"


def _table_frame(rows: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.standard_normal((rows, 3)), columns=["a", "b", "c"])
    frame["label"] = np.where(frame["a"] > 0, "yes", "no")
    return frame


def _three_frame(rows: int = 40, seed: int = 0) -> pd.DataFrame:
    frame = _table_frame(rows, seed)
    frame["label"] = np.where(frame["a"] > 0.5, "hi", np.where(frame["a"] < -0.5, "lo", "mid"))
    return frame


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A folder with the models, checkpoint and history every case starts from."""
    folder = tmp_path_factory.mktemp("trained")
    _table_frame().to_csv(folder / "table.csv", index=False)
    _three_frame().to_csv(folder / "three.csv", index=False)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        common = ["--no-plot", "--iterations", "20"]
        assert (
            main(
                ["train", *common, "--model", IMAGE_MODEL, "--checkpoint", CHECKPOINT]
                + ["--checkpoint-every", "10", "--history", HISTORY, "--print-every", "1"]
            )
            == 0
        )
        assert main(["train", "table.csv", *common, "--model", TABLE_MODEL]) == 0
        assert main(["train", _reviews(folder), *common, "--model", TEXT_MODEL]) == 0
        lines = [f"{i % 2} {1 + i % 3}:1.5 {4 + i % 3}:-1" for i in range(12)]
        (folder / "train.svm").write_text("\n".join(lines) + "\n")
        assert main(["train", "train.svm", *common, "--model", SVM_MODEL]) == 0
        assert main(["train", "three.csv", *common, "--model", THREE_MODEL]) == 0
    finally:
        os.chdir(cwd)
    return folder


# --------------------------------------------------------------------------------------------
# Writing small broken files


def _parquet_string_bomb(rows: int) -> bytes:
    """A few kilobytes of Parquet holding a 1 MiB label on every row (kept once, as a
    dictionary, in the file): hundreds of megabytes once decoded."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    labels = pa.array(["y" * 2**20, "n" * 2**20] * (rows // 2)).dictionary_encode()
    out = io.BytesIO()
    pq.write_table(pa.table({"a": [1.0] * rows, "label": labels}), out, compression="zstd")
    return out.getvalue()


def _parquet_repeated_column() -> bytes:
    """Parquet with two columns named 'a' (pandas will not write one; pyarrow will)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    columns = [pa.array([1.0, 2.0]), pa.array([3.0, 4.0]), pa.array([0, 1])]
    pq.write_table(pa.table(columns, names=["a", "a", "label"]), out)
    return out.getvalue()


def _parquet_binary_labels() -> bytes:
    """Parquet whose label column holds raw bytes, the second of them not UTF-8."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    labels = pa.array([b"yes", b"\xfe"] * 3)
    pq.write_table(pa.table({"a": [0.5 * i for i in range(6)], "label": labels}), out)
    return out.getvalue()


def _h5_gzip_bomb(path: Path) -> str:
    """72 MB of pictures declared, one chunk written and gzipped: a file of a few kilobytes."""
    with h5py.File(path, "w") as f:
        x = f.create_dataset(
            "train_set_x", (1100, 256, 256, 1), np.uint8, chunks=(64, 256, 256, 1),
            compression="gzip",
        )  # fmt: skip
        x[:64] = 1
        f["train_set_y"] = np.arange(1100) % 2
        f["list_classes"] = np.array([b"a", b"b"])
    return path.name


def _h5_unwritten(path: Path) -> str:
    """72 MB of contiguous pictures declared and never written: read as their fill value from
    a file of a few kilobytes (the check was for chunked datasets only)."""
    with h5py.File(path, "w") as f:
        f.create_dataset("train_set_x", (1100, 256, 256, 1), np.uint8, fillvalue=7)
        f["train_set_y"] = np.arange(1100) % 2
        f["list_classes"] = np.array([b"a", b"b"])
    return path.name


def _npz_bomb(path: Path) -> str:
    """A 98 MB array of zeros that deflates to a hundred kilobytes."""
    np.savez_compressed(path, X=np.zeros((1500, 65536), np.uint8), y=np.arange(1500) % 2)
    return path.name


def _npz_with_x_twice(path: Path) -> str:
    """An .npz naming X.npy twice: numpy reads the last copy, other zip readers the first."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile's "Duplicate name"
        with zipfile.ZipFile(path, "w") as z:
            for X in (np.zeros((4, 3)), np.full((4, 3), 5.0)):
                with z.open("X.npy", "w") as f:
                    np.lib.format.write_array(f, X)
            with z.open("y.npy", "w") as f:
                np.lib.format.write_array(f, np.array([0, 1, 0, 1]))
    return path.name


def _long_named_table(columns: int, name_length: int) -> str:
    """A table whose column names alone would make a model file's header too large to read."""
    names = [f"c{i:05d}" + "x" * (name_length - 6) for i in range(columns)]
    rows = [",".join(names) + ",label"]
    rows += [",".join("1" for _ in names) + f",{k % 2}" for k in range(4)]
    return "\n".join(rows) + "\n"


class Files:
    """Writes the files a case needs into ``root`` (the current folder) and names them."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.monkeypatch = monkeypatch

    def bytes(self, name: str, content: bytes) -> str:
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        (self.root / name).write_bytes(content)
        return name

    def text(self, name: str, content: str) -> str:
        return self.bytes(name, content.encode())

    def truncated(self, name: str, source: str, keep: float = 0.5) -> str:
        blob = (self.root / source).read_bytes()
        return self.bytes(name, blob[: int(len(blob) * keep)])

    def huge_weights(self, name: str, source: str) -> str:
        """A copy of a trained model with one class's weights at 1e308: finite, but X·w
        overflows."""
        from lrnn import persist

        model = persist.load_model(self.root / source)
        w = np.array(model.w)
        w[:, 0] = 1e308
        persist.save_model(self.root / name, dataclasses.replace(model, w=w))
        return name

    def h5(self, name: str, classes: Any = None, **datasets: Any) -> str:
        with h5py.File(self.root / name, "w") as f:
            for key, value in datasets.items():
                f[key] = value
            if classes is not None:
                f["list_classes"] = np.array(classes)
        return name

    def h5_pictures(self, name: str, **changes: Any) -> str:
        rng = np.random.default_rng(0)
        datasets = {
            "train_set_x": rng.integers(0, 256, (6, 4, 4, 3), dtype=np.uint8),
            "train_set_y": np.array([0, 1] * 3),
        }
        datasets.update(changes)
        classes = datasets.pop("classes", [b"non-cat", b"cat"])
        return self.h5(
            name, classes=classes, **{k: v for k, v in datasets.items() if v is not None}
        )

    def h5_huge(self, name: str) -> str:
        with h5py.File(self.root / name, "w") as f:  # declared, never written: a tiny file
            f.create_dataset("train_set_x", (10**7, 64, 64, 3), np.uint8, chunks=(1, 64, 64, 3))
            f["train_set_y"] = np.zeros(4)
        return name

    def header_only(self, name: str, header: dict) -> str:
        """A safetensors file with a hand-written header and 8 data bytes."""
        text = json.dumps(header).encode()
        return self.bytes(name, struct.pack("<Q", len(text)) + text + b"\0" * 8)

    def npz(self, name: str, **arrays: Any) -> str:
        np.savez(self.root / name, **arrays)
        return name

    def npy_folder(self, name: str, X: np.ndarray | None = None) -> str:
        """A folder with X.npy and y.npy: data that training streams from disk."""
        (self.root / name).mkdir()
        np.save(self.root / name / "X.npy", _X if X is None else X)
        np.save(self.root / name / "y.npy", _Y)
        return name

    def zarr_unknown_codec(self, name: str) -> str:
        """A Zarr store whose X names a codec no Zarr knows."""
        import zarr

        root = zarr.open_group(str(self.root / name), mode="w")
        root.create_array("X", data=_X)
        root.create_array("y", data=_Y)
        meta_path = self.root / name / "X" / "zarr.json"
        meta = json.loads(meta_path.read_text())
        meta["codecs"].append({"name": "frobnicate", "configuration": {}})
        meta_path.write_text(json.dumps(meta))
        return name

    def npz_members(self, name: str, **members: bytes) -> str:
        with zipfile.ZipFile(self.root / name, "w") as z:
            for key, blob in members.items():
                z.writestr(key + ".npy", blob)
        return name

    def stdin(self, blob: bytes) -> str:
        """Standard input holding ``blob``; returns '-' (read documents from stdin)."""
        import io

        self.monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(blob)))
        return "-"

    def closed_stdin(self) -> str:
        """Standard input closed (a process started with <&-); returns '-'."""
        self.monkeypatch.setattr("sys.stdin", None)
        return "-"

    def reviews(self, name: str, extra: dict[str, bytes]) -> str:
        """A text folder of good reviews plus ``extra`` files (path under the folder → bytes)."""
        for cls, word in (("pos", "great"), ("neg", "awful")):
            for i in range(3):
                self.text(f"{name}/{cls}/{i}.txt", f"a {word} film {i}")
        for rel, blob in extra.items():
            self.bytes(f"{name}/{rel}", blob)
        return name

    def csv(self, name: str, frame: pd.DataFrame | None = None, **columns: Any) -> str:
        (frame if frame is not None else pd.DataFrame(columns)).to_csv(
            self.root / name, index=False
        )
        return name

    def parquet(self, name: str, frame: pd.DataFrame | None = None, **columns: Any) -> str:
        (frame if frame is not None else pd.DataFrame(columns)).to_parquet(self.root / name)
        return name

    def parquet_folder(self, name: str, a: list[float | None], label: list[int | None]) -> str:
        """A folder of two Parquet files (streamed): a clean one, then one with these columns."""
        (self.root / name).mkdir()
        clean = pd.DataFrame({"a": [0.5, -0.5, 1.0], "label": [1, 0, 1]})
        clean.to_parquet(self.root / name / "part-0.parquet")
        pd.DataFrame({"a": a, "label": label}).to_parquet(self.root / name / "part-1.parquet")
        return name

    def png(self, name: str, size: tuple[int, int] = (8, 8), mode: str = "L") -> str:
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new(mode, size, 128).save(self.root / name)
        return name

    def float_tiff(self, name: str, values: list[float]) -> str:
        """A one-row picture of float pixels (Pillow mode F)."""
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.array([values], dtype=np.float32)).save(self.root / name)
        return name

    def int32_tiff(self, name: str, values: list[int]) -> str:
        """A one-row picture of 32-bit integer pixels (Pillow mode I)."""
        Image.fromarray(np.array([values], dtype=np.int32)).save(self.root / name)
        return name

    def folder(self, name: str, classes: dict[str, int]) -> str:
        for cls, count in classes.items():
            (self.root / name / cls).mkdir(parents=True, exist_ok=True)
            for i in range(count):
                self.png(f"{name}/{cls}/{i}.png")
        return name

    def model_variant(self, name: str, tensors: dict | None = None, **meta_changes: Any) -> str:
        """The image model's file with other tensors and/or metadata (bypassing save_model)."""
        raw = (self.root / IMAGE_MODEL).read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        meta = json.loads(json.loads(raw[8 : 8 + n])["__metadata__"]["lrnn"])
        meta.update(meta_changes)
        model = persist.load_model(self.root / IMAGE_MODEL)
        tensors = tensors or {"w": model.w, "b": np.array([model.b])}
        return self.bytes(
            name, safetensors.numpy.save(tensors, metadata={"lrnn": json.dumps(meta)})
        )

    def repeated_key(self, name: str, in_metadata: bool = False) -> str:
        """The image model's file with tensor 'w' (or, in its lrnn metadata, 'format_version')
        named twice: Python's json would keep the last silently, another reader the first."""
        raw = (self.root / IMAGE_MODEL).read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8 : 8 + n])
        pairs = [(key, json.dumps(value)) for key, value in header.items()]
        if in_metadata:
            meta_text = header["__metadata__"]["lrnn"]
            forged = '{"format_version": 99, ' + meta_text[1:]
            pairs = [
                (k, json.dumps({"lrnn": forged}) if k == "__metadata__" else v) for k, v in pairs
            ]
        else:
            pairs.append(("w", json.dumps(header["w"])))
        text = ("{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}").encode()
        return self.bytes(name, struct.pack("<Q", len(text)) + text + raw[8 + n :])

    def text_model_variant(self, name: str, feature_names: Any = None, **text_changes: Any) -> str:
        """The text model's file with other text settings or vocabulary (bypassing save_model)."""
        raw = (self.root / TEXT_MODEL).read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        meta = json.loads(json.loads(raw[8 : 8 + n])["__metadata__"]["lrnn"])
        meta["preprocessing"]["text"].update(text_changes)
        if feature_names is not None:
            meta["feature_names"] = feature_names(meta["feature_names"])
        model = persist.load_model(self.root / TEXT_MODEL)
        tensors = {"w": model.w, "b": np.array([model.b]), "idf": model.idf}
        return self.bytes(
            name, safetensors.numpy.save(tensors, metadata={"lrnn": json.dumps(meta)})
        )

    def manifest_variant(self, name: str, **changes: Any) -> str:
        model = persist.load_model(self.root / IMAGE_MODEL)
        model.manifest = {**model.manifest, **changes}
        persist.save_model(self.root / name, model)
        return name

    def checkpoint_variant(
        self,
        name: str,
        tensors: dict | None = None,
        config: dict | None = None,
        **meta_changes: Any,
    ) -> str:
        stored, meta = persist.load_checkpoint(self.root / CHECKPOINT)
        meta = {**meta, **meta_changes}
        if config is not None:
            meta["config"] = {**meta["config"], **config}
        persist.save_checkpoint(self.root / name, stored if tensors is None else tensors, meta)
        return name

    def limited(self, module: Any, name: str, value: int, path: str) -> str:
        """``path``, read while ``module.name`` (a size limit) is lowered to ``value``."""
        self.monkeypatch.setattr(module, name, value)
        return path

    def folder_with_bad_image(self, name: str) -> str:
        self.folder(name, {"a": 2, "b": 2})
        self.bytes(f"{name}/b/0.png", b"\x89PNG\r\n")
        return name

    def flat_folder(self, name: str) -> str:
        self.png(f"{name}/0.png")
        self.png(f"{name}/1.png")
        return name

    def npy_named_npz(self, name: str) -> str:
        np.save(self.root / "one.npy", _X)
        os.replace(self.root / "one.npy", self.root / name)
        return name

    def array_model(self, name: str) -> str:
        """A model trained on a 3-feature .npz (an array model: no column names to check)."""
        self.npz("train.npz", X=_X, y=_Y)
        assert main(["train", "train.npz", "--test", "train.npz", *T[:3], "--model", name]) == 0
        return name

    def symlink(self, name: str, target: str) -> str:
        (self.root / name).symlink_to(self.root / target)
        return name

    def directory(self, name: str) -> str:
        (self.root / name).mkdir()
        return name

    def raw_checkpoint(self, name: str, tensors: dict, metadata: dict) -> str:
        persist.save_checkpoint(self.root / name, tensors, metadata)
        return name


def _npy_header(shape: tuple, descr: str = "<f8") -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def _png_short_data() -> bytes:
    head = _png_header_only(4, 4)
    idat = zlib.compress(b"\0" * 3)
    chunk = (
        struct.pack(">I", len(idat))
        + b"IDAT"
        + idat
        + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    )
    return head[:-12] + chunk + head[-12:]


def _fit(X: Any, y: Any = None, **params: Any) -> Callable[[], Any]:
    y = np.array([0, 1] * (len(X) // 2)) if y is None else y
    return lambda: LogisticNeuron(max_iter=5, tol=0, **params).fit(X, y)


_X = np.random.default_rng(1).standard_normal((20, 3))
_Y = np.array([0, 1] * 10)
T = ["--no-plot", "--iterations", "3", "--model", "new.safetensors"]  # train, quickly
TR = ["--no-plot", "--model", "new.safetensors"]  # resume: the checkpoint's own settings
R = ["report", "digits", "--model", IMAGE_MODEL, "-o", "r.html", "--history"]


def _fitted_on_frame() -> LogisticNeuron:
    frame = pd.DataFrame(_X, columns=["a", "b", "c"])
    return LogisticNeuron(max_iter=3, tol=0).fit(frame, _Y)


def _overflowing_three_classes() -> LogisticNeuron:
    """A fitted softmax layer whose weights were edited to ±1e308: X·W overflows."""
    model = LogisticNeuron(max_iter=3, tol=0).fit(_X, np.arange(len(_X)) % 3)
    model.coef_ = np.where(model.coef_ > 0, 1e308, -1e308)
    return model


# --------------------------------------------------------------------------------------------
# The matrix

Build = Callable[[Files], "list[str] | Callable[[], Any]"]

# fmt: off
CASES: list[tuple[str, Build, str]] = [
    # ---- HDF5
    ("h5 empty file", lambda f: ["train", f.bytes("e.h5", b""), *T], "e.h5: not a readable HDF5"),
    ("h5 garbage", lambda f: ["train", f.bytes("g.h5", os.urandom(300)), *T], "g.h5"),
    ("h5 truncated", lambda f: ["train", f.truncated("cut.h5", f.h5_pictures("ok.h5")), *T], "cut.h5"),
    ("h5 no labels", lambda f: ["train", f.h5_pictures("x.h5", train_set_y=None), *T], "'train_set_y'"),
    ("h5 pixels over 255", lambda f: ["train", f.h5_pictures("p.h5", train_set_x=np.full((6, 2, 2, 3), 300, np.int16)), *T], "outside 0-255"),
    ("h5 one class listed", lambda f: ["train", f.h5_pictures("c.h5", classes=[b"a"]), *T], "two or more classes"),
    ("h5 list_classes not 1-D", lambda f: ["train", f.h5_pictures("c.h5", classes=[[b"a", b"b"], [b"c", b"d"]]), *T], "c.h5: 'list_classes' has shape (2, 2); give a 1-D list"),
    ("h5 list_classes not utf-8", lambda f: ["train", f.h5_pictures("c.h5", classes=[b"\xff\xfe", b"ok"]), *T], "c.h5: 'list_classes' entry 0 is not UTF-8 text"),
    ("h5 label beyond list_classes", lambda f: ["train", f.h5_pictures("c.h5", classes=[b"a", b"b", b"c"], train_set_y=np.array([0, 1, 3] * 2)), *T], "must hold 0 … 2"),
    ("h5 one class twice", lambda f: ["train", f.h5_pictures("c.h5", classes=[b"a", b"a"]), *T], "twice"),
    ("h5 gzip bomb", lambda f: ["train", _h5_gzip_bomb(f.root / "z.h5"), *T], "not real data"),
    ("h5 contiguous array never written", lambda f: ["train", _h5_unwritten(f.root / "u.h5"), *T], "'train_set_x' expands to 72089600 bytes from 0 stored"),
    ("npz naming X twice", lambda f: ["train", _npz_with_x_twice(f.root / "d.npz"), *T], "d.npz: holds the array X.npy twice"),
    ("npz compressed bomb", lambda f: ["train", _npz_bomb(f.root / "z.npz"), *T], "not real data"),
    ("h5 two thousand classes listed", lambda f: ["train", f.h5_pictures("c.h5", classes=[b"c%d" % i for i in range(2000)]), *T], "2000 classes, more than 1000"),
    ("h5 empty class name", lambda f: ["train", f.h5_pictures("c.h5", classes=[b"", b"cat"]), *T], "c.h5: 'list_classes' entry 0 is empty; name every class"),
    ("h5 class name with a newline", lambda f: ["train", f.h5_pictures("c.h5", classes=[b"a\nFAKE LINE", b"b"]), *T], "holds control characters"),
    ("csv label with a terminal escape", lambda f: ["train", f.text("e.csv", 'a,label\n1,"y\x1b[31m"\n2,n\n3,n\n4,"y\x1b[31m"\n'), *T], "holds control characters"),
    ("csv label reversing the text after it", lambda f: ["train", f.text("e.csv", "a,label\n1,\u202eexe.y\n2,n\n3,n\n4,\u202eexe.y\n"), *T], "holds control characters"),
    ("csv label column that is a feature (every value different)", lambda f: ["train", f.csv("id.csv", a=np.arange(40) % 2, label=np.linspace(0, 1, 40)), *T], "id.csv: label column 'label' holds 40 distinct values with fractions"),
    ("csv label column that is an ID (every value different)", lambda f: ["train", f.csv("id.csv", a=np.arange(40) % 2, label=np.arange(100, 140)), *T], "id.csv: the labels hold 40 different values in 40 examples, nearly all of them once: that looks like a feature or an ID, not classes; choose the column of class labels (--label NAME)"),
    ("a PNG named .csv", lambda f: ["train", f.bytes("p.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256))), *T], "p.csv: is a PNG picture, not a CSV table"),
    ("a CSV named .npy", lambda f: ["train", f.text("c.npy", "a,label\n1,0\n2,1\n"), *T], "c.npy is not a .npy array (it does not begin as one)"),
    ("csv from a European spreadsheet (';' and decimal commas)", lambda f: ["train", f.text("eu.csv", "a;b;label\n0,5;1,25;1\n0,25;2,5;0\n1,5;0,5;1\n"), *T], "eu.csv: the header looks ';'-separated (its rows then split at the commas of decimal numbers such as 0,5)"),
    ("csv without a header row", lambda f: ["train", f.text("nh.csv", "0.5,2.5,1\n0.2,3.1,0\n0.1,2.0,1\n0.4,1.0,0\n"), *T], "the columns are '0.5', '2.5', '1' — the first line holds numbers: add a header row"),
    ("csv that is an old Excel workbook", lambda f: ["train", f.bytes("book.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)), *T], "book.csv: is a Microsoft Office file (an .xls is one), not a CSV table; open it in its spreadsheet program and save it as CSV"),
    ("csv without a header, whole numbers and a word", lambda f: ["train", f.text("w.csv", "7,8,12,dog\n1,2,3,cat\n4,5,6,dog\n"), *T], "w.csv: no label column 'label'; the columns are '7', '8', '12', 'dog' — the first line holds numbers: add a header row"),
    ("csv whose header names years, without the label column", lambda f: ["train", f.text("y.csv", "region,2019,2020,target\n1,2.5,3.5,0\n2,1.5,2.5,1\n"), *T], "y.csv: no label column 'label'; the columns are 'region', '2019', '2020', 'target' — name the label column with --label"),
    ("csv without a header, a word among its numbers", lambda f: ["train", f.text("nh.csv", "0.126,4867.9,0.564,no\n0.2,3.1,0.1,yes\n0.1,2.0,0.3,no\n0.4,1.0,0.2,yes\n"), *T], "the columns are '0.126', '4867.9', '0.564', 'no' — the first line holds numbers: add a header row"),
    ("csv without a header, a number twice", lambda f: ["train", f.text("nh.csv", "0.5,0.5,1\n0.2,3.1,0\n0.1,2.0,1\n0.4,1.0,0\n"), *T], "appears twice in the header; the first line holds numbers: add a header row"),
    ("csv label one number written two ways", lambda f: ["train", f.text("n.csv", "a,label\n1,01\n2,1\n3,0\n4,1\n"), *T], "writes one number two ways ('01' and '1'); they would be one class — fix the file"),
    ("csv label one and one point zero", lambda f: ["train", f.text("n.csv", "a,label\n1,1.0\n2,1\n3,0\n4,0\n"), *T], "writes one number two ways ('1' and '1.0')"),
    ("model history without iteration numbers", lambda f: ["report", "digits", "--model", f.model_variant("h.safetensors", history={"iteration": [None, None], "cost": [None, None]}), "-o", "r.html"], "h.safetensors: the history's 'iteration' must hold whole numbers >= 0"),
    ("model without preprocessing", lambda f: ["predict", "--model", f.model_variant("p.safetensors", preprocessing={}), "digits"], "p.safetensors: the model file does not say what data it takes (its preprocessing is empty); retrain the model"),
    ("model class name forging a line", lambda f: ["predict", "--model", f.model_variant("f.safetensors", classes=["three\nFAKE", "eight"]), "digits"], "holds control characters"),
    ("model class names writing one number two ways", lambda f: ["predict", "--model", f.model_variant("n.safetensors", classes=["1", "1.0"]), "digits"], "the class names '1' and '1.0' write one number two ways, which data, matched to classes by value, cannot tell apart"),
    ("csv label ending in a NUL character", lambda f: ["train", f.text("nul.csv", "a,label\n1,yes\x00\n2,no\n3,yes\n4,no\n"), *T], "nul.csv: label column 'label' holds a NUL character (\\0) for example 1"),
    ("parquet numbers that decode to over 100 times the file", lambda f: ["train", f.limited(data.limits, "MIN_EXPANSION_BYTES", 0, f.parquet("z.parquet", a=np.zeros(100_000), b=np.zeros(100_000), c=np.zeros(100_000), label=np.arange(100_000) % 2)), *T], "z.parquet: the table expands to 3200000 bytes from"),
    ("model class names told apart by a zero-width space", lambda f: ["predict", "--model", f.model_variant("z.safetensors", classes=["eight", "eight\u200b"]), "digits"], "the class names 'eight' and 'eight\\u200b' look the same: they differ only in characters that draw nothing"),
    ("csv labels told apart by how the accent is encoded", lambda f: ["train", f.text("a.csv", "a,label\n1,caf\u00e9\n2,cafe\u0301\n3,caf\u00e9\n4,cafe\u0301\n"), *T], "a.csv: in label column 'label', the class names 'cafe\\u0301' and 'caf\\xe9' look the same: one writes an accented letter as one character, the other as a letter and a combining accent; give each class one spelling"),
    ("h5 class names told apart by a no-break space", lambda f: ["train", f.h5_pictures("c.h5", classes=[b"cat food", "cat\u00a0food".encode()]), *T], "c.h5: in 'list_classes', the class names 'cat food' and 'cat\\xa0food' look the same: they differ only in spacing; name each class one way"),
    ("h5 label not 0/1", lambda f: ["train", f.h5_pictures("l.h5", train_set_y=np.array([0, 2] * 3)), *T], "0 or 1"),
    ("h5 label count", lambda f: ["train", f.h5_pictures("l.h5", train_set_y=np.array([0, 1])), *T], "one label per example"),
    ("h5 nan label", lambda f: ["train", f.h5("n.h5", train_set_x=_X[:4], train_set_y=np.array([0, np.nan, 1, 0])), *T], "needs a label"),
    ("h5 huge declared", lambda f: ["train", f.h5_huge("huge.h5"), *T], "over lrnn's limit"),
    ("h5 in the lesson's layout (X as features × examples)", lambda f: ["train", f.h5("t.h5", train_set_x=np.ones((30, 4)), train_set_y=np.array([[0, 1, 0, 1]])), *T], "one label per column of 'train_set_x', as in the lesson's layout (features × examples): store 'train_set_x' transposed (X.T)"),
    ("npz in the lesson's layout", lambda f: ["train", f.npz("t.npz", X=np.ones((3, 8)), y=np.array([[0, 1] * 4])), *T], "'y' has shape (1, 8) but 'X' has 3 rows; there is one label per column of 'X'"),
    ("h5 pictures already scaled to 0–1", lambda f: ["train", f.h5("s.h5", train_set_x=np.full((4, 8, 8, 3), 0.5), train_set_y=np.array([0, 1, 0, 1])), *T], "holds pictures of dtype float64 (shape (4, 8, 8, 3)); lrnn reads pictures as 0-255 integers and scales them itself: store them as uint8 — (x * 255).round().astype('uint8')"),
    ("h5 nan feature", lambda f: ["train", f.h5("n.h5", train_set_x=np.array([[1.0, np.nan], [2, 3]]), train_set_y=np.array([0, 1])), *T], "x[0, 1] is nan"),
    ("h5 strings as x", lambda f: ["train", f.h5("s.h5", train_set_x=np.array([b"ab", b"cd"]), train_set_y=np.array([0, 1])), *T], "dtype |S2"),
    ("h5 group as x", lambda f: ["train", f.h5("g.h5", train_set_x=np.zeros(0), train_set_y=np.array([0, 1])), *T], "'train_set_x'"),
    ("h5 zero features", lambda f: ["train", f.h5("z.h5", train_set_x=np.zeros((4, 0)), train_set_y=np.array([0, 1, 0, 1])), *T], "no features"),
    ("h5 as test, other classes", lambda f: ["train", "--test", f.h5_pictures("t.h5"), *T], "classes"),
    # ---- image folders
    ("folder one class", lambda f: ["train", f.folder("imgs", {"a": 2}), *T], "all 2 examples are of class 'a'; training needs examples of both classes"),
    ("folder classes writing one number two ways", lambda f: ["train", f.folder("imgs", {"1": 2, "01": 2}), *T], "imgs: as class folders, the class names '01' and '1' write one number two ways; rename one, or move its pictures into the other."),
    ("npz text labels writing one number two ways", lambda f: ["train", f.npz("s.npz", X=np.zeros((4, 2)), y=np.array(["1", "1.0", "1", "1.0"])), *T], "s.npz: in 'y', the class names '1' and '1.0' write one number two ways; give each class one spelling."),
    ("folder empty class", lambda f: ["train", f.folder("imgs", {"a": 2, "b": 0}), *T], "imgs/b: no images"),
    ("folder corrupt image", lambda f: ["train", f.folder_with_bad_image("imgs"), *T], "imgs/b/0.png"),
    ("folder unlabeled for training", lambda f: ["train", f.flat_folder("flat"), *T], "two or more sub-folders"),
    # ---- image files
    ("image empty", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("e.png", b"")], "e.png: is empty (0 bytes), not a picture; save or copy it again"),
    ("pictures too large to train on", lambda f: ["train", (f.png("big/a/1.png", (3000, 2000), "RGB"), f.png("big/b/1.png", (3000, 2000), "RGB"), "big")[2], *T], "give --image-size 64x64"),
    ("image that is PostScript", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("ps.png", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\nshowpage\n")], "ps.png: not an image file lrnn reads"),
    ("image data cut short", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("s.png", _png_short_data())], "s.png: cannot decode"),
    ("image declares 10 gigapixels", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("h.png", _png_header_only(100_000, 100_000))], "too large"),
    ("icon around a 10-gigapixel frame", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("i.ico", icon_around(_png_header_only(100_000, 100_000)))], "an icon frame of 10000000000 pixels"),
    ("image zero size", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("z.png", _png_header_only(0, 0))], "z.png"),
    ("float image above 1", lambda f: ["predict", "--model", IMAGE_MODEL, f.float_tiff("f.tiff", [0.0, 255.0])], "f.tiff: floating-point pixels range from 0 to 255, not 0–1"),
    ("float image negative", lambda f: ["predict", "--model", IMAGE_MODEL, f.float_tiff("f.tiff", [-0.5, 0.5])], "from -0.5 to 0.5, not 0–1"),
    ("float image NaN", lambda f: ["predict", "--model", IMAGE_MODEL, f.float_tiff("f.tiff", [0.2, float("nan")])], "f.tiff: holds NaN or infinite pixels"),
    ("float image infinite", lambda f: ["predict", "--model", IMAGE_MODEL, f.float_tiff("f.tiff", [0.2, float("inf")])], "f.tiff: holds NaN or infinite pixels"),
    ("float image in a training folder", lambda f: ["train", (f.folder("imgs", {"a": 2, "b": 2}), f.float_tiff("imgs/b/x.tiff", [0.0, 2.0]))[0], *T], "imgs/b/x.tiff: floating-point pixels"),
    ("32-bit image beyond 16 bits", lambda f: ["predict", "--model", IMAGE_MODEL, f.int32_tiff("i.tiff", [0, 70000])], "i.tiff: integer pixels range from 0 to 70000, beyond 16 bits"),
    ("32-bit image negative", lambda f: ["evaluate", "--model", IMAGE_MODEL, (f.folder("imgs", {"three": 1, "eight": 1}), f.int32_tiff("imgs/eight/n.tiff", [-1, 5]))[0]], "n.tiff: integer pixels range from -1"),
    ("image plus folder", lambda f: ["predict", "--model", IMAGE_MODEL, f.png("a.png"), f.folder("imgs", {"a": 1, "b": 1})], "not a mix"),
    ("image missing among files", lambda f: ["predict", "--model", IMAGE_MODEL, f.png("a.png"), "gone.png"], "gone.png: no such file"),
    ("images for a table model", lambda f: ["predict", "--model", TABLE_MODEL, f.png("a.png"), f.png("b.png")], "table data"),
    ("a device for a table model", lambda f: ["predict", "--model", TABLE_MODEL, "/dev/null", f.png("b.png")], "/dev/null: not a regular file (a pipe or a device: data is read from files); give a .csv or .parquet file"),
    # ---- CSV
    ("csv zero bytes", lambda f: ["train", f.text("e.csv", ""), *T], "the file is empty"),
    ("csv ragged rows", lambda f: ["train", f.text("r.csv", "a,label\n1,0\n2,1,5\n"), *T], "r.csv: cannot read as csv"),
    ("csv first row longer than the header", lambda f: ["train", f.text("s.csv", "a,b,label\n1,2,3,0\n0.1,0.2,1\n0.3,0.4,0\n0.5,0.6,1\n"), *T], "s.csv: line 2 has 4 fields but the header names 3 columns"),
    ("csv every row longer than the header", lambda f: ["train", f.text("s.csv", "a,b,label\n9,1,2,0\n9,0.1,0.2,1\n9,0.3,0.4,0\n9,0.5,0.6,1\n"), *T], "line 2 has 4 fields but the header names 3"),
    ("predict on a csv whose first row is longer", lambda f: ["predict", "--model", TABLE_MODEL, f.text("s.csv", "a,b,c\n1,2,3,4\n0.1,0.2,0.3\n")], "s.csv: line 2 has 4 fields"),
    ("--history over a file lrnn did not write", lambda f: ["train", *T, "--history", f.text("mine.csv", "a,b\n1,2\n")], "--history mine.csv already exists and was not written by lrnn"),
    ("--history over a log with lrnn's columns and notes", lambda f: ["train", *T, "--history", f.text("log.csv", "iteration,cost,notes\n1,0.5,keep this\n")], "--history log.csv already exists and was not written by lrnn"),
    ("--history over a JSON log with lrnn's keys and notes", lambda f: ["train", *T, "--history", f.text("log.json", '{"iteration": [1], "cost": [0.5], "notes": ["keep this"]}')], "--history log.json already exists and was not written by lrnn"),
    ("--plot over a picture lrnn did not write", lambda f: ["train", "--iterations", "3", "--model", "new.safetensors", "--plot", f.png("photo.png")], "--plot photo.png already exists and was not written by lrnn"),
    ("--report over a page lrnn did not write", lambda f: ["train", *T, "--report", f.text("mine.html", "<html>mine</html>")], "--report mine.html already exists and was not written by lrnn"),
    ("report -o over a page lrnn did not write", lambda f: ["report", "--model", TABLE_MODEL, "-o", f.text("mine.html", "<html>mine</html>"), "table.csv"], "-o mine.html already exists and was not written by lrnn"),
    ("csv names too long for a model file", lambda f: ["train", f.text("n.csv", _long_named_table(9000, 1000)), *T], "more than a model file's header holds"),
    ("csv binary garbage", lambda f: ["train", f.bytes("g.csv", bytes(range(256)) * 4), *T], "g.csv: not valid utf-8 text"),
    ("csv unterminated quote", lambda f: ["train", f.text("q.csv", 'a,label\n"1,0\n2,1\n'), *T], "q.csv"),
    ("csv label only spaces", lambda f: ["train", f.text("l.csv", "a,label\n1,yes\n2,   \n3,no\n"), *T], "l.csv: label column 'label' is blank for example 2"),
    ("csv label tab only", lambda f: ["evaluate", "--model", TABLE_MODEL, f.text("l.csv", "a,b,c,label\n1,2,3,yes\n1,2,3,\t\n")], "is blank for example 2"),
    ("positive class not in the data", lambda f: lambda: data.load(f.csv("p.csv", _table_frame()), positive_class="maybe"), "positive class 'maybe' is not one of its classes ('no', 'yes')"),
    ("positive class of unlabelled data", lambda f: lambda: data.set_positive_class(data.load(f.csv("u.csv", _table_frame()[["a", "b"]]), require_labels=False), "yes"), "no labels"),
    ("csv label missing in a row", lambda f: ["train", f.text("l.csv", "a,label\n1,0\n2,\n3,1\n"), *T], "is empty (or NA, None, null or N/A, which a CSV reader takes for missing) in row 2"),
    ("csv only a label", lambda f: ["train", f.text("o.csv", "label\n0\n1\n"), *T], "no feature columns"),
    ("csv integer beyond float", lambda f: ["train", f.text("i.csv", "a,label\n1" + "0" * 400 + ",0\n2,1\n"), *T], "column 'a'"),
    ("csv semicolons", lambda f: ["train", f.text("s.csv", "a;label\n1;0\n2;1\n"), *T], "no label column 'label'"),
    ("csv line too long", lambda f: ["train", f.limited(data.limits, "MAX_LINE_BYTES", 64, f.text("long.csv", "a,label\n" + "1" * 100 + ",0\n")), *T], "line 2 is longer"),
    ("csv too many columns", lambda f: ["train", f.limited(data.limits, "MAX_COLUMNS", 3, f.text("w.csv", "a,b,c,label\n1,2,3,0\n")), *T], "4 columns"),
    ("parquet label column of structs", lambda f: ["train", f.parquet("s.parquet", a=np.arange(20.0) % 3, label=[{"k": c} for c in ["yes", "no"] * 10]), *T], "s.parquet: label column 'label' holds structs (e.g. {'k': 'yes'}), not one label per example"),
    ("parquet label column of lists", lambda f: ["train", f.parquet("s.parquet", a=np.arange(20.0) % 3, label=[[c] for c in ["yes", "no"] * 10]), *T], "s.parquet: label column 'label' holds lists (e.g. ['yes']), not one label per example"),
    ("csv label column named with a space before it", lambda f: ["train", f.csv("t.csv", _table_frame().rename(columns={"label": " label"})), "--label", "label", *T], "no label column 'label'; the columns are 'a', 'b', 'c', ' label' — give --label ' label' if that is the column meant"),
    ("csv --label in other case", lambda f: ["train", f.csv("t.csv", _table_frame()), "--label", "Label", *T], "no label column 'Label'; the columns are 'a', 'b', 'c', 'label' — give --label 'label' if that is the column meant"),
    ("csv feature column named in capitals", lambda f: ["predict", "--model", TABLE_MODEL, f.text("u.csv", "A,b,c\n1,2,3\n")], "u.csv: missing feature column(s) 'a' that the model was trained on; the file has 'A': rename it to 'a' if it is that column"),
    ("csv semicolons to predict", lambda f: ["predict", "--model", TABLE_MODEL, f.text("s.csv", "a;b;c\n1;2;3\n")], "s.csv: missing feature column(s) 'a', 'b', 'c' that the model was trained on; the header looks ';'-separated"),
    ("--drop a column the table lacks", lambda f: ["train", f.csv("t.csv", _table_frame()), "--drop", "id", *T], "t.csv: --drop names 'id', which the table's feature columns ('a', 'b', 'c') do not hold"),
    ("--drop the label column", lambda f: ["train", f.csv("t.csv", _table_frame()), "--drop", "label", *T], "--drop 'label': that is the label column, which is never trained on as a feature"),
    ("--drop every column", lambda f: ["train", f.csv("t.csv", _table_frame()), "--drop", "a", "--drop", "b", "--drop", "c", *T], "--drop leaves t.csv no feature column"),
    ("--drop on pictures", lambda f: ["train", "digits", "--drop", "a", *T], "--drop leaves out columns of a table; builtin:digits is image data"),
    ("--drop while streaming", lambda f: ["train", f.npy_folder("big"), "--drop", "a", *T], "--drop is not available when training streams from disk"),
    ("csv wrong --label", lambda f: ["train", f.csv("t.csv", _table_frame()), "--label", "target", *T], "no label column 'target'"),
    ("predict on two tables", lambda f: ["predict", "--model", TABLE_MODEL, f.csv("a.csv", _table_frame()), f.csv("b.csv", _table_frame())], "a.csv: one of 2 inputs, but a model trained on table data reads one data file at a time"),
    ("predict on two svmlight files", lambda f: ["predict", "--model", SVM_MODEL, f.text("a.svm", "1 1:1\n"), f.text("b.svm", "0 2:1\n")], "a.svm: one of 2 inputs, but a model trained on svmlight data reads one"),
    ("text model: a table among documents", lambda f: ["predict", "--model", TEXT_MODEL, f.text("d.txt", "good film"), f.csv("t.csv", body=["a good film"])], "t.csv: a table among other inputs"),
    ("--validation of another kind than the training data", lambda f: ["train", f.csv("t.csv", _table_frame()), "--validation", f.npz("v.npz", X=_X, y=_Y), *T], "v.npz: the training data is table data but this is array data"),
    ("csv missing model column", lambda f: ["predict", "--model", TABLE_MODEL, f.csv("t.csv", _table_frame().drop(columns="c"))], "'c'"),
    ("csv separated by semicolons", lambda f: ["train", f.text("s.csv", "a;b;label\n1;2;0\n3;4;1\n"), *T], "the header looks ';'-separated, and lrnn reads comma-separated files"),
    ("csv other classes than model", lambda f: ["evaluate", "--model", TABLE_MODEL, f.csv("t.csv", _table_frame().replace({"yes": "Y", "no": "N"}))], "differ from the model's"),
    ("csv four classes to evaluate", lambda f: ["evaluate", "--model", TABLE_MODEL, f.csv("t.csv", _table_frame().assign(label=["a", "b", "c", "d"] * 10))], "differ from the model's"),
    ("3-class model: evaluate unseen label", lambda f: ["evaluate", "--model", THREE_MODEL, f.csv("t.csv", _three_frame().assign(label=["lo", "mid", "hi", "huge"] * 10))], "differ from the model's"),
    ("3-class model with weights of 1e308: report", lambda f: ["report", "--model", f.huge_weights("h.safetensors", THREE_MODEL), f.csv("t.csv", _three_frame()), "-o", "r.html"], "t.csv: row 3: its logit is not finite: that row holds NaN or infinite values, or X·w overflowed"),
    ("3-class model: predict --threshold", lambda f: ["predict", "--model", THREE_MODEL, f.csv("t.csv", _three_frame()), "--threshold", "0.3"], "two-class models only"),
    ("3-class model: evaluate --choose-threshold", lambda f: ["evaluate", "--model", THREE_MODEL, f.csv("t.csv", _three_frame()), "--choose-threshold", "f1"], "two-class models only"),
    ("3-class model: evaluate --threshold", lambda f: ["evaluate", "--model", THREE_MODEL, f.csv("t.csv", _three_frame()), "--threshold", "0.4"], "two-class models only"),
    ("3-class model: evaluate --save", lambda f: ["evaluate", "--model", THREE_MODEL, f.csv("t.csv", _three_frame()), "--save"], "--save (it stores a chosen threshold) applies to two-class models only — drop it"),
    ("evaluate --save without --choose-threshold", lambda f: ["evaluate", "digits", "--model", IMAGE_MODEL, "--save"], "--save stores a threshold chosen with --choose-threshold; add it"),
    ("3 classes: --positive-class", lambda f: ["train", f.csv("t.csv", _three_frame()), "--positive-class", "mid", *T], "drop --positive-class"),
    ("predict --top zero", lambda f: ["predict", "--model", THREE_MODEL, f.csv("t.csv", _three_frame()), "--top", "0"], "--top"),
    ("csv inf in a feature", lambda f: ["evaluate", "--model", TABLE_MODEL, f.csv("t.csv", _table_frame().assign(b=np.inf))], "column 'b' has value inf"),
    ("csv for an image model", lambda f: ["evaluate", "--model", IMAGE_MODEL, f.csv("t.csv", _table_frame())], "image data"),
    # ---- Parquet
    ("csv label column twice", lambda f: ["train", f.text("d.csv", "a,label,label\n1,0,0\n3,1,1\n5,0,0\n7,1,1\n"), *T], "d.csv: the column name 'label' appears twice in the header"),
    ("csv column NA twice", lambda f: ["train", f.text("d.csv", "NA,NA,label\n1,2,0\n3,4,1\n1,2,0\n3,4,1\n"), *T], "d.csv: the column name 'NA' appears twice"),
    ("csv feature column twice", lambda f: ["predict", "--model", TABLE_MODEL, f.text("d.csv", "a,b,a,label\n1,2,3,yes\n")], "d.csv: the column name 'a' appears twice"),
    ("parquet label bytes not utf-8", lambda f: ["train", f.bytes("b.parquet", _parquet_binary_labels()), *T], "b.parquet: label column 'label' row 2 is not UTF-8 text"),
    ("parquet column twice", lambda f: ["train", f.bytes("d.parquet", _parquet_repeated_column()), *T], "d.parquet: the column name 'a' appears twice"),
    ("parquet garbage", lambda f: ["train", f.bytes("g.parquet", b"PAR1" + os.urandom(64) + b"PAR1"), *T], "not a readable parquet"),
    ("parquet zero bytes", lambda f: ["train", f.bytes("e.parquet", b""), *T], "e.parquet"),
    ("parquet strings that decode to gigabytes", lambda f: ["train", f.bytes("s.parquet", _parquet_string_bomb(300)), *T], "of text once decoded"),
    ("parquet truncated", lambda f: ["train", f.truncated("cut.parquet", f.parquet("ok.parquet", _table_frame())), *T], "cut.parquet"),
    ("parquet no rows", lambda f: ["train", f.parquet("z.parquet", _table_frame().iloc[:0]), *T], "no examples"),
    ("parquet text feature", lambda f: ["train", f.parquet("s.parquet", a=["x", "y"], label=[0, 1]), *T], "non-numeric value 'x'"),
    ("parquet date feature", lambda f: ["train", f.parquet("d.parquet", a=pd.to_datetime(["2020-01-01", "2021-01-01"]), label=[0, 1]), *T], "column 'a'"),
    ("parquet nan feature", lambda f: ["train", f.parquet("n.parquet", a=[1.0, np.nan], label=[0, 1]), *T], "column 'a' is empty or NaN (row 2)"),
    ("parquet too many columns", lambda f: ["train", f.limited(data.limits, "MAX_COLUMNS", 2, f.parquet("w.parquet", _table_frame())), *T], "4 columns"),
    # ---- npz
    ("npz zero bytes", lambda f: ["train", f.bytes("e.npz", b""), *T], "not a .npz file"),
    ("npz that is a csv", lambda f: ["train", f.text("c.npz", "a,b,label\n1,2,x\n3,4,y\n"), *T], "not a .npz file (a .npz is a zip archive)"),
    ("npz not a zip", lambda f: ["train", f.bytes("g.npz", b"PK\x03\x04" + os.urandom(60)), *T], "g.npz"),
    ("npz single array", lambda f: ["train", f.npy_named_npz("one.npz"), *T], "single array"),
    ("zarr with an unknown codec", lambda f: ["train", f.zarr_unknown_codec("d.zarr"), *T], "the zarr store d.zarr cannot be read (unknown codec: 'frobnicate')"),
    ("streamed training, X.npy cut short", lambda f: ["train", (f.npy_folder("big"), f.truncated("big/X.npy", "big/X.npy"), "big")[-1], *T], "big/X.npy is not a plain .npy array (mmap length is greater than file size)"),
    ("streamed training, X.npy of a negative shape", lambda f: ["train", (f.npy_folder("neg"), f.bytes("neg/X.npy", _npy_header((-10, 3)) + b"\0" * 240), "neg/X.npy")[-1], *T], "neg/X.npy is not a plain .npy array (memory mapped length must be positive)"),
    ("streamed training, NaN in X.npy", lambda f: ["train", f.npy_folder("big", np.where(np.arange(60).reshape(20, 3) == 44, np.nan, _X)), *T], "X.npy: X[14, 2] is nan; features must be finite numbers — fill in or drop that row"),
    ("streamed Parquet folder, inf in its second file", lambda f: ["train", f.parquet_folder("parts", [1.0, np.inf], [0, 1]), *T], "parts/part-1.parquet: column 'a' has value inf (row 2), infinite"),
    ("streamed Parquet folder, an empty cell", lambda f: ["train", f.parquet_folder("parts", [1.0, 2.0, None], [0, 1, 0]), *T], "parts/part-1.parquet: column 'a' is empty (row 3); fill in or drop that row"),
    ("Parquet folder, a file with an extra column", lambda f: ["train", (f.parquet_folder("parts", [1.0, 2.0], [0, 1]), pd.DataFrame({"a": [1.0, 2.0], "z": [3.0, 4.0], "label": [0, 1]}).to_parquet(f.root / "parts" / "part-2.parquet"), "parts")[2], *T], "part-2.parquet has column 'z' that parts/part-0.parquet lacks; every file must hold the same feature and label columns"),
    ("--backend dask on a streamed layout", lambda f: ["train", f.parquet_folder("parts", [1.0, 2.0, 3.0, 4.0], [0, 1, 0, 1]), "--backend", "dask", *T], "--backend dask cannot read parts: it streams from disk, a block of rows at a time, through lrnn's own reader"),
    ("--backend torch on a streamed layout", lambda f: ["train", f.parquet_folder("parts", [1.0, 2.0, 3.0, 4.0], [0, 1, 0, 1]), "--backend", "torch", *T], "--backend torch cannot read parts: it streams from disk, a block of rows at a time, through lrnn's own reader; drop --backend (torch trains on data that fits in memory"),
    ("--stream with a built-in data set", lambda f: ["train", "digits", "--stream", *T], "--stream reads training data from disk (.npy files, a Zarr store, Parquet); the built-in 'digits' is small and loaded into memory — drop --stream"),
    ("--stream with the default data set", lambda f: ["train", "--stream", *T], "the built-in 'digits' is small and loaded into memory — drop --stream"),
    ("--report before the data it was meant to train on", lambda f: ["train", "--report", f.csv("t.csv", _table_frame()), "--no-plot"], "--report t.csv: a report is written as .html or .htm; give a name such as report.html (to train on t.csv, give it before --report: lrnn train t.csv --report)"),
    ("--test a Parquet folder, training in memory", lambda f: ["train", f.csv("t.csv", _table_frame()), "--test", f.parquet_folder("parts", [1.0], [0]), *T], "--test parts: a folder of Parquet files; training streams it from disk, but a test set is read into memory"),
    ("streamed Parquet folder, an empty label", lambda f: ["train", f.parquet_folder("parts", [1.0, 2.0], [None, 1]), *T], "parts/part-1.parquet: the label column 'label' is empty (row 1)"),
    ("streamed training, --test an .npz", lambda f: ["train", f.npy_folder("big"), "--test", f.npz("t.npz", X=_X, y=_Y), *T], "--test t.npz: streamed training reads its test data"),
    ("npz X of dates", lambda f: ["train", f.npz("d.npz", X=np.zeros((4, 2), dtype="datetime64[D]"), y=[0, 1, 0, 1]), *T], "'X' has shape (4, 2) and dtype datetime64[D]; expected a 2-D numeric array (examples, features) — save the features as numbers"),
    ("npz pickled objects", lambda f: ["train", f.npz("o.npz", X=np.array([[1], [2]], dtype=object), y=[0, 1]), *T], "pickle"),
    ("npz no X", lambda f: ["train", f.npz("k.npz", features=_X, y=_Y), *T], "no array named 'x'"),
    ("npz no y", lambda f: ["train", f.npz("k.npz", X=_X), *T], "no array named 'y'"),
    ("npz X and x", lambda f: ["train", f.npz("k.npz", X=_X, x=_X[:, :2], y=_Y), *T], "both 'x' and 'x'"),
    ("npz y and Y", lambda f: ["train", f.npz("k.npz", X=_X, y=_Y, Y=1 - _Y), *T], "both 'y' and 'y'"),
    ("npz 3-D X", lambda f: ["train", f.npz("d.npz", X=np.zeros((2, 2, 2)), y=[0, 1]), *T], "shape (2, 2, 2)"),
    ("npz complex X", lambda f: ["train", f.npz("c.npz", X=_X + 1j, y=_Y), *T], "complex128"),
    ("npz y length", lambda f: ["train", f.npz("y.npz", X=_X, y=_Y[:5]), *T], "one label per row"),
    ("npz nan label", lambda f: ["train", f.npz("y.npz", X=_X, y=np.where(_Y == 1, np.nan, 0)), *T], "every label"),
    ("npz 1001 classes", lambda f: ["train", f.npz("y.npz", X=np.zeros((1001, 2)), y=np.arange(1001)), *T], "is that the label column? Give class labels."),
    ("csv of UTF-8 read as UTF-16", lambda f: ["train", f.text("u.csv", "a,label\n1,0\n2,1\n"), *T, "--encoding", "utf-16"], "u.csv: no byte-order mark at its start, which utf-16 needs (UTF-16 stream does not start with BOM); UTF-16 without one is --encoding utf-16-le or utf-16-be"),
    ("csv in UTF-16 without a byte-order mark", lambda f: ["train", f.bytes("w.csv", "a,label\n1,0\n2,1\n".encode("utf-16-le")), *T], "w.csv: looks like UTF-16-LE text without a byte-order mark (a zero byte beside each character); give --encoding utf-16-le, or save the file as UTF-8."),
    ("csv label column of measurements", lambda f: ["train", f.csv("w.csv", a=np.arange(60.0), alcohol=np.arange(1100, 1160) / 100), "--label", "alcohol", *T], "w.csv: label column 'alcohol' holds 60 distinct values with fractions ('11', '11.01', '11.02', '11.03', '11.04', ...): measurements, not classes, each of which would be a class of its own; choose the column of class labels (--label NAME), or bin the values into a few classes"),
    ("npz labels of measurements", lambda f: ["train", f.npz("m.npz", X=np.zeros((40, 2)), y=np.linspace(1.0, 6.9, 40)), *T], "m.npz: 'y' holds 40 distinct values with fractions"),
    ("npz zero features", lambda f: ["train", f.npz("z.npz", X=np.zeros((4, 0)), y=[0, 1, 0, 1]), *T], "no features"),
    ("npz huge declared", lambda f: ["train", f.npz_members("h.npz", X=_npy_header((10**11, 100)) + b"\0" * 16), *T], "over lrnn's limit"),
    ("npz negative shape", lambda f: ["train", f.npz_members("n.npz", X=_npy_header((-2, 2)) + b"\0" * 32), *T], "n.npz: array 'X' declares the shape (-2, 2), with a negative size: the file is damaged or not made by numpy.save"),
    ("npy negative shape to predict", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("neg.npy", _npy_header((-1, 3)) + b"\0" * 100)], "neg.npy: the array declares the shape (-1, 3), with a negative size"),
    ("npy pickled objects to predict", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("o.npy", _npy_header((2,), "|O") + b"\0" * 16)], "o.npy: the array holds python objects"),
    ("npy huge declared to predict", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("h.npy", _npy_header((10**11, 100)) + b"\0" * 16)], "over lrnn's limit"),
    ("npy cut short to predict", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("s.npy", _npy_header((4, 4)) + b"\0" * 8)], "s.npy: not a readable .npy file"),
    ("npy header with a call to predict", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("c.npy", _npy_header("__import__('os').getpid()") + b"\0" * 16)], "c.npy: not a readable .npy file (malformed node or string on line 1: ast.Call); save arrays with numpy.save"),
    ("npy not numpy to predict", lambda f: ["predict", "--model", IMAGE_MODEL, f.text("t.npy", "hello")], "t.npy: not a readable .npy file"),
    ("npy 3-D to predict", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("d.npy", _npy_header((2, 2, 2)) + b"\0" * 64)], "shape (2, 2, 2)"),
    ("npy for an image model", lambda f: ["predict", "--model", IMAGE_MODEL, f.bytes("x.npy", _npy_header((2, 64)) + b"\0" * 1024)], "image data"),
    ("npy without y.npy to evaluate", lambda f: ["evaluate", "--model", IMAGE_MODEL, f.bytes("x.npy", _npy_header((2, 64)) + b"\0" * 1024)], "no labels beside it"),
    ("npz member cut short", lambda f: ["train", f.npz_members("s.npz", X=_npy_header((2, 2)) + b"\0" * 8), *T], "'x' is unreadable"),
    # ---- model files
    ("model zero bytes", lambda f: ["predict", "--model", f.bytes("e.safetensors", b""), "digits"], "too short"),
    ("model that is an npz of data", lambda f: ["predict", "--model", f.npz("d.npz", X=np.zeros((2, 2)), y=[0, 1]), "digits"], "d.npz: this is a NumPy .npz archive of arrays (data), not a model"),
    ("model text file", lambda f: ["evaluate", "--model", f.text("m.txt", "w = 1\n" * 10), "digits"], "not a safetensors"),
    ("model truncated", lambda f: ["evaluate", "--model", f.truncated("cut.safetensors", IMAGE_MODEL, 0.9), "digits"], "cut.safetensors"),
    ("model is a folder", lambda f: ["evaluate", "--model", f.directory("m.safetensors"), "digits"], "is a folder"),
    ("model missing", lambda f: ["gradcheck", "--model", "gone.safetensors"], "gone.safetensors: no such file"),
    ("model is a checkpoint", lambda f: ["predict", "--model", CHECKPOINT, "digits"], "is a checkpoint, not a model"),
    ("model integer weights", lambda f: ["evaluate", "--model", f.model_variant("i.safetensors", {"w": np.zeros(64, dtype=np.int64), "b": np.zeros(1)}), "digits"], "got shapes (64,) and (1,) of dtype int64 and float64; the file is corrupt"),
    ("model nan weights", lambda f: ["evaluate", "--model", f.model_variant("n.safetensors", {"w": np.full(64, np.nan), "b": np.zeros(1)}), "digits"], "nan"),
    ("model weights overflowing to predict", lambda f: ["predict", "--model", f.model_variant("o.safetensors", {"w": np.tile([1e308, -1e308], 32), "b": np.zeros(1)}), "digits"], "builtin:digits: digit-0: its logit is not finite"),
    ("model weights overflowing to evaluate", lambda f: ["evaluate", "--model", f.model_variant("o.safetensors", {"w": np.tile([1e308, -1e308], 32), "b": np.zeros(1)}), "digits"], "largest |w| = 1e+308"),
    ("3-class weights overflowing (estimator)", lambda f: lambda: _overflowing_three_classes().predict_proba(_X), "X·w overflowed"),
    ("model weight count", lambda f: ["evaluate", "--model", f.model_variant("w.safetensors", {"w": np.zeros(10), "b": np.zeros(1)}), "digits"], "64 features but w has 10"),
    ("model newer format", lambda f: ["predict", "--model", f.model_variant("v.safetensors", format_version=99), "digits"], "upgrade lrnn"),
    ("model format version of 4000 digits", lambda f: ["predict", "--model", f.model_variant("v.safetensors", format_version=10**4000), "digits"], "written in format version 1000000000000000000… by lrnn"),
    ("model huge header", lambda f: ["predict", "--model", f.bytes("h.safetensors", struct.pack("<Q", 2**60) + b"{}"), "digits"], "header declares"),
    ("model history longer than lrnn keeps", lambda f: ["report", "digits", "--model", f.model_variant("h.safetensors", history={"iteration": list(range(1001)), "cost": [0.5] * 1001}), "-o", "r.html"], "h.safetensors: the history holds 1001 rows; lrnn keeps at most 1000"),
    ("model history past its iterations", lambda f: ["report", "digits", "--model", f.model_variant("h.safetensors", history={"iteration": [0, 10**6], "cost": [0.7, 0.1]}), "-o", "r.html"], "the history records iteration 1000000 but the model trained for"),
    ("model dtype of a million characters", lambda f: ["predict", "--model", f.header_only("d.safetensors", {"w": {"dtype": "X" * 10**6, "shape": [1], "data_offsets": [0, 8]}}), "digits"], "tensor 'w' has dtype 'XXXXXXXX"),
    ("model preprocessing kind of a million characters", lambda f: ["predict", "--model", f.model_variant("k.safetensors", preprocessing={"kind": "x" * 10**6}), "digits"], "kind 'xxxxxxxx"),
    ("model with an idf tensor but not trained on text", lambda f: ["predict", "--model", f.model_variant("i.safetensors", {"w": np.zeros(64), "b": np.zeros(1), "idf": np.ones(64)}), "digits"], "i.safetensors: an 'idf' tensor in a model not trained on text; the file is corrupt"),
    ("model naming a tensor twice", lambda f: ["predict", "--model", f.repeated_key("r.safetensors"), "digits"], "r.safetensors: the header names 'w' twice"),
    ("model naming a metadata key twice", lambda f: ["evaluate", "--model", f.repeated_key("r.safetensors", in_metadata=True), "digits"], "r.safetensors: the lrnn metadata names 'format_version' twice"),
    ("model huge tensor", lambda f: ["predict", "--model", f.header_only("t.safetensors", {"w": {"dtype": "F64", "shape": [2**40], "data_offsets": [0, 8]}}), "digits"], "t.safetensors: tensor 'w'"),
    ("model tensor of 71 axes", lambda f: ["predict", "--model", f.header_only("t.safetensors", {"w": {"dtype": "F64", "shape": [1] * 70 + [1], "data_offsets": [0, 8]}}), "digits"], "t.safetensors: tensor 'w' has a shape lrnn never writes"),
    ("model empty tensor of huge axes", lambda f: ["predict", "--model", f.header_only("t.safetensors", {"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}, "idf": {"dtype": "F64", "shape": [0, 2**62, 2**62], "data_offsets": [8, 8]}}), "digits"], "tensor 'idf' has a shape lrnn never writes ([0, 4611686018427387904"),
    ("text folder to a table model", lambda f: ["predict", "--model", TABLE_MODEL, (f.text("docs/neg/a.txt", "a dull film"), f.text("docs/pos/b.txt", "a fine film"), "docs")[-1]], "docs: the model was trained on table data but this is a folder of text files; give a .csv or .parquet file"),
    ("text folder to an image model", lambda f: ["evaluate", "--model", IMAGE_MODEL, (f.text("docs/neg/a.txt", "a dull film"), f.text("docs/pos/b.txt", "a fine film"), "docs")[-1]], "docs: the model was trained on image data but this is a folder of text files"),
    ("model on another kind of data", lambda f: ["evaluate", "--model", TABLE_MODEL, "digits"], "table data"),
    ("model feature count for report", lambda f: ["report", "breast_cancer", "--model", IMAGE_MODEL, "-o", "r.html"], "image data"),
    # ---- verify (the manifest is read from the model file)
    ("verify without manifest", lambda f: ["verify", "--model", f.manifest_variant("n.safetensors", solver_settings=None)], "no manifest"),
    ("verify unknown setting", lambda f: ["verify", "--model", f.manifest_variant("u.safetensors", solver_settings={"solver": "gd", "turbo": 1})], "unknown key(s) 'turbo'"),
    ("verify bad setting", lambda f: ["verify", "--model", f.manifest_variant("s.safetensors", solver_settings={"solver": "gd", "max_iter": -1})], "max_iter=-1"),
    ("verify a run without end", lambda f: ["verify", "--model", f.manifest_variant("s.safetensors", solver_settings={"solver": "gd", "max_iter": 10**15})], "max_iter=1000000000000000"),
    ("verify a number beyond float", lambda f: ["verify", "--model", f.manifest_variant("s.safetensors", solver_settings={"solver": "gd", "learning_rate": 10**400})], "learning_rate=1000"),
    ("verify without a data hash", lambda f: ["verify", "--model", f.manifest_variant("h.safetensors", data_sha256=None)], "records no hash of its training data"),
    ("verify no data source", lambda f: ["verify", "--model", f.manifest_variant("d.safetensors", data_source=7, request=None)], "no data source"),
    ("verify corrupt request", lambda f: ["verify", "--model", f.manifest_variant("d.safetensors", request={"data": 7})], "data=7 cannot be used"),
    ("verify corrupt request fraction", lambda f: ["verify", "--model", f.manifest_variant("d.safetensors", request={"validation_fraction": 2.0})], "validation_fraction=2.0"),
    ("verify corrupt request class weight", lambda f: ["verify", "--model", f.manifest_variant("d.safetensors", request={"class_weight": {"1": [1]}})], "class_weight={'1': [1]} cannot be used"),
    ("verify corrupt request text settings", lambda f: ["verify", "--model", f.manifest_variant("d.safetensors", request={"text": {"ngram_range": "x"}})], "text={'ngram_range': 'x'} cannot be used"),
    ("verify manifest data path with an escape", lambda f: ["verify", "--model", f.manifest_variant("d.safetensors", request={"data": "d\x1b[2J.csv"})], "d\\x1b[2J.csv: no such file"),
    ("verify other data", lambda f: ["verify", "--model", IMAGE_MODEL, "breast_cancer"], "image data"),
    ("verify other table", lambda f: ["verify", "--model", TABLE_MODEL, f.csv("o.csv", _table_frame(seed=5))], "sha256 differs"),
    # ---- checkpoints (train --resume)
    ("resume missing", lambda f: ["train", "--resume", "gone.safetensors", *TR], "gone.safetensors: no such file"),
    ("resume into itself", lambda f: ["train", "--resume", CHECKPOINT, "--no-plot", "--model", CHECKPOINT], "the checkpoint --resume reads"),
    ("resume from a model", lambda f: ["train", "--resume", IMAGE_MODEL, *TR], "is a model, not a checkpoint"),
    ("resume garbage", lambda f: ["train", "--resume", f.bytes("g.ckpt", os.urandom(100)), *TR], "g.ckpt"),
    ("resume truncated", lambda f: ["train", "--resume", f.truncated("cut.ckpt", CHECKPOINT), *TR], "cut.ckpt"),
    ("resume no settings", lambda f: ["train", "--resume", f.raw_checkpoint("n.ckpt", {"theta": np.zeros(65)}, {"iteration": 1}), *TR], "no run settings"),
    ("resume unknown setting", lambda f: ["train", "--resume", f.checkpoint_variant("u.ckpt", config={"warp": 9}), *TR], "unknown key(s) 'warp'"),
    ("resume bad learning rate", lambda f: ["train", "--resume", f.checkpoint_variant("l.ckpt", config={"learning_rate": "fast"}), *TR], "learning_rate='fast'"),
    ("resume bad iteration", lambda f: ["train", "--resume", f.checkpoint_variant("i.ckpt", iteration=-3), *TR], "iteration -3"),
    ("resume history past its iteration", lambda f: ["train", "--resume", f.checkpoint_variant("h.ckpt", iteration=10, history={"iteration": [0, 1e300], "cost": [0.7, 0.6]}), *TR], "h.ckpt: its history records iteration 1e+300 (the checkpoint is at 10)"),
    ("resume history of text", lambda f: ["train", "--resume", f.checkpoint_variant("h.ckpt", iteration=10, history={"iteration": [0, 5], "cost": [0.7, "low"]}), *TR], "h.ckpt: its history holds values that are not numbers"),
    ("resume no theta", lambda f: ["train", "--resume", f.checkpoint_variant("t.ckpt", tensors={"other": np.zeros(65)}), *TR], "'theta'"),
    ("resume from a pipe", lambda f: ["train", "--resume", (os.mkfifo(f.root / "p.ckpt"), "p.ckpt")[1], *TR], "p.ckpt: is not a regular file (a pipe, a device or a socket); give a checkpoint"),
    ("model from a pipe", lambda f: ["predict", "--model", (os.mkfifo(f.root / "m.safetensors"), "m.safetensors")[1], "digits"], "m.safetensors: is not a regular file (a pipe, a device or a socket); give a model file"),
    ("resume a negative adam count", lambda f: ["train", "--resume", f.checkpoint_variant("t.ckpt", opt_state={"__type__": "AdamState", "count": -5}), *TR], "the optimiser's count -5 is not a count"),
    ("resume theta shape", lambda f: ["train", "--resume", f.checkpoint_variant("t.ckpt", tensors={"theta": np.zeros(3)}), *TR], "tensor 'theta' has shape (3,)"),
    ("resume nan theta", lambda f: ["train", "--resume", f.checkpoint_variant("t.ckpt", tensors={"theta": np.full(65, np.nan)}), *TR], "tensor 'theta'"),
    ("resume no optimiser state", lambda f: ["train", "--resume", f.checkpoint_variant("o.ckpt", opt_state=None), *TR], "its optimiser state is none"),
    ("resume history missing a column", lambda f: ["train", "--resume", f.checkpoint_variant("h.ckpt", history={"iteration": [0], "cost": [0.7], "loss": [0.7], "grad_norm": [0.1], "learning_rate": [0.005]}), *TR], "h.ckpt: its history has the columns cost, grad_norm, iteration, learning_rate, loss, not those a run records"),
    ("resume negative early-stopping count", lambda f: ["train", "--resume", f.checkpoint_variant("b.ckpt", bad_checks=-5), *TR], "b.ckpt: its bad_checks -5 is not a count"),
    ("resume ragged history", lambda f: ["train", "--resume", f.checkpoint_variant("h.ckpt", history={"iteration": [0, 1], "cost": [0.7]}), *TR], "history is not columns of equal length"),
    ("resume iteration beyond the run", lambda f: ["train", "--resume", f.checkpoint_variant("i.ckpt", iteration=10**30), *TR], "is beyond its run's"),
    ("resume bad rng state", lambda f: ["train", "--resume", f.checkpoint_variant("r.ckpt", rng_state={"state": 1}), *TR], "r.ckpt"),
    ("resume other data", lambda f: ["train", f.csv("t.csv", _table_frame()), "--resume", CHECKPOINT, *TR], "other data"),
    ("resume option differs", lambda f: ["train", "--resume", CHECKPOINT, "--learning-rate", "0.1", *TR], "--learning-rate 0.1 differs"),
    # ---- training histories (report --history)
    ("history zero bytes", lambda f: [*R, f.text("h.csv", "")], "h.csv: the file is empty"),
    ("history binary", lambda f: [*R, f.bytes("h.csv", bytes(range(256)))], "not utf-8"),
    ("history wrong columns", lambda f: [*R, f.text("h.csv", "a,b\n1,2\n")], "no 'iteration' or 'cost'"),
    ("history text value", lambda f: [*R, f.text("h.csv", "iteration,cost\n0,0.7\n1,abc\n")], "cost[1] is 'abc'"),
    ("history ragged", lambda f: [*R, f.text("h.csv", "iteration,cost\n0,0.7\n1\n")], "line 3"),
    ("history truncated", lambda f: [*R, f.truncated("cut.csv", HISTORY, 0.5)], "cut.csv"),
    ("history bad json", lambda f: [*R, f.text("h.json", "{not json")], "not valid json"),
    ("history json list", lambda f: [*R, f.text("h.json", "[1, 2]")], "object of lists"),
    ("history json uneven", lambda f: [*R, f.text("h.json", '{"iteration": [0, 1], "cost": [1]}')], "column 'cost' has 1 values"),
    ("history other suffix", lambda f: [*R, f.text("h.txt", "iteration,cost\n")], "'.txt'"),
    # ---- numeric options
    ("--iterations negative", lambda f: ["train", "--iterations", "-5"], "--iterations: must be an integer between 1 and 10,000,000"),
    ("--iterations beyond the limit", lambda f: ["train", "--iterations", "100000000"], "--iterations: must be an integer between 1 and 10,000,000"),
    ("--iterations fraction", lambda f: ["train", "--iterations", "2.5"], "--iterations: expected a whole number"),
    ("--iterations exponent", lambda f: ["train", "--iterations", "1e3"], "--iterations"),
    ("--learning-rate inf", lambda f: ["train", "--learning-rate", "inf"], "--learning-rate: must be a finite number > 0"),
    ("--learning-rate word", lambda f: ["train", "--learning-rate", "fast"], "'auto'"),
    ("--learning-rate negative in exponent form", lambda f: ["train", "--learning-rate", "-1e-3"], "--learning-rate: must be a finite number > 0 or 'auto'; got -0.001"),
    ("--epsilon negative in exponent form", lambda f: ["gradcheck", "--epsilon", "-1e-6"], "argument --epsilon: must be > 0, got -1e-6"),
    ("--alpha nan", lambda f: ["train", "--alpha", "nan"], "--alpha: must be a finite number ≥ 0"),
    ("--alpha negative", lambda f: ["train", "--alpha", "-0.1"], "--alpha: must be a finite number ≥ 0"),
    ("--alpha overflow", lambda f: ["train", "--alpha", "1e309"], "--alpha"),
    ("--tol negative", lambda f: ["train", "--tol=-1e-3"], "--tol: must be a finite number ≥ 0"),
    ("--tol inf", lambda f: ["train", "--tol", "inf"], "--tol: must be a finite number ≥ 0"),
    ("--batch-size zero", lambda f: ["train", "--batch-size", "0"], "--batch-size: must be an integer ≥ 1"),
    ("--checkpoint-every zero", lambda f: ["train", "--checkpoint-every", "0"], "--checkpoint-every: must be ≥ 1"),
    ("--checkpoint-every negative", lambda f: ["train", "--checkpoint-every", "-3"], "--checkpoint-every: must be ≥ 1"),
    ("--print-every zero", lambda f: ["train", "--print-every", "0"], "--print-every: must be an integer ≥ 1"),
    ("--n-iter-no-change zero", lambda f: ["train", "--early-stopping", "--n-iter-no-change", "0"], "--n-iter-no-change"),
    ("--validation-fraction zero", lambda f: ["train", "--validation-fraction", "0"], "--validation-fraction: must be a number strictly between 0 and 1"),
    ("--validation-fraction one", lambda f: ["train", "--validation-fraction", "1"], "--validation-fraction: must be a number strictly between 0 and 1"),
    ("--validation-fraction nan", lambda f: ["train", "--validation-fraction", "nan"], "--validation-fraction"),
    ("--image-size zero side", lambda f: ["train", "--image-size", "0x5"], "--image-size: sides must be between"),
    ("--image-size huge", lambda f: ["train", "--image-size", "5000x5000"], "--image-size"),
    ("--image-size three sides", lambda f: ["train", "--image-size", "4x4x4"], "'4x4x4'"),
    ("--image-size words", lambda f: ["train", "digits", *T, "--image-size", "big"], "'big'"),
    ("--image-size on hdf5 pictures", lambda f: ["train", f.h5_pictures("p.h5"), *T, "--image-size", "32"], "cannot change; drop --image-size"),
    ("--image-size on a table", lambda f: ["train", f.csv("t.csv", _table_frame()), *T, "--image-size", "8x8"], "holds table data"),
    ("--image-size with a model", lambda f: ["evaluate", "digits", "--model", IMAGE_MODEL, "--image-size", "8"], "unrecognized arguments"),
    ("--seed negative", lambda f: ["train", "--seed", "-1"], "--seed: must be an integer in [0, 4294967295]"),
    ("--seed too big", lambda f: ["compare-lr", "--seed", str(2**32)], "--seed"),
    ("--class-weight zero", lambda f: ["train", "--class-weight", '{"three": 0, "eight": 0}', *T], "weight 0"),
    ("--class-weight zero for one class", lambda f: ["train", "--class-weight", '{"three": 0}', *T], "--class-weight gives every example of class 'three' weight 0: the fit would learn the other classes alone"),
    ("--class-weight of 400 digits", lambda f: ["train", "--class-weight", '{"three": 1' + "0" * 400 + "}", *T], "class 'three' has weight 10000"),
    ("--class-weight whose total overflows", lambda f: ["train", "--class-weight", '{"three": 1e308, "eight": 1e308}', *T], "add up to inf in float64 (largest class weight 1e+308); only their ratios matter"),
    ("--alpha so large no step helps", lambda f: ["train", "--alpha", "1e308", "--learning-rate", "auto", *T], "alpha=1e+308 makes the penalty's curvature too large"),
    ("--class-weight NaN", lambda f: ["train", "--class-weight", '{"three": NaN, "eight": 1}', *T], "class 'three' has weight NaN; weights are finite numbers"),
    ("--class-weight unknown class", lambda f: ["train", "--class-weight", '{"cat": 2}', *T], "class 'cat'"),
    ("--class-weight a class twice", lambda f: ["train", "--class-weight", '{"three": 1, "three": 5}', *T], "class 'three' is given two weights"),
    ("--class-weight negative", lambda f: ["train", "--class-weight", '{"three": -1}'], "class 'three' has weight -1; weights are finite numbers ≥ 0"),
    ("--class-weight a string", lambda f: ["train", "--class-weight", '{"three": "2"}'], "class 'three' has weight \"2\"; weights are finite numbers ≥ 0"),
    ("--threshold above one", lambda f: ["predict", "--model", IMAGE_MODEL, "digits", "--threshold", "1.5"], "--threshold: must be ≤ 1"),
    ("--threshold negative", lambda f: ["evaluate", "digits", "--model", IMAGE_MODEL, "--threshold", "-0.1"], "--threshold: must be ≥ 0"),
    ("--threshold nan", lambda f: ["predict", "--model", IMAGE_MODEL, "digits", "--threshold", "nan"], "--threshold: must be finite"),
    ("--choose-threshold unknown", lambda f: ["evaluate", "digits", "--model", IMAGE_MODEL, "--choose-threshold", "best"], "'best'"),
    ("--threshold with --choose-threshold", lambda f: ["evaluate", "digits", "--model", IMAGE_MODEL, "--threshold", "0.3", "--choose-threshold", "f1"], "give only one of them"),
    ("--choose-threshold precision 2", lambda f: ["evaluate", "digits", "--model", IMAGE_MODEL, "--choose-threshold", "precision=2"], "precision"),
    ("--rates zero", lambda f: ["compare-lr", "--rates", "0.01", "0"], "--rates: must be > 0"),
    ("--rates inf", lambda f: ["compare-lr", "--rates", "inf"], "--rates: must be finite"),
    ("--rates none", lambda f: ["compare-lr", "--rates"], "--rates: expected at least one"),
    ("--rates word", lambda f: ["compare-lr", "--rates", "auto"], "--rates"),
    ("compare-lr --iterations zero", lambda f: ["compare-lr", "--iterations", "0"], "--iterations"),
    ("--coordinates zero", lambda f: ["gradcheck", "--coordinates", "0"], "--coordinates: must be ≥ 1"),
    ("gradcheck a model on other classes", lambda f: ["gradcheck", "digits10", "--model", IMAGE_MODEL], "differ"),
    ("--coordinates negative", lambda f: ["gradcheck", "--coordinates", "-4"], "--coordinates: must be ≥ 1"),
    ("--epsilon zero", lambda f: ["gradcheck", "--epsilon", "0"], "--epsilon: must be > 0"),
    ("--epsilon inf", lambda f: ["gradcheck", "--epsilon", "inf"], "--epsilon: must be finite"),
    ("--epsilon above one", lambda f: ["gradcheck", "--epsilon", "2"], "--epsilon: must be ≤ 1"),
    ("--epsilon negative", lambda f: ["gradcheck", "--epsilon=-1e-6"], "--epsilon: must be > 0"),
    # ---- export and serve (the HTTP side of serve: tests/test_serve.py, HTTP_CASES)
    ("export over its model", lambda f: ["export", "--model", IMAGE_MODEL, "-o", IMAGE_MODEL], "is the model file itself"),
    ("export into a missing folder", lambda f: ["export", "--model", IMAGE_MODEL, "-o", "no/such/m.onnx"], "does not exist"),
    ("export a folder as output", lambda f: ["export", "--model", IMAGE_MODEL, "-o", f.directory("out")], "is a folder"),
    ("export garbage model", lambda f: ["export", "--model", f.bytes("g.safetensors", os.urandom(200))], "g.safetensors"),
    ("train --model where nothing can be written", lambda f: ["train", "--no-plot", "--iterations", "3", "--model", "/proc/lrnn-x.safetensors"], "cannot write in the folder /proc"),
    ("export over a file it did not write", lambda f: ["export", "--model", IMAGE_MODEL, "-o", f.bytes("mine.onnx", b"my own graph")], "was not written by lrnn export"),
    ("export to a name that is not .onnx", lambda f: ["export", "--model", IMAGE_MODEL, "-o", f.bytes("data.h5", b"data")], "written as .onnx"),
    ("export's default path taken", lambda f: ["export", "--model", (f.bytes("m/digits.onnx", b"mine"), f.bytes("m/digits.safetensors", (f.root / IMAGE_MODEL).read_bytes()))[1]], "was not written by lrnn export"),
    ("serve garbage model", lambda f: ["serve", "--model", f.bytes("g.safetensors", os.urandom(200)), "--port", "0"], "g.safetensors"),
    ("serve --port out of range", lambda f: ["serve", "--model", IMAGE_MODEL, "--port", "70000"], "--port: must be between 0 and 65535"),
    ("serve --port word", lambda f: ["serve", "--model", IMAGE_MODEL, "--port", "http"], "--port: expected a whole number"),
    ("serve --max-body-mb zero", lambda f: ["serve", "--model", IMAGE_MODEL, "--max-body-mb", "0"], "--max-body-mb: must be > 0"),
    ("serve address not here", lambda f: ["serve", "--model", IMAGE_MODEL, "--host", "192.0.2.1", "--port", "0"], "cannot listen on 192.0.2.1:0"),
    # ---- the estimator
    ("fit max_iter 0", lambda f: lambda: LogisticNeuron(max_iter=0).fit(_X, _Y), "max_iter must be an integer between 1 and 10,000,000"),
    ("fit learning_rate nan", lambda f: lambda: LogisticNeuron(learning_rate=float("nan")).fit(_X, _Y), "learning_rate"),
    ("fit learning_rate inf", lambda f: lambda: LogisticNeuron(learning_rate=float("inf")).fit(_X, _Y), "learning_rate"),
    ("fit alpha negative", lambda f: lambda: LogisticNeuron(alpha=-1).fit(_X, _Y), "alpha must be a finite number ≥ 0"),
    ("fit tol inf", lambda f: lambda: LogisticNeuron(tol=float("inf")).fit(_X, _Y), "tol"),
    ("fit batch_size 0", lambda f: lambda: LogisticNeuron(solver="sgd", batch_size=0).fit(_X, _Y), "batch_size"),
    ("fit validation_fraction 1", lambda f: lambda: LogisticNeuron(validation_fraction=1.0, early_stopping=True).fit(_X, _Y), "validation_fraction"),
    ("fit eval_set of weight 0", lambda f: lambda: LogisticNeuron(early_stopping=True, class_weight={0: 0.0}).fit(_X, _Y, eval_set=(_X[_Y == 0], _Y[_Y == 0])), "class_weight gives every example of class '0' weight 0: the fit would learn the other classes alone"),
    ("--validation of weight 0", lambda f: ["train", f.csv("table.csv", _table_frame()), "--validation", f.csv("v.csv", _table_frame().query("label == 'no'")), "--class-weight", '{"no": 0}', "--early-stopping", *T], "--class-weight gives every example of class 'no' weight 0"),
    ("fit random_state negative", lambda f: lambda: LogisticNeuron(random_state=-1).fit(_X, _Y), "random_state"),
    ("fit random_state text", lambda f: lambda: LogisticNeuron(random_state="seed").fit(_X, _Y), "random_state"),
    ("fit class_weight zeros", lambda f: _fit(_X, _Y, class_weight={0: 0, 1: 0}), "weight 0"),
    ("fit class_weight unknown", lambda f: _fit(_X, _Y, class_weight={"cat": 1}), "class 'cat'"),
    ("fit X nan", lambda f: _fit(np.where(_X > 1, np.nan, _X)), "NaN"),
    ("fit X inf", lambda f: _fit(np.where(_X > 1, np.inf, _X)), "infinity"),
    ("fit X 3-D", lambda f: _fit(_X.reshape(20, 3, 1)), "dim 3"),
    ("fit X no rows", lambda f: _fit(_X[:0], _Y[:0]), "0 sample"),
    ("fit X no features", lambda f: _fit(_X[:, :0]), "0 feature"),
    ("fit X text", lambda f: _fit(np.full((20, 3), "a")), "could not convert"),
    ("fit X complex", lambda f: _fit(_X + 1j), "Complex"),
    ("fit y two columns", lambda f: _fit(_X, np.column_stack([_Y, _Y])), "y must be 1-d"),
    ("fit y one class", lambda f: _fit(_X, np.zeros(20)), "only one class"),
    ("fit y nan", lambda f: _fit(_X, np.where(_Y == 1, np.nan, 0.0)), "NaN"),
    ("fit y continuous", lambda f: _fit(_X, np.linspace(0, 1, 20)), "continuous"),
    ("fit y length", lambda f: _fit(_X, _Y[:5]), "one label per row"),
    ("fit sample_weight summing past float64", lambda f: lambda: LogisticNeuron().fit(_X, _Y, sample_weight=np.full(20, 1e308)), "sample_weight sums to inf in float64"),
    ("fit sample_weight negative", lambda f: lambda: LogisticNeuron().fit(_X, _Y, sample_weight=-np.ones(20)), "sample_weight"),
    ("fit sample_weight shape", lambda f: lambda: LogisticNeuron().fit(_X, _Y, sample_weight=np.ones(3)), "sample_weight"),
    ("fit eval_set single", lambda f: lambda: LogisticNeuron(max_iter=2).fit(_X, _Y, eval_set=(_X,)), "eval_set must be a pair"),
    ("fit eval_set lengths", lambda f: lambda: LogisticNeuron(max_iter=2).fit(_X, _Y, eval_set=(_X, _Y[:3])), "y_val"),
    ("fit eval_set features", lambda f: lambda: LogisticNeuron(max_iter=2).fit(_X, _Y, eval_set=(_X[:, :2], _Y)), "2 features"),
    ("fit eval_set unknown label", lambda f: lambda: LogisticNeuron(max_iter=2).fit(_X, _Y, eval_set=(_X, _Y + 5)), "eval_set labels"),
    ("predict feature count", lambda f: lambda: _fitted_on_frame().predict(_X[:, :2]), "2 features"),
    ("predict feature names", lambda f: lambda: _fitted_on_frame().predict(pd.DataFrame(_X, columns=["c", "b", "a"])), "feature names"),
    ("predict unseen name", lambda f: lambda: _fitted_on_frame().predict(pd.DataFrame(_X, columns=["a", "b", "z"])), "unseen"),
    ("predict nan", lambda f: lambda: _fitted_on_frame().predict(np.full((2, 3), np.nan)), "NaN"),
    ("predict unfitted", lambda f: lambda: LogisticNeuron().predict(_X), "not fitted"),
    # ---- outputs: every path checked before any work, none may name an input or another output
    ("--model is the data", lambda f: ["train", f.csv("table.csv", _table_frame()), *T[:3], "--model", "table.csv"], "same file as the input DATA table.csv"),
    ("--model is the test file", lambda f: ["train", f.csv("table.csv", _table_frame()), "--test", f.csv("t.csv", _table_frame()), "--no-plot", "--model", "t.csv"], "same file as the input --test"),
    ("--model is the validation file", lambda f: ["train", f.csv("table.csv", _table_frame()), "--validation", f.csv("v.csv", _table_frame()), "--no-plot", "--model", "v.csv"], "same file as the input --validation"),
    ("--history is the data", lambda f: ["train", f.csv("table.csv", _table_frame()), *T, "--history", "table.csv"], "same file as the input DATA"),
    ("--history is the test file", lambda f: ["train", f.csv("table.csv", _table_frame()), "--test", f.csv("t.csv", _table_frame()), *T, "--history", "t.csv"], "same file as the input --test"),
    ("--model through a symlink to the data", lambda f: ["train", f.csv("table.csv", _table_frame()), "--no-plot", "--model", f.symlink("link.safetensors", "table.csv")], "same file as the input"),
    ("--history through a symlink to the data", lambda f: ["train", f.csv("table.csv", _table_frame()), *T, "--history", f.symlink("h.csv", "table.csv")], "same file as the input"),
    ("--plot is the model", lambda f: ["train", "--model", "m.safetensors", "--plot", "m.safetensors", "--iterations", "3"], "a plot is written as .png"),
    ("--plot is the data", lambda f: ["train", f.csv("table.csv", _table_frame()), "--iterations", "3", "--model", "new.safetensors", "--plot", "table.csv"], "--plot table.csv"),
    ("--plot png symlink into an image folder", lambda f: ["train", f.folder("imgs", {"a": 2, "b": 2}), "--iterations", "3", "--model", "new.safetensors", "--plot", f.symlink("p.png", "imgs/a/0.png")], "inside the input folder imgs"),
    ("--model inside the image folder", lambda f: ["train", f.folder("imgs", {"a": 2, "b": 2}), "--no-plot", "--iterations", "3", "--model", "imgs/m.safetensors"], "inside the input folder imgs"),
    ("--report is the model", lambda f: ["train", *T, "--report", "new.safetensors"], "a report is written as .html"),
    ("--report same as --plot", lambda f: ["train", "--iterations", "3", "--model", "n.safetensors", "--plot", "x.png", "--report", "x.png"], "--report x.png"),
    ("--checkpoint same as --model", lambda f: ["train", *T, "--checkpoint", "new.safetensors", "--checkpoint-every", "1"], "is also the --model output"),
    ("--history same as --checkpoint", lambda f: ["train", *T, "--checkpoint", "c.csv", "--history", "c.csv"], "is also the"),
    ("--model same as --report html", lambda f: ["train", "--no-plot", "--iterations", "3", "--model", "r.html", "--report", "r.html"], "is also the --model output"),
    ("--model same as --plot png", lambda f: ["train", "--iterations", "3", "--model", "m.png", "--plot", "m.png"], "is also the --model output"),
    ("--model is a folder", lambda f: ["train", *T[:3], "--model", f.directory("out")], "is a folder"),
    ("--model in a missing folder", lambda f: ["train", *T[:3], "--model", "nowhere/m.safetensors"], "does not exist"),
    ("--model is a pipe", lambda f: ["train", *T[:3], "--model", (os.mkfifo(f.root / "m.safetensors"), "m.safetensors")[1]], "not a regular file"),
    ("--report is a pipe", lambda f: ["train", *T, "--report", (os.mkfifo(f.root / "r.html"), "r.html")[1]], "not a regular file (a device, a pipe or a socket), and writing the output would replace it; give a file name such as report.html"),
    ("--history is a pipe", lambda f: ["train", *T, "--history", (os.mkfifo(f.root / "h.csv"), "h.csv")[1]], "give a file name such as history.csv"),
    ("export to a pipe", lambda f: ["export", "--model", IMAGE_MODEL, "-o", (os.mkfifo(f.root / "g.onnx"), "g.onnx")[1]], "not a regular file"),
    ("--model empty", lambda f: ["train", *T[:3], "--model", ""], "--model is empty"),
    ("--plot empty", lambda f: ["train", *T[3:], "--iterations", "3", "--plot", ""], "--plot is empty"),
    ("--history empty", lambda f: ["train", *T, "--history", ""], "--history is empty"),
    ("--checkpoint empty", lambda f: ["train", *T, "--checkpoint", ""], "--checkpoint is empty"),
    ("--plot in a missing folder", lambda f: ["train", "--iterations", "3", "--model", "n.safetensors", "--plot", "gone/p.png"], "does not exist"),
    ("--plot is a folder", lambda f: ["train", "--iterations", "3", "--model", "n.safetensors", "--plot", f.directory("pics.png")], "is a folder"),
    ("--history suffix txt", lambda f: ["train", *T, "--history", "h.txt"], "written as .csv or .json"),
    ("--history no suffix", lambda f: ["train", *T, "--history", "history"], "written as .csv or .json"),
    ("--history in a missing folder", lambda f: ["train", *T, "--history", "gone/h.csv"], "does not exist"),
    ("--history is a folder", lambda f: ["train", *T, "--history", f.directory("h.json")], "is a folder"),
    ("--report suffix pdf", lambda f: ["train", *T, "--report", "r.pdf"], "written as .html"),
    ("--report in a missing folder", lambda f: ["train", *T, "--report", "gone/r.html"], "does not exist"),
    ("--checkpoint in a missing folder", lambda f: ["train", *T, "--checkpoint", "gone/c.safetensors", "--checkpoint-every", "1"], "does not exist"),
    ("default plot beside the model is someone else's", lambda f: [f.png("mine.png", mode="RGB")] and ["train", "--iterations", "3", "--model", "mine.safetensors"], "was not written by lrnn"),
    ("default report beside the model is someone else's", lambda f: [f.text("new.html", "<html>my page</html>")] and ["train", *T, "--report"], "was not written by lrnn"),
    ("compare-lr default plot is someone else's", lambda f: [f.png("lrnn-compare-lr.png", mode="RGB")] and ["compare-lr", "--iterations", "2"], "was not written by lrnn"),
    ("compare-lr --plot suffix", lambda f: ["compare-lr", "--iterations", "2", "--plot", "c.jpg"], "written as .png"),
    ("compare-lr --plot is the test file", lambda f: ["compare-lr", f.csv("table.csv", _table_frame()), "--test", f.png("t.png"), "--plot", "t.png", "--iterations", "2"], "same file as the input --test"),
    ("compare-lr --plot in a missing folder", lambda f: ["compare-lr", "--iterations", "2", "--plot", "gone/c.png"], "does not exist"),
    ("report -o is the model", lambda f: ["report", "digits", "--model", IMAGE_MODEL, "-o", IMAGE_MODEL], "written as .html"),
    ("report -o symlink to the model", lambda f: ["report", "digits", "--model", IMAGE_MODEL, "-o", f.symlink("r.html", IMAGE_MODEL)], "same file as the input --model"),
    ("report -o symlink to the history", lambda f: ["report", "digits", "--model", IMAGE_MODEL, "--history", HISTORY, "-o", f.symlink("r.html", HISTORY)], "same file as the input --history"),
    ("report -o is the data", lambda f: ["report", f.csv("d.csv", _table_frame()), "--model", TABLE_MODEL, "-o", "d.csv"], "written as .html"),
    ("report -o empty", lambda f: ["report", "digits", "--model", IMAGE_MODEL, "-o", ""], "-o is empty"),
    ("report -o in a missing folder", lambda f: ["report", "digits", "--model", IMAGE_MODEL, "-o", "gone/r.html"], "does not exist"),
    ("report default -o is someone else's", lambda f: [f.text("lrnn-report.html", "<p>mine</p>")] and ["report", "digits", "--model", IMAGE_MODEL], "was not written by lrnn"),
    ("report -o is a folder", lambda f: ["report", "digits", "--model", IMAGE_MODEL, "-o", f.directory("r.html")], "is a folder"),
    # ---- exit 2 for data that cannot be used, whatever the command
    ("predict wrong width npz", lambda f: ["predict", "--model", TABLE_MODEL, f.npz("w.npz", X=np.zeros((2, 5)))], "give"),
    ("predict array of the wrong width", lambda f: ["predict", "--model", f.array_model("a.safetensors"), f.npz("w.npz", X=np.zeros((2, 5)))], "5 features per example, but the model was trained on 3"),
    ("evaluate array of the wrong width", lambda f: ["evaluate", f.npz("w.npz", X=np.zeros((2, 5)), y=np.array([0, 1])), "--model", f.array_model("a.safetensors")], "5 features per example, but the model was trained on 3"),
    ("evaluate three classes", lambda f: ["evaluate", f.csv("three.csv", a=[1.0, 2, 3], b=[1.0, 2, 3], c=[1.0, 2, 3], label=["x", "y", "z"]), "--model", TABLE_MODEL], "class"),
    ("train missing file", lambda f: ["train", "no-such-file.csv", *T], "no-such-file.csv"),
    ("evaluate missing file", lambda f: ["evaluate", "no-such-file.h5", "--model", IMAGE_MODEL], "no-such-file.h5"),
    ("predict missing model", lambda f: ["predict", "--model", "gone.safetensors", "x.png"], "gone.safetensors"),
    # ---- text and svmlight
    ("text folder of empty documents only", lambda f: ["train", (f.bytes("r/neg/empty.txt", b" \n"), f.bytes("r/pos/none.txt", b""), "r")[2], *T], "r: 2 of 2 document(s) are empty (neg/empty.txt, pos/none.txt); add their text"),
    ("text folder binary file", lambda f: ["train", f.reviews("r", {"neg/x.txt": b"\x89PNG\x00\x00"}), *T], "x.txt: looks like a binary file"),
    ("text folder not utf-8", lambda f: ["train", f.reviews("r", {"neg/l.txt": "café".encode("latin-1")}), *T], "l.txt: not valid utf-8 text (byte 0xe9 at offset 3); give --encoding"),
    ("text vocabulary empty after --min-df", lambda f: ["train", f.reviews("r", {}), *T, "--min-df", "50"], "no words are left in the vocabulary with --min-df 50"),
    ("text folder without a word, hashed", lambda f: ["train", (f.text("e/a/1.txt", "😀 !"), f.text("e/b/1.txt", "😢 ?"), "e")[2], *T, "--hashing", "64"], "e: none of the 2 documents holds a word (a word is two or more letters, digits or underscores, with their accents and vowel signs: emoji"),
    ("text folder without a word", lambda f: ["train", (f.text("e/a/1.txt", "😀 !"), f.text("e/b/1.txt", "😢 ?"), "e")[2], *T], "no words are left in the vocabulary with --min-df 2 (with 2 documents; a word is two or more letters, digits or underscores, with their accents and vowel signs); give documents with words."),
    ("--text-column to a table model", lambda f: ["predict", "--model", TABLE_MODEL, f.csv("t.csv", _table_frame()), "--text-column", "a"], "--text-column names a table's column of documents for a text model; table.safetensors is a model of table data — drop --text-column"),
    ("text --min-df 1.0", lambda f: ["train", f.reviews("r", {}), *T, "--min-df", "1.0"], "--min-df 1.0 must be a whole count ≥ 1 (of documents) or a fraction between 0 and 1 (of the documents, 1 itself excluded: give the count 1"),
    ("text --min-df fraction above one", lambda f: ["train", f.reviews("r", {}), *T, "--min-df", "1.5"], "--min-df 1.5 must be"),
    ("text --ngrams reversed", lambda f: ["train", f.reviews("r", {}), *T, "--ngrams", "2", "1"], "--ngrams [2, 1]"),
    ("text --hashing with --max-features", lambda f: ["train", f.reviews("r", {}), *T, "--hashing", "2**10", "--max-features", "5"], "do not go together"),
    ("text --hashing with --min-df", lambda f: ["train", f.reviews("r", {}), *T, "--hashing", "2**10", "--min-df", "1"], "--hashing and --min-df do not go together"),
    ("text --hashing not a number", lambda f: ["train", f.reviews("r", {}), *T, "--hashing", "lots"], "--hashing"),
    ("text --hashing a power too large to compute", lambda f: ["train", f.reviews("r", {}), *T, "--hashing", "2**4000000000"], "argument --hashing: expected a count such as 2**20 (< 2**64), got '2**4000000000'"),
    ("text --max-features zero", lambda f: ["train", f.reviews("r", {}), *T, "--max-features", "0"], "--max-features 0 must be a whole number between 1 and 16777216; give e.g. 20000"),
    ("text --max-features a power of many digits", lambda f: ["train", f.reviews("r", {}), *T, "--max-features", "10**100000"], "argument --max-features: expected a count such as 2**20"),
    ("text --hashing a negative power", lambda f: ["train", f.reviews("r", {}), *T, "--hashing", "2**-3"], "argument --hashing: expected a count such as 2**20"),
    ("text --encoding unknown", lambda f: ["train", f.reviews("r", {}), *T, "--encoding", "klingon"], "--encoding 'klingon'"),
    ("text --encoding undefined", lambda f: ["train", f.reviews("r", {}), *T, "--encoding", "undefined"], "--encoding 'undefined'"),
    ("svmlight too wide for its classes", lambda f: ["train", f.text("w.svm", "".join(f"{k % 9} 1:1 16777216:1\n" for k in range(18))), *T], "16777216 features × 9 classes need 1.1 GiB of weights"),
    ("text --text-column missing", lambda f: ["train", f.csv("t.csv", body=["a b", "c d"], label=["x", "y"]), *T, "--text-column", "review"], "no column 'review' (named by --text-column)"),
    ("text --text-column of numbers", lambda f: ["train", f.csv("t.csv", body=["a b", "c d"], label=["x", "y"], stars=[4, 1]), *T, "--text-column", "stars"], "row 1, column 'stars' holds the number 4, not text"),
    ("text --text-column blank label", lambda f: ["train", f.csv("t.csv", body=["a good film", "fine", "a bad film"], label=["x", None, "y"]), *T, "--text-column", "body"], "label column 'label' is empty (or NA, None, null or N/A, which a CSV reader takes for missing) in row 2"),
    ("csv not utf-8 far down", lambda f: ["train", f.bytes("t.csv", ("a,b,label\n" + "1,2,x\n3,4,y\n" * 40000 + "5,6\u00df,x\n").encode("latin-1")), *T], "t.csv: not valid utf-8 text (byte 0xdf on line 80002, offset 480013)"),
    ("text model scoring a table without its column of documents", lambda f: ["predict", "--model", TEXT_MODEL, f.text("d.csv", "doc,label\na good film,pos\n"), "--text-column", "body"], "d.csv: no column 'body' (the column of documents to read); give a table with that column, or name this one's column of documents with --text-column (it has 'doc', 'label')"),
    ("text --text-column not utf-8", lambda f: ["train", f.bytes("t.csv", "body,label\ncaf\u00e9 film,x\nbad film,y\n".encode("latin-1")), *T, "--text-column", "body"], "t.csv: not valid utf-8 text (byte 0xe9 on line 2, offset 14); give --encoding"),
    ("table not utf-8", lambda f: ["train", f.bytes("t.csv", "a,l\u00e9\n1,0\n2,1\n".encode("latin-1")), *T, "--label", "l"], "t.csv: not valid utf-8 text (byte 0xe9 on line 1, offset 3); give its encoding (--encoding cp1252, latin-1, …), or save the file as UTF-8"),
    ("text --text-column document 'None' is text, an empty one not", lambda f: ["train", f.text("t.csv", "body,label\nNone,x\n,y\na bad film,x\n"), *T, "--text-column", "body"], "row 2, column 'body' is empty"),
    ("text --text-column empty cell", lambda f: ["train", f.csv("t.csv", body=["a good film", None, "a bad film"], label=["x", "y", "x"]), *T, "--text-column", "body"], "row 2, column 'body' is empty"),
    ("evaluate a text model on pictures", lambda f: ["evaluate", "--model", TEXT_MODEL, f.h5_pictures("p.h5")], "give a folder with one sub-folder of .txt files per class"),
    ("evaluate a text model on one document", lambda f: ["evaluate", "--model", TEXT_MODEL, f.text("one.txt", "a great film")], "one document has no class"),
    ("evaluate a text model from stdin", lambda f: ["evaluate", "--model", TEXT_MODEL, f.stdin(b"a great film\n")], "standard input gives documents without their classes"),
    ("predict stdin with a picture model", lambda f: ["predict", "--model", IMAGE_MODEL, f.stdin(b"a great film\n")], "standard input is read as documents for text models"),
    ("train an unknown file type", lambda f: ["train", f.text("notes.xyz", "x"), *T], "svmlight (.svm, .svmlight, .libsvm) file"),
    ("train on a FIFO", lambda f: ["train", (os.mkfifo(f.root / "ff.csv"), "ff.csv")[1], *T], "not a regular file or folder"),
    ("predict text file and folder", lambda f: ["predict", "--model", TEXT_MODEL, f.text("one.txt", "a great film"), f.reviews("r", {})], "r: a folder among other inputs; give either .txt files (and - for standard input), or one folder on its own, not a mix"),
    ("predict text from a pipe", lambda f: ["predict", "--model", TEXT_MODEL, f.text("one.txt", "a great film"), (os.mkfifo(f.root / "p.txt"), "p.txt")[1]], "p.txt: not a regular file (a pipe or a device)"),
    ("predict text stdin only blank lines", lambda f: ["predict", "--model", TEXT_MODEL, f.stdin(b"\n  \n\t\n")], "standard input has only blank lines (3)"),
    ("predict text stdin not utf-8", lambda f: ["predict", "--model", TEXT_MODEL, f.stdin("caf\u00e9\n".encode("latin-1"))], "standard input, line 1: not valid utf-8"),
    ("predict text stdin huge single line", lambda f: ["predict", "--model", TEXT_MODEL, f.stdin(b"word " * (data.limits.MAX_DOCUMENT_BYTES // 5 + 1))], "over lrnn's limit"),
    ("predict text stdin twice", lambda f: ["predict", "--model", TEXT_MODEL, "-", f.stdin(b"a great film\n")], "'-' (standard input) is given more than once"),
    ("predict text stdin closed", lambda f: ["predict", "--model", TEXT_MODEL, f.closed_stdin()], "standard input is closed"),
    ("predict text stdin nothing", lambda f: ["predict", "--model", TEXT_MODEL, f.stdin(b"")], "standard input is empty"),
    ("predict text model on a picture", lambda f: ["predict", "--model", TEXT_MODEL, f.png("p.png")], "p.png: is a PNG picture, not text; a text model reads documents"),
    ("predict text file binary", lambda f: ["predict", "--model", TEXT_MODEL, f.bytes("b.txt", b"\x00\x01\x02")], "b.txt: looks like a binary file"),
    ("evaluate text model on a table", lambda f: ["evaluate", f.csv("d.csv", _table_frame()), "--model", TEXT_MODEL], "text"),
    ("export text model", lambda f: ["export", "--model", TEXT_MODEL, "-o", "t.onnx"], "is a text model"),
    ("svmlight gzip named .svm", lambda f: ["train", f.bytes("g.svm", gzip.compress(b"1 1:2\n0 2:1\n1 1:1\n0 2:2\n")), *T], "g.svm: is gzip-compressed, but named as plain text; name it with its compression's suffix (g.svm.gz)"),
    ("svmlight bad index", lambda f: ["train", f.text("b.svm", "1 a:1\n0 1:2\n"), *T], "b.svm: line 1 has 'a:1', not index:value; fix that line"),
    ("svmlight unsorted indices", lambda f: ["train", f.text("b.svm", "1 1:2\n1 3:1 2:1\n0 1:2\n"), *T], "b.svm: line 2 has index 2 after 3: indices must increase"),
    ("svmlight bad line after signed numbers", lambda f: ["train", f.text("b.svm", "1 qid:+2 1:1 +2:1\n0 3:1 2:1\n"), *T], "b.svm: line 2 has index 2 after 3"),
    ("svmlight repeated index", lambda f: ["train", f.text("b.svm", "1 2:1 2:1\n0 1:2\n"), *T], "b.svm: line 1 has index 2 after 2"),
    ("svmlight negative index", lambda f: ["train", f.text("b.svm", "1 -1:1\n0 1:2\n"), *T], "b.svm: line 1 has '-1:1', not index:value"),
    ("svmlight bad value", lambda f: ["train", f.text("b.svm", "1 1:x\n0 1:2\n"), *T], "b.svm: line 1 has '1:x', not index:value"),
    ("svmlight bad label", lambda f: ["train", f.text("b.svm", "# c\n1 1:1\nyes 1:2\n"), *T], "b.svm: line 3 starts with 'yes', not a numeric label"),
    ("svmlight no label", lambda f: ["train", f.text("b.svm", "1 1:1\n2:1 3:1\n"), *T], "b.svm: line 2 starts with '2:1', not a numeric label"),
    ("svmlight labels only", lambda f: ["train", f.text("b.svm", "1\n0\n1\n"), *T], "b.svm: no line has any feature"),
    ("svmlight a folder", lambda f: ["train", f.directory("d.svm"), *T], "d.svm: is a folder, not an svmlight file"),
    ("svmlight zero-based index at the width limit", lambda f: ["train", f.text("b.svm", "1 0:1 16777216:1\n0 1:2\n"), *T], "at most 16777215 in a zero-based file"),
    ("svmlight nan value", lambda f: ["train", f.text("b.svm", "1 1:2\n0 1:nan\n"), *T], "b.svm: line 2 has a NaN"),
    ("svmlight huge single line", lambda f: ["train", f.bytes("h.svm", b"1 " + b"1:1" * (data.limits.MAX_LINE_BYTES // 3 + 1) + b"\n"), *T], "h.svm: line 1 is longer than"),
    ("svmlight index 0 for a one-based model", lambda f: ["evaluate", f.text("z.svm", "1 0:1\n0 1:1\n"), "--model", SVM_MODEL], "has feature index 0"),
    ("svmlight index over the width limit", lambda f: ["train", f.text("b.svm", "1 1:0.5\n# note\n0 2000000000:1\n"), *T], "b.svm: line 3 has feature index 2000000000, over lrnn's limit"),
    ("svmlight index too large to parse", lambda f: ["train", f.text("b.svm", "1 1:0.5\n0 99999999999999999999999:1\n"), *T], "b.svm: line 2 has index 99999999999999999999999, beyond lrnn's 16777216 features"),
    ("svmlight value in Arabic-Indic digits", lambda f: ["train", f.text("a.svm", "1 1:0.5\n0 1:\u0661\n"), *T], "a.svm: line 2 has '1:\u0661', not index:value"),
    ("svmlight truncated gz", lambda f: ["train", f.bytes("t.svm.gz", gzip.compress(b"1 1:1\n0 2:1\n" * 50)[:30]), *T], "t.svm.gz: not a valid svmlight file"),
    ("svmlight gz that is not gzip", lambda f: ["train", f.bytes("f.svm.gz", b"not gzip"), *T], "f.svm.gz: not a valid svmlight file"),
    ("svmlight gz bomb", lambda f: ["train", f.limited(data.limits, "MIN_EXPANSION_BYTES", 0, f.bytes("bomb.svm.gz", gzip.compress(b"0 1:1\n1 2:1\n" * 100_000))), *T], "error: bomb.svm.gz: expands to more than"),
    ("svmlight line too long", lambda f: ["train", f.limited(data.limits, "MAX_LINE_BYTES", 100, f.text("long.svm", "0 1:1\n1 " + " ".join(f"{i}:1" for i in range(1, 60)) + "\n")), *T], "long.svm: line 2 is longer than 100 bytes; check it is an svmlight file"),
    ("svmlight nan after comments", lambda f: ["train", f.text("c.svm", "# a\n\n1 1:2\n0 1:nan\n"), *T], "c.svm: line 4 has a NaN"),
    ("text --encoding not a text codec", lambda f: ["train", f.reviews("r", {}), *T, "--encoding", "rot13"], "--encoding 'rot13'"),
    ("text model hashing tampered", lambda f: ["predict", "--model", f.text_model_variant("h.safetensors", hashing=2**20), f.text("d.txt", "a good film")], "hashes into 1048576 columns"),
    ("model feature names duplicated", lambda f: ["predict", "--model", f.model_variant("d.safetensors", feature_names=["a"] * 64), "digits"], "the feature name 'a' appears twice"),
    ("npz complex labels", lambda f: ["train", f.npz("c.npz", X=np.ones((4, 2)), y=np.array([0, 1, 0, 1]) + 0j), *T], "complex128 values"),
    ("text model vocabulary with an escape", lambda f: ["words", "--model", f.text_model_variant("v.safetensors", lambda names: [n if i else "good\nneg\t0.9\x1b[2J" for i, n in enumerate(names)])], "holds control characters"),
    ("image class folder with a newline", lambda f: ["train", (f.png("nl/ca\nt/1.png"), f.png("nl/ca\nt/2.png"), f.png("nl/dog/1.png"), f.png("nl/dog/2.png"), "nl")[-1], *T], "nl: the class folders give the class name 'ca\\nt', which holds control characters; rename (or remove) class folders"),
    ("image class folder named in another encoding", lambda f: ["train", (f.png("nb/a\udcff/1.png"), f.png("nb/a\udcff/2.png"), f.png("nb/dog/1.png"), f.png("nb/dog/2.png"), "nb")[-1], *T], "nb: the class folders give the class name 'a\\udcff', which is not valid text"),
    ("model class name a lone surrogate", lambda f: ["predict", "--model", f.model_variant("u.safetensors", classes=["three", "\ud800"]), "digits"], "the class name '\\ud800', which is not valid text"),
    ("model feature name a lone surrogate", lambda f: ["predict", "--model", f.model_variant("u.safetensors", feature_names=[f"p{i}" for i in range(63)] + ["\ud800"]), "digits"], "the feature name '\\ud800' holds control characters"),
    ("csv column name with an escape", lambda f: ["train", f.text("e.csv", "x\x1b[31m,label\n1,0\n2,1\n3,0\n4,1\n"), *T], "e.csv: the column name 'x\\x1b[31m' holds control characters; rename it"),
    ("text model vocabulary term no document gives", lambda f: ["words", "--model", f.text_model_variant("v.safetensors", lambda names: [n if i else "Great" for i, n in enumerate(names)])], "the vocabulary term 'Great' (5 characters) can never be found in a document (a term is 1–2 lower-case words"),
    ("text model hashing yet naming its columns", lambda f: ["words", "--model", f.text_model_variant("h.safetensors", hashing=len(persist.load_model(f.root / TEXT_MODEL).w))], "the text model hashes its words into columns, yet names them (feature_names)"),
    ("text model unicode_form of 100,000 letters", lambda f: ["words", "--model", f.text_model_variant("u.safetensors", unicode_form="X" * 100_000)], "text settings: unicode_form 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX… must be \"NFC\" or null"),
    ("text model trigram in a bigram vocabulary", lambda f: ["predict", "--model", f.text_model_variant("v.safetensors", lambda names: [n if i else "a good film" for i, n in enumerate(names)]), f.text("d.txt", "a good film")], "the vocabulary term 'a good film' (11 characters) can never be found"),
    ("text model vocabulary duplicated", lambda f: ["predict", "--model", f.text_model_variant("v.safetensors", lambda names: ["dup"] * len(names)), f.text("d.txt", "a good film")], "the feature name 'dup' appears twice"),
    ("text --text-column over the column limit", lambda f: ["train", f.limited(data.limits, "MAX_COLUMNS", 3, f.csv("t.csv", body=["a b", "c d"], label=["x", "y"], c1=[1, 2], c2=[3, 4])), *T, "--text-column", "body"], "over lrnn's limit of 3"),
    ("predict text model on a table", lambda f: ["predict", "--model", TEXT_MODEL, f.csv("t.csv", body=["a good film"])], "trained on documents in files"),
    ("svmlight file for a text model", lambda f: ["evaluate", f.text("d.svm", "1 1:1\n0 2:1\n"), "--model", TEXT_MODEL], "an svmlight file, but the model was trained on text data"),
    ("text folder for an svmlight model", lambda f: ["evaluate", f.reviews("r", {}), "--model", SVM_MODEL], "not an svmlight file, but the model was trained on svmlight data"),
    ("--model an existing file that is not a model", lambda f: ["train", "--no-plot", "--iterations", "3", "--model", f.text("notes.txt", "my notes")], "--model notes.txt already exists and is not an lrnn model"),
    ("default model path an existing file that is not a model", lambda f: (f.text("lrnn-model.safetensors", "my notes"), ["train", "--no-plot", "--iterations", "3"])[1], "lrnn-model.safetensors (the default model path) already exists and is not an lrnn model, so it is left alone; give --model PATH."),
    ("--checkpoint an existing model", lambda f: ["train", "--no-plot", "--iterations", "3", "--model", "new.safetensors", "--checkpoint", f.model_variant("m.safetensors")], "--checkpoint m.safetensors already exists and is not an lrnn checkpoint"),
    ("--model an existing checkpoint", lambda f: ["train", "--no-plot", "--iterations", "3", "--model", f.checkpoint_variant("c.ckpt.safetensors")], "--model c.ckpt.safetensors already exists and is not an lrnn model"),
    ("model preprocessing column name with an escape", lambda f: ["predict", "--model", f.model_variant("s.safetensors", feature_names=None, preprocessing={"kind": "table", "feature_names": ["a", "\x1b]0;x\x07"], "label_column": "y"}), "digits"], "preprocessing.feature_names '\\x1b]0;x\\x07' holds control characters"),
    ("model label column among its features", lambda f: ["predict", "--model", f.model_variant("lf.safetensors", feature_names=None, preprocessing={"kind": "table", "feature_names": ["a", "b"], "label_column": "a"}), "digits"], "preprocessing label_column 'a' is also one of its feature_names"),
    ("model metadata nested too deep", lambda f: ["predict", "--model", f.model_variant("d.safetensors", training={"deep": json.loads("[" * 100 + "]" * 100)}), "digits"], "nests deeper than 32 levels"),
    ("text --text-column is the label column", lambda f: ["train", f.csv("t.csv", body=["a b", "c d"], label=["x", "y"]), *T, "--text-column", "label"], "--text-column label is also the label column"),
    ("predict text model on an svmlight file", lambda f: ["predict", "--model", TEXT_MODEL, f.text("d.svm", "1 1:1\n")], "d.svm: a data file, but the model was trained on text"),
    ("svmlight --standardize", lambda f: ["train", f.text("s.svm", "1 1:1\n0 2:1\n1 1:2\n0 2:2\n1 1:1\n"), *T, "--standardize"], "--standardize would make sparse data dense (subtracting a column's mean fills its zeros); drop it, and if the columns' scales are far apart, divide each by its largest absolute value"),
]
# fmt: on


def _ids() -> list[str]:
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids)), "duplicate case id"
    return ids


def _copy_trained(trained: Path, folder: Path) -> None:
    for name in (IMAGE_MODEL, TABLE_MODEL, THREE_MODEL, CHECKPOINT, HISTORY, TEXT_MODEL, SVM_MODEL):
        shutil.copy(trained / name, folder / name)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
@pytest.mark.parametrize(("case", "build", "needle"), CASES, ids=_ids())
def test_bad_input(case, build, needle, trained, tmp_path, monkeypatch, capsys):
    _copy_trained(trained, tmp_path)
    monkeypatch.chdir(tmp_path)
    built = build(Files(tmp_path, monkeypatch))
    if callable(built):  # the estimator
        with pytest.raises((ValueError, TypeError)) as info:
            built()
        assert needle.lower() in str(info.value).lower(), str(info.value)
        return
    before = snapshot(tmp_path)
    capsys.readouterr()
    status = main([str(a) for a in built])
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, (status, out[-500:], err)  # bad input: the command cannot run as asked
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in err, line
    assert "unexpected" not in line, line  # lrnn's fallback for errors nobody foresaw
    assert needle.lower() in line.lower(), line
    assert not has_control_characters(line), line  # names from files are printed escaped
    assert len(line) < 1500, line[:300]  # values from files are cut short, not quoted whole
    assert ADVICE.search(line.split(":", 1)[1]), f"no way out in: {line}"
    assert snapshot(tmp_path) == before, "a failed command created or changed files"


def test_matrix_size():
    assert len(CASES) >= 40


@pytest.mark.parametrize(
    "case",
    [
        "csv ragged rows",
        "model nan weights",
        "resume theta shape",
        "--epsilon above one",
        "text folder not utf-8",
    ],
)
def test_matrix_rows_in_a_subprocess(case, trained, tmp_path, monkeypatch):
    """The in-process runs above say what the real executable says."""
    _, build, needle = next(c for c in CASES if c[0] == case)
    _copy_trained(trained, tmp_path)
    monkeypatch.chdir(tmp_path)
    args = build(Files(tmp_path, monkeypatch))
    before = snapshot(tmp_path)
    proc = run(list(args), tmp_path)
    assert_clean_failure(proc, (2,), needle)
    assert snapshot(tmp_path) == before
