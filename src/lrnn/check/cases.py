"""What the check calls, and how each answer is judged: sigmoid, initialize_with_zeros and
propagate (predict is in :mod:`lrnn.check.predict_cases`, optimize and model in
:mod:`lrnn.check.training`), and the :class:`Case` they are all made of.

Every expected value comes from lrnn's own core (:mod:`lrnn.course`, :mod:`lrnn.objective`);
every mutant — what a known mistake would have returned — is computed from the same inputs with
the same math, so a diagnosis is a match, not a guess. Inputs are the lesson's worked examples
first (learners recognise them), then random problems from a fixed seed with features ≠
examples, a single example, float32 data and logits of about ±1000.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lrnn import course, objective
from lrnn.check import locate as loc
from lrnn.check.compare import (
    FLOAT32,
    Finding,
    Mutant,
    Part,
    Tolerance,
    close,
    describe,
    is_number,
    judge,
)
from lrnn.config import default

if TYPE_CHECKING:
    from lrnn.check.sandbox import CallResult

#: The seed of the random problems, so a reported failing input can be reproduced.
SEED = 20240611


@dataclass
class Case:
    """One call of a learner's function and how to judge what it returns."""

    label: str  # "the lesson's example", "4 features, 7 examples", …
    args: list[Any]
    judge: Callable[..., Finding | None]  # (value, explain=True): explain=False skips
    # the costlier search for a known mistake (when a function it calls already fails)
    inputs: dict[str, Any] = field(default_factory=dict)  # shown for an unexplained failure
    optional: int = 0  # trailing arguments the learner's signature may lack (print_cost)
    note: Callable[[Any], str | None] | None = None  # advice that does not fail the function
    prepare: Callable[[], Any] | None = None  # heavy reference work, done while the child runs
    #: The lesson's full run: made only once the function and those it calls pass the other
    #: cases (a wrong shape there can make it run for minutes, or allocate gigabytes).
    heavy: bool = False
    #: A further test of the call once its value passes, on what the value does not show (its
    #: time, what it printed): a Finding fails the function, a string is a note.
    call_test: Callable[[CallResult], Finding | str | None] | None = None
    #: Calls to time (the fastest counts); 1: the call is made once.
    repeat: int = 1
    #: An error this case forgives (the learner's error dict → a note; None: it fails).
    excused: Callable[[dict[str, Any]], str | None] | None = None

    @property
    def size(self) -> int:
        return sum(np.size(v) for v in self.inputs.values())


@dataclass
class FunctionCheck:
    """The cases for one lesson function, and the lesson functions it normally calls."""

    name: str
    cases: list[Case]
    calls: tuple[str, ...] = ()


LESSON_W = np.array([[1.0], [2.0]])
LESSON_B = 2.0
LESSON_X = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]])
LESSON_Y = np.array([[1, 0, 1]])


def problem(rng: np.random.Generator, n: int, m: int, dtype: Any = np.float64) -> dict[str, Any]:
    """A random (w, b, X, Y) in the lesson's layout, with both labels present when m > 1."""
    X = rng.normal(size=(n, m)).astype(dtype)
    Y = (rng.random((1, m)) < 0.5).astype(np.int64)
    if m > 1:
        Y[0, 0], Y[0, 1] = 0, 1
    w = rng.normal(scale=0.7, size=(n, 1)).astype(dtype)
    b = float(np.round(rng.normal(scale=0.5), 3))
    return {"w": w, "b": b, "X": X, "Y": Y}


