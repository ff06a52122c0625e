"""Pictures of a trained neuron: learning curves, weights, mistakes, ROC/PR, confusion.

A window out, never a door in: every function draws from what it is given (a history, the
weights, labels and probabilities) and never trains. Each writes one PNG and returns its path.

Why it looks like this:

* matplotlib is imported inside the functions, so ``import lrnn.plots`` (and ``import lrnn``)
  stays fast. Figures are built with :class:`matplotlib.figure.Figure` and its Agg canvas
  directly, not through ``pyplot``: no global figure registry to leak into, no GUI backend
  chosen behind the caller's back, and safe to call from threads. The figure is released when
  the function returns.
* Every figure has the same size (:data:`FIGSIZE` at :data:`DPI`: 800 × 500 pixels) so the
  pictures line up in the HTML report and stay readable at 100 % zoom; only a gallery with
  more than two rows grows taller, and the colour weights (three square panels) are shorter.
* The PNG is rendered to memory and written with :func:`lrnn.files.atomic_write_bytes`: a
  crash never leaves half a picture where the caller expected one.
"""

from __future__ import annotations

import functools
import io
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lrnn.errors import DataError, LrnnError, UsageError
from lrnn.files import atomic_write_bytes, check_writable, keep_others_files
from lrnn.plots_curves import as_history, as_percent, column, iterations_of, x_label

P = ParamSpec("P")
R = TypeVar("R")

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.figure import Figure

    from lrnn.metrics import Evaluation

#: Figure size in inches and resolution: 800 × 500 pixels, legible at 100 % zoom.
FIGSIZE = (8.0, 5.0)
DPI = 100
#: Height (inches) of the weights figure for colour images: three square panels in a row.
WEIGHTS_RGB_HEIGHT = 3.8
#: Pictures per row in the error gallery; two rows fit the usual height, each further row
#: adds GALLERY_ROW_HEIGHT inches.
GALLERY_COLUMNS = 5
GALLERY_ROW_HEIGHT = 2.3
#: Cost curves whose largest/smallest positive value exceeds this ratio get a log y axis.
LOG_SCALE_RATIO = 50.0

# Colours (matplotlib's default cycle, named so the two axes of a learning curve agree).
_BLUE, _ORANGE, _GREEN, _RED = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"


# --------------------------------------------------------------------------------------------
# Shared helpers


def _as_written(draw: Callable[P, R]) -> Callable[P, R]:
    """Draw with every text as written: matplotlib reads text between two "$" as a formula,
    so classes "$10-$20" and "under $10" were drawn as "10 − 20" (names, words and file names
    come from the data). For drawings of names only: a log axis's tick labels are math text
    ("$\\mathdefault{10^{-1}}$"), printed as such under it."""

    @functools.wraps(draw)
    def drawing(*args: P.args, **kwargs: P.kwargs) -> R:
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False}):
            return draw(*args, **kwargs)

    return drawing


def _figure(height: float = FIGSIZE[1]) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(FIGSIZE[0], height), dpi=DPI, layout="constrained")


def _save(fig: Figure, path: str | os.PathLike) -> Path:
    """Render to memory, then write atomically; the figure is cleared either way. The path is
    checked first, as the command line checks its outputs: a missing folder is named as one,
    not as a write that failed (for want of space or permission)."""
    try:
        check_writable(path, example="picture.png")
        keep_others_files(path, "plot")
    except LrnnError:
        fig.clear()
        raise
    buffer = io.BytesIO()
    try:
        # "lrnn" without a version: the same plot gives the same bytes whatever matplotlib or
        # lrnn version wrote it, and a default output path can tell lrnn's pictures from others.
        with warnings.catch_warnings():  # a class name in emoji or CJK shows as boxes; the
            # picture is still right, and matplotlib's note on its fonts would be lrnn's output
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from (current )?font")
            fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": "lrnn"})
    finally:
        fig.clear()
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as e:
        raise LrnnError(
            f"{os.fspath(path)}: cannot write the picture ({e.strerror or e}); check the folder "
            "is writable and has free space."
        ) from e
    return Path(path)


