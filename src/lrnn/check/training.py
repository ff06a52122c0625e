"""Checks of the two training functions, optimize and model.

lrnn's :func:`lrnn.course.optimize` gives the expected parameters, gradients and costs. The
mutants replay gradient descent with one knob turned — a learning rate or iteration count that
does not follow the arguments, the update's sign, b never updated, costs recorded at other
iterations — using :func:`lrnn.objective.loss_and_grad` for every gradient, so they share the
reference's math. They are only computed when an answer is wrong.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from lrnn import course, objective
from lrnn.check import locate as loc
from lrnn.check.cases import LESSON_B, LESSON_W, LESSON_X, LESSON_Y, Case, FunctionCheck, problem
from lrnn.check.compare import Finding, Part, Tolerance, describe, is_number, judge
from lrnn.check.printed import (
    in_turn,
    judge_printed_accuracies,
    quiet_without_print_cost,
    with_print_cost,
)
from lrnn.config import PRINT_EVERY

#: Learning rates and iteration counts a learner may have typed in place of the argument.
USUAL_RATES = (0.009, 0.005, 0.5, 0.01, 0.001, 0.1, 0.05, 0.0001, 0.0005)
USUAL_ITERATIONS = (100, 2000, 1500, 1000, 500, 10, 1)
RECORD = PRINT_EVERY  # the lesson records the cost every 100 iterations


class Run(NamedTuple):
    """Gradient descent's outcome as the lesson returns it, plus every iterate's cost."""

    w: np.ndarray  # (n, 1)
    b: float
    dw: np.ndarray  # (n, 1), the last gradient computed in the loop
    db: float
    costs: list[float]
    trace: list[float]  # cost at every iterate 0 … num_iterations (one more than the loop)


def descent(
    w: Any,
    b: float,
    X: Any,
    Y: Any,
    iterations: int,
    rate: float,
    sign: float = 1.0,
    update_b: bool = True,
    w_rate: float | None = None,
    b_rate: float | None = None,
) -> Run:
    """The lesson's loop on lrnn's gradient, with the update's sign, b's update and each
    parameter's own step size (a learning rate left out of one update) as knobs."""
    w_step = rate if w_rate is None else w_rate
    b_step = rate if b_rate is None else b_rate
    w = np.asarray(w, dtype=np.float64).reshape(-1)
    X_rows = np.asarray(X, dtype=np.float64).T
    y = np.asarray(Y, dtype=np.float64).reshape(-1)
    b, trace, dw, db = float(b), [], np.zeros_like(w), 0.0
    for _ in range(iterations):
        cost, dw, db = objective.loss_and_grad(w, b, X_rows, y)
        trace.append(cost)
        w = w - sign * w_step * dw
        b = b - sign * b_step * db if update_b else b
    with np.errstate(all="ignore"):
        trace.append(objective.loss_and_grad(w, b, X_rows, y)[0])
    costs = trace[:iterations:RECORD]
    return Run(w.reshape(-1, 1), b, dw.reshape(-1, 1), float(db), costs, trace)


def reference(w: Any, b: float, X: Any, Y: Any, iterations: int, rate: float) -> Run:
    """lrnn's own optimize (its core training loop), in the Run layout."""
    params, grads, costs = course.optimize(w, b, X, Y, iterations, rate)
    return Run(params["w"], float(params["b"]), grads["dw"], float(grads["db"]), costs, [])