# --------------------------------------------------------------------------------------------
# sigmoid
# --------------------------------------------------------------------------------------------
def _judge_sigmoid(z: Any, tol: Tolerance) -> Callable[[Any], Finding | None]:
    def run(got: Any, explain: bool = True) -> Finding | None:
        zf = np.asarray(z, dtype=np.float64)
        with np.errstate(all="ignore"):
            mutants = [
                Mutant(
                    objective.sigmoid(-zf),
                    "sigmoid gives σ(−z): the sign in the exponent is wrong; "
                    "the lesson's σ(z) is 1 / (1 + np.exp(-z)).",
                ),
                Mutant(
                    1 + np.exp(-zf),
                    "sigmoid gives 1 + e^(−z): 1/1 + np.exp(-z) divides before it adds. "
                    "Put the denominator in parentheses: 1 / (1 + np.exp(-z)).",
                ),
                Mutant(
                    1 / (1 - np.exp(-zf)),
                    "sigmoid gives 1 / (1 − e^(−z)): the denominator has a minus where the "
                    "lesson's has a plus, 1 / (1 + np.exp(-z)).",
                ),
            ]
        expected = objective.sigmoid(zf)
        if np.ndim(z) == 0:
            expected = float(expected)
            mutants = [Mutant(float(m.value), m.message) for m in mutants]
        part = Part("σ(z)", expected, mutants, number=np.ndim(z) == 0, locate=loc.assigned("s"))
        found = judge(part, got, tol)
        narrowed = (
            isinstance(got, np.ndarray)
            and np.asarray(z).dtype == np.float64
            and got.dtype.kind == "f"
            and got.dtype.itemsize < 8
        )
        if found is None and narrowed:  # right to its own precision, but that is 7 digits
            return Finding(
                f"sigmoid returns {got.dtype} for float64 z: about 7 significant digits, so the "
                "costs built on it differ from the lesson's after the 6th; keep z's dtype (no "
                "dtype= or .astype in sigmoid).",
                loc.assigned("s"),
            )
        if found and np.ndim(z) == 0 and isinstance(got, np.ndarray) and got.size == 1:
            return None if close(float(got.reshape(())), expected, tol) else found
        return found

    return run


def sigmoid_check(rng: np.random.Generator) -> FunctionCheck:
    cases = []
    for label, z, tol in (
        ("np.array([0, 2]) (the lesson's example)", np.array([0.0, 2.0]), Tolerance()),
        ("z = 0.0", 0.0, Tolerance()),
        ("a (3, 4) array", rng.normal(scale=3, size=(3, 4)), Tolerance()),
        ("a float32 array", rng.normal(scale=3, size=(2, 5)).astype(np.float32), FLOAT32),
        ("large |z|", np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]]), Tolerance(atol=1e-12)),
    ):
        cases.append(Case(label, [z], _judge_sigmoid(z, tol), {"z": z}))
    return FunctionCheck("sigmoid", cases)


# --------------------------------------------------------------------------------------------
# initialize_with_zeros
# --------------------------------------------------------------------------------------------
def _judge_init(dim: int) -> Callable[[Any], Finding | None]:
    def run(got: Any, explain: bool = True) -> Finding | None:
        if not isinstance(got, tuple | list) or len(got) != 2:
            return Finding(
                f"initialize_with_zeros returns {describe(got)}; the lesson's returns two "
                "values: return w, b."
            )
        w, b = got
        where_w = loc.assigned("w")
        if is_number(w) and isinstance(b, np.ndarray) and b.shape == (dim, 1):
            return Finding(
                "initialize_with_zeros returns (b, w); the lesson's order is w, b: return w, b.",
                loc.returned,
            )
        if not isinstance(w, np.ndarray):
            return Finding(f"w is {describe(w)}; expected np.zeros((dim, 1)).", where_w)
        if w.shape != (dim, 1):
            if w.shape == (dim,):
                why = "np.zeros(dim) makes a 1-D array; write np.zeros((dim, 1)) for a column."
            elif w.shape == (1, dim):
                why = "that is a row; the lesson's w is a column: np.zeros((dim, 1))."
            elif w.shape[:1] != (dim,):
                why = "its size does not follow dim: use np.zeros((dim, 1))."
                where_w = loc.first_of(loc.literal(w.shape[0]), where_w)
            else:
                why = "write np.zeros((dim, 1))."
            return Finding(
                f"with dim = {dim}, w has shape {w.shape}; expected ({dim}, 1): {why}", where_w
            )
        if w.dtype.kind != "f":
            return Finding(
                f"w has dtype {w.dtype}; expected floats, so that updates such as "
                "w -= learning_rate * dw work: np.zeros((dim, 1)) without dtype=int.",
                where_w,
            )
        if np.any(w != 0):
            shown = np.array2string(w.ravel()[:3], precision=4, separator=", ")
            return Finding(
                f"w is not all zeros (its first values: {shown}); the lesson starts from "
                "zeros: np.zeros((dim, 1)) (not np.random, np.ones or np.empty).",
                where_w,
            )
        if isinstance(b, np.ndarray) and b.ndim > 0:
            return Finding(
                f"b is {describe(b)}; the lesson's b is a plain number: b = 0.0.", loc.assigned("b")
            )
        if not is_number(b) or float(b) != 0.0:
            return Finding(f"b is {describe(b)}; expected 0.0.", loc.assigned("b"))
        return None

    return run


