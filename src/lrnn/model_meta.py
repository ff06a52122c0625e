"""What a model file's metadata must hold to be a usable model: checked on save (a caller's
bug) and on load (a damaged or crafted file), before anything else reads it.

Class and column names, the threshold, the history and the text model's vocabulary and IDF
weights are all checked against the weights' shape, so that every reader of one file (predict,
the estimator, the exported graph, the server) sees the same model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from lrnn.errors import ModelFileError, UsageError, clipped_repr

#: A model file keeps at most this many rows of its history (evenly spaced, last row kept).
MAX_HISTORY_ROWS = 1000


def check_model_meta(meta: dict, w: np.ndarray, name: str, error: type[Exception]) -> None:
    """The metadata must describe a usable model: on save a caller bug, on load a bad file."""

    def bad(what: str) -> Exception:
        fix = "pass valid values" if error is UsageError else "the file is corrupt — retrain"
        return error(f"{name}: {what}; {fix}.")

    required = ("classes", "threshold", "preprocessing", "feature_names", "training", "manifest")
    missing = [key for key in required if key not in meta]
    if missing:
        raise bad(f"the metadata has no {', '.join(map(repr, missing))}")
    classes = meta.get("classes")
    want = w.shape[1] if w.ndim == 2 else 2
    if not (
        isinstance(classes, list)
        and len(classes) == want
        and all(isinstance(c, str) for c in classes)
        and len(set(classes)) == len(classes)
    ):
        count = "two" if want == 2 else str(want)
        raise bad(f"classes must be {count} different strings, got {str(classes)[:200]!s}")
    from lrnn.data.dataset import class_name_problem, look_alike_problem, number_written_twice

    problem = class_name_problem(classes, blank_ok=True) or look_alike_problem(classes)
    if problem:
        raise bad(f"the model has {problem}")
    if twice := number_written_twice(classes):  # data could never say which class it means
        raise bad(f"{twice}, which data, matched to classes by value, cannot tell apart")
    t = meta.get("threshold")
    if not (isinstance(t, int | float) and not isinstance(t, bool) and 0 <= t <= 1):
        raise bad(f"threshold must be a number in [0, 1], got {clipped_repr(t)}")
    names = meta.get("feature_names")
    if names is not None:
        if not (isinstance(names, list) and all(isinstance(v, str) for v in names)):
            raise bad("feature_names must be a list of strings")
        if len(names) != w.shape[0]:
            raise bad(f"there are {len(names)} feature_names for {w.shape[0]} weights")
        from lrnn.errors import has_control_characters

        odd = next((n for n in names if has_control_characters(n)), None)
        if odd is not None:  # printed by predict's errors, words, the report
            raise bad(f"the feature name {odd[:100]!r} holds control characters")
        if len(set(names)) != len(names):  # a column would be read twice, another not at all
            raise bad(f"the feature name {_first_repeated(names)[:100]!r} appears twice")
    for key in ("preprocessing", "training", "manifest"):
        if not isinstance(meta.get(key), dict):
            raise bad(f"{key} must be an object, got {type(meta.get(key)).__name__}")
    _check_training_record(meta["training"], bad)
    if _nesting(meta) > MAX_METADATA_NESTING:  # later copies and JSON writes would recurse
        raise bad(f"the metadata nests deeper than {MAX_METADATA_NESTING} levels")
    _refuse_printed_control_characters(meta, bad)
    history = meta.get("history")
    if history is not None and not _is_history(history):
        raise bad("history must be an object of equally long lists of numbers")
    if history is not None:
        _check_history_fits(history, meta["training"], bad)
    if meta["preprocessing"]:
        from lrnn.data import Preprocessing

        try:
            spec = Preprocessing.from_dict(meta["preprocessing"])
        except ModelFileError as e:
            raise error(f"{name}: {e}") from e
        if spec.n_features is not None and spec.n_features != w.shape[0]:
            raise bad(f"the preprocessing gives {spec.n_features} features but w has {w.shape[0]}")
        for field in ("mean", "std"):  # a shorter one failed in NumPy's words, or blamed the data
            values = getattr(spec, field)
            if values is not None and len(values) != w.shape[0]:
                raise bad(
                    f"preprocessing.{field} holds {len(values)} values for {w.shape[0]} weights"
                )
        columns = list(spec.feature_names or ())
        if len(set(columns)) != len(columns):  # predict would read one column twice
            raise bad(f"preprocessing.feature_names names {_first_repeated(columns)[:100]!r} twice")
        if columns and names and columns != names:
            # predict reads a table's columns by the one list, the estimator, the exported
            # graph and the server's rows by the other: one file, two models
            raise bad("feature_names and preprocessing.feature_names list different columns")


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


#: The training record's numbers that reports, verify and predict show: what each may hold
#: (absent or null where not measured). "iterations: many" and a test accuracy of -3 were shown.
_TRAINING_NUMBERS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "iterations": ("a whole number >= 0", lambda v: _number(v) and v == int(v) and v >= 0),
    "train_accuracy": ("a number in [0, 1]", lambda v: _number(v) and 0 <= v <= 1),
    "test_accuracy": ("a number in [0, 1]", lambda v: _number(v) and 0 <= v <= 1),
    "final_cost": ("a finite number", _number),
    "alpha": ("a finite number >= 0", lambda v: _number(v) and v >= 0),
}


def _check_training_record(training: dict, bad: Callable[[str], Exception]) -> None:
    for key, (what, fits) in _TRAINING_NUMBERS.items():
        value = training.get(key)
        if value is not None and not fits(value):
            raise bad(f"training.{key} must be {what}, got {clipped_repr(value)}")


def _first_repeated(names: list[str]) -> str:
    seen: set[str] = set()
    return next(n for n in names if n in seen or seen.add(n))  # type: ignore[func-returns-value]


#: lrnn writes metadata a few levels deep; far deeper nesting only comes from a crafted file.
MAX_METADATA_NESTING = 32


def _nesting(value: Any) -> int:
    """How deep lists and objects nest in ``value`` (without recursing: the file is untrusted)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_METADATA_NESTING:
                todo.extend(
                    (v, depth + 1) for v in (item.values() if isinstance(item, dict) else item)
                )
    return deepest


