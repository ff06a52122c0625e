"""Streaming from disk: a whole ``lrnn train`` process's peak memory, by storage format.

    python -m benchmarks.stream_memory [--rows 1000000] [--features 40] [--files 4]
        [--row-group 50000] [--runs 3] [--tmp DIR] [--command train|evaluate]

The same float64 data (``--rows`` × ``--features``, 0/1 labels) is written as ``X.npy`` +
``y.npy`` in a folder, as a folder of ``--files`` Parquet files (row groups of ``--row-group``
rows, each 16 MiB decoded at the defaults: below the 64 MiB block) and, where zarr is
installed, as a Zarr store. Each is trained by ``lrnn train DATA --solver lbfgs --iterations 5
--no-plot`` in a fresh process whose peak anonymous memory (RssAnon, sampled every 20 ms) is
recorded; a memory map's pages are file-backed and not counted. The baseline in the same run is
the same command on 1,000 rows as ``.npy``: lrnn's imports and code paths, next to no data.
Medians of ``--runs`` with the spread. ``--command evaluate`` measures ``lrnn evaluate --model
M DATA`` instead, M trained on the same data first (a Parquet folder's model is a table's, so
each format has its own), the baseline again on 1,000 rows.

Why: the README says streaming holds one 64 MiB block of rows; what pyarrow's decoding adds on
top of that, and whether it grows with the data, is measured here rather than assumed.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import git_revision, machine


def peak_anonymous_mib(command: list[str]) -> float:
    """The peak RssAnon of ``command``'s process (MiB), sampled every 20 ms."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.02)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-400:]}")
    return peak / 1024


def write_data(folder: Path, rows: int, features: int, files: int, row_group: int) -> dict:
    import pandas as pd

    rng = np.random.default_rng(0)
    X = rng.standard_normal((rows, features))
    y = (X[:, 0] + rng.standard_normal(rows) > 0).astype(np.int64)
    tiny = folder / "tiny"
    tiny.mkdir()
    np.save(tiny / "X.npy", X[:1000])
    np.save(tiny / "y.npy", y[:1000])
    paths = {"baseline: npy folder, 1,000 rows": tiny}
    npy = folder / "npy"
    npy.mkdir()
    np.save(npy / "X.npy", X)
    np.save(npy / "y.npy", y)
    paths["npy folder"] = npy
    parquet = folder / "parquet"
    parquet.mkdir()
    names = [f"f{j}" for j in range(features)]
    for k, rows_k in enumerate(np.array_split(np.arange(rows), files)):
        frame = pd.DataFrame(X[rows_k], columns=names)
        frame["label"] = y[rows_k]
        frame.to_parquet(parquet / f"part{k}.parquet", row_group_size=row_group, index=False)
    paths["Parquet folder"] = parquet
    try:
        import zarr

        store = zarr.open_group(str(folder / "data.zarr"), mode="w")
        store.create_array("X", data=X, chunks=(row_group, features))
        store.create_array("y", data=y, chunks=(row_group,))
        paths["Zarr store"] = folder / "data.zarr"
    except Exception as error:  # zarr absent, or an API of another major version
        print(f"zarr: not measured ({error})", file=sys.stderr)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=40)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--row-group", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tmp", default=None)
    parser.add_argument("--command", choices=("train", "evaluate"), default="train")
    args = parser.parse_args()
    lrnn = [sys.executable, "-m", "lrnn"]
    print(
        f"# {machine()}, commit {git_revision()}, lrnn {args.command}, "
        f"{args.rows} × {args.features} float64"
    )
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        folder = Path(tmp)
        paths = write_data(folder, args.rows, args.features, args.files, args.row_group)
        commands = {}
        for k, (name, path) in enumerate(paths.items()):
            model = str(folder / f"model{k}.safetensors")
            commands[name] = [*lrnn, "train", str(path), "--solver", "lbfgs", "--iterations",
                              "5", "--no-plot", "--model", model]  # fmt: skip
            if args.command == "evaluate":  # the model once, then what is measured
                subprocess.run(commands[name], check=True, capture_output=True)
                commands[name] = [*lrnn, "evaluate", "--model", model, str(path)]
        peaks: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so a busy moment touches every format
            for k, (name, command) in enumerate(commands.items()):
                peaks[name].append(peak_anonymous_mib(command))
                if args.command == "train":
                    Path(folder / f"model{k}.safetensors").unlink(missing_ok=True)
    print("| data | peak RssAnon, median [min–max] |\n|---|---|")
    for name, values in peaks.items():
        low, middle, high = min(values), statistics.median(values), max(values)
        print(f"| {name} | {middle:.0f} MiB [{low:.0f}–{high:.0f}] |")


if __name__ == "__main__":
    main()
