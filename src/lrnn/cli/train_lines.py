"""What ``lrnn train`` says around a run: the line before it (data, test part, target, solver,
validation set, where the passes run), a progress bar on a terminal, the line after it (why it
stopped), the options the run will not use, and what a resumed run keeps of the one it
continues (its model path, history, and the command that resumes it)."""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from lrnn import config
from lrnn.data.loaders import TABLE_SUFFIXES
from lrnn.errors import UsageError, printable
from lrnn.train import Callback
from lrnn.verdicts import STOPS


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

        def say(self, line: str) -> None:
            """A line on standard output with the bar cleared first and drawn again below it
            (printed plainly, a cost line went on at the end of the bar's line)."""
            with tqdm.external_write_mode(file=sys.stdout):
                print(line, flush=True)

        def on_end(self, result):
            self.bar.close()

    return Bar()


#: Bytes of a softmax layer's weights past which training is said to need many copies of them.
LARGE_LAYER_BYTES = 64 * 2**20


def warn_of_a_large_layer(backend: Any) -> None:
    """A softmax layer over very many columns (hashed text, wide svmlight) holds K × n weights,
    and its solver several copies of them: 4 classes over 2**24 hashed columns took 7 GB and
    three minutes for 177 documents, where two classes (one neuron) took 1.4 GB and 8 s."""
    classes, n = getattr(backend, "n_classes", 2), backend.n_features
    size = np.dtype(getattr(backend, "dtype", np.float64)).itemsize * classes * (n + 1)
    if classes > 2 and size > LARGE_LAYER_BYTES:
        warnings.warn(
            f"{classes} classes over {n} columns make a softmax layer of {classes * (n + 1)} "
            f"weights ({size / 2**20:.0f} MiB a copy), and its solver keeps several copies "
            "(L-BFGS about 40, Newton–CG about 10) for minutes of work; fewer columns train "
            "far faster (--hashing 2**20, or fewer features).",
            stacklevel=2,
        )


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
        f"Training on {printable(str(td.source))}: {backend.n_samples} examples × "
        f"{backend.n_features} features "
        f"({td.stored_dtype}{_sparseness(backend)}); test: {td.test_description}; {target}; "
        f"solver {name}, {steps}" + _validation(td) + _where(backend, str(td.stored_dtype))
    )


def _sparseness(backend) -> str:
    """ ", sparse: 3,141 stored values, 2.1 % of the matrix" for sparse rows (text, svmlight):
    the matrix is never made dense, and its width alone would suggest it is."""
    # the rows' own type, not the backend's flag: a softmax layer's backend holds sparse rows
    # too, and its header said nothing of them
    stored = getattr(getattr(backend, "X", None), "nnz", None)
    if not isinstance(stored, int) or isinstance(stored, bool):
        return ""
    cells = max(1, backend.n_samples * backend.n_features)
    # three digits, never "1e+02 %", and 100 % only when every cell is stored
    percent = 100.0 if stored >= cells else min(100 * stored / cells, 99.9)
    return f", sparse: {stored:,} stored values, {percent:.3g} % of the matrix"


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


def stop_line(result, chosen_rate: bool = False) -> str:
    """How the run ended; ``chosen_rate``: the learning rate lrnn picked (``auto``) is said.
    sgd counts epochs, as its header says."""
    unit = "epoch" if result.solver == "sgd" else "iteration"
    unit += "" if result.n_iter == 1 else "s"
    rate = ""
    if chosen_rate and result.learning_rate is not None:
        rate = f", learning rate {result.learning_rate:.4g} (auto)"
    why = STOPS.get(result.stop_reason, "?")
    if result.solver == "sgd":
        why = why.replace("every iteration", "every epoch")
    restored = getattr(result, "restored_iteration", None)
    if restored is not None:  # early stopping's own stop too: the weights are not the last
        step = "epoch" if result.solver == "sgd" else "iteration"
        why += f", then kept the weights of {step} {restored} (lowest validation loss)"
    return (
        f"Stopped after {result.n_iter} {unit}: {why}; "
        f"solver {result.solver}{rate}, final cost {result.final_cost:f}"
    )