def undrawable(texts: Sequence[str]) -> bool:
    """Whether some character of ``texts`` is missing from the font the figures use: it shows
    as a box (Thai, Chinese, Devanagari where only DejaVu is installed). Where the words are
    the whole content of a chart, the page says so (the warning itself is silenced)."""
    from matplotlib.font_manager import FontProperties, findfont
    from matplotlib.ft2font import FT2Font

    drawn = FT2Font(findfont(FontProperties())).get_charmap()
    return any(ord(c) not in drawn for text in texts for c in text if not c.isspace())


def _binary(y_true: ArrayLike, probability: ArrayLike, what: str) -> tuple[NDArray, NDArray]:
    from lrnn.metrics import binary_labels

    y = binary_labels(y_true, f"{what}: the labels")
    given = np.asarray(probability, dtype=np.float64)
    if given.ndim == 2 and given.shape == (y.size, 2):  # predict_proba(X): one column each
        raise UsageError(
            f"{what}: probabilities of shape {given.shape}, a column per class; pass the "
            "positive class's, predict_proba(X)[:, 1]."
        )
    p = given.reshape(-1)
    if y.size != p.size:
        raise UsageError(
            f"{what}: {y.size} labels but {p.size} probabilities; pass one probability per label."
        )
    return y, p


# --------------------------------------------------------------------------------------------
# Training


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
    history = as_history(history, "learning_curve")
    iterations = iterations_of(history, "learning_curve")
    cost = column(history, "cost")
    assert cost is not None  # checked by iterations_of
    cost_at = iterations  # the other columns stay at the recorded rows
    # (a history without iterations is drawn at 0, 1, 2, …: no iteration number fits there)
    recorded = "iteration" in history
    if final is not None and recorded and math.isfinite(final[1]) and iterations.size:
        if final[0] > iterations[-1]:
            cost_at = np.append(iterations, float(final[0]))
            cost = np.append(cost, float(final[1]))
    fig = _figure()
    ax = fig.add_subplot()
    finite = np.isfinite(cost)
    lines = ax.plot(cost_at[finite], cost[finite], color=_BLUE, lw=2, label="training cost")
    val_loss = column(history, "val_loss")
    if val_loss is not None and val_loss.size == iterations.size:
        ok = np.isfinite(val_loss)
        lines += ax.plot(
            iterations[ok], val_loss[ok], color=_BLUE, lw=2, ls="--", label="validation loss"
        )
    if kept is not None:
        lines.append(
            ax.axvline(kept, color="0.35", lw=1.2, ls=":", label=f"weights kept: iteration {kept}")
        )
    ax.set_xlabel(x_label([history]))
    ax.set_ylabel("cost (log loss)", color=_BLUE)
    ax.tick_params(axis="y", colors=_BLUE)
    ax.grid(True, alpha=0.3)

    accuracy = column(history, "accuracy")
    val_accuracy = column(history, "val_accuracy")
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
                    color=_ORANGE,
                    lw=1.2,
                    ls=style,
                    alpha=0.75,
                    label=label,
                    marker="o" if ok.sum() == 1 else None,  # one record: a line of no length
                )
        ax2.set_ylabel("accuracy (%)", color=_ORANGE)
        ax2.tick_params(axis="y", colors=_ORANGE)
        ax2.set_ylim(-2, 102)

    heading = title or "Learning curve"
    scores = []
    if train_accuracy is not None:
        scores.append(f"train accuracy {as_percent(train_accuracy):.1f} %")
    if test_accuracy is not None:
        scores.append(f"test accuracy {as_percent(test_accuracy):.1f} %")
    if scores:
        heading += "\n" + " · ".join(scores)
    ax.set_title(heading)
    # Below the axes, so it never hides a curve.
    fig.legend(lines, [line.get_label() for line in lines], loc="outside lower center", ncols=4)
    return _save(fig, path)


