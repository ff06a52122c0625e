"""One self-contained HTML page about a trained neuron.

:func:`write_report` evaluates a model on labelled data, draws every picture from
:mod:`lrnn.plots` and writes a single HTML file: pictures inlined as ``data:image/png`` URIs, a
small inline style sheet, no JavaScript and nothing fetched from the network. Such a file can be
mailed, archived or opened years later and still shows everything; a Content-Security-Policy
meta tag makes the browser enforce "no scripts, no network" even if someone edits the file.

The page is deterministic (no timestamps; PNGs stamped "lrnn" without a version), so the same
model and data give the same bytes: reports can be compared with ``diff`` or checked into a
repository.

Like the plots, the report is a window out: it never trains. It is also written atomically
(:func:`lrnn.files.atomic_write_bytes`) after checking the destination is writable *before*
any work, so a failure leaves either the old report or none, never half a page.

History files are read and written by :mod:`lrnn.history`.
"""

from __future__ import annotations

import html
import os
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import files, metrics, model_meta, objective, persist, plots
from lrnn._version import __version__
from lrnn.after_training import threshold_chosen_on, training_overlap
from lrnn.data import Dataset, Preprocessing, align_classes, data_sha256
from lrnn.errors import DataError, ModelFileError, UsageError
from lrnn.history import check_belongs, columns_of, write_text
from lrnn.report_html import (
    _facts,
    _figure,
    _fmt,
    _grid,
    _note,
    _Page,
    _td,
    isolated,
    scrolling,
)

#: The history table shows at most this many rows (evenly spaced, first and last included).
HISTORY_TABLE_ROWS = 50
#: Pictures in the error gallery / rows in the table of most confidently wrong examples.
ERROR_ROWS = 10
#: Features listed in the weights table of a table model, and shown in its errors table.
TOP_WEIGHTS = 15
ERROR_FEATURES = 6

#: Every section of the page, in order: (id, heading). Ids are stable: links and tests use them.
SECTIONS = (
    ("summary", "Model"),
    ("data", "Data"),
    ("metrics", "Scores"),
    ("learning-curve", "Learning curve"),
    ("weights", "What the neuron looks for"),
    ("errors", "Most confident mistakes"),
    ("confusion", "Confusion matrix"),
    ("roc", "ROC and precision–recall"),
    ("history", "Training history"),
    ("reproducibility", "Reproducibility"),
)


def numbered_features(count: int, spec: Any) -> list[str]:
    """Names for unnamed columns (:meth:`Preprocessing.numbered_features`; none: an array's)."""
    return (spec if spec is not None else Preprocessing(kind="array")).numbered_features(count)


# --------------------------------------------------------------------------------------------
# The report


