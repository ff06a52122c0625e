"""The ``lrnn`` command line's parser: sub-commands, options, their help and their checks.

Training options take their defaults, help text and range checks from :mod:`lrnn.config`
(one place for each), solver names from :mod:`lrnn.solvers`; argparse only turns text into
values. Every parse error becomes one line (see :class:`_Parser`).
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Callable
from typing import Any

from lrnn import __version__, config
from lrnn.cli import commands, compare, lesson, scoring
from lrnn.cli.commands import DEFAULT_COMPARE_PLOT, DEFAULT_MODEL, DEFAULT_REPORT
from lrnn.config import default
from lrnn.errors import RepeatedKey, UsageError, json_once_each
from lrnn.solvers import SOLVER_NAMES


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # full names: an abbreviation (--iter, --js, --deb) escaped each check of what was typed
        super().__init__(*args, **{**kwargs, "allow_abbrev": False})
        self._negative_number_matcher = re.compile(r"^-\.?\d")  # "-1e-3" is a value, not an option

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message.rstrip('.')} (see '{self.prog} --help')")


#: What --model takes where any model file will do.
MODEL_HELP = "model file written by lrnn train or LogisticNeuron.save"


def _setting(name: str, parse: Callable[[str], Any] = float) -> Callable[[str], Any]:
    """An argparse type for the TrainConfig field ``name``: parse the text, then apply the
    field's own rule, so the CLI accepts exactly what training accepts."""

    def convert(text: str) -> Any:
        if parse is float and text == "auto" and name == "learning_rate":
            value: Any = "auto"
        else:
            try:
                value = parse(text)
            except ValueError:
                kind = "a whole number" if parse is int else "a number"
                extra = " or 'auto'" if name == "learning_rate" else ""
                raise argparse.ArgumentTypeError(f"expected {kind}{extra}, got {text!r}") from None
        wrong = config.problem(name, value)
        if wrong is not None:
            raise argparse.ArgumentTypeError(wrong)
        return value

    return convert


def _fraction(text: str) -> float:
    try:
        return config.check_fraction("value", float(text))
    except (ValueError, UsageError):
        said = f"must be a number strictly between 0 and 1, got {text!r}"
        raise argparse.ArgumentTypeError(said) from None


# Options that are not training settings (thresholds, steps, counts of the CLI's own).
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


_seed = _setting("random_state", int)
_rate = _setting("learning_rate", float)
_probability = _finite(0.0, high=1.0)
_rate_number = _finite(0.0, strict=True)


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
    try:  # (NaN and Infinity read, to be named below as a weight)
        value = json_once_each(text, constants=True)
    except RepeatedKey as e:  # which weight was meant?
        raise argparse.ArgumentTypeError(f"class {e.key!r} is given two weights in {text!r}") from e
    except json.JSONDecodeError:
        value = None
    if isinstance(value, dict) and not config.is_class_weight_mapping(value):
        bad = next(k for k, w in value.items() if not config.is_class_weight_mapping({k: w}))
        raise argparse.ArgumentTypeError(  # the shape is right: say which weight is not
            f"class {bad!r} has weight {json.dumps(value[bad])[:40]}; weights are finite numbers "
            "≥ 0 (to leave a class out, drop its rows)"
        )
    if not config.is_class_weight_mapping(value):
        raise argparse.ArgumentTypeError(
            f"expected 'balanced' or a JSON object of class → weight such as "
            f"'{{\"cat\": 2}}', got {text!r}"
        )
    return {str(k): float(v) for k, v in value.items()}


