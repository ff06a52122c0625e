"""The lesson's own commands: ``lrnn slope`` and ``lrnn gradcheck`` (derivatives as rise over
run, on numbers and on the cost) and ``lrnn check`` (a learner's lesson functions, each with ✓
or ✗ and the mistake named)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from functools import partial
from typing import Any

import numpy as np

from lrnn.cli.commands import _out, _text_settings
from lrnn.cli.saved_model import load_model_and_spec
from lrnn.cli.train_lines import given_label, say_if_encoding_is_unused, say_if_label_is_unused
from lrnn.errors import UsageError, one_line, printable


def cmd_slope(args: argparse.Namespace) -> int:
    """The lesson's slopes: nudge a by a little, see how much f moves (rise over run), at
    two points — so that the line's slope stays put while the curves' slopes change."""
    run = 0.001
    for name, f, exact in (
        ("f(a) = 3a", lambda v: 3 * v, lambda v: 3.0),
        ("f(a) = a²", lambda v: v * v, lambda v: 2 * v),
        ("f(a) = log a", math.log, lambda v: 1 / v),
    ):
        for a in (2.0, 5.0):
            rise = f(a + run) - f(a)
            # ten digits: the two values shown give the rise shown when subtracted (six gave
            # f(5) = 25, f(5.001) = 25.01, "a rise of 0.010001")
            print(
                f"{name:<14} at a = {a}: f({a:g}) = {f(a):.10g}, f({a + run:g}) = "
                f"{f(a + run):.10g}, a rise of {rise:.10g} over a run of {run} → slope ≈ "
                f"{rise / run:.4f} (exact derivative {exact(a):.4f})"
            )
    print("A straight line has the same slope everywhere; a curve's slope depends on a.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """A learner's lesson functions, each with ✓ or ✗ and the mistake named (lrnn.check)."""
    from lrnn.check import Limits, check_file

    limits = Limits(args.time_limit, args.total_time_limit, args.memory)
    if sys.stderr.isatty() and not args.json:  # the verdicts come at the end: say it is working
        print(
            f"checking {args.solution} (each function may run up to {limits.time_limit:g} s; "
            "Ctrl-C stops) …",
            file=sys.stderr,
            flush=True,
        )
    try:
        report = check_file(args.solution, limits, args.data)
    except UsageError as exc:  # a file that cannot be read: --json readers get JSON still
        if args.json:
            print(json.dumps({"passed": False, "error": one_line(exc), "functions": []}))
        raise
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json()), flush=True)
    else:
        print("\n".join(report.lines(args.show_output)), flush=True)
    if report.interrupted:  # as a shell expects of a run stopped by Ctrl-C
        return 130
    return 0 if report.passed else 1


#: gradcheck passes when backpropagation and finite differences agree this well.
GRADCHECK_TOLERANCE = 1e-6
#: ... at this finite-difference step, unless --epsilon says otherwise.
GRADCHECK_EPSILON = 1e-6


def cmd_gradcheck(args: argparse.Namespace) -> int:
    from lrnn import data, objective

    source = args.data or data.DEFAULT_BUILTIN
    if args.model:
        model, spec = load_model_and_spec(args.model, args.encoding, None, [source])
        if args.image_size is not None:
            warnings.warn(
                "--image-size is ignored with --model: pictures are resized to the size the "
                "model was trained on — drop it.",
                stacklevel=2,
            )
        # The model's classes and label column, as evaluate has them: other classes are
        # refused, not scored
        label = given_label(args) or spec.label_column or args.label
        ds = data.align_classes(data.load(source, label=label, spec=spec), model.classes)
        if len(model.classes) > 2:
            w, b = np.asarray(model.w, dtype=np.float64), np.asarray(model.b, dtype=np.float64)
        else:
            w, b = np.asarray(model.w, dtype=np.float64), float(model.b)
    else:
        from lrnn.data.images import check_image_size

        text = _text_settings(args)
        ds = data.load(source, label=args.label, image_size=args.image_size, text=text)
        check_image_size(args.image_size, ds)  # as train refuses it where it cannot resize
        spec = ds.spec
        say_if_encoding_is_unused(args.encoding, spec.kind, [source])
        rng = np.random.default_rng(args.seed)
        if ds.classes is not None and len(ds.classes) > 2:
            K = len(ds.classes)
            w, b = rng.standard_normal((ds.X.shape[1], K)) * 0.01, np.full(K, 0.1)
        else:
            w, b = rng.standard_normal(ds.X.shape[1]) * 0.01, 0.1
    say_if_label_is_unused(given_label(args), spec, scoring=args.model is not None)
    X = ds.X.astype(np.float64) * spec.scale  # float64: the check is about the math
    rng = np.random.default_rng(args.seed)
    k = min(args.coordinates, w.size)
    if w.ndim == 2:  # a softmax layer: coordinates (feature, class), plus every bias
        from lrnn import softmax

        flat = np.sort(rng.choice(w.size, size=k, replace=False))
        coords = [softmax.Coordinate(*divmod(int(i), w.shape[1])) for i in flat]
        coords += [softmax.Coordinate(w.shape[0], c) for c in range(w.shape[1])]
        check_at = partial(softmax.finite_difference_check, w, b, X, ds.y, coords)
    else:
        coords = np.sort(rng.choice(w.size, size=k, replace=False))
        y = ds.y.astype(np.float64)
        check_at = partial(objective.finite_difference_check, w, b, X, y, coords)
    check = check_at(args.epsilon)
    # every derivative compared exactly 0 (σ saturated, or coordinates the data never uses):
    # "passed" at a relative error of 0 / 0 said nothing of backpropagation
    ok = check.overall <= GRADCHECK_TOLERANCE and not _all_zero(check)
    at_default, why = None, None
    if not ok and args.epsilon != GRADCHECK_EPSILON:  # the step's fault, or not?
        at_default = check_at(GRADCHECK_EPSILON)
    if not ok:
        why = _gradcheck_why(check, at_default, args.epsilon)
    # the step given (or weights that show nothing), not backpropagation, failed: exit 2, as
    # for any option that cannot work; 1 says backpropagation is wrong
    failed = 0 if ok else 1 if why is None else 2
    if args.model:
        _say_which_cost(model, ds.X.shape[0], source)
    if args.json:
        for r in check.rows:
            _out(args, **r)
        known = {} if at_default is None else {"overall_relative_error_at_default": at_default}
        _out(
            args,
            overall_relative_error=check.overall,
            passed=ok,
            epsilon=args.epsilon,
            rounding=check.rounding,
            **{k: v.overall for k, v in known.items()},
            reason=why,  # why a check that did not pass says nothing of backpropagation
        )
        return failed
    print(f"{'coordinate':>12} {'backprop':>15} {'finite diff':>15} {'rel. error':>11}")
    for r in check.rows:
        print(
            f"{r['coordinate']:>12} {r['backprop']:>15.8e} {r['finite_difference']:>15.8e} "
            f"{r['relative_error']:>11.2e}"
        )
    verdict = "passed" if ok else "FAILED" if why is None else "not judged"
    print(
        f"overall relative error: {check.overall:.2e} ({verdict}: "
        f"threshold {GRADCHECK_TOLERANCE:.0e})"
    )
    if why is not None:
        print(why)
    return failed


