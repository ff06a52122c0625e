"""Pictures of a softmax layer (K ≥ 3 classes): class templates, the K × K confusion matrix,
one-vs-rest ROC curves and the most confidently wrong examples.

The same conventions as :mod:`lrnn.plots` (its figure size, colours and atomic PNG writes):
every function draws from what it is given and never trains.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrnn.errors import DataError, UsageError
from lrnn.plots import (
    FIGSIZE,
    GALLERY_NAME_CHARS,
    GALLERY_ROW_HEIGHT,
    _as_written,
    _figure,
    _save,
    picture_gallery,
    readable_text_on,
    tick_name,
    tick_names,
)

#: The confusion matrix's predicted-class names are written level while all of them together
#: take at most this many characters (the axis is about 5 inches wide), slanted beyond.
LEVEL_TICK_CHARS = 40
#: Panels per row of the class templates.
TEMPLATE_COLUMNS = 5
#: Above this many classes the confusion matrix shows colours only, no numbers in the cells.
CONFUSION_NUMBERS_MAX = 15
#: Above this many classes the confusion matrix's axes are numbered instead of named (hundreds
#: of names do not fit beside a figure and took most of a report's 18 s to lay out), ...
NAMED_CLASSES_MAX = 40
#: Above this many classes the ROC legend names only the ROC_WORST classes told apart worst.
ROC_LEGEND_MAX = 12
ROC_WORST = 5


@_as_written
def class_templates(
    W: ArrayLike, image_shape: Sequence[int], classes: Sequence[str], path: str | os.PathLike
) -> Path:
    """One panel per class: that class's weights as a picture — the "template" the linear
    classifier matches an image against (red: a bright pixel there raises the class's score,
    blue: lowers it). Colour pictures are drawn in colour instead: each channel's weights as
    that channel's intensity around mid-grey, so a class that looks for red shows red where it
    does (summing the channels would make a red and a blue class look alike). One scale,
    centred at 0, for every panel, so the classes can be compared."""
    weights = np.asarray(W, dtype=np.float64)
    shape = tuple(int(v) for v in image_shape)
    K = len(classes)
    if weights.ndim != 2 or weights.shape[1] != K or math.prod(shape) != weights.shape[0]:
        turned = weights.ndim == 2 and weights.shape == (K, math.prod(shape))
        raise DataError(
            f"class_templates: weights of shape {weights.shape} cannot be shown as {K} pictures "
            f"of shape {shape}; give W (height × width × channels, K)"
            + (" — the estimator's coef_ is (K, features): pass coef_.T." if turned else ".")
        )
    h, wd, c = shape
    if c == 3:
        return _colour_templates(weights.T.reshape(K, h, wd, c), classes, path)
    grids = weights.T.reshape(K, h, wd, c).sum(axis=3)
    finite = np.isfinite(grids)
    limit = float(np.abs(grids[finite]).max()) if finite.any() else 0.0
    limit = limit if limit > 0 else 1.0
    cols = min(TEMPLATE_COLUMNS, K)
    rows = math.ceil(K / cols)
    fig = _figure(FIGSIZE[1] + GALLERY_ROW_HEIGHT * max(0, rows - 2))
    axes = fig.subplots(rows, cols, squeeze=False)
    image = None
    for ax in axes.flat:
        ax.set_axis_off()
    for k, ax in enumerate(axes.flat[:K]):
        image = ax.imshow(grids[k], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(str(classes[k]))
    bar = fig.colorbar(image, ax=list(axes.flat), shrink=0.9, pad=0.02)
    bar.set_label("weight (red: brighter → more this class)")
    fig.suptitle("What each neuron of the layer looks for", fontsize="x-large")
    return _save(fig, path)


def _colour_templates(templates: NDArray, classes: Sequence[str], path: str | os.PathLike) -> Path:
    """RGB panels: 0.5 + 0.5·w/max|w| per channel (grey where a weight is 0)."""
    finite = np.isfinite(templates)
    limit = float(np.abs(templates[finite]).max()) if finite.any() else 0.0
    limit = limit if limit > 0 else 1.0
    rgb = np.clip(0.5 + 0.5 * np.where(finite, templates, 0.0) / limit, 0.0, 1.0)
    K = len(classes)
    cols = min(TEMPLATE_COLUMNS, K)
    rows = math.ceil(K / cols)
    fig = _figure(FIGSIZE[1] + GALLERY_ROW_HEIGHT * max(0, rows - 2))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for k, ax in enumerate(axes.flat[:K]):
        ax.imshow(rgb[k], interpolation="nearest")
        ax.set_title(str(classes[k]))
    fig.supxlabel("each channel's weights as its colour (grey: weight 0)")
    fig.suptitle("What each neuron of the layer looks for", fontsize="x-large")
    return _save(fig, path)


@_as_written
def class_terms(
    per_class: Sequence[tuple[str, Sequence[tuple[str, float]], Sequence[tuple[str, float]]]],
    path: str | os.PathLike,
) -> Path:
    """A text layer's "templates": one panel per class with the words whose weights raise that
    class's score most (bars, strongest on top), on one shared weight axis."""
    K = len(per_class)
    cols = min(3, K)
    rows = math.ceil(K / cols)
    longest = max((len(p) for _, p, _ in per_class), default=1)
    fig = _figure(max(FIGSIZE[1], rows * (0.25 * longest + 1.0) + 1.0))
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, (name, positive, _) in zip(axes.flat, per_class, strict=False):
        ax.set_axis_on()
        terms = list(positive)[::-1]
        ax.barh(range(len(terms)), [v for _, v in terms], color="#b2182b")
        ax.set_yticks(range(len(terms)), [t for t, _ in terms])
        ax.set_title(str(name))
    fig.supxlabel("weight (how much the word raises the class's score)")
    fig.suptitle("What each neuron of the layer looks for: its strongest words", fontsize="x-large")
    return _save(fig, path)