EXAMPLES = {
    "train": "examples:\n  lrnn train                                  # built-in digits set\n"
    "  lrnn train train_catvnoncat.h5 --test test_catvnoncat.h5\n"
    "  lrnn train data.csv --label target --standardize --solver lbfgs --alpha 1e-3\n"
    "  lrnn train reviews/ --min-df 2 --ngrams 1 2   # one sub-folder of .txt files per class\n"
    "  lrnn train data.svm --solver lbfgs --alpha 1e-4",
    "predict": "examples:\n  lrnn predict --model lrnn-model.safetensors my_cat.jpg my_dog.png\n"
    "  lrnn predict --model lrnn-model.safetensors photos/\n"
    "  printf 'a great film\\n' | lrnn predict --model reviews.safetensors -",
    "words": "example:\n  lrnn words --model reviews.safetensors --top 5",
    "evaluate": "examples:\n  lrnn evaluate --model lrnn-model.safetensors test_catvnoncat.h5\n"
    "  lrnn evaluate --model m.safetensors val.csv --choose-threshold f1 --save",
    "compare-lr": "example:\n  lrnn compare-lr train_catvnoncat.h5 --test test_catvnoncat.h5 "
    "--rates 0.01 0.001 0.0001 --iterations 1500",
    "gradcheck": "example:\n  lrnn gradcheck train_catvnoncat.h5 --coordinates 20",
    "report": "example:\n  lrnn report --model lrnn-model.safetensors test_catvnoncat.h5 "
    "--history history.csv -o report.html",
    "verify": "example:\n  lrnn verify --model lrnn-model.safetensors train_catvnoncat.h5",
    "slope": "example:\n  lrnn slope",
    "export": "examples:\n  lrnn export --model cat.safetensors -o cat.onnx\n"
    "  lrnn export --model cat.safetensors -o cat32.onnx --float32",
    "serve": "examples:\n  lrnn serve --model cat.safetensors          # http://127.0.0.1:8000/\n"
    "  curl --data-binary @my_cat.jpg -H 'Content-Type: image/jpeg' "
    "http://127.0.0.1:8000/predict",
    "check": "It looks for the lesson's functions by name: sigmoid, initialize_with_zeros, "
    "propagate,\noptimize, predict and model. Only imports, definitions and constants run "
    "(loading data,\ntraining and plotting are skipped), in a separate Python process.\n\n"
    "exit status: 0 every function found passes, 1 one fails (or none is found),\n"
    "             2 the file cannot be read\n\n"
    "examples:\n  lrnn check my_solution.ipynb\n"
    "  lrnn check solution.py --data datasets --show-output\n"
    "  lrnn check solution.py --json --time-limit 10",
}


def _data_options(p: argparse.ArgumentParser, *, model_decides: bool = False) -> None:
    """--label, and --image-size where no model fixes the size (a model's pictures are always
    converted to the size it was trained on)."""
    p.add_argument(
        "--label",
        default=None if model_decides else config.LABEL_COLUMN,
        help="label column of CSV/Parquet tables (default: "
        + ("the model's)" if model_decides else f"{config.LABEL_COLUMN})"),
    )
    if not model_decides:
        p.add_argument(
            "--image-size",
            type=_image_size,
            help="resize image files to HxW, e.g. 64x64; one number is a square (64 = 64x64) "
            "(default: the first picture's size)",
        )


def _count_or_power(text: str) -> int:
    """A whole number, also written as a power of two: 1048576 or 2**20."""
    base, _, exponent = text.partition("**")
    try:
        value, power = (int(base), int(exponent)) if exponent else (int(text), 1)
    except ValueError:
        value, power = 0, -1
    if power < 0 or abs(value) > 1 and power * math.log2(abs(value)) > 64:  # not 2**4000000000
        raise argparse.ArgumentTypeError(f"expected a count such as 2**20 (< 2**64), got {text!r}")
    return value**power


def _count_or_fraction(text: str) -> float:
    """A count (2, or 2.0: a float of 1.0 or more can only mean one) or a fraction (0.01)."""
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a count or a fraction, got {text!r}"
            ) from None
        return int(value) if value > 1 and value.is_integer() else value


def _text_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("text (a folder of .txt files per class, or --text-column)")
    g.add_argument(
        "--text-column",
        metavar="COL",
        help="the CSV/Parquet column holding text (default: none, the table is numbers)",
    )
    g.add_argument("--ngrams", nargs=2, type=int, metavar=("LOW", "HIGH"), help="default 1 2")
    g.add_argument(
        "--min-df",
        type=_count_or_fraction,
        help="keep terms in ≥ this many (or this fraction of) documents (default 2)",
    )
    g.add_argument(
        "--max-features",
        type=_count_or_power,
        help="keep the most frequent terms only (default: all that pass --min-df)",
    )
    g.add_argument(
        "--hashing",
        type=_count_or_power,
        metavar="N",
        help="hash terms into N columns, e.g. 2**20 (no vocabulary: no --min-df/--max-features)",
    )
    _encoding_option(g)


def _encoding_option(p: Any) -> None:
    p.add_argument("--encoding", help="the text files' and CSV tables' encoding (default utf-8)")


