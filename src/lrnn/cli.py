"""The ``lrnn`` command: wiring only.

Each sub-command parses its options, checks them and every output path *before* any work
starts, calls the library (data → train → persist / plots / report) and prints. Errors lrnn
raises on purpose become one line on stderr (exit 2 for usage, 1 for failures) unless
``--debug`` asks for the traceback. Results go to stdout; progress and warnings to stderr;
``--json`` makes stdout JSON only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lrnn import __version__
from lrnn.errors import LrnnError, TrainingDiverged, UsageError, one_line
from lrnn.train import Callback

DEFAULT_MODEL = "lrnn-model.safetensors"
DEFAULTS: dict[str, Any] = {
    "solver": "gd",
    "learning_rate": 0.005,
    "iterations": 2000,
    "alpha": 0.0,
    "tol": 0.0,
    "batch_size": 32,
    "seed": 0,
    "n_iter_no_change": 10,
    "validation_fraction": 0.1,
    "print_every": 100,
    "class_weight": None,
    "early_stopping": False,
}


# --------------------------------------------------------------------------------------------
# Argument parsing with one-line errors
# --------------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {value}")
    return value


def _finite(low: float | None = None, *, strict: bool = False, high: float | None = None):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
        if low is not None and (value <= low if strict else value < low):
            raise argparse.ArgumentTypeError(
                f"must be {'>' if strict else '≥'} {low:g}, got {text}"
            )
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be ≤ {high:g}, got {text}")
        return value

    return parse


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be between 0 and 4294967295, got {value}")
    return value


def _learning_rate(text: str) -> float | str:
    if text == "auto":
        return "auto"
    try:
        return _finite(0.0, strict=True)(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc}; use a number > 0 or 'auto'") from None


def _image_size(text: str) -> tuple[int, int]:
    parts = text.lower().replace("×", "x").split("x")
    try:
        if len(parts) > 2:
            raise ValueError(text)
        h, w = (int(p) for p in parts) if len(parts) == 2 else (int(parts[0]),) * 2
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected HEIGHTxWIDTH such as 64x64, got {text!r}"
        ) from None
    if not (1 <= h <= 4096 and 1 <= w <= 4096):
        raise argparse.ArgumentTypeError(f"sides must be between 1 and 4096, got {text!r}")
    return h, w


def _class_weight(text: str) -> str | dict:
    if text == "balanced":
        return text
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(v, int | float) and math.isfinite(v) and v >= 0 for v in value.values()
    ):
        raise argparse.ArgumentTypeError(
            f"expected 'balanced' or a JSON object of class → weight such as "
            f"'{{\"cat\": 2}}', got {text!r}"
        )
    return {str(k): float(v) for k, v in value.items()}


EXAMPLES = {
    "train": "examples:\n  lrnn train                                  # built-in digits set\n"
    "  lrnn train train_catvnoncat.h5 --test test_catvnoncat.h5\n"
    "  lrnn train data.csv --label target --standardize --solver lbfgs --alpha 1e-3",
    "predict": "example:\n  lrnn predict --model lrnn-model.safetensors my_cat.jpg photos/",
    "evaluate": "examples:\n  lrnn evaluate --model lrnn-model.safetensors test_catvnoncat.h5\n"
    "  lrnn evaluate --model m.safetensors val.csv --choose-threshold f1 --save",
    "compare-lr": "example:\n  lrnn compare-lr train_catvnoncat.h5 --test test_catvnoncat.h5 "
    "--rates 0.01 0.001 0.0001 --iterations 1500",
    "gradcheck": "example:\n  lrnn gradcheck train_catvnoncat.h5 --coordinates 20",
    "report": "example:\n  lrnn report --model lrnn-model.safetensors test_catvnoncat.h5 "
    "--history history.csv -o report.html",
    "verify": "example:\n  lrnn verify --model lrnn-model.safetensors train_catvnoncat.h5",
    "slope": "example:\n  lrnn slope",
}


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--label", default="label", help="label column of CSV/Parquet tables")
    p.add_argument("--image-size", type=_image_size, help="resize images to HxW, e.g. 64x64")


def _training_options(p: argparse.ArgumentParser) -> None:
    from lrnn.train import SOLVERS

    g = p.add_argument_group("training (defaults: the lesson's gd, lr 0.005, 2000 iterations)")
    g.add_argument("--solver", choices=SOLVERS, default=None)
    g.add_argument(
        "--iterations", type=_positive_int, default=None, help="max iterations (epochs for sgd)"
    )
    g.add_argument(
        "--learning-rate", type=_learning_rate, default=None, help="a number or 'auto' (1/L)"
    )
    g.add_argument("--alpha", type=_finite(0.0), default=None, help="L2 strength on w")
    g.add_argument("--tol", type=_finite(0.0), default=None, help="stop when max|∇J| ≤ tol")
    g.add_argument("--batch-size", type=_positive_int, default=None, help="mini-batch size (sgd)")
    g.add_argument("--seed", type=_seed, default=None, help="random seed (splits, sgd)")
    g.add_argument(
        "--class-weight",
        type=_class_weight,
        default=None,
        help="'balanced', or JSON such as '{\"cat\": 2}': weights per class",
    )
    g.add_argument(
        "--early-stopping",
        action="store_true",
        default=None,
        help="stop when the validation loss stops improving; keep the best weights",
    )
    g.add_argument(
        "--n-iter-no-change",
        type=_positive_int,
        default=None,
        help="recorded checks without improvement before early stopping (default 10)",
    )
    g.add_argument(
        "--validation-fraction",
        type=_finite(0.0, strict=True, high=0.99),
        default=None,
        help="share held out for early stopping when --validation is not given (default 0.1)",
    )
    g.add_argument("--standardize", action="store_true", help="standardise table features")
    g.add_argument("--backend", choices=("auto", "numpy", "dask", "torch"), default="auto")
    g.add_argument("--scheduler", help="address of a running Dask scheduler (with --backend dask)")
    g.add_argument(
        "--stream",
        action="store_true",
        help="stream a .parquet file from disk instead of loading it (.npy, Zarr and folders "
        "of X.npy or Parquet files always stream)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lrnn",
        description="Logistic regression as a single neuron: train, inspect and use it.",
        epilog="examples:\n"
        "  lrnn train                                   # the built-in digits, lesson defaults\n"
        "  lrnn train train.h5 --test test.h5 --report  # the lesson's files, with a report\n"
        "  lrnn predict --model lrnn-model.safetensors photo.jpg\n"
        "  lrnn COMMAND --help                          # each command's options and examples",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"lrnn {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=summary,
            description=summary,
            epilog=EXAMPLES.get(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("--debug", action="store_true", help="show tracebacks")
        return p

    p = command("train", "Train a neuron; print the cost every --print-every iterations.")
    p.add_argument("data", nargs="?", help="training data (default: built-in 'digits')")
    p.add_argument("--test", help="test data (default: a seeded 20 %% hold-out)")
    p.add_argument("--validation", help="validation data for history and early stopping")
    _data_options(p)
    _training_options(p)
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"model file (default {DEFAULT_MODEL})")
    p.add_argument("--plot", help="learning-curve PNG (default: next to the model)")
    p.add_argument("--no-plot", action="store_true", help="do not draw the learning curve")
    p.add_argument("--report", nargs="?", const="", default=None, help="also write an HTML report")
    p.add_argument("--history", help="write the training history (.csv or .json)")
    p.add_argument(
        "--print-every",
        type=_positive_int,
        default=None,
        help="print (and record in --history) every N iterations (default 100)",
    )
    p.add_argument("--checkpoint", help="checkpoint file (.safetensors)")
    p.add_argument("--checkpoint-every", type=_positive_int, help="iterations between checkpoints")
    p.add_argument("--resume", help="continue the run saved in this checkpoint")
    p.add_argument("--json", action="store_true", help="JSON lines on stdout")
    p.set_defaults(run=cmd_train)

    p = command("predict", "Predict with a saved model: one line per example.")
    p.add_argument("inputs", nargs="+", help="image files, an image folder, or a table")
    p.add_argument("--model", required=True)
    p.add_argument("--threshold", type=_finite(0.0, high=1.0))
    p.add_argument("--label", default=None, help="label column to ignore in a table")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_predict)

    p = command("evaluate", "Accuracy, log loss and confusion counts of a model on labelled data.")
    p.add_argument("data")
    p.add_argument("--model", required=True)
    _data_options(p)
    p.add_argument("--threshold", type=_finite(0.0, high=1.0))
    p.add_argument("--choose-threshold", metavar="RULE", help="f1 | youden | precision=P")
    p.add_argument("--save", action="store_true", help="store the chosen threshold in the model")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_evaluate)

    p = command("compare-lr", "Train one model per learning rate and compare their cost curves.")
    p.add_argument("data", nargs="?")
    p.add_argument("--test")
    _data_options(p)
    p.add_argument("--standardize", action="store_true")
    p.add_argument("--rates", type=_learning_rate_number, nargs="+", default=[0.01, 0.001, 0.0001])
    p.add_argument("--iterations", type=_positive_int, default=1500)
    p.add_argument("--plot", default="lrnn-compare-lr.png")
    p.add_argument("--seed", type=_seed, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_compare_lr)

    p = command("gradcheck", "Compare backpropagation with finite differences (rise over run).")
    p.add_argument("data", nargs="?")
    p.add_argument("--model")
    _data_options(p)
    p.add_argument("--coordinates", type=_positive_int, default=10)
    p.add_argument("--epsilon", type=_finite(0.0, strict=True, high=1.0), default=1e-6)
    p.add_argument("--seed", type=_seed, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_gradcheck)

    p = command("report", "Write one self-contained HTML report of a model on data.")
    p.add_argument("data")
    p.add_argument("--model", required=True)
    p.add_argument("--history")
    p.add_argument("-o", "--output", default="lrnn-report.html")
    _data_options(p)
    p.set_defaults(run=cmd_report)

    p = command("verify", "Retrain from a model's manifest and check the result bit for bit.")
    p.add_argument("data", nargs="?")
    p.add_argument("--model", required=True)
    _data_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_verify)

    p = command("slope", "The lesson's derivatives as slopes, in a few lines.")
    p.set_defaults(run=cmd_slope)
    return parser


def _learning_rate_number(text: str) -> float:
    return _finite(0.0, strict=True)(text)


# --------------------------------------------------------------------------------------------
# Shared steps
# --------------------------------------------------------------------------------------------
def _out(args: argparse.Namespace, text: str = "", **obj: Any) -> None:
    """A result: JSON when --json, else the text line."""
    if getattr(args, "json", False):
        if obj:
            print(json.dumps(_json_safe(obj), default=_json_default, allow_nan=False), flush=True)
    else:
        print(text, flush=True)


def _json_safe(value: Any) -> Any:
    """Strict JSON: NaN and infinities (e.g. no test accuracy) become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _load_training_data(args: argparse.Namespace):
    from lrnn import data

    source = args.data or data.DEFAULT_BUILTIN
    ds = data.load(
        source,
        label=args.label,
        image_size=args.image_size,
        standardize=bool(getattr(args, "standardize", False)),
    )
    if getattr(args, "test", None):
        test = data.load(args.test, label=args.label, spec=ds.spec)
        test = _align_classes(test, ds.classes)
        return ds, test, "--test " + args.test
    seed = args.seed if getattr(args, "seed", None) is not None else 0
    train_part, test_part = data.split(ds, 0.2, seed=seed)
    if train_part.y is not None and np.unique(train_part.y).size < 2:
        from lrnn.errors import DataError

        raise DataError(
            f"{ds.source}: after holding out 20 % for testing, the {train_part.y.size} training "
            "example(s) are all of one class; give more examples, or a separate --test file."
        )
    return train_part, test_part, f"a 20 % hold-out (seed {seed})"