def lr_comparison(
    runs: Sequence[tuple[float, Mapping[str, Sequence[float]]]],
    path: str | os.PathLike,
    *,
    diverged: Sequence[bool] | None = None,
) -> Path:
    """Cost curves of several learning rates on one axis, as in the lesson's last figure.

    The y axis turns logarithmic when the costs span more than
    :data:`LOG_SCALE_RATIO`, so a run that blew up does not flatten the others.
    Diverged runs are dashed and labelled.
    """
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
    fig = _figure()
    ax = fig.add_subplot()
    positive: list[NDArray] = []
    for (lr, history), gone in zip(runs, flags, strict=True):
        history = as_history(history, f"lr_comparison (lr = {lr:g})")
        iterations = iterations_of(history, f"lr_comparison (lr = {lr:g})")
        cost = column(history, "cost")
        assert cost is not None
        ok = np.isfinite(cost)
        label = f"lr = {lr:g}" + (" (diverged)" if gone else "")
        ax.plot(iterations[ok], cost[ok], lw=2, ls="--" if gone else "-", label=label)
        positive.append(cost[ok & (cost > 0)])
    values = np.concatenate(positive) if positive else np.empty(0)
    if values.size and values.max() / values.min() > LOG_SCALE_RATIO:
        ax.set_yscale("log")
    ax.set_xlabel(x_label([history for _, history in runs]))
    ax.set_ylabel("cost (log loss)")
    ax.set_title("Cost for different learning rates")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="learning rate", loc="upper right")
    return _save(fig, path)


# --------------------------------------------------------------------------------------------
# The model


@_as_written
def weights_image(
    w: ArrayLike,
    image_shape: Sequence[int],
    path: str | os.PathLike,
    *,
    classes: Sequence[str] | None = None,
) -> Path:
    """The weights as a picture: one panel per colour channel, red where a bright pixel pushes
    towards the positive class, blue where it pushes away.

    The colour scale is symmetric about 0 (the same for every channel), so white always means
    "this pixel does not matter" and the channels can be compared with each other.
    """
    given = np.asarray(w, dtype=np.float64)
    if given.ndim == 2 and min(given.shape) > 1:  # a softmax layer's (n, K), or coef_ (K, n)
        raise DataError(
            f"weights_image: weights of shape {given.shape} are a layer of neurons, one per "
            "class; draw them with lrnn.plots_multiclass.class_templates(W, image_shape, "
            "classes, path), W as (features, classes)."
        )
    weights = given.reshape(-1)
    shape = tuple(int(v) for v in image_shape)
    if len(shape) != 3 or shape[2] not in (1, 3) or math.prod(shape) != weights.size:
        raise DataError(
            f"weights_image: {weights.size} weights cannot be shown as an image of shape "
            f"{shape}; give (height, width, 1 or 3) with height × width × channels = "
            f"{weights.size}."
        )
    h, wd, c = shape
    grid = weights.reshape(h, wd, c)
    finite = np.isfinite(grid)
    limit = float(np.abs(grid[finite]).max()) if finite.any() else 0.0
    limit = limit if limit > 0 else 1.0  # all-zero weights (untrained): still a valid picture

    # Three square panels side by side need less height than the usual 5 in.
    fig = _figure(WEIGHTS_RGB_HEIGHT if c == 3 else FIGSIZE[1])
    names = ["red channel", "green channel", "blue channel"] if c == 3 else ["brightness"]
    axes = fig.subplots(1, c, squeeze=False)[0]
    image = None
    for k, ax in enumerate(axes):
        image = ax.imshow(
            grid[:, :, k], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest"
        )
        ax.set_title(names[k])
        ax.set_xlabel("pixel column")
        if k == 0:
            ax.set_ylabel("pixel row")
        else:
            ax.tick_params(labelleft=False)
    positive = (
        f"'{tick_name(classes[1])}'" if classes is not None and len(classes) == 2 else "positive"
    )
    bar = fig.colorbar(image, ax=list(axes), shrink=0.9, pad=0.02)
    bar.set_label(f"weight (red: brighter → more {positive})")
    fig.suptitle("What the neuron looks for", fontsize="x-large")
    fig.supxlabel(
        f"Red: a bright value in that pixel pushes towards {positive}; blue: away from it;\n"
        "white: the pixel hardly matters. "
        + ("One colour scale, centred at 0, for all panels." if c == 3 else "Scale centred at 0."),
        fontsize="medium",
    )
    return _save(fig, path)


# --------------------------------------------------------------------------------------------
# Mistakes