def _training_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        f"training (defaults: the lesson's {default('solver')}, learning rate "
        f"{default('learning_rate')}, {default('max_iter')} iterations)"
    )
    g.add_argument(
        "--solver",
        choices=SOLVER_NAMES,
        default=None,
        help=f"how the parameters step (default {default('solver')})",
    )
    g.add_argument(
        "--iterations",
        type=_setting("max_iter", int),
        default=None,
        help=f"max iterations; epochs for sgd (default {default('max_iter')})",
    )
    g.add_argument(
        "--learning-rate",
        type=_rate,
        default=None,
        help=f"a number or 'auto' (1/L) (default {default('learning_rate')})",
    )
    g.add_argument(
        "--alpha",
        type=_setting("alpha"),
        default=None,
        help=f"L2 strength on w (default {default('alpha')})",
    )
    g.add_argument(
        "--tol",
        type=_setting("tol"),
        default=None,
        help=f"stop when max|∇J| ≤ tol; 0 never stops early (default {default('tol')})",
    )
    g.add_argument(
        "--batch-size",
        type=_setting("batch_size", int),
        default=None,
        help=f"mini-batch size for sgd (default {default('batch_size')})",
    )
    g.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help=f"random seed for splits and sgd (default {default('random_state')})",
    )
    g.add_argument(
        "--class-weight",
        type=_class_weight,
        default=None,
        help="'balanced', or JSON such as '{\"cat\": 2}': weights per class (default none)",
    )
    _early_stopping_options(g)
    _data_handling_options(g)


def _early_stopping_options(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--early-stopping",
        action="store_true",
        default=None,
        help="stop when the validation loss stops improving; keep the best weights",
    )
    g.add_argument(
        "--n-iter-no-change",
        type=_setting("n_iter_no_change", int),
        default=None,
        help="recorded checks without improvement before early stopping "
        f"(default {default('n_iter_no_change')})",
    )
    g.add_argument(
        "--validation-fraction",
        type=_fraction,
        default=None,
        help="share held out for early stopping when --validation is not given "
        f"(default {config.VALIDATION_FRACTION})",
    )


def _data_handling_options(g: argparse._ArgumentGroup) -> None:
    """Features, and where and how the passes over the data run."""
    g.add_argument("--standardize", action="store_true", help="standardise table features")
    _drop_option(g)
    g.add_argument(
        "--backend",
        choices=("auto", "numpy", "dask", "torch"),
        default="auto",
        help="where passes run (default auto: in memory; streamed for .npy, Zarr, Parquet folders)",
    )
    g.add_argument(
        "--scheduler",
        help="address of a running Dask scheduler, with --backend dask (default: a local one)",
    )
    g.add_argument(
        "--stream",
        action="store_true",
        help="stream a .parquet file from disk instead of loading it (.npy, Zarr and folders "
        "of X.npy or Parquet files always stream)",
    )