def init_check(rng: np.random.Generator) -> FunctionCheck:
    cases = [Case(f"dim = {d}", [d], _judge_init(d), {"dim": d}) for d in (2, 7, 1)]
    return FunctionCheck("initialize_with_zeros", cases)


# --------------------------------------------------------------------------------------------
# propagate
# --------------------------------------------------------------------------------------------
DW = loc.assigned("dw", "dW")
DB = loc.assigned("db")
COST = loc.assigned("cost", "J")


#: Where the lesson puts b: inside z, added.
_IN_Z = "A = sigmoid(np.dot(w.T, X) + b)"


def propagate_parts(w: Any, b: float, X: Any, Y: Any) -> list[Part]:
    """dw, db and cost from lrnn's core, each with the mistakes learners commonly make."""
    w, X, Y = (np.asarray(a, dtype=np.float64) for a in (w, X, Y))
    n, m = X.shape
    grads, cost = course.propagate(w, b, X, Y)
    A = objective.sigmoid(w.T @ X + b)  # (1, m)
    misplaced_b = _misplaced_b(w, b, X, Y)
    at_A = loc.assigned("A")
    dw = [
        Mutant(
            X * (A - Y) / m,
            f"dw has shape {(n, m)}; expected {(n, 1)}. This is what X * (A − Y) gives; the "
            "lesson's formula is a matrix product: np.dot(X, (A − Y).T) / m.",
        ),
        Mutant(
            X @ (A.T - Y).T / m,
            f"dw has shape {(n, m)}; expected {(n, 1)}: A has shape (m, 1) (np.dot(X.T, w) "
            "gives a column) while Y is (1, m), so A − Y broadcast into an (m, m) matrix. "
            f"Compute {_IN_Z}, a (1, m) row.",
            loc.transposed_product("X"),
        ),
        Mutant(  # the lesson text's layout, A a column from np.dot(X.T, w), with Y for Y.T
            X @ (A.T - Y) / m,
            f"dw has shape {(n, m)}; expected {(n, 1)}: A has shape (m, 1) (np.dot(X.T, w), "
            "as the lesson's text writes it, gives a column) while Y is (1, m), so A − Y "
            "broadcasts into an (m, m) matrix. In that layout subtract Y.T, as the text does: "
            "np.dot(X, A - Y.T) / m.",
            DW,
        ),
        Mutant(  # the same numbers from a row A and Y.T (the lesson's text writes Y.T)
            X @ (A.T - Y).T / m,
            f"dw has shape {(n, m)}; expected {(n, 1)}: A − Y.T subtracts a column (m, 1) "
            "from the row A (1, m), which broadcasts into an (m, m) matrix. A and Y are both "
            "(1, m) rows here: dw = np.dot(X, (A - Y).T) / m.",
            DW,
        ),
        *(Mutant(X @ (A_wrong - Y).T / m, why, at_A) for A_wrong, _, why in misplaced_b),
        Mutant(X @ Y.T / m, _not_the_error("dw", "Y", "np.dot(X, (A - Y).T)")),
        Mutant(X @ A.T / m, _not_the_error("dw", "A", "np.dot(X, (A - Y).T)")),
        Mutant(
            X @ (objective.sigmoid(w * X + b) - Y).T / m,
            f"dw has shape {(n, n)}; expected {(n, 1)}: A has shape {(n, m)}, because w * X "
            "multiplies each feature's row by its weight instead of summing over the "
            f"features; the lesson's {_IN_Z} is (1, m).",
            at_A,
        ),
    ]
    db = [
        Mutant(  # the lesson text's column A with Y for Y.T: m² terms, m times the sum
            float(np.sum(A.T - Y) / m),
            # the same number as a missing 1/m: both causes are named, the likelier first
            "db is m times too large: the 1/m is missing (np.sum(A - Y) / m) — or A has shape "
            "(m, 1) (np.dot(X.T, w), as the lesson's text writes it, gives a column) while Y "
            "is (1, m), so A − Y broadcasts into an (m, m) matrix and np.sum adds m² terms; in "
            "that layout subtract Y.T, as the text does: np.sum(A - Y.T) / m.",
            DB,
        ),
        *(Mutant(float(np.sum(A_wrong - Y) / m), why, at_A) for A_wrong, _, why in misplaced_b),
        Mutant(float(np.sum(Y) / m), _not_the_error("db", "Y", "np.sum(A - Y)")),
        Mutant(float(np.sum(A) / m), _not_the_error("db", "A", "np.sum(A - Y)")),
    ]
    costs = [
        *_cost_mutants(w.T @ X + b, Y, float(cost)),
        *(Mutant(c, why, at_A) for _, c, why in misplaced_b if np.isfinite(c)),
    ]
    return [
        Part("dw", grads["dw"], dw, locate=DW, m=m, n=n),
        Part("db", float(grads["db"]), db, number=True, locate=DB, m=m, n=n),
        Part("cost", float(cost), costs, number=True, locate=COST, m=m, n=n),
    ]


