"""K classes: time to scikit-learn's multinomial optimum, and one gd pass against the binary one.

    python -m benchmarks.multiclass [--data digits10 synthetic] [--budget 120] [--repeats 3]
    python -m benchmarks.multiclass --pass-only
    python -m benchmarks.multiclass --data synthetic --sklearn lbfgs newton-cg

Time to optimum: for each data set J* is the lowest objective any solver reaches at its
tightest tolerance. Each solver then runs with tolerances from loose to tight; its time is the
median of ``--repeats`` runs at the loosest tolerance whose relative gap (J − J*)/J* ≤ 1e-6. The
objective is J(W, b) = mean multinomial log loss + (alpha/2)‖W‖², scikit-learn's multinomial
LogisticRegression with C = 1/(alpha·n). A fit slower than ``--budget`` seconds ends that
solver's ladder.

One pass: one data pass (loss and gradient) of the softmax layer (K = 10) on 200,000 × 500
float32 against the sigmoid neuron's on the same X, as examples per second; the memory it
allocates beyond X is the peak that tracemalloc sees during the pass (numpy reports its
buffers to tracemalloc).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings

import numpy as np

from benchmarks._common import git_revision, machine, median_time, table

TOLERANCES = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10]
SKLEARN = ["lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"]
LRNN = ["auto", "newton", "lbfgs"]
GAP = 1e-6


def load(name: str):
    if name == "digits10":
        from sklearn.datasets import load_digits
        from sklearn.preprocessing import StandardScaler

        X, y = load_digits(return_X_y=True)
        return StandardScaler().fit_transform(X), y, 1e-3
    return synthetic(), *_labels(), 1e-4


def synthetic() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.standard_normal((200_000, 500), dtype=np.float32)


def _labels() -> tuple[np.ndarray]:
    rng = np.random.default_rng(1)
    X = synthetic()
    W = rng.standard_normal((500, 10)).astype(np.float32) / np.sqrt(500)
    z = X @ W + 0.5 * rng.standard_normal((200_000, 10)).astype(np.float32)
    return (np.argmax(z, axis=1),)


def objective(X, y, alpha, coef, intercept) -> float:
    from lrnn import softmax

    W = np.ascontiguousarray(np.asarray(coef, dtype=np.float64).T)
    return softmax.loss_and_grad(W, np.asarray(intercept, np.float64), X, y, alpha)[0]


def fit_sklearn(X, y, alpha, solver, tol):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1 / (alpha * len(y)), solver=solver, tol=tol, max_iter=100_000)
    model.fit(X, y)
    return model.coef_, model.intercept_


def fit_lrnn(X, y, alpha, solver, tol):
    from lrnn import LogisticNeuron

    model = LogisticNeuron(solver=solver, alpha=alpha, tol=tol, max_iter=100_000).fit(X, y)
    return model.coef_, model.intercept_


def ladder(X, y, alpha, fit, solver, budget) -> list[tuple[float, float, float]]:
    """(tol, seconds, J) for each tolerance until a fit exceeds the budget."""
    out = []
    for tol in TOLERANCES:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            coef, intercept = fit(X, y, alpha, solver, tol)
        seconds = time.perf_counter() - start
        out.append((tol, seconds, objective(X, y, alpha, coef, intercept)))
        if seconds > budget:
            break
    return out


def time_to_optimum(name: str, budget: float, repeats: int, sklearn: list[str]) -> str:
    X, y, alpha = load(name)
    runs = {}
    for library, fit, solvers in (("lrnn", fit_lrnn, LRNN), ("sklearn", fit_sklearn, sklearn)):
        for solver in solvers:
            runs[(library, solver)] = (fit, ladder(X, y, alpha, fit, solver, budget))
    best = min(j for _, steps in runs.values() for _, _, j in steps)
    rows = []
    for (library, solver), (fit, steps) in runs.items():
        reached = [(tol, s) for tol, s, j in steps if (j - best) / best <= GAP]
        row = {"library": library, "solver": solver, "tol": None, "median s": None}
        if reached:
            tol = reached[0][0]

            def again(fit=fit, solver=solver, tol=tol):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit(X, y, alpha, solver, tol)

            row["tol"] = tol
            row["median s"] = median_time(again, repeats=repeats - 1, warmup=0)
            row["median s"] = float(np.median([row["median s"], reached[0][1]]))
        else:
            row["best gap"] = min((j - best) / best for _, _, j in steps)
        rows.append(row)
    head = f"{name}: {X.shape[0]} × {X.shape[1]} {X.dtype}, {len(np.unique(y))} classes, "
    head += f"alpha {alpha:g}, J* = {best:.12g}"
    return head + "\n\n" + table(rows, ["library", "solver", "tol", "median s", "best gap"])


def one_pass(repeats: int) -> str:
    from threadpoolctl import threadpool_limits

    from lrnn.backends.numpy_backend import InMemoryBackend
    from lrnn.backends.softmax_backend import SoftmaxBackend

    X = synthetic()
    (y,) = _labels()
    multi = SoftmaxBackend(X, y, 10)
    binary = InMemoryBackend(X, (y % 2).astype(np.float32))
    W, b = np.zeros((500, 10), np.float32), np.zeros(10, np.float32)
    w = np.zeros(500, np.float32)
    rows = []
    with threadpool_limits(1, "blas"):  # as during training
        for label, fn in (
            ("sigmoid neuron (K = 2)", lambda: binary.data_pass(w, 0.0)),
            ("softmax layer (K = 10)", lambda: multi.data_pass(W, b)),
        ):
            seconds = median_time(fn, repeats=repeats, warmup=1)
            tracemalloc.start()
            fn()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rows.append(
                {
                    "pass": label,
                    "median s": seconds,
                    "examples/s": X.shape[0] / seconds,
                    "extra MiB": peak / 2**20,
                    "extra / X": peak / X.nbytes,
                }
            )
    ratio = rows[1]["examples/s"] / rows[0]["examples/s"]
    return (
        table(rows, ["pass", "median s", "examples/s", "extra MiB", "extra / X"])
        + f"\n\nsoftmax / sigmoid examples per second: {ratio:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["digits10", "synthetic"])
    parser.add_argument("--budget", type=float, default=120.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pass-only", action="store_true")
    parser.add_argument("--sklearn", nargs="+", default=SKLEARN, help="its solvers to run")
    args = parser.parse_args()
    print(machine(), "commit", git_revision())
    print(one_pass(args.repeats))
    if not args.pass_only:
        for name in args.data:
            print()
            print(time_to_optimum(name, args.budget, args.repeats, args.sklearn))


if __name__ == "__main__":
    main()
