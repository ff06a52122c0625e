"""What each ``lrnn`` sub-command does: call the library, print the result.

No math and no data preparation here: :mod:`lrnn.run` prepares training data and builds model
files, :mod:`lrnn.train` trains, :mod:`lrnn.checkpoint` saves and resumes, :mod:`lrnn.metrics`
scores, :mod:`lrnn.plots` and :mod:`lrnn.report` draw. Every output path is checked before any
work starts.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import signal
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from lrnn import config
from lrnn.cli.outputs import (
    OutputPlan,
    checkpoint_may_replace,
    finishing_first,
    interrupt_checkpoint,
    interrupts_held,
    refuse_replacing_a_waiting_run,
    say_if_an_earlier_run_waits,
)
from lrnn.cli.saved_model import load_model_and_spec
from lrnn.cli.train_lines import (
    TEXT_OPTIONS,
    header,
    progress_bar,
    resume_hint,
    same_model_path,
    say_if_label_is_unused,
    say_if_no_history,
    say_if_the_lessons_rate_is_tiny,
    scored_label,
    settings_for_the_data,
    six_decimals,
    stop_line,
    warn_unused_options,
)
from lrnn.config import default
from lrnn.errors import LrnnError, TrainingDiverged, UsageError, finite_json, printable
from lrnn.train import Callback

DEFAULT_MODEL = "lrnn-model.safetensors"
DEFAULT_REPORT = "lrnn-report.html"
DEFAULT_COMPARE_PLOT = "lrnn-compare-lr.png"
#: How the CLI spells the TrainConfig fields it sets (for messages).
FLAGS = {
    "solver": "--solver",
    "learning_rate": "--learning-rate",
    "max_iter": "--iterations",
    "alpha": "--alpha",
    "tol": "--tol",
    "batch_size": "--batch-size",
    "random_state": "--seed",
    "early_stopping": "--early-stopping",
    "n_iter_no_change": "--n-iter-no-change",
    "record_every": "--print-every",
}


# --------------------------------------------------------------------------------------------
# Shared steps
# --------------------------------------------------------------------------------------------
def _out(args: argparse.Namespace, text: str = "", **obj: Any) -> None:
    """A result: JSON when --json, else the text line."""
    if getattr(args, "json", False):
        if obj:
            print(json.dumps(finite_json(obj), default=_json_default, allow_nan=False), flush=True)
    else:
        print(text, flush=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic | np.ndarray):  # a number, or a list of them
        return value.tolist()
    return str(value)


def _choose(option: str, given: str | None, opt_out: str | None = None) -> str | None:
    """For a path lrnn picks itself (the option not given): how to pick another."""
    if given:
        return None
    return f"give {option} PATH" + (f", or {opt_out}" if opt_out else "")


def _request(args: argparse.Namespace):
    from lrnn.run import TrainingRequest

    return TrainingRequest(  # what the options ask for, as the run reads it
        data=args.data,
        test=getattr(args, "test", None),
        validation=getattr(args, "validation", None),
        label=args.label,
        image_size=args.image_size,
        standardize=bool(getattr(args, "standardize", False)),
        stream=bool(getattr(args, "stream", False)),
        early_stopping=bool(getattr(args, "early_stopping", False)),
        validation_fraction=getattr(args, "validation_fraction", None),
        class_weight=getattr(args, "class_weight", None),
        backend=getattr(args, "backend", "auto"),
        seed=getattr(args, "seed", None),
        positive_class=getattr(args, "positive_class", None),
        text=_text_settings(args),
        drop=tuple(getattr(args, "drop", ()) or ()),
    )


def _text_settings(args: argparse.Namespace) -> dict | None:
    """Text settings from --text-column/--ngrams/… (the defaults when none is given)."""
    from lrnn.data.text import settings

    if not any(hasattr(args, n) for n in TEXT_OPTIONS):
        return None
    return settings(**{n: getattr(args, n, None) for n in TEXT_OPTIONS})


class _LessonLines(Callback):
    """Prints "Cost after iteration i: c" every ``every`` iterations (or JSON lines)."""

    def __init__(self, every: int, as_json: bool, bar: Any = None) -> None:
        self.every, self.as_json, self.bar = every, as_json, bar

    def on_record(self, record: dict[str, float]) -> None:
        if record["iteration"] % self.every:
            return
        if self.as_json:
            print(
                json.dumps(finite_json({"event": "record", **record}), default=_json_default),
                flush=True,
            )
        else:  # past the progress bar, not on its line
            say = self.bar.say if self.bar is not None else print
            say(f"Cost after iteration {record['iteration']}: {six_decimals(record['cost'])}")


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------
def _train_config(args, resumed):
    """The run's TrainConfig: the checkpoint's when resuming (options given again must agree),
    else the options given over lrnn.config's defaults."""
    from lrnn import checkpoint, solvers
    from lrnn.config import TrainConfig

    given = {
        "solver": args.solver,
        "learning_rate": args.learning_rate,
        "max_iter": args.iterations,
        "alpha": args.alpha,
        "tol": args.tol,
        "batch_size": args.batch_size,
        "random_state": args.seed,
        "early_stopping": args.early_stopping,
        "n_iter_no_change": args.n_iter_no_change,
    }
    if resumed is not None:
        checkpoint.agree_with(resumed, given, FLAGS)
        return resumed
    settings = {k: v for k, v in given.items() if v is not None}
    # First-order runs last thousands of iterations: record where the lesson prints. Second-order
    # solvers finish in tens of iterations, so each one is worth a row of history.
    solver = solvers.get(settings.get("solver", default("solver")))
    every = 1 if solver.record_every_iteration else args.print_every or config.PRINT_EVERY
    return TrainConfig.build(FLAGS, record_every=every, **settings)