def _misplaced_b(w: Any, b: float, X: Any, Y: Any) -> list[tuple[Any, float, str]]:
    """(A, its cost, what went wrong) for each way learners misplace b."""
    m = X.shape[1]
    Z0 = w.T @ X
    A_after = objective.sigmoid(Z0) + b
    with np.errstate(all="ignore"):  # A_after may leave (0, 1): its log is nan, as the learner's
        cost_after = float(-np.sum(Y * np.log(A_after) + (1 - Y) * np.log(1 - A_after)) / m)
    return [
        (
            objective.sigmoid(Z0),
            objective.cost_from_logits(Z0.ravel(), Y.ravel()),
            f"b is missing from z: the lesson's A is {_IN_Z}.",
        ),
        (A_after, cost_after, f"b is added after the sigmoid; it belongs in z: {_IN_Z}."),
        (
            objective.sigmoid(Z0 - b),
            objective.cost_from_logits((Z0 - b).ravel(), Y.ravel()),
            f"b is subtracted from z; the lesson adds it: {_IN_Z}.",
        ),
    ]


def _not_the_error(name: str, used: str, formula: str) -> str:
    return f"{name} uses {used} where the lesson's error A − Y belongs: {name} = {formula} / m."


#: Small numbers learners add inside the cost's logs to keep them finite (np.log(A + 1e-8)).
_LOG_GUARDS = (1e-15, 1e-12, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3)