@_as_written
def confusion_matrix(confusion: ArrayLike, classes: Sequence[str], path: str | os.PathLike) -> Path:
    """The K × K counts (rows: true class, columns: predicted), coloured by each row's share, so
    a small class's mistakes show as clearly as a large one's."""
    counts = np.asarray(confusion, dtype=np.int64)
    K = len(classes)
    if counts.shape != (K, K):
        raise UsageError(f"confusion_matrix: counts of shape {counts.shape} for {K} classes.")
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig = _figure()
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    if K <= NAMED_CLASSES_MAX:
        names = tick_names(classes)
        # side by side they fit about 40 characters in all: slanted beyond that
        slant = K > 5 or K * max(map(len, names)) > LEVEL_TICK_CHARS
        ax.set_xticks(
            range(K), labels=names, rotation=45 if slant else 0, ha="right" if slant else "center"
        )
        ax.set_yticks(range(K), labels=names)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
    else:  # numbered in the order of the classes (and of the table beside the figure)
        ax.set_xlabel("predicted class (its position among the classes, from 0)")
        ax.set_ylabel("true class (position)")
    if K <= CONFUSION_NUMBERS_MAX:
        for r in range(K):
            for c in range(K):
                ax.text(
                    c,
                    r,
                    str(counts[r, c]),
                    ha="center",
                    va="center",
                    fontsize="medium" if K <= 10 else "small",
                    color=readable_text_on(image.cmap(image.norm(share[r, c]))),
                )
    fig.colorbar(image, ax=ax, label="share of the true class's examples")
    n = int(counts.sum())
    accuracy = np.trace(counts) / n if n else math.nan
    ax.set_title(f"Confusion matrix: {n} examples, accuracy {100 * accuracy:.1f} %")
    return _save(fig, path)


