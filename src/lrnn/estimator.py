"""``LogisticNeuron``: the single neuron with scikit-learn's conventions.

Layout is scikit-learn's: ``X`` is ``(examples, features)``. ``__init__`` only stores the
parameters; ``fit`` validates them and the data, then calls :func:`lrnn.train.train` — the same
loop the course functions and the CLI use — so with ``solver="gd"`` and the lesson's learning
rate it reproduces the lesson's costs exactly.

The objective minimised is

    J(w, b) = Σᵢ sᵢ·ℓ(zᵢ, yᵢ) / Σᵢ sᵢ + (alpha/2)‖w‖²,   zᵢ = w·xᵢ + b,

with ℓ the log loss and sᵢ the sample weights (default 1) times the class weights; the bias is
not penalised. Without weights this equals scikit-learn's ``LogisticRegression`` with
``C = 1/(alpha·n_samples)``; alpha = 0 is the lesson's cost.

Two classes are the lesson's one sigmoid neuron (``coef_`` (1, n), ``intercept_`` (1,)); K ≥ 3
classes train a softmax layer of K neurons (:mod:`lrnn.softmax`: ``coef_`` (K, n),
``intercept_`` (K,), ℓ = −log softmax(z)_y — scikit-learn's multinomial objective).
"""

from __future__ import annotations

import dataclasses
import numbers
import os
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from lrnn import class_weights, fast_checks, objective, run, softmax
from lrnn.backends import BACKEND_NAMES, make_backend
from lrnn.backends.sparse_backend import check_structure
from lrnn.backends.sparse_backend import logits as sparse_logits
from lrnn.callbacks import Callback, checked_callbacks
from lrnn.config import (
    MAX_SEED,
    PRINT_EVERY,
    VALIDATION_FRACTION,
    TrainConfig,
    check_fraction,
    default,
)
from lrnn.data.dataset import MAX_CLASS_NAME, label_name
from lrnn.errors import NO_WEIGHT, UsageError, has_control_characters
from lrnn.lazy_inputs import check_lazy_X, lazy_kind, lazy_logits, rows_of, to_host
from lrnn.train import TrainResult, solver_for, train

#: scikit-learn's LogisticRegression stops at tol=1e-4 too: an estimator in a pipeline or a
#: grid search should not run 2000 iterations past its optimum (tol=0 runs the lesson exactly).
ESTIMATOR_TOL = 1e-4


#: What ``random_state`` takes: scikit-learn's convention (see :func:`_seed_from`).
RandomStateLike = int | np.random.RandomState | np.random.Generator | None


class _VerbosePrinter(Callback):
    """``verbose`` > 0: the lesson's line every ``verbose`` recorded iterations, via logging;
    ``verbose=True`` (scikit-learn's habit) at the lesson's rhythm, every 100th iteration and
    the last: as every record, it logged 2000 lines for the lesson's fit."""

    def __init__(self, every: int | bool) -> None:
        import logging

        self.log = logging.getLogger("lrnn")
        self.lesson = every is True
        self.every = int(every)
        self.records = 0  # counted: iteration % every logged every record of record_every=10
        self.last: tuple[int, float] | None = None  # not yet logged (verbose=True)

    def on_record(self, record: dict[str, float]) -> None:
        iteration, cost = int(record["iteration"]), float(record["cost"])
        shown = iteration % PRINT_EVERY == 0 if self.lesson else self.records % self.every == 0
        if shown:
            self.log.info("Cost after iteration %d: %f", iteration, cost)
        self.last = None if shown else (iteration, cost)
        self.records += 1

    def on_end(self, result: Any) -> None:
        if self.lesson and self.last is not None:
            self.log.info("Cost after iteration %d: %f", *self.last)