def _say_which_cost(model: Any, examples: int, source: str) -> None:
    """The cost checked is the lesson's (no penalty, every example of DATA); a model trained
    with alpha > 0, or on a part of its data, minimised another, so its gradient here is not
    the one its run drove to 0 (a teacher read large dw at a converged model as a fault)."""
    training = model.training if isinstance(model.training, dict) else {}
    manifest = model.manifest if isinstance(model.manifest, dict) else {}
    request = manifest.get("request") if isinstance(manifest.get("request"), dict) else {}
    alpha = training.get("alpha")
    other = []
    if isinstance(alpha, int | float) and not isinstance(alpha, bool) and alpha > 0:
        other.append(f"a penalty (alpha {alpha:g})")
    if request.get("class_weight"):
        other.append("class weights")
    # rows held out: for testing (no --test file, a test part recorded: not a streamed run)
    # or for early stopping (no --validation file)
    tested = not request.get("test") and "test_sha256" in manifest and not request.get("stream")
    if tested or (request.get("early_stopping") and not request.get("validation")):
        other.append("a part of its data (the rest held out)")
    if other:
        print(
            f"note: this checks the cost with no penalty on all {examples} examples of "
            f"{printable(source)}; the model minimised one with {' and '.join(other)}, so its "
            "gradient here need not be small.",
            file=sys.stderr,
        )


def _all_zero(check: Any) -> bool:
    """Every backpropagated and finite-difference derivative exactly 0: 0 / 0 passed."""
    return all(r["backprop"] == 0 and r["finite_difference"] == 0 for r in check.rows)


def _gradcheck_why(check: Any, at_default: Any, epsilon: float) -> str | None:
    """Why a failed check says nothing of backpropagation, or None where it does: no nudge
    moved the cost; a coarse step bent the slope (by about epsilon²) or a fine one drowned it
    in rounding, where the default step agrees; or a gradient no larger than that rounding
    (weights at an optimum), where no step shows anything."""
    if _all_zero(check):
        return (
            "every derivative compared is exactly 0 (an exact optimum, each σ saturated to 0 "
            "or 1, or coordinates that never move the cost), so the check says nothing here: "
            "check at weights away from this point (leave out --model)."
        )
    if all(r["finite_difference"] == 0 for r in check.rows) and any(
        r["backprop"] != 0 for r in check.rows
    ):
        return (
            f"every finite difference is 0: a nudge of --epsilon {epsilon:g} does not move the "
            f"cost in floating point; use a larger one (the default is {GRADCHECK_EPSILON:g})."
        )
    agrees = (
        f"at the default {GRADCHECK_EPSILON:g} the overall relative error is "
        f"{at_default.overall:.2e}, so backpropagation agrees"
        if at_default is not None and at_default.overall <= GRADCHECK_TOLERANCE
        else None
    )
    if agrees and epsilon > GRADCHECK_EPSILON:
        return (
            f"a nudge of --epsilon {epsilon:g} is too coarse: the cost curves between the two "
            f"nudges, which moves the finite difference by about epsilon²; {agrees} — use a "
            "smaller step."
        )
    if agrees:
        return (
            f"a nudge of --epsilon {epsilon:g} is too fine: rounding in the cost moves each "
            f"finite difference by up to about {check.rounding:.1e}; {agrees} — use a larger "
            "step."
        )
    judged, step = (at_default, GRADCHECK_EPSILON) if at_default else (check, epsilon)
    if judged.within_rounding:
        return (
            f"the gradient here is tiny (‖dw, db‖ = {judged.gradient_norm:.1e}: these weights "
            "sit at an optimum), no larger than rounding in the cost moves finite differences "
            f"at epsilon {step:g} (about {judged.rounding:.1e}), so the relative error says "
            "nothing: check at weights away from the optimum (leave out --model)."
        )
    return None
