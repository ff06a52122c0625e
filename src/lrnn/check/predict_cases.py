"""What the check calls for predict, and how its answer is judged: labels from σ(wᵀx + b) > 0.5
on the lesson's example, random problems, an example exactly on the boundary and the wrong
thresholds, loops and shapes that learners write (see :mod:`lrnn.check.cases` for the rest)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import numpy as np

from lrnn import course, objective
from lrnn.check import locate as loc
from lrnn.check.cases import Case, FunctionCheck, problem
from lrnn.check.compare import Finding, Mutant, Part, Tolerance, judge


def _judge_predict(p: dict[str, Any]) -> Callable[[Any], Finding | None]:
    def run(got: Any, explain: bool = True) -> Finding | None:
        w, X = (np.asarray(p[k], dtype=np.float64) for k in ("w", "X"))
        Z = w.T @ X + p["b"]
        A = objective.sigmoid(Z)
        where = loc.returned
        mutants = [
            Mutant(
                (A >= 0.5).astype(float),
                "an example with a = 0.5 exactly is labelled 1: the threshold is applied as "
                "a ≥ 0.5; the lesson labels 1 only when a > 0.5.",
                loc.first_of(loc.comparison(ast.GtE), loc.comparison(ast.LtE)),
            ),
            Mutant(
                (A <= 0.5).astype(float),
                "the labels are inverted: 1 must go where a > 0.5, 0 elsewhere.",
                loc.first_of(loc.comparison(ast.Lt), loc.comparison(ast.LtE)),
            ),
            Mutant(
                A,
                "predict returns the probabilities a = σ(z) themselves; the lesson's predict "
                "turns them into labels: 1 where a > 0.5, else 0.",
            ),
            # Before z > 0.5: a case after the ladder (b = 0, which tells thresholds apart)
            # that z > 0.5 fits is better explained by b, since z > 0.5 fails on the ladder.
            *(
                Mutant(
                    (objective.sigmoid(w.T @ X + shift) > 0.5).astype(float),
                    "predict's z is not wᵀx + b (b left out or subtracted); compute "
                    "A = sigmoid(np.dot(w.T, X) + b).",
                    loc.bias_not_added("b", "A"),
                )
                for shift in (0.0, -p["b"])
            ),
            Mutant(
                (objective.sigmoid(w.T @ (X / 255) + p["b"]) > 0.5).astype(float),
                "predict rescales X (divides it by 255?); predict takes X as it is given — "
                "the pictures are scaled once, before training and predicting.",
                loc.divided("X"),
            ),
            # the same labels as X / 255 on the lesson's example: the code tells them apart
            Mutant(
                (objective.sigmoid(w.T @ X) + p["b"] > 0.5).astype(float),
                "b is added after the sigmoid; it belongs in z: A = sigmoid(np.dot(w.T, X) + b).",
                loc.added_outside_product("b"),
            ),
            Mutant(
                _first_labels_only(A, 1),
                "predict labels only the first example: its A has shape (m, 1) — from "
                "np.dot(X.T, w) — so a loop over A.shape[1] visits one column; compute "
                "A = sigmoid(np.dot(w.T, X) + b), of shape (1, m), or loop over A.shape[0] "
                "in that layout.",
                loc.transposed_product("X"),
            ),
            *_loop_ends_early(A),
            Mutant(
                (Z > 0.5).astype(float),
                "predict compares z (before the sigmoid) with 0.5; compare a = sigmoid(z) "
                "with 0.5 (or z with 0).",
                loc.comparison(ast.Gt),
            ),
            *_other_threshold(A, got),
        ]
        expected = course.predict(p["w"], p["b"], p["X"])
        return judge(Part("Y_prediction", expected, mutants, locate=where), got, Tolerance())

    return run


def _first_labels_only(A: np.ndarray, k: int) -> np.ndarray:
    """What a loop that stops after ``k`` examples leaves in the lesson's (1, m) array of
    zeros: the first k labels, zeros after them (k = 1: the loop over A.shape[1] when A came
    out (m, 1))."""
    labels = np.zeros_like(A)
    labels.flat[:k] = (A.reshape(-1)[:k] > 0.5).astype(float)
    return labels


def _loop_ends_early(A: np.ndarray) -> list[Mutant]:
    """A labelling loop that stops before the last example: a ``return`` inside the loop, a
    range over the features (X.shape[0]) or one short (A.shape[1] - 1)."""
    m = A.size
    return [
        Mutant(
            _first_labels_only(A, k),
            f"predict labels only the first {'' if k == 1 else f'{k} '}of the {m} examples: "
            "its loop ends early or writes one place — a return inside the loop, a range over "
            "X.shape[0] (the features), range(A.shape[1] - 1), or Y_prediction[0, 0] for "
            "every i? Label each example, Y_prediction[0, i] for i in range(A.shape[1]), and "
            "return after the loop.",
            loc.loop(),
        )
        for k in range(1, m)
    ]


def _other_threshold(A: np.ndarray, got: Any) -> list[Mutant]:
    """A learner's labels that step from 0 to 1 at some a other than 0.5 (``a > 0.4``, ``a >
    0.501``): the mistake named with the threshold the answer shows, read off the sorted
    probabilities (a monotone step only; anything else is left to the other explanations)."""
    labels = np.asarray(got, dtype=float) if isinstance(got, np.ndarray) else None
    if labels is None or labels.shape != A.shape or not np.isin(labels, (0.0, 1.0)).all():
        return []
    a = A.reshape(-1)
    order = np.argsort(a, kind="stable")
    steps = labels.reshape(-1)[order]
    first = int(np.argmax(steps == 1)) if (steps == 1).any() else steps.size
    if not ((steps[:first] == 0).all() and (steps[first:] == 1).all()):
        return []
    lo = float(a[order][first - 1]) if first > 0 else 0.0
    hi = float(a[order][first]) if first < steps.size else 1.0
    if lo <= 0.5 < hi or hi == 0.5:  # the lesson's step, or a ≥ 0.5 (named above)
        return []
    side = "below" if hi <= 0.5 else "above"
    return [
        Mutant(
            labels,
            f"predict's threshold is {side} 0.5: it labels an example with a = {lo:.6g} as 0 "
            f"and one with a = {hi:.6g} as 1; the lesson labels 1 exactly where a > 0.5.",
            loc.comparison(ast.Gt),
        )
    ]


def _boolean_labels_note(got: Any) -> str | None:
    """Right labels as True/False pass (they compare equal to 1 and 0), but the lesson's are
    numbers, and code written for those (np.sum, subtracting two predictions) treats
    booleans otherwise."""
    if isinstance(got, np.ndarray) and got.dtype == bool:
        return (
            "Y_prediction holds True/False instead of the numbers 0 and 1 that the lesson's "
            "predict returns; (A > 0.5).astype(float) gives those."
        )
    return None


def predict_check(rng: np.random.Generator) -> FunctionCheck:
    lesson = {
        "w": np.array([[0.1124579], [0.23106775]]),
        "b": -0.3,
        "X": np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]]),
    }
    # The middle example sits exactly on the boundary: z = 0, σ = 0.5, label 0.
    edge = {
        "w": np.array([[0.5], [-0.25], [1.0]]),
        "b": 0.25,
        "X": np.array([[1.0, -0.5, -2.0, 0.5], [3.0, 0.0, 1.0, 2.0], [-1.0, 0.0, 2.0, 0.25]]),
    }
    # One feature, w = 1, b = 0: z itself, on a ladder around 0 fine enough to show any
    # threshold other than 0.5 by more than σ'(0)·1e-6 (a > 0.4, a > 0.6, a > 0.501 …).
    z = [-3, -1, -0.45, -0.4, -0.2, -0.1, -0.01, -1e-3, -1e-6, 0, 1e-6, 1e-4, 1e-3, 4e-3, 0.01]
    z += [0.1, 0.2, 0.4, 0.45, 0.5, 0.7, 1, 3, 8]  # σ(8) = 0.99966: a > 0.99 shows too
    ladder = {"w": np.array([[1.0]]), "b": 0.0, "X": np.array([z])}
    cases = [  # the ladder first: it tells the threshold mistakes apart
        Case(
            "a ladder of a around 0.5",
            list(ladder.values()),
            _judge_predict(ladder),
            ladder,
            note=_boolean_labels_note,
        ),
        Case("the lesson's example", list(lesson.values()), _judge_predict(lesson), lesson),
        Case("an example on the boundary (z = 0)", list(edge.values()), _judge_predict(edge), edge),
    ]
    for n, m in ((2, 1), (4, 9)):
        p = problem(rng, n, m)
        del p["Y"]
        cases.append(
            Case(
                f"{n} features, {m} example{'s' * (m > 1)}", list(p.values()), _judge_predict(p), p
            )
        )
    return FunctionCheck("predict", cases, calls=("sigmoid",))
