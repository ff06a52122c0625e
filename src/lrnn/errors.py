"""The exceptions lrnn raises on purpose.

Every door (course functions, estimator, CLI) validates what it is given and raises one of these
with a message that names the argument or file, the value it got and the way out. The CLI turns
them into one line on stderr: ``UsageError``, ``DataError`` and ``ModelFileError`` — the
command cannot run as asked — exit 2; a run that starts and fails (``TrainingDiverged``, memory,
a failing disk) exits 1.
"""

from __future__ import annotations


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

    def __init__(self, message: str, result: object | None = None) -> None:
        super().__init__(message)
        self.result = result


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` folded onto one line, for the CLI's stderr."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


class UnbalancedClassesWarning(UserWarning):
    """One class has far fewer examples than another: a model can score well by ignoring it.
    Its own category, so a run that already weights the classes can leave it unsaid."""