def _cost_mutants(Z: Any, Y: Any, cost: float) -> list[Mutant]:
    """The cost's own mistakes: shapes that broadcast, the two terms swapped or left out, a
    small number added inside the logs."""
    m = Y.shape[1]
    log_a, log_1ma = objective.log_sigmoid(Z), objective.log_sigmoid(-Z)
    A = objective.sigmoid(Z)
    guarded = [
        Mutant(
            float(-np.sum(Y * np.log(A + eps) + (1 - Y) * np.log(1 - A + eps)) / m),
            f"cost is {{got}} instead of {cost:.6g}: it adds {eps:g} inside the logs "
            f"(np.log(A + {eps:g})). Where a or 1 − a is small — on the lesson's example "
            "1 − a ≈ 6e-6 — that moves the cost; use the lesson's formula as it is, or keep A "
            "away from 0 and 1 with np.clip(A, 1e-15, 1 - 1e-15), which changes nothing here.",
            COST,
        )
        for eps in _LOG_GUARDS
    ]
    return [
        *guarded,
        Mutant(
            float(-(Y.sum() * log_a.sum() + (1 - Y).sum() * log_1ma.sum()) / m),
            f"cost is {{got}} instead of {cost:.6g}: Y and A do not have the same shape — one "
            "is a row (1, m), the other a column (m, 1): a .T too many or too few, or A from "
            "np.dot(X.T, w) — so Y * np.log(A) broadcasts into an (m, m) matrix and the sum "
            "runs over every pair of examples. Make both (1, m): A = sigmoid(np.dot(w.T, X) + "
            "b) and Y as given, or np.dot(Y, np.log(A).T).",
        ),
        *_one_log_twice(Y, log_a, log_1ma),
        Mutant(
            float(-(Y * log_a).sum() / m),
            "cost leaves out the (1 − Y)·log(1 − A) term of the lesson's cost.",
        ),
        Mutant(
            float(-((1 - Y) * log_1ma).sum() / m),
            "cost leaves out the Y·log(A) term of the lesson's cost.",
        ),
    ]


def _one_log_twice(Y: Any, log_a: Any, log_1ma: Any) -> list[Mutant]:
    """Y and 1 − Y swapped, or one log in both terms: on examples of one label two of these
    give the same cost (for Y = 1 the swap is log(1 − A) in both), so each is said only where
    the input tells it from the others (a duplicated log(1 − A) was called a swap)."""
    m, rule = Y.shape[1], "−(1/m) Σ (Y·log(A) + (1 − Y)·log(1 − A))"
    candidates = [
        (
            float(-((1 - Y) * log_a + Y * log_1ma).sum() / m),
            "cost has Y and 1 − Y swapped: log(A) goes with Y (the examples labelled 1), "
            f"log(1 − A) with 1 − Y: {rule}.",
        ),
        (
            float(-log_1ma.sum() / m),
            f"cost takes log(1 − A) in both terms; the first is Y·log(A): {rule}.",
        ),
        (
            float(-log_a.sum() / m),
            f"cost takes log(A) in both terms; the second is (1 − Y)·log(1 − A): {rule}.",
        ),
    ]
    return [
        Mutant(value, message)
        for value, message in candidates
        if sum(math.isclose(value, other, rel_tol=1e-9) for other, _ in candidates) == 1
    ]


def _judge_propagate(p: dict[str, Any], tol: Tolerance, extreme: bool = False):
    def run(got: Any, explain: bool = True) -> Finding | None:
        shape = _propagate_shape(got)
        if shape is not None:
            return shape
        grads, cost = got
        parts = propagate_parts(**p)
        swapped = _swapped_gradients(grads, parts[0].expected, parts[1].expected, tol)
        if swapped is not None:
            return swapped
        findings = []
        for part, value in zip(parts, (grads["dw"], grads["db"], cost), strict=True):
            if extreme and part.name == "cost" and is_number(value):
                if _bounded_or_overflowed(float(value), float(part.expected)):
                    continue  # the lesson's formula overflows here, a clipped A bounds it
            found = judge(part, value, tol)
            if found:
                found.message = found.message.replace("{got}", _short(value))
                findings.append((part.name, found))
        return _first_with_rest(findings)

    return run


def _swapped_gradients(grads: dict, dw: Any, db: float, tol: Tolerance) -> Finding | None:
    """grads["dw"] holding db and grads["db"] holding dw: each value is right, under the
    other's key, so the mistake is in the line that builds grads, not in dw's formula."""
    if close(grads["dw"], db, tol) and close(grads["db"], dw, tol) and not close(dw, db, tol):
        return Finding(
            "grads has dw and db swapped: grads['dw'] holds db's value and grads['db'] dw's; "
            "the lesson's is grads = {'dw': dw, 'db': db}.",
            loc.assigned("grads"),
        )
    return None


def _short(v: Any) -> str:
    return f"{float(v):.6g}" if is_number(v) else describe(v)