class LogisticNeuron(ClassifierMixin, BaseEstimator):
    """Logistic regression trained as a single neuron.

    Parameters
    ----------
    solver : str
        How parameters step: one of :data:`lrnn.solvers.SOLVER_NAMES`. ``gd`` is the
        lesson's gradient descent; ``lbfgs`` lrnn's own L-BFGS (resumes exactly from a
        checkpoint), ``lbfgs-scipy`` scipy's L-BFGS-B. ``auto`` picks Newton
        with the exact Hessian when forming it is cheap (features + 1 ≤ 1000 and
        samples·(features + 1)² ≤ 1e8), else Newton–CG for wide data (features ≥ samples) and
        L-BFGS for tall data. With alpha > 0 on wide data (features ≥ 2 × samples, samples ≤
        2048) Newton runs on the samples' coefficients of the span (w = Xᵀβ): the same steps,
        each an m × m Cholesky after one Gram product.
    learning_rate : float or "auto"
        Step size for the first-order solvers. ``"auto"`` uses 1/L, L the Lipschitz constant of
        ∇J (always stable for gd). Ignored by lbfgs/newton (they search their own step).
    max_iter : int
        Iterations (passes over the data) for full-batch solvers; epochs for ``sgd``.
    alpha : float
        L2 strength on w (bias not penalised). 0 is the lesson's objective.
    tol : float
        Stop when the largest absolute component of ∇J (w and b) is ≤ tol. 0 never stops early.
    batch_size : int
        Mini-batch size for ``sgd``.
    random_state : int, None, numpy RandomState or Generator
        Seeds the mini-batch order and the early-stopping hold-out. An int repeats a fit
        exactly; a RandomState or Generator (scikit-learn's convention) gives each fit a seed
        drawn from it, so repeated fits differ, as they do with scikit-learn's estimators.
    early_stopping : bool
        Hold out ``validation_fraction`` (stratified, seeded by ``random_state``; rows of
        weight 0 are never held out) or use ``eval_set`` from fit; stop after
        ``n_iter_no_change`` recorded checks without validation-loss improvement. The weights
        of the best check are restored however the run ends (``max_iter`` or ``tol`` first
        too), as scikit-learn's MLP does. The held-out loss and accuracy are weighted by the
        held-out rows' sample and class weights, as the training ones are (an ``eval_set`` by
        ``class_weight``).
    class_weight : None, "balanced" or dict
        Multiplies sample weights by class.
    record_every : int
        Record history (and check early stopping) every this many iterations.
    warm_start : bool
        Start the next ``fit`` from the current ``coef_``/``intercept_`` (data of another width
        or number of classes starts from zero, with a warning).
    verbose : int or bool
        > 0 logs the cost (logger "lrnn", INFO) every ``verbose`` recorded iterations; True
        at the lesson's rhythm (every 100th iteration, and the last).
    backend : {"auto", "numpy", "dask", "torch"}
        Where passes over the data run; ``auto`` follows the type of ``X``.
    """

    def __init__(
        self,
        solver: str = default("solver"),
        learning_rate: float | str = default("learning_rate"),
        max_iter: int = default("max_iter"),
        alpha: float = default("alpha"),
        tol: float = ESTIMATOR_TOL,
        batch_size: int = default("batch_size"),
        early_stopping: bool = default("early_stopping"),
        validation_fraction: float = VALIDATION_FRACTION,
        n_iter_no_change: int = default("n_iter_no_change"),
        class_weight: dict | str | None = None,
        record_every: int = default("record_every"),
        warm_start: bool = False,
        random_state: RandomStateLike = default("random_state"),  # noqa: B008 - an int
        verbose: int = 0,
        backend: str = "auto",
    ) -> None:
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.alpha = alpha
        self.tol = tol
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.record_every = record_every
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.backend = backend

    # ----------------------------------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR/CSC train in place (backends.sparse_backend)
        return tags

    def _validate_params(self) -> TrainConfig:
        """Check every parameter (the training ones in TrainConfig, the rest here); messages
        say what was expected, what came, and the fix. Returns the run's config."""

        def bad(name: str, expected: str) -> UsageError:
            return UsageError(f"{name} must be {expected}; got {getattr(self, name)!r}.")

        config = TrainConfig(
            solver=self.solver,
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            alpha=self.alpha,
            tol=self.tol,
            batch_size=self.batch_size,
            random_state=_seed_from(self.random_state),
            record_every=self.record_every,
            early_stopping=self.early_stopping,
            n_iter_no_change=self.n_iter_no_change,
        )
        check_fraction("validation_fraction", self.validation_fraction)
        cw = self.class_weight
        if not (cw is None or cw == "balanced" or isinstance(cw, dict)):
            raise bad("class_weight", "None, 'balanced' or a dict {class: weight}")
        if self.backend not in ("auto", *BACKEND_NAMES):
            raise bad("backend", "one of 'auto', " + ", ".join(map(repr, BACKEND_NAMES)))
        if not isinstance(self.verbose, numbers.Integral) or self.verbose < 0:
            raise bad("verbose", "an integer ≥ 0")
        return config

    def _validate_X(self, X: ArrayLike, reset: bool) -> NDArray:
        """Keep float32 and uint8 as they are (trained without a float copy), else float64."""
        if lazy_kind(X) is not None:  # dask / torch: checked in place (see check_lazy_X)
            return check_lazy_X(self, X, reset)
        plain = fast_checks.plain_X(self, X, reset)  # a plain finite array: the same checks, fast
        if plain is not None:
            return plain
        if isinstance(X, np.ndarray) and X.dtype in (np.float32, np.float64, np.uint8):
            dtype: Any = None
        else:
            dtype = [np.float64, np.float32]
        # Sparse input stays sparse: CSR as it is, other formats to CSR once (sparse_backend),
        # after its index arrays are checked (scipy's conversion trusts them too).
        check_structure(X)
        checked = validate_data(
            self, X, reset=reset, dtype=dtype, ensure_all_finite=True, accept_sparse="csr"
        )
        if checked is not X and sparse.issparse(checked):  # converted: its arrays are new
            check_structure(checked)
        return checked

    def _encode_targets(self, y: ArrayLike) -> tuple[NDArray, NDArray]:
        plain = fast_checks.plain_labels(y)  # numeric labels: the same verdict, fast
        if plain is not None:
            classes, encoded = plain
        else:
            _refuse_missing_labels(y)
            try:
                # NaN labels: scikit-learn's check casts them to int on its way to "Input y
                # contains NaN", and numpy warned about that cast first
                with np.errstate(invalid="ignore"):
                    check_classification_targets(y)
                classes, encoded = np.unique(y, return_inverse=True)
            except TypeError as exc:  # labels that cannot be ordered: None among strings, …
                kinds = sorted({type(v).__name__ for v in np.asarray(y, dtype=object).ravel()})
                if kinds == ["bytes"]:  # the cat files' class names, as h5py reads them
                    first = np.asarray(y, dtype=object).ravel()[0]
                    raise ValueError(
                        f"y holds byte strings ({first!r}), which scikit-learn's label checks "
                        "refuse; decode them first: y.astype(str)."
                    ) from exc
                raise ValueError(
                    f"y mixes labels of types {', '.join(kinds)}, which cannot be sorted into "
                    "classes; give every example a label of one type (a missing label: drop "
                    "that example)."
                ) from exc
        if len(classes) < 2:
            raise ValueError(
                f"The target has only one class ({label_name(classes[0])!r}); this classifier "
                "needs samples of 2 classes. Add examples of the other class."
            )
        if plain is None and type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(
                f"y must hold one class label per example (binary or multiclass); got "
                f"{type_of_target(y)!r} targets."
            )
        return classes, encoded

    # ----------------------------------------------------------------------------------------
    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        eval_set: tuple[ArrayLike, ArrayLike] | None = None,
        callbacks: list[Callback] | None = None,
    ) -> LogisticNeuron:
        """Train on X (m, n) and labels y (any two distinct values).

        ``callbacks``: :class:`lrnn.Callback` objects called as it trains (each recorded row,
        each step; ``on_step`` returning True stops it), to watch a run or end it early.
        A fit that fails (bad input, a diverged run, Ctrl-C) leaves the estimator as it was:
        new classes beside old weights would predict wrongly without a word."""
        before = {k: v for k, v in vars(self).items() if _is_fitted_attribute(k)}
        try:
            return self._fit(X, y, sample_weight, eval_set, callbacks)
        except BaseException:
            for name in [k for k in vars(self) if _is_fitted_attribute(k)]:
                delattr(self, name)
            vars(self).update(before)
            raise

    def _fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None,
        eval_set: tuple[ArrayLike, ArrayLike] | None,
        callbacks: list[Callback] | None,
    ) -> LogisticNeuron:
        config = self._validate_params()
        callbacks = checked_callbacks(callbacks)  # before any work, not in the first step
        if not isinstance(self.warm_start, bool | np.bool_):  # "no" would warm-start
            raise UsageError(f"warm_start must be True or False; got {self.warm_start!r}.")
        previous, previous_classes = None, None
        if self.warm_start and hasattr(self, "coef_"):
            previous = _parameters(self.coef_, self.intercept_)
            previous_classes = self.classes_.tolist()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None; "
                "call fit(X, y) with one label per row of X."
            )
        X = self._validate_X(X, reset=True)
        self.classes_, encoded = self._encode_targets(_one_label_per_row(y, X.shape[0]))
        self.label_column_ = _column_name(y)
        self._loaded_from = None  # fitted here: no longer the weights of a loaded model file
        n_classes = len(self.classes_)
        weights = None if sample_weight is None else _checked_sample_weight(sample_weight, X)
        factors = class_weights.class_factors(
            self.class_weight, encoded, self.classes_.tolist(), sample_weight=weights
        )
        class_w = None if factors is None else factors[encoded]
        weights = class_weights.combine_weights(
            weights, class_w, "class_weight (times sample_weight)"
        )
        given = [
            n
            for n, v in (("sample_weight", sample_weight), ("class_weight", class_w))
            if v is not None
        ]
        class_weights.refuse_weightless_class(
            weights, encoded, self.classes_.tolist(), " × ".join(given)
        )

        X_train, y_train, w_train, validation = X, encoded, weights, None
        train_rows = None
        if eval_set is not None:
            validation = self._eval_part(eval_set, factors)
        elif self.early_stopping:
            X_train, y_train, w_train, validation, train_rows = self._hold_out(
                X, encoded, weights, config.random_state
            )

        backend = make_backend(
            X_train, y_train, w_train, backend=self.backend, n_classes=n_classes,
            structure_checked=True,  # by _validate_X; a held-out slice is scipy's own
        )  # fmt: skip
        backend.caller_rows = train_rows  # a NaN found in the part is named by X's own row
        if previous is not None and previous[0].shape != _weight_shape(X.shape[1], n_classes):
            warnings.warn(
                f"warm_start: the previous fit's weights {previous[0].shape} do not fit this "
                f"data ({X.shape[1]} features, {n_classes} classes), so this fit starts from "
                "zero; fit data of the same shape to continue a run.",
                stacklevel=3,
            )
            previous = None
        elif previous is not None and previous_classes != self.classes_.tolist():
            warnings.warn(
                f"warm_start: the previous fit's classes {_shown(previous_classes)} are not "
                f"this data's {_shown(self.classes_.tolist())}, so this fit starts from zero "
                "(each class's weights belong to its name); keep the labels to continue a run.",
                stacklevel=3,
            )
            previous = None
        if config.batch_size > backend.n_samples and solver_for(backend, config.solver).minibatches:
            warnings.warn(  # as scikit-learn's MLP: the default 32 on a small set or CV fold
                f"batch_size={config.batch_size} is more than the {backend.n_samples} training "
                f"examples, so it is clipped to {backend.n_samples}: each step uses all of them.",
                stacklevel=3,
            )
            config = dataclasses.replace(config, batch_size=backend.n_samples)
        cbs: list[Callback] = list(callbacks)
        if self.verbose:
            cbs.append(_VerbosePrinter(self.verbose is True or int(self.verbose)))
        result = train(backend, config, validation=validation, callbacks=cbs, init=previous)
        self._store(result)
        return self

    def _eval_part(self, eval_set: Any, factors: NDArray | None) -> Any:
        """fit's ``eval_set`` as a validation backend, weighted by ``class_weight`` alone."""
        if not (isinstance(eval_set, tuple | list) and len(eval_set) == 2):
            raise ValueError(
                f"eval_set must be a pair (X_val, y_val); got {type(eval_set).__name__}"
                f"{f' of length {len(eval_set)}' if hasattr(eval_set, '__len__') else ''}."
            )
        X_val = self._validate_X(eval_set[0], reset=False)
        y_val = self._encode_like_classes(np.asarray(to_host(eval_set[1])))
        if y_val.shape != (X_val.shape[0],):
            raise ValueError(
                f"eval_set: y_val must be 1-D with one label per row of X_val "
                f"({X_val.shape[0]}); got shape {y_val.shape}."
            )
        w_val = class_weights.validation_class_weights(y_val, factors)
        return make_backend(
            X_val, y_val, w_val, backend="auto", n_classes=len(self.classes_),
            structure_checked=True,
        )  # fmt: skip

    def _encode_like_classes(self, y: NDArray) -> NDArray:
        _refuse_missing_labels(y, "eval_set's y")
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"eval_set labels include {getattr(unknown[0], 'item', lambda: unknown[0])()!r}, "
                f"not among the training classes "
                f"{self.classes_.tolist()!r}."
            )
        return np.searchsorted(self.classes_, y)

    def _hold_out(self, X: NDArray, encoded: NDArray, weights: NDArray | None, seed: int | None):
        """The validation part for early stopping: the same rows ``lrnn train
        --early-stopping`` holds out for the same labels and seed (one algorithm, in run).
        Rows of weight 0 count in neither loss, so they are never held out: otherwise whether
        the held-out part kept any weight at all would depend on the seed."""
        counted = None if weights is None else weights > 0
        if counted is None or counted.all():
            train_rows, val_rows = run.hold_out_rows(encoded, self.validation_fraction, seed)
        else:
            rows = np.flatnonzero(counted)
            _, held = run.hold_out_rows(
                encoded[rows],
                self.validation_fraction,
                seed,
                why="early_stopping could not hold out a validation part from the "
                f"{rows.size} examples of weight > 0 (rows of weight 0 are never held out)",
            )
            val_rows = rows[held]
            train_rows = np.setdiff1d(np.arange(encoded.size), val_rows)
        w_val = None if weights is None else weights[val_rows]
        class_weights.require_weight(w_val, "early_stopping's held-out examples")
        validation = make_backend(
            rows_of(X, val_rows), encoded[val_rows], w_val, backend="auto",
            n_classes=len(self.classes_), structure_checked=True,  # a slice of the checked X
        )  # fmt: skip
        validation.caller_rows, w_train = val_rows, None if weights is None else weights[train_rows]
        return rows_of(X, train_rows), encoded[train_rows], w_train, validation, train_rows

    def _store(self, result: TrainResult) -> None:
        self.__dict__.pop("threshold_", None)  # a loaded file's threshold fits its weights only
        if result.w.ndim == 2:  # the softmax layer: W (n, K) → coef_ (K, n)
            self.coef_ = np.ascontiguousarray(result.w.T)
            self.intercept_ = np.asarray(result.b, dtype=result.w.dtype).copy()
        else:
            self.coef_ = result.w.reshape(1, -1)
            self.intercept_ = np.array([result.b], dtype=result.w.dtype)
        self.n_iter_ = result.n_iter
        self.history_ = result.history
        self.result_ = result
        self.learning_rate_ = result.learning_rate
        self.solver_ = result.solver

    # ----------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted neuron to an lrnn model file (``.safetensors``: tensors and checked
        JSON, never a pickle), so that ``lrnn predict``/``evaluate``/``serve`` and
        :meth:`load` open it; fitted on a DataFrame, it reads a CSV's columns by name. Written
        atomically: an existing file is replaced whole or not at all, and only when it is an
        lrnn model (a data file named by mistake is left alone, as the command line does)."""
        from lrnn import persist
        from lrnn.estimator_files import to_model_file
        from lrnn.files import check_writable

        check_is_fitted(self)
        check_writable(path)  # save_model keeps others' files: only lrnn's models are replaced
        model = to_model_file(self)
        from lrnn.data.dataset import look_alike_problem

        alike = look_alike_problem(model.classes)
        if alike:  # fit takes any labels, as scikit-learn does; a model file's readers cannot
            raise UsageError(
                f"{os.fspath(path)}: not saved: among the labels fit was given, {alike}; a model "
                "file's classes must read apart — fix the labels (e.g. y.str.strip()) and fit "
                "again."
            )
        persist.save_model(path, model)

    @classmethod
    def load(cls, path: str | os.PathLike) -> LogisticNeuron:
        """A fitted estimator from a model file written by :meth:`save` or by ``lrnn train``
        (tables, arrays, svmlight, pictures flattened as ``(height, width, channels)``): the
        file's preprocessing (1/255, standardization) is folded into ``coef_``/``intercept_``,
        so it takes the raw columns. Text models need their vectorizer: use ``lrnn predict``."""
        from lrnn.estimator_files import fitted_from_model_file

        return fitted_from_model_file(cls, path)

    # ----------------------------------------------------------------------------------------
    def decision_function(self, X: ArrayLike) -> NDArray:
        """The logits: z = Xw + b, one per row (two classes), or Z = X Wᵀ + b (m, K)."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        with np.errstate(over="ignore", invalid="ignore"):  # said once, below
            z = self._logits(X)
        return objective.require_finite_logits(np.asarray(z), self.coef_)

    def _logits(self, X: Any) -> NDArray:
        coef = objective.weights_for_rows(self.coef_, X)
        if len(self.classes_) > 2:
            if lazy_kind(X) is not None:
                X = to_host(X)
                X = X if sparse.issparse(X) else np.asarray(X)
            return softmax.logits(np.ascontiguousarray(coef.T), self.intercept_, X)
        if lazy_kind(X) is not None:
            return lazy_logits(X, coef.ravel(), float(self.intercept_[0]))
        if sparse.issparse(X):
            return sparse_logits(coef.ravel(), float(self.intercept_[0]), X)
        return objective.logits(coef.ravel(), float(self.intercept_[0]), X)

    def predict_proba(self, X: ArrayLike) -> NDArray:
        """(m, K): column k is P(classes_[k]); rows sum to 1 up to rounding (σ(∓z) for two
        classes, the softmax for more)."""
        z = self.decision_function(X)
        if z.ndim == 2:
            return softmax.softmax(z)
        # σ(−z), not 1 − σ(z): a tiny P(classes_[0]) keeps its digits instead of rounding to 0
        return np.column_stack([objective.sigmoid(-z), objective.sigmoid(z)])

    def predict_log_proba(self, X: ArrayLike) -> NDArray:
        """log of :meth:`predict_proba`, from the logits directly (log σ, log softmax), so a
        probability that rounds to 0 still has its finite logarithm."""
        z = self.decision_function(X)
        if z.ndim == 2:
            return softmax.log_softmax(z)
        return np.column_stack([objective.log_sigmoid(-z), objective.log_sigmoid(z)])

    def predict(self, X: ArrayLike) -> NDArray:
        """Two classes: classes_[1] where a = σ(z) > 0.5, else classes_[0] (the lesson's rule);
        more: the class of the largest logit."""
        z = self.decision_function(X)
        if z.ndim == 2:
            return self.classes_[np.argmax(z, axis=1)]
        a = objective.sigmoid(z)
        return self.classes_[(a > 0.5).astype(int)]


