"""What a pass costs on a Dask cluster and out of core, against the in-memory backend.

    python -m benchmarks.dask_overhead [--rows 1000000] [--features 100] [--dtype float64]
        [--chunk-rows 125000] [--repeats 5] [--stream-gib 2] [--tmp DIR]

Part 1 (data that fits): one gd pass (loss + gradient, what a gd iteration costs) over the
same X, median of ``--repeats`` after a warm-up, by
  * the fused kernel on the whole array (``kernels.data_pass``), the in-memory ceiling;
  * the in-memory backend (``InMemoryBackend.data_pass``);
  * ``DaskBackend`` on a ``LocalCluster`` of 2 worker processes × 1 thread, X persisted on the
    workers in ``--chunk-rows`` chunks;
  * ``DaskBackend`` on Dask's local threaded scheduler (no cluster), same chunks.
The overhead ratio is (in-memory backend time) / (Dask time) as examples/s.

Part 2 (out of core): a float32 ``.npy`` of ``--stream-gib`` GiB, larger than the 600 MB of
anonymous memory the streaming process is allowed, trained by ``StreamingBackend`` in a fresh
process. Passes are timed warm (file in the page cache) and cold (the file's cached pages
dropped with posix_fadvise before each pass, so X comes from disk); the process's peak
anonymous memory (RssAnon, sampled every 20 ms) is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks._common import ROOT, git_revision, machine, median_time, table


def make_data(rows: int, features: int, dtype: np.dtype, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.empty((rows, features), dtype=dtype)
    step = 2**17
    for start in range(0, rows, step):
        X[start : start + step] = rng.standard_normal((min(step, rows - start), features))
    w_true = rng.standard_normal(features).astype(dtype)
    y = (X @ w_true + rng.standard_normal(rows).astype(dtype) > 0).astype(dtype)
    return X, y


def in_memory_rows(args: argparse.Namespace) -> tuple[list[dict], str]:
    import dask
    import dask.array as da
    import distributed

    from lrnn import kernels
    from lrnn.backends.dask_backend import DaskBackend
    from lrnn.backends.numpy_backend import InMemoryBackend

    dtype = np.dtype(args.dtype)
    X, y = make_data(args.rows, args.features, dtype)
    w = np.random.default_rng(1).standard_normal(args.features).astype(dtype) * 0.1
    gb = X.nbytes / 1e9
    rows: list[dict] = []

    def record(name: str, seconds: float, baseline: float | None) -> None:
        rows.append(
            {
                "pass by": name,
                "s/pass": seconds,
                "examples/s": args.rows / seconds,
                "GB/s": gb / seconds,
                "vs in-memory": None if baseline is None else baseline / seconds,
            }
        )

    def timed(fn) -> float:
        return median_time(fn, repeats=args.repeats, warmup=1)

    kernel_s = timed(lambda: kernels.data_pass(w, 0.1, X, y))
    backend = InMemoryBackend(X, y)
    memory_s = timed(lambda: backend.data_pass(w, 0.1))
    record("fused kernel, whole array", kernel_s, memory_s)
    record("InMemoryBackend", memory_s, memory_s)
    reference = backend.data_pass(w, 0.1)

    chunks = (args.chunk_rows, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit=None,
        )
    with cluster, distributed.Client(cluster), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sending large graph")  # X goes in once
        Xd = da.from_array(X, chunks=chunks)
        start = time.perf_counter()
        on_cluster = DaskBackend(Xd, y)  # persists X on the workers
        distributed.wait([on_cluster.X, on_cluster.y])
        load_s = time.perf_counter() - start
        cluster_s = timed(lambda: on_cluster.data_pass(w, 0.1))
        got = on_cluster.data_pass(w, 0.1)
        drift = float(np.max(np.abs(got.dw - reference.dw)) / np.max(np.abs(reference.dw)))
        record(f"DaskBackend, LocalCluster 2×1 ({len(Xd.chunks[0])} chunks)", cluster_s, memory_s)
        empty = da.zeros((2, 1), chunks=(1, 1)).persist()
        round_trip = timed(lambda: empty.sum().compute())
    with dask.config.set(scheduler="threads", num_workers=2):
        local = DaskBackend(da.from_array(X, chunks=chunks), y, persist=False)
        threads_s = timed(lambda: local.data_pass(w, 0.1))
        record("DaskBackend, threaded scheduler", threads_s, memory_s)
    notes = (
        f"moving X onto the cluster (persist): {load_s:.2f} s; an empty graph's round trip: "
        f"{round_trip * 1e3:.0f} ms; max |dw| difference vs in-memory (relative): {drift:.1e}"
    )
    return rows, notes


# --------------------------------------------------------------------------------------------
# Out of core, in a fresh process
# --------------------------------------------------------------------------------------------
STREAM_WORKER = """
import gc, json, os, sys, threading, time
import numpy as np

