"""lrnn: logistic regression built and trained as a single neuron.

``import lrnn`` stays light: the estimator (which needs scikit-learn) and the course functions
are loaded on first use.
"""

from __future__ import annotations

from lrnn._version import __version__

# typing is not imported when the command starts (it takes re with it, ~10 ms in which a Ctrl-C
# printed a traceback): type checkers read this name as typing.TYPE_CHECKING
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from lrnn.callbacks import Callback
    from lrnn.estimator import LogisticNeuron
del TYPE_CHECKING  # not a name lrnn offers

__all__ = ["Callback", "LogisticNeuron", "__version__", "course"]


def __getattr__(name: str) -> Any:
    if name == "Callback":  # the hooks fit(callbacks=...) calls while it trains
        from lrnn.callbacks import Callback

        return Callback
    if name == "LogisticNeuron":
        from lrnn.estimator import LogisticNeuron

        return LogisticNeuron
    if name == "course":
        import importlib

        return importlib.import_module("lrnn.course")
    raise AttributeError(f"module 'lrnn' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The lazily loaded names too, so that tab completion offers them."""
    return sorted(set(globals()) | set(__all__))