def _align_classes(ds, classes: Sequence[str]):
    """Re-index ds.y to ``classes`` by name (see lrnn.data.align_classes)."""
    from lrnn import data

    return data.align_classes(ds, classes)


def _check_outputs(*paths: str | None) -> None:
    from lrnn import persist

    for path in paths:
        if path:
            persist.check_writable(path)


def _logits(w: np.ndarray, b: float, ds, scale: float) -> np.ndarray:
    from lrnn import objective

    return objective.logits(np.asarray(w), float(b), ds.X, scale)


def _manifest(config, info: dict, result, seed: int | None) -> dict:
    import platform

    return {
        "lrnn_version": __version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "solver_settings": config.to_dict(),
        "seed": seed,
        "data_source": info["source"],
        "data_sha256": info["sha256"],
        "final_cost": result.final_cost,
    }


class _LessonLines(Callback):
    """Prints "Cost after iteration i: c" every ``every`` iterations (or JSON lines)."""

    def __init__(self, every: int, as_json: bool) -> None:
        self.every, self.as_json = every, as_json

    def on_record(self, record: dict[str, float]) -> None:
        if record["iteration"] % self.every:
            return
        if self.as_json:
            print(
                json.dumps(_json_safe({"event": "record", **record}), default=_json_default),
                flush=True,
            )
        else:
            print(f"Cost after iteration {record['iteration']}: {record['cost']:f}", flush=True)