def rss_anon():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0

peak = [rss_anon()]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss_anon())
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()

from lrnn.backends.stream_backend import StreamingBackend
folder, repeats = sys.argv[1], int(sys.argv[2])
x_path = os.path.join(folder, "X.npy")

def drop_cache():
    fd = os.open(x_path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)

backend = StreamingBackend.open(folder)
w = np.full(backend.n_features, 0.01, dtype=backend.dtype)
backend.data_pass(w, 0.0)  # compile / warm the page cache
warm = []
for _ in range(repeats):
    t = time.perf_counter(); backend.data_pass(w, 0.0); warm.append(time.perf_counter() - t)
cold = []
for _ in range(repeats):
    del backend
    gc.collect()  # unmap, so that the cached pages can be dropped
    drop_cache()
    backend = StreamingBackend.open(folder)
    t = time.perf_counter(); backend.data_pass(w, 0.0); cold.append(time.perf_counter() - t)
done.set()
print(json.dumps({"warm": warm, "cold": cold, "peak_anon": max(peak[0], rss_anon()),
                  "m": backend.n_samples, "block_rows": backend.block_rows}))
"""


def write_npy(folder: Path, gib: float, features: int) -> tuple[int, float]:
    rows = int(gib * 2**30) // (4 * features)
    rng = np.random.default_rng(0)
    w_true = rng.standard_normal(features).astype(np.float32)
    X = np.lib.format.open_memmap(
        folder / "X.npy", mode="w+", dtype=np.float32, shape=(rows, features)
    )
    y = np.empty(rows, dtype=np.uint8)
    step = 2**18
    for start in range(0, rows, step):
        block = rng.standard_normal((min(step, rows - start), features), dtype=np.float32)
        X[start : start + block.shape[0]] = block
        y[start : start + block.shape[0]] = block @ w_true > 0
    X.flush()
    nbytes = X.nbytes
    del X
    np.save(folder / "y.npy", y)
    return rows, nbytes / 1e9


def stream_rows(args: argparse.Namespace) -> tuple[list[dict], dict]:
    tmp = Path(args.tmp or tempfile.gettempdir())
    need = args.stream_gib * 2**30 * 1.5
    if shutil.disk_usage(tmp).free < need:
        sys.exit(f"dask_overhead: need {need / 2**30:.1f} GiB free in {tmp} for part 2.")
    folder = Path(tempfile.mkdtemp(prefix="lrnn-stream-", dir=tmp))
    try:
        rows, gb = write_npy(folder, args.stream_gib, args.features)
        run = subprocess.run(
            [sys.executable, "-c", STREAM_WORKER, str(folder), str(args.repeats)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if run.returncode != 0:
            sys.exit(f"dask_overhead: the streaming process failed:\n{run.stderr}")
        report = json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out = []
    for kind in ("warm", "cold"):
        seconds = statistics.median(report[kind])
        out.append(
            {
                "pass by": f"StreamingBackend, .npy memory map, {kind}",
                "s/pass": seconds,
                "examples/s": rows / seconds,
                "GB/s": gb / seconds,
            }
        )
    info = {
        "file": f"{rows} × {args.features} float32 = {gb:.2f} GB",
        "peak_anon_MiB": report["peak_anon"] / 2**20,
        "block_rows": report["block_rows"],
    }
    return out, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--chunk-rows", type=int, default=125_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--stream-gib", type=float, default=2.0)
    parser.add_argument("--tmp", default=None, help="folder for the out-of-core file")
    parser.add_argument("--skip-stream", action="store_true")
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (medians of fewer say little)")

    print(f"# dask_overhead  (commit {git_revision()}, {time.strftime('%Y-%m-%d %H:%M')})")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    print(f"\n## Data that fits: {args.rows} × {args.features} {args.dtype}, one gd pass")
    print(f"medians of {args.repeats}\n")
    rows, notes = in_memory_rows(args)
    print(table(rows, ["pass by", "s/pass", "examples/s", "GB/s", "vs in-memory"]))
    print(f"\n{notes}")
    if not args.skip_stream:
        stream, info = stream_rows(args)
        print(f"\n## Out of core: {info['file']}, blocks of {info['block_rows']} rows")
        print(
            f"streaming process peak anonymous memory: {info['peak_anon_MiB']:.0f} MiB "
            f"(file {args.stream_gib:g} GiB)\n"
        )
        print(table(stream, ["pass by", "s/pass", "examples/s", "GB/s"]))
    print(f"\nload average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