def six_decimals(value: float) -> str:
    """A cost as the lesson prints it (six decimals), or in powers of ten once it is so large
    that six decimals would be hundreds of digits (a run on its way to diverging)."""
    return f"{value:f}" if not math.isfinite(value) or abs(value) < 1e6 else f"{value:.4e}"


def settings_for_the_data(args: argparse.Namespace, cfg: Any, backend: Any, resumed: bool):
    """Say which training options the run will not use (the solver takes no learning rate or
    mini-batches; there is no early stopping for them to shape), and clip a mini-batch larger
    than the training part to all of it, as the estimator does: the user cannot know the
    part's size before the hold-outs are drawn. A softmax layer too large to train quickly is
    said too (:func:`warn_of_a_large_layer`)."""
    from dataclasses import replace

    from lrnn.train import solver_for

    warn_of_a_large_layer(backend)
    solver = solver_for(backend, cfg.solver)
    named = solver.name + (" solver (auto's choice here)" if cfg.solver == "auto" else " solver")
    unused = []
    if args.learning_rate is not None and not solver.uses_learning_rate:
        unused.append(("--learning-rate", f"the {named} chooses its own steps"))
    if args.batch_size is not None and not solver.minibatches:
        unused.append(("--batch-size", f"the {named} uses every example each step"))
    if args.n_iter_no_change is not None and not cfg.early_stopping:
        unused.append(("--n-iter-no-change", "it shapes --early-stopping, which is not on"))
    if args.validation_fraction is not None and (not cfg.early_stopping or args.validation):
        why = (
            "--validation gives the validation data"
            if args.validation
            else ("it shapes --early-stopping, which is not on")
        )
        unused.append(("--validation-fraction", why))
    draws = solver.minibatches or (cfg.early_stopping and not getattr(args, "validation", None))
    if getattr(args, "seed", None) is not None and getattr(args, "test", None) and not draws:
        # nothing is drawn at random: --test replaces the hold-out, the solver takes every
        # example in order, and no validation part is held out
        unused.append(("--seed", f"with --test and the {named} nothing is drawn at random"))
    if getattr(args, "plot", None) and getattr(args, "no_plot", False):
        unused.append(("--plot", "--no-plot asks for no learning curve"))
    for flag, why in unused:
        warnings.warn(f"{flag} is ignored: {why} — drop it.", stacklevel=2)
    if solver.minibatches and cfg.batch_size > backend.n_samples and not resumed:
        warnings.warn(
            f"--batch-size {cfg.batch_size} is more than the {backend.n_samples} training "
            f"examples, so it is clipped to {backend.n_samples}: each step uses all of them.",
            stacklevel=2,
        )
        cfg = replace(cfg, batch_size=backend.n_samples)
    return cfg


def _typed(args, flag: str) -> bool:
    """Whether ``flag`` was on the command line (True when called from Python without it)."""
    typed = getattr(args, "argv", None)
    if typed is None:
        return True
    return any(token == flag or token.startswith(flag + "=") for token in typed)


def same_model_path(args, paths: dict, recorded: dict[str, str]) -> None:
    """A resumed run saves where the interrupted one would have, unless --model says where: a
    bare ``--resume CK`` would otherwise put the model in the default file, replacing the
    one there."""
    model = recorded.get("model")
    if model is not None and model != paths["model"] and not _typed(args, "--model"):
        raise UsageError(
            f"{args.resume}: the run that wrote it saves its model to {model!r}, this one would "
            f"save to {paths['model']!r}; give --model {shlex.quote(printable(model))} to "
            "continue it (or --model with another path to save elsewhere)."
        )


