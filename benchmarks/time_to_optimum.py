"""Wall time to reach the optimum: lrnn's solvers against scikit-learn's.

    python -m benchmarks.time_to_optimum [--data breast_cancer cat synthetic] [--budget 60]
        [--lrnn lbfgs lbfgs-scipy auto] [--sklearn lbfgs newton-cg newton-cholesky]

For each data set, J* is the best objective any solver reaches at its tightest tolerance. Every
solver is then run with tolerances from loose to tight; its time to the optimum is the wall
time of the loosest run whose relative objective gap (J − J*)/J* is ≤ 1e-6 (median of 3 runs
at that tolerance). The objective is J(w, b) = mean log loss + (alpha/2)‖w‖², i.e.
scikit-learn's LogisticRegression with C = 1/(alpha·n_samples).
"""

from __future__ import annotations

import argparse
import time
import warnings
from functools import partial

import numpy as np

from benchmarks._common import CAT_DIR, git_revision, machine, median_time, table

TOLERANCES = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-10, 1e-12]
SKLEARN = ["lbfgs", "newton-cg", "newton-cholesky", "sag", "saga"]
LRNN = ["auto", "newton", "newton-cg", "lbfgs", "lbfgs-scipy", "nesterov", "momentum", "gd"]


def load(name: str):
    if name == "breast_cancer":
        from sklearn.datasets import load_breast_cancer
        from sklearn.preprocessing import StandardScaler

        X, y = load_breast_cancer(return_X_y=True)
        return StandardScaler().fit_transform(X), y, 1e-3
    if name == "cat":
        import h5py

        with h5py.File(CAT_DIR / "train_catvnoncat.h5") as f:
            X = f["train_set_x"][:].reshape(209, -1) / 255.0
            y = f["train_set_y"][:]
        return X, y, 1e-2
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200_000, 500), dtype=np.float32)
    w = rng.standard_normal(500).astype(np.float32) / np.sqrt(500)
    y = (X @ w + 0.5 * rng.standard_normal(200_000) > 0).astype(np.int64)
    return X, y, 1e-4


def objective(X, y, alpha, coef, intercept) -> float:
    from lrnn.objective import loss_and_grad

    w = np.asarray(coef, dtype=np.float64).ravel()
    return loss_and_grad(w, float(intercept), X, y.astype(np.float64), alpha)[0]


def fit_sklearn(X, y, alpha, solver, tol):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1 / (alpha * len(y)), solver=solver, tol=tol, max_iter=100_000)
    model.fit(X, y)
    return model.coef_, model.intercept_[0], int(np.max(model.n_iter_))


def fit_lrnn(X, y, alpha, solver, tol, max_iter=50_000):
    from lrnn import LogisticNeuron, solvers
    from lrnn.backends import gram_newton

    # "newton-cg": lrnn's Newton forced onto conjugate gradients (Hessian-vector products) in
    # feature space, which it otherwise uses only above solvers.EXACT_HESSIAN_MAX parameters
    # and off the span of wide data (gram_newton.MAX_SAMPLES).
    exact_max, span_max = solvers.EXACT_HESSIAN_MAX, gram_newton.MAX_SAMPLES
    if solver == "newton-cg":
        solver, solvers.EXACT_HESSIAN_MAX, gram_newton.MAX_SAMPLES = "newton", 0, 0
    try:
        model = LogisticNeuron(
            solver=solver, alpha=alpha, tol=tol, learning_rate="auto", max_iter=max_iter
        ).fit(X, y)
    finally:
        solvers.EXACT_HESSIAN_MAX, gram_newton.MAX_SAMPLES = exact_max, span_max
    return model.coef_, model.intercept_[0], model.n_iter_


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", nargs="+", default=["breast_cancer", "cat", "synthetic"])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per single fit")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lrnn", nargs="+", default=LRNN, help="lrnn solvers to time")
    parser.add_argument("--sklearn", nargs="+", default=SKLEARN, help="scikit-learn's to time")
    parser.add_argument(
        "--max-iter", type=int, default=50_000, help="lrnn's max_iter (first-order solvers)"
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"time_to_optimum — {time.strftime('%Y-%m-%d')}, {machine()}, lrnn {git_revision()}")
    for name in args.data:
        X, y, alpha = load(name)
        Xd = X.astype(np.float64) if X.dtype != np.float64 else X
        runs = {}
        candidates = [("scikit-learn", s, fit_sklearn) for s in args.sklearn]
        fit_ours = partial(fit_lrnn, max_iter=args.max_iter)
        candidates += [("lrnn", s, fit_ours) for s in args.lrnn]
        # pass 1: objective reached at each tolerance (loose → tight), stopping at the budget
        for lib, solver, fit in candidates:
            for tol in TOLERANCES:
                start = time.perf_counter()
                coef, intercept, n_iter = fit(X, y, alpha, solver, tol)
                elapsed = time.perf_counter() - start
                runs.setdefault((lib, solver), []).append(
                    (tol, objective(Xd, y, alpha, coef, intercept), elapsed, n_iter)
                )
                if elapsed > args.budget:
                    break
        j_star = min(j for results in runs.values() for _, j, _, _ in results)
        rows = []
        for (lib, solver), results in runs.items():
            reached = [r for r in results if (r[1] - j_star) / j_star <= 1e-6]
            row = {"library": lib, "solver": solver}
            if not reached:
                best_gap = min((j - j_star) / j_star for _, j, _, _ in results)
                row.update(seconds=None, tol=None, gap=best_gap, note="did not reach 1e-6")
            else:
                tol = reached[0][0]
                fit = fit_sklearn if lib == "scikit-learn" else fit_ours
                seconds = median_time(partial(fit, X, y, alpha, solver, tol), args.repeats, 0)
                gap = (reached[0][1] - j_star) / j_star
                row.update(seconds=seconds, tol=tol, gap=gap, iterations=reached[0][3])
            rows.append(row)
        best = {
            lib: min(
                (r["seconds"] for r in rows if r["library"] == lib and r["seconds"]), default=None
            )
            for lib in ("scikit-learn", "lrnn")
        }
        print(
            f"\n{name}: {X.shape[0]} × {X.shape[1]} {X.dtype}, alpha {alpha:g}, J* = {j_star:.10g}"
        )
        print(table(rows, ["library", "solver", "seconds", "iterations", "tol", "gap", "note"]))
        if best["scikit-learn"] and best["lrnn"]:
            print(
                f"best scikit-learn {best['scikit-learn']:.4g} s, best lrnn {best['lrnn']:.4g} s: "
                f"lrnn is {best['scikit-learn'] / best['lrnn']:.2f}× faster"
            )


if __name__ == "__main__":
    main()
