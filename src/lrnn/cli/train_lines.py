"""What ``lrnn train`` says around a run: the line before it (data, test part, target, solver,
validation set, where the passes run), a progress bar on a terminal, and the line after it
(why it stopped)."""

from __future__ import annotations

import sys

from lrnn.train import Callback


def progress_bar(total: int):
    import shutil

    from tqdm import tqdm

    class Bar(Callback):
        def __init__(self) -> None:
            # A terminal that reports no size (a bare pty) would get no bar at all.
            size = shutil.get_terminal_size()
            self.bar = tqdm(
                total=total,
                unit="it",
                file=sys.stderr,
                leave=False,
                ncols=size.columns or 80,
                nrows=size.lines or 24,
            )

        def on_step(self, state):
            self.bar.update(state.iteration - self.bar.n)  # tqdm limits its own redraws
            return None

        def on_end(self, result):
            self.bar.close()

    return Bar()


def header(td, cfg) -> str:
    """What is about to run, said plainly: data, test part, positive class, solver."""
    from lrnn.train import solver_for

    backend = td.backend
    solver = solver_for(backend, cfg.solver)
    name = cfg.solver if solver.name == cfg.solver else f"{cfg.solver} ({solver.name} here)"
    unit = "epoch" if solver.minibatches else "iteration"
    unit += "" if cfg.max_iter == 1 else "s"
    if solver.uses_learning_rate:
        steps = f"learning rate {cfg.learning_rate}, {cfg.max_iter} {unit}"
    else:
        steps = f"own step sizes, at most {cfg.max_iter} {unit}"
    if len(td.classes) > 2:
        shown = ", ".join(map(repr, td.classes[:4])) + (", …" if len(td.classes) > 4 else "")
        target = f"{len(td.classes)} classes ({shown}), a softmax layer"
    else:
        target = f"positive class: {td.classes[-1]!r}"
    return (
        f"Training on {td.source}: {backend.n_samples} examples × {backend.n_features} features "
        f"({td.stored_dtype}); test: {td.test_description}; {target}; solver {name}, {steps}"
        + _validation(td)
        + _where(backend, str(td.stored_dtype))
    )


def _validation(td) -> str:
    """The validation set the history's val_ columns (and early stopping) are measured on."""
    if td.validation is None:
        return ""
    given = td.request.validation if td.request is not None else None
    origin = f" from {given}" if given else f" held out of {td.source}"
    return f"; validation: {td.validation.n_samples} examples{origin}"


def _where(backend, stored: str = "") -> str:
    """Where the passes run, when that is not this process's memory: a Dask cluster, torch's
    device, blocks streamed from disk (unless the data's description already says so)."""
    name = getattr(backend, "name", "numpy")
    if name == "dask":
        return "; on Dask"
    if name == "torch":
        return f"; on torch ({getattr(backend, 'device', 'cpu')})"
    if name == "stream" and "streamed" not in stored:
        return "; streamed from disk"
    return ""


#: Each stop reason in words, for the line after training.
_STOPS = {
    "max_iter": "ran every iteration asked for",
    "tol": "the gradient fell below --tol",
    "converged": "at the optimum: no step lowers the cost further",
    "stalled": "no step lowered the cost further, but the gradient is not small (see warning)",
    "max_fun": "hit the solver's limit of cost evaluations (see warning)",
    "early_stopping": "early stopping: the validation loss stopped improving",
    "separable": "the data is perfectly separated (see warning)",
}


def stop_line(result, chosen_rate: bool = False) -> str:
    """How the run ended; ``chosen_rate``: the learning rate lrnn picked (``auto``) is said."""
    unit = "iteration" if result.n_iter == 1 else "iterations"
    rate = ""
    if chosen_rate and result.learning_rate is not None:
        rate = f", learning rate {result.learning_rate:.4g} (auto)"
    return (
        f"Stopped after {result.n_iter} {unit}: {_STOPS.get(result.stop_reason, '?')}; "
        f"solver {result.solver}{rate}, final cost {result.final_cost:f}"
    )
