"""Curves from a training history: the learning curve, and costs for several learning rates.

Part of :mod:`lrnn.plots` (which offers both functions under its name, where callers find
them); its figure helpers are looked up there at each call, so the two stay one module to
whoever patches them (as the tests do).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn.errors import UsageError


def _column(history: Mapping[str, Sequence[float]], key: str) -> NDArray[np.float64] | None:
    values = history.get(key)
    if values is None or len(values) == 0:
        return None
    return np.asarray(values, dtype=np.float64)


def _as_history(history: Any, what: str) -> Mapping[str, Sequence[float]]:
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


def _iterations(history: Mapping[str, Sequence[float]], what: str) -> NDArray[np.float64]:
    cost = _column(history, "cost")
    if cost is None:
        raise UsageError(f"{what}: the history has no 'cost' values; pass a training history.")
    it = _column(history, "iteration")
    if it is None:
        return np.arange(cost.size, dtype=np.float64)
    if it.size != cost.size:
        raise UsageError(
            f"{what}: the history has {it.size} iterations but {cost.size} costs; "
            "pass a history whose columns have equal lengths."
        )
    return it


def _x_label(histories: Sequence[Any]) -> str:
    """ "iteration" where each history numbers its rows; else they are drawn at 0, 1, 2, …,
    which are not iterations ({"cost": costs} of the lesson's loop, recorded every 100: the
    20 costs of 2000 iterations read as 20 iterations)."""
    if all(isinstance(h, Mapping) and "iteration" in h for h in histories):
        return "iteration"
    return "recorded cost, in order (no 'iteration' numbers were given)"


def _as_percent(value: float) -> float:
    """Accuracies are fractions in [0, 1] (as lrnn reports them); a value above 1 is taken as
    already in percent, so the lesson's ``99.04`` works too."""
    return 100.0 * value if value <= 1.0 else value


def learning_curve(
    history: Mapping[str, Sequence[float]],
    path: str | os.PathLike,
    *,
    title: str | None = None,
    train_accuracy: float | None = None,
    test_accuracy: float | None = None,
    final: tuple[float, float] | None = None,
    kept: int | None = None,
) -> Path:
    """Cost (and validation loss) against iteration, accuracy on a second y axis.

    ``train_accuracy``/``test_accuracy`` (fractions, or percentages above 1) are the final
    scores worth reading off the picture; they go into the title. ``final``, (iteration,
    cost) where the run ended: the history holds every ``record_every``-th iteration, so a
    run of 2000 recorded every 100 has its last row at 1900, and the curve would stop short of
    the final cost the run printed; it is drawn to that point when it lies beyond the last row.
    ``kept``: the iteration whose weights early stopping kept, marked by a dotted line (the
    curves go on past it, the model does not; the title's scores are the kept weights').
    """
    from lrnn import plots as base

    history = _as_history(history, "learning_curve")
    iterations = _iterations(history, "learning_curve")
    cost = _column(history, "cost")
    assert cost is not None  # checked by _iterations
    cost_at = iterations  # the other columns stay at the recorded rows
    # (a history without iterations is drawn at 0, 1, 2, …: no iteration number fits there)
    recorded = "iteration" in history
    if final is not None and recorded and math.isfinite(final[1]) and iterations.size:
        if final[0] > iterations[-1]:
            cost_at = np.append(iterations, float(final[0]))
            cost = np.append(cost, float(final[1]))
    fig = base._figure()
    ax = fig.add_subplot()
    finite = np.isfinite(cost)
    lines = ax.plot(cost_at[finite], cost[finite], color=base._BLUE, lw=2, label="training cost")
    val_loss = _column(history, "val_loss")
    if val_loss is not None and val_loss.size == iterations.size:
        ok = np.isfinite(val_loss)
        lines += ax.plot(
            iterations[ok], val_loss[ok], color=base._BLUE, lw=2, ls="--", label="validation loss"
        )
    if kept is not None:
        lines.append(
            ax.axvline(kept, color="0.35", lw=1.2, ls=":", label=f"weights kept: iteration {kept}")
        )
    ax.set_xlabel(_x_label([history]))
    ax.set_ylabel("cost (log loss)", color=base._BLUE)
    ax.tick_params(axis="y", colors=base._BLUE)
    ax.grid(True, alpha=0.3)

    accuracy = _column(history, "accuracy")
    val_accuracy = _column(history, "val_accuracy")
    if accuracy is not None or val_accuracy is not None:
        ax2 = ax.twinx()
        # The cost is the story; accuracy (a step function that jitters while gd oscillates)
        # is drawn lighter and underneath it.
        ax.set_zorder(ax2.get_zorder() + 1)
        ax.patch.set_visible(False)
        for values, style, label in (
            (accuracy, "-", "training accuracy"),
            (val_accuracy, "--", "validation accuracy"),
        ):
            if values is not None and values.size == iterations.size:
                ok = np.isfinite(values)
                lines += ax2.plot(
                    iterations[ok],
                    100 * values[ok],
                    color=base._ORANGE,
                    lw=1.2,
                    ls=style,
                    alpha=0.75,
                    label=label,
                    marker="o" if ok.sum() == 1 else None,  # one record: a line of no length
                )
        ax2.set_ylabel("accuracy (%)", color=base._ORANGE)
        ax2.tick_params(axis="y", colors=base._ORANGE)
        ax2.set_ylim(-2, 102)

    heading = title or "Learning curve"
    scores = []
    if train_accuracy is not None:
        scores.append(f"train accuracy {_as_percent(train_accuracy):.1f} %")
    if test_accuracy is not None:
        scores.append(f"test accuracy {_as_percent(test_accuracy):.1f} %")
    if scores:
        heading += "\n" + " · ".join(scores)
    ax.set_title(heading)
    # Below the axes, so it never hides a curve.
    fig.legend(lines, [line.get_label() for line in lines], loc="outside lower center", ncols=4)
    return base._save(fig, path)


