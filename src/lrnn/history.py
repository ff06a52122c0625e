"""History files: the record of a training run (cost, accuracy, … per recorded iteration) as
CSV or JSON.

:func:`save_history` / :func:`load_history` move a training history (the column dict kept by
:class:`Records`) through CSV or JSON files; the reader treats the file as untrusted
(size limits, numbers only, equal column lengths) and fails with a one-line
:class:`~lrnn.errors.DataError`. :func:`columns_of` is the same check for a history handed over
in code (the report uses it).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lrnn import files
from lrnn.config import PRINT_EVERY
from lrnn.errors import DataError, LrnnError, UsageError


class Records(dict):
    """Column-oriented history: ``history["cost"][k]`` belongs to ``history["iteration"][k]``."""

    def append(self, row: dict[str, float]) -> None:
        for key, value in row.items():
            column = self.get(key)  # not setdefault: it would build a list for every value
            if column is None:
                self[key] = [value]
            else:
                column.append(value)

    def rows(self) -> list[dict[str, float]]:
        keys = list(self)
        return [dict(zip(keys, values, strict=True)) for values in zip(*self.values(), strict=True)]


#: Largest history file read, in bytes (a million rows of eight columns is ~100 MB of CSV;
#: lrnn's own histories are far smaller).
MAX_HISTORY_BYTES = 128 * 2**20
#: Most columns a history file may have.
MAX_HISTORY_COLUMNS = 64
#: Longest column name accepted in a history file.
MAX_KEY_CHARS = 100
HISTORY_SUFFIXES = (".csv", ".json")
REQUIRED_HISTORY_KEYS = ("iteration", "cost")
#: Every column a training history has (:meth:`lrnn.train` records them): a file with any
#: other is not one lrnn wrote, and is not replaced as if it were.
VALIDATION_COLUMNS = ("val_loss", "val_accuracy")
HISTORY_COLUMNS = (
    *REQUIRED_HISTORY_KEYS,
    *("loss", "accuracy", "grad_norm", "learning_rate", *VALIDATION_COLUMNS),
)


def save_history(history: Mapping[str, Sequence[float]], path: str | os.PathLike) -> Path:
    """Write a training history as CSV (header of keys, one row per record) or JSON
    (``{"key": [values]}``), chosen by the file's extension; atomically.

    Non-finite values survive a CSV round trip (``nan``, ``inf``); JSON has no such numbers,
    so they become ``null`` and read back as NaN.
    """
    name = os.fspath(path)
    suffix = Path(name).suffix.lower()
    if suffix not in HISTORY_SUFFIXES:
        raise UsageError(
            f"{name}: a history file ends in .csv or .json, not {suffix or '(no suffix)'!r}; "
            "rename it, e.g. history.csv."
        )
    columns = columns_of(history, name, error=UsageError)
    missing = [key for key in REQUIRED_HISTORY_KEYS if key not in columns]
    if missing:  # load_history would refuse the file: say so before writing it
        raise UsageError(
            f"{name}: a history needs the columns {' and '.join(map(repr, missing))} "
            "(load_history reads only files with them); add them, e.g. "
            "history['iteration'] = list(range(len(history['cost'])))."
        )
    files.check_writable(name)
    if suffix == ".json":
        obj = {
            key: [v if key == "iteration" or math.isfinite(v) else None for v in values]
            for key, values in columns.items()
        }
        text = json.dumps(obj, allow_nan=False) + "\n"
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(list(columns))
        for row in zip(*columns.values(), strict=True):
            writer.writerow([repr(v) for v in row])
        text = out.getvalue()
    write_text(name, text, "history")
    return Path(name)


def load_history(path: str | os.PathLike) -> dict[str, list]:
    """Read a history written by :func:`save_history` (or any CSV/JSON of the same shape).

    Returns ``{key: list}`` with ``iteration`` as ints and everything else as floats. Refuses,
    with one line naming the file and the fix: a missing or oversized file, text that is not
    CSV/JSON, non-numeric values, columns of unequal length, and histories without
    ``iteration`` and ``cost``.
    """
    name = os.fspath(path)
    p = Path(name)
    suffix = p.suffix.lower()
    if suffix not in HISTORY_SUFFIXES:
        raise DataError(
            f"{name}: a history file ends in .csv or .json, not {suffix or '(no suffix)'!r}; "
            "give the file written by --history."
        )
    try:
        size = p.stat().st_size
    except FileNotFoundError as e:
        raise DataError(f"{name}: no such file; check the path.") from e
    except OSError as e:
        raise DataError(f"{name}: cannot read ({e.strerror or e}).") from e
    if p.is_dir():
        raise DataError(f"{name}: is a folder; give the history file.")
    if size > MAX_HISTORY_BYTES:
        raise DataError(
            f"{name}: {size} bytes is more than the {MAX_HISTORY_BYTES // 2**20} MiB a history "
            "may have; record less often (--record-every) or give the right file."
        )
    try:
        with open(name, "rb") as f:
            raw = f.read(MAX_HISTORY_BYTES + 1)
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"{name}: is not UTF-8 text; give a CSV or JSON history file.") from e
    except OSError as e:
        raise DataError(f"{name}: cannot read ({e.strerror or e}).") from e
    raw_columns = _parse_json(name, text) if suffix == ".json" else _parse_csv(name, text)
    columns = columns_of(raw_columns, name, error=DataError)
    missing = [k for k in REQUIRED_HISTORY_KEYS if k not in columns]
    if missing:
        raise DataError(
            f"{name}: the history has no {' or '.join(map(repr, missing))} column (it has "
            f"{', '.join(map(repr, columns)) or 'none'}); give a history written by lrnn."
        )
    return {key: list(values) for key, values in columns.items()}


def _parse_csv(name: str, text: str) -> dict[str, list[Any]]:
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows, None)
        if header is None or not any(cell.strip() for cell in header):
            raise DataError(f"{name}: the file is empty; give a history written by lrnn.")
        keys = [cell.strip() for cell in header]
        columns: dict[str, list[Any]] = {}
        for key in keys:
            if key in columns:
                raise DataError(f"{name}: the column {key!r} appears twice in the header.")
            columns[key] = []
        _check_keys(name, keys)
        for line_no, row in enumerate(rows, start=2):
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line (a trailing newline, say)
            if len(row) != len(keys):
                raise DataError(
                    f"{name}: line {line_no} has {len(row)} values but the header has "
                    f"{len(keys)} columns; the file is truncated or not a history — give a history "
                    "written by lrnn."
                )
            for key, cell in zip(keys, row, strict=True):
                columns[key].append(cell.strip())
    except csv.Error as e:
        raise DataError(f"{name}: is not valid CSV ({e}); give a history written by lrnn.") from e
    return columns


def _parse_json(name: str, text: str) -> dict[str, list[Any]]:
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise DataError(f"{name}: is not valid JSON; give a history written by lrnn.") from e
    if not isinstance(obj, dict) or not all(isinstance(v, list) for v in obj.values()):
        raise DataError(
            f'{name}: a JSON history is an object of lists, {{"iteration": [...], "cost": '
            "[...]}; this file holds something else — give a history written by lrnn."
        )
    _check_keys(name, list(obj))
    return obj


def _check_keys(name: str, keys: Sequence[str]) -> None:
    if len(keys) > MAX_HISTORY_COLUMNS:
        raise DataError(
            f"{name}: {len(keys)} columns is more than the {MAX_HISTORY_COLUMNS} a history may "
            "have; give a history written by lrnn."
        )
    for key in keys:
        if not key or len(key) > MAX_KEY_CHARS:
            raise DataError(
                f"{name}: column name {key[:40]!r} is empty or longer than {MAX_KEY_CHARS} "
                "characters; give a history written by lrnn."
            )


#: The way out of a malformed history (a file, or one passed in code).
_HISTORY_FIX = "use the history that training recorded (lrnn train --history)"


def _number(value: Any, key: str, index: int, name: str, error: type[Exception]) -> float:
    """One history value as a float: numbers, numeric strings and null (→ NaN) only."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise error(f"{name}: {key}[{index}] is {value!r}, not a number; {_HISTORY_FIX}.")
    if isinstance(value, int | float | np.integer | np.floating):
        try:
            return float(value)
        except OverflowError:  # an integer beyond float's range (JSON allows 10**400)
            raise error(
                f"{name}: {key}[{index}] is too large for a number; {_HISTORY_FIX}."
            ) from None
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise error(
        f"{name}: {key}[{index}] is {shown}, not a number; history values must all be numbers "
        f"— {_HISTORY_FIX}."
    )