def _train_paths(args) -> dict[str, str | None]:
    model_path = args.model
    if not model_path.strip():
        raise UsageError("--model is empty; give a file name, e.g. model.safetensors.")
    paths = {
        "model": model_path,
        "plot": None
        if args.no_plot
        else (args.plot if args.plot is not None else str(Path(model_path).with_suffix(".png"))),
        "report": None,
        "history": args.history,
        "checkpoint": args.checkpoint,
    }
    if args.report is not None:
        paths["report"] = args.report or str(Path(model_path).with_suffix(".html"))
    if args.checkpoint_every and not args.checkpoint:
        from lrnn.cli.outputs import interrupt_checkpoint

        # a resumed run goes on saving into the checkpoint it continues (as its Ctrl-C does);
        # a new one to the default path, unless a file is there: an earlier run's checkpoint is
        # never replaced by a run that does not resume it (the next free name instead)
        paths["checkpoint"] = args.resume or interrupt_checkpoint(model_path)[0]
    return paths


def _backend_name(args) -> str:
    if args.backend == "dask" and args.scheduler:
        from lrnn.backends.dask_backend import connect

        # The client becomes dask's default for this process; keep it referenced.
        args.dask_client = connect(args.scheduler)
    return args.backend


def cmd_train(args: argparse.Namespace) -> int:
    from lrnn import after_training, checkpoint, run, solvers
    from lrnn.train import train

    lrnn_chose_model = args.model is None  # messages then say "the default model path"
    args.model = DEFAULT_MODEL if lrnn_chose_model else args.model
    paths = _train_paths(args)
    request = _request(args)
    _refuse_conflicting_options(args, paths, request)
    _check_train_outputs(args, paths, lrnn_chose_model)

    if not args.resume and not args.checkpoint:
        say_if_an_earlier_run_waits(args.model, paths["checkpoint"])
    elif args.checkpoint:
        refuse_replacing_a_waiting_run(args.checkpoint, args.resume)
    resumed = tensors = meta = None
    if args.resume:
        tensors, meta, resumed = checkpoint.read(args.resume)
        paths["checkpoint"] = paths["checkpoint"] or args.resume
        same_model_path(args, paths, checkpoint.recorded_outputs(meta))
        made = (meta.get("data") or {}).get("request")
        if isinstance(made, dict) and made.get("standardize_on") in (None, "all rows"):
            # a checkpoint from before --standardize left the test rows out: its rule
            request = dataclasses.replace(request, standardize_on="all rows")
        if isinstance(made, dict):
            args.backend = checkpoint.resumed_backend(
                args.backend, made.get("backend"), request.stream
            )
            request = dataclasses.replace(request, backend=args.backend)
    cfg = _train_config(args, resumed)
    # lbfgs and newton record every iteration, whatever is printed: no history row changes
    spaced = resumed is not None and not solvers.get(cfg.solver).record_every_iteration
    if spaced and args.print_every not in (None, 0, cfg.record_every):
        # the history's rows must stay evenly spaced across the two parts, and lines are
        # printed at its rows: every N where both fall (it said "printed that often")
        every = math.lcm(args.print_every, cfg.record_every)
        warnings.warn(
            f"--print-every {args.print_every}: the history keeps the spacing of the run it "
            f"continues (every {cfg.record_every} iterations), and lines are printed at its rows"
            f" — every {every} iterations.",
            stacklevel=1,
        )
    td = run.prepare(request, cfg.random_state, _backend_name(args))
    warn_unused_options(args, td.spec)
    cfg = settings_for_the_data(args, cfg, td.backend, resumed is not None)
    state = None
    # how the data was prepared travels in the checkpoint: a resume can tell a changed file
    # from other options
    data_info = {**td.info, "request": td.request and td.request.to_manifest()}
    if resumed is not None:
        state = checkpoint.resume_state(args.resume, tensors, meta, data_info)
        say_if_no_history(args, paths, checkpoint.recorded_outputs(meta))
    resumed_at = None if state is None else state.iteration

    if not args.json:
        print(header(td, cfg), flush=True)
        if state is not None:
            print(f"Resuming {printable(args.resume)} from iteration {state.iteration}", flush=True)
    outputs = {"model": paths["model"], "history": paths["history"]}
    saver = checkpoint.Checkpointer(
        paths["checkpoint"], args.checkpoint_every, cfg, data_info, outputs
    )
    # Second-order solvers record (and so print) every one of their few iterations.
    bar = progress_bar(cfg.max_iter) if sys.stderr.isatty() and not args.json else None
    lines = _LessonLines(args.print_every or cfg.record_every, args.json, bar)
    callbacks: list[Any] = [lines, saver, *([bar] if bar is not None else [])]
    received: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        received.append(signum)
        saver.interrupted = True
        if len(received) > 1:  # asked twice: stop at once
            raise KeyboardInterrupt("stopped at once, in the iteration: no checkpoint saved")

    # Ctrl-C, and SIGTERM (what timeout, docker stop and batch schedulers send): both end the
    # run at the next iteration with a checkpoint to resume from.
    # A signal the run was started ignoring (a job a script put in the background ignores
    # SIGINT, nohup SIGHUP) stays ignored: the terminal's Ctrl-C was not meant for it.
    caught = [s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) != signal.SIG_IGN]
    previous = {s: signal.signal(s, stop) for s in caught}
    try:
        result = train(td.backend, cfg, validation=td.validation, callbacks=callbacks, resume=state)
    except TrainingDiverged as exc:
        kept = "The model was not saved"
        if saver.saved_at is not None:  # marked, so that a new run may use its path
            with contextlib.suppress(OSError, LrnnError):  # the divergence is what is said
                checkpoint.mark_finished(paths["checkpoint"], "diverged")
            kept += (
                f"; {paths['checkpoint']} holds iteration {saver.saved_at}, on the way to diverging"
            )
        raise LrnnError(f"{exc} {kept}.") from exc
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if result.stop_reason == "interrupted":
        target, note = (paths["checkpoint"], "")
        if target is None:
            target, note = interrupt_checkpoint(args.model)
        with interrupts_held():  # the checkpoint the first Ctrl-C asked for
            saver.save(result.state, target)
        hint = f"lrnn train {resume_hint(args, target)}"
        if args.json:  # a reader of the stream learns why it ends, and how to go on
            _out(args, event="interrupted", iteration=result.n_iter, checkpoint=target, resume=hint)
        print(
            f"Interrupted at iteration {result.n_iter}; checkpoint saved to {printable(target)}"
            f"{printable(note)}. Resume with: {hint}",
            file=sys.stderr,
        )
        return 128 + (received[0] if received else signal.SIGINT)

    # an interrupt after the last iteration (while the result was put together) counts too
    with finishing_first("saving the model and its files", received) as late:
        _check_outputs_again(args, paths, lrnn_chose_model, saver, result.state)
        model = after_training.model_file(result, td, cfg)
        if resumed_at is not None:  # verify can then say why an lbfgs-scipy model's bits differ
            manifest = {**model.manifest, "resumed_at": resumed_at}
            model = dataclasses.replace(model, manifest=manifest)
        _save_train_outputs(args, paths, model, result, td)
        kept = paths["checkpoint"] or args.resume  # a checkpoint this run wrote or continued
        if not (kept and (saver.saved_at is not None or args.resume)):
            kept = None
        if kept:
            # the finished state, marked as such: a resume from it has nothing left to do
            # (short of the end, it redid the tail and replaced the model), and a later run
            # is not told that this one waits to be resumed
            saver.save(result.state, kept, finished=result.stop_reason)
    paths = {**paths, "checkpoint": kept}  # said with the other files (-2, -3… when taken)
    _say_what_was_trained(args, paths, model.training, result, cfg.record_every)
    if not args.json:
        say_if_the_lessons_rate_is_tiny(args, td, cfg, result)
    return 128 + late[0] if late else 0