# --------------------------------------------------------------------------------------------
# judging a run (shared by optimize and model)
# --------------------------------------------------------------------------------------------
def judge_costs(
    got: Any,
    expected: list[float],
    trace: Callable[[], list[float]],
    iterations: int,
    tol: Tolerance,
    where: loc.Locator | None = None,
) -> Finding | None:
    """The recorded costs: a list of numbers at iterations 0, 100, 200 …"""
    if not isinstance(got, list | tuple | np.ndarray):
        return Finding(f"costs is {describe(got)}; expected a list of numbers.", where)
    items = list(got)
    if any(not is_number(c) for c in items):
        odd = next(c for c in items if not is_number(c))
        return Finding(
            f"costs holds {describe(odd)} rather than numbers: the cost from propagate is not "
            "squeezed to a number (np.squeeze(cost)).",
            where,
        )
    values = np.asarray(items, dtype=np.float64)
    if len(values) == len(expected) and np.allclose(values, expected, rtol=tol.rtol, atol=tol.atol):
        return None
    full = np.asarray(trace())
    every = f"with num_iterations = {iterations} the lesson records {len(expected)}"
    if len(values) == iterations and np.allclose(values, full[:iterations], rtol=tol.rtol):
        return Finding(
            f"costs has one entry per iteration ({iterations}); {every}, at iterations 0, "
            f"{RECORD}, {2 * RECORD} …: append only when i % {RECORD} == 0.",
            loc.method_call("append") if where else None,
        )
    for offset in range(1, RECORD):
        picked = full[offset : iterations + 1 : RECORD]
        if len(picked) == len(values) and np.allclose(values, picked, rtol=tol.rtol):
            when = (
                "after the update (the cost of the next iterate)"
                if offset == 1
                else f"at iterations {offset}, {offset + RECORD} …"
            )
            found = Finding(
                f"costs are recorded {when}; the lesson records the cost computed at "
                f"iterations 0, {RECORD}, {2 * RECORD} … (if i % {RECORD} == 0), before "
                "that iteration's update.",
                where,
            )
            if offset != RECORD - 1:
                return found
            return Finding(  # i counts from 1: i % RECORD == 0 is one iteration late
                f"costs are recorded after iterations {RECORD}, {2 * RECORD} … counted from 1 "
                f"(the loop counts from 1), so the first, at iteration 0, is missed: the lesson "
                f"counts from 0, for i in range(num_iterations), and records when "
                f"i % {RECORD} == 0 (0, {RECORD}, {2 * RECORD} …).",
                loc.range_from_one(),
                alternative=found,
                needs_code=True,  # i % 100 == 99 in a loop from 0 records the same costs
            )
    if len(values) != len(expected):
        entries = f"{len(values)} entr{'y' if len(values) == 1 else 'ies'}"
        return Finding(f"costs has {entries}; {every} (iterations 0, {RECORD} …).", where)
    return judge(Part("costs", np.asarray(expected)), values, tol)


def judge_run(
    got: Run, ref: Run, tol: Tolerance, names: tuple[str, str] = ("w", "b"), with_grads: bool = True
) -> list[tuple[str, Finding]]:
    """Parameters (and gradients) against the reference; findings by part name."""
    parts = [
        (Part(names[0], ref.w, locate=loc.assigned(names[0])), got.w),
        (Part(names[1], ref.b, number=True, locate=loc.assigned(names[1])), got.b),
    ]
    if with_grads:
        parts += [
            (Part("dw", ref.dw, locate=loc.assigned("dw")), got.dw),
            (Part("db", ref.db, number=True, locate=loc.assigned("db")), got.db),
        ]
    out = []
    for part, value in parts:
        found = judge(part, value, tol)
        if found:
            out.append((part.name, found))
    return out


def matches(got: Run, other: Run, tol: Tolerance) -> bool:
    return (
        not judge_run(got, other, tol, with_grads=False)
        and judge_costs(got.costs, other.costs, lambda: [], len(other.trace) - 1, tol) is None
    )