def _callbacks(args, config, ds_info: dict, checkpoint_path: str | None):
    """Progress, lesson lines, periodic checkpoints and Ctrl-C handling for one run."""
    from lrnn import persist
    from lrnn.train import state_to_checkpoint

    every = args.print_every or DEFAULTS["print_every"]
    callbacks: list[Any] = [_LessonLines(every, args.json)]

    class Checkpointer(Callback):
        interrupted = False
        path = checkpoint_path

        def on_step(self, state):
            n = args.checkpoint_every
            if self.path and n and state.iteration % n == 0:
                self.save(state)
            return self.interrupted

        def save(self, state):
            tensors, meta = state_to_checkpoint(state, config)
            meta["data"] = ds_info
            persist.save_checkpoint(self.path, tensors, meta)

    checkpointer = Checkpointer()
    callbacks.append(checkpointer)
    if sys.stderr.isatty() and not args.json:
        callbacks.append(_progress_bar(config.max_iter))
    return callbacks, checkpointer


def _progress_bar(total: int):
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


# --------------------------------------------------------------------------------------------
# train
# --------------------------------------------------------------------------------------------
def _train_config(args, resume_meta: dict | None):
    from lrnn.train import TrainConfig

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
    option = {
        "max_iter": "--iterations",
        "random_state": "--seed",
    }
    if resume_meta is not None:
        stored = resume_meta["config"]
        for key, value in given.items():
            if value is not None and stored.get(key) != value:
                flag = option.get(key, "--" + key.replace("_", "-"))
                raise UsageError(
                    f"{flag} {value} differs from the checkpoint's {stored.get(key)!r}; "
                    f"drop {flag} to resume the same run, or start a new run without --resume."
                )
        return TrainConfig(**stored)
    defaults = {
        "solver": DEFAULTS["solver"],
        "learning_rate": DEFAULTS["learning_rate"],
        "max_iter": DEFAULTS["iterations"],
        "alpha": DEFAULTS["alpha"],
        "tol": DEFAULTS["tol"],
        "batch_size": DEFAULTS["batch_size"],
        "random_state": DEFAULTS["seed"],
        "early_stopping": False,
        "n_iter_no_change": DEFAULTS["n_iter_no_change"],
    }
    settings = {k: (v if v is not None else defaults[k]) for k, v in given.items()}
    # First-order runs last thousands of iterations: record where the lesson prints. Second-order
    # solvers finish in tens of iterations, so each one is worth a row of history.
    second_order = settings["solver"] in ("lbfgs", "newton", "auto")
    every = 1 if second_order else args.print_every or DEFAULTS["print_every"]
    return TrainConfig(record_every=every, **settings)