def most_confident_errors(
    y_true: ArrayLike,
    probability: ArrayLike,
    k: int = 10,
    threshold: float = 0.5,
    *,
    logits: ArrayLike | None = None,
) -> NDArray[np.intp]:
    """Indices of up to ``k`` misclassified examples, the most confidently wrong first.

    Predictions are ``probability > threshold`` (as in :func:`lrnn.metrics.evaluate`); the
    most confidently wrong is the one that gave its true class the lowest probability (the
    largest loss). At threshold 0.5 that is the farthest from it; at another threshold the
    distance from it ranked a cat at P(cat) = 0.031 below non-cats at 0.35–0.53 (threshold
    0.16), though the model was 97 % sure of the first. Ties keep the examples' order.
    ``logits`` (z, whose σ the probabilities are) rank where the probabilities cannot: σ
    rounds to exactly 0 or 1 beyond |z| ≈ 17 in float32 and 37 in float64, which made examples
    of z = 17 and z = 55 a tie that the examples' order broke.
    """
    y, p = _binary(y_true, probability, "most_confident_errors")
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 0:
        raise UsageError(f"most_confident_errors: k={k!r} must be a whole number >= 0.")
    wrong = np.flatnonzero((p > threshold) != y)
    if logits is not None:
        z = _ranking_logits(logits, y.size, "most_confident_errors")[wrong]
        # the true class's margin, lowest first: −z for a positive, z for a negative
        order = np.argsort(np.where(y[wrong], z, -z), kind="stable")
    else:  # |y − p| = 1 − P(true class), without rounding 1 − p for one class and not the other
        order = np.argsort(-np.abs(y[wrong] - p[wrong]), kind="stable")
    return wrong[order[:k]]


def _ranking_logits(logits: ArrayLike, size: int, what: str) -> NDArray[np.float64]:
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    if z.size != size:
        raise UsageError(f"{what}: {size} labels but {z.size} logits; pass one per label.")
    return z


@_as_written
def error_gallery(
    images: ArrayLike,
    y_true: ArrayLike,
    probability: ArrayLike,
    classes: Sequence[str],
    path: str | os.PathLike,
    *,
    k: int = 10,
    threshold: float = 0.5,
    logits: ArrayLike | None = None,
) -> Path | None:
    """The ``k`` most confidently wrong pictures, each captioned with its true class and the
    predicted P(positive); ``logits`` rank them as in :func:`most_confident_errors`. Returns
    None, writing nothing, when nothing is misclassified."""
    pictures = np.asarray(images)
    y, p = _binary(y_true, probability, "error_gallery")
    if pictures.ndim != 4 or pictures.shape[0] != y.size or pictures.shape[3] not in (1, 3):
        raise UsageError(
            f"error_gallery: images have shape {pictures.shape}; expected ({y.size}, height, "
            "width, 1 or 3), one picture per label."
        )
    chosen = most_confident_errors(y, p, k, threshold, logits=logits)
    if chosen.size == 0:
        return None
    n_wrong = int(np.sum((p > threshold) != y))
    short = tick_names(classes, GALLERY_NAME_CHARS)
    titles = [f"true: {short[int(y[i])]}\nP({short[1]})\n= {p[i]:.3f}" for i in chosen]
    heading = (
        f"Most confidently wrong: {chosen.size} of {n_wrong} misclassified "
        f"(threshold {threshold:g})"
    )
    return picture_gallery(pictures, chosen, titles, heading, path)


