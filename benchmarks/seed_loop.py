"""The lesson's loop in plain numpy against lrnn, on the cat / non-cat files.

    python -m benchmarks.seed_loop [--repeats 3]

Times three ways of running the lesson (2000 iterations, learning rate 0.005, zero start):
the lesson's code written plainly in float64 numpy, ``lrnn.course.model`` and the ``lrnn
train`` command (whole process, including start-up and loading). Costs must agree to 1e-9.
A fourth row times the start-up alone (a process that imports what ``lrnn train`` imports
before it reads the data: Python, numpy, h5py and lrnn's CLI), which no training change moves.
The four are timed in rounds that run each once (medians over the rounds), so the machine's
load falls on all of them alike.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import h5py
import numpy as np

from benchmarks._common import CAT_DIR, git_revision, machine, table


def plain_loop(X, Y, num_iterations=2000, learning_rate=0.005):
    w, b = np.zeros((X.shape[0], 1)), 0.0
    m = X.shape[1]
    costs = []
    for i in range(num_iterations):
        A = 1 / (1 + np.exp(-(np.dot(w.T, X) + b)))
        cost = -(1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
        dw = (1 / m) * np.dot(X, (A - Y).T)
        db = (1 / m) * np.sum(A - Y)
        w = w - learning_rate * dw
        b = b - learning_rate * db
        if i % 100 == 0:
            costs.append(cost)
    return costs


def interleaved_medians(
    fns: list[Callable[[], object]], repeats: int, warmup: int = 1
) -> list[float]:
    """Median wall time of each of ``fns``, timed in rounds that run each once, so that a busy
    spell on the machine slows every method alike instead of one of them."""
    times: list[list[float]] = [[] for _ in fns]
    for round_ in range(warmup + repeats):
        for fn, own in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            if round_ >= warmup:
                own.append(time.perf_counter() - start)
    return [statistics.median(own) for own in times]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    train_file, test_file = CAT_DIR / "train_catvnoncat.h5", CAT_DIR / "test_catvnoncat.h5"
    with h5py.File(train_file) as f:
        X = f["train_set_x"][:].reshape(209, -1).T / 255.0
        Y = f["train_set_y"][:].reshape(1, -1)
    with h5py.File(test_file) as f:
        Xt = f["test_set_x"][:].reshape(50, -1).T / 255.0
        Yt = f["test_set_y"][:].reshape(1, -1)

    from lrnn import course

    reference = plain_loop(X, Y)

    def lrnn_model():
        with contextlib.redirect_stdout(io.StringIO()):
            return course.model(X, Y, Xt, Yt, 2000, 0.005)["costs"]

    costs_course = lrnn_model()

    def lrnn_cli():
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "lrnn",
                    "train",
                    str(train_file),
                    "--test",
                    str(test_file),
                    "--json",
                    "--no-plot",
                    "--model",
                    f"{tmp}/m.safetensors",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        return [json.loads(line)["cost"] for line in out.splitlines() if '"record"' in line]

    costs_cli = lrnn_cli()

    def start_up():
        subprocess.run([sys.executable, "-c", "import h5py, lrnn.cli.parser"], check=True)

    gap_course = float(np.max(np.abs(np.array(costs_course) - reference)))
    gap_cli = float(np.max(np.abs(np.array(costs_cli) - reference)))

    t_plain, t_course, t_cli, t_start = interleaved_medians(
        [lambda: plain_loop(X, Y), lrnn_model, lrnn_cli, start_up], args.repeats
    )
    rows = [
        {
            "method": "plain numpy loop (float64)",
            "median s": t_plain,
            "speed-up": 1.0,
            "max |cost diff|": 0.0,
        },
        {
            "method": "lrnn.course.model",
            "median s": t_course,
            "speed-up": t_plain / t_course,
            "max |cost diff|": gap_course,
        },
        {
            "method": "lrnn train (whole process)",
            "median s": t_cli,
            "speed-up": t_plain / t_cli,
            "max |cost diff|": gap_cli,
        },
        {
            "method": "start-up alone (import h5py, lrnn.cli.parser)",
            "median s": t_start,
            "speed-up": None,
            "max |cost diff|": None,
        },
    ]
    print(f"seed_loop — {time.strftime('%Y-%m-%d')}, {machine()}, lrnn {git_revision()}")
    print(table(rows, ["method", "median s", "speed-up", "max |cost diff|"]))
    assert gap_course <= 1e-9 and gap_cli <= 1e-9, "costs differ from the lesson's loop"


if __name__ == "__main__":
    main()