def _sample_weights(class_weight, ds) -> np.ndarray | None:
    if class_weight is None:
        return None
    counts = np.bincount(ds.y, minlength=2).astype(float)
    if class_weight == "balanced":
        return (len(ds.y) / (2.0 * counts))[ds.y]
    unknown = [k for k in class_weight if k not in ds.classes]
    if unknown:
        raise UsageError(
            f"--class-weight names class {unknown[0]!r}, which is not in the data; "
            f"the classes are {list(ds.classes)} — use those names."
        )
    weights = np.array([class_weight.get(c, 1.0) for c in ds.classes])[ds.y]
    if not weights.sum() > 0:
        raise UsageError(
            "--class-weight gives every training example weight 0; give at least one class "
            "a weight > 0."
        )
    return weights


def cmd_train(args: argparse.Namespace) -> int:
    from lrnn import persist
    from lrnn.train import train

    model_path = args.model
    plot_path = None if args.no_plot else (args.plot or str(Path(model_path).with_suffix(".png")))
    report_path = None
    if args.report is not None:
        report_path = args.report or str(Path(model_path).with_suffix(".html"))
    checkpoint_path = args.checkpoint
    if args.checkpoint_every and not checkpoint_path:
        checkpoint_path = str(Path(model_path).with_suffix(".ckpt.safetensors"))
    if args.backend not in ("auto", "numpy", "dask") and args.scheduler:
        raise UsageError("--scheduler only applies with --backend dask.")
    _check_outputs(model_path, plot_path, report_path, args.history, checkpoint_path)

    resume_meta = resume_tensors = None
    if args.resume:
        resume_tensors, resume_meta = persist.load_checkpoint(args.resume)
        _check_checkpoint_meta(args.resume, resume_meta)
        if not checkpoint_path:
            checkpoint_path = args.resume
    config = _train_config(args, resume_meta)

    if _is_out_of_core(args.data, args.stream):
        if report_path:
            raise UsageError(
                "--report needs data that fits in memory; write the report afterwards with "
                "lrnn report --model M SMALLER_DATA."
            )
        td = _streamed_training_data(args)
    else:
        td = _in_memory_training_data(args, config)
    ds_info = td.info
    state = None
    if resume_meta is not None:
        stored = resume_meta.get("data", {})
        if (
            stored.get("n_features") != ds_info["n_features"]
            or stored.get("sha256") != ds_info["sha256"]
        ):
            raise UsageError(
                f"{args.resume}: this checkpoint was made on other data "
                f"({stored.get('n_samples')} × {stored.get('n_features')} from "
                f"{stored.get('source')!r}); resume with the same data and options."
            )
        state = _resume_state(args.resume, resume_tensors, resume_meta, ds_info)

    backend, validation = td.backend, td.validation
    if not args.json:
        print(
            f"Training on {td.source}: {backend.n_samples} examples × "
            f"{backend.n_features} features ({td.stored_dtype}); test: {td.test_description}; "
            f"solver {config.solver}, learning rate {config.learning_rate}, "
            f"{config.max_iter} iterations",
            flush=True,
        )
    callbacks, checkpointer = _callbacks(args, config, ds_info, checkpoint_path)
    previous = signal.signal(signal.SIGINT, lambda *_: setattr(checkpointer, "interrupted", True))
    try:
        result = train(backend, config, validation=validation, callbacks=callbacks, resume=state)
    except TrainingDiverged as exc:
        raise LrnnError(f"{exc} Nothing was saved.") from exc
    finally:
        signal.signal(signal.SIGINT, previous)
    if result.stop_reason == "interrupted":
        target = checkpoint_path or str(Path(model_path).with_suffix(".ckpt.safetensors"))
        checkpointer.path = target
        checkpointer.save(result.state)
        print(
            f"Interrupted at iteration {result.n_iter}; checkpoint saved to {target}. "
            f"Resume with: lrnn train {_resume_hint(args, target)}",
            file=sys.stderr,
        )
        return 130

    train_acc = td.train_accuracy(result.w, result.b)
    test_acc = td.test_accuracy(result.w, result.b)
    training = {
        "solver": result.solver,
        "learning_rate": result.learning_rate,
        "iterations": result.n_iter,
        "alpha": config.alpha,
        "stop_reason": result.stop_reason,
        "final_cost": result.final_cost,
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
    }
    model = persist.ModelFile(
        w=result.w,
        b=result.b,
        classes=tuple(td.classes),
        preprocessing=td.spec.to_dict(),
        feature_names=list(td.spec.feature_names) if td.spec.feature_names else None,
        training=training,
        manifest=_manifest(config, td.info, result, config.random_state),
    )
    for path in (model_path, checkpoint_path, plot_path, report_path, args.history):
        if path:
            persist.clean_stale_temp_files(path)
    persist.save_model(model_path, model)
    if args.history:
        from lrnn.history import save_history

        save_history(result.history, args.history)
    if plot_path:
        from lrnn import plots

        plots.learning_curve(
            result.history, plot_path, train_accuracy=train_acc, test_accuracy=test_acc
        )
    if report_path:
        from lrnn import report

        report.write_report(report_path, model=model, dataset=td.test_ds, history=result.history)
    if args.json:
        _out(args, event="result", model=model_path, plot=plot_path, report=report_path, **training)
    else:
        print(f"train accuracy: {100 * train_acc} %")
        if not math.isnan(test_acc):
            print(f"test accuracy: {100 * test_acc} %")
        print(f"model saved to {model_path}")
        for what, path in (
            ("learning curve", plot_path),
            ("history", args.history),
            ("report", report_path),
        ):
            if path:
                print(f"{what} saved to {path}")
    return 0