def _refuse_printed_control_characters(meta: dict, bad: Callable[[str], Exception]) -> None:
    """Column names that lrnn prints back must not hold control characters: a newline or a
    terminal escape from a crafted file would forge lines of lrnn's output or retitle the
    terminal. (Reading refuses such names too, so no trained model has them. The training
    data's path in the manifest is not checked: any path is the user's to give.)"""
    from lrnn.errors import has_control_characters

    preprocessing = meta["preprocessing"]
    printed = [
        ("preprocessing.feature_names", preprocessing.get("feature_names")),
        ("preprocessing.label_column", preprocessing.get("label_column")),
    ]
    for where, value in printed:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and has_control_characters(text):
                raise bad(f"{where} {text[:100]!r} holds control characters")


def _check_history_fits(history: dict, training: dict, bad: Callable[[str], Exception]) -> None:
    """A model's own history: no longer than lrnn keeps, and no iteration past the model's last.
    Anything else was put there by hand, and every report of the model would show it."""
    rows = len(next(iter(history.values())))
    if rows > MAX_HISTORY_ROWS:
        raise bad(f"the history holds {rows} rows; lrnn keeps at most {MAX_HISTORY_ROWS}")
    from lrnn.history import counts_iterations, past_the_model

    # (a report refused nulls there later, naming no file)
    if not counts_iterations(history.get("iteration", [])):
        raise bad("the history's 'iteration' must hold whole numbers >= 0")

    past = past_the_model(history, training)
    if past:
        raise bad(f"the history {past}")


def history_numbers(values: list) -> bool:
    """A history column's values: numbers, or None where one was not measured."""
    return all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values
    )


def _is_history(history: Any) -> bool:
    if not (isinstance(history, dict) and history):
        return False
    lengths = set()
    for values in history.values():
        if not isinstance(values, list) or not history_numbers(values):
            return False
        lengths.add(len(values))
    return len(lengths) == 1


