"""Run state ⇄ file: checkpoints, their validation, and the reproducibility manifest.

A checkpoint is one safetensors file (via :mod:`lrnn.persist`): the :class:`TrainState` as
tensors (θ, optimiser moments, best θ) plus JSON metadata (the :class:`TrainConfig`, iteration,
optimiser counters, RNG state, history, and a description of the data). Everything read back is
checked before training touches it — a checkpoint may be corrupt or hostile — and a resumed run
continues bit for bit. The manifest stored in a model file says how to reproduce it.
"""

from __future__ import annotations

import json
import math
import platform
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lrnn import __version__, optim, persist
from lrnn.config import TrainConfig
from lrnn.errors import ModelFileError, UsageError, clipped_repr, one_line, printable
from lrnn.history import HISTORY_COLUMNS, VALIDATION_COLUMNS
from lrnn.model_meta import history_numbers
from lrnn.train import Callback, Records, TrainResult, TrainState


def state_to_checkpoint(state: TrainState, config: TrainConfig) -> tuple[dict, dict]:
    """Tensors and JSON metadata that :func:`state_from_checkpoint` turns back into ``state``."""
    tensors: dict[str, NDArray] = {"theta": state.theta}
    opt_meta = None
    if state.opt_state is not None:
        opt_tensors, opt_meta = optim.state_to_arrays(state.opt_state)
        tensors.update({f"opt.{k}": v for k, v in opt_tensors.items()})
    if state.best_theta is not None:
        tensors["best_theta"] = state.best_theta
    history = {k: [float(v) for v in values] for k, values in state.history.items()}
    meta = {
        "config": config.to_dict(),
        "iteration": state.iteration,
        "opt_state": opt_meta,
        "rng_state": state.rng_state,
        "history": history,
        "best_score": state.best_score,
        "bad_checks": state.bad_checks,
        "rising": state.rising,
        "coefficients": state.coefficients,
        "previous_cost": state.previous_cost,
        "lowest_cost": state.lowest_cost,
    }
    return tensors, meta


def _number(value: Any, missing: float) -> float:
    """JSON has no inf/NaN (they are stored as null): read them back as ``missing``."""
    return missing if value is None else float(value)


def state_from_checkpoint(tensors: dict, meta: dict) -> tuple[TrainState, TrainConfig]:
    config = TrainConfig(**meta["config"])
    opt_state = None
    if meta.get("opt_state") is not None:
        opt_tensors = {k[4:]: v for k, v in tensors.items() if k.startswith("opt.")}
        opt_state = optim.state_from_arrays(opt_tensors, meta["opt_state"])
    history = Records()
    for key, values in meta.get("history", {}).items():
        history[key] = [int(v) if key == "iteration" else _number(v, math.nan) for v in values]
    state = TrainState(
        theta=tensors["theta"],
        opt_state=opt_state,
        iteration=int(meta["iteration"]),
        rng_state=meta.get("rng_state"),
        history=history,
        best_theta=tensors.get("best_theta"),
        best_score=_number(meta.get("best_score"), math.inf),
        bad_checks=int(meta.get("bad_checks", 0)),
        rising=int(meta.get("rising", 0)),
        coefficients=bool(meta.get("coefficients", False)),
        previous_cost=_number(meta.get("previous_cost"), math.inf),
        lowest_cost=_number(meta.get("lowest_cost"), math.inf),
    )
    return state, config


def _check_optimiser_state(path: str, state: TrainState, config: TrainConfig) -> None:
    """A first-order solver's checkpoint carries that optimiser's state (momentum's velocity,
    Adam's moments …): without it, or with another one, the run cannot continue."""
    from lrnn import solvers

    solver = solvers.REGISTRY.get(config.solver)
    expected = None if solver is None else solvers.kept_state(solver, config, state.theta)
    if expected is None:
        return  # Newton, L-BFGS (its memory may start empty), auto: nothing required
    if not isinstance(state.opt_state, expected):
        found = "none" if state.opt_state is None else type(state.opt_state).__name__
        raise _corrupt(path, f"its optimiser state is {found}, not the {config.solver} solver's")


def _corrupt(path: str, detail: str) -> ModelFileError:
    return ModelFileError(
        f"{path}: {detail}; the checkpoint is corrupt — start training again without --resume."
    )


