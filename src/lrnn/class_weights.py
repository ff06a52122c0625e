"""Sample weights from class weights, written once for the estimator and the command line.

``"balanced"`` or a mapping class → weight becomes one factor per class; those factors times
any sample weights are the weights of the cost, checked so that no class weighs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn.errors import UsageError


def class_factors(
    class_weight: str | Mapping | None,
    encoded: NDArray,
    classes: Sequence[Any],
    *,
    option: str = "class_weight",
    sample_weight: NDArray | None = None,
) -> NDArray | None:
    """One weight factor per class (``encoded`` indexes ``classes``), or None for no weighting.

    ``"balanced"`` gives each class the same total weight: Σs / (K · Σs over the class), with
    s the sample weights (1 each without them: m / (K · count)), as scikit-learn counts since
    1.9. A mapping names classes as they appear in ``classes`` (unnamed classes keep weight 1).
    The factors, not per-example weights, are what other rows (a validation set) must share.
    """
    if class_weight is None:
        return None
    if class_weight == "balanced":
        counts = np.bincount(encoded, weights=sample_weight, minlength=len(classes))
        counts = counts.astype(np.float64)
        total = len(encoded) if sample_weight is None else float(np.sum(sample_weight))
        # A class whose examples all have sample weight 0 gets factor 0, not 1/0: its examples
        # weigh nothing either way, and 0·inf would make their weights NaN.
        return np.divide(total, len(classes) * counts, out=np.zeros_like(counts), where=counts > 0)
    if not isinstance(class_weight, Mapping):
        raise UsageError(
            f"{option} must be None, 'balanced' or a mapping class → weight; got {class_weight!r}."
        )
    known = list(classes)
    unknown = [k for k in class_weight if k not in known]
    # scikit-learn's rule: a name the data lacks is a typo only while a class of the data goes
    # unnamed; a mapping that names every class may name more (a cross-validation fold that
    # lacks a rare class)
    if unknown and any(c not in class_weight for c in known):
        raise UsageError(
            f"{option} names class {unknown[0]!r}, which is not in the data; the classes are "
            f"{[c.item() if hasattr(c, 'item') else c for c in known]!r} — use those names."
        )
    per_class = np.array([float(class_weight.get(c, 1.0)) for c in known])
    if not np.all(np.isfinite(per_class)) or np.any(per_class < 0):
        raise UsageError(f"{option} values must be finite and ≥ 0; got {per_class}.")
    return per_class


def validation_class_weights(labels: NDArray, factors: NDArray | None) -> NDArray | None:
    """Class weights for other rows (a validation set): each class keeps the factor it has in
    training, so that the validation loss weighs the classes as the training loss does
    ("balanced" is not recomputed from the validation rows, which may lack a class)."""
    if factors is None:
        return None
    weights = factors[labels]
    require_weight(weights, "the validation set")
    return weights


def require_weight(weights: NDArray | None, part: str) -> None:
    """Refuse a validation part whose weights add up to 0: its weighted loss would be NaN, which
    early stopping cannot compare, so it would quietly never stop."""
    if weights is not None and not weights.sum() > 0:
        raise UsageError(
            f"{part}: every example has weight 0 (its classes' weights, times sample weights), "
            "so the validation loss is undefined; give them weight, or validate on other rows."
        )


def combine_weights(
    sample_weight: NDArray | None, class_weights: NDArray | None, option: str = "class_weight"
) -> NDArray | None:
    """Sample weights times class weights; at least one example must keep some weight."""
    if class_weights is None:
        return sample_weight
    with np.errstate(over="ignore"):  # an overflow is said below, once
        weights = class_weights if sample_weight is None else sample_weight * class_weights
        total = weights.sum()
    if not total > 0:
        raise UsageError(
            f"{option} gives every training example weight 0; give at least one class a weight > 0."
        )
    if not np.isfinite(total):  # every loss divides by the total: it became nan at once
        raise UsageError(
            f"{option}'s weights, times the examples' own, add up to {total} in float64 "
            f"(largest class weight {np.max(class_weights):.3g}); only their ratios matter: "
            "divide them by their largest value."
        )
    return weights


def refuse_weightless_class(
    weights: NDArray | None, encoded: NDArray, classes: Sequence[Any], option: str
) -> None:
    """A class whose examples all weigh 0 is absent from the cost: the fit learns the other
    classes alone, and with the bias unpenalised that cost has no minimum — the bias grows
    until tol stops it, the run says it converged, and every prediction is another class."""
    if weights is None:
        return
    totals = np.bincount(encoded, weights=weights, minlength=len(classes))
    empty = np.flatnonzero(~(totals > 0))
    if empty.size:
        from lrnn.data.dataset import label_name

        name = label_name(classes[int(empty[0])])
        raise UsageError(
            f"{option} gives every example of class {name!r} weight 0: the fit would learn the "
            "other classes alone, a cost without a minimum (the bias grows without end); give "
            "that class some weight, or drop its rows."
        )