def explain_run(
    got: Run, p: dict[str, Any], iterations: int, rate: float, tol: Tolerance, who: str
) -> Finding | None:
    """A known mistake that turns lrnn's run into the learner's, or None."""
    args = (p["w"], p["b"], p["X"], p["Y"])
    recorded = len(got.costs) if isinstance(got.costs, list | tuple | np.ndarray) else -1
    same_count = recorded == len(range(0, iterations, RECORD))
    for other in USUAL_RATES if same_count else ():
        if other != rate and matches(got, descent(*args, iterations, other), tol):
            return Finding(
                f"{who} gives what learning_rate = {other:g} gives, whatever learning rate is "
                f"passed (here {rate:g}): the learning rate is hard-coded; use the argument.",
                loc.literal(other),
            )
    for other in USUAL_ITERATIONS:
        if other == iterations or len(range(0, other, RECORD)) != recorded:
            continue  # a different count would have recorded a different number of costs
        if matches(got, descent(*args, other, rate), tol):
            # model has no loop of its own: its count is what it hands to optimize
            use = (
                "pass num_iterations on to optimize"
                if who == "model"
                else "use range(num_iterations)"
            )
            hard_coded = Finding(
                f"{who} runs {other} iteration{'s' * (other != 1)} whatever num_iterations is "
                f"(here {iterations}): the count is hard-coded; {use}.",
                loc.literal(other),
            )
            if other != 1:
                return hard_coded
            # one update's worth: as often an update stored apart and never carried over
            return Finding(
                f"{who} ends where one update from the start ends, whatever num_iterations is "
                f"(here {iterations}): each iteration updates the starting w and b again, "
                "because the update is stored under another name (w_new = w − …) and never "
                "carried over; update w and b themselves: w = w − learning_rate · dw.",
                loc.update_kept_apart("w"),
                alternative=hard_coded,
            )
    if matches(got, descent(*args, iterations, rate, sign=-1.0), tol):
        return Finding(
            "the parameters move up the gradient: the update's sign is wrong; the lesson's is "
            "w = w − learning_rate · dw, b = b − learning_rate · db.",
            loc.assigned("w"),
        )
    for name, knob in (("w", "w_rate"), ("b", "b_rate")):  # one of the two signs flipped
        if matches(got, descent(*args, iterations, rate, **{knob: -rate}), tol):
            return Finding(
                f"{name} moves up the gradient: its update's sign is wrong; the lesson's is "
                f"{name} = {name} − learning_rate · d{name}.",
                loc.assigned(name),
            )
    if matches(got, descent(*args, iterations, rate, update_b=False), tol):
        return Finding(
            "b never changes: add the update b = b − learning_rate · db next to the update of w.",
            loc.assigned("w"),
        )
    for delta, how in ((-1, "one time fewer"), (1, "one time more")):  # range(1, n), range(n + 1)
        if iterations + delta >= 0 and not judge_run(
            got, descent(*args, iterations + delta, rate), tol, with_grads=False
        ):
            return Finding(
                f"{who}'s loop runs {how} than num_iterations ({iterations + delta} updates "
                f"for {iterations}): the lesson's loop is for i in range(num_iterations).",
                loc.called("range"),
            )
    if rate != 1.0 and matches(got, descent(*args, iterations, rate, w_rate=1.0, b_rate=1.0), tol):
        return Finding(
            "the updates leave out the learning rate: w = w − learning_rate · dw, "
            "b = b − learning_rate · db.",
            loc.assigned("w"),
        )
    for name, knob in (("b", "b_rate"), ("w", "w_rate")):
        if rate != 1.0 and matches(got, descent(*args, iterations, rate, **{knob: 1.0}), tol):
            return Finding(
                f"{name}'s update leaves out the learning rate: {name} = {name} − "
                f"learning_rate · d{name}.",
                loc.assigned(name),
            )
    return None