def read(path: str) -> tuple[dict[str, NDArray], dict, TrainConfig]:
    """A checkpoint's tensors, metadata and run settings, the metadata's shape checked."""
    tensors, meta = persist.load_checkpoint(path)
    if not isinstance(meta.get("config"), dict) or "iteration" not in meta:
        raise ModelFileError(
            f"{path}: not an lrnn training checkpoint (no run settings inside); give a file "
            "written by lrnn train --checkpoint."
        )
    config = TrainConfig.from_dict(meta["config"], source=path, what="run settings")
    iteration = meta["iteration"]
    if not (isinstance(iteration, int) and not isinstance(iteration, bool) and iteration >= 0):
        raise _corrupt(path, f"iteration {clipped_repr(iteration)} is not a count")
    if iteration > config.max_iter:
        raise _corrupt(path, f"iteration {iteration} is beyond its run's {config.max_iter}")
    for key in ("data", "history"):
        if not isinstance(meta.get(key, {}), dict):
            raise _corrupt(path, f"'{key}' is not an object")
    counters = meta.get("opt_state")
    if counters is not None:
        if not isinstance(counters, dict) or not isinstance(counters.get("__type__"), str):
            raise _corrupt(path, "its optimiser state is not an object with a type")
        for key, value in counters.items():
            # a count below 0 would turn Adam's bias correction negative, and the run would
            # then "diverge" for a reason no learning rate explains
            if key != "__type__" and not _is_count(value):
                raise _corrupt(path, f"the optimiser's {key} {clipped_repr(value)} is not a count")
    for key in ("bad_checks", "rising"):  # early stopping's and the divergence guard's counts
        value = meta.get(key, 0)
        if not (_is_count(value) and value <= iteration):
            raise _corrupt(
                path, f"its {key} {clipped_repr(value)} is not a count up to {iteration}"
            )
    for key in ("best_score", "previous_cost", "lowest_cost"):
        value = meta.get(key)
        if value is not None and not (
            isinstance(value, int | float) and not isinstance(value, bool)
        ):
            raise _corrupt(path, f"its {key} {clipped_repr(value)} is not a number")
    if not isinstance(meta.get("coefficients", False), bool):
        raise _corrupt(path, "its 'coefficients' is not true or false")
    history = meta.get("history", {})
    columns = list(history.values())
    if any(not isinstance(c, list) for c in columns) or len({len(c) for c in columns}) > 1:
        raise _corrupt(path, "its history is not columns of equal length")
    if not all(history_numbers(c) for c in columns):
        raise _corrupt(path, "its history holds values that are not numbers")
    # each recorded iteration a count, in order, none past the checkpoint's own: a value like
    # 1e300 was taken in, trained on, and only refused when the model was saved — as a fault
    # of the new model file
    recorded = history.get("iteration", [])

    def counted(v: Any) -> bool:  # written as floats (history columns are), whole ones
        return v is not None and math.isfinite(v) and float(v).is_integer() and 0 <= v <= iteration

    if not all(counted(v) for v in recorded) or recorded != sorted(set(recorded)):
        shown = next((v for v in recorded if not counted(v)), None)
        said = (
            f"iteration {clipped_repr(shown)}" if shown is not None else "iterations out of order"
        )
        raise _corrupt(path, f"its history records {said} (the checkpoint is at {iteration})")
    # the columns a run records (with a validation set's two): another set would be appended
    # to unevenly, and the run refused only when its model was saved, blaming the new file
    recorded_columns = set(HISTORY_COLUMNS) - set(VALIDATION_COLUMNS)
    if history and set(history) not in (recorded_columns, set(HISTORY_COLUMNS)):
        raise _corrupt(
            path,
            f"its history has the columns {', '.join(map(printable, sorted(history)))[:300]}, "
            f"not those a run records ({', '.join(HISTORY_COLUMNS)}; the last two with a "
            "validation set only)",
        )
    return tensors, meta, config


def _flag(field: str) -> str:
    """A preparation setting as the command line spells it."""
    named = {"text": "the text options", "data": "the data's path"}
    return named.get(field, "--" + field.replace("_", "-"))


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62


