"""What ``lrnn serve`` shows next to a verdict when asked to explain it (``?explain=1``).

For a picture: the picture as the model sees it and a heat map of each pixel's share of the
logit (scale · w · x), both as PNG data URIs, so the page carries no weights and does no image
processing. For a table row: each column's share. For a document: the words that moved its
logit most.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from lrnn import inference


def explanations(predictor: inference.Predictor, ds: Any) -> list[dict]:
    """Per example: the logit, and either the two pictures (images) or contributions (tables).

    The heat map colours each pixel by Σ_channels scale · w · x, red where it pushed towards
    the positive class (for a softmax layer: towards the predicted class, with its column of
    W), blue away from it, white where it did not matter; the colour scale is each picture's
    own largest magnitude (reported as ``heatmap_max``).
    """
    if predictor.spec.kind == "text":
        return _word_explanations(predictor, ds)
    explained = predictor.explained_classes(ds)
    contributions, bias = predictor.contributions(ds, explained)
    logits = contributions.sum(axis=1) + bias
    classes = predictor.model.classes
    out = []
    for i, z in enumerate(logits):
        item: dict[str, Any] = {
            "class": classes[int(explained[i])],
            "logit": float(z),
            "bias": float(bias[i]),
        }
        if predictor.spec.kind == "image":
            h, w, c = predictor.spec.image_shape  # type: ignore[misc]
            heat = contributions[i].reshape(h, w, c).sum(axis=2)
            peak = float(np.max(np.abs(heat)))
            item["input_png"] = _png_uri(ds.raw_images[i])
            item["heatmap_png"] = _png_uri(_diverging(heat / peak if peak > 0 else heat))
            item["heatmap_max"] = peak
        else:
            names = predictor.model.feature_names or predictor.spec.numbered_features(
                predictor.n_features
            )
            item["contributions"] = [
                [name, float(v)] for name, v in zip(names, contributions[i], strict=True)
            ]
        out.append(item)
    return out


#: Words listed per explained document (the largest contributions to its logit).
EXPLAINED_WORDS = 20


def _word_explanations(predictor: inference.Predictor, ds: Any) -> list[dict]:
    """Per document: the logit of the class explained and the words (terms) that moved it
    most, each as ``[term, w·x]`` — the text model's heat map."""
    from lrnn.data.text import term_name

    model = predictor.model
    w = np.asarray(model.w, dtype=np.float64)
    explained = predictor.explained_classes(ds)
    X = ds.X.tocsr()
    scale = predictor.spec.scale
    names = model.feature_names
    out = []
    for i in range(X.shape[0]):
        k = int(explained[i])
        column = w if w.ndim == 1 else w[:, k]
        bias = float(model.b) if w.ndim == 1 else float(np.asarray(model.b)[k])
        start, stop = X.indptr[i], X.indptr[i + 1]
        terms, values = (
            X.indices[start:stop],
            scale * column[X.indices[start:stop]] * X.data[start:stop],
        )
        order = np.argsort(-np.abs(values), kind="stable")[:EXPLAINED_WORDS]
        out.append(
            {
                "class": model.classes[k],
                "logit": float(values.sum() + bias),
                "bias": bias,
                "contributions": [
                    [term_name(names, int(terms[j])), float(values[j])] for j in order
                ],
            }
        )
    return out


def _diverging(v: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] → RGB: blue (−1) through white (0) to red (+1)."""
    pos, neg = np.clip(v, 0, 1), np.clip(-v, 0, 1)
    rgb = np.stack([1 - neg, 1 - np.abs(v), 1 - pos], axis=-1)
    return np.rint(rgb * 255).astype(np.uint8)


def _png_uri(pixels: np.ndarray) -> str:
    from PIL import Image

    img = pixels[:, :, 0] if pixels.ndim == 3 and pixels.shape[2] == 1 else pixels
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(img)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