def _one_label_per_row(y: Any, rows: int) -> NDArray:
    """y as a 1-D array of ``rows`` labels; a column vector is taken with scikit-learn's
    warning (the warning points at the caller of fit)."""
    y = np.asarray(to_host(y))
    if y.ndim == 2 and y.shape[1] == 1:
        from sklearn.exceptions import DataConversionWarning

        warnings.warn(
            "A column-vector y was passed when a 1d array was expected; "
            "use y.ravel() or y.reshape(-1).",
            DataConversionWarning,
            stacklevel=4,
        )
        y = y.ravel()
    if y.ndim != 1 or len(y) != rows:
        raise ValueError(
            f"y must be 1-D with one label per row of X ({rows}); got shape {y.shape}."
        )
    return y


def _checked_sample_weight(sample_weight: Any, X: Any) -> NDArray:
    """Non-negative float64 weights whose sum is positive and finite (every loss divides by it)."""
    weights = _check_sample_weight(to_host(sample_weight), X, dtype=np.float64)
    if np.any(weights < 0):
        raise ValueError("sample_weight must be ≥ 0; got negative values.")
    with np.errstate(over="ignore"):  # an overflow is said below, once
        total = weights.sum()
    if total <= 0:
        raise ValueError(NO_WEIGHT)
    if not np.isfinite(total):
        raise ValueError(
            f"sample_weight sums to {total} in float64 (largest weight "
            f"{weights.max():.3g}); only their ratios matter: divide them by their "
            "largest value."
        )
    # Only their ratios matter, so the largest is brought into [1, 2) by a power of two: exact,
    # so ordinary weights train bit for bit as given, while 5e-324 everywhere (whose products
    # with the losses underflowed: zero weights, "converged" at w = 0) or 1e39 (infinite in
    # float32 data's arithmetic) train as weights of 1 do.
    return np.ldexp(weights, -int(np.frexp(weights.max())[1]) + 1)