def counts_iterations(values: Sequence[Any]) -> bool:
    """Whether a history's 'iteration' column holds whole numbers >= 0 (no null, no NaN)."""
    return all(
        isinstance(v, int | float)
        and not isinstance(v, bool)
        and math.isfinite(v)
        and v == int(v)
        and v >= 0
        for v in values
    )


def columns_of(
    history: Mapping[str, Sequence[Any]], name: str, *, error: type[Exception]
) -> dict[str, list]:
    """Validated columns: numbers only, equal lengths, integral ``iteration``."""
    if not isinstance(history, Mapping) or not history:
        raise error(f"{name}: the history is empty; pass the history recorded by training.")
    columns: dict[str, list] = {}
    length = None
    for key, values in history.items():
        if not isinstance(key, str):
            raise error(f"{name}: history key {key!r} is not a string; {_HISTORY_FIX}.")
        values = list(values)
        if length is None:
            length = len(values)
        elif len(values) != length:
            raise error(
                f"{name}: column {key!r} has {len(values)} values but the first column has "
                f"{length}; every column needs one value per recorded iteration — "
                f"{_HISTORY_FIX}."
            )
        numbers = [_number(v, key, i, name, error) for i, v in enumerate(values)]
        if key == "iteration":
            if not counts_iterations(numbers):
                raise error(
                    f"{name}: 'iteration' must hold whole numbers >= 0; the history is corrupt "
                    f"— {_HISTORY_FIX}."
                )
            columns[key] = [int(v) for v in numbers]
        else:
            columns[key] = numbers
    return columns