def _backend_name(args) -> str:
    if args.backend == "dask" and args.scheduler:
        from lrnn.backends.dask_backend import connect

        # The client becomes dask's default for this process; keep it referenced.
        args.dask_client = connect(args.scheduler)
    elif args.scheduler:
        raise UsageError("--scheduler needs --backend dask.")
    return args.backend


@dataclass
class _TrainingData:
    """What cmd_train needs, whether the examples sit in memory or stream from disk."""

    backend: Any
    validation: Any
    spec: Any
    classes: tuple[str, str]
    info: dict  # source, n_samples, n_features, sha256 (goes into checkpoints and the manifest)
    source: str
    stored_dtype: str
    test_description: str
    train_accuracy: Callable[[np.ndarray, float], float]
    test_accuracy: Callable[[np.ndarray, float], float]
    test_ds: Any = None


def _is_out_of_core(path: str | None, forced: bool) -> bool:
    """Whether the training data streams from disk (see lrnn.data.is_out_of_core)."""
    from lrnn import data

    return data.is_out_of_core(path, forced)


def _in_memory_training_data(args, config) -> _TrainingData:
    from lrnn import data
    from lrnn.backends import make_backend

    train_ds, test_ds, test_desc = _load_training_data(args)
    validation_ds = None
    if args.validation:
        validation_ds = _align_classes(
            data.load(args.validation, label=args.label, spec=train_ds.spec), train_ds.classes
        )
    if args.early_stopping and validation_ds is None:
        fraction = args.validation_fraction or DEFAULTS["validation_fraction"]
        train_ds, validation_ds = data.split(train_ds, fraction, seed=config.random_state or 0)
    scale = train_ds.spec.scale
    weights = _sample_weights(args.class_weight, train_ds)
    backend = make_backend(train_ds.X, train_ds.y, weights, scale, _backend_name(args))
    validation = None
    if validation_ds is not None:
        validation = make_backend(validation_ds.X, validation_ds.y, None, scale, "numpy")
    return _TrainingData(
        backend=backend,
        validation=validation,
        spec=train_ds.spec,
        classes=tuple(train_ds.classes),
        info={
            "source": train_ds.source,
            "n_samples": int(train_ds.X.shape[0]),
            "n_features": int(train_ds.X.shape[1]),
            "sha256": data.data_sha256(train_ds.X, train_ds.y),
        },
        source=train_ds.source,
        stored_dtype=str(train_ds.X.dtype),
        test_description=f"{test_desc} ({test_ds.X.shape[0]} examples)",
        train_accuracy=lambda w, b: _accuracy(_logits(w, b, train_ds, scale), train_ds.y),
        test_accuracy=lambda w, b: _accuracy(_logits(w, b, test_ds, scale), test_ds.y),
        test_ds=test_ds,
    )


def _streamed_training_data(args) -> _TrainingData:
    """Training data too large for memory: every pass streams blocks of rows from disk."""
    from lrnn import data
    from lrnn.backends.stream_backend import StreamingBackend

    for flag, value in (
        ("--early-stopping", args.early_stopping),
        ("--validation", args.validation),
        ("--class-weight", args.class_weight),
        ("--standardize", args.standardize),
    ):
        if value:
            raise UsageError(
                f"{flag} is not available when training streams from disk ({args.data}); "
                "drop it, or load data that fits in memory."
            )
    if args.backend not in ("auto", "numpy"):
        raise UsageError(f"--backend {args.backend} cannot read {args.data}; drop --backend.")
    backend = StreamingBackend.open(args.data, label=args.label)
    test = StreamingBackend.open(args.test, label=args.label) if args.test else None
    if test is not None and test.n_features != backend.n_features:
        raise UsageError(
            f"{args.test} has {test.n_features} features but {args.data} has "
            f"{backend.n_features}; give test data with the same columns."
        )
    features = getattr(backend.source, "features", None)
    if features is not None:
        spec = data.Preprocessing(kind="table", feature_names=tuple(features))
    else:
        spec = data.Preprocessing(kind="array")
    return _TrainingData(
        backend=backend,
        validation=None,
        spec=spec,
        classes=("0", "1"),
        info={
            "source": str(args.data),
            "n_samples": int(backend.n_samples),
            "n_features": int(backend.n_features),
            "sha256": data.data_sha256(backend.source, backend.y),
        },
        source=str(args.data),
        stored_dtype=f"{backend.source.dtype}, streamed from disk",
        test_description=(
            f"--test {args.test} ({test.n_samples} examples)" if test else "none (streaming)"
        ),
        train_accuracy=lambda w, b: backend.data_pass(w, b).accuracy,
        test_accuracy=(lambda w, b: test.data_pass(w, b).accuracy)
        if test
        else (lambda w, b: math.nan),
    )