def write_report(
    path: str | os.PathLike,
    *,
    model: persist.ModelFile,
    dataset: Dataset,
    history: Mapping[str, Sequence[float]] | None,
    title: str = "lrnn report",
    extra_facts: Mapping[str, str] | None = None,
    history_name: str = "history",
) -> Path:
    """Evaluate ``model`` on the labelled ``dataset`` and write one self-contained HTML page.

    ``dataset`` is usually loaded with the model's preprocessing (``data.load(..., spec=...)``)
    and so already standardised; raw tables are standardised here with the model's mean and
    std. Its classes are matched to the model's by name (a loader numbers them in its own
    order: without this, a model trained with ``--positive-class`` scored 1.6 % instead of
    98.4 %), and a class the model does not know is refused. ``history`` (from training or
    :func:`load_history`, named in messages as ``history_name``) adds the learning curve and
    the history table; it must belong to this model. ``extra_facts`` go in the summary."""
    name = os.fspath(path)
    files.check_writable(name)  # before any work: a typo in the path costs nothing
    files.keep_others_files(name, "report")  # .html, replacing only a report lrnn wrote
    if not isinstance(model, persist.ModelFile) or not isinstance(dataset, Dataset):
        raise UsageError(
            f"write_report: model must be a ModelFile (persist.load_model(path)) and dataset "
            f"a Dataset (data.load(path, spec=…)), got {type(model).__name__} and "
            f"{type(dataset).__name__}."
        )
    if title == "lrnn report":  # a tab of its own: which data it scores
        title = f"lrnn report: {Path(dataset.source).name or dataset.source}"

    spec = _model_spec(model)
    X = _model_features(model, dataset, spec)  # a model of another width: said first
    dataset = align_classes(dataset, model.classes)
    if dataset.y is None:
        raise DataError(
            f"{dataset.source}: has no labels; a report scores the model, so give labelled data."
        )
    y = np.asarray(dataset.y).astype(np.int64)
    columns, caveat = None, None
    if history is not None:
        columns = columns_of(history, history_name, error=DataError)
        caveat = check_belongs(columns, model.training, history_name, model.manifest, model.history)

    if np.asarray(model.w).ndim == 2:  # a softmax layer: its own sections
        from lrnn import report_multiclass

        args = (model, dataset, spec, X, y, columns, title, extra_facts)
        return report_multiclass.write(name, *args, history_caveat=caveat)
    scale = spec.scale if spec is not None else float(model.preprocessing.get("scale", 1.0))
    from lrnn import inference

    z = inference.logits(model.w, model.b, X, scale, inference.row_namer(dataset))  # sparse: kept
    probability = objective.sigmoid(z).astype(np.float64)
    evaluation = metrics.evaluate(z, y, model.threshold)
    classes = tuple(str(c) for c in model.classes)

    page = _Page(title)
    with files.scratch_folder("lrnn-report-") as tmp:
        ctx = _Context(
            model=model,
            dataset=dataset,
            spec=spec,
            X=X,
            y=y,
            probability=probability,
            logits=np.asarray(z, dtype=np.float64),
            evaluation=evaluation,
            classes=classes,
            history=columns,
            folder=Path(tmp),
            extra_facts=dict(extra_facts or {}),
            history_caveat=caveat,
        )
        for section_id, heading in SECTIONS:
            page.section(section_id, heading, _SECTION_WRITERS[section_id](ctx))
    write_text(name, page.render(), "report")
    return Path(name)


@dataclass
class _Context:
    """What every section reads: the model, the data and the evaluation, computed once."""

    model: persist.ModelFile
    dataset: Dataset
    spec: Preprocessing | None
    X: NDArray  # the features in the model's units
    y: NDArray  # int64 0/1
    probability: NDArray  # σ(z), float64
    #: z, which ranks the examples where σ rounded to 0 or 1 and made ties (AUC, errors)
    logits: NDArray
    evaluation: metrics.Evaluation
    classes: tuple[str, ...]
    history: dict[str, list] | None
    folder: Path  # where the plots are drawn before being inlined
    extra_facts: dict[str, str]
    #: the history may be another run's (it ends well short of the model's iterations): said
    #: on the page, and the model's own end is not joined to it
    history_caveat: str | None = None

    @cached_property
    def digest(self) -> str:
        """The data's SHA-256, once: the data section shows it, and the metrics say by it
        whether the threshold was chosen on these very examples."""
        return data_sha256(self.dataset.X, self.dataset.y)

    @property
    def is_image(self) -> bool:
        return (
            self.spec is not None
            and self.spec.kind == "image"
            and self.spec.image_shape is not None
        )

    @property
    def both_classes(self) -> bool:
        return 0 < int(self.y.sum()) < self.y.size

    def feature_names(self) -> list[str]:
        names = self.model.feature_names or (
            list(self.spec.feature_names) if self.spec and self.spec.feature_names else None
        )
        return names or numbered_features(np.asarray(self.model.w).size, self.spec)

    def raw_features(self) -> NDArray:
        """The features in the data's own units (undoing the model's standardisation)."""
        if self.spec is not None and self.spec.mean is not None and self.spec.std is not None:
            return self.X * np.asarray(self.spec.std) + np.asarray(self.spec.mean)
        return (
            self.X
            if not isinstance(self.X, np.ndarray) and hasattr(self.X, "tocsr")
            else np.asarray(self.X)
        )

    @property
    def is_text(self) -> bool:
        return self.spec is not None and self.spec.kind == "text"


