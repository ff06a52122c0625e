"""The hooks a training run calls (``fit(callbacks=[…])``, ``lrnn.train.train``), and the
check that what was given has them, before any work."""

from __future__ import annotations

from typing import Any

from lrnn.errors import UsageError

#: lrnn.config's TrainConfig and lrnn.train's TrainState and TrainResult, named here without
#: importing the loop (which imports this module) or its settings: ``on_start`` gets the
#: config, ``on_step`` the state, ``on_end`` the result.
TrainConfig = TrainState = TrainResult = Any


class Callback:
    """Hooks the loop calls; override what you need. ``on_step`` returning True stops.

    ``on_step``'s state is what a checkpoint stores, in the solver's own coordinates: on the
    wide-data shortcut (``state.coefficients``) θ holds (β, b) with w = Xᵀβ, not (w, b).
    ``info["weights_of"](state)``, handed to ``on_start``, gives (w, b) either way (on the
    shortcut a pass over X, so call it where it is needed, not on every step)."""

    def on_start(self, config: TrainConfig, info: dict[str, Any]) -> None:
        pass

    def on_record(self, record: dict[str, float]) -> None:
        pass

    def on_step(self, state: TrainState) -> bool | None:
        return None

    def on_end(self, result: TrainResult) -> None:
        pass


HOOKS = ("on_start", "on_record", "on_step", "on_end")


def checked_callbacks(callbacks: Any) -> list[Callback]:
    """``callbacks`` as a list whose items have every hook: one Callback given bare raised
    "'Callback' object is not iterable", and a function "has no attribute 'on_start'" from
    inside the loop."""
    if callbacks is None:
        return []
    bare = any(hasattr(callbacks, hook) for hook in HOOKS)
    if bare or isinstance(callbacks, str | bytes) or not hasattr(callbacks, "__iter__"):
        raise UsageError(
            f"callbacks must be a list of lrnn.Callback objects; got {type(callbacks).__name__}"
            " — put it in a list: callbacks=[it]."
        )
    checked = list(callbacks)
    for i, item in enumerate(checked):
        if isinstance(item, type):  # the class, its hooks unbound: they failed in the loop
            raise UsageError(
                f"callbacks[{i}] is the class {item.__name__}, not one of its objects; give "
                f"{item.__name__}() instead."
            )
        missing = [hook for hook in HOOKS if not callable(getattr(item, hook, None))]
        if missing:
            raise UsageError(
                f"callbacks[{i}] is a {type(item).__name__}, not an lrnn.Callback (it has no "
                f"{missing[0]}); subclass lrnn.Callback and override the hooks you need "
                "(on_record, on_step, …)."
            )
    return checked
