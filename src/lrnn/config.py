"""Every training default and its validation, once.

:class:`TrainConfig` is what decides the trajectory of a run (so it is what checkpoints and a
model's manifest store). Each field's default, the values it accepts and the message for a
value it does not accept are written here and nowhere else: the CLI takes its defaults and help
text from :func:`default`, the estimator's ``__init__`` defaults are these fields' defaults, the
course functions and checkpoints build their configs through this class, and a config read back
from a file goes through the same checks (:meth:`TrainConfig.from_dict`).

The run-level settings that are not part of the trajectory (how much to hold out, how often the
CLI prints) sit beside it as module constants.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import MISSING, dataclass, fields
from typing import Any

import numpy as np

from lrnn.data.checks import clip
from lrnn.errors import ModelFileError, UsageError

#: Share of the training data the CLI holds out for testing when no --test is given.
TEST_FRACTION = 0.2
#: Share held out for early stopping when no validation data is given (CLI and estimator).
VALIDATION_FRACTION = 0.1
#: The lesson prints (and the CLI records first-order runs) every this many iterations.
PRINT_EVERY = 100
#: The label column of a CSV/Parquet table when --label names none (and no model names one).
LABEL_COLUMN = "label"
#: A seed must fit numpy's legacy 32-bit range (scikit-learn's convention for random_state).
MAX_SEED = 2**32 - 1


def _is_count(value: Any, low: int = 1) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low


#: The most iterations a run may ask for: ten million passes is hours on the smallest data,
#: and a model or checkpoint file (which may be hostile) must not start a run without end.
MAX_ITER = 10**7


def is_class_weight_mapping(value: Any) -> bool:
    """class → weight as ``--class-weight`` takes it and a manifest stores it: finite weights
    ≥ 0 (the one check for both, so a stored mapping is what the option could have given)."""
    return isinstance(value, dict) and all(
        isinstance(w, int | float) and _is_number(w) and w >= 0 for w in value.values()
    )


def _is_number(value: Any) -> bool:
    try:  # an int beyond float's range (JSON allows 10**400) is no usable number either
        return (
            isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
        )
    except OverflowError:
        return False


def _solver_names() -> tuple[str, ...]:
    from lrnn.solvers import SOLVER_NAMES

    return SOLVER_NAMES


# name → (is the value acceptable, what was expected, how to fix it)
_RULES: dict[str, tuple[Any, str, str]] = {
    "solver": (
        lambda v: isinstance(v, str) and v in _solver_names(),
        "one of {solvers}",
        "",
    ),
    "learning_rate": (
        lambda v: v == "auto" or (_is_number(v) and v > 0),
        "a finite number > 0 or 'auto'",
        "Try 'auto' (1/L).",
    ),
    "max_iter": (
        lambda v: _is_count(v) and v <= MAX_ITER,
        f"an integer between 1 and {MAX_ITER:,}",
        "",
    ),
    "alpha": (lambda v: _is_number(v) and v >= 0, "a finite number ≥ 0", ""),
    "tol": (lambda v: _is_number(v) and v >= 0, "a finite number ≥ 0", ""),
    "batch_size": (_is_count, "an integer ≥ 1", ""),
    "random_state": (
        lambda v: v is None or (_is_count(v, 0) and v <= MAX_SEED),
        "an integer in [0, 4294967295] (or None, from Python)",
        "",
    ),
    "record_every": (_is_count, "an integer ≥ 1", ""),
    "early_stopping": (lambda v: isinstance(v, bool | np.bool_), "True or False", ""),
    "n_iter_no_change": (_is_count, "an integer ≥ 1", ""),
    "momentum": (lambda v: _is_number(v) and 0 <= v < 1, "a number in [0, 1)", "0.9 is usual."),
    "divergence_patience": (_is_count, "an integer ≥ 1", ""),
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the trajectory of a run (and so goes into checkpoints).

    The defaults are the lesson's: gradient descent at learning rate 0.005 for 2000 iterations
    from zero, no L2 term, and no early stop on a small gradient (``tol=0``), so a default run
    is exactly the lesson's loop. Invalid values raise :class:`~lrnn.errors.UsageError` here, at
    construction, with one line saying what was expected, what came and the fix.
    """

    solver: str = "gd"
    learning_rate: float | str = 0.005
    max_iter: int = 2000
    alpha: float = 0.0
    tol: float = 0.0
    batch_size: int = 32
    random_state: int | None = 0
    record_every: int = 1
    early_stopping: bool = False
    n_iter_no_change: int = 10
    momentum: float = 0.9
    divergence_patience: int = 10

    def __post_init__(self) -> None:
        validate(self.to_dict())
        if isinstance(self.early_stopping, np.bool_):  # a grid from numpy: kept as JSON's bool
            object.__setattr__(self, "early_stopping", bool(self.early_stopping))

    @classmethod
    def build(cls, spelling: dict[str, str] | None = None, **settings: Any) -> TrainConfig:
        """Construct from a door's values, naming them in errors as that door spells them
        (``spelling`` maps a field to e.g. ``"--iterations"`` or ``"num_iterations"``)."""
        validate(settings, spelling)
        return cls(**settings)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, settings: Any, *, source: str, what: str) -> TrainConfig:
        """A config read out of a file (checkpoint, manifest): the file may be corrupt or
        hostile, so every key and value is checked and a bad one named as the file's fault."""

        def bad(detail: str) -> ModelFileError:
            return ModelFileError(
                f"{source}: the {what} {detail}; the file is corrupt or from another lrnn "
                "version — train again."
            )

        if not isinstance(settings, dict):
            raise bad("are missing")
        unknown = sorted(set(settings) - {f.name for f in fields(cls)})
        if unknown:
            raise bad(f"have unknown key(s) {', '.join(map(repr, unknown))}")
        for key, value in settings.items():
            if not _RULES[key][0](value):
                raise bad(f"have {key}={clip(repr(value), 60)}, which training cannot use")
        return cls(**settings)


def problem(name: str, value: Any) -> str | None:
    """What is wrong with ``value`` for the setting ``name`` ("must be …; got …"), or None."""
    ok, expected, fix = _RULES[name]
    if ok(value):
        return None
    expected = expected.format(solvers=", ".join(map(repr, _solver_names())))
    return f"must be {expected}; got {value!r}.{' ' + fix if fix else ''}"


def validate(settings: dict[str, Any], spelling: dict[str, str] | None = None) -> None:
    """Raise a one-line UsageError for the first setting a run cannot use."""
    for name, value in settings.items():
        wrong = problem(name, value)
        if wrong is not None:
            raise UsageError(f"{(spelling or {}).get(name, name)} {wrong}")


def default(name: str) -> Any:
    """The default of one TrainConfig field (for the CLI's and the estimator's signatures)."""
    for f in fields(TrainConfig):
        if f.name == name and f.default is not MISSING:
            return f.default
    raise KeyError(name)


def check_fraction(name: str, value: Any) -> float:
    """A share of the data to hold out: strictly between 0 and 1."""
    if not (_is_number(value) and 0 < value < 1):
        raise UsageError(
            f"{name} must be a number strictly between 0 and 1; got {value!r}. "
            f"Try {VALIDATION_FRACTION}."
        )
    return float(value)


__all__ = [
    "MAX_SEED",
    "PRINT_EVERY",
    "TEST_FRACTION",
    "VALIDATION_FRACTION",
    "TrainConfig",
    "check_fraction",
    "default",
    "problem",
    "validate",
]
