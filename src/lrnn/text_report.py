"""The report's sections for text models: what the neuron looks for is a list of words.

For a text model the weights picture is the terms with the largest positive weights (pushing
towards the positive class) and the largest negative ones (pushing away), as a bar chart and a
table — for a softmax layer, those of each class; the most confidently wrong examples are shown
as the start of each document. Used by
:mod:`lrnn.report`, which passes in its own HTML helpers so the page looks the same throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lrnn import plots
from lrnn.data.text import term_name
from lrnn.report_html import isolated

#: Terms shown on each side (positive and negative).
TOP_TERMS = 15
#: Terms per class in a softmax layer's picture and table (K panels share the page).
CLASS_TERMS = 8
#: What a hashing model's tables say (it keeps no vocabulary).
HASHED_NOTE = " The model hashes its terms, so it shows columns."


def top_terms(
    w: np.ndarray, names: Sequence[str] | None, k: int = TOP_TERMS
) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """The k most positive and k most negative (term, weight) pairs, strongest first."""
    order = np.argsort(w, kind="stable")
    positive = [(term_name(names, j), float(w[j])) for j in order[::-1][:k] if w[j] > 0]
    negative = [(term_name(names, j), float(w[j])) for j in order[:k] if w[j] < 0]
    return positive, negative


def class_terms(
    W: np.ndarray, names: Sequence[str] | None, classes: Sequence[str], k: int = TOP_TERMS
) -> list[tuple[str, list[tuple[str, float]], list[tuple[str, float]]]]:
    """A softmax layer's words, class by class: (class, the k terms whose weights raise its
    score most, the k that lower it most) from each column of W (features, K)."""
    return [(str(c), *top_terms(W[:, j], names, k)) for j, c in enumerate(classes)]


def weights_section(ctx: Any, figure: Callable[..., str], grid: Callable[..., str]) -> str:
    """Bar chart and table of the top positive and negative terms (per class for K ≥ 3)."""
    w = np.asarray(ctx.model.w, dtype=np.float64)
    if w.ndim == 2:
        return _class_weights_section(ctx, w, figure, grid)
    positive, negative = top_terms(w, ctx.model.feature_names)
    classes = ctx.classes
    path = plots.top_terms(positive, negative, ctx.folder / "terms.png", classes=classes)
    alt = (
        f"The {len(positive)} words with the largest positive weights (towards "
        f"'{isolated(classes[1])}') and the {len(negative)} with the most negative (towards "
        f"'{isolated(classes[0])}')."
    )
    rows = [(t, v, classes[1]) for t, v in positive] + [(t, v, classes[0]) for t, v in negative]
    note = "" if ctx.model.feature_names else HASHED_NOTE
    note += _boxes_note([t for t, _ in positive + negative])
    table = grid(
        ["term", "weight", "its presence pushes towards"],
        rows,
        caption=f"The strongest terms of {w.size} (weights per unit of TF-IDF).{note}",
    )
    return figure(path, alt, "What the neuron looks for: its strongest words.") + table


def _class_weights_section(
    ctx: Any, W: np.ndarray, figure: Callable[..., str], grid: Callable[..., str]
) -> str:
    per_class = class_terms(W, ctx.model.feature_names, ctx.classes, CLASS_TERMS)
    from lrnn import plots_multiclass

    path = plots_multiclass.class_terms(per_class, ctx.folder / "terms.png")
    alt = f"For each of the {len(per_class)} classes, the words that raise its score most."
    rows = [
        (c, ", ".join(t for t, _ in positive), ", ".join(t for t, _ in negative))
        for c, positive, negative in per_class
    ]
    note = "" if ctx.model.feature_names else HASHED_NOTE
    note += _boxes_note([t for _, pos, neg in per_class for t, _ in pos + neg])
    table = grid(
        ["class", "words that raise its score most", "words that lower it most"],
        rows,
        caption=f"The strongest of {W.shape[0]} terms per class, strongest first.{note}",
    )
    return figure(path, alt, "What each neuron of the layer looks for: its strongest words.") + (
        table
    )


def _boxes_note(terms: Sequence[str]) -> str:
    """Said under the table where the chart above it cannot draw some of its words."""
    if not plots.undrawable(terms):
        return ""
    return (
        " Some of these words are in letters the fonts on this machine lack, so the chart "
        "shows them as boxes; this table spells them out."
    )


def errors_section(ctx: Any, chosen: np.ndarray, wrong: int, grid: Callable[..., str]) -> str:
    """The most confidently wrong documents, each with the start of its text."""
    docs = ctx.dataset.documents or []
    positive = isolated(ctx.classes[1])
    rows = []
    for i in chosen:
        text = snippet(docs[i]) if i < len(docs) else "—"
        name = ctx.dataset.names[i] if i < len(ctx.dataset.names) else f"#{i}"
        rows.append((name, ctx.classes[int(ctx.y[i])], float(ctx.probability[i]), text))
    return grid(
        ["document", "true class", f"P({positive})", "text"],
        rows,
        caption=f"The {len(rows)} most confidently wrong of {wrong} misclassified documents.",
    )


def snippet(text: str, length: int = 200) -> str:
    """The start of a document on one line (escaped later by the report's table)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"
