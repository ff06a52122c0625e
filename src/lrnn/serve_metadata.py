"""What ``lrnn serve`` says about its model at ``GET /metadata``: built once, when the server
starts, from the model file and the server's limits (:mod:`lrnn.serve` serves it)."""

from __future__ import annotations

import os

from lrnn import inference
from lrnn._version import __version__
from lrnn.errors import finite_json


def describe(
    predictor: inference.Predictor, max_body_bytes: int, max_images: int, max_answer_bytes: int
) -> dict:
    """What ``GET /metadata`` answers: the model, what ``POST /predict`` takes and returns,
    and every limit a request can meet."""
    model, spec = predictor.model, predictor.spec
    layer = len(model.classes) > 2
    record = '{"predictions": [{' + ", ".join(f'"{k}"' for k in inference.RECORD_KEYS) + "}, ...]}"
    # ?name= names a raw picture: a model of other data refuses it, so it is not offered
    options = ["name=<raw image name>", "explain=1"] if spec.kind == "image" else ["explain=1"]
    if layer:
        returns = (
            f"{record}; label is the most probable class, probability its probability, "
            "probabilities every class's"
        )
    else:
        returns = f"{record}; probability is P(positive_class)"
        options = ["threshold=<0..1>", *options]
    if spec.kind == "image":
        takes = "an image (raw body or multipart/form-data upload of one or more images)"
    elif spec.kind == "text":
        takes = 'text/plain, one document per line, or JSON {"documents": ["...", ...]}'
    else:
        takes = (
            'JSON {"rows": [[...], ...]}, {"rows": [{"feature": ...}, ...]} or '
            '{"columns": {"feature": [...], ...}}'
            if model.feature_names
            else 'JSON {"rows": [[...], ...]} (this model has no feature names to match)'
        )
    return finite_json(
        {
            "model": os.path.basename(predictor.source),
            "lrnn_version": __version__,
            "kind": spec.kind,
            "classes": list(model.classes),
            # a softmax layer has neither: it predicts the most probable class
            "positive_class": None if layer else model.classes[1],
            "threshold": None if layer else model.threshold,
            "n_features": predictor.n_features,
            "feature_names": model.feature_names,
            "image_shape": None if spec.image_shape is None else list(spec.image_shape),
            "preprocessing": spec.to_dict(),
            "training": model.training,
            "manifest": model.manifest,
            "predict": {
                "takes": takes,
                "returns": returns,
                "options": options,
            },
            "limits": _limits(spec.kind, max_body_bytes, max_images, max_answer_bytes),
        }
    )


def _limits(
    kind: str, max_body_bytes: int, max_images: int, max_answer_bytes: int
) -> dict[str, int]:
    """Every limit a request to this model can meet, so a client can split its work before it
    is refused (each is also named in the error that enforces it)."""
    from lrnn.data import limits

    out = {"max_body_bytes": max_body_bytes, "max_answer_bytes": max_answer_bytes}
    if kind == "image":
        out |= {"max_images": max_images, "max_image_pixels": limits.MAX_IMAGE_PIXELS}
    elif kind == "text":
        out |= {
            "max_documents": inference.MAX_DOCUMENTS_PER_REQUEST,
            "max_document_bytes": limits.MAX_DOCUMENT_BYTES,
        }
    else:
        out |= {"max_rows": inference.MAX_ROWS_PER_REQUEST}
    return out
