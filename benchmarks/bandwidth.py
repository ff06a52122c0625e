"""How close a gradient pass comes to the memory bandwidth: fused kernels against np.sum(X).

    python -m benchmarks.bandwidth [--repeats 7] [--rows 200000] [--features 500] [--both-env]

One gd iteration is one ``InMemoryBackend.data_pass`` (loss, gradient and accuracy in one read
of X). Its time is set against

* ``np.sum(X)`` on the same array — the read-bandwidth ceiling named in DESIGN.md (numpy reads
  with one thread);
* a two-thread streaming sum of X (numba), the ceiling for a pass that uses both cores;
* ``objective.data_pass``, the plain numpy two-pass reference (the fallback path).

for float32 and uint8 (scale 1/255) data of the same shape, plus the course layout (an
F-ordered 209 × 12288 view, as the course functions pass it: uint8 and float64) and the effect
of a multi-threaded BLAS call just before a pass. The machine is shared: a round in which other
processes used more than 5 % of a core is run again, up to a limit, and the medians come from
the quietest runs (``quiet`` in the table says how many of them were undisturbed).
``--both-env`` runs everything twice, with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE as set and
with both unset.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks._common import git_revision, machine, table

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_seconds() -> float | None:
    """CPU seconds all processes have spent busy (Linux /proc/stat), or None elsewhere."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    return (sum(fields) - fields[3] - fields[4]) / _TICK  # minus idle and iowait


def _own_seconds() -> float:
    t = os.times()
    return t.user + t.system


def quiet_medians(
    cases: dict[str, Callable[[], object]],
    repeats: int,
    max_rounds: int,
    self_timed: bool = False,
) -> dict[str, tuple[float, int]]:
    """Median seconds per case over its ``repeats`` least disturbed runs; cases interleave.

    Each run records how much CPU other processes used meanwhile. Rounds go on until every
    case has ``repeats`` quiet runs (others below 5 % of one core) or ``max_rounds`` is reached;
    the median is then taken over the ``repeats`` quietest runs, so a neighbour's test run does
    not end up in it. With ``self_timed`` each case returns the seconds of the part of it that
    counts; otherwise the whole call is timed. Returns {case: (median, quiet runs among them)}.
    """
    for fn in cases.values():
        fn()  # compile, fault pages in, warm caches of the small arrays
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}

    def quiet(name: str) -> int:
        return sum(1 for load, _ in runs[name] if load <= 0.05)

    for _ in range(max_rounds):
        if all(quiet(name) >= repeats for name in cases):
            break
        for name, fn in cases.items():
            if quiet(name) >= repeats:
                continue
            busy0, own0 = _busy_seconds(), _own_seconds()
            start = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - start
            busy1 = _busy_seconds()
            others = 0.0 if busy0 is None else (busy1 - busy0) - (_own_seconds() - own0)
            load = max(0.0, others - 0.02) / elapsed  # /proc/stat counts in 10 ms ticks
            runs[name].append((load, float(result) if self_timed else elapsed))
    out = {}
    for name, recorded in runs.items():
        best = sorted(recorded)[:repeats]
        out[name] = (statistics.median(t for _, t in best), sum(load <= 0.05 for load, _ in best))
    return out


def _streaming_sum() -> Callable[[np.ndarray], object]:
    """A two-thread sum of X's memory: how fast both cores can stream it.

    uint8 data is summed as 64-bit words (the value is meaningless, the reading is not), so
    that widening bytes does not make the ceiling compute-bound.
    """
    import numba

    @numba.njit(parallel=True, fastmath=True, cache=True)
    def stream(flat):
        total = flat[0] - flat[0]
        for i in numba.prange(flat.shape[0]):
            total += flat[i]
        return total

    def read(X: np.ndarray) -> object:
        flat = X.reshape(-1)
        if X.dtype == np.uint8 and flat.size % 8 == 0:
            flat = flat.view(np.uint64)
        return stream(flat)

    return read