def _model_spec(model: persist.ModelFile) -> Preprocessing | None:
    if not model.preprocessing:
        return None
    try:
        return Preprocessing.from_dict(model.preprocessing)
    except ModelFileError as e:
        raise DataError(f"the model's {e}") from e


def _model_features(
    model: persist.ModelFile, dataset: Dataset, spec: Preprocessing | None
) -> NDArray:
    """``dataset.X`` in the units the model was trained on, after checking it fits the model."""
    n = np.asarray(model.w).shape[0]
    X = dataset.X
    if X.ndim != 2 or X.shape[1] != n:
        got = X.shape[1] if X.ndim == 2 else f"shape {X.shape}"
        raise DataError(
            f"{dataset.source}: has {got} features per example but the model has {n} weights; "
            "give the data the model was trained on (or data prepared the same way)."
        )
    if spec is None:
        return X
    if (
        spec.kind == "image"
        and dataset.spec.image_shape is not None
        and spec.image_shape != dataset.spec.image_shape
    ):
        raise DataError(
            f"{dataset.source}: pictures of shape {dataset.spec.image_shape} but the model "
            f"expects {spec.image_shape}; load the data with the model's preprocessing."
        )
    if spec.mean is None or spec.std is None:
        return X
    mean, std = dataset.spec.mean, dataset.spec.std
    if mean == spec.mean and std == spec.std:
        return X  # already standardised the model's way (loaded with its spec)
    if mean is not None and std is not None:
        # Standardised with other statistics (its own): back to raw units first.
        X = np.asarray(X, dtype=np.float64) * np.asarray(std) + np.asarray(mean)
    return spec.transform(X)


# --------------------------------------------------------------------------------------------
# HTML building blocks


_TRAINING_LABELS = {
    "solver": "solver",
    "learning_rate": "learning rate",
    "iterations": "iterations",
    "alpha": "L2 strength (alpha)",
    "stop_reason": "stopped because",
    "final_cost": "final cost",
    "train_accuracy": "training accuracy (at training time)",
    "test_accuracy": "test accuracy (at training time)",
    "restored_iteration": "weights restored from iteration (early stopping)",
}


def _training_value(key: str, value: Any) -> Any:
    """A model's training fact as the summary shows it: accuracies in percent, the stop reason
    in the words ``lrnn train`` printed when it stopped."""
    from lrnn.verdicts import STOPS

    if key in ("train_accuracy", "test_accuracy") and isinstance(value, float):
        return f"{100 * value:.2f} %"
    if key == "stop_reason" and isinstance(value, str) and value in STOPS:
        return f"{value}: {STOPS[value].replace(' (see warning)', '')}"
    if isinstance(value, str | list | dict) and len(text := str(value)) > 300:  # an edited file
        return f"{text[:300]}… ({len(text)} characters in the model file)"
    return value


def _summary(ctx: _Context) -> str:
    model, spec = ctx.model, ctx.spec
    n = np.asarray(model.w).size
    if ctx.is_image:
        assert spec is not None and spec.image_shape is not None
        h, wd, c = spec.image_shape
        features = f"{n} ({h} × {wd} pixels × {c} channel{'s' if c > 1 else ''})"
    else:
        features = str(n)
    negative, positive = isolated(ctx.classes[0]), isolated(ctx.classes[1])
    rows: list[tuple[str, Any]] = [
        ("classes", f"negative: {negative} · positive: {positive}"),
        ("decision threshold", f"P({positive}) > {model.threshold:g}"),
        ("features", features),
        ("bias b", float(model.b)),
    ]
    training = model.training if isinstance(model.training, dict) else {}
    for key, value in training.items():
        label = _TRAINING_LABELS.get(key, key.replace("_", " "))
        rows.append((label, _training_value(key, value)))
    rows.append(("preprocessing", _describe_preprocessing(spec)))
    rows.extend((str(k), str(v)) for k, v in ctx.extra_facts.items())
    return _facts(rows)


