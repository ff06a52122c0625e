"""How long ``lrnn check`` takes on a learner's notebook with every function correct.

    python -m benchmarks.check_time [--repeats 3]

Builds a notebook from ``tests/check_solutions/correct.py`` (one cell per function, plus the
cells a learner's notebook has: magics, loading the data, training, plotting) and times the whole
``lrnn check`` process on it, with the lesson's cat pictures and without them. The baseline, in
the same run, is the learner's own ``model`` trained once on the cat pictures in a plain Python
process — what running their notebook's training cell costs anyway.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from benchmarks._common import CAT_DIR, ROOT, git_revision, machine, median_time, table

SOLUTION = ROOT / "tests" / "check_solutions" / "correct.py"


def learner_notebook(folder: Path) -> Path:
    defs = SOLUTION.read_text().split("\n\n\n")
    cells = [
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nimport h5py",
        *defs,
        f"f = h5py.File('{CAT_DIR}/train_catvnoncat.h5')\n"
        "X = f['train_set_x'][:].reshape(209, -1).T / 255\nY = f['train_set_y'][:].reshape(1, -1)",
        "d = model(X, Y, X, Y, num_iterations=2000, learning_rate=0.005, print_cost=True)",
        "plt.plot(d['costs'])",
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    path = folder / "solution.ipynb"
    path.write_text(nbformat.writes(nb))
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    lrnn = [sys.executable, "-m", "lrnn", "check"]
    train_once = (
        f"exec(open({str(SOLUTION)!r}).read())\nimport h5py\n"
        f"f = h5py.File('{CAT_DIR}/train_catvnoncat.h5')\n"
        "X = f['train_set_x'][:].reshape(209, -1).T / 255\nY = f['train_set_y'][:].reshape(1, -1)\n"
        "model(X, Y, X, Y, 2000, 0.005)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        notebook = learner_notebook(Path(tmp))

        def run(cmd: list[str]) -> None:
            subprocess.run(cmd, check=True, capture_output=True, cwd=tmp)

        rows = []
        for name, cmd in (
            (
                "learner's model on the cat pictures, once (baseline)",
                [sys.executable, "-c", train_once],
            ),
            ("lrnn check solution.ipynb --data …/catvnoncat", [*lrnn, notebook, "--data", CAT_DIR]),
            ("lrnn check solution.ipynb (no cat pictures)", [*lrnn, notebook]),
        ):
            rows.append(
                {"command": name, "median s": median_time(lambda c=cmd: run(c), args.repeats)}
            )
    base = rows[0]["median s"]
    for row in rows:
        row["vs baseline"] = round(row["median s"] / base, 2)
    print(f"{machine()}, commit {git_revision()}, medians of {args.repeats} after one warm-up")
    print(table(rows, ["command", "median s", "vs baseline"]))


if __name__ == "__main__":
    main()
