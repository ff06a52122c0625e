"""Small trained models, generated pictures and a real ``lrnn serve`` process, for the export
and serve tests.

Everything is generated here (pictures from a seeded generator, a table with columns on very
different scales), so the tests need no files from elsewhere; the lesson's cat model is
trained only when its files are present.
"""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from tests.cli_helpers import lrnn_command, run
from tests.conftest import CAT_TEST, CAT_TRAIN

#: Image model: pictures resized to 6 × 10 (height × width), RGB; not square, so a wrong
#: flatten order (channel-first, or width before height) would change every probability.
IMAGE_SIZE = "6x10"
TABLE_COLUMNS = ["small", "large", "shifted"]


def make_picture_folder(root: Path, per_class: int = 12, seed: int = 0) -> Path:
    """Two classes of generated pictures: brighter on the left ("left") or on the right."""
    rng = np.random.default_rng(seed)
    folder = root / "pictures"
    for cls in ("left", "right"):
        (folder / cls).mkdir(parents=True)
        for i in range(per_class):
            img = rng.integers(0, 120, (12, 20, 3), dtype=np.uint8)
            half = slice(0, 10) if cls == "left" else slice(10, 20)
            img[:, half] += rng.integers(60, 130, dtype=np.uint8)
            Image.fromarray(img).save(folder / cls / f"{i:02d}.png")
    return folder


def make_prediction_pictures(root: Path, seed: int = 1) -> list[Path]:
    """Pictures of other sizes and modes than the training ones (RGB, grey, RGBA, JPEG), so
    that decoding, conversion and resizing are all exercised."""
    rng = np.random.default_rng(seed)
    folder = root / "to-predict"
    folder.mkdir()
    paths = []
    for i, (shape, mode, suffix) in enumerate(
        [
            ((12, 20, 3), "RGB", ".png"),
            ((30, 17, 3), "RGB", ".jpg"),
            ((9, 9), "L", ".png"),
            ((24, 40, 4), "RGBA", ".png"),
            ((6, 10, 3), "RGB", ".bmp"),
        ]
    ):
        img = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode)
        path = folder / f"p{i}{suffix}"
        img.save(path)
        paths.append(path)
    return paths


def make_table(path: Path, rows: int = 80, seed: int = 0) -> Path:
    """Three columns on scales 1, 1000 and offset 50 (standardisation matters), 6 decimals."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, 3)) * [1.0, 1000.0, 2.0] + [0.0, 0.0, 50.0]
    frame = pd.DataFrame(np.round(X, 6), columns=TABLE_COLUMNS)
    frame["label"] = np.where(frame["small"] + frame["large"] / 1000 > 0.2, "yes", "no")
    frame.to_csv(path, index=False)
    return path


def train(args: list, cwd: Path) -> None:
    proc = run(["train", *args, "--no-plot"], cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]


@dataclass
class Models:
    folder: Path
    image: Path
    table: Path
    table_csv: Path
    pictures: list[Path]
    cat: Path | None


def train_models(folder: Path, cat: bool = True) -> Models:
    """The image model, the table model and (when its files are here) the cat model."""
    pictures = make_picture_folder(folder)
    train(
        [
            pictures,
            "--image-size",
            IMAGE_SIZE,
            "--iterations",
            "200",
            "--model",
            "image.safetensors",
        ],
        folder,
    )
    csv = make_table(folder / "table.csv")
    train([csv, "--standardize", "--iterations", "200", "--model", "table.safetensors"], folder)
    cat_model = None
    if cat and CAT_TRAIN.exists():
        train(
            [CAT_TRAIN, "--test", CAT_TEST, "--iterations", "60", "--model", "cat.safetensors"],
            folder,
        )
        cat_model = folder / "cat.safetensors"
    return Models(
        folder,
        folder / "image.safetensors",
        folder / "table.safetensors",
        csv,
        make_prediction_pictures(folder),
        cat_model,
    )


def cat_test_pictures(folder: Path, count: int = 8) -> list[Path]:
    """The first ``count`` pictures of the lesson's test set, as 64 × 64 PNG files."""
    import h5py

    with h5py.File(CAT_TEST, "r") as f:
        x = f["test_set_x"][:count]
    out = folder / "cat-pictures"
    out.mkdir(exist_ok=True)
    paths = []
    for i, img in enumerate(x):
        path = out / f"test-{i:02d}.png"
        Image.fromarray(img).save(path)
        paths.append(path)
    return paths


def predict_json(model: Path, inputs: list, cwd: Path, *extra: str) -> list[dict]:
    """What ``lrnn predict --json`` prints, one record per example."""
    proc = run(["predict", "--model", model, *inputs, "--json", *extra], cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid-looking PNG header declaring ``width × height`` pixels, with no pixel data."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def icon_around(png: bytes, side: int = 16) -> bytes:
    """An ICO file whose one frame is ``png``, listed in its directory as ``side × side``."""
    entry = struct.pack("<BBBBHHII", side % 256, side % 256, 0, 0, 1, 32, len(png), 22)
    return struct.pack("<HHH", 0, 1, 1) + entry + png


class Server:
    """``lrnn serve --port 0`` in a subprocess, on 127.0.0.1; ``url`` once it answers."""

    def __init__(self, model: Path, *extra: str, cwd: Path | None = None) -> None:
        self.proc = subprocess.Popen(
            [*lrnn_command(), "serve", "--model", str(model), "--port", "0", *extra],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"},
        )
        line = self.proc.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"lrnn serve did not start: {line}{self.proc.stderr.read()}")
        self.url = f"http://127.0.0.1:{match.group(1)}"
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.proc.kill()
                raise AssertionError(f"lrnn serve never answered: {self.proc.stderr.read()}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15) -> tuple[int, str]:
        """Stop it as Ctrl-C would; returns (exit status, everything it wrote on stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.stdout, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"lrnn serve ignored signal {sig}: {err}") from None
        return self.proc.returncode, err
