"""The columns a curve is drawn from: a training history read as lrnn's plots read it (an
estimator's ``history_``, a history file's columns, or the dict ``course.model`` returns)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn.errors import UsageError


def column(history: Mapping[str, Sequence[float]], key: str) -> NDArray[np.float64] | None:
    values = history.get(key)
    if values is None or len(values) == 0:
        return None
    return np.asarray(values, dtype=np.float64)


def as_history(history: Any, what: str) -> Mapping[str, Sequence[float]]:
    """A history's columns; the dict ``course.model`` returns (its ``costs`` recorded every
    100 iterations, as the lesson's) taken as one: it was "no 'cost' values", and its list of
    costs alone drawn at iterations 0, 1, 2 … was refused as "'list' object has no attribute"."""
    if not isinstance(history, Mapping):
        raise UsageError(
            f"{what}: got a {type(history).__name__}, not a history; pass a mapping of columns "
            "such as {'iteration': [...], 'cost': [...]} (an estimator's history_, or the dict "
            "course.model returns)."
        )
    if "cost" not in history and "costs" in history:
        from lrnn.config import PRINT_EVERY

        try:
            costs = [float(np.asarray(c)) for c in history["costs"]]
        except (TypeError, ValueError) as e:
            raise UsageError(
                f"{what}: the history's 'costs' are not all numbers ({e}); pass the costs a "
                "run recorded."
            ) from None
        return {"iteration": [i * PRINT_EVERY for i in range(len(costs))], "cost": costs}
    return history


def iterations_of(history: Mapping[str, Sequence[float]], what: str) -> NDArray[np.float64]:
    cost = column(history, "cost")
    if cost is None:
        raise UsageError(f"{what}: the history has no 'cost' values; pass a training history.")
    it = column(history, "iteration")
    if it is None:
        return np.arange(cost.size, dtype=np.float64)
    if it.size != cost.size:
        raise UsageError(
            f"{what}: the history has {it.size} iterations but {cost.size} costs; "
            "pass a history whose columns have equal lengths."
        )
    return it


def x_label(histories: Sequence[Any]) -> str:
    """ "iteration" where each history numbers its rows; else they are drawn at 0, 1, 2, …,
    which are not iterations ({"cost": costs} of the lesson's loop, recorded every 100: the
    20 costs of 2000 iterations read as 20 iterations)."""
    if all(isinstance(h, Mapping) and "iteration" in h for h in histories):
        return "iteration"
    return "recorded cost, in order (no 'iteration' numbers were given)"


def as_percent(value: float) -> float:
    """Accuracies are fractions in [0, 1] (as lrnn reports them); a value above 1 is taken as
    already in percent, so the lesson's ``99.04`` works too."""
    return 100.0 * value if value <= 1.0 else value