@_as_written
def roc_one_vs_rest(
    y_true: ArrayLike,
    probabilities: ArrayLike,
    classes: Sequence[str],
    path: str | os.PathLike,
    *,
    logits: ArrayLike | None = None,
) -> Path:
    """One ROC curve per class: that class against all the others, scored by its probability
    (by its log-probability when ``logits`` are given: probabilities rounded to exactly 0 or 1
    tie examples the model told apart). A class without examples (or with nothing but) has no
    curve and is named in the legend."""
    from lrnn import metrics

    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape != (y.size, len(classes)):
        raise UsageError(
            f"roc_one_vs_rest: probabilities of shape {p.shape} for {y.size} labels and "
            f"{len(classes)} classes."
        )
    if logits is not None:
        p = _log_probabilities(logits, p.shape, "roc_one_vs_rest")
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="chance")
    missing, curves = [], []
    for k, name in enumerate(classes):
        positive = y == k
        if positive.all() or not positive.any():
            missing.append(str(name))
            continue
        fpr, tpr, _ = metrics.roc_curve(positive.astype(int), p[:, k])
        curves.append((metrics.roc_auc(positive.astype(int), p[:, k]), k, fpr, tpr))
    # Many classes: every curve, but names (and colours) only for those told apart worst.
    named = {k for *_, k, _, _ in sorted(curves, key=lambda c: c[0])[:ROC_WORST]}
    short = tick_names(classes)
    for auc, k, fpr, tpr in curves:
        if len(classes) <= ROC_LEGEND_MAX or k in named:
            ax.plot(fpr, tpr, lw=1.5, label=f"{short[k]} (AUC {auc:.3f})")
        else:
            ax.plot(fpr, tpr, lw=0.6, color="#9ecae1", alpha=0.6)
    if len(classes) > ROC_LEGEND_MAX and len(curves) > ROC_WORST:
        ax.plot([], [], color="#9ecae1", label=f"the {len(curves) - ROC_WORST} others")
    if missing:
        ax.plot([], [], " ", label=f"no curve: {', '.join(map(tick_name, missing[:3]))}")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate (recall)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    wide = 6 < len(classes) <= ROC_LEGEND_MAX
    ax.legend(loc="lower right", fontsize="small", ncol=2 if wide else 1)
    title = "ROC curves, each class against the rest"
    if len(classes) > ROC_LEGEND_MAX:
        title += f" (named: the {min(ROC_WORST, len(curves))} with the lowest AUC)"
    ax.set_title(title)
    return _save(fig, path)


def most_confident_errors(
    y_true: ArrayLike, probabilities: ArrayLike, k: int = 10, *, logits: ArrayLike | None = None
) -> NDArray:
    """Indices of up to ``k`` misclassified examples (arg-max class ≠ true class), the most
    confidently wrong first: the lowest probability given to the true class (the largest loss,
    as :func:`lrnn.plots.most_confident_errors` ranks two classes; the predicted class's
    probability left out a 4 taken for an 8 at P(4) = 0.03 for one at P(true) = 0.36).
    ``logits`` rank by log-probabilities, which do not round to 0; ties keep order."""
    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    if k < 0:
        raise UsageError(f"most_confident_errors: k={k} must be >= 0.")
    wrong = np.flatnonzero(np.argmax(p, axis=1) != y)
    score = p if logits is None else _log_probabilities(logits, p.shape, "most_confident_errors")
    order = np.argsort(score[wrong, y[wrong]], kind="stable")
    return wrong[order[:k]]


def _log_probabilities(logits: ArrayLike, shape: tuple[int, ...], what: str) -> NDArray:
    from lrnn.softmax import log_softmax

    z = np.asarray(logits, dtype=np.float64)
    if z.shape != shape:
        raise UsageError(f"{what}: logits of shape {z.shape} for probabilities of {shape}.")
    return log_softmax(z)


@_as_written
def error_gallery(
    images: ArrayLike,
    y_true: ArrayLike,
    probabilities: ArrayLike,
    classes: Sequence[str],
    path: str | os.PathLike,
    *,
    k: int = 10,
    logits: ArrayLike | None = None,
) -> Path | None:
    """The ``k`` most confidently wrong pictures (:func:`most_confident_errors`), each
    captioned with its true class and the predicted one with its probability; None (nothing
    written) when nothing is wrong."""
    pictures = np.asarray(images)
    y = np.asarray(y_true, dtype=np.int64)
    p = np.asarray(probabilities, dtype=np.float64)
    chosen = most_confident_errors(y, p, k, logits=logits)
    if chosen.size == 0:
        return None
    n_wrong = int(np.sum(np.argmax(p, axis=1) != y))
    guesses = np.argmax(p[chosen], axis=1)
    short = tick_names(classes, GALLERY_NAME_CHARS)
    titles = [
        f"true: {short[int(y[i])]}\nsaid: {short[g]}\n(p = {p[i, g]:.2f})"
        for i, g in zip(chosen, guesses, strict=True)
    ]
    heading = f"Most confidently wrong: {chosen.size} of {n_wrong} misclassified"
    return picture_gallery(pictures, chosen, titles, heading, path)


__all__ = [
    "class_templates",
    "confusion_matrix",
    "error_gallery",
    "most_confident_errors",
    "roc_one_vs_rest",
]