# --------------------------------------------------------------------------------------------
# optimize
# --------------------------------------------------------------------------------------------
def _as_run(got: Any) -> Run | Finding:
    if not isinstance(got, tuple | list) or len(got) != 3:
        return Finding(
            f"optimize returns {describe(got)}; the lesson's returns three values: "
            "return params, grads, costs."
        )
    order = _return_order(got)
    if order is not None and order != ("params", "grads", "costs"):
        return Finding(
            f"optimize returns ({', '.join(order)}); the lesson's order is params, grads, "
            "costs: return params, grads, costs.",
            loc.returned,
        )
    params, grads, costs = got
    for name, d, keys in (("params", params, ("w", "b")), ("grads", grads, ("dw", "db"))):
        if not isinstance(d, dict) or not set(keys) <= set(d):
            return Finding(
                f"{name} is {describe(d)}; expected a dict with the keys "
                f"{' and '.join(map(repr, keys))}.",
                loc.assigned(name),
            )
    return Run(params["w"], params["b"], grads["dw"], grads["db"], costs, [])


def _return_order(got: Any) -> tuple[str, ...] | None:
    """The three values' names when each is recognisable — the dict with w and b (params),
    the dict with dw and db (grads), the list (costs) — whatever their order; else None."""
    names = []
    for value in got:
        if isinstance(value, dict) and {"w", "b"} <= set(value):
            names.append("params")
        elif isinstance(value, dict) and {"dw", "db"} <= set(value):
            names.append("grads")
        elif isinstance(value, list | tuple | np.ndarray) and not isinstance(value, dict):
            names.append("costs")
        else:
            return None
    return tuple(names) if sorted(names) == ["costs", "grads", "params"] else None


def _judge_optimize(p: dict[str, Any], iterations: int, rate: float):
    tol = Tolerance(rtol=1e-5, atol=1e-8)
    ref_run = cache(lambda: reference(p["w"], p["b"], p["X"], p["Y"], iterations, rate))
    full = cache(lambda: descent(p["w"], p["b"], p["X"], p["Y"], iterations, rate).trace)

    def run(got: Any, explain: bool = True) -> Finding | None:
        run_or_finding = _as_run(got)
        if isinstance(run_or_finding, Finding):
            return run_or_finding
        mine, ref = run_or_finding, ref_run()
        where = loc.first_of(loc.modulo(), loc.method_call("append"), loc.assigned("costs"))
        costs = judge_costs(mine.costs, ref.costs, full, iterations, tol, where)
        findings = judge_run(mine, ref, tol)
        if not findings:
            return costs
        known = explain_run(mine, p, iterations, rate, tol, "optimize") if explain else None
        if known:
            return known
        if findings and findings[0][0] in ("dw", "db") and len(findings) <= 2:
            final = descent(p["w"], p["b"], p["X"], p["Y"], iterations + 1, rate)
            if not judge_run(
                Run(ref.w, ref.b, mine.dw, mine.db, [], []),
                Run(ref.w, ref.b, final.dw, final.db, [], []),
                tol,
            ):
                return Finding(
                    "grads are computed at the final parameters, after the last update (after "
                    "the loop, or after the update inside it); the lesson returns the "
                    "gradients computed at the start of the last iteration, before its update.",
                    loc.first_of(
                        loc.assigned_after_loop("grads", "dw", "db"),
                        loc.assigned_after_update("grads", "dw", "db"),
                        loc.assigned("grads"),
                    ),
                )
        return costs or _most_off(findings, mine, ref)[1]

    return run, ref_run


def _most_off(findings: list[tuple[str, Finding]], mine: Run, ref: Run) -> tuple[str, Finding]:
    """Of w and b both wrong, the one further from its reference: a slip in one update moves
    the other too (b shifts every logit, so w's gradient), but less — "Look at" pointed at a
    right w line when the learning rate was applied twice to b."""
    names = [name for name, _ in findings[:2]]
    if names != ["w", "b"]:
        return findings[0]

    def off(got: Any, want: Any) -> float:
        try:
            got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
            return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-12))
        except (TypeError, ValueError):  # a shape that does not fit: that part is the finding
            return math.inf

    return findings[1] if off(mine.b, ref.b) > off(mine.w, ref.w) else findings[0]