def run(args: argparse.Namespace) -> None:
    from threadpoolctl import ThreadpoolController

    from lrnn import kernels, objective
    from lrnn.backends.numpy_backend import InMemoryBackend

    m, n = args.rows, args.features
    rng = np.random.default_rng(0)
    X32 = rng.standard_normal((m, n), dtype=np.float32)
    X8 = rng.integers(0, 256, size=(m, n), dtype=np.uint8)
    y = (rng.random(m) < 0.5).astype(np.float64)
    w32 = (rng.standard_normal(n) * 0.05).astype(np.float32)
    w64 = rng.standard_normal(n) * 0.005
    f32 = InMemoryBackend(X32, y)
    u8 = InMemoryBackend(X8, y, scale=1 / 255)
    stream = _streaming_sum()
    y32 = f32.y
    if not (kernels.available(X32) and kernels.available(X8)):
        raise SystemExit("the kernels are not available here (is numba installed?)")

    cases = {
        "np.sum f32": lambda: np.sum(X32),
        "2-thread read f32": lambda: stream(X32),
        "kernel pass f32": lambda: f32.data_pass(w32, 0.1),
        "plain pass f32": lambda: objective.data_pass(w32, 0.1, X32, y32),
        "np.sum u8": lambda: np.sum(X8),
        "2-thread read u8": lambda: stream(X8),
        "kernel pass u8": lambda: u8.data_pass(w64, 0.1),
        "plain pass u8": lambda: objective.data_pass(w64, 0.1, X8, y, None, 1 / 255),
        # Not what the backend runs (uint8 trains in float64): what float32 arithmetic would give.
        "kernel pass u8, float32 arithmetic": lambda: kernels.data_pass(
            w32, 0.1, X8, y32, None, 1 / 255
        ),
    }
    t = quiet_medians(cases, args.repeats, args.max_rounds)

    rows = []
    for tag, X in (("f32", X32), ("u8", X8)):
        ceiling, both = t[f"np.sum {tag}"][0], t[f"2-thread read {tag}"][0]
        extra = ("kernel pass u8, float32 arithmetic",) if tag == "u8" else ()
        for what in ("np.sum", "2-thread read", "kernel pass", "plain pass", *extra):
            sec, kept = t[what if what in t else f"{what} {tag}"]
            label = what.replace("u8", "uint8") if what in t else f"{what} {X.dtype}"
            row = {"case": label, "median ms": 1e3 * sec, "quiet": kept}
            row["GB/s"] = X.nbytes / sec / 1e9
            row["of np.sum bw"] = ceiling / sec
            row["of 2-thread read"] = both / sec
            if "pass" in what:
                row["examples/s"] = f"{m / sec:.3g}"
            rows.append(row)
    columns = [
        "case",
        "median ms",
        "quiet",
        "GB/s",
        "of np.sum bw",
        "of 2-thread read",
        "examples/s",
    ]
    print(table(rows, columns))
    kernel32, kernel8 = t["kernel pass f32"][0], t["kernel pass u8"][0]
    print(
        f"\nkernel pass vs plain pass: float32 {t['plain pass f32'][0] / kernel32:.2f}x, "
        f"uint8 {t['plain pass u8'][0] / kernel8:.2f}x faster"
    )
    print(f"uint8 / float32 examples/s (kernel passes): {kernel32 / kernel8:.2f}")
    fast8 = t["kernel pass u8, float32 arithmetic"][0]
    print(f"  the same with uint8 in float32 arithmetic (not the default): {kernel32 / fast8:.2f}")

    # The course layout: X_course.T, an F-ordered view of a (12288, 209) array. uint8 pixels run
    # in the kernels; float data goes to the reference — this shows why.
    pixels = np.random.default_rng(1).integers(0, 256, size=(12288, 209), dtype=np.uint8).T
    floats = pixels / 255.0  # F-ordered too
    yc = (np.arange(209) % 3 == 0).astype(np.float64)
    wc = np.random.default_rng(2).standard_normal(12288) * 0.01
    tc = quiet_medians(
        {
            "uint8 kernel": lambda: kernels.data_pass(wc, 0.0, pixels, yc, None, 1 / 255),
            "uint8 plain": lambda: objective.data_pass(wc, 0.0, pixels, yc, None, 1 / 255),
            "float64 kernel": lambda: kernels.data_pass(wc, 0.0, floats, yc),
            "float64 plain": lambda: objective.data_pass(wc, 0.0, floats, yc),
        },
        max(args.repeats, 11),
        args.max_rounds,
    )
    print("\ncourse layout, 209 x 12288 F-ordered (X_course.T), median ms:")
    for dtype in ("uint8", "float64"):
        kernel_c, plain_c = tc[f"{dtype} kernel"][0], tc[f"{dtype} plain"][0]
        used = "kernel" if kernels.available(pixels if dtype == "uint8" else floats) else "plain"
        print(
            f"  {dtype:8s} kernel {1e3 * kernel_c:7.2f}  plain {1e3 * plain_c:7.2f}  "
            f"(plain/kernel {plain_c / kernel_c:.2f}; the backend uses {used})"
        )

    # OpenBLAS threads spin for a while after a call; does a kernel pass right after suffer?
    controller = ThreadpoolController()
    A = rng.standard_normal((400, 400))

    def after(blas_threads: int | None) -> Callable[[], float]:
        def fn() -> float:
            f32.data_pass(w32, 0.1)  # the same state before every measured pass
            if blas_threads is None:
                time.sleep(0.2)
            else:
                with controller.limit(limits=blas_threads, user_api="blas"):
                    A @ A
            start = time.perf_counter()
            f32.data_pass(w32, 0.1)
            return time.perf_counter() - start

        return fn

    fight = {
        "after 0.2 s idle": after(None),
        "right after a 1-thread BLAS call": after(1),
        "right after a 2-thread BLAS call": after(2),
    }
    print("\nfloat32 kernel pass, median ms:")
    fights = quiet_medians(fight, args.repeats, args.max_rounds, self_timed=True)
    for name, (sec, kept) in fights.items():
        print(f"  {name:34s} {1e3 * sec:7.1f}  (quiet runs {kept})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="undisturbed runs per case (≥ 5)")
    parser.add_argument("--max-rounds", type=int, default=30, help="stop waiting for quiet runs")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=500)
    parser.add_argument(
        "--both-env",
        action="store_true",
        help="run twice: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE as set, then both unset",
    )
    args = parser.parse_args()
    if args.both_env:
        argv = [a for a in sys.argv[1:] if a != "--both-env"]
        unset = {
            k: v
            for k, v in os.environ.items()
            if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
        }
        root = Path(__file__).resolve().parents[1]
        for env in (dict(os.environ), unset):
            subprocess.run([sys.executable, "-m", "benchmarks.bandwidth", *argv], env=env, cwd=root)
            print()
        return
    import numba

    print(
        f"# bandwidth — {machine()}, numba threads {numba.get_num_threads()}, rev {git_revision()}"
    )
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, X {args.rows} x {args.features}\n")
    run(args)


if __name__ == "__main__":
    main()