def _check_outputs_again(
    args: argparse.Namespace, paths: dict, lrnn_chose_model: bool, saver: Any, state: Any
) -> None:
    """The outputs checked again once the run is done: a file not lrnn's put at one of the
    paths while it trained (or a folder made read-only) was replaced, or every iteration lost.
    The run's final state is saved first (its checkpoint path, else a free one beside the
    model, else the temporary folder), so that the refusal costs no training."""
    try:
        _check_train_outputs(args, paths, lrnn_chose_model)
    except UsageError as refused:
        import tempfile

        chosen = paths["checkpoint"]
        if chosen is None or not checkpoint_may_replace(chosen):  # the file refused, maybe
            chosen = interrupt_checkpoint(args.model)[0]  # a free name beside the model

        def places() -> Iterator[str]:  # the temporary folder made only when needed
            yield chosen
            yield str(Path(tempfile.mkdtemp(prefix="lrnn-")) / Path(chosen).name)

        for target in places():
            try:
                saver.save(state, target)
            except (OSError, LrnnError):
                continue
            raise UsageError(
                f"{str(refused).rstrip('.')} (found once the run was done); its final state is "
                f"saved to {printable(target)} — once that is sorted out, lrnn train "
                f"{resume_hint(args, target)} saves the model without training again."
            ) from None
        raise