def optimize_check(rng: np.random.Generator) -> FunctionCheck:
    lesson = {"w": LESSON_W, "b": LESSON_B, "X": LESSON_X, "Y": LESSON_Y}
    settings = [("the lesson's example, 100 iterations at 0.009", lesson, 100, 0.009)]
    for n, m, its, rate in ((3, 5, 250, 0.1), (4, 6, 101, 0.5), (2, 1, 30, 0.05)):
        label = f"{n} features, {m} example{'s' * (m > 1)}, {its} iterations at {rate:g}"
        settings.append((label, problem(rng, n, m), its, rate))
    cases = []
    for label, p, its, rate in settings:
        judge_fn, ref = _judge_optimize(p, its, rate)
        cases.append(
            Case(
                label,
                [p["w"], p["b"], p["X"], p["Y"], its, rate, False],
                judge_fn,
                {**p, "num_iterations": its, "learning_rate": rate},
                optional=1,
                prepare=ref,
                call_test=quiet_without_print_cost,
            )
        )
    # print_cost=True on the second problem: the same answer, and its costs on the screen
    cases.append(with_print_cost(cases[1], "optimize", lambda ref: ref.costs))
    return FunctionCheck("optimize", cases, calls=("propagate",))


# --------------------------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------------------------
MODEL_KEYS = (
    "costs",
    "Y_prediction_test",
    "Y_prediction_train",
    "w",
    "b",
    "learning_rate",
    "num_iterations",
)


class ModelRef(NamedTuple):
    run: Run
    train: np.ndarray
    test: np.ndarray


def model_reference(d: dict[str, Any], iterations: int, rate: float) -> ModelRef:
    X_train, Y_train, X_test = d["X_train"], d["Y_train"], d["X_test"]
    w, b = course.initialize_with_zeros(int(np.shape(X_train)[0]))
    with contextlib.redirect_stdout(io.StringIO()):
        run = reference(w, b, X_train, Y_train, iterations, rate)
    return ModelRef(
        run, course.predict(run.w, run.b, X_train), course.predict(run.w, run.b, X_test)
    )


def _accuracy(pred: Any, Y: Any) -> str:
    try:
        return f"{100 - np.mean(np.abs(np.asarray(pred, float) - Y)) * 100:.2f} %"
    except (TypeError, ValueError):
        return "?"


def _judge_model(d: dict[str, Any], iterations: int, rate: float, cat: bool = False):
    tol = Tolerance(rtol=1e-4, atol=1e-7) if cat else Tolerance()
    ref_fn = cache(lambda: model_reference(d, iterations, rate))

    def run(got: Any, explain: bool = True) -> Finding | None:
        if not isinstance(got, dict) or not set(MODEL_KEYS) <= set(got):
            have = sorted(map(str, got)) if isinstance(got, dict) else []
            missing = [k for k in MODEL_KEYS if k not in have]
            if not isinstance(got, dict):
                return Finding(
                    f"model returns {describe(got)}; the lesson's returns a dict with "
                    f"the keys {', '.join(MODEL_KEYS)}.",
                    loc.returned,
                )
            return Finding(
                f"model's dict has no {', '.join(map(repr, missing))}; the lesson's "
                f"holds {', '.join(MODEL_KEYS)}.",
                loc.returned,
            )
        ref = ref_fn()
        mine = Run(got["w"], got["b"], np.zeros(0), 0.0, got["costs"], [])
        findings = judge_run(mine, ref.run, tol, with_grads=False)
        zeros = np.zeros((int(np.shape(d["X_train"])[0]), 1))
        full = cache(
            lambda: descent(zeros, 0.0, d["X_train"], d["Y_train"], iterations, rate).trace
        )
        costs = judge_costs(got["costs"], ref.run.costs, full, iterations, tol)
        train_f = judge(
            Part("Y_prediction_train", ref.train), got["Y_prediction_train"], Tolerance()
        )
        test_f = judge(Part("Y_prediction_test", ref.test), got["Y_prediction_test"], Tolerance())
        echo = [
            k
            for k, v in (("learning_rate", rate), ("num_iterations", iterations))
            if not (is_number(got[k]) and float(got[k]) == v)
        ]
        if not (findings or costs or train_f or test_f or echo):
            return None
        if cat and not findings and not costs:
            return Finding(
                f"on the lesson's cat pictures the accuracies are "
                f"{_accuracy(got['Y_prediction_train'], d['Y_train'])} (train) and "
                f"{_accuracy(got['Y_prediction_test'], d['Y_test'])} (test); the lesson's are "
                f"{_accuracy(ref.train, d['Y_train'])} and {_accuracy(ref.test, d['Y_test'])}."
            )
        if not findings and not costs and train_f and test_f:
            swapped = (
                judge(Part("", ref.test), got["Y_prediction_train"], Tolerance()) is None
                and judge(Part("", ref.train), got["Y_prediction_test"], Tolerance()) is None
            )
            if swapped:
                return Finding("Y_prediction_train and Y_prediction_test are swapped.")
        if not findings and not costs:
            crossed = _crossed_predictions(got, ref)
            if crossed:
                return crossed
        if findings or costs:
            z = {"w": zeros, "b": 0.0, "X": d["X_train"], "Y": d["Y_train"]}
            known = _explain_model(mine, z, iterations, rate, tol) if explain and not cat else None
            if known:
                return known
            return costs or findings[0][1]
        if echo:
            return Finding(
                f"the returned {echo[0]} is {got[echo[0]]!r}; expected the value "
                f"passed in ({rate if echo[0] == 'learning_rate' else iterations})."
            )
        return train_f or test_f

    return run, ref_fn