@_as_written
def picture_gallery(
    pictures: NDArray, chosen: NDArray, titles: Sequence[str], heading: str, path: str | os.PathLike
) -> Path:
    """The pictures at ``chosen``, a titled panel each (grey for one channel), in a grid: the
    error galleries of the sigmoid neuron and of the softmax layer."""
    factor = _pixel_factor(pictures)
    cols = min(GALLERY_COLUMNS, chosen.size)
    rows = math.ceil(chosen.size / cols)
    fig = _figure(FIGSIZE[1] + GALLERY_ROW_HEIGHT * max(0, rows - 2))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, i, title in zip(axes.flat, chosen, titles, strict=False):
        picture = pictures[i]
        if factor is not None:  # floats: drawn as the 0–255 pixels they stand for
            picture = np.clip(np.rint(picture * factor), 0, 255).astype(np.uint8)
        if picture.shape[2] == 1:
            ax.imshow(picture[:, :, 0], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        else:
            ax.imshow(picture, interpolation="nearest")
        ax.set_title(title, fontsize="small", color=_RED)
    fig.suptitle(heading, fontsize="x-large")
    return _save(fig, path)


def _pixel_factor(pictures: NDArray) -> float | None:
    """What turns these pictures into 0–255 pixels: None for uint8 ones; for floats 255 when
    they are 0–1 (the lesson's X / 255), 1 when they are 0–255. Float pictures of 0–255 drew
    white panels (matplotlib clips colour floats at 1) and grey 0–1 ones black."""
    if pictures.dtype == np.uint8:
        return None
    low, high = float(np.min(pictures)), float(np.max(pictures))
    if not (np.isfinite(low) and np.isfinite(high) and low >= 0 and high <= 255):
        raise UsageError(
            f"pictures range from {low:g} to {high:g}; give uint8 pixels, or floats of 0–1 "
            "(X / 255) or 0–255."
        )
    return 255.0 if high <= 1 else 1.0


# --------------------------------------------------------------------------------------------
# Scores


def readable_text_on(rgba: tuple[float, ...]) -> str:
    """Black or white, whichever contrasts more with a cell of colour ``rgba`` (WCAG's
    relative luminance): white on the mid-blues of a half-full cell was 2.7 : 1, black 7.7."""
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    return "black" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "white"


#: Class names on a figure's axes and legends are cut to this many characters: a name of
#: hundreds (a text label, a file path) pushed the matrix into a corner of a wide picture.
TICK_NAME_CHARS = 24


def tick_name(name: object, limit: int = TICK_NAME_CHARS) -> str:
    """A class name short enough for an axis (the tables beside the figure show it whole):
    cut in the middle, keeping its end, where names that share a beginning ("category A",
    "category B") differ. Bytes (the lesson's list_classes, as course.load_dataset returns
    it) are the text they hold: "cat", not "b'cat'"."""
    text = name.decode("utf-8", "backslashreplace") if isinstance(name, bytes) else str(name)
    if len(text) <= limit:
        return text
    tail = (limit - 1) // 3
    return text[: limit - 1 - tail] + "…" + text[len(text) - tail :]


def tick_names(names: Sequence[object], limit: int = TICK_NAME_CHARS) -> list[str]:
    """:func:`tick_name` of each, told apart by their place where two still read the same."""
    short = [tick_name(n, limit) for n in names]
    if len(set(short)) == len(short):
        return short
    return [f"{k + 1}: {s}" if short.count(s) > 1 else s for k, s in enumerate(short)]


#: Longest class name in a gallery panel's title: five panels to a row leave each about 20
#: characters of its smaller type.
GALLERY_NAME_CHARS = 14


@_as_written
def confusion_matrix(
    evaluation: Evaluation, classes: Sequence[str], path: str | os.PathLike
) -> Path:
    """The 2 × 2 counts (rows: true class, columns: predicted class) with shares of the total."""
    if not all(hasattr(evaluation, name) for name in ("tn", "fp", "fn", "tp")):
        raise UsageError(
            f"confusion_matrix takes the scores of lrnn.metrics.evaluate(z, y, threshold), not "
            f"a {type(evaluation).__name__}; for a K × K matrix of counts, use "
            "lrnn.plots_multiclass.confusion_matrix(counts, classes, path)."
        )
    counts = np.array([[evaluation.tn, evaluation.fp], [evaluation.fn, evaluation.tp]])
    total = max(int(counts.sum()), 1)
    fig = _figure()
    ax = fig.add_subplot()
    image = ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(int(counts.max()), 1))
    names = tick_names(classes)
    ax.set_xticks([0, 1], labels=names)
    ax.set_yticks([0, 1], labels=names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    tags = [["true negatives", "false positives"], ["false negatives", "true positives"]]
    for r in range(2):
        for c in range(2):
            ax.text(
                c,
                r,
                f"{counts[r, c]}\n{100 * counts[r, c] / total:.1f} %\n{tags[r][c]}",
                ha="center",
                va="center",
                fontsize="large",
                color=readable_text_on(image.cmap(image.norm(counts[r, c]))),
            )
    fig.colorbar(image, ax=ax, label="examples")
    ax.set_title(
        f"Confusion matrix: {evaluation.n} examples, accuracy {100 * evaluation.accuracy:.1f} %"
        f" (threshold {evaluation.threshold:g})"
    )
    return _save(fig, path)


@_as_written
def roc_pr(
    y_true: ArrayLike,
    probability: ArrayLike,
    path: str | os.PathLike,
    *,
    threshold: float = 0.5,
    logits: ArrayLike | None = None,
) -> Path:
    """ROC and precision–recall curves side by side, with the point that ``threshold`` gives.

    ``logits`` order the examples for the curves where given: probabilities that rounded to
    exactly 0 or 1 tie examples the model told apart (see :func:`most_confident_errors`).
    Both curves need examples of both classes; with only one the function raises
    :class:`~lrnn.errors.DataError` rather than draw a meaningless line.
    """
    from lrnn import metrics

    y, p = _binary(y_true, probability, "roc_pr")
    positives = int(y.sum())
    if positives == 0 or positives == y.size:
        raise DataError(
            "roc_pr: ROC and precision–recall curves need examples of both classes; "
            "use labelled data that has both."
        )
    score = p if logits is None else _ranking_logits(logits, y.size, "roc_pr")
    fpr, tpr, _ = metrics.roc_curve(y, score)
    precision, recall, _ = metrics.precision_recall_curve(y, score)
    average_precision = metrics.average_precision(y, score)
    predicted = p > threshold
    tp = int(np.sum(predicted & y))
    fp = int(np.sum(predicted & ~y))
    point_tpr = tp / positives
    point_fpr = fp / (y.size - positives)
    point_precision = tp / (tp + fp) if tp + fp else 1.0  # no positive predictions: vacuous

    fig = _figure()
    left, right = fig.subplots(1, 2)
    left.plot(fpr, tpr, color=_BLUE, lw=2, label="model")
    left.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="chance")
    left.plot(point_fpr, point_tpr, "o", color=_RED, ms=8, label=f"threshold {threshold:g}")
    left.set_xlabel("false positive rate")
    left.set_ylabel("true positive rate (recall)")
    left.set_title(f"ROC curve (AUC = {metrics.roc_auc(y, score):.3f})")
    left.legend(loc="lower right")

    right.plot(recall, precision, color=_GREEN, lw=2, drawstyle="steps-post", label="model")
    base = positives / y.size
    right.axhline(base, color="grey", ls=":", lw=1, label=f"chance ({base:.2f})")
    right.plot(point_tpr, point_precision, "o", color=_RED, ms=8, label=f"threshold {threshold:g}")
    right.set_xlabel("recall")
    right.set_ylabel("precision")
    right.set_title(f"Precision–recall (AP = {average_precision:.3f})")
    right.legend(loc="lower left")
    for ax in (left, right):
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.grid(True, alpha=0.3)
    return _save(fig, path)