def lr_comparison(
    runs: Sequence[tuple[float, Mapping[str, Sequence[float]]]],
    path: str | os.PathLike,
    *,
    diverged: Sequence[bool] | None = None,
) -> Path:
    """Cost curves of several learning rates on one axis, as in the lesson's last figure.

    The y axis turns logarithmic when the costs span more than
    :data:`lrnn.plots.LOG_SCALE_RATIO`, so a run that blew up does not flatten the others.
    Diverged runs are dashed and labelled.
    """
    from lrnn import plots as base

    if isinstance(runs, Mapping):  # {rate: history}: its keys alone would be iterated
        raise UsageError(
            "lr_comparison: runs is a mapping; pass (learning_rate, history) pairs, e.g. "
            "list(runs.items())."
        )
    if len(runs) == 0:
        raise UsageError("lr_comparison: no runs given; pass (learning_rate, history) pairs.")
    if diverged is not None and len(diverged) != len(runs):
        raise UsageError(
            f"lr_comparison: {len(diverged)} diverged flags for {len(runs)} runs; "
            "give one flag per run."
        )
    flags = list(diverged) if diverged is not None else [False] * len(runs)
    fig = base._figure()
    ax = fig.add_subplot()
    positive: list[NDArray] = []
    for (lr, history), gone in zip(runs, flags, strict=True):
        history = _as_history(history, f"lr_comparison (lr = {lr:g})")
        iterations = _iterations(history, f"lr_comparison (lr = {lr:g})")
        cost = _column(history, "cost")
        assert cost is not None
        ok = np.isfinite(cost)
        label = f"lr = {lr:g}" + (" (diverged)" if gone else "")
        ax.plot(iterations[ok], cost[ok], lw=2, ls="--" if gone else "-", label=label)
        positive.append(cost[ok & (cost > 0)])
    values = np.concatenate(positive) if positive else np.empty(0)
    if values.size and values.max() / values.min() > base.LOG_SCALE_RATIO:
        ax.set_yscale("log")
    ax.set_xlabel(_x_label([history for _, history in runs]))
    ax.set_ylabel("cost (log loss)")
    ax.set_title("Cost for different learning rates")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="learning rate", loc="upper right")
    return base._save(fig, path)
