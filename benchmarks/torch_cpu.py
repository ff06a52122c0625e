"""The lesson's full-batch gradient descent in PyTorch on the CPU, against lrnn.

    python -m benchmarks.torch_cpu [--repeats 3]

Needs the optional extra: ``pip install torch==2.13.0``. Both sides run 2000 iterations at
learning rate 0.005 from zero on the cat / non-cat training set (12288 × 209, /255, float64):
PyTorch as a user would write it (autograd on BCEWithLogitsLoss, SGD optimiser) and as a
hand-written tensor loop; lrnn through ``LogisticNeuron`` (float64), ``lrnn.train.train`` on the
uint8 pixels with the 1/255 scale folded in (what ``lrnn train`` does) and ``lrnn.course.model``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time

import h5py
import numpy as np

from benchmarks._common import CAT_DIR, git_revision, machine, median_time, table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    with h5py.File(CAT_DIR / "train_catvnoncat.h5") as f:
        raw = f["train_set_x"][:].reshape(209, -1)
        y = f["train_set_y"][:]
    X = raw / 255.0

    Xt = torch.from_numpy(X)
    yt = torch.from_numpy(y.astype(np.float64))

    def torch_autograd():
        w = torch.zeros(X.shape[1], dtype=torch.float64, requires_grad=True)
        b = torch.zeros((), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([w, b], lr=0.005)
        loss_fn = torch.nn.BCEWithLogitsLoss()
        costs = []
        for i in range(2000):
            opt.zero_grad()
            loss = loss_fn(Xt @ w + b, yt)
            loss.backward()
            opt.step()
            if i % 100 == 0:
                costs.append(loss.item())
        return costs

    def torch_manual():
        w = torch.zeros(X.shape[1], dtype=torch.float64)
        b = 0.0
        costs = []
        m = X.shape[0]
        for i in range(2000):
            z = Xt @ w + b
            a = torch.sigmoid(z)
            if i % 100 == 0:
                costs.append(torch.nn.functional.binary_cross_entropy_with_logits(z, yt).item())
            r = (a - yt) / m
            w -= 0.005 * (r @ Xt)
            b -= 0.005 * float(r.sum())
        return costs

    from lrnn import LogisticNeuron, course
    from lrnn.backends import make_backend
    from lrnn.train import TrainConfig, train

    def lrnn_estimator():
        est = LogisticNeuron(learning_rate=0.005, max_iter=2000, tol=0, record_every=100)
        return est.fit(X, y).history_["cost"]

    def lrnn_uint8():
        # What `lrnn train` does with pictures: uint8 stays uint8, the 1/255 is folded in.
        backend = make_backend(raw, y.astype(np.float64), scale=1 / 255)
        config = TrainConfig(learning_rate=0.005, max_iter=2000, record_every=100)
        return train(backend, config).history["cost"]

    def lrnn_course():
        with contextlib.redirect_stdout(io.StringIO()):
            return course.model(X.T, y[None, :], X.T[:, :2], y[None, :2], 2000, 0.005)["costs"]

    reference = np.array(lrnn_course())
    rows = []
    base = None
    for name, fn in [
        ("PyTorch autograd + SGD", torch_autograd),
        ("PyTorch hand-written tensors", torch_manual),
        ("lrnn LogisticNeuron (float64)", lrnn_estimator),
        ("lrnn train() on uint8, scale folded in", lrnn_uint8),
        ("lrnn.course.model (float64)", lrnn_course),
    ]:
        costs = np.array(fn())
        seconds = median_time(fn, args.repeats)
        base = base or seconds
        rows.append(
            {
                "method": name,
                "median s": seconds,
                "vs autograd": base / seconds,
                "max |cost diff|": float(np.max(np.abs(costs - reference))),
            }
        )
    print(
        f"torch_cpu — {time.strftime('%Y-%m-%d')}, {machine()}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), lrnn {git_revision()}"
    )
    print(table(rows, ["method", "median s", "vs autograd", "max |cost diff|"]))


if __name__ == "__main__":
    main()