def _describe_preprocessing(spec: Preprocessing | None) -> str:
    if spec is None:
        return "none recorded"
    parts = [f"{spec.kind} data"]
    if spec.image_shape is not None:
        h, wd, c = spec.image_shape
        parts.append(f"pictures of {h} × {wd} pixels, {c} channel{'s' if c > 1 else ''}")
    if spec.scale != 1.0:
        parts.append(
            f"features multiplied by {spec.scale:.6g}"
            + (" (1/255: pixels to [0, 1])" if abs(spec.scale - 1 / 255) < 1e-12 else "")
        )
    if spec.mean is not None:
        parts.append("standardised with the training data's mean and std")
    if spec.label_column:
        parts.append(f"label column {spec.label_column!r}")
    return "; ".join(parts)


def _data(ctx: _Context) -> str:
    ds, y = ctx.dataset, ctx.y
    m = y.size
    positives = int(y.sum())
    digest = ctx.digest
    same = training_overlap(ctx.model, ds, digest)
    rows: list[tuple[str, Any]] = [
        ("source", ds.source),
        ("examples", m),
        (
            "class balance",
            f"{isolated(ctx.classes[1])}: {positives} ({_pct(positives, m)}) · "
            f"{isolated(ctx.classes[0])}: {m - positives} ({_pct(m - positives, m)})",
        ),
        ("data sha256", digest),
        ("same as the training data?", same),
    ]
    chosen = threshold_chosen_on(ctx.model, digest)
    if chosen is not None:
        rows.append(("decision threshold", chosen))
    return _facts(rows)


def _pct(k: int, m: int) -> str:
    return f"{100 * k / m:.1f} %" if m else "—"


def _metrics(ctx: _Context) -> str:
    ev = ctx.evaluation
    rows: list[tuple[str, Any]] = [
        ("examples", ev.n),
        ("accuracy", f"{100 * ev.accuracy:.2f} %" if ev.n else "—"),
        ("log loss", ev.log_loss),
        ("precision", ev.precision),
        ("recall", ev.recall),
        ("F1", ev.f1),
    ]
    if ctx.both_classes:
        rows.append(("ROC AUC", metrics.roc_auc(ctx.y, ctx.logits)))
        rows.append(("average precision", metrics.average_precision(ctx.y, ctx.logits)))
    rows += [
        ("true positives (tp)", ev.tp),
        ("false positives (fp)", ev.fp),
        ("true negatives (tn)", ev.tn),
        ("false negatives (fn)", ev.fn),
        ("threshold", ev.threshold),
    ]
    head = "".join(f'<th scope="col">{h}</th>' for h in ("metric", "value"))
    body = "".join(f'<tr><th scope="row">{html.escape(k)}</th>{_td(v)}</tr>' for k, v in rows)
    table = f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>{body}</tbody>\n</table>\n"
    chosen = threshold_chosen_on(ctx.model, ctx.digest)  # said where the scores are read too
    return scrolling(table) + _note(
        f"Positive class: {isolated(ctx.classes[1])}. Predicted positive when "
        f"P({isolated(ctx.classes[1])}) > {ev.threshold:g}"
        + (f": {chosen[0].lower()}{chosen[1:]}" if chosen else "")
        + ". Precision, recall and F1 are — when undefined (no positive predictions or no "
        "positive examples)."
    )


#: Costs beyond this cannot be laid out on an axis (matplotlib computes the axis' span and
#: ticks from differences of the values, which overflow past about 1e308).
_PLOTTABLE = 1e300
#: The history's columns the learning curve draws.
_DRAWN = ("cost", "val_loss", "accuracy", "val_accuracy")