def _check_checkpoint_meta(path: str, meta: dict) -> None:
    from lrnn.errors import ModelFileError

    if not isinstance(meta.get("config"), dict) or "iteration" not in meta:
        raise ModelFileError(
            f"{path}: not an lrnn training checkpoint (no run settings inside); give a file "
            "written by lrnn train --checkpoint."
        )
    _stored_config(path, meta["config"], "run settings")
    iteration = meta["iteration"]
    if not (isinstance(iteration, int) and not isinstance(iteration, bool) and iteration >= 0):
        raise ModelFileError(
            f"{path}: iteration {iteration!r} is not a count; the checkpoint is corrupt — start "
            "training again without --resume."
        )
    for key in ("data", "history"):
        if not isinstance(meta.get(key, {}), dict):
            raise ModelFileError(
                f"{path}: '{key}' is not an object; the checkpoint is corrupt — start training "
                "again without --resume."
            )


def _stored_config(path: str, settings: Any, what: str):
    """A TrainConfig from settings read out of a file, every value checked first: the file may
    be corrupt or hostile, and a bad value would otherwise fail deep inside training."""
    from dataclasses import fields

    from lrnn.errors import ModelFileError
    from lrnn.train import SOLVERS, TrainConfig

    def bad(detail: str) -> ModelFileError:
        return ModelFileError(
            f"{path}: the {what} {detail}; the file is corrupt or from another lrnn version — "
            "train again."
        )

    def count(v: Any, low: int = 1) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= low

    def number(v: Any) -> bool:
        return (
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v >= 0
        )

    if not isinstance(settings, dict):
        raise bad("are missing")
    unknown = sorted(set(settings) - {f.name for f in fields(TrainConfig)})
    if unknown:
        raise bad(f"have unknown key(s) {', '.join(map(repr, unknown))}")
    valid = {
        "solver": lambda v: v in SOLVERS,
        "learning_rate": lambda v: v == "auto" or (number(v) and v > 0),
        "max_iter": count,
        "alpha": number,
        "tol": number,
        "batch_size": count,
        "random_state": lambda v: v is None or (count(v, 0) and v < 2**32),
        "record_every": count,
        "early_stopping": lambda v: isinstance(v, bool),
        "n_iter_no_change": count,
        "momentum": lambda v: number(v) and v < 1,
        "divergence_patience": count,
    }
    for key, value in settings.items():
        if not valid.get(key, lambda v: True)(value):
            raise bad(f"have {key}={value!r}, which training cannot use")
    return TrainConfig(**settings)


def _resume_state(path: str, tensors: dict, meta: dict, ds_info: dict):
    """The TrainState in a checkpoint, its tensors checked against the data first."""
    from lrnn.errors import ModelFileError
    from lrnn.train import state_from_checkpoint

    def bad(detail: str) -> ModelFileError:
        return ModelFileError(
            f"{path}: {detail}; the checkpoint is corrupt — start training again without --resume."
        )

    try:
        state, _ = state_from_checkpoint(tensors, meta)
        if state.rng_state is not None:
            np.random.PCG64().state = state.rng_state
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise bad(f"its training state is incomplete ({one_line(exc)[:100]})") from exc
    size = (ds_info["n_samples"] if state.coefficients else ds_info["n_features"]) + 1
    arrays = {"theta": state.theta, "best_theta": state.best_theta}
    if state.opt_state is not None:
        arrays.update(
            {f"opt.{k}": v for k, v in state.opt_state._asdict().items() if hasattr(v, "shape")}
        )
    for key, a in arrays.items():
        if a is not None and (
            a.shape != (size,) or a.dtype.kind != "f" or not np.isfinite(a).all()
        ):
            raise bad(
                f"tensor '{key}' has shape {a.shape} and dtype {a.dtype}, not {size} finite floats"
            )
    return state


def _resume_hint(args, checkpoint: str) -> str:
    parts = [args.data] if args.data else []
    if args.test:
        parts += ["--test", args.test]
    parts += ["--model", args.model, "--resume", checkpoint]
    return " ".join(parts)


def _accuracy(z: np.ndarray, y: np.ndarray) -> float:
    from lrnn import metrics

    return metrics.accuracy(z, y)


# --------------------------------------------------------------------------------------------
# predict / evaluate
# --------------------------------------------------------------------------------------------
def _load_model_and_spec(path: str):
    from lrnn import data, persist

    model = persist.load_model(path)
    return model, data.Preprocessing.from_dict(model.preprocessing)


