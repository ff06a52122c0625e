"""onnxruntime on an exported cat model against lrnn's own prediction path, per 1,000 pictures.

    python -m benchmarks.onnx_predict [--repeats 5]

Needs the ``onnx`` extra. Trains the cat model (the lesson's settings), exports it with
``lrnn export`` (float64, and ``--float32``), and times the prediction of 1,000 cat pictures
(the lesson's 259 pictures, repeated) already decoded to uint8 ``(1000, 64, 64, 3)``:
``lrnn.inference.predict_records`` (what ``lrnn predict`` and ``lrnn serve`` run) against an
onnxruntime session on the same pixels, one call each. Medians of ``--repeats`` runs after a
warm-up; the largest probability difference from lrnn is printed next to each.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

from benchmarks._common import CAT_DIR, git_revision, machine, median_time, table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads")
    args = parser.parse_args()
    import onnxruntime as ort

    from lrnn import data, inference

    pictures = []
    for name, key in (("train_catvnoncat.h5", "train_set_x"), ("test_catvnoncat.h5", "test_set_x")):
        with h5py.File(CAT_DIR / name) as f:
            pictures.append(f[key][:])
    pixels = np.resize(np.concatenate(pictures), (1000, 64, 64, 3))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model = folder / "cat.safetensors"
        lrnn = [sys.executable, "-m", "lrnn"]
        subprocess.run(
            [*lrnn, "train", str(CAT_DIR / "train_catvnoncat.h5"), "--no-plot", "--model", model],
            check=True,
            capture_output=True,
        )
        for extra in ([], ["--float32"]):
            out = folder / ("cat32.onnx" if extra else "cat.onnx")
            subprocess.run(
                [*lrnn, "export", "--model", model, "-o", out, *extra],
                check=True,
                capture_output=True,
            )
        predictor = inference.Predictor.load(model)
        names = [str(i) for i in range(len(pixels))]
        ds = data._image_dataset(pixels, None, None, names, "bench")

        def lrnn_path() -> list:
            return predictor.records(ds)

        expected = np.array([r["probability"] for r in lrnn_path()])
        rows = [
            {
                "path": "lrnn predict_records (numpy, float64)",
                "ms per 1000": median_time(lrnn_path, args.repeats) * 1000,
                "max abs Δp": 0.0,
            }
        ]
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        for label, file in (("float64", "cat.onnx"), ("float32", "cat32.onnx")):
            session = ort.InferenceSession(
                str(folder / file), options, providers=["CPUExecutionProvider"]
            )

            def run(session=session):
                return session.run(["probabilities"], {"pixels": pixels})[0]

            diff = float(np.max(np.abs(run()[:, 1].astype(np.float64) - expected)))
            rows.append(
                {
                    "path": f"onnxruntime {ort.__version__}, {label} graph",
                    "ms per 1000": median_time(run, args.repeats) * 1000,
                    "max abs Δp": diff,
                }
            )
    base = rows[0]["ms per 1000"]
    for r in rows:
        r["vs lrnn"] = base / r["ms per 1000"]
    print(f"machine: {machine()}; commit {git_revision()}; medians of {args.repeats}")
    print(table(rows, ["path", "ms per 1000", "vs lrnn", "max abs Δp"]))


if __name__ == "__main__":
    main()