def say_if_no_history(args, paths: dict, recorded: dict[str, str]) -> None:
    """A resumed run without --history writes none, though the run it continues did."""
    history = recorded.get("history")
    if history is not None and paths["history"] is None:
        warnings.warn(
            f"{args.resume}: the run that wrote it also wrote its history to {history!r}; this "
            f"one writes none — give --history {shlex.quote(printable(history))} to write it.",
            UserWarning,
            stacklevel=2,
        )


def resume_hint(args, checkpoint: str) -> str:
    """The command as it was typed, with ``--resume CHECKPOINT``: a resumed run needs the same
    data, preprocessing and outputs (a checkpoint refuses other data), so everything given is
    repeated, quoted for a POSIX shell."""
    typed = list(getattr(args, "argv", None) or [])
    after = typed[typed.index("train") + 1 :] if "train" in typed else []
    kept: list[str] = []
    skip = False
    for token in after:
        if skip:
            skip = False
        elif token == "--resume":
            skip = True
        elif not token.startswith("--resume="):
            kept.append(token)
    if not typed:  # called without the typed command (from Python): the essentials
        kept = [args.data] if args.data else []
        kept += ["--test", args.test] if args.test else []
        kept += ["--model", args.model]
    # "--resume=PATH", before any "--": a checkpoint named -m.ckpt… read as an option, and
    # after "-- DATA" the option was taken for data
    end = kept.index("--") if "--" in kept else len(kept)
    return shlex.join([*kept[:end], f"--resume={checkpoint}", *kept[end:]])


def say_if_the_lessons_rate_is_tiny(args: argparse.Namespace, td: Any, cfg: Any, result) -> None:
    """On TF-IDF rows (unit length) the curvature is small, so the lesson's 0.005 is hundreds
    of times below the step gd can take: 2000 iterations end near the start (a cost of 0.5
    with every document right), and nothing said why. Text and svmlight only: on the lesson's
    pictures 0.005 is the lesson's own choice, near the largest stable step."""
    from lrnn.verdicts import lipschitz

    default_gd = cfg.solver == "gd" and args.learning_rate is None
    sparse = td.spec.kind in ("text", "svmlight")
    if not (default_gd and sparse and result.stop_reason == "max_iter"):
        return
    lip = lipschitz(td.backend, cfg.alpha)
    if float(cfg.learning_rate) * lip < 0.01:
        print(
            f"note: the lesson's learning rate {float(cfg.learning_rate):g} is "
            f"{1 / (float(cfg.learning_rate) * lip):.0f}× below the step this data allows "
            f"(1/L = {1 / lip:.3g}): --learning-rate auto takes that step, and --solver auto "
            "reaches the optimum in a few iterations."
        )


#: The text options (--text-column, --ngrams, …) as argparse names them.
TEXT_OPTIONS = ("text_column", "ngrams", "min_df", "max_features", "hashing", "encoding")


def encoding_reads(kind: str, paths: Sequence[str]) -> bool:
    """Whether --encoding reads any of ``paths``: documents do, and a table's CSV files (or
    standard input); a Parquet table's text is UTF-8, and other data has no text."""
    csv = any(p == "-" or str(p).lower().endswith(".csv") for p in paths)
    return kind == "text" or (kind == "table" and csv)


def say_if_encoding_is_unused(encoding: str | None, kind: str, paths: Sequence[str]) -> None:
    """--encoding given for data that has no text to read in it: said, not ignored."""
    if encoding is not None and not encoding_reads(kind, paths):
        this = "a Parquet table (its text is UTF-8)" if kind == "table" else f"{kind} data"
        warnings.warn(
            f"--encoding reads documents and CSV tables; this is {this}, so it is ignored — "
            "drop it.",
            stacklevel=3,
        )