def _refuse_conflicting_options(args: argparse.Namespace, paths: dict, request: Any) -> None:
    """Options that cannot go together, refused before any file is read or written."""
    from lrnn import data

    if args.scheduler and args.backend != "dask":
        raise UsageError("--scheduler needs --backend dask.")
    if paths["report"] and data.is_out_of_core(request.data, request.stream):
        raise UsageError(
            "--report needs data that fits in memory; write the report afterwards with "
            "lrnn report --model M SMALLER_DATA."
        )
    if args.text_column is not None and args.text_column == args.label:
        raise UsageError(
            f"--text-column {args.text_column} is also the label column; name the column of "
            "documents with --text-column and the classes with --label."
        )


def _check_train_outputs(args: argparse.Namespace, paths: dict, lrnn_chose_model: bool) -> None:
    """Refuse, before any work, an output that would destroy an input or a file not lrnn's."""
    if args.resume and Path(args.resume).resolve() == Path(paths["model"]).resolve():
        raise UsageError(
            f"--model {paths['model']} is the checkpoint --resume reads; the model would "
            "replace it — give the model another name."
        )
    plan = OutputPlan().read("DATA", args.data).read("--test", args.test)
    plan.read("--validation", args.validation)
    given = None if lrnn_chose_model else args.model
    plan.write("--model", paths["model"], "model", derived=_choose("--model", given))
    plan.write("--plot", paths["plot"], "plot", derived=_choose("--plot", args.plot, "--no-plot"))
    plan.write("--report", paths["report"], "report", derived=_choose("--report", args.report))
    plan.write("--history", paths["history"], "history")
    plan.write("--checkpoint", paths["checkpoint"], "checkpoint")
    plan.check()