def _words_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("words", "A text model's strongest words: what the neuron looks for.")
    p.add_argument("--model", required=True, help="a text model written by lrnn train")
    p.add_argument("--top", type=_positive_int, default=10, help="words per side (default 10)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(run=scoring.cmd_words)


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

    for add in (
        _train_parser,
        _predict_parser,
        _evaluate_parser,
        _compare_lr_parser,
        _gradcheck_parser,
        _report_parser,
        _verify_parser,
        _slope_parser,
        _check_parser,
        _export_parser,
        _serve_parser,
        _words_parser,
    ):
        add(command)
    return parser


def _train_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    pct = f"{100 * config.TEST_FRACTION:g} %%"
    p = command("train", "Train a neuron; print the cost every --print-every iterations.")
    p.add_argument("data", nargs="?", help="training data (default: built-in 'digits')")
    p.add_argument(
        "--test",
        help=f"test data (default: a seeded {pct} hold-out; none when the data streams from disk)",
    )
    p.add_argument(
        "--validation",
        help="validation data for history and early stopping (default: none; with "
        "--early-stopping, a held-out share of the training data)",
    )
    p.add_argument(
        "--positive-class",
        metavar="NAME",
        help="the class whose probability the neuron's output a is (default: the data's second "
        "class — label 1, the second of list_classes, or the second name in sorted order, by value "
        "when every name is a number; the first line of the output names it)",
    )
    _data_options(p)
    _text_options(p)
    _training_options(p)
    p.add_argument("--model", help=f"model file (default {DEFAULT_MODEL})")
    p.add_argument("--plot", help="learning-curve PNG (default: next to the model)")
    p.add_argument("--no-plot", action="store_true", help="do not draw the learning curve")
    p.add_argument(
        "--report",
        nargs="?",
        const="",
        default=None,
        help="also write an HTML report (default path: next to the model)",
    )
    p.add_argument("--history", help="write the training history (.csv or .json) (default: none)")
    p.add_argument(
        "--print-every",
        type=_setting("record_every", int),
        default=None,
        help=f"print (and record in --history) every N iterations (default {config.PRINT_EVERY}"
        "; lbfgs, lbfgs-scipy and newton record each of their few iterations)",
    )
    p.add_argument(
        "--checkpoint",
        help="checkpoint file, saved every --checkpoint-every iterations and on Ctrl-C "
        "(default: MODEL with .ckpt.safetensors)",
    )
    p.add_argument(
        "--checkpoint-every",
        type=_positive_int,
        help="iterations between checkpoints (default: none — a checkpoint is written only on "
        "Ctrl-C)",
    )
    p.add_argument(
        "--resume", help="continue the run saved in this checkpoint (default: a new run)"
    )
    p.add_argument("--json", action="store_true", help="JSON lines on stdout")
    p.set_defaults(run=commands.cmd_train)


def _predict_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("predict", "Predict with a saved model: one line per example.")
    p.add_argument(
        "inputs",
        nargs="+",
        help="image files, an image folder, a table, an svmlight file; for text models .txt "
        "files, a folder of them, or - (one document per line of standard input)",
    )
    _documents_options(p)
    p.add_argument("--model", required=True, help=MODEL_HELP)
    p.add_argument(
        "--threshold", type=_probability, help="decision threshold (default: the model's)"
    )
    p.add_argument(
        "--label",
        default=None,
        help="label column to ignore in a table (default: the model's label column)",
    )
    p.add_argument("--id", metavar="COL", help="a table's column that names each row's line")
    p.add_argument(
        "--top",
        type=_positive_int,
        metavar="K",
        help="the K most probable classes per example (default: the predicted one)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per example")
    p.set_defaults(run=scoring.cmd_predict)


def _evaluate_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("evaluate", "Accuracy, log loss and confusion counts of a model on labelled data.")
    p.add_argument("data", help="labelled data in any format lrnn train reads")
    p.add_argument("--model", required=True, help=MODEL_HELP)
    _documents_options(p)
    _data_options(p, model_decides=True)
    p.add_argument(
        "--threshold", type=_probability, help="decision threshold (default: the model's)"
    )
    p.add_argument(
        "--choose-threshold",
        metavar="RULE",
        help="f1 | youden | precision=P: choose the threshold on this data (default: keep it)",
    )
    p.add_argument("--save", action="store_true", help="store the chosen threshold in the model")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(run=scoring.cmd_evaluate)


def _drop_option(g: Any) -> None:
    # one column per flag: with nargs="+" a DATA path after it was taken for a second column
    g.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="COL",
        help="a table column not to train on (an ID, a row number); repeat for more; predict "
        "ignores it too",
    )


def _documents_options(p: argparse.ArgumentParser) -> None:
    """How a text model's documents are read where a saved model scores them."""
    p.add_argument("--encoding", help="the documents' (default: the model's) or CSV's encoding")
    p.add_argument(
        "--text-column",
        metavar="COL",
        help="text models: the CSV/Parquet column of documents (default: the model's)",
    )


def _compare_lr_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    pct = f"{100 * config.TEST_FRACTION:g} %%"
    p = command("compare-lr", "Train one model per learning rate and compare their cost curves.")
    p.add_argument("data", nargs="?", help="training data (default: built-in 'digits')")
    p.add_argument("--test", help=f"test data (default: a seeded {pct} hold-out)")
    _data_options(p)
    p.add_argument("--standardize", action="store_true", help="standardise table features")
    _drop_option(p)
    p.add_argument(
        "--rates",
        type=_rate_number,
        nargs="+",
        default=[0.01, 0.001, 0.0001],
        help="learning rates to compare (default: the lesson's 0.01 0.001 0.0001)",
    )
    p.add_argument(
        "--iterations", type=_positive_int, default=1500, help="iterations per run (default 1500)"
    )
    p.add_argument("--plot", help=f"picture (default {DEFAULT_COMPARE_PLOT})")
    p.add_argument(
        "--seed",
        type=_seed,
        default=default("random_state"),
        help=f"seed of the hold-out split (default {default('random_state')})",
    )
    _encoding_option(p)
    p.add_argument("--json", action="store_true", help="JSON lines on stdout")
    p.set_defaults(run=compare.cmd_compare_lr)