def _learning_curve(ctx: _Context) -> str:
    if ctx.history is None:
        return _note("No training history was given, so there is no learning curve.")
    cost = np.asarray(ctx.history["cost"], dtype=np.float64) if "cost" in ctx.history else None
    if cost is None or not np.isfinite(cost).any():
        return _note("The history has no finite cost values to draw.")
    training = ctx.model.training if isinstance(ctx.model.training, dict) else {}
    train_acc = training.get("train_accuracy")
    test_acc = training.get("test_accuracy")
    finite = cost[np.isfinite(cost)]
    drawn = [np.asarray(ctx.history[k], dtype=np.float64) for k in _DRAWN if k in ctx.history]
    largest = max(float(np.max(np.abs(v[np.isfinite(v)]), initial=0.0)) for v in drawn)
    if not largest < _PLOTTABLE:  # a damaged file: no axis holds it
        return _note(
            f"The learning curve cannot be drawn: the history holds values as large as "
            f"{largest:.4g}, beyond what a plot's axis can hold."
        )
    final = model_meta.final_point(training)
    if ctx.history_caveat or (
        final is not None and not max(abs(final[0]), abs(final[1])) < _PLOTTABLE
    ):
        final = None  # another run's history is not joined to this model's end
    kept = None if ctx.history_caveat else model_meta.kept_iteration(training)
    path = plots.learning_curve(
        ctx.history,
        ctx.folder / "learning-curve.png",
        train_accuracy=train_acc if isinstance(train_acc, float) else None,
        test_accuracy=test_acc if isinstance(test_acc, float) else None,
        final=final,
        kept=kept,  # the curves go on past the weights early stopping kept
    )
    iterations = list(ctx.history.get("iteration") or [len(cost) - 1])
    if final is not None and final[0] > max(iterations):
        iterations.append(int(final[0]))
        finite = np.append(finite, final[1])
    alt = (
        f"Learning curve: the training cost goes from {finite[0]:.4g} to {finite[-1]:.4g} "
        f"over {max(iterations)} iterations"
        + ("; training accuracy on a second axis" if "accuracy" in ctx.history else "")
        + ("; validation loss dashed" if "val_loss" in ctx.history else "")
        + ("." if kept is None else f"; the weights kept are iteration {kept}'s (dotted).")
    )
    figure = _figure(path, alt, "Cost (left axis) and accuracy (right axis) while training.")
    if ctx.history_caveat:
        return _note(f"Note: {ctx.history_caveat}; it is drawn as given.") + figure
    return figure


def _weights(ctx: _Context) -> str:
    if ctx.is_text:
        from lrnn import text_report

        return text_report.weights_section(ctx, _figure, _grid)
    w = np.asarray(ctx.model.w, dtype=np.float64)
    if ctx.is_image:
        assert ctx.spec is not None and ctx.spec.image_shape is not None
        h, wd, c = ctx.spec.image_shape
        path = plots.weights_image(
            w, ctx.spec.image_shape, ctx.folder / "weights.png", classes=ctx.classes
        )
        alt = (
            f"The {w.size} weights drawn as a {h} × {wd} picture per colour channel "
            f"({c} panel{'s' if c > 1 else ''}): red pixels push towards "
            f"'{isolated(ctx.classes[1])}', blue ones towards '{isolated(ctx.classes[0])}'."
        )
        return _figure(
            path, alt, "One weight per pixel and channel, on one colour scale centred at 0."
        )
    names = ctx.feature_names()
    order = np.argsort(-np.abs(w), kind="stable")[:TOP_WEIGHTS]
    rows = [
        (names[i], float(w[i]), ctx.classes[1] if w[i] > 0 else ctx.classes[0] if w[i] < 0 else "—")
        for i in order
    ]
    unit = (
        "per standard deviation of the feature"
        if ctx.spec is not None and ctx.spec.mean is not None
        else "per unit of the feature"
    )
    return _grid(
        ["feature", "weight", "a larger value pushes towards"],
        rows,
        caption=f"The {len(order)} largest of {w.size} weights by size ({unit}).",
    )