def _say_what_was_trained(
    args: argparse.Namespace, paths: dict, training: dict, result: Any, record_every: int
) -> None:
    """The run's last lines: one JSON result, or the stop line, accuracies and saved files."""
    # weights restored from the first recorded checks: the model has barely trained (the zero
    # start kept is said, with its reason, by the warning of it: not told a second way here)
    kept_start = result.restored_iteration == 0 and not (np.any(result.w) or np.any(result.b))
    note = None
    if (
        result.restored_iteration is not None
        and result.restored_iteration <= record_every
        and (not kept_start)
    ):
        note = (
            f"early stopping kept the weights of iteration {result.restored_iteration}, "
            "one of the first checks: the validation loss never improved on them, so the model "
            "has barely trained; try a smaller --learning-rate, a larger --n-iter-no-change or "
            "--validation-fraction, or train without --early-stopping."
        )
    if args.json:  # the note is the result's too: a reader of the stream sees no other line
        _out(
            args,
            event="result",
            model=paths["model"],
            plot=paths["plot"],
            report=paths["report"],
            history=paths["history"],
            checkpoint=paths["checkpoint"],
            converged=result.converged,
            **{"restored_iteration": result.restored_iteration, **training},
            note=note,
        )
        return
    print(stop_line(result, chosen_rate=getattr(args, "learning_rate", None) == "auto"))
    if note is not None:
        print(f"note: {note}")
    print(f"train accuracy: {100 * training['train_accuracy']} %")
    if not math.isnan(training["test_accuracy"]):
        print(f"test accuracy: {100 * training['test_accuracy']} %")
    print(f"model saved to {printable(paths['model'])}")
    saved = ("learning curve", "plot"), ("history", "history"), ("report", "report")
    for what, key in (*saved, ("checkpoint", "checkpoint")):
        if paths[key]:
            print(f"{what} saved to {printable(paths[key])}")


def _save_train_outputs(args, paths: dict, model, result, td) -> None:
    from lrnn import files

    for path in paths.values():
        if path:
            files.clean_stale_temp_files(path)
    with files.all_or_nothing():  # a report that fails to write leaves the old model in place
        _write_train_outputs(paths, model, result, td)


def _write_train_outputs(paths: dict, model, result, td) -> None:
    from lrnn import model_meta, persist

    persist.save_model(paths["model"], model)
    if paths["history"]:
        from lrnn.history import save_history

        save_history(result.history, paths["history"])
    if paths["plot"]:
        from lrnn import plots

        plots.learning_curve(
            result.history,
            paths["plot"],
            train_accuracy=model.training["train_accuracy"],
            test_accuracy=model.training["test_accuracy"],
            final=model_meta.final_point(model.training),
            kept=model_meta.kept_iteration(model.training),  # early stopping's, marked
        )
    if paths["report"]:
        from lrnn import report

        # a report on the held-out rows is not a report on the whole folder it is named after
        request = td.request
        title = "lrnn report"
        if request is not None and not request.test and request.hold_out_test:
            title = f"lrnn report: {Path(td.source).name or td.source}, {td.test_description}"
        report.write_report(
            paths["report"], model=model, dataset=td.test_ds, history=result.history, title=title
        )


