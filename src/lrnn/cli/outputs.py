"""One output plan per command, checked before any work starts (and, once a run has finished,
its outputs written before an interrupt stops it: :func:`finishing_first`).

Every path a command will write (model, plot, history, report, checkpoint, ``-o``) is resolved
— symlinks followed — and refused, with one line and exit 2, when it is empty, a folder, in a
folder that does not exist or cannot be written, has a suffix that output cannot have, names one
of the command's inputs or lies inside an input folder, or names another output of the same
command. A path the user did not
give (the learning curve beside the model, say) never replaces a file that lrnn did not write:
lrnn marks its pictures and reports, and an unmarked file in the way is reported with the
options that avoid it. So a command that fails on its outputs has changed no file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrnn.errors import LrnnError, UsageError, printable
from lrnn.files import OUTPUT_SUFFIXES, WITH_A_MARK, lrnn_file, lrnn_wrote


@dataclass
class OutputPlan:
    """The inputs a command reads and the outputs it will write, checked together."""

    inputs: list[tuple[str, str]] = field(default_factory=list)  # (option, path)
    outputs: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def read(self, option: str, path: str | os.PathLike | None) -> OutputPlan:
        if path:
            self.inputs.append((option, os.fspath(path)))
        return self

    def write(
        self,
        option: str,
        path: str | os.PathLike | None,
        kind: str,
        *,
        derived: str | None = None,
    ) -> OutputPlan:
        """``derived``: the path was not given, lrnn chose it; the text says how to choose
        another (e.g. "give --plot PATH, or --no-plot")."""
        if path is not None:
            self.outputs.append((option, os.fspath(path), kind, derived))
        return self

    def check(self) -> None:
        """Raise UsageError for the first output that cannot or must not be written."""
        from lrnn import files

        seen: dict[Path, str] = {}
        inputs = {_resolved(p): (opt, p) for opt, p in self.inputs if Path(p).exists()}
        for option, path, kind, derived in self.outputs:
            if not path.strip():
                raise UsageError(f"{option} is empty; give a file name, e.g. {_example(kind)}.")
            allowed = OUTPUT_SUFFIXES[kind]
            if allowed and Path(path).suffix.lower() not in allowed:
                # --report's name is optional, so `--report DATA` took the data as the name
                data_first = (
                    f" (to train on {path}, give it before {option}: lrnn train {path} {option})"
                    if option == "--report" and Path(path).exists() and derived is None
                    else ""
                )
                raise UsageError(
                    f"{option} {path}: a {kind} is written as {' or '.join(allowed)}; "
                    f"give a name such as {_example(kind)}{data_first}."
                )
            files.check_writable(path, _example(kind))
            where = _resolved(path)
            if where in inputs:
                in_option, in_path = inputs[where]
                raise UsageError(
                    f"{option} {path} is the same file as the input {in_option} {in_path}; "
                    "writing there would destroy it — choose another output name."
                )
            folder = next((inputs[d] for d in where.parents if d in inputs), None)
            if folder is not None:
                raise UsageError(
                    f"{option} {path} is inside the input folder {folder[1]} ({folder[0]}); "
                    "a file written there would change the data — choose a path outside it."
                )
            if where in seen:
                raise UsageError(
                    f"{option} {path} is also the {seen[where]} output; give each output its "
                    "own file."
                )
            seen[where] = option
            if kind in ("model", "checkpoint") and where.is_file() and not lrnn_wrote(where, kind):
                named = f"{path} (the default {kind} path)" if derived else f"{option} {path}"
                way_out = derived or f"give another {option} path, or move that file away"
                raise UsageError(
                    f"{named} already exists and is not an lrnn {kind}, so it is left alone; "
                    f"{way_out}."
                )
            if derived and kind in WITH_A_MARK and where.exists() and not lrnn_wrote(where, kind):
                raise UsageError(
                    f"{path} (the default {kind} path) already exists and was not written by "
                    f"lrnn, so it is left alone; {derived}."
                )
            if kind in WITH_A_MARK and where.is_file() and not lrnn_wrote(where, kind):
                raise UsageError(
                    f"{option} {path} already exists and was not written by lrnn, so it is "
                    f"left alone; give another {option} path, or move that file away."
                )


def default_checkpoint(model_path: str) -> Path:
    """MODEL.ckpt.safetensors: where a run that schedules no checkpoint saves one when stopped."""
    return Path(f"{Path(model_path).with_suffix('')}.ckpt.safetensors")


def earlier_checkpoint(model_path: str) -> Path | None:
    """The default checkpoint path when an lrnn checkpoint is there: an earlier run's, which
    a run that neither resumes it nor names a checkpoint must leave alone."""
    path = default_checkpoint(model_path)
    return path if _holds_a_checkpoint(path) else None


def _holds_a_checkpoint(path: Path) -> bool:
    """An lrnn checkpoint is there, as a file of its own (not a link to one elsewhere)."""
    return path.is_file() and not path.is_symlink() and lrnn_file(path, "checkpoint")


def interrupt_checkpoint(model_path: str) -> tuple[str, str]:
    """(where a run stopped by Ctrl-C or SIGTERM saves its state, a note on why not at the
    default path): MODEL.ckpt.safetensors when nothing is there, else MODEL-2.ckpt.safetensors,
    MODEL-3…, the first that is free. What is there is never replaced: another file, or an
    earlier run's checkpoint — its progress (627,869 iterations) was lost to a run that only
    forgot --resume."""
    default = default_checkpoint(model_path)
    base = Path(model_path).with_suffix("")
    for number in range(1, 1000):
        path = Path(f"{base}{'' if number == 1 else f'-{number}'}.ckpt.safetensors")
        if not os.path.lexists(path):
            break
    if path == default:
        return str(path), ""
    held = "an earlier run's checkpoint" if earlier_checkpoint(model_path) else "another file"
    return str(path), f" ({default} holds {held}, left alone)"


def _resolved(path: str | os.PathLike) -> Path:
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def _example(kind: str) -> str:
    return {
        "model": "model.safetensors",
        "checkpoint": "run.ckpt.safetensors",
        "plot": "curve.png",
        "history": "history.csv",
        "report": "report.html",
    }[kind]


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM ignored for a few milliseconds of writing: a second Ctrl-C pressed
    right after the first cut the checkpoint that the first asked for, and the run was lost."""
    held = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def finishing_first(what: str, already: Sequence[int] = ()) -> Iterator[list[int]]:
    """Ctrl-C or SIGTERM once the iterations are done: finish ``what`` (a few seconds at most,
    the report's pictures being the slowest), then stop — a trained model is not thrown away.
    A second one stops at once, and then nothing is written (the old files stay). ``already``:
    interrupts received before this began (they count as the first)."""
    received: list[int] = list(already[:1])

    def say() -> None:
        print(
            f"interrupted: {what} first (interrupt again to stop at once, saving nothing)",
            file=sys.stderr,
            flush=True,
        )

    def later(signum: int, _frame: Any) -> None:
        if received:
            raise KeyboardInterrupt
        received.append(signum)
        say()

    if received:
        say()

    previous = {s: signal.signal(s, later) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _where_it_stopped(path: Path) -> str | None:
    """ " at iteration N of M" (or "" when the file cannot tell) for the checkpoint of a run
    that did not finish; None for one that did (or diverged), or an empty file."""
    if path.stat().st_size == 0:
        return None
    try:
        from lrnn import checkpoint

        _, meta, config = checkpoint.read(str(path))
        done, planned = int(meta["iteration"]), int(config.max_iter)
        finished = meta.get("finished") is not None
    except (LrnnError, KeyError, TypeError, ValueError):
        return ""
    if finished or done >= planned:
        return None
    return f" at iteration {done} of {planned}"


def checkpoint_may_replace(path: str) -> bool:
    """Whether a checkpoint may be written at ``path``: nothing is there, or lrnn's own
    checkpoint is (a file of the user's put there during the run is not)."""
    target = Path(path)
    return not os.path.lexists(target) or _holds_a_checkpoint(target)


def refuse_replacing_a_waiting_run(path: str, resume: str | None) -> None:
    """A --checkpoint path that holds an earlier run's unfinished checkpoint: a new run's
    saves (or its Ctrl-C) replaced it without a word, where the default path is left alone."""
    target = Path(path)
    if not _holds_a_checkpoint(target):
        return
    if resume is not None and os.path.exists(resume) and os.path.samefile(resume, target):
        return  # the run it continues
    at = _where_it_stopped(target)
    if at is not None:  # (an empty file holds no run)
        raise UsageError(
            f"--checkpoint {printable(path)} holds an earlier run stopped{at}, which this run "
            f"would replace; continue that run with --resume {printable(path)}, or give "
            "another --checkpoint path."
        )


def say_if_an_earlier_run_waits(model_path: str, own: str | None) -> None:
    """A checkpoint at the default path is an earlier run's, stopped and not resumed: this run
    starts afresh (and a Ctrl-C now leaves that file alone), which is said at once, while
    --resume can still be added."""
    path = earlier_checkpoint(model_path)
    at = None if path is None else _where_it_stopped(path)
    if path is None or at is None:
        return  # a run that ended keeps its last state there: nothing waits
    goes = f" (its checkpoints go to {printable(own)})" if own else ""
    warnings.warn(
        f"{printable(str(path))} holds an earlier run stopped{at}; this run starts afresh and "
        f"leaves it alone{goes} — to continue that run instead, add --resume "
        f"{printable(str(path))}.",
        stacklevel=2,
    )
