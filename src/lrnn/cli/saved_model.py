"""A saved model with its preprocessing, as the commands that score data read it: the options
that change how the data are read (``--encoding``, ``--text-column``) applied once, here."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from lrnn.cli.train_lines import say_if_encoding_is_unused
from lrnn.errors import UsageError


def load_model_and_spec(
    path: str,
    encoding: str | None = None,
    text_column: str | None = None,
    data_paths: Sequence[str] = (),
):
    """The model and its preprocessing, with --encoding (documents', CSV tables') and
    --text-column (a model of a folder of files scores a CSV's column too) applied; an
    --encoding that none of ``data_paths`` (the data to be scored) would be read in is said."""
    from dataclasses import replace

    from lrnn import persist
    from lrnn.data.text import model_spec, settings

    model = persist.load_model(path)
    spec = model_spec(model, path)  # a text model's vectorizer comes attached
    if text_column is not None and spec.text is None:
        raise UsageError(
            f"--text-column names a table's column of documents for a text model; {path} is "
            f"a model of {spec.kind} data — drop --text-column."
        )
    known = encoding and settings(encoding=encoding)["encoding"]
    if known and spec.text is not None:  # a text model's documents
        spec = replace(spec, text={**spec.text, "encoding": known})
    elif known and spec.kind == "table":  # its CSV files (a Parquet file's text is UTF-8)
        spec = replace(spec, encoding=known)
        if data_paths:
            say_if_encoding_is_unused(known, spec.kind, data_paths)
    elif known:  # refused for --text-column; said, not ignored, here
        warnings.warn(
            f"--encoding reads documents and CSV tables; {path} is a model of {spec.kind} "
            "data, so it is ignored — drop it.",
            stacklevel=3,
        )
    if text_column is not None:
        spec = spec.with_text_column(text_column)
    request = (model.manifest or {}).get("request")
    dropped = request.get("drop") if isinstance(request, dict) else None
    if isinstance(dropped, list) and all(isinstance(c, str) for c in dropped):
        spec = replace(spec, dropped=tuple(dropped))  # columns training was told to leave out
    return model, spec


def logits(w: np.ndarray, b: float, ds, scale: float) -> np.ndarray:
    from lrnn import run

    return run.logits(w, b, ds, scale)