def _crossed_predictions(got: dict[str, Any], ref: Any) -> Finding | None:
    """One set's predictions made from the other set's pictures (predict(w, b, X_test) for
    Y_prediction_train, or the reverse)."""
    for key, own, other, own_ref, other_ref in (
        ("Y_prediction_train", "X_train", "X_test", ref.train, ref.test),
        ("Y_prediction_test", "X_test", "X_train", ref.test, ref.train),
    ):
        wrong = judge(Part(key, own_ref), got[key], Tolerance()) is not None
        if wrong and judge(Part(key, other_ref), got[key], Tolerance()) is None:
            return Finding(
                f"{key} holds the predictions for {other}; make it with predict(w, b, {own}).",
                loc.assigned(key),
            )
    return None


def _explain_model(
    mine: Run, z: dict[str, Any], iterations: int, rate: float, tol: Tolerance
) -> Finding | None:
    args = (z["w"], z["b"], z["X"], z["Y"])
    recorded = len(mine.costs) if isinstance(mine.costs, list | tuple | np.ndarray) else -1
    for its, lr, what in (
        (100, 0.009, "num_iterations and learning_rate"),
        (100, rate, "num_iterations"),
        (iterations, 0.009, "learning_rate"),
    ):
        if (its, lr) == (iterations, rate) or len(range(0, its, RECORD)) != recorded:
            continue
        if matches(mine, descent(*args, its, lr), tol):
            return Finding(
                f"model trains as if {what} had optimize's defaults: it does not pass "
                f"{what} on to optimize; call optimize(w, b, X_train, Y_train, num_iterations, "
                "learning_rate, print_cost).",
                loc.called("optimize"),
            )
    X = np.asarray(z["X"], dtype=np.float64)
    for divisor, how, where in (
        (255, "divides X_train by 255 again", loc.literal(255)),
        (np.max(X), "divides X_train by its largest value", loc.method_call("max")),
        (np.max(np.abs(X)), "divides X_train by its largest size", loc.method_call("max")),
        (np.linalg.norm(X), "divides X_train by its norm", loc.method_call("norm")),
    ):
        rescaled = descent(z["w"], z["b"], X / divisor, z["Y"], iterations, rate)
        if divisor and matches(mine, rescaled, tol):
            return Finding(
                f"model {how}: model's data comes in already scaled (the lesson scales the "
                "pictures once, before calling model); train on X_train as given.",
                loc.first_of(where, loc.called("optimize")),
            )
    return explain_run(mine, z, iterations, rate, tol, "model")


