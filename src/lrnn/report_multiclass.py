"""The HTML report of a softmax layer (K ≥ 3 classes).

:func:`lrnn.report.write_report` hands a K-class model here after its checks (data fits the
model, labels present, history belongs). The page has the same sections, ids and building
blocks as a two-class report — the learning curve, history and reproducibility sections are
shared — with K-class contents: per-class scores and their averages, one weight template per
class, the K × K confusion matrix, one-vs-rest ROC curves and the most confidently wrong
examples with their predicted and true classes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import files, inference, metrics, persist, plots_multiclass, report, softmax
from lrnn.after_training import training_overlap
from lrnn.data import Dataset, Preprocessing, data_sha256
from lrnn.history import write_text
from lrnn.report_html import isolated


@dataclass
class _Context:
    """What the sections read (attribute names shared with :mod:`lrnn.report`'s context)."""

    model: persist.ModelFile
    dataset: Dataset
    spec: Preprocessing | None
    X: NDArray
    y: NDArray  # class indices
    probabilities: NDArray  # (m, K)
    logits: NDArray  # (m, K): they rank where probabilities rounded to 0 or 1 and tied
    scores: metrics.ClassEvaluation
    classes: tuple[str, ...]
    history: dict[str, list] | None
    folder: Path
    extra_facts: dict[str, str]
    history_caveat: str | None = None  # as lrnn.report's: the history may be another run's

    @property
    def is_image(self) -> bool:
        return self.spec is not None and self.spec.kind == "image" and bool(self.spec.image_shape)

    @functools.cached_property
    def aucs(self) -> NDArray:
        """Each class's one-vs-rest ROC AUC (NaN where undefined)."""
        return metrics.one_vs_rest_aucs(self.y, softmax.log_softmax(self.logits))

    @property
    def macro_auc(self) -> float:
        return metrics.macro_auc(self.aucs)

    def feature_names(self) -> list[str]:
        names = self.model.feature_names or (
            list(self.spec.feature_names) if self.spec and self.spec.feature_names else None
        )
        return names or report.numbered_features(self.X.shape[1], self.spec)


def write(
    name: str,
    model: persist.ModelFile,
    dataset: Dataset,
    spec: Preprocessing | None,
    X: NDArray,
    y: NDArray,
    history: dict[str, list] | None,
    title: str,
    extra_facts: Mapping[str, str] | None,
    history_caveat: str | None = None,
) -> Path:
    """Score the layer on (X, y) and write the page to ``name`` (already checked writable)."""
    scale = spec.scale if spec is not None else float(model.preprocessing.get("scale", 1.0))
    z = inference.logits(model.w, model.b, X, scale, inference.row_namer(dataset))
    classes = tuple(str(c) for c in model.classes)
    page = report._Page(title)
    with files.scratch_folder("lrnn-report-") as tmp:
        ctx = _Context(
            model=model,
            dataset=dataset,
            spec=spec,
            X=X,
            y=y,
            probabilities=softmax.softmax(z).astype(np.float64),
            logits=np.asarray(z, dtype=np.float64),
            scores=metrics.evaluate_softmax(z, y, classes),
            classes=classes,
            history=history,
            folder=Path(tmp),
            extra_facts=dict(extra_facts or {}),
            history_caveat=history_caveat,
        )
        for section_id, heading in report.SECTIONS:
            heading = _LAYER_HEADINGS.get(section_id, heading)
            page.section(section_id, heading, _WRITERS[section_id](ctx))
    write_text(name, page.render(), "report")
    return Path(name)


#: Headings that read otherwise for a layer of K neurons: each looks for its own class, and
#: its curves are one-vs-rest ROC only (no precision–recall curves).
_LAYER_HEADINGS = {
    "weights": "What each neuron looks for",
    "roc": "ROC, one class against the rest",
}


# --------------------------------------------------------------------------------------------
# Sections


def _summary(ctx: _Context) -> str:
    model = ctx.model
    K = len(ctx.classes)
    rows: list[tuple[str, Any]] = [
        ("kind", f"a softmax layer of {K} neurons, one per class"),
        ("classes", " · ".join(map(isolated, ctx.classes))),
        ("decision", "the class with the largest probability"),
        ("features", ctx.X.shape[1]),
        ("biases b", ", ".join(f"{v:.4g}" for v in np.asarray(model.b, dtype=np.float64))),
    ]
    training = model.training if isinstance(model.training, dict) else {}
    for key, value in training.items():
        label = report._TRAINING_LABELS.get(key, key.replace("_", " "))
        rows.append((label, report._training_value(key, value)))
    rows.append(("preprocessing", report._describe_preprocessing(ctx.spec)))
    rows.extend((str(k), str(v)) for k, v in ctx.extra_facts.items())
    return report._facts(rows)


def _data(ctx: _Context) -> str:
    ds, m = ctx.dataset, ctx.y.size
    counts = np.bincount(ctx.y, minlength=len(ctx.classes))
    digest = data_sha256(ds.X, ds.y)
    same = training_overlap(ctx.model, ds, digest)
    balance = " · ".join(
        f"{isolated(c)}: {int(k)} ({report._pct(int(k), m)})"
        for c, k in zip(ctx.classes, counts, strict=True)
    )
    rows = [
        ("source", ds.source),
        ("examples", m),
        ("class balance", balance),
        ("data sha256", digest),
        ("same as the training data?", same),
    ]
    return report._facts(rows)


def _metrics(ctx: _Context) -> str:
    s = ctx.scores
    top = report._facts(
        [
            ("examples", s.n),
            ("accuracy", f"{100 * s.accuracy:.2f} %" if s.n else "—"),
            ("log loss", s.log_loss),
            ("ROC AUC (each class against the rest, macro average)", ctx.macro_auc),
        ]
    )
    rows = [
        [c, r["precision"], r["recall"], r["f1"], r["support"]] for c, r in s.per_class().items()
    ]
    rows += [
        [f"{k} average", r["precision"], r["recall"], r["f1"], s.n] for k, r in s.averages().items()
    ]
    table = report._grid(
        ["class", "precision", "recall", "F1", "support"], rows, caption="Scores of each class."
    )
    return (
        top
        + "\n"
        + table
        + report._note(
            "Macro: every class counts once; weighted: by its number of examples. A class never "
            "predicted has precision 0, one without examples recall 0; a class that is neither "
            "among the examples nor predicted has — and is left out of the averages."
        )
    )


def _weights(ctx: _Context) -> str:
    W = np.asarray(ctx.model.w, dtype=np.float64)
    if ctx.is_image:
        assert ctx.spec is not None and ctx.spec.image_shape is not None
        path = plots_multiclass.class_templates(
            W, ctx.spec.image_shape, ctx.classes, ctx.folder / "templates.png"
        )
        colour = ctx.spec.image_shape[2] == 3
        caption = (
            "Each class's weights as a colour picture, mid-grey where a weight is 0: where a "
            "panel is red, green or blue, that colour in a picture raises the class's score."
            if colour
            else "Each class's weights as a picture: red pixels raise that class's score when "
            "bright, blue ones lower it."
        )
        return report._figure(
            path, f"One weight picture per class, {len(ctx.classes)} panels.", caption
        )
    if ctx.spec is not None and ctx.spec.kind == "text":
        from lrnn import text_report

        return text_report.weights_section(ctx, report._figure, report._grid)
    names = ctx.feature_names()
    rows = []
    for k, c in enumerate(ctx.classes):
        order = np.argsort(-np.abs(W[:, k]), kind="stable")[:3]
        rows.append([c, *(f"{isolated(names[i])} ({W[i, k]:+.3g})" for i in order)])
    return report._grid(
        ["class", "strongest weight", "second", "third"],
        rows,
        caption="The features that move each class's score most (weight in brackets).",
    )


def _errors(ctx: _Context) -> str:
    p, y = ctx.probabilities, ctx.y
    chosen = plots_multiclass.most_confident_errors(y, p, report.ERROR_ROWS, logits=ctx.logits)
    if chosen.size == 0:
        return report._note("Every example is classified correctly.")
    names = ctx.dataset.names
    out = ""
    if ctx.is_image:
        path = plots_multiclass.error_gallery(
            report._pictures(ctx),
            y,
            p,
            ctx.classes,
            ctx.folder / "errors.png",
            k=report.ERROR_ROWS,
            logits=ctx.logits,
        )
        if path is not None:
            out = report._figure(
                path,
                f"The {chosen.size} most confidently wrong pictures.",
                "Each picture with its true class and the class the model said.",
            )
    rows = [
        [
            report._name(names, int(i)),
            ctx.classes[int(y[i])],
            float(p[i, y[i]]),
            ctx.classes[int(np.argmax(p[i]))],
            float(np.max(p[i])),
        ]
        for i in chosen
    ]
    header = ["example", "true class", "its probability", "predicted class", "its probability"]
    docs = ctx.dataset.documents
    if docs:  # text: the start of each document instead of a picture
        from lrnn.text_report import snippet

        header.append("text")
        for row, i in zip(rows, chosen, strict=True):
            row.append(snippet(docs[int(i)]) if int(i) < len(docs) else "—")
    return out + report._grid(
        header,
        rows,
        caption="Most confidently wrong first: the lowest probability of the true class first.",
    )


def _confusion(ctx: _Context) -> str:
    path = plots_multiclass.confusion_matrix(
        ctx.scores.confusion, ctx.classes, ctx.folder / "confusion.png"
    )
    table = report._grid(
        ["true \\ predicted", *ctx.classes],
        [[c, *map(int, row)] for c, row in zip(ctx.classes, ctx.scores.confusion, strict=True)],
    )
    return (
        report._figure(
            path,
            f"{len(ctx.classes)} × {len(ctx.classes)} confusion matrix, accuracy "
            f"{100 * ctx.scores.accuracy:.1f} %.",
            "Rows: the true class; columns: the predicted class; colour: share of the row.",
        )
        + table
    )


def _roc(ctx: _Context) -> str:
    path = plots_multiclass.roc_one_vs_rest(
        ctx.y, ctx.probabilities, ctx.classes, ctx.folder / "roc.png", logits=ctx.logits
    )
    counts = np.bincount(ctx.y, minlength=len(ctx.classes))
    rows = [[c, auc, int(k)] for c, auc, k in zip(ctx.classes, ctx.aucs, counts, strict=True)] + [
        ["macro average", ctx.macro_auc, ctx.y.size]
    ]
    table = report._grid(
        ["class", "ROC AUC", "examples"],
        rows,
        caption="Each class against all the others; a class with no examples here, or with "
        "nothing but its own, has no curve and no AUC (—).",
    )
    return (
        report._figure(
            path,
            f"One-vs-rest ROC curves for {len(ctx.classes)} classes.",
            "Each class against all the others, scored by its probability.",
        )
        + table
    )


_WRITERS: dict[str, Callable[[Any], str]] = {
    "summary": _summary,
    "data": _data,
    "metrics": _metrics,
    "learning-curve": report._learning_curve,
    "weights": _weights,
    "errors": _errors,
    "confusion": _confusion,
    "roc": _roc,
    "history": report._history,
    "reproducibility": report._reproducibility,
}