def _first_with_rest(findings: list[tuple[str, Finding]]) -> Finding | None:
    """The first part's diagnosis, naming the other parts that are also off."""
    if not findings:
        return None
    first = findings[0][1]
    rest = [name for name, _ in findings[1:]]
    if rest:
        first.message += f" ({' and '.join(rest)} {'is' if len(rest) == 1 else 'are'} off too.)"
    return first


def _propagate_shape(got: Any) -> Finding | None:
    ret = loc.returned
    if not isinstance(got, tuple | list) or len(got) != 2:
        return Finding(
            f"propagate returns {describe(got)}; the lesson's returns two values: "
            "return grads, cost.",
            ret,
        )
    grads, cost = got
    if isinstance(cost, dict) and not isinstance(grads, dict):
        return Finding("propagate returns (cost, grads); the lesson's order is grads, cost.", ret)
    if not isinstance(grads, dict):
        return Finding(f"grads is {describe(grads)}; expected a dict {{'dw': dw, 'db': db}}.", ret)
    if not {"dw", "db"} <= set(grads):
        keys = ", ".join(repr(k) for k in grads)
        return Finding(
            f"grads has the keys {keys}; the lesson's keys are 'dw' and 'db' (lower case).",
            loc.assigned("grads"),
        )
    return None


def _bounded_or_overflowed(cost: float, exact: float) -> bool:
    """At logits of ±1000 σ rounds to exactly 0 or 1: the lesson's formula gives inf or nan,
    and an A clipped to [ε, 1 − ε] (a common guard against log(0)) gives a finite cost below
    the exact one. Neither is the learner's mistake: a note, not a failure."""
    return not np.isfinite(cost) or 0 < cost < exact


def _overflow_note(exact: float) -> Callable[[Any], str | None]:
    def note(got: Any) -> str | None:
        try:
            cost = float(got[1])
        except (TypeError, ValueError, IndexError, KeyError):
            return None
        if not np.isfinite(cost):
            return (
                "nothing to fix, the lesson's formula does it too: for logits of about ±1000 the "
                "cost is not finite (numerical overflow: log(0) where σ rounds to exactly 0 or "
                "1). For a cost that never overflows, np.logaddexp(0, -z) = −log σ(z)."
            )
        if 0 < cost < exact:
            return (
                f"for logits of about ±1000 the cost is {cost:.6g}, not {exact:.6g}: the logs "
                "never see 0 (A clipped with np.clip, or a small number added inside them), "
                "which caps each example's loss. Fine for training; np.logaddexp(0, -z) = "
                "−log σ(z) gives the exact cost and stays finite."
            )
        return None

    return note


def _log_of_zero(error: dict[str, Any]) -> str | None:
    """math.log(0) at logits of ±1000: Python's math raises where np.log gives −inf, which the
    lesson's own formula meets too (a note there); a loop over examples with math is no worse."""
    if error.get("type") == "ValueError" and "math domain error" in error.get("message", ""):
        line = f"line {error['line']} " if error.get("line") else ""
        return (
            f"for logits of about ±1000, {line}raised 'math domain error': σ rounds to exactly "
            "0 or 1 there and math.log(0) is an error (np.log gives −inf, as the lesson's "
            "formula does). For a cost that never overflows, np.logaddexp(0, -z) = −log σ(z)."
        )
    return None


