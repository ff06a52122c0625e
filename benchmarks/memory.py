"""Memory a fit allocates beyond X itself, for float32 and uint8 input.

    python -m benchmarks.memory [--rows 200000] [--features 500]

Each case runs in a fresh process: X is made first, then ``tracemalloc`` (which sees every
NumPy allocation) and the process's peak resident memory (VmHWM) are read around
``LogisticNeuron(...).fit(X, y)``. The target is at most ~10 % of X's size beyond X.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from benchmarks._common import git_revision, machine, table

CASES = [
    ("float32", "gd"),
    ("float32", "lbfgs"),
    ("float32", "newton"),
    ("uint8", "gd"),
    ("uint8", "lbfgs"),
]


def _vm(key: str) -> int:
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def child(dtype: str, solver: str, rows: int, features: int) -> dict:
    import tracemalloc
    import warnings

    import numpy as np

    from lrnn import LogisticNeuron

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    if dtype == "uint8":
        X = rng.integers(0, 256, size=(rows, features), dtype=np.uint8)
        y = (X[:, :10].sum(axis=1) > 1275).astype(np.int64)
    else:
        X = rng.standard_normal((rows, features), dtype=np.float32)
        y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    est = LogisticNeuron(solver=solver, learning_rate="auto", max_iter=20, tol=0)
    est.fit(X[:1000], y[:1000])  # compile the kernels and import everything before measuring
    rss_before = _vm("VmRSS")
    tracemalloc.start()
    start = time.perf_counter()
    est.fit(X, y)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "X MB": X.nbytes / 1e6,
        "traced peak MB": peak / 1e6,
        "traced / X": peak / X.nbytes,
        "RSS growth MB": max(0, _vm("VmHWM") - rss_before) / 1e6,
        "fit s": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=500)
    parser.add_argument("--child", nargs=2, metavar=("DTYPE", "SOLVER"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.rows, args.features)))
        return
    rows = []
    for dtype, solver in CASES:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", "--child", dtype, solver,
             "--rows", str(args.rows), "--features", str(args.features)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rows.append({"dtype": dtype, "solver": solver, **json.loads(out.stdout)})
    print(f"memory — {time.strftime('%Y-%m-%d')}, {machine()}, lrnn {git_revision()}")
    print(f"X: {args.rows} × {args.features}; 20 iterations each")
    columns = ["dtype", "solver", "X MB", "traced peak MB", "traced / X", "RSS growth MB", "fit s"]
    print(table(rows, columns))


if __name__ == "__main__":
    main()