def resume_state(path: str, tensors: dict, meta: dict, data_info: dict) -> TrainState:
    """The TrainState in a checkpoint, checked against the data it is to continue on."""
    stored = meta.get("data", {})
    made_on = clipped_repr(stored.get("source"), 300)
    same_file = all(stored.get(key) == data_info.get(key) for key in ("source", "n_samples"))
    if same_file and stored.get("sha256") != data_info["sha256"]:
        before, now = stored.get("request"), _as_stored(data_info.get("request"))
        if isinstance(before, dict) and isinstance(now, dict):  # checkpoints since 0.1.0
            changed = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
            if not changed:  # the same options: the file itself is another
                raise UsageError(
                    f"{path}: this checkpoint was made on {made_on} as it was then; "
                    "the data has changed since (its sha256 differs). Resume on the data "
                    "it was made on, or start a new run."
                )
            raise UsageError(
                f"{path}: this checkpoint was made on {made_on} prepared "
                f"another way ({', '.join(map(_flag, changed))} "
                f"{'differs' if len(changed) == 1 else 'differ'}); resume with the "
                "options of the run that made it — the command printed when it stopped repeats "
                "them."
            )
        raise UsageError(
            f"{path}: this checkpoint was made on {made_on} prepared another "
            "way (--standardize, --label, --image-size, --positive-class or the text options "
            "differ), or the file has changed since; resume with the data and options of the "
            "run that made it — the command printed when it stopped repeats them."
        )
    if (
        stored.get("n_features") != data_info["n_features"]
        or stored.get("sha256") != data_info["sha256"]
    ):
        raise UsageError(
            f"{path}: this checkpoint was made on other data "
            f"({stored.get('n_samples')} × {stored.get('n_features')} from "
            f"{made_on}); resume with the same data and options."
        )
    # after the training rows: the validation rows are prepared with their statistics (or
    # vocabulary), so a changed training file changed them too, and was blamed on them
    _same_weights_and_judge(path, stored, data_info)
    try:
        state, config = state_from_checkpoint(tensors, meta)
        if state.rng_state is not None:
            np.random.PCG64().state = state.rng_state
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        raise _corrupt(path, f"its training state is incomplete ({one_line(exc)[:100]})") from exc
    _check_optimiser_state(path, state, config)
    size = (data_info["n_samples"] if state.coefficients else data_info["n_features"]) + 1
    classes = int(data_info.get("n_classes", 2))
    shape = (size,) if classes <= 2 else (size, classes)
    arrays = {"theta": state.theta, "best_theta": state.best_theta}
    if state.opt_state is not None:
        arrays.update(
            {f"opt.{k}": v for k, v in state.opt_state._asdict().items() if hasattr(v, "shape")}
        )
    # L-BFGS's inner products of its pairs: square, one row per pair, finite
    products = {k: arrays.pop(k) for k in ("opt.sy", "opt.yy") if arrays.get(k) is not None}
    for key, a in arrays.items():
        if a is None:
            continue
        # L-BFGS's memory holds pairs like θ along a first axis: (pairs ≥ 1, *θ.shape)
        memory = key.startswith("opt.") and a.ndim == len(shape) + 1 and a.shape[1:] == shape
        memory = memory and a.shape[0] >= 1
        if memory and {v.shape for k, v in arrays.items() if k.startswith("opt.")} != {a.shape}:
            raise _corrupt(path, "the optimiser's tensors differ in shape")
        if (a.shape != shape and not memory) or a.dtype.kind != "f" or not np.isfinite(a).all():
            want = f"{size}" if len(shape) == 1 else f"{size} × {classes}"
            raise _corrupt(
                path,
                f"tensor '{key}' has shape {a.shape} and dtype {a.dtype}, not {want} finite floats",
            )
    pairs = {arrays[k].shape[0] for k in ("opt.s", "opt.y") if arrays.get(k) is not None}
    for key, a in products.items():
        square = len(pairs) == 1 and a.shape == (*pairs, *pairs) and a.dtype.kind == "f"
        if not square or not np.isfinite(a).all():
            raise _corrupt(path, f"tensor '{key}' does not match the optimiser's memory")
    return state


def _as_stored(request: Any) -> Any:
    """A run's request as its checkpoint's JSON holds it (tuples become lists), to compare."""
    return json.loads(json.dumps(request, default=list)) if isinstance(request, dict) else request


def _same_weights_and_judge(path: str, stored: Any, data_info: dict) -> None:
    """--class-weight and --validation change what a run fits and which weights early stopping
    keeps, not its training rows: a resume with another of them (or without the one it had)
    went on from this run's state as another run, and verify then called the model changed."""
    before = stored.get("request") if isinstance(stored, dict) else None
    now = _as_stored(data_info.get("request"))
    if not isinstance(before, dict) or not isinstance(now, dict):
        return

    def said(flag: str, value: Any) -> str:
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        return f"no {flag}" if value is None else f"{flag} {printable(shown[:200])}"

    def factors(value: Any) -> Any:  # a class left out of a mapping weighs 1
        if not isinstance(value, dict):
            return value
        return {key: w for key, w in value.items() if w != 1} or None

    weights = before.get("class_weight"), now.get("class_weight")
    if factors(weights[0]) == factors(weights[1]):
        weights = weights[0], weights[0]
    judge = before.get("validation"), now.get("validation")
    # (checkpoints from before the field was kept cannot tell)
    was = stored.get("validation_sha256", data_info.get("validation_sha256"))
    rows_differ = was != data_info.get("validation_sha256")
    if weights[0] != weights[1]:
        why = f"{said('--class-weight', weights[0])}, this one {said('--class-weight', weights[1])}"
    elif (judge[0] is None) != (judge[1] is None) or (rows_differ and judge[0] != judge[1]):
        why = f"{said('--validation', judge[0])}, this one {said('--validation', judge[1])}"
    elif rows_differ:
        why = f"{said('--validation', judge[0])} as it was then (its rows have changed since)"
    else:
        return
    raise UsageError(
        f"{path}: the run that made this checkpoint had {why}; resume with the options and data "
        "of the run that made it — the command printed when it stopped repeats them — or start a "
        "new run without --resume."
    )