def propagate_check(rng: np.random.Generator) -> FunctionCheck:
    lesson = {"w": LESSON_W, "b": LESSON_B, "X": LESSON_X, "Y": LESSON_Y}
    cases = [
        Case(
            "the lesson's example",
            list(lesson.values()),
            _judge_propagate(lesson, Tolerance()),
            lesson,
        )
    ]
    for n, m, dtype in (
        (4, 7, np.float64),
        (3, 1, np.float64),
        (1, 5, np.float64),
        (5, 4, np.float32),
    ):
        p = problem(rng, n, m, dtype)
        tol = FLOAT32 if dtype == np.float32 else Tolerance()
        label = f"{n} feature{'s' * (n > 1)}, {m} example{'s' * (m > 1)}"
        label += " (float32)" if dtype == np.float32 else ""
        cases.append(Case(label, list(p.values()), _judge_propagate(p, tol), p))
    extreme = {
        "w": np.array([[1.0], [-1.0]]),
        "b": 0.0,
        "X": np.array([[500.0, -500.0, 600.0, -400.0], [-500.0, 500.0, -400.0, 600.0]]),
        "Y": np.array([[1, 0, 0, 1]]),
    }
    z_extreme = (extreme["w"].T @ extreme["X"] + extreme["b"]).ravel()
    cases.append(
        Case(
            "logits of ±1000",
            list(extreme.values()),
            _judge_propagate(extreme, Tolerance(), True),
            extreme,
            note=_overflow_note(float(objective.cost_from_logits(z_extreme, extreme["Y"][0]))),
            excused=_log_of_zero,
        )
    )
    cases.append(_timed_propagate_case())
    return FunctionCheck("propagate", cases, calls=("sigmoid",))


#: The lesson's cat pictures: features × examples, and the calls of propagate in its model
#: (one an iteration, the lesson's count).
CAT_SHAPE, CAT_CALLS = (12288, 209), int(default("max_iter"))
#: The timed case's shape, features × examples, and how its time is scaled to the cat
#: pictures': by the number of values, which over-estimates a loop over one axis (1000 features
#: stand for 12288, 25 examples for 209: both 12× or less, against 103× for the values) and is
#: right for Python loops over both. A wrong shape in the answer stays small (w * X or an
#: outer product makes a features × features matrix: 8 MB).
TIMED_SHAPE = (1000, 25)
#: A propagate that may take longer than this per call on the cat pictures fails: the lesson's
#: model could take over 3 minutes (the check gives it 30 s). np.dot takes milliseconds there
#: (this estimate: 4 ms, 19 ms at most over 200 calls); Python loops over every feature take
#: a tenth of a second, over every example and feature a second.
TOO_SLOW_PER_CAT_CALL = 0.1


def _timed_propagate_case() -> Case:
    """propagate on a mid-sized problem, timed: a propagate that is right but loops in Python
    passes every small case, then the lesson's model runs out of time, blamed on model."""
    p = problem(np.random.default_rng(SEED + 1), *TIMED_SHAPE)
    n, m = TIMED_SHAPE
    p["w"] /= np.sqrt(n)  # logits of about ±1, as in training, not saturated
    return Case(
        f"{n} features, {m} examples (timed)",
        list(p.values()),
        _judge_propagate(p, Tolerance()),
        p,
        call_test=_fast_enough,
        repeat=5,
    )


def _fast_enough(result: CallResult) -> Finding | None:
    scale = (CAT_SHAPE[0] * CAT_SHAPE[1]) / (TIMED_SHAPE[0] * TIMED_SHAPE[1])
    per_cat_call = result.seconds * scale
    if per_cat_call <= TOO_SLOW_PER_CAT_CALL:
        return None
    n, m = TIMED_SHAPE
    slow = (
        f"the numbers are right, but it is far too slow for the lesson: a call on {n} "
        f"features × {m} examples took {result.seconds * 1e3:.0f} ms, so on the cat pictures "
        f"({CAT_SHAPE[0]} × {CAT_SHAPE[1]}) each call may take up to {per_cat_call:.1f} s "
        f"and model's {CAT_CALLS} iterations up to {_duration(per_cat_call * CAT_CALLS)}."
    )
    # without a loop (or a comprehension), a call that prints or waits is what costs the
    # time; a loop that makes such a call is still the loop's fault
    waits = Finding(
        f"{slow} It has no loop; a call that prints or waits at every call costs that: leave "
        "it out.",
        loc.slow_call(),
    )
    return Finding(
        f"{slow} Python loops over the examples or features cost that: compute A with "
        "np.dot(w.T, X) + b and dw with np.dot(X, (A - Y).T), a whole matrix at a time.",
        loc.first_of(loc.loop(), loc.comprehension()),
        alternative=waits,
    )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"