# --------------------------------------------------------------------------------------------
# export, serve
# --------------------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from lrnn.export import export

    summary = export(args.model, args.output, float32=args.float32)
    shape = " × ".join(map(str, summary["input"]["shape"]))
    classes = summary["classes"]
    probabilities = (
        ", ".join(f"P({c})" for c in classes)
        if len(classes) <= 10 and sum(len(str(c)) for c in classes) <= 200
        else f"{len(classes)} classes, in the model's order"
    )
    _out(
        args,
        f"wrote {printable(summary['output'])} ({summary['bytes']} bytes): input "
        f"'{summary['input']['name']}' {summary['input']['dtype']} {shape}; outputs label, "
        f"label_index, probabilities [{probabilities}], "
        f"{summary['arithmetic']}, agrees with lrnn to {summary['self_check_max_difference']:.1e} "
        "on the rows it was tried on",
        **summary,
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from lrnn.serve import serve

    if not args.host.strip():  # an unset $HOST: it listened on every interface
        raise UsageError(
            "--host is empty; give an address such as 127.0.0.1 (the default), or 0.0.0.0 to "
            "be reachable from other machines."
        )
    max_body_bytes = int(args.max_body_mb * 2**20)
    if max_body_bytes < 1:  # > 0 as typed, but no whole byte: every request would get 413
        raise UsageError(
            f"--max-body-mb {args.max_body_mb:g} allows no whole byte; give at least "
            f"{1 / 2**20:.2g} (one byte), e.g. 20."
        )
    serve(
        args.model,
        args.host,
        args.port,
        max_body_bytes=max_body_bytes,
        access_log=args.access_log,
        allowed_hosts=args.allow_host,
    )
    return 0


# --------------------------------------------------------------------------------------------
# report, verify
# --------------------------------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from lrnn import data, report
    from lrnn.history import load_history

    output = DEFAULT_REPORT if args.output is None else args.output
    plan = OutputPlan().read("DATA", args.data).read("--model", args.model)
    plan.read("--history", args.history)
    plan.write("-o", output, "report", derived=_choose("-o", args.output)).check()
    model, spec = load_model_and_spec(args.model, args.encoding, args.text_column, [args.data])
    say_if_label_is_unused(args.label, spec, scoring=True)
    label = scored_label(args, spec)
    ds = data.align_classes(data.load(args.data, label=label, spec=spec), model.classes)
    # The model carries its recorded history; --history replaces it (e.g. a finer one).
    history = load_history(args.history) if args.history else model.history
    named = f"--history {args.history}" if args.history else "the model's history"
    report.write_report(output, model=model, dataset=ds, history=history, history_name=named)
    print(f"report saved to {printable(str(output))}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from lrnn import after_training, persist

    model = persist.load_model(args.model)
    from lrnn.data.text import model_spec

    say_if_label_is_unused(args.label, model_spec(model, args.model), scoring=False)

    def announce(line: str) -> None:
        if not getattr(args, "json", False):  # it names the manifest's data: escape it
            print(printable(line), file=sys.stderr, flush=True)

    again = after_training.reproduce(
        model, args.model, args.data, args.label, announce, args.validation
    )
    # b is a float for two classes, a (K,) vector for a softmax layer
    w, b = np.asarray(again.w), np.asarray(again.b)
    diff = float(max(np.max(np.abs(w - model.w)), np.max(np.abs(b - model.b))))
    other = after_training.differences(model, again)  # what decides predictions besides w, b
    weights = np.array_equal(w, model.w) and np.array_equal(b, model.b)
    same = weights and not other
    if getattr(args, "json", False):  # the weights named too: a script read "differs": []
        differs = other if weights else ["weights", *other]
        _out(args, bit_identical=same, max_abs_difference=diff, differs=differs)
    elif same:
        print(f"bit-identical: retraining reproduces {args.model} exactly")
    elif (resumed := after_training.resumed_scipy_run(model)) is not None:
        print(
            f"NOT bit-identical (largest weight difference {diff:.3e}): this lbfgs-scipy run was "
            f"resumed at iteration {resumed}, and scipy's L-BFGS-B starts its memory afresh on a "
            "resume, so its bits cannot be reproduced (every other solver resumes exactly)"
        )
    elif other:
        version = after_training.other_version(model)  # then the likelier cause: said first
        why = (
            version.strip()[1:-1]  # "lrnn 0.1.0 trained it and this is lrnn 0.2.0, …"
            if version
            else "the file was changed after training, or this lrnn reads the data otherwise "
            "than the one that trained it (class names, columns)"
        )
        print(
            f"NOT the same model: retraining makes other {', '.join(other)} (largest weight "
            f"difference {diff:.3e}); {why}"
        )
    else:
        print(
            f"NOT bit-identical: largest difference {diff:.3e}{after_training.other_version(model)}"
        )
    return 0 if same else 1