def cmd_predict(args: argparse.Namespace) -> int:
    from lrnn import data
    from lrnn.objective import sigmoid

    model, spec = _load_model_and_spec(args.model)
    ds = data.load_inputs(args.inputs, spec, label=args.label)
    threshold = model.threshold if args.threshold is None else args.threshold
    probability = sigmoid(_logits(model.w, model.b, ds, spec.scale))
    for name, p in zip(ds.names, probability, strict=True):
        label = model.classes[1] if p > threshold else model.classes[0]
        if args.json:
            _out(args, name=name, probability=float(p), label=label)
        else:
            print(f"{name}\t{p:.6f}\t{label}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from lrnn import data, metrics, persist
    from lrnn.objective import sigmoid

    if args.save and not args.choose_threshold:
        raise UsageError("--save stores a threshold chosen with --choose-threshold; add it.")
    model, spec = _load_model_and_spec(args.model)
    ds = _align_classes(data.load(args.data, label=args.label, spec=spec), model.classes)
    z = _logits(model.w, model.b, ds, spec.scale)
    threshold = model.threshold if args.threshold is None else args.threshold
    if args.choose_threshold:
        threshold = metrics.choose_threshold(sigmoid(z), ds.y, args.choose_threshold)
    result = metrics.evaluate(z, ds.y, threshold)
    if args.json:
        _out(args, **result.to_json())
    else:
        print(f"examples: {result.n}")
        print(f"accuracy: {100 * result.accuracy:.2f} %")
        print(f"log loss: {result.log_loss:.6f}")
        print(
            f"threshold: {threshold:.6g}"
            + (f" (chosen by {args.choose_threshold})" if args.choose_threshold else "")
        )
        print(f"confusion: tp={result.tp} fp={result.fp} tn={result.tn} fn={result.fn}")
        print(
            f"precision: {result.precision:.4f}  recall: {result.recall:.4f}  f1: {result.f1:.4f}"
        )
    if args.save:
        from dataclasses import replace

        persist.save_model(args.model, replace(model, threshold=float(threshold)))
        print(f"threshold {threshold:.6g} saved into {args.model}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------------------------
# compare-lr
# --------------------------------------------------------------------------------------------
def cmd_compare_lr(args: argparse.Namespace) -> int:
    from lrnn.backends import make_backend
    from lrnn.train import TrainConfig, train

    _check_outputs(args.plot)
    train_ds, test_ds, _ = _load_training_data(args)
    scale = train_ds.spec.scale
    backend = make_backend(train_ds.X, train_ds.y, None, scale, "numpy")  # one engine, every rate
    runs, diverged, rows = [], [], []
    for rate in args.rates:
        config = TrainConfig(learning_rate=rate, max_iter=args.iterations, record_every=100)
        try:
            result = train(backend, config)
            failed = False
        except TrainingDiverged as exc:
            result, failed = exc.result, True
        runs.append((rate, result.history))
        diverged.append(failed)
        row = {
            "learning_rate": rate,
            "final_cost": result.final_cost,
            "train_accuracy": math.nan
            if failed
            else _accuracy(_logits(result.w, result.b, train_ds, scale), train_ds.y),
            "test_accuracy": math.nan
            if failed
            else _accuracy(_logits(result.w, result.b, test_ds, scale), test_ds.y),
            "diverged": failed,
        }
        rows.append(row)
    usable = [r for r in rows if not r["diverged"] and math.isfinite(r["final_cost"])]
    best = min(usable, key=lambda r: r["final_cost"]) if usable else None
    from lrnn import plots

    plots.lr_comparison(runs, args.plot, diverged=diverged)
    if args.json:
        for row in rows:
            _out(args, **row)
        _out(args, recommended=None if best is None else best["learning_rate"], plot=args.plot)
        return 0
    print(f"{'learning rate':>14} {'final cost':>11} {'train acc':>10} {'test acc':>9}  diverged")
    for r in rows:
        print(
            f"{r['learning_rate']:>14g} {r['final_cost']:>11.6f} "
            f"{100 * r['train_accuracy']:>9.2f}% {100 * r['test_accuracy']:>8.2f}%  "
            f"{'yes' if r['diverged'] else 'no'}"
        )
    if best is None:
        print("every rate diverged: try smaller ones (or --learning-rate auto when training)")
    else:
        print(
            f"recommended learning rate: {best['learning_rate']:g} (lowest final cost "
            f"without diverging after {args.iterations} iterations)"
        )
    print(f"cost curves saved to {args.plot}")
    return 0


# --------------------------------------------------------------------------------------------
# gradcheck, slope
# --------------------------------------------------------------------------------------------
def cmd_gradcheck(args: argparse.Namespace) -> int:
    from lrnn import data, objective

    if args.model:
        model, spec = _load_model_and_spec(args.model)
        ds = data.load(args.data or data.DEFAULT_BUILTIN, label=args.label, spec=spec)
        w, b = np.asarray(model.w, dtype=np.float64), float(model.b)
    else:
        ds = data.load(
            args.data or data.DEFAULT_BUILTIN, label=args.label, image_size=args.image_size
        )
        spec = ds.spec
        rng = np.random.default_rng(args.seed)
        w, b = rng.standard_normal(ds.X.shape[1]) * 0.01, 0.1
    X = ds.X.astype(np.float64) * spec.scale  # float64: the check is about the math
    y = ds.y.astype(np.float64)
    _, dw, db = objective.loss_and_grad(w, b, X, y)
    rng = np.random.default_rng(args.seed)
    k = min(args.coordinates, w.size)
    coords = np.sort(rng.choice(w.size, size=k, replace=False))
    eps = args.epsilon
    rows = []
    for j in [*coords.tolist(), "b"]:
        if j == "b":
            up = objective.loss_and_grad(w, b + eps, X, y)[0]
            down = objective.loss_and_grad(w, b - eps, X, y)[0]
            analytic = db
        else:
            e = np.zeros_like(w)
            e[j] = eps
            up = objective.loss_and_grad(w + e, b, X, y)[0]
            down = objective.loss_and_grad(w - e, b, X, y)[0]
            analytic = float(dw[j])
        numeric = (up - down) / (2 * eps)  # rise over run
        rel = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), 1e-300)
        rows.append(
            {
                "coordinate": f"w[{j}]" if j != "b" else "b",
                "backprop": analytic,
                "finite_difference": numeric,
                "relative_error": rel,
            }
        )
    a = np.array([r["backprop"] for r in rows])
    n = np.array([r["finite_difference"] for r in rows])
    overall = float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300))
    ok = overall <= 1e-6
    if args.json:
        for r in rows:
            _out(args, **r)
        _out(args, overall_relative_error=overall, passed=ok, epsilon=eps)
    else:
        print(f"{'coordinate':>12} {'backprop':>15} {'finite diff':>15} {'rel. error':>11}")
        for r in rows:
            print(
                f"{r['coordinate']:>12} {r['backprop']:>15.8e} {r['finite_difference']:>15.8e} "
                f"{r['relative_error']:>11.2e}"
            )
        print(
            f"overall relative error: {overall:.2e} ({'passed' if ok else 'FAILED'}: "
            "threshold 1e-06)"
        )
    return 0 if ok else 1