def _seed_from(random_state: Any) -> Any:
    """An int seed for this fit. A RandomState or Generator (which scikit-learn's tools pass,
    e.g. a cross-validation with a shared generator) gives a fresh draw each fit; anything
    else is checked as given by TrainConfig."""
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, MAX_SEED + 1, dtype=np.int64))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, MAX_SEED, endpoint=True))
    return random_state


def _weight_shape(n_features: int, n_classes: int) -> tuple[int, ...]:
    return (n_features,) if n_classes <= 2 else (n_features, n_classes)


def _parameters(coef: NDArray, intercept: NDArray) -> tuple[NDArray, Any]:
    """(w, b) as training takes them, from scikit-learn's coef_ (K or 1, n), intercept_."""
    if coef.shape[0] > 1:
        return np.ascontiguousarray(coef.T), intercept.copy()
    return coef.ravel().copy(), float(intercept[0])


def _shown(classes: list) -> str:
    """A list of class labels for a message: the first five, and how many more."""
    more = f" and {len(classes) - 5} more" if len(classes) > 5 else ""
    return "[" + ", ".join(repr(c) for c in classes[:5]) + more + "]"


def _column_name(y: Any) -> str | None:
    """The name of a pandas Series of labels (``df["diagnosis"]``), kept so that a saved model
    tells ``lrnn evaluate`` which column of a CSV holds the labels; None otherwise."""
    name = getattr(y, "name", None)
    usable = isinstance(name, str) and name.strip() and len(name) <= MAX_CLASS_NAME
    return name if usable and not has_control_characters(name) else None


def _is_fitted_attribute(name: str) -> bool:
    """scikit-learn's convention: what fit learns ends in one underscore (``coef_``)."""
    return name.endswith("_") and not name.startswith("_")


def _refuse_missing_labels(y: ArrayLike, name: str = "y") -> None:
    """A missing label (NaN, None, pandas' NA) among text or categorical labels: scikit-learn's
    check calls such y "Unknown label type: unknown … a regression target", and eval_set's
    comparison with the classes failed in numpy's sort (str < float)."""
    import pandas as pd

    given = np.asarray(y)
    if given.dtype.kind in "biuf":
        return  # numbers: scikit-learn's own "Input y contains NaN" says it
    values = given.astype(object, copy=False).ravel()
    if values.size:
        missing = pd.isna(values)
        if missing.any():
            first = int(np.argmax(missing))
            raise ValueError(
                f"{name} holds a missing label ({values[first]!r}) at example {first} (counting "
                f"from 0; {int(missing.sum())} in all); drop those examples or give each a class."
            )
