"""Where ``auto`` should switch a softmax layer from Newton–CG to L-BFGS.

    python -m benchmarks.multiclass_auto [--repeats 5] [--tol 1e-6]

For K-class problems of growing size m·(n+1)·K, each of lrnn's two second-order solvers fits at
the same ``tol``; the table gives the median seconds of ``--repeats`` fits, the iterations and
the objective reached, so the faster one can be read off per size (both reach the optimum to
about the same gap at this tolerance). ``lrnn.solvers.SMALL_LAYER_WORK`` is set from it.
Data: wine (standardised, alpha 1e-3), digits10 (standardised, alpha 1e-3) and generated
Gaussian features with arg-max labels (alpha 1e-4 / 1e-3).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from benchmarks._common import git_revision, machine, table


def generated(m: int, n: int, K: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    W = rng.standard_normal((n, K)) / np.sqrt(n)
    return X, np.argmax(X @ W + 0.5 * rng.standard_normal((m, K)), axis=1)


def cases() -> dict[str, tuple[np.ndarray, np.ndarray, float]]:
    from sklearn.datasets import load_digits, load_wine
    from sklearn.preprocessing import StandardScaler

    wine, digits = load_wine(), load_digits()
    return {
        "wine": (StandardScaler().fit_transform(wine.data), wine.target, 1e-3),
        "digits10": (StandardScaler().fit_transform(digits.data), digits.target, 1e-3),
        "5,000 × 300 × 5": (*generated(5000, 300, 5), 1e-3),
        "20,000 × 100 × 10": (*generated(20000, 100, 10), 1e-4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tol", type=float, default=1e-6)
    args = parser.parse_args()
    from lrnn import LogisticNeuron, softmax

    warnings.simplefilter("ignore")
    print(
        f"multiclass_auto — {time.strftime('%Y-%m-%d %H:%M')}, {machine()}, lrnn {git_revision()}"
    )
    rows = []
    for name, (X, y, alpha) in cases().items():
        K = len(np.unique(y))
        work = X.shape[0] * (X.shape[1] + 1) * K
        for solver in ("newton", "lbfgs"):
            seconds = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                model = LogisticNeuron(solver=solver, alpha=alpha, tol=args.tol, max_iter=10_000)
                model.fit(X, y)
                seconds.append(time.perf_counter() - start)
            W = np.ascontiguousarray(model.coef_.T)
            J = softmax.loss_and_grad(W, model.intercept_, X, y, alpha)[0]
            auto = LogisticNeuron(solver="auto", alpha=alpha, tol=args.tol).fit(X, y).solver_
            rows.append(
                {
                    "data": name,
                    "m·(n+1)·K": f"{work:.2g}",
                    "solver": solver,
                    "median s": float(np.median(seconds)),
                    "iterations": model.n_iter_,
                    "J": f"{J:.12g}",
                    "auto picks": auto,
                }
            )
    columns = ["data", "m·(n+1)·K", "solver", "median s", "iterations", "J", "auto picks"]
    print(table(rows, columns))


if __name__ == "__main__":
    main()