def cmd_slope(args: argparse.Namespace) -> int:
    """The lesson's slopes: nudge a by a little, see how much f moves (rise over run)."""
    a, run = 2.0, 0.001
    for name, f, exact in (
        ("f(a) = 3a", lambda v: 3 * v, lambda v: 3.0),
        ("f(a) = a²", lambda v: v * v, lambda v: 2 * v),
        ("f(a) = log a", math.log, lambda v: 1 / v),
    ):
        rise = f(a + run) - f(a)
        print(
            f"{name:<14} at a = {a}: f moves by {rise:.6f} when a moves by {run} → "
            f"slope ≈ {rise / run:.4f} (exact derivative {exact(a):.4f})"
        )
    print("A straight line has the same slope everywhere; a curve's slope depends on a.")
    return 0


# --------------------------------------------------------------------------------------------
# report, verify
# --------------------------------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    from lrnn import data, report
    from lrnn.history import load_history

    _check_outputs(args.output)
    model, spec = _load_model_and_spec(args.model)
    ds = _align_classes(data.load(args.data, label=args.label, spec=spec), model.classes)
    history = load_history(args.history) if args.history else None
    report.write_report(args.output, model=model, dataset=ds, history=history)
    print(f"report saved to {args.output}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from lrnn import data
    from lrnn.backends import make_backend
    from lrnn.errors import ModelFileError
    from lrnn.train import train

    model, spec = _load_model_and_spec(args.model)
    manifest = model.manifest or {}
    settings = manifest.get("solver_settings")
    if not isinstance(settings, dict):
        raise ModelFileError(
            f"{args.model}: no manifest with solver settings, so it cannot be verified; retrain "
            "it with lrnn train, which writes one."
        )
    config = _stored_config(args.model, settings, "manifest's solver settings")
    source = args.data or manifest.get("data_source")
    if not isinstance(source, str) or not source:
        raise UsageError(
            f"{args.model}: the manifest names no data source; give the training data: "
            f"lrnn verify --model {args.model} DATA"
        )
    ds = data.load(source, label=args.label, spec=spec)
    digest = data.data_sha256(ds.X, ds.y)
    if digest != manifest.get("data_sha256"):
        # The model may have been trained on a hold-out split of this data: redo that split.
        train_part, _ = data.split(ds, 0.2, seed=settings.get("random_state") or 0)
        if data.data_sha256(train_part.X, train_part.y) == manifest.get("data_sha256"):
            ds = train_part
        else:
            raise UsageError(
                f"{source}: its sha256 differs from the one in {args.model}'s manifest; "
                "verify with the data the model was trained on."
            )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = train(make_backend(ds.X, ds.y, None, spec.scale, "numpy"), config)
    same = np.array_equal(result.w, model.w) and result.b == model.b
    diff = float(max(np.max(np.abs(result.w - model.w)), abs(result.b - model.b)))
    if getattr(args, "json", False):
        _out(args, bit_identical=same, max_abs_difference=diff)
    elif same:
        print(f"bit-identical: retraining reproduces {args.model} exactly")
    else:
        print(f"NOT bit-identical: largest difference {diff:.3e}")
    return 0 if same else 1


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _one_line_warning
            return int(args.run(args) or 0)
    except SystemExit as exc:  # --help, --version: argparse printed and asked to exit
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``lrnn predict … | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (UsageError, argparse.ArgumentError) as exc:
        if debug:
            raise
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 2
    except (LrnnError, ValueError, OSError, MemoryError) as exc:
        if debug:
            raise
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, not a traceback
        if debug:
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {one_line(exc)} "
            "(run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {one_line(message)}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
