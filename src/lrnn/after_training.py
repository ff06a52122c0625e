"""After a run of ``lrnn train``: its model file, learning rates side by side
(``lrnn compare-lr``), and a saved model reproduced from its manifest (``lrnn verify``).

Each trains, or describes training, on the data :mod:`lrnn.run` prepares.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lrnn import metrics
from lrnn.errors import DataError, UsageError, one_line, printable
from lrnn.run import (
    TrainingData,
    TrainingRequest,
    feature_names,
    hold_out_for_testing,
    logits,
    prepare,
    scaling_can_help,
    testing_seed,
)


def model_file(result: Any, td: TrainingData, config: Any) -> Any:
    """The model file of a finished run: weights, classes, preprocessing, scores, manifest."""
    from lrnn import checkpoint, persist

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
    if result.restored_iteration is not None:  # early stopping kept an earlier check's weights
        training["restored_iteration"] = result.restored_iteration
    return persist.ModelFile(
        w=result.w,
        b=result.b,
        classes=tuple(td.classes),
        preprocessing=td.spec.to_dict(),
        feature_names=feature_names(td.spec),
        training=training,
        manifest=checkpoint.manifest(
            config, td.info, result, None if td.request is None else td.request.to_manifest()
        ),
        history=dict(result.history) or None,
        idf=None if td.spec.vectorizer is None else td.spec.vectorizer.idf,
    )


def resumed_scipy_run(model: Any) -> int | None:
    """The iteration an lbfgs-scipy model's run was resumed at (its manifest says), or None:
    such a run reaches the same optimum as one that was not stopped, but not the same bits."""
    manifest = model.manifest if isinstance(model.manifest, dict) else {}
    settings = manifest.get("solver_settings")
    at = manifest.get("resumed_at")
    scipy = isinstance(settings, dict) and settings.get("solver") == "lbfgs-scipy"
    counted = isinstance(at, int) and not isinstance(at, bool) and at >= 0
    return at if scipy and counted else None


#: compare-lr records every iteration's cost up to this many iterations, then at most this many
#: (its "cost rose" is judged on them: a single rise between two can go unmarked beyond it).
CURVE_POINTS = 20_000


def compare_learning_rates(
    train_ds: Any, test_ds: Any, rates: Sequence[float], iterations: int
) -> tuple[list, list[bool], list[dict]]:
    """One gd run per learning rate on the same data: ``(runs, diverged, rows)`` where runs
    are (rate, history) pairs for the plot and rows the final scores of each."""
    from lrnn.backends import make_backend
    from lrnn.config import TrainConfig
    from lrnn.errors import TrainingDiverged
    from lrnn.train import train

    scale = train_ds.spec.scale
    K = len(train_ds.classes)
    backend = make_backend(train_ds.X, train_ds.y, None, scale, "numpy", K)  # every rate
    runs, diverged, rows = [], [], []
    # every iteration's cost up to CURVE_POINTS iterations (then at most as many, evenly
    # spaced), and the last one's, so the curve ends at the final cost the table shows: sampled
    # every 15th, a cost that rose and fell every 3 iterations (the lesson's 0.01) drew as a
    # slow zigzag, and a single rise fell between two samples. Costs only: each recorded
    # gradient's norm is a pass over X on wide data, and waiting for it held every gradient
    # (100,000 iterations of the cat data: 9.9 GB).
    every = max(1, -(-iterations // CURVE_POINTS))
    told: dict[tuple[str, type], list[float]] = {}  # each warning once, with its rates
    for rate in rates:
        config = TrainConfig(learning_rate=rate, max_iter=iterations, record_every=every)
        with warnings.catch_warnings(record=True) as said:  # each said with its rate
            warnings.simplefilter("always")
            try:
                result, failed = train(backend, config, grad_norms=False, last_grad=False), False
            except TrainingDiverged as exc:
                result, failed = exc.result, True
        for w in said:
            told.setdefault((str(w.message), w.category), []).append(rate)
        curve = {k: list(result.history[k]) for k in ("iteration", "cost")}
        # a diverged run's curve ends at the cost that stopped it (its final_cost is the last
        # recorded one: the blow-up between two records drew as a flat line)
        end = result.extras.get("diverged_at") if failed else (result.n_iter, result.final_cost)
        if end is not None and curve["iteration"] and curve["iteration"][-1] < end[0]:
            curve["iteration"].append(end[0])
            curve["cost"].append(end[1])
        runs.append((rate, curve))
        diverged.append(failed)
        costs = np.asarray(curve["cost"], dtype=float)
        rows.append(
            {
                "learning_rate": rate,
                # a diverged run's last finite cost is not where it ended: none is
                "final_cost": math.nan if failed else result.final_cost,
                # the lesson's overshoot: the cost went up on the way, diverged or not
                "cost_rose": bool(failed or _rose(costs, backend.dtype)),
                # and still did in the last tenth of the run: its final cost is a moment of an
                # oscillation (0.02 on the cat pictures ended at 3.97, 0.23, 0.27, 0.43, 1.17
                # after 298 … 302 iterations), no measure of the rate
                "still_rising": bool(
                    failed or _rose(costs[-max(2, costs.size // 10) :], backend.dtype)
                ),
                "train_accuracy": math.nan
                if failed
                else metrics.accuracy(logits(result.w, result.b, train_ds, scale), train_ds.y),
                "test_accuracy": math.nan
                if failed
                else metrics.accuracy(logits(result.w, result.b, test_ds, scale), test_ds.y),
                "diverged": failed,
                # where a run ended before its iterations (separated data, a gradient of 0),
                # and why: its cost is not one after all of them
                "iterations": result.n_iter,
                "stop_reason": "diverged" if failed else result.stop_reason,
            }
        )
    for (message, category), which in told.items():
        named = ", ".join(f"{rate:g}" for rate in which)
        warnings.warn(
            f"learning rate{'s' if len(which) > 1 else ''} {named}: {message}", category, 2
        )
    return runs, diverged, rows


def steady_rate_bound(train_ds: Any, standardized: bool) -> tuple[float, str]:
    """2/L for gradient descent on ``train_ds`` (no penalty, as compare-lr trains): rates below
    it descend on this data, rates above it can overshoot. With the clause that advises
    standardizing where that would allow larger steps ("" where it would not)."""
    from lrnn.backends import make_backend
    from lrnn.verdicts import larger_steps_advice, lipschitz

    backend = make_backend(
        train_ds.X, train_ds.y, None, train_ds.spec.scale, "numpy", len(train_ds.classes)
    )
    backend.scaling_advice = scaling_can_help(train_ds.spec, standardized)
    return 2.0 / lipschitz(backend, 0.0), larger_steps_advice(backend)


def training_rows_in(model: Any, ds: Any, digest: str | None = None) -> str | None:
    """ "all" when ``ds`` (loaded with the model's preprocessing) holds exactly the examples
    the model was trained on, "validation" when it holds the --validation examples early
    stopping chose its weights by, "part" when it is the file a hold-out split them from
    (split again with the model's seed, its held-out rows hash to the model's test rows),
    else None.
    Told by content, not by the file's name: a path as typed names another file from another
    folder, and one file has many spellings. ``digest``: ``data_sha256`` of ``ds``, when the
    caller has it (hashing is a pass over the data)."""
    from lrnn.data import data_sha256

    manifest = model.manifest if isinstance(model.manifest, dict) else {}
    digest = digest or data_sha256(ds.X, ds.y)
    if manifest.get("data_sha256") == digest:
        return "all"
    settings = manifest.get("solver_settings")
    # without early stopping the --validation examples only drew a curve: other data
    chose = not isinstance(settings, dict) or settings.get("early_stopping") is not False
    if manifest.get("validation_sha256") == digest and chose:
        return "validation"
    request, test_rows = manifest.get("request"), manifest.get("test_sha256")
    # a --stream run hashed a Parquet file's float32 columns as float32, read here widened:
    # hashed again as float32 (a copy and a pass) only for such a model
    streamed = isinstance(request, dict) and request.get("stream") is True
    narrow = _as_streamed(ds.X) if streamed else None
    if narrow is not None and manifest.get("data_sha256") == data_sha256(narrow, ds.y):
        return "all"
    if "test_sha256" not in manifest:  # a model file from before the test rows' hash: by name
        given = (request or {}).get("test") if isinstance(request, dict) else None
        return (
            "part" if _same_source(manifest.get("data_source"), ds.source) and not given else None
        )
    if not isinstance(request, dict) or request.get("test") or not isinstance(test_rows, str):
        return None
    seed = manifest.get("seed")
    seed = testing_seed(seed if isinstance(seed, int) and not isinstance(seed, bool) else None)
    try:
        _, held = hold_out_for_testing(np.asarray(ds.y), seed)
    except (DataError, ValueError):  # one class, too few rows: not the file it was split from
        return None
    return "part" if data_sha256(ds.X[held], ds.y[held]) == test_rows else None


#: What the data early stopping chose a model's weights by is to its scores.
CHOSE_THE_WEIGHTS = (
    "early stopping chose the model's weights by their loss on these examples (its --validation "
    "data), so these scores flatter it"
)


def training_overlap(model: Any, ds: Any, digest: str) -> str:
    """What the examples scored are to the model: the data it was trained on (training-set
    scores), its held-out test examples, the --validation data early stopping chose its
    weights by, the data it held a part out of (the scores mix training and held-out examples:
    told by content, as ``lrnn evaluate`` tells it, so a copy of the file under another name
    counts too), or other data."""
    manifest = model.manifest or {}
    trained_on = manifest.get("data_sha256")
    if trained_on is None:
        return "unknown (the model has no data hash)"
    if trained_on == digest:
        return "yes: this is the data the model was trained on (training-set scores)"
    if manifest.get("test_sha256") == digest:
        return "no: these are the examples it was tested on when it was trained (held out)"
    rows = training_rows_in(model, ds, digest)  # (older models: told by the source's name)
    if rows == "validation":
        return f"no, but {CHOSE_THE_WEIGHTS}"
    if rows == "part":
        return (
            "partly: the model was trained on a part of this data (the rest was held out for "
            "testing), so these scores mix training and held-out examples"
        )
    return (
        "no: held-out or other data (neither the training data nor the file it was split from; "
        "single rows are not compared)"
    )


def _same_source(trained: Any, scored: str) -> bool:
    if not isinstance(trained, str) or not trained:
        return False
    if trained == scored:
        return True
    try:
        return os.path.samefile(trained, scored)
    except OSError:  # not files (built-in data), or gone
        return False


def other_version(model: Any) -> str:
    """Said after "NOT bit-identical" where another lrnn trained the model: a version may round
    otherwise (0.2.0's Newton ridge follows each column's curvature), and verify had blamed the
    file or the data for it."""
    from lrnn._version import __version__

    then = (model.manifest or {}).get("lrnn_version")
    if not isinstance(then, str) or then == __version__:
        return ""
    return (
        f" (lrnn {printable(then[:40])} trained it and this is lrnn {__version__}, whose "
        "arithmetic may differ: retrain with this version to compare)"
    )


def threshold_chosen_on(model: Any, digest: str) -> str | None:
    """How a model's stored threshold was chosen on these very examples (``lrnn evaluate
    --choose-threshold RULE --save`` records the data's hash), or None: a threshold picked
    for the best score on some data flatters the scores on that data, at every later look."""
    chosen = (model.manifest or {}).get("threshold_chosen_on")
    if not isinstance(chosen, dict) or chosen.get("data_sha256") != digest:
        return None
    rule = chosen.get("rule")
    by = f" by {rule}" if isinstance(rule, str) and rule.isprintable() and len(rule) < 40 else ""
    return f"the model's threshold was chosen{by} on these very examples, so it flatters them"


def _as_streamed(X: Any) -> Any:
    """X in float32 when it is float64 holding float32 values exactly (a Parquet file's float32
    columns, which a table loader widens and a streamed run hashed as they are), else None."""
    if not isinstance(X, np.ndarray) or X.dtype != np.float64:
        return None
    narrow = X.astype(np.float32)
    return narrow if np.array_equal(narrow, X) else None


def _rose(costs: Any, dtype: Any) -> bool:
    """Whether a recorded cost rose by more than J's rounding in the data's precision (at the
    optimum it wobbles by its last bits, which is no overshoot)."""
    from lrnn.solvers import cost_rounding

    return any(b > a + cost_rounding(a, dtype) for a, b in zip(costs, costs[1:], strict=False))


def _prepare_to_verify(
    request: TrainingRequest,
    config: Any,
    model_path: str,
    data_path: str | None,
    label_given: bool = False,
) -> TrainingData:
    try:
        return prepare(request, config.random_state, request.backend)
    except UsageError as exc:
        # the options are the manifest's, not the user's: "drop --standardize" means nothing
        given = {
            "--standardize": (request.standardize, "on a table, and this is not one"),
            "--drop": (bool(request.drop), "on a table, and this is not one"),
            "--image-size": (request.image_size is not None, "on pictures, and these are not"),
        }
        said = str(exc)
        option = next(
            (
                o
                for o, (used, _) in given.items()
                if used and o in said and ("drop the option" in said or f"drop {o}" in said)
            ),
            None,
        )
        if option is None:
            raise
        raise UsageError(
            f"{data_path or request.data}: {model_path} was trained with {option} "
            f"{given[option][1]}; verify with the data the model was trained on."
        ) from exc
    except DataError as exc:
        if data_path or label_given:  # the user's own DATA or --label: theirs to change
            raise
        raise DataError(
            f"{exc} (that is the data named in {model_path}'s manifest; give the training "
            f"data's path here: lrnn verify --model {model_path} DATA)"
        ) from exc


def _validation_to_verify(
    request: TrainingRequest, model_path: str, validation: str | None
) -> None:
    """The validation data shapes the weights only through early stopping: without it the
    file is not needed; with it, one named by a relative path may not be found from here."""
    if not request.early_stopping:
        if validation is not None:  # said, not silently passed over (a wrong path included)
            warnings.warn(
                f"--validation {validation} is not needed: {model_path} was trained without "
                "early stopping, so its validation data did not shape the weights — ignored.",
                stacklevel=3,
            )
        request.validation = None
        return
    if validation is not None and not request.validation:  # its own rows, held out
        warnings.warn(
            f"--validation {validation} is not needed: {model_path}'s early stopping judged "
            "by rows held out of its training data, not by a file — ignored.",
            stacklevel=3,
        )
        return
    request.validation = validation or request.validation
    if request.validation and not validation and not os.path.exists(request.validation):
        raise DataError(
            f"{request.validation}: no such file — the validation data named in {model_path}'s "
            "manifest, which early stopping read; give its path here: lrnn verify --model "
            f"{model_path} --validation PATH (or run verify where the model was trained)."
        )


def reproduce(
    model: Any,
    model_path: str,
    data_path: str | None,
    label: str | None,
    announce: Any = None,
    validation: str | None = None,
) -> Any:
    """Retrain from a model's manifest and return the model file that run makes (the caller
    compares it with the saved one): the same settings on training data prepared as ``lrnn
    train`` prepared it — the same hold-outs, class weights, positive class, label column and
    preprocessing."""
    from lrnn import data
    from lrnn.config import TrainConfig
    from lrnn.errors import ModelFileError
    from lrnn.train import train

    manifest = model.manifest or {}
    settings = manifest.get("solver_settings")
    if not isinstance(settings, dict):
        origin = "" if model.training.get("saved_from") is None else " (saved from Python)"
        raise ModelFileError(
            f"{model_path}: no manifest with solver settings{origin}, so it cannot be verified; "
            "retrain it with lrnn train, which writes one."
        )
    config = TrainConfig.from_dict(settings, source=model_path, what="manifest's solver settings")
    stored = manifest.get("request")
    if not isinstance(stored, dict):  # written before manifests kept the request
        source = manifest.get("data_source")
        if not data_path and not (isinstance(source, str) and source):
            raise UsageError(
                f"{model_path}: the manifest names no data source; give the training data: "
                f"lrnn verify --model {model_path} DATA"
            )
        stored = {"data": source, "test": "given"}
        # what the file's preprocessing still says of how the data was read: its label column
        # (else "label" was looked for) and standardization (else the retrain never was, and
        # the data was blamed: "its sha256 differs")
        kept = model.preprocessing if isinstance(model.preprocessing, dict) else {}
        if isinstance(kept.get("label_column"), str):
            stored["label"] = kept["label_column"]
        stored["standardize"] = kept.get("mean") is not None
    request = TrainingRequest.from_manifest(stored, data_path, label, source=model_path)
    request.seed = config.random_state  # the seed of the run's hold-outs
    _validation_to_verify(request, model_path, validation)
    unchecked = _test_to_verify(request, stored.get("test"), data_path, model_path)

    def prepared() -> TrainingData:  # the request as it stands (the lines below change it)
        return _prepare_to_verify(request, config, model_path, data_path, label is not None)

    # What preparing the data says (its warnings as lrnn train said them) is said once the data
    # is known to be the training data: given the test file, verify warned "--test … is the
    # training data itself", an option never given, above the error that it is other data.
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            td = prepared()
        except (DataError, UsageError) as exc:
            if not request.test:
                raise
            # a file of that name that is not the test data (another table, a damaged file):
            # said, and the training data verified all the same
            unchecked = f"{request.test} cannot be read as its --test data ({one_line(exc)})"
            request.test = None
            td = prepared()
        if request.test and td.info.get("test_sha256") != manifest.get(
            "test_sha256", td.info.get("test_sha256")
        ):
            unchecked = f"{request.test}, the --test data it was scored on, has changed since"
        if td.info["sha256"] != manifest.get("data_sha256") and "request" not in manifest:
            # An older model does not say whether a 20 % test part was held out: try that too.
            request.hold_out_test = True
            td = prepared()
    kind = data.Preprocessing.from_dict(model.preprocessing).kind
    if td.spec.kind != kind:
        raise UsageError(
            f"{td.source}: the model was trained on {kind} data, this is {td.spec.kind} data; "
            "verify with the data the model was trained on."
        )
    if not isinstance(manifest.get("data_sha256"), str):
        raise ModelFileError(
            f"{model_path}: the manifest records no hash of its training data, so the data "
            "cannot be checked; retrain it with lrnn train, which records one."
        )
    if td.info["sha256"] != manifest.get("data_sha256"):
        raise UsageError(
            f"{td.source}: its sha256 differs from the one in {model_path}'s manifest; "
            "verify with the data the model was trained on."
        )
    for warning in said:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    # older models record no validation hash, and without early stopping none is read here
    stored_validation, read = manifest.get("validation_sha256"), td.info.get("validation_sha256")
    if None not in (stored_validation, read) and read != stored_validation:
        raise UsageError(
            f"--validation {request.validation}: its sha256 differs from the one in "
            f"{model_path}'s manifest; verify with the validation data early stopping read."
        )
    if announce is not None:  # a long retrain should not look like a hang
        on_backend = (
            "" if request.backend in ("numpy", "auto") else f" on the {request.backend} backend"
        )
        # a path read from the model file, not from the user: said as such
        named = "" if data_path else ", the data the model's manifest names"
        announce(
            f"retraining with {config.solver}{on_backend}, at most {config.max_iter} iterations, "
            f"on {td.source} ({td.backend.n_samples} examples{named})…"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = model_file(train(td.backend, config, validation=td.validation), td, config)
    if unchecked:  # said, not silently passed over: an edited score verified as exact
        again.training["test_accuracy"] = math.nan
        warnings.warn(f"the test accuracy is not checked: {unchecked}.", stacklevel=2)
    return again


def _test_to_verify(
    request: TrainingRequest, test: Any, data_path: str | None, model_path: str
) -> str | None:
    """The --test data a model was scored on, read again where it is found (as named, else
    beside the training data given, else beside the model: verify run from another folder),
    so that its test accuracy is compared too (an edited score, or one on a replaced file,
    verified as "reproduces … exactly"); otherwise why it is not."""
    from lrnn import data

    if not isinstance(test, str) or test == "given":  # "given": an old model's placeholder
        return None
    if test in data.BUILTIN_NAMES:
        request.test = test
        return None
    places = [Path(test)]
    if not Path(test).is_absolute():
        places += [Path(p).parent / test for p in (data_path, model_path) if p]
    found = next((p for p in places if p.exists()), None)
    if found is None:
        return f"{test}, the --test data it was scored on, is not found here"
    request.test = str(found)
    return None


#: The training record's facts a retrain makes again, bit for bit: an edited score in a
#: model file (a report shows it) verified as "reproduces … exactly".
_RECORDED = ["solver", "iterations", "stop_reason", "final_cost", "train_accuracy"]


def differences(saved: Any, again: Any) -> list[str]:
    """What differs between a saved model and the one retraining made, besides the weights:
    the parts that decide its predictions (a file's classes or preprocessing edited by hand
    predicts otherwise with the same weights), and what the training record says of the run.
    A threshold chosen after training (``evaluate --save``) is the user's, not the run's, and
    is left out."""
    import json

    import numpy as np

    def plain(value: Any) -> str:
        return json.dumps(value, sort_keys=True, default=list)

    def prepared(spec: dict) -> dict:  # verify --label may name the column otherwise
        return {k: v for k, v in spec.items() if k != "label_column"}

    def record(training: dict, test: bool) -> dict:  # what the run says of itself
        keys = [*_RECORDED, "test_accuracy"] if test else _RECORDED
        return {k: training.get(k) for k in keys}

    # scores the report and the file show: a test accuracy only where this run scored one too
    # (a --test file not found here is not read again)
    scored = isinstance(again.training.get("test_accuracy"), float)
    test = scored and not np.isnan(again.training["test_accuracy"])
    parts = [
        ("classes", list(saved.classes), list(again.classes)),
        ("preprocessing", prepared(saved.preprocessing), prepared(again.preprocessing)),
        ("feature names", saved.feature_names, again.feature_names),
        ("training record", record(saved.training, test), record(again.training, test)),
    ]
    found = [name for name, a, b in parts if plain(a) != plain(b)]
    idf_saved, idf_again = saved.idf, again.idf
    if (idf_saved is None) != (idf_again is None) or (
        idf_saved is not None and not np.array_equal(idf_saved, idf_again)
    ):
        found.append("IDF weights")
    return found


__all__ = ["compare_learning_rates", "differences", "model_file", "reproduce"]
