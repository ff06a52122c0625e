"""Scores of a trained neuron on labelled data, its curves, and the choice of a decision threshold.

A leaf module: logits or probabilities and labels in, numbers out. The CLI's ``evaluate``, the
report and the plots all read their numbers from here (accuracy, the confusion counts, ROC and
precision–recall curves, their areas) so that they always agree. scikit-learn computes the
curves; it is imported inside the functions that need it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

from lrnn.errors import TO_BINARY, DataError, UsageError, shown
from lrnn.objective import cost_from_logits, first_non_binary


@dataclass(frozen=True)
class Evaluation:
    n: int
    accuracy: float  # fraction in [0, 1]
    log_loss: float
    tp: int
    fp: int
    tn: int
    fn: int
    threshold: float

    def to_json(self) -> dict:
        d = asdict(self)
        return {
            "n": d["n"],
            "accuracy": d["accuracy"],
            "log_loss": d["log_loss"],
            "confusion": {k: d[k] for k in ("tp", "fp", "tn", "fn")},
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "threshold": d["threshold"],
        }

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r and not math.isnan(p + r) else math.nan


def binary_labels(y: NDArray, what: str = "y") -> NDArray[np.bool_]:
    """0/1 (or boolean) labels as booleans, the one rule every two-class score reads them by.
    Other values are refused: accuracy read 1/2 labels as y == 1 while the confusion counts
    read them as y != 0, and the two disagreed without a word."""
    y = np.asarray(y).reshape(-1)
    if y.dtype != np.bool_:
        at = first_non_binary(y)
        if at is not None:
            raise DataError(
                f"{what} must hold 0/1 labels (or booleans); found {shown(y[at])}. Map them "
                f"first, e.g. {TO_BINARY}."
            )
    return y.astype(bool)


def accuracy(z: NDArray, y: NDArray, threshold: float = 0.5) -> float:
    """Fraction of examples whose prediction σ(z) > ``threshold`` matches the label (y == 1).

    ``z`` are the logits (the neuron's output before the sigmoid), ``y`` 0/1 labels. Logits of
    a softmax layer, (m, K), predict the class of the largest one (``y`` class indices).
    """
    from lrnn.objective import sigmoid

    if np.ndim(z) == 2:
        return float(np.mean(np.argmax(z, axis=1) == np.asarray(y)))
    return float(np.mean((sigmoid(z) > threshold) == binary_labels(y)))


def roc_curve(y: NDArray, probability: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """``(fpr, tpr, thresholds)`` of the ROC curve (scikit-learn's, intermediate points dropped)."""
    from sklearn.metrics import roc_curve as sk_roc_curve

    return sk_roc_curve(binary_labels(y), probability)


def roc_auc(y: NDArray, probability: NDArray) -> float:
    """Area under the ROC curve; NaN when ``y`` holds one class (the area is undefined).

    Only the order of ``probability`` counts, so the logits give the same area — and the
    right one where σ rounded to exactly 0 or 1 (beyond |z| ≈ 17 in float32, 37 in float64)
    and made ties of examples the model told apart: callers that have them pass them."""
    from sklearn.metrics import auc

    y = binary_labels(y)
    if np.unique(y).size != 2:
        return math.nan
    fpr, tpr, _ = roc_curve(y, probability)
    return float(auc(fpr, tpr))


def one_vs_rest_aucs(y: NDArray, probabilities: NDArray) -> NDArray[np.float64]:
    """Each class's ROC AUC against all the others, scored by its own probability column; NaN
    for a class with no examples, or nothing but (its area is undefined). Their mean over the
    defined ones is scikit-learn's ``roc_auc_score(..., multi_class="ovr")`` where every class
    has examples. Log-probabilities (:func:`lrnn.softmax.log_softmax`) rank the same without
    the ties of probabilities rounded to 0 or 1: callers with the logits pass them."""
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    return np.array([roc_auc((y == k).astype(np.int64), p[:, k]) for k in range(p.shape[1])])


def macro_auc(aucs: NDArray) -> float:
    """The mean of the defined one-vs-rest AUCs (NaN if none is)."""
    defined = np.asarray(aucs, dtype=np.float64)
    defined = defined[~np.isnan(defined)]
    return float(defined.mean()) if defined.size else math.nan


def precision_recall_curve(y: NDArray, probability: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """``(precision, recall, thresholds)``, as scikit-learn computes them."""
    from sklearn.metrics import precision_recall_curve as sk_precision_recall_curve

    return sk_precision_recall_curve(binary_labels(y), probability)


def average_precision(y: NDArray, probability: NDArray) -> float:
    """Average precision: the precision–recall curve summarised as one number (from the order
    of ``probability`` alone: the logits rank without ties, as in :func:`roc_auc`)."""
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(binary_labels(y), probability))


def evaluate(z: NDArray, y: NDArray, threshold: float = 0.5) -> Evaluation:
    """Accuracy, log loss (from logits) and confusion counts at ``threshold`` on σ(z)."""
    from lrnn.objective import sigmoid

    y = binary_labels(y)
    predicted = sigmoid(z) > threshold
    tp = int(np.sum(predicted & y))
    fp = int(np.sum(predicted & ~y))
    tn = int(np.sum(~predicted & ~y))
    fn = int(np.sum(~predicted & y))
    n = len(y)
    with np.errstate(over="ignore"):  # losses near 1e308 sum to ∞, the log loss said as inf
        log_loss = cost_from_logits(z, y.astype(z.dtype))
    return Evaluation(
        n=n,
        accuracy=(tp + tn) / n if n else math.nan,
        log_loss=log_loss,
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        threshold=float(threshold),
    )


THRESHOLD_RULES = ("f1", "youden", "precision=P")


def choose_threshold(probability: NDArray, y: NDArray, rule: str) -> float:
    """The threshold on P(positive) that a rule prefers on labelled data.

    ``f1``: maximise F1. ``youden``: maximise TPR − FPR (Youden's J on the ROC curve).
    ``precision=P``: the lowest threshold whose precision is at least P (most recall at that
    precision). Predictions are ``probability > threshold``; the returned value sits midway
    between the chosen cut-off score and the next lower score in the data (see
    :func:`_between`).
    """
    scores = np.asarray(probability, dtype=np.float64)
    y = binary_labels(y).astype(int)
    if len(np.unique(y)) < 2:
        raise UsageError(
            "choosing a threshold needs examples of both classes in the data; "
            "use a labelled set that has both."
        )
    if rule == "youden":
        fpr, tpr, cuts = roc_curve(y, probability)
        best = int(np.argmax(tpr - fpr))
        return _between(float(cuts[best]), scores)
    precision, recall, cuts = precision_recall_curve(y, probability)
    precision, recall = precision[:-1], recall[:-1]
    if rule == "f1":
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0)
        return _between(float(cuts[int(np.argmax(f1))]), scores)
    if rule.startswith("precision="):
        try:
            target = float(rule.split("=", 1)[1])
        except ValueError:
            target = math.nan
        if not 0 < target <= 1:
            raise UsageError(
                f"--choose-threshold {rule!r}: the precision must be a number in (0, 1], "
                "e.g. precision=0.9."
            )
        ok = np.flatnonzero(precision >= target)
        if ok.size == 0:
            raise UsageError(
                f"no threshold reaches precision {target:g} on this data (best is "
                f"{precision.max():.3f}); ask for a lower precision."
            )
        return _between(float(cuts[ok[0]]), scores)
    raise UsageError(
        f"--choose-threshold {rule!r} is not a rule lrnn knows; use f1, youden or precision=P."
    )


def _between(cut: float, scores: NDArray) -> float:
    """A threshold for scikit-learn's cut-off ``cut`` (positive for score ≥ cut; ours is score
    > threshold): midway between it and the next lower score here (0 below the lowest). One
    ulp below ``cut`` made the example at the cut-off flip with the last bit of its
    probability, which differs between ways of computing it (a file's batch, one row sent to
    the server, the estimator): the label of that very example depended on how it was asked."""
    lower = scores[scores < cut]
    below = float(lower.max()) if lower.size else 0.0
    threshold = 0.5 * (cut + below)
    return float(threshold if below <= threshold < cut else below)


# --------------------------------------------------------------------------------------------
# K classes: the confusion matrix and the scores of each class
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClassEvaluation:
    """Scores over K classes from one confusion matrix (rows = true class, columns = predicted,
    both in ``classes`` order), by scikit-learn's rules with ``zero_division=0``: a class that
    is never predicted has precision 0 (not undefined: the examples it missed count against it),
    one without examples recall 0. Only a class that is neither among the examples nor ever
    predicted has no scores (NaN) and is left out of the averages — scikit-learn's report does
    not list it either."""

    classes: tuple[str, ...]
    confusion: NDArray  # (K, K) int64
    log_loss: float

    @property
    def n(self) -> int:
        return int(self.confusion.sum())

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / self.n) if self.n else math.nan

    def _scores(
        self, zero_division: float = 0.0
    ) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
        """precision, recall, F1, support and which classes are scored, as arrays; a 0/0
        score (F1's when precision and recall are both 0) is ``zero_division``."""
        c = self.confusion.astype(np.float64)
        hits, predicted, support = np.diag(c), c.sum(axis=0), c.sum(axis=1)
        scored = (predicted > 0) | (support > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.where(predicted > 0, hits / predicted, zero_division)
            recall = np.where(support > 0, hits / support, zero_division)
            both = precision + recall  # NaN where either is undefined: F1 is then too
            f1 = np.where(both > 0, 2 * precision * recall / both, zero_division)
        precision, recall, f1 = (np.where(scored, v, math.nan) for v in (precision, recall, f1))
        return precision, recall, f1, support, scored

    def per_class(self, zero_division: float = 0.0) -> dict[str, dict[str, float]]:
        """precision, recall, F1 and support (true examples) of each class. Two classes keep
        an undefined score undefined (``zero_division`` NaN), as their own precision does: the
        same class's precision was null at the top of ``evaluate --json`` and 0 here."""
        precision, recall, f1, support, _ = self._scores(zero_division)
        return {
            name: {
                "precision": float(precision[k]),
                "recall": float(recall[k]),
                "f1": float(f1[k]),
                "support": int(support[k]),
            }
            for k, name in enumerate(self.classes)
        }

    def averages(self) -> dict[str, dict[str, float]]:
        """Macro (each scored class counts once) and weighted (by support) precision, recall
        and F1."""
        precision, recall, f1, support, scored = self._scores()
        out: dict[str, dict[str, float]] = {"macro": {}, "weighted": {}}
        weight = support[scored].sum()
        for key, v in (("precision", precision), ("recall", recall), ("f1", f1)):
            out["macro"][key] = float(v[scored].mean()) if scored.any() else math.nan
            out["weighted"][key] = (
                float(np.dot(v[scored], support[scored]) / weight) if weight else math.nan
            )
        return out

    def to_json(self) -> dict:
        return {
            "classes": list(self.classes),
            "confusion_matrix": self.confusion.tolist(),
            "per_class": self.per_class(),
            **self.averages(),
        }


def evaluate_classes(
    predicted: NDArray, y: NDArray, classes: tuple[str, ...], log_loss: float
) -> ClassEvaluation:
    """The K × K confusion matrix of predicted class indices against true ones."""
    K = len(classes)
    confusion = np.zeros((K, K), dtype=np.int64)
    np.add.at(confusion, (np.asarray(y, dtype=np.intp), np.asarray(predicted, dtype=np.intp)), 1)
    return ClassEvaluation(tuple(classes), confusion, float(log_loss))


def evaluate_softmax(z: NDArray, y: NDArray, classes: tuple[str, ...]) -> ClassEvaluation:
    """A softmax layer's logits (m, K) against class indices: arg-max predictions, log loss."""
    from lrnn import softmax

    return evaluate_classes(
        np.argmax(z, axis=1), y, classes, softmax.cost_from_logits(z, np.asarray(y))
    )