def agree_with(config: TrainConfig, given: dict[str, Any], flags: dict[str, str]) -> None:
    """Options given again with --resume must match the checkpoint's; name the one that does
    not (``flags`` maps a setting to its command-line spelling)."""
    stored = config.to_dict()
    for key, value in given.items():
        if value is not None and stored.get(key) != value:
            flag = flags.get(key, "--" + key.replace("_", "-"))
            raise UsageError(
                f"{flag} {value} differs from the checkpoint's {clipped_repr(stored.get(key))}; "
                f"drop {flag} to resume the same run, or start a new run without --resume."
            )


def resumed_backend(given: str, stored: Any, streamed: bool = False) -> str:
    """The backend a resume runs on: the checkpoint's where --backend is not given (Dask and
    torch sum in their own order, so a torch run resumed in memory ended a few per cent away
    on an unconverged run, without a word); a --backend that would change it is refused, as
    other settings are. In memory or streamed ("auto", "numpy") is one arithmetic."""
    from lrnn.run import arithmetic_backend

    recorded = arithmetic_backend(stored)
    if streamed and recorded != "auto":  # (it blamed a --backend never given)
        raise UsageError(
            f"the run that made this checkpoint trained on --backend {recorded}, in memory; "
            "resume it as it ran, without --stream, or start a new run without --resume."
        )
    if given == "auto":
        return recorded
    if arithmetic_backend(given) == recorded:  # "numpy" is "auto"'s arithmetic
        return given
    raise UsageError(
        f"--backend {given} differs from the checkpoint's {recorded!r} (a run's sums depend on "
        "its backend); drop --backend to resume the same run, or start a new run without "
        "--resume."
    )


class Checkpointer(Callback):
    """Saves the run every ``every`` iterations, and stops it (after saving) when asked to —
    the CLI's Ctrl-C handler sets ``interrupted``."""

    def __init__(
        self,
        path: str | None,
        every: int | None,
        config: TrainConfig,
        data_info: dict,
        outputs: dict[str, str | None] | None = None,
    ) -> None:
        self.path, self.every, self.config, self.data_info = path, every, config, data_info
        #: where the run writes its model and history: a resumed run is told if it would not
        self.outputs = outputs
        self.interrupted = False
        #: the iteration of the last checkpoint this run wrote (None: none yet)
        self.saved_at: int | None = None

    def on_step(self, state: TrainState) -> bool:
        if self.path and self.every and state.iteration % self.every == 0:
            self.save(state)
        return self.interrupted

    def save(self, state: TrainState, path: str | None = None, finished: str | None = None) -> None:
        """``finished``: the run's stop reason, for the state saved at its end — a later run
        is told of an earlier run's checkpoint only when that run did not finish."""
        tensors, meta = state_to_checkpoint(state, self.config)
        if finished is not None:
            meta["finished"] = finished
        meta["data"] = self.data_info
        if self.outputs is not None:
            meta["outputs"] = self.outputs
        persist.save_checkpoint(path or self.path, tensors, meta)
        self.saved_at = state.iteration


def mark_finished(path: str, reason: str) -> None:
    """Mark a checkpoint's run as ended (a diverged one): a new run may then take its path,
    where an unfinished run's checkpoint is kept from being replaced."""
    tensors, meta = persist.load_checkpoint(path)
    persist.save_checkpoint(path, tensors, {**meta, "finished": reason})


def recorded_outputs(meta: dict) -> dict[str, str]:
    """The model and history paths the run that wrote a checkpoint used (only well-formed
    entries: the file may be someone else's)."""
    outputs = meta.get("outputs")
    if not isinstance(outputs, dict):
        return {}
    return {k: v for k, v in outputs.items() if k in ("model", "history") and isinstance(v, str)}


def manifest(
    config: TrainConfig, data_info: dict, result: TrainResult, request: dict | None = None
) -> dict:
    """How to reproduce a model: versions, settings, seed, the data's fingerprint, and how the
    training data was prepared (``request``: hold-outs, weights, label, positive class)."""
    out = {
        "lrnn_version": __version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "solver_settings": config.to_dict(),
        "seed": config.random_state,
        "data_source": data_info["source"],
        "data_sha256": data_info["sha256"],
        "final_cost": result.final_cost,
    }
    for part in ("test_sha256", "validation_sha256"):
        if part in data_info:
            out[part] = data_info[part]
    if request is not None:
        out["request"] = request
    return out


__all__ = [
    "Checkpointer",
    "agree_with",
    "manifest",
    "read",
    "resume_state",
    "state_from_checkpoint",
    "state_to_checkpoint",
]