def synthetic(
    rng: np.random.Generator, n: int, m_train: int, m_test: int, flipped: tuple[int, int] = (0, 0)
) -> dict[str, Any]:
    """Two Gaussian clouds in the lesson's layout: X (n, m), Y (1, m). ``flipped``: how many
    labels of the training and the test part to swap, so that neither is classified all right
    (then a printed accuracy shows which part it belongs to)."""
    out = {}
    for (part, m), flips in zip((("train", m_train), ("test", m_test)), flipped, strict=True):
        Y = (np.arange(m) % 2).reshape(1, m)
        X = rng.normal(size=(n, m)) + 1.2 * (2 * Y - 1)
        Y[0, :flips] = 1 - Y[0, :flips]
        out[f"X_{part}"], out[f"Y_{part}"] = X, Y
    return out


def load_cat(folder: Path) -> dict[str, Any] | None:
    """The lesson's pictures flattened to (12288, m) and scaled by 1/255, or None if absent."""
    train, test = folder / "train_catvnoncat.h5", folder / "test_catvnoncat.h5"
    if not (train.is_file() and test.is_file()):
        return None
    train_x, train_y, test_x, test_y, _ = course.load_dataset(str(train), str(test))
    return {
        "X_train": train_x.reshape(train_x.shape[0], -1).T / 255.0,
        "Y_train": train_y,
        "X_test": test_x.reshape(test_x.shape[0], -1).T / 255.0,
        "Y_test": test_y,
    }


def model_check(rng: np.random.Generator, cat: dict[str, Any] | None) -> FunctionCheck:
    settings = [
        (
            "4 features, 24 + 10 examples, 300 iterations at 0.1",
            synthetic(rng, 4, 24, 10),
            300,
            0.1,
            False,
        ),
        (
            "3 features, 15 + 6 examples, 150 iterations at 0.02",
            synthetic(rng, 3, 15, 6),
            150,
            0.02,
            False,
        ),
    ]
    if cat is not None:
        settings.append(
            ("the lesson's cat pictures, 2000 iterations at 0.005", cat, 2000, 0.005, True)
        )
    cases = []
    for label, d, its, rate, is_cat in settings:
        judge_fn, ref = _judge_model(d, its, rate, is_cat)
        cases.append(
            Case(
                label,
                [d["X_train"], d["Y_train"], d["X_test"], d["Y_test"], its, rate, False],
                judge_fn,
                {} if is_cat else {**d, "num_iterations": its, "learning_rate": rate},
                optional=1,
                prepare=ref,
                heavy=is_cat,
                call_test=in_turn(judge_printed_accuracies(d), quiet_without_print_cost),
            )
        )
    # print_cost=True, where the lesson's model prints both accuracies: on a problem where
    # neither part is classified all right and the two differ (on the first, both are 100 %,
    # so the training figure printed as the test one, or the error rate, would pass), and
    # model hands print_cost on to optimize.
    noisy = synthetic(rng, 4, 24, 10, flipped=(3, 2))
    judge_fn, ref = _judge_model(noisy, 300, 0.1, False)
    printing = Case(
        "4 features, 24 + 10 examples with some labels swapped, 300 iterations at 0.1",
        [noisy["X_train"], noisy["Y_train"], noisy["X_test"], noisy["Y_test"], 300, 0.1, False],
        judge_fn,
        {**noisy, "num_iterations": 300, "learning_rate": 0.1},
        optional=1,
        prepare=ref,
    )
    accuracies = judge_printed_accuracies(noisy)
    cases.append(with_print_cost(printing, "model", lambda ref: ref.run.costs, accuracies))
    return FunctionCheck("model", cases, calls=("initialize_with_zeros", "optimize", "predict"))
