"""Table columns a training run leaves out (``--drop``), and columns that number the rows
(an ID, a row number) that it should: trained on, such a column lets a model predict from where
a row sits in the file."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from lrnn.data.checks import quoted
from lrnn.errors import DataError, UsageError, closest, user_stacklevel

#: A column named like this, of distinct whole numbers, identifies rows rather than describing
#: them: "id", "row_id", "PatientID", "customerId", "index".
_ID_NAME = re.compile(r"(^|[^a-zA-Z])(id|index|row|rownum)$", re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z](ID|Id)$")  # case matters here: "valid" is no ID


def say_if_a_column_numbers_the_rows(ds: Any) -> None:
    """A table column of distinct whole numbers that runs in order, or is named like an ID,
    numbers the rows: trained on, it lets the model predict from a row's position (a file
    sorted by class makes it the best "feature"). Said once, with ``--drop`` as the way out.
    All columns at once: a loop per column took seconds on a table of 20,000 columns."""
    import shlex

    names = ds.spec.feature_names if ds.spec.kind == "table" else None
    m = ds.X.shape[0]
    if not names or m < 20:
        return
    X = np.asarray(ds.X)  # the file's own values: training standardizes after this look
    whole = np.all(np.abs(X - np.round(X)) <= 1e-6, axis=0)
    if not whole.any():
        return
    steps = np.diff(np.round(X[:, whole]), axis=0)
    in_order = np.zeros(len(names), dtype=bool)
    in_order[whole] = np.all(steps > 0, axis=0) | np.all(steps < 0, axis=0)
    for j in np.flatnonzero(whole):
        name = names[j]
        named_as_id = (_ID_NAME.search(name) or _CAMEL_ID.search(name)) is not None
        distinct = in_order[j] or (named_as_id and np.unique(X[:, j]).size == m)
        if distinct:
            warnings.warn(
                f"{ds.source}: column {name!r} holds a different whole number on every row"
                f"{' and runs in order' if in_order[j] else ''}, as a row number or an ID does; "
                f"trained on, it lets the model predict from where a row sits in the file — "
                f"leave it out with --drop {shlex.quote(name)}.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
            return


def kept_columns(
    names: Sequence[str], label: str | None, drop: Sequence[str], source: str
) -> list[str]:
    """The feature columns ``names`` without those named in ``drop`` (``--drop``): an ID or a
    row number that would otherwise be trained on as a feature. The label, a name the table
    lacks, and dropping every feature are refused. The table reader calls this before it looks
    at the values: a column of text IDs is what --drop is for."""
    if label in drop:
        raise UsageError(
            f"--drop {label!r}: that is the label column, which is never trained on as a "
            "feature; drop only feature columns."
        )
    missing = [c for c in drop if c not in names]
    if missing:
        hint = closest(missing[0], names) or "."
        raise DataError(
            f"{source}: --drop names {quoted(missing)}, which the table's feature columns "
            f"({quoted(names)}) do not hold; check the name{hint}"
        )
    kept = [c for c in names if c not in drop]
    if not kept:
        raise UsageError(f"--drop leaves {source} no feature column; keep at least one.")
    return kept


def without_columns(ds: Any, drop: Sequence[str]) -> Any:
    """``ds`` without the table columns named in ``drop`` (see :func:`kept_columns`); data
    other than a table has no columns to leave out."""
    from dataclasses import replace

    names = list(ds.spec.feature_names or ()) if ds.spec.kind == "table" else []
    if not names:
        raise UsageError(
            f"--drop leaves out columns of a table; {ds.source} is {ds.spec.kind} data — "
            "drop the option."
        )
    kept = set(kept_columns(names, ds.spec.label_column, drop, ds.source))
    columns = [j for j, c in enumerate(names) if c in kept]
    spec = replace(ds.spec, feature_names=tuple(names[j] for j in columns))
    return replace(ds, X=np.ascontiguousarray(ds.X[:, columns]), spec=spec)


#: A number written for people: thousands separators, a decimal comma, a currency sign, a
#: percent sign ("1,234.5", "3,5", "$12", "45%"): numbers to the eye, text to a reader of numbers
#: (a date 2020.01.05 or an address 192.168.0.1 is none of them).
_FORMATTED_NUMBER = re.compile(
    r"^\s*[-+(]?\s*(?:[$€£¥]\s?)?-?"
    r"(?:\d{1,3}(?:[,' ]\d{3})+(?:\.\d+)?|\d{1,3}(?:[.' ]\d{3})+,\d+|\d+,\d+|\d+(?:\.\d+)?)"
    r"\s?%?\)?\s*$"
)


def _formatted(value: str) -> bool:
    """A number written with a separator or a sign (plain "12.5" is read, so never asked)."""
    return bool(_FORMATTED_NUMBER.match(value)) and any(c in value for c in ",'$€£¥% ()")


def check_numeric(df: Any, source: str, features: Sequence[str]) -> None:
    """Refuse the first feature column that holds something other than numbers, with the way
    out its values point to: a few placeholders among numbers ('?', '-') are rows to fill in
    or drop, numbers written with separators or signs are to be saved plain, and only a column
    of words is one to drop or encode (a lone '?' was told to train a text model on it)."""
    import pandas as pd

    from lrnn.data.checks import FEW, clip, is_float

    for c in features:
        col = df[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_complex_dtype(col):
            continue
        try:
            bad = (pd.to_numeric(col, errors="coerce").isna() & col.notna()).to_numpy()
        except (OverflowError, TypeError, ValueError):  # e.g. an integer too big for a float
            bad = col.notna().to_numpy() & np.array([not is_float(v) for v in col], dtype=bool)
        # Parquet decimals, nulls (said later), numbers stored as text (pandas 3 reads a
        # Parquet text column as its own string dtype, not object: they were "non-numeric")
        if (col.dtype == object or pd.api.types.is_string_dtype(col)) and not bad.any():
            continue
        row = int(bad.argmax()) if bad.any() else 0  # dates, times: not numbers to train on
        odd = [str(v) for v in col[bad][:50]]
        numbers = np.flatnonzero(~bad & col.notna().to_numpy())
        if odd and numbers.size and {v.strip().lower() for v in odd} <= {"true", "false"}:
            row = int(numbers[0])  # the odd one out is the number (pandas reads TRUE/FALSE)
            raise DataError(
                f"{source}: column '{c}' mixes TRUE/FALSE with numbers ('{clip(col.iloc[row])}' "
                f"in row {row + 1}); write the column one way: all TRUE/FALSE, or all 1/0."
            )
        if odd and all(_formatted(v.strip()) for v in odd):
            fix = (
                "numbers written with separators, a decimal comma or a sign ($, %) are text "
                "to lrnn: save them as plain numbers (1234.5)"
            )
        elif bad.any() and int(bad.sum()) <= FEW * int(col.notna().sum()):
            fix = (
                f"{int(bad.sum())} such value(s) among numbers: fill them in with numbers, or "
                "drop those rows"
            )
        else:
            fix = (
                "features must be numeric — drop or encode that column (if it holds "
                f"documents, train a text model on them: lrnn train --text-column '{c}')"
            )
        raise DataError(
            f"{source}: column '{c}' has non-numeric value '{clip(col.iloc[row])}' "
            f"(row {row + 1}); {fix}."
        )