__all__ = [
    "DPI",
    "FIGSIZE",
    "confusion_matrix",
    "error_gallery",
    "learning_curve",
    "lr_comparison",
    "most_confident_errors",
    "roc_pr",
    "weights_image",
]


# --------------------------------------------------------------------------------------------
# Text models


@_as_written
def top_terms(
    positive: Sequence[tuple[str, float]],
    negative: Sequence[tuple[str, float]],
    path: str | os.PathLike,
    *,
    classes: Sequence[str] | None = None,
) -> Path:
    """A text model's "weights picture": horizontal bars of its strongest words, red for
    those pushing towards the positive class, blue for those pushing away."""
    terms = list(positive)[::-1] + list(negative)
    fig = _figure(max(FIGSIZE[1], 0.28 * max(len(terms), 1) + 1.5))
    ax = fig.subplots()
    labels = [t for t, _ in terms]
    values = [v for _, v in terms]
    colours = ["#b2182b" if v > 0 else "#2166ac" for v in values]
    ax.barh(range(len(terms)), values, color=colours)
    ax.set_yticks(range(len(terms)), labels)
    ax.axvline(0.0, color="black", linewidth=0.8)
    pos, neg = (
        ("positive", "negative") if classes is None else tuple(tick_names([classes[1], classes[0]]))
    )
    ax.set_xlabel(f"weight (red: towards '{pos}'; blue: towards '{neg}')")
    fig.suptitle("What the neuron looks for: its strongest words", fontsize="x-large")
    return _save(fig, path)
