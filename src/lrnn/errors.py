"""The exceptions lrnn raises on purpose.

Every door (course functions, estimator, CLI) validates what it is given and raises one of these
with a message that names the argument or file, the value it got and the way out. The CLI turns
them into one line on stderr: ``UsageError``, ``DataError`` and ``ModelFileError`` — the
command cannot run as asked — exit 2; a run that starts and fails (``TrainingDiverged``, memory,
a failing disk) exits 1.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import sys
import unicodedata
from collections.abc import Iterable
from typing import Any


class LrnnError(Exception):
    """Base class: a problem lrnn can describe in one line."""


class UsageError(LrnnError, ValueError):
    """An option or argument has a value that cannot work (exit status 2 in the CLI)."""


class DataError(LrnnError, ValueError):
    """Input data is unreadable, malformed, or not what the model expects."""


class ModelFileError(LrnnError, ValueError):
    """A model or checkpoint file is missing, corrupt, foreign or unsafe."""


class TrainingDiverged(LrnnError, ArithmeticError):
    """Training stopped because the cost blew up; carries the partial result.

    ``result`` holds the last finite parameters and the history up to the blow-up, so a caller
    such as ``compare-lr`` can still report and plot the run.
    """

    def __init__(self, message: str, result: object | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.result = result
        self.reason = reason  # what happened, without advice (the course words its own)


#: Weights that sum to 0 leave every loss divided by 0: said by every backend that takes them.
NO_WEIGHT = "sample_weight sums to 0; at least one example needs weight."

#: How labels of other values become the sigmoid neuron's 0/1, said wherever they are refused.
TO_BINARY = "y = (y == positive_class)"


def nearest(typed: str, options: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The option a mistyped name most likely meant: one equal but for case and surrounding
    spaces ('Label', 'a '), else the closest spelling (difflib, at least ``cutoff`` alike)."""
    options = list(options)
    same = [o for o in options if o.strip().casefold() == typed.strip().casefold()]
    near = same or difflib.get_close_matches(typed, options, n=1, cutoff=cutoff)
    return near[0] if near else None


def closest(typed: str, options: Iterable[str], quoted: bool = True) -> str:
    """ "; did you mean 'train'?" for the option nearest to a mistyped word, or "" when none is
    near: a typo named with its fix beats a list of every choice to search by eye."""
    near = nearest(typed, options)
    if near is None:
        return ""
    return f"; did you mean {repr(near) if quoted else near}?"


def shown(value: object) -> str:
    """A label as a message quotes it: -1, not np.int64(-1); 'a', not np.str_('a')."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():  # a numpy scalar
        value = item()
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` folded onto one line, for the CLI's stderr. Messages quote what
    they were given — paths and names out of files that may be hostile — so control characters
    left after folding are shown escaped, not sent to the terminal."""
    text = printable(" ".join(str(exc).split()))
    return text or type(exc).__name__


#: Invisible characters that reorder the text around them (U+202E shows "gnp.exe" as
#: "exe.png"): in a class name they would disguise it, and every name printed after it.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


#: Unicode's line and paragraph separators: editors and some terminals break the line there.
_LINE_SEPARATORS = frozenset("\u2028\u2029")


def _is_control(ch: str) -> bool:
    # a lone surrogate (Cs: a byte that was not UTF-8, kept by Python's surrogateescape, or a
    # JSON "\ud800") cannot be written as UTF-8: printed, saved or served, it fails
    category = unicodedata.category(ch)
    return category in ("Cc", "Cs") or ch in _BIDI_CONTROLS or ch in _LINE_SEPARATORS


def has_control_characters(text: str) -> bool:
    """A newline, a terminal escape or a bidirectional override: printed, it would forge lines
    of lrnn's output, clear the screen or reorder what is shown. (Printable text holds none
    of them: str.isprintable is false for every Cc, Cf, Zl and Zp character; it answers a
    model's 300,000 feature names in C, not a Python call a character.)"""
    return not text.isprintable() and any(_is_control(ch) for ch in text)


def printable(text: str, keep: str = "") -> str:
    """``text`` with each control character written as Python writes it in a string literal
    (ESC → ``\\x1b``): safe to print, and still says what the text held. ``keep``: control
    characters left as they are (a page's own line breaks and isolates)."""
    if not has_control_characters(text):
        return text
    return "".join(ascii(ch)[1:-1] if _is_control(ch) and ch not in keep else ch for ch in text)


def clipped_repr(value: Any, limit: int = 60) -> str:
    """A value out of a file for a one-line message: its repr, printable, cut at ``limit``
    characters (a model file's dtype of a million characters made a line a megabyte long)."""
    text = printable(repr(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class UnbalancedClassesWarning(UserWarning):
    """One class has far fewer examples than another: a model can score well by ignoring it.
    Its own category, so a run that already weights the classes can leave it unsaid."""


class RepeatedKey(ValueError):
    """A JSON object that names one key twice (see :func:`json_once_each`)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # counted, not searched: a hostile header may hold 10⁶ keys
        from collections import Counter

        raise RepeatedKey(next(k for k, n in Counter(k for k, _ in pairs).items() if n > 1))
    return obj


def finite_json(value: Any) -> Any:
    """``value`` for strict JSON: NaN and infinities (no test accuracy, say) become null — the
    one rule for the command line's --json lines and serve's answers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value


def json_once_each(text: str | bytes, *, constants: bool = False) -> Any:
    """JSON that names each key of an object once, else :class:`RepeatedKey`. Python's json
    keeps the last of two silently, other readers may keep the first: a model header naming
    tensor 'w' twice could mean one model to lrnn's checks and another to the next tool, and
    a class given two weights on the command line could mean either. NaN and Infinity, which
    Python's json reads and strict JSON has not (lrnn writes null), are refused too, unless
    ``constants`` (a caller that names such a value better itself)."""
    refuse = None if constants else _no_constant
    return json.loads(text, object_pairs_hook=_once_each, parse_constant=refuse)


def _no_constant(word: str) -> Any:
    raise ValueError(f"{word} is not a JSON number")


def user_stacklevel() -> int:
    """The stacklevel that points a warning at the first line outside lrnn (the user's
    ``fit(…)``, the learner's ``model(…)``), however deep inside lrnn the warning is raised;
    called as warn's argument, in the function that warns."""
    from pathlib import Path  # here: ``import lrnn`` does not load pathlib

    package = Path(__file__).resolve().parent

    def inside(filename: str) -> bool:  # "<stdin>", "<ipython-input-…>": the learner's
        return os.path.isabs(filename) and Path(filename).resolve().is_relative_to(package)

    frame, level = sys._getframe(1), 1
    while frame is not None and inside(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    return level


def given_path(path: object, what: str, example: str) -> str:
    """``path`` as a string, or a UsageError naming the argument: None, an array or a frame
    given where a path belongs failed with "expected str, bytes or os.PathLike object"."""
    if isinstance(path, str | os.PathLike):
        return os.fspath(path)
    raise UsageError(
        f"{what} must be a file's path, got {type(path).__name__}; give one such as {example!r}."
    )