def _errors(ctx: _Context) -> str:
    threshold = ctx.model.threshold
    wrong = int(np.sum((ctx.probability > threshold) != ctx.y.astype(bool)))
    if wrong == 0:
        return _note(
            "No misclassified examples: every example is on the right side of the threshold."
        )
    chosen = plots.most_confident_errors(
        ctx.y, ctx.probability, ERROR_ROWS, threshold, logits=ctx.logits
    )
    positive = isolated(ctx.classes[1])
    names = ctx.dataset.names
    if ctx.is_text:
        from lrnn import text_report

        return text_report.errors_section(ctx, chosen, wrong, _grid)
    if ctx.is_image:
        path = plots.error_gallery(
            _pictures(ctx),
            ctx.y,
            ctx.probability,
            ctx.classes,
            ctx.folder / "errors.png",
            k=ERROR_ROWS,
            threshold=threshold,
            logits=ctx.logits,
        )
        assert path is not None  # there are errors
        alt = (
            f"The {chosen.size} most confidently misclassified pictures of {wrong}, each with "
            f"its true class and the predicted probability of '{positive}'."
        )
        listing = _grid(
            ["example", "true class", f"P({positive})"],
            [
                (_name(names, i), ctx.classes[int(ctx.y[i])], float(ctx.probability[i]))
                for i in chosen
            ],
        )
        counted = (
            " (rows count from 1: row 1 is the file's first picture)"
            if any(str(_name(names, i)).startswith("row ") for i in chosen)
            else ""
        )
        caption = f"{wrong} of {ctx.y.size} examples are misclassified{counted}."
        return _figure(path, alt, caption) + listing
    w = np.asarray(ctx.model.w, dtype=np.float64)
    feature_names = ctx.feature_names()
    top = np.argsort(-np.abs(w), kind="stable")[:ERROR_FEATURES]
    raw = ctx.raw_features()
    header = ["example", "true class", f"P({positive})"] + [isolated(feature_names[j]) for j in top]
    rows = [
        [_name(names, i), ctx.classes[int(ctx.y[i])], float(ctx.probability[i])]
        + [float(raw[i, j]) for j in top]
        for i in chosen
    ]
    return _grid(
        header,
        rows,
        caption=(
            f"The {chosen.size} most confidently wrong of {wrong} misclassified examples, with "
            f"the {len(top)} features of largest weight (in the data's own units)."
        ),
    )


def _name(names: Sequence[str], i: int) -> str:
    return names[i] if i < len(names) else f"#{i}"


def _pictures(ctx: _Context) -> NDArray[np.uint8]:
    """(m, h, w, c) uint8 pictures for the gallery, whatever form the data came in."""
    assert ctx.spec is not None and ctx.spec.image_shape is not None
    raw = ctx.dataset.raw_images
    if raw is None or raw.shape[1:] != tuple(ctx.spec.image_shape):
        raw = np.asarray(ctx.X).reshape((ctx.X.shape[0], *ctx.spec.image_shape))
    if raw.dtype != np.uint8:
        scaled = np.asarray(raw, dtype=np.float64) * ctx.spec.scale * 255.0
        raw = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return raw


def _confusion(ctx: _Context) -> str:
    ev = ctx.evaluation
    path = plots.confusion_matrix(ev, ctx.classes, ctx.folder / "confusion.png")
    alt = (
        f"Confusion matrix at threshold {ev.threshold:g}: {ev.tp} true positives, "
        f"{ev.fp} false positives, {ev.tn} true negatives, {ev.fn} false negatives."
    )
    return _figure(path, alt, "Rows: the true class; columns: the predicted class.")