def _gradcheck_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("gradcheck", "Compare backpropagation with finite differences (rise over run).")
    p.add_argument("data", nargs="?", help="data (default: built-in 'digits')")
    p.add_argument("--model", help="check at this model's weights (default: small random ones)")
    _data_options(p)
    p.add_argument(
        "--coordinates", type=_positive_int, default=10, help="weights to check (default 10)"
    )
    p.add_argument(
        "--epsilon",
        type=_finite(0.0, strict=True, high=1.0),
        default=lesson.GRADCHECK_EPSILON,
        help=f"finite-difference step (default {lesson.GRADCHECK_EPSILON:g})",
    )
    p.add_argument(
        "--seed",
        type=_seed,
        default=default("random_state"),
        help="which coordinates are checked, and (without --model) the random weights they are "
        f"checked at (default {default('random_state')})",
    )
    _encoding_option(p)
    p.add_argument("--json", action="store_true", help="JSON lines on stdout")
    p.set_defaults(run=lesson.cmd_gradcheck)


def _report_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("report", "Write one self-contained HTML report of a model on data.")
    p.add_argument("data", help="labelled data to report on")
    p.add_argument("--model", required=True, help=MODEL_HELP)
    p.add_argument("--history", help="training history (.csv/.json) (default: the model's own)")
    p.add_argument("-o", "--output", help=f"HTML file (default {DEFAULT_REPORT})")
    _documents_options(p)
    _data_options(p, model_decides=True)
    p.set_defaults(run=commands.cmd_report)


def _verify_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("verify", "Retrain from a model's manifest and check the result bit for bit.")
    p.add_argument("data", nargs="?", help="training data (default: the manifest's source)")
    p.add_argument("--model", required=True, help="model file written by lrnn train")
    p.add_argument("--validation", help="the data early stopping read (default: the manifest's)")
    _data_options(p, model_decides=True)
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(run=commands.cmd_verify)


def _slope_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("slope", "The lesson's derivatives as slopes, in a few lines.")
    p.set_defaults(run=lesson.cmd_slope)


def _check_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("check", "Check your own lesson functions (.py or .ipynb); name each mistake.")
    p.add_argument("solution", help="your .py file or Jupyter notebook (.ipynb)")
    p.add_argument(
        "--data",
        metavar="DIR",
        help="folder with train_catvnoncat.h5 and test_catvnoncat.h5 for the full model check "
        "(default: $LRNN_CAT_DATA, else a 'datasets' folder next to SOLUTION or in the "
        "current folder, if any)",
    )
    p.add_argument(
        "--time-limit",
        type=_finite(0.0, strict=True),
        default=30.0,
        metavar="SECONDS",
        help="seconds each function may run before it is stopped (default 30)",
    )
    p.add_argument(
        "--total-time-limit",
        type=_finite(0.0, strict=True),
        default=180.0,
        metavar="SECONDS",
        help="seconds the whole check may take (default 180)",
    )
    p.add_argument(
        "--memory",
        type=_positive_int,
        default=2048,
        metavar="MB",
        help="memory your code may allocate, in MB (default 2048)",
    )
    p.add_argument("--show-output", action="store_true", help="show what your functions printed")
    p.add_argument("--json", action="store_true", help="print one JSON object with the verdicts")
    p.set_defaults(run=lesson.cmd_check)


def _export_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("export", "Write a model as an ONNX graph that gives lrnn's probabilities.")
    p.add_argument("--model", required=True, help="the model file (.safetensors) to export")
    p.add_argument("-o", "--output", help="the .onnx file to write (default: next to the model)")
    p.add_argument(
        "--float32", action="store_true", help="compute in float32 (default float64, as lrnn)"
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(run=commands.cmd_export)


def _serve_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    p = command("serve", "Serve a model over HTTP: a JSON API and a page to try it.")
    p.add_argument("--model", required=True, help="the model file (.safetensors) to serve")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="port to listen on; 0 picks a free one (default 8000)",
    )
    p.add_argument(
        "--max-body-mb",
        type=_finite(0.0, strict=True, high=1024.0),
        default=20.0,
        help="largest request body in MiB (default 20)",
    )
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="on a loopback address, answer requests addressed to NAME too (a reverse proxy that "
        "passes its own Host header); repeat for more names",
    )
    p.add_argument("--access-log", action="store_true", help="log every request on stderr")
    p.set_defaults(run=commands.cmd_serve)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {value}")
    return value
