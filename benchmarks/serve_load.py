"""``lrnn serve`` under load: single 64 × 64 PNG predictions of the cat model over loopback.

    python -m benchmarks.serve_load [--requests 2000] [--clients 8] [--repeats 3]

Needs the ``serve`` extra and httpx. Trains the cat model (the lesson's settings) into a
temporary folder, starts ``lrnn serve --port 0`` on 127.0.0.1, and sends one test-set picture
(a 64 × 64 PNG, raw body) per request from ``--clients`` threads with keep-alive connections,
``--requests`` in all, checking every answer against the first one. Reports requests/s and
p50/p99 latency, medians over ``--repeats`` runs, with two baselines from the same run: the
in-process cost of the same work without HTTP (decode the PNG + ``predict_records``) and one
client sending requests one after another. The load generator runs on the same machine and
competes with the server for the CPU, so the figures are a lower bound for the server.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from benchmarks._common import CAT_DIR, git_revision, machine, median_time, table


def start_server(model: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lrnn", "serve", "--model", str(model), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stderr.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        proc.kill()
        raise SystemExit(f"lrnn serve did not start: {line}")
    url = f"http://127.0.0.1:{match.group(1)}"
    import httpx

    for _ in range(200):
        try:
            if httpx.get(url + "/health").status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("lrnn serve never answered")


def load_run(url: str, body: bytes, expected: dict, requests: int, clients: int) -> dict:
    """``requests`` POSTs from ``clients`` threads; returns rate and latency percentiles."""
    import httpx

    latencies: list[float] = []
    lost: list[str] = []
    lock = threading.Lock()
    per_client = [requests // clients + (k < requests % clients) for k in range(clients)]

    def worker(count: int) -> None:
        mine = []
        with httpx.Client(timeout=60) as c:
            for _ in range(count):
                start = time.perf_counter()
                r = c.post(
                    url + "/predict",
                    content=body,
                    headers={"Content-Type": "image/png"},
                    params={"name": "cat.png"},
                )
                mine.append(time.perf_counter() - start)
                if r.status_code != 200 or r.json() != expected:
                    with lock:
                        lost.append(f"{r.status_code}: {r.text[:100]}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in per_client]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    if lost or len(latencies) != requests:
        raise SystemExit(f"lost {len(lost)} of {requests} requests: {lost[:3]}")
    ms = np.array(latencies) * 1000
    return {
        "rps": requests / wall,
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from lrnn import inference

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model = folder / "cat.safetensors"
        subprocess.run(
            [sys.executable, "-m", "lrnn", "train", str(CAT_DIR / "train_catvnoncat.h5")]
            + ["--test", str(CAT_DIR / "test_catvnoncat.h5"), "--no-plot"]
            + ["--model", str(model)],
            check=True,
            capture_output=True,
        )
        with h5py.File(CAT_DIR / "test_catvnoncat.h5") as f:
            picture = f["test_set_x"][1]
        buf = io.BytesIO()
        Image.fromarray(picture).save(buf, format="PNG")
        body = buf.getvalue()

        predictor = inference.Predictor.load(model)

        def in_process() -> None:
            ds = inference.decode_images([("cat.png", body)], predictor.spec)
            predictor.records(ds)

        baseline_ms = median_time(in_process, repeats=200, warmup=5) * 1000

        proc, url = start_server(model)
        try:
            import httpx

            expected = httpx.post(
                url + "/predict",
                content=body,
                headers={"Content-Type": "image/png"},
                params={"name": "cat.png"},
            ).json()
            load_run(url, body, expected, 200, args.clients)  # warm-up
            single = [
                load_run(url, body, expected, args.requests // 4, 1) for _ in range(args.repeats)
            ]
            loaded = [
                load_run(url, body, expected, args.requests, args.clients)
                for _ in range(args.repeats)
            ]
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)

    def med(runs: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    rows = [
        {
            "setting": "in process: decode PNG + predict_records (no HTTP)",
            "requests/s": 1000 / baseline_ms,
            "p50 ms": baseline_ms,
            "p99 ms": None,
        },
        {
            "setting": f"lrnn serve, 1 client, {args.requests // 4} requests",
            "requests/s": med(single, "rps"),
            "p50 ms": med(single, "p50"),
            "p99 ms": med(single, "p99"),
        },
        {
            "setting": f"lrnn serve, {args.clients} clients, {args.requests} requests",
            "requests/s": med(loaded, "rps"),
            "p50 ms": med(loaded, "p50"),
            "p99 ms": med(loaded, "p99"),
        },
    ]
    print(f"machine: {machine()}; commit {git_revision()}; PNG {len(body)} bytes")
    print(f"medians of {args.repeats} runs; every answer checked, none lost")
    print(table(rows, ["setting", "requests/s", "p50 ms", "p99 ms"]))
    print(json.dumps({"single": single, "loaded": loaded}))


if __name__ == "__main__":
    main()
