"""Peak memory and wall time of ``lrnn predict`` on a long table, whole process.

    python -m benchmarks.predict_memory [--rows 1000000] [--repeats 3] [--baseline SRC]

A table of ``--rows`` rows (one feature, a label) and a small model trained on 100 rows of the
same kind are made in a scratch folder; ``lrnn predict`` then scores the table ``--repeats``
times, and each run's peak resident memory (the child's ru_maxrss) and wall time are printed
with their medians. ``--baseline SRC`` runs another checkout's ``src`` folder (put first on
PYTHONPATH) in the same rounds, so both share the machine's state; the outputs must agree.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import git_revision, machine, table


def _run(argv: list[str], src: str | None, out: Path) -> tuple[float, float]:
    """(peak MB, seconds) of one ``python -m lrnn …`` child, its stdout written to ``out``.
    Called in a fresh process for each run: ru_maxrss of the children is the largest so far."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    start = time.perf_counter()
    with open(out, "wb") as f:
        subprocess.run([sys.executable, "-m", "lrnn", *argv], stdout=f, env=env, check=True)
    seconds = time.perf_counter() - start
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", help="another checkout's src folder, run in the same rounds")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        import pandas as pd

        for name, m in (("big.csv", args.rows), ("small.csv", 100)):
            frame = pd.DataFrame({"a": rng.standard_normal(m), "label": rng.random(m) < 0.5})
            frame.astype({"label": int}).to_csv(folder / name, index=False)
        model = folder / "m.safetensors"
        subprocess.run(
            [sys.executable, "-m", "lrnn", "train", str(folder / "small.csv"), "--no-plot",
             "--iterations", "5", "--model", str(model)],
            check=True, capture_output=True,
        )  # fmt: skip
        argv = ["predict", "--model", str(model), str(folder / "big.csv")]
        versions = [("this checkout", None)]
        if args.baseline:
            versions.append((f"baseline {args.baseline}", args.baseline))
        # each run in a wrapper process of its own, which reports its one child's peak
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _ in versions}
        outputs: dict[str, Path] = {}
        for _ in range(args.repeats):
            for name, src in versions:
                out = folder / f"out-{len(outputs)}.txt"
                outputs.setdefault(name, out)
                code = (
                    "import sys; from benchmarks.predict_memory import _run; from pathlib import "
                    f"Path; print(*_run({argv!r}, {src!r}, Path({str(out)!r})))"
                )
                line = subprocess.run(
                    [sys.executable, "-c", code], capture_output=True, text=True, check=True
                ).stdout.split()
                results[name].append((float(line[0]), float(line[1])))
        texts = {name: path.read_bytes() for name, path in outputs.items()}
        same = len(set(texts.values())) == 1
    print(f"predict_memory — {time.strftime('%Y-%m-%d %H:%M')}, {machine()}, lrnn {git_revision()}")
    rows = []
    for name, runs in results.items():
        peaks, times = [r[0] for r in runs], [r[1] for r in runs]
        rows.append(
            {
                "version": name,
                "rows": args.rows,
                "peak MB (median)": statistics.median(peaks),
                "peak MB (runs)": " / ".join(f"{p:.0f}" for p in peaks),
                "seconds (median)": statistics.median(times),
                "seconds (runs)": " / ".join(f"{t:.2f}" for t in times),
            }
        )
    print(table(rows, list(rows[0])))
    print("outputs identical" if same else "OUTPUTS DIFFER")


if __name__ == "__main__":
    main()