def check_text_model(meta: dict, w: np.ndarray, idf: np.ndarray | None, name: str) -> None:
    """A text model carries its IDF weights, and its vocabulary fits its weights: a hashing
    model as many columns as it hashes into, a vocabulary model one distinct, non-empty term
    per weight row (the vectorizer is rebuilt from these, unchecked)."""
    preprocessing = meta.get("preprocessing")
    if not isinstance(preprocessing, dict) or preprocessing.get("kind") != "text":
        if idf is not None:  # loaded and never used: what else the file says is in doubt
            raise ModelFileError(
                f"{name}: an 'idf' tensor in a model not trained on text; the file is corrupt "
                "— retrain the model."
            )
        return
    if idf is None:
        raise ModelFileError(
            f"{name}: the text model has no 'idf' tensor; the file is corrupt — retrain the model."
        )
    text = preprocessing.get("text") or {}
    hashing = text.get("hashing") if isinstance(text, dict) else None
    names = meta.get("feature_names")
    if hashing is not None:
        if hashing != w.shape[0]:
            raise ModelFileError(
                f"{name}: the text model hashes into {str(hashing)[:20]} columns but has "
                f"{w.shape[0]} weights; the file is corrupt — retrain the model."
            )
        if names is not None:  # `words` would show them as the hashed columns' words
            raise ModelFileError(
                f"{name}: the text model hashes its words into columns, yet names them "
                "(feature_names); a hashing model keeps no vocabulary, so the file is corrupt "
                "— retrain the model."
            )
        return
    if (
        not isinstance(names, list)
        or len(names) != w.shape[0]
        or not all(isinstance(t, str) and t for t in names)
        or len(set(names)) != len(names)
    ):
        raise ModelFileError(
            f"{name}: the text model's vocabulary is not one distinct term per weight; the file "
            "is corrupt — retrain the model."
        )
    odd = _unmatchable_term(names, text)
    if odd is not None:  # its weight could never count: `lrnn words` would show it all the same
        from lrnn.data.dataset import shown
        from lrnn.data.words import WORD

        lo, hi = text["ngram_range"]
        term = shown(odd[:60], accents=True) + ("…" if len(odd) > 60 else "")
        raise ModelFileError(
            f"{name}: the vocabulary term {term} ({len(odd)} characters) can never be found in "
            f"a document (a term is {lo}–{hi} lower-case words one space apart; {WORD}); the "
            "file is corrupt — retrain the model."
        )


def _unmatchable_term(terms: list[str], settings: Any) -> str | None:
    """A term the vectorizer cannot produce from any document, or None. All terms are checked
    at once by one pattern over them joined by newlines (a vocabulary of 100,000 terms takes
    milliseconds), and only a failure looks for the culprit."""
    import re
    import unicodedata

    if not isinstance(settings, dict):
        return None
    from lrnn.data.words import one_word

    lo, hi = settings["ngram_range"]
    word = one_word(bool(settings.get("marks_in_words")))
    term = re.compile(rf"^{word}(?: {word}){{{lo - 1},{hi - 1}}}$", re.MULTILINE)
    composed = settings.get("unicode_form") == "NFC"

    def fine(text: str, count: int) -> bool:
        return (
            len(term.findall(text)) == count
            and text == text.lower()
            and (not composed or unicodedata.is_normalized("NFC", text))
        )

    if fine("\n".join(terms), len(terms)):
        return None
    return next((t for t in terms if not fine(t, 1)), None)


def checked_idf(idf: np.ndarray | None, w: np.ndarray, name: str) -> np.ndarray | None:
    """A text model's IDF weights: one finite positive float per feature (a row of w: the
    softmax layer's w is (features, K))."""
    if idf is None:
        return None
    if (
        idf.shape != w.shape[:1]
        or idf.dtype.kind != "f"
        or not (np.isfinite(idf) & (idf > 0)).all()
    ):
        raise ModelFileError(
            f"{name}: the 'idf' tensor must hold one finite positive float per feature; the file "
            "is corrupt — retrain the model."
        )
    return idf


def final_point(training: Any) -> tuple[float, float] | None:
    """(iteration, cost) where a model's run ended, for a learning curve to end there too (its
    history holds every ``record_every``-th row only); None when the file does not say, or when
    early stopping returned the weights of an earlier check (whether patience ran out or the
    iterations did), whose cost is not the last iteration's."""
    if not isinstance(training, dict) or training.get("stop_reason") == "early_stopping":
        return None
    if training.get("restored_iteration") is not None:
        return None
    iterations, cost = training.get("iterations"), training.get("final_cost")
    pair = (iterations, cost)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair):
        return None
    try:  # an int past float's range (10**300 iterations) made np.isfinite an object array
        point = float(iterations), float(cost)
    except OverflowError:
        return None
    return point if all(map(math.isfinite, point)) else None


def kept_iteration(training: Any) -> int | None:
    """The iteration whose weights early stopping kept, when it kept an earlier one: a curve
    drawn on past it shows weights that were thrown away, so it marks where the model is."""
    kept = training.get("restored_iteration") if isinstance(training, dict) else None
    return kept if isinstance(kept, int) and not isinstance(kept, bool) and kept >= 0 else None