def write_text(name: str, text: str, what: str) -> None:
    """Write ``text`` atomically (a history, a report); a failure is one line naming the file."""
    try:
        files.atomic_write_bytes(name, text.encode("utf-8"))
    except OSError as e:
        raise LrnnError(
            f"{name}: cannot write the {what} ({e.strerror or e}); check the folder is writable "
            "and has free space."
        ) from e


def past_the_model(history: Mapping[str, Any], training: Any) -> str | None:
    """'records iteration N but the model trained for M iterations', or None: a history that
    goes past its model's last iteration is another run's (embedded, or a --history file)."""
    iterations = training.get("iterations") if isinstance(training, dict) else None
    recorded = [v for v in history.get("iteration") or [] if v is not None]
    if not recorded or not isinstance(iterations, int | float) or isinstance(iterations, bool):
        return None
    if max(recorded) <= iterations:
        return None
    return (
        f"records iteration {max(recorded):.15g} but the model trained for "
        f"{iterations:.15g} iterations"
    )


def _other_numbers(columns: Mapping[str, Any], stored: Any) -> str | None:
    """Where a history and the one its model file carries (``stored``) record the same
    iteration, their costs agree (a file keeps every digit: repr); another run's history on
    the same number of iterations, even another data set's, passed as this model's."""
    if not isinstance(stored, Mapping):
        return None
    kept = dict(zip(stored.get("iteration") or [], stored.get("cost") or [], strict=False))
    for iteration, cost in zip(
        columns.get("iteration") or [], columns.get("cost") or [], strict=False
    ):
        own = kept.get(iteration)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in (own, cost)):
            continue
        if not math.isclose(cost, own, rel_tol=1e-9, abs_tol=1e-12):
            return (
                f"records cost {cost:.6g} at iteration {iteration:.15g}, where the model's own "
                f"history has {own:.6g}"
            )
    return None


def check_belongs(
    columns: Mapping[str, Any],
    training: Any,
    name: str = "history",
    manifest: Any = None,
    stored: Any = None,
) -> str | None:
    """A history whose iterations go past the model's (``training``: its file's facts) cannot
    be this model's history: refused, by its ``name`` (a --history file's); one that ends
    well short of them is said, and the sentence returned (for the page: a curve must not
    run from its end to the model's). The run's own spacing, where its file's ``manifest`` says
    it, judges a history of one row: 300 iterations recorded every 1000 end at 0."""
    past = past_the_model(columns, training) or _other_numbers(columns, stored)
    if past:
        raise DataError(
            f"{name}: the history {past}: it does not belong to this model; give the history "
            "saved with this model (or none)."
        )
    recorded = sorted(v for v in columns.get("iteration") or [] if v is not None)
    iterations = training.get("iterations") if isinstance(training, dict) else None
    if recorded and isinstance(iterations, int | float) and not isinstance(iterations, bool):
        # the history's own spacing (one row: the run's, else the usual one)
        settings = manifest.get("solver_settings") if isinstance(manifest, dict) else None
        every = settings.get("record_every") if isinstance(settings, dict) else None
        every = every if type(every) is int and every > 0 else None
        step = recorded[-1] - recorded[-2] if len(recorded) >= 2 else every or PRINT_EVERY
        if iterations - recorded[-1] > max(step, 1):  # a shorter run's, by its end
            said = (
                f"the history ends at iteration {recorded[-1]:.15g}, but the model trained for "
                f"{iterations:.15g} iterations: it may be another run's"
            )
            warnings.warn(f"{said}; the page shows it as given.", stacklevel=3)
            return said
    return None