def _roc(ctx: _Context) -> str:
    if not ctx.both_classes:
        return _note(
            "ROC and precision–recall curves need examples of both classes; this data has one."
        )
    path = plots.roc_pr(
        ctx.y,
        ctx.probability,
        ctx.folder / "roc.png",
        threshold=ctx.model.threshold,
        logits=ctx.logits,
    )
    alt = (
        f"ROC curve (AUC {metrics.roc_auc(ctx.y, ctx.logits):.3f}) and precision–recall "
        f"curve (average precision {metrics.average_precision(ctx.y, ctx.logits):.3f}), "
        f"with the point of threshold {ctx.model.threshold:g} marked on both."
    )
    return _figure(path, alt, "The red dot is where the model's threshold puts it.")


def _history(ctx: _Context) -> str:
    if ctx.history is None:
        return _note("No training history was given.")
    keys = list(ctx.history)
    total = len(ctx.history[keys[0]]) if keys else 0
    if total == 0:
        return _note("The history has no recorded rows.")
    if total > HISTORY_TABLE_ROWS:
        index = np.unique(np.linspace(0, total - 1, HISTORY_TABLE_ROWS).round().astype(int))
        # a model file keeps at most MAX_HISTORY_ROWS rows of a longer run, evenly spaced:
        # its iterations then step unevenly (it said "of 1000 recorded rows" of 2000)
        steps = set(np.diff(np.asarray(ctx.history.get("iteration") or [], dtype=float)))
        kept = (
            f"of the {total} rows the model file keeps of a longer history (a run's --history "
            "file has every row)"
            if total >= model_meta.MAX_HISTORY_ROWS and len(steps) > 1
            else f"of {total} recorded rows"
        )
        note = _note(f"Showing {index.size} {kept}, evenly spaced (first and last included).")
    else:
        index = np.arange(total)
        note = _note(f"All {total} recorded rows.")
    rows = [[ctx.history[k][i] for k in keys] for i in index]
    # grad_norm is the largest |∂J/∂θ| (what tol is compared with), not the L2 norm
    heads = {"grad_norm": "max |gradient|"}
    table = _grid([heads.get(k, k.replace("_", " ")) for k in keys], rows)
    # every record_every-th iteration is a row: the run's own end is usually not one of them
    final = model_meta.final_point(ctx.model.training)
    recorded = ctx.history.get("iteration") or []
    if ctx.history_caveat:
        table += _note(f"Note: {ctx.history_caveat}.")
    elif final is not None and recorded and final[0] > max(recorded):
        table += _note(
            f"The run ended at iteration {final[0]:.15g} with cost {final[1]:.6g}, after the "
            "last recorded row."
        )
    return note + table


def _reproducibility(ctx: _Context) -> str:
    manifest = ctx.model.manifest if isinstance(ctx.model.manifest, dict) else {}
    rows: list[tuple[str, Any]] = [
        ("lrnn (this report)", __version__),
        ("lrnn (trained the model)", manifest.get("lrnn_version")),
        ("numpy (this report)", np.__version__),
        ("numpy (trained the model)", manifest.get("numpy_version")),
        ("python (this report)", platform.python_version()),
        ("python (trained the model)", manifest.get("python_version")),
        ("seed", manifest.get("seed")),
        ("training data sha256", manifest.get("data_sha256")),
        ("this data sha256", data_sha256(ctx.dataset.X, ctx.dataset.y)),
    ]
    out = _facts(rows)
    if manifest:
        items = sorted(manifest.items())
        out += "\n<h3>Manifest</h3>\n" + _grid(
            ["key", "value"],
            [(k, _fmt(v, limit=None)) for k, v in items],  # whole: it is what reproduces the run
            caption="As stored in the model.",
        )
    else:
        out += _note("The model has no manifest.")
    return out


_SECTION_WRITERS: dict[str, Callable[[_Context], str]] = {
    "summary": _summary,
    "data": _data,
    "metrics": _metrics,
    "learning-curve": _learning_curve,
    "weights": _weights,
    "errors": _errors,
    "confusion": _confusion,
    "roc": _roc,
    "history": _history,
    "reproducibility": _reproducibility,
}

__all__ = [
    "HISTORY_TABLE_ROWS",
    "SECTIONS",
    "write_report",
]
