"""A gd iteration on a GPU: lrnn's TorchBackend against the memory-bandwidth ceiling and autograd.

    python -m benchmarks.gpu [--rows 2000000] [--features 1000] [--dtype float32] [--repeats 10]

On one CUDA device, with X (``--rows`` × ``--features``, 8 GB in float32 by default) generated
on the device:
  * the ceiling: ``torch.sum(X)``, one read of X at the device's memory bandwidth. A gd pass
    reads X twice (z = Xw, then Xᵀr), so 2 × that time is the best a two-product pass can do;
  * lrnn: one gd iteration with ``TorchBackend`` (``data_pass`` — loss, gradient, accuracy,
    copied back as numpy — then the step);
  * plain PyTorch autograd doing the same work: ``binary_cross_entropy_with_logits(Xw + b, y)``,
    ``backward()``, the step under ``no_grad``.
Times are medians of ``--repeats`` after a warm-up, each ended by ``torch.cuda.synchronize()``.

Needs a machine with an NVIDIA GPU and a CUDA build of torch; exits with a message otherwise.
``--device cpu`` runs the same code on the CPU (to check the script, not to benchmark a GPU).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from benchmarks._common import git_revision, machine, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3")
    try:
        import torch
    except ImportError:
        sys.exit("gpu: PyTorch is not installed; pip install 'lrnn[torch]' on a GPU machine.")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit(
            "gpu: CUDA is not available here (torch.cuda.is_available() is False); run this "
            "on a machine with an NVIDIA GPU and a CUDA build of torch."
        )
    from lrnn.backends.torch_backend import TorchBackend

    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def median_seconds(fn, repeats: int = args.repeats) -> float:
        fn()
        sync()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            sync()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    m, n = args.rows, args.features
    gen = torch.Generator(device=device).manual_seed(0)
    X = torch.randn((m, n), generator=gen, device=device, dtype=dtype)
    w_true = torch.randn(n, generator=gen, device=device, dtype=dtype) / n**0.5
    y = (X @ w_true > 0).to(dtype)
    gbytes = X.numel() * X.element_size() / 1e9
    lr = 0.5

    read_s = median_seconds(lambda: torch.sum(X))
    bandwidth = gbytes / read_s

    backend = TorchBackend(X, y)
    theta = {"w": np.zeros(n, dtype=backend.dtype), "b": 0.0}

    def lrnn_step() -> None:
        data = backend.data_pass(theta["w"], theta["b"])
        theta["w"] = theta["w"] - lr * data.dw
        theta["b"] -= lr * data.db

    lrnn_s = median_seconds(lrnn_step)

    w = torch.zeros(n, device=device, dtype=dtype, requires_grad=True)
    b = torch.zeros((), device=device, dtype=dtype, requires_grad=True)
    F = torch.nn.functional

    def autograd_step() -> None:
        loss = F.binary_cross_entropy_with_logits(X @ w + b, y)
        loss.backward()
        with torch.no_grad():
            w.sub_(lr * w.grad)
            b.sub_(lr * b.grad)
            w.grad = None
            b.grad = None
        float(loss.detach())  # the cost goes to the host each iteration, as lrnn's does

    autograd_s = median_seconds(autograd_step)

    def row(name: str, seconds: float, reads: int) -> dict:
        return {
            "what": name,
            "ms/iteration": seconds * 1e3,
            "X reads": reads,
            "GB/s (reads × X / time)": reads * gbytes / seconds,
            "vs ceiling": (reads * read_s) / seconds,
        }

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else machine()
    print(f"# gpu  (commit {git_revision()}, {time.strftime('%Y-%m-%d %H:%M')})")
    print(f"device: {name}; torch {torch.__version__}")
    print(f"X: {m} × {n} {args.dtype} = {gbytes:.2f} GB; medians of {args.repeats}\n")
    rows = [
        row("torch.sum(X) (bandwidth ceiling)", read_s, 1),
        row("ceiling for a pass (2 reads)", 2 * read_s, 2),
        row("lrnn TorchBackend gd iteration", lrnn_s, 2),
        row("PyTorch autograd gd iteration", autograd_s, 2),
    ]
    print(table(rows, list(rows[0])))
    print(
        f"\nmeasured bandwidth {bandwidth:.0f} GB/s; lrnn / autograd time "
        f"{lrnn_s / autograd_s:.2f}; lrnn / 2-read ceiling {lrnn_s / (2 * read_s):.2f}"
    )


if __name__ == "__main__":
    main()