def warn_unused_options(args: argparse.Namespace, spec: Any) -> None:
    """Options that change nothing for this kind of data: say so, not silently."""
    kind = spec.kind
    text_table = kind == "text" and spec.text.get("text_column") is not None
    given = ["--" + f.replace("_", "-") for f in TEXT_OPTIONS if getattr(args, f, None) is not None]
    read = [getattr(args, n, None) for n in ("data", "test", "validation")]
    if kind == "table" and encoding_reads(kind, [p for p in read if p]):
        given = [g for g in given if g != "--encoding"]  # it read a CSV
    # documents from a folder, tested (or validated) on a table: --text-column and --label
    # name that table's columns
    held_table = kind == "text" and any(
        p and str(p).lower().endswith(TABLE_SUFFIXES) for p in read[1:]
    )
    if kind == "text":
        given = ["--text-column"] if args.text_column is not None and not text_table else []
        given = [] if held_table else given
    if given:
        what = "text data" if kind != "text" else "a CSV/Parquet table of documents"
        what += " and CSV tables" if given == ["--encoding"] else ""
        # a table: of numbers (no --text-column), or Parquet for --encoding alone
        table = "a Parquet table" if given == ["--encoding"] else "a table of numbers"
        this = {"text": "a folder of documents", "table": table}.get(kind, kind)
        warnings.warn(
            f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to {what} "
            f"only; this is {this}{' data' if kind not in ('text', 'table') else ''}, "
            f"so {'it is' if len(given) == 1 else 'they are'} ignored — drop "
            f"{'it' if len(given) == 1 else 'them'}.",
            stacklevel=2,
        )
    from lrnn.data.builtin import DEFAULT_BUILTIN, builtin_name

    builtin = builtin_name(args.data or DEFAULT_BUILTIN)
    reads_tables = getattr(args, "test", None) or getattr(args, "validation", None)
    label = given_label(args)
    if label is not None and builtin is not None and not reads_tables:
        warnings.warn(
            f"--label names the label column of a CSV/Parquet table; the built-in {builtin!r} "
            "has its own labels, so it is ignored — drop it.",
            stacklevel=2,
        )
    elif label is not None and kind != "table" and not text_table and not held_table:
        warnings.warn(
            f"--label names the label column of a CSV/Parquet table; this is "
            f"{'a folder of documents' if kind == 'text' else f'{kind} data'}, whose classes "
            "come from the data itself, so it is ignored — drop it.",
            stacklevel=2,
        )


def scored_label(args: argparse.Namespace, spec: Any) -> str:
    """The label column a model's data is scored by: --label, else the model's own, else
    the default name (evaluate, report)."""
    return args.label or spec.label_column or config.LABEL_COLUMN


def given_label(args: argparse.Namespace) -> str | None:
    """--label as typed: None where it was left at its default (which names no column the
    user chose, so nothing is said of it being unused)."""
    return None if args.label in (None, config.LABEL_COLUMN) else args.label


def say_if_label_is_unused(
    label: str | None, spec: Any, scoring: bool, predicting: bool = False
) -> None:
    """--label names a table's column: for pictures, arrays or a folder of documents the
    labels come from the data itself, so the option changes nothing — said, as lrnn train
    says it, not silently ignored. A table model's feature named as the labels is refused
    where labels are scored, and said where they are not (``predicting``: predict reads the
    model's columns by name, that one included)."""
    text_table = spec.kind == "text" and spec.text.get("text_column") is not None
    feature = label is not None and spec.kind == "table" and label in (spec.feature_names or ())
    if feature and (scoring or predicting):
        if scoring:  # its values as labels: a class per value, refused as unknown classes
            raise UsageError(
                f"--label {label!r} is one of the model's features, not its labels; name the "
                f"column of labels (the model's is {spec.label_column or config.LABEL_COLUMN!r})."
            )
        warnings.warn(
            f"--label {label!r} is one of the model's features, and is read as one: predict "
            "reads a table's columns by the model's names, so --label is ignored — drop it.",
            stacklevel=3,
        )
        return
    if label is None or spec.kind == "table" or text_table:
        return
    what = "a label column to leave out of" if not scoring else "the column of labels in"
    warnings.warn(
        f"--label names {what} a CSV/Parquet table; this model takes {spec.kind} data, whose "
        "labels (if any) come with the data, so it is ignored — drop it.",
        stacklevel=3,
    )
