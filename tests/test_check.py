"""lrnn check: a learner's lesson functions checked out of process, each mistake named.

The correct solution (tests/check_solutions/correct.py) is written from the lesson's formulas;
every mutant changes one thing in it, the way learners get it wrong, and must fail on the right
function with the right diagnosis. The robustness cases (loops, exits, huge arrays, floods of
output) must each end as one clean verdict, with lrnn's own process untouched.
"""

from __future__ import annotations

import ast
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from lrnn import course
from lrnn.check import Limits, check_file
from lrnn.check._runner import decode, encode
from lrnn.check.source import neutralise_magics, read_solution
from lrnn.errors import UsageError
from tests.cli_helpers import assert_clean_failure, run
from tests.conftest import CAT_DIR, needs_cat

HERE = Path(__file__).parent
CORRECT = (HERE / "check_solutions" / "correct.py").read_text()
PROPAGATE = "    grads, cost = propagate(w, b, X, Y)\n"
PREDICTIONS = (
    "    Y_prediction_test = predict(w, b, X_test)\n"
    "    Y_prediction_train = predict(w, b, X_train)\n"
)
FAST = Limits(time_limit=4.0, total_limit=40.0, memory_mb=1024)

# (id, function that must fail, [(old, new), …], words the diagnosis must contain)
#: predict's line computing A, with the loop after it (propagate has the same A line).
_PREDICT_A = "    A = sigmoid(np.dot(w.T, X) + b)\n    for i in range(A.shape[1]):"

#: propagate's A computed with Python loops over every example and feature: right, but slow.
_LOOPED_A = (
    "    m = X.shape[1]\n    A = sigmoid(np.dot(w.T, X) + b)",
    "    m = X.shape[1]\n    A = np.zeros((1, m))\n    for i in range(m):\n        z = b\n"
    "        for j in range(X.shape[0]):\n            z = z + w[j, 0] * X[j, i]\n"
    "        A[0, i] = sigmoid(z)",
)
_PRINT_LINE = 'print("Cost after iteration %i: %f" % (i, cost))'

MUTANTS = [
    ("propagate-python-loops", "propagate", [_LOOPED_A], ["far too slow", "line 20", "np.dot"]),
    (
        "propagate-loop-over-features",
        "propagate",
        [
            (
                _LOOPED_A[0],
                "    m = X.shape[1]\n    z = np.zeros((1, m)) + b\n"
                "    for j in range(X.shape[0]):\n        z = z + w[j, 0] * X[j : j + 1, :]\n"
                "    A = sigmoid(z)",
            )
        ],
        ["far too slow", "line 20"],
    ),
    (  # it said Python loops cost the time, and named no line: there is no loop
        "propagate-sleeps",
        "propagate",
        [("    m = X.shape[1]\n", "    m = X.shape[1]\n    __import__('time').sleep(0.03)\n")],
        ["far too slow", "It has no loop; a call that prints or waits", "line 19"],
    ),
    (  # loops written as comprehensions, beside a print: the print was blamed
        "propagate-comprehension-loops-and-a-print",
        "propagate",
        [
            (
                _PREDICT_A.split("\n")[0] + "\n    cost",
                '    print("X shape:", X.shape)\n    A = np.array([[sigmoid(sum(w[j, 0] * X[j, i] '
                "for j in range(X.shape[0])) + b) for i in range(m)]])\n    cost",
            )
        ],
        ["far too slow", "Python loops over the examples or features cost that", "line 20"],
    ),
    (  # ... but a comprehension over three written-out arrays is not the slow part
        "propagate-prints-beside-a-small-comprehension",
        "propagate",
        [
            (
                "    m = X.shape[1]\n",
                "    m = X.shape[1]\n    assert all(a.ndim == 2 for a in (w, X, Y))\n"
                "    __import__('time').sleep(0.03)\n",
            )
        ],
        ["far too slow", "It has no loop; a call that prints or waits", "line 20"],
    ),
    ("print-cost-nothing", "optimize", [(_PRINT_LINE, "pass")], ["printed nothing", "i % 100"]),
    (  # the line to look at is the one after the loop, not the loop's own propagate call
        "grads-recomputed-after-the-loop",
        "optimize",
        [
            (
                '    grads = {"dw": dw, "db": db}\n    return params',
                "    grads, _ = propagate(w, b, X, Y)\n    return params",
            )
        ],
        ["at the final parameters, after the last update (after the loop", "line 41"],
    ),
    (
        "loop-counts-from-one",
        "optimize",
        [("    for i in range(num_iterations):\n", "    for i in range(1, num_iterations + 1):\n")],
        ["counted from 1", "line 30"],
    ),
    (
        "update-never-carried-over",
        "optimize",
        [
            ("        w = w - learning_rate * dw", "        w_new = w - learning_rate * dw"),
            ("        b = b - learning_rate * db", "        b_new = b - learning_rate * db"),
            ('params = {"w": w, "b": b}', 'params = {"w": w_new, "b": b_new}'),
        ],
        ["never carried over", "line 34"],
    ),
    (
        "model-print-cost-not-handed-on",
        "model",
        [("learning_rate,\n                                    print_cost)", "learning_rate)")],
        ["printed no costs", "hand print_cost on to optimize", "line 61"],
    ),
    (
        "print-cost-gradient",
        "optimize",
        [(_PRINT_LINE, 'print("Cost after iteration %i: %f" % (i, db))')],
        ["no printed line shows the cost after iteration 0 (0.", "line 39"],
    ),
    ("sigmoid-sign", "sigmoid", [("np.exp(-z))", "np.exp(z))")], ["σ(−z)", "sign"]),
    (
        "sigmoid-precedence",
        "sigmoid",
        [("1 / (1 + np.exp(-z))", "1 / 1 + np.exp(-z)")],
        ["parentheses"],
    ),
    (
        "sigmoid-overflow",
        "sigmoid",
        [("1 / (1 + np.exp(-z))", "np.exp(z) / (1 + np.exp(z))")],
        ["nan", "overflow"],
    ),
    (
        "sigmoid-math-exp",
        "sigmoid",
        [("import numpy as np", "import math\nimport numpy as np"), ("np.exp(-z)", "math.exp(-z)")],
        ["TypeError", "np.exp", "line 8"],
    ),
    (
        "init-1d",
        "initialize_with_zeros",
        [("np.zeros((dim, 1))", "np.zeros(dim)")],
        ["shape (2,)", "(dim, 1)"],
    ),
    (
        "init-returns-b-first",
        "initialize_with_zeros",
        [("    return w, b\n", "    return b, w\n")],
        ["returns (b, w)", "line 14"],
    ),
    (
        "init-random",
        "initialize_with_zeros",
        [("np.zeros((dim, 1))", "np.random.randn(dim, 1) * 0.01")],
        ["not all zeros", "np.random", "line 12"],
    ),
    (
        "init-b-array",
        "initialize_with_zeros",
        [("b = 0.0", "b = np.zeros((1, 1))")],
        ["plain number", "line 13"],
    ),
    (
        "dw-elementwise",
        "propagate",
        [("np.dot(X, (A - Y).T)", "X * (A - Y)")],
        ["shape (2, 3)", "X * (A − Y)", "np.dot(X, (A − Y).T) / m", "line 21"],
    ),
    (
        "dw-no-one-over-m",
        "propagate",
        [("dw = (1 / m) * np.dot", "dw = np.dot")],
        ["1/m is missing", "dw"],
    ),
    ("cost-sign", "propagate", [("cost = -(1 / m)", "cost = (1 / m)")], ["cost", "wrong sign"]),
    (
        "dw-labels-for-the-error",
        "propagate",
        [("np.dot(X, (A - Y).T)", "np.dot(X, Y.T)")],
        ["dw uses Y where the lesson's error A − Y belongs", "line 21"],
    ),
    (
        "log-guard-1e-8",  # it failed as a plain "expected … got …" and a note called it fine
        "propagate",
        [
            (
                "np.log(A) + (1 - Y) * np.log(1 - A)",
                "np.log(A + 1e-8) + (1 - Y) * np.log(1 - A + 1e-8)",
            )
        ],
        ["adds 1e-08 inside the logs", "np.clip", "line 20"],
    ),
    (
        "dw-with-the-lessons-Y-T",  # A is a correct row: it blamed the A line
        "propagate",
        [("np.dot(X, (A - Y).T)", "np.dot(X, (A - Y.T))")],
        ["A − Y.T subtracts a column", "line 21"],
    ),
    (
        "b-subtracted",
        "propagate",
        [
            (
                "A = sigmoid(np.dot(w.T, X) + b)\n    cost",
                "A = sigmoid(np.dot(w.T, X) - b)\n    cost",
            )
        ],
        ["b is subtracted from z", "line 19"],
    ),
    (
        "grads-swapped",
        "propagate",
        [
            (
                'grads = {"dw": dw, "db": db}\n    return grads, cost',
                'grads = {"dw": db, "db": dw}\n    return grads, cost',
            )
        ],
        ["dw and db swapped", "line 24"],
    ),
    (
        "db-array",
        "propagate",
        [("np.sum(A - Y)", "np.sum(A - Y, axis=1, keepdims=True)")],
        ["db is an array of shape (1, 1)", "plain number"],
    ),
    (
        "cost-not-squeezed",
        "propagate",
        [
            (
                "np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
                "(np.dot(Y, np.log(A).T) + np.dot(1 - Y, np.log(1 - A).T))",
            ),
            ("    cost = np.squeeze(np.array(cost))\n", ""),
        ],
        ["cost is an array of shape (1, 1)", "np.squeeze"],
    ),
    (
        "cost-transpose",
        "propagate",
        [
            (
                "Y * np.log(A) + (1 - Y) * np.log(1 - A)",
                "Y.T * np.log(A) + (1 - Y.T) * np.log(1 - A)",
            )
        ],
        ["not have the same shape", "(m, m)", "line 20"],
    ),
    (
        "cost-labels-swapped",
        "propagate",
        [("Y * np.log(A) + (1 - Y) * np.log(1 - A)", "(1 - Y) * np.log(A) + Y * np.log(1 - A)")],
        ["Y and 1 − Y swapped", "line 20"],
    ),
    (  # the advice was to take Y_prediction_train from params, which never holds it
        "model-predicts-before-training",
        "model",
        [
            (PREDICTIONS, ""),
            (
                "    w, b = initialize_with_zeros(X_train.shape[0])\n",
                "    w, b = initialize_with_zeros(X_train.shape[0])\n" + PREDICTIONS,
            ),
        ],
        ["is all zeros, what predict gives with the starting w and b", "predict after optimize"],
    ),
    (  # one label's examples cannot tell it from a swap: it was called one
        "cost-log-of-1-minus-a-twice",
        "propagate",
        [
            (
                "Y * np.log(A) + (1 - Y) * np.log(1 - A)",
                "Y * np.log(1 - A) + (1 - Y) * np.log(1 - A)",
            )
        ],
        ["takes log(1 − A) in both terms", "line 20"],
    ),
    (
        "cost-log-of-a-twice",
        "propagate",
        [("Y * np.log(A) + (1 - Y) * np.log(1 - A)", "Y * np.log(A) + (1 - Y) * np.log(A)")],
        ["takes log(A) in both terms", "line 20"],
    ),
    (
        "db-divides-but-m-is-one",
        "propagate",
        [("    m = X.shape[1]\n    A = sigmoid", "    m = len(Y)\n    A = sigmoid")],
        ["m = 3 times too large, although the line divides by m", "len(Y)", "line 21"],
    ),
    (
        "hard-coded-m",
        "propagate",
        [("m = X.shape[1]\n    A", "m = 3\n    A")],
        ["hard-coded", "X.shape[1]", "line 18"],
    ),
    (
        "m-is-features",
        "propagate",
        [("m = X.shape[1]\n    A", "m = X.shape[0]\n    A")],
        ["number of features"],
    ),
    (
        "A-column",
        "propagate",
        [
            (
                "A = sigmoid(np.dot(w.T, X) + b)\n    cost",
                "A = sigmoid(np.dot(X.T, w) + b)\n    cost",
            )
        ],
        ["(m, 1)", "broadcast", "np.dot(w.T, X)"],
    ),
    (  # the lesson text's layout (A a column) with Y where it writes Y.T
        "lesson-layout-dw-without-Y.T",
        "propagate",
        [
            (
                "A = sigmoid(np.dot(w.T, X) + b)\n    cost",
                "A = sigmoid(np.dot(X.T, w) + b)\n    cost",
            ),
            (
                "np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
                "np.sum(Y.T * np.log(A) + (1 - Y.T) * np.log(1 - A))",
            ),
            ("np.dot(X, (A - Y).T)", "np.dot(X, (A - Y))"),
            ("np.sum(A - Y)\n", "np.sum(A - Y.T)\n"),
        ],
        ["as the lesson's text writes it", "np.dot(X, A - Y.T) / m"],
    ),
    (
        "lesson-layout-db-without-Y.T",
        "propagate",
        [
            (
                "A = sigmoid(np.dot(w.T, X) + b)\n    cost",
                "A = sigmoid(np.dot(X.T, w) + b)\n    cost",
            ),
            (
                "np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
                "np.sum(Y.T * np.log(A) + (1 - Y.T) * np.log(1 - A))",
            ),
            ("np.dot(X, (A - Y).T)", "np.dot(X, (A - Y.T))"),
            ("np.sum(A - Y)\n", "np.sum(A - Y)\n"),
        ],
        ["db is m times too large", "np.sum(A - Y.T) / m"],
    ),
    (
        "db-over-features",  # m itself is right: the slip is on db's own line
        "propagate",
        [("db = (1 / m) * np.sum(A - Y)", "db = np.sum(A - Y) / X.shape[0]")],
        ["db is divided by the number of features", "line 22"],
    ),
    (
        "db-without-one-over-m",  # the same number as the column layout's slip: both are named
        "propagate",
        [("db = (1 / m) * np.sum(A - Y)", "db = np.sum(A - Y)")],
        ["db is m times too large: the 1/m is missing (np.sum(A - Y) / m) — or A has shape"],
    ),
    ("grads-order", "propagate", [("return grads, cost", "return cost, grads")], ["(cost, grads)"]),
    (
        "b-learning-rate-twice",  # w moves too (b shifts the logits): b is further off
        "optimize",
        [("b = b - learning_rate * db", "b = b - learning_rate * learning_rate * db")],
        ["b is -0.36848996; expected -0.96061165", "Look at line 35"],
    ),
    (
        "w-learning-rate-twice",
        "optimize",
        [("w = w - learning_rate * dw", "w = w - learning_rate * learning_rate * dw")],
        ["w is [[", "Look at line 34"],
    ),
    (
        "lr-hard-coded",
        "optimize",
        [
            ("w = w - learning_rate * dw", "w = w - 0.009 * dw"),
            ("b = b - learning_rate * db", "b = b - 0.009 * db"),
        ],
        ["learning rate is hard-coded", "0.009"],
    ),
    (
        "iterations-hard-coded",
        "optimize",
        [("range(num_iterations)", "range(100)")],
        ["100 iterations", "hard-coded"],
    ),
    (
        "model-iterations-hard-coded",  # model has no loop: range(num_iterations) fits not
        "model",
        [
            (
                "X_train, Y_train, num_iterations, learning_rate",
                "X_train, Y_train, 2000, learning_rate",
            )
        ],
        ["runs 2000 iterations whatever num_iterations is", "pass num_iterations on to optimize"],
    ),
    (
        "reads-a-file",  # FileNotFoundError for a file beside the learner's, without a word
        "initialize_with_zeros",
        [
            (
                "    w = np.zeros((dim, 1))",
                "    open('train.h5', 'rb').read(10)\n    w = np.zeros((dim, 1))",
            )
        ],
        ["FileNotFoundError", "runs each function in an empty folder of its own"],
    ),
    (
        "costs-every-iteration",
        "optimize",
        [("if i % 100 == 0:", "if True:")],
        ["one entry per iteration"],
    ),
    (
        "costs-offset",
        "optimize",
        [("if i % 100 == 0:", "if (i + 1) % 100 == 0:")],
        ["iterations 99", "before"],
    ),
    (
        "update-in-place",
        "optimize",
        [("w = w - learning_rate * dw", "w -= learning_rate * dw")],
        ["changes its argument w in place", "line 34"],
    ),
    (
        "update-sign",
        "optimize",
        [
            ("w = w - learning_rate", "w = w + learning_rate"),
            ("b = b - learning_rate", "b = b + learning_rate"),
        ],
        ["sign"],
    ),
    (
        "b-not-updated",
        "optimize",
        [("        b = b - learning_rate * db\n", "")],
        ["b never changes"],
    ),
    (
        "threshold-gte",
        "predict",
        [("A[0, i] > 0.5", "A[0, i] >= 0.5")],
        ["a ≥ 0.5", "> 0.5", "line 51"],
    ),
    (
        "sigmoid-float32",
        "sigmoid",
        [("    s = 1 / (1 + np.exp(-z))", "    s = (1 / (1 + np.exp(-z))).astype(np.float32)")],
        ["returns float32 for float64 z", "7 significant digits", "line 7"],
    ),
    (
        "threshold-0.4",
        "predict",
        [("A[0, i] > 0.5", "A[0, i] > 0.4")],
        ["threshold is below 0.5", "a = 0.389361 as 0", "line 51"],
    ),
    (
        "threshold-0.6",
        "predict",
        [("A[0, i] > 0.5", "A[0, i] > 0.6")],
        ["threshold is above 0.5", "a = 0.610639 as 1"],
    ),
    (
        "threshold-0.501",
        "predict",
        [("A[0, i] > 0.5", "A[0, i] > 0.501")],
        ["threshold is above 0.5", "a = 0.501 as 0"],
    ),
    (
        "predict-1d",
        "predict",
        [("    return Y_prediction\n", "    return Y_prediction[0]\n")],
        ["shape (24,)", "1-D"],  # the first case: the ladder of a around 0.5
    ),
    (
        "m-typed-209",
        "propagate",
        [("    m = X.shape[1]\n    A = sigmoid", "    m = 209\n    A = sigmoid")],
        ["hard-coded from the cat training set", "line 18"],
    ),
    (
        "m-a-global-209",  # the notebook's m = train_set_x.shape[1], read inside propagate
        "propagate",
        [
            ("    m = X.shape[1]\n    A = sigmoid", "    A = sigmoid"),
            ("def propagate(", "m = 209\n\n\ndef propagate("),
        ],
        ["hard-coded from the cat training set", "propagate never sets m, so it reads a global m"],
    ),
    (
        "b-updated-with-dw",
        "optimize",
        [("b = b - learning_rate * db", "b = b - learning_rate * dw")],
        ["after an update in optimize", "b with db"],
    ),
    (
        "b-after-sigmoid",
        "propagate",
        [
            (
                "    A = sigmoid(np.dot(w.T, X) + b)\n    cost",
                "    A = sigmoid(np.dot(w.T, X)) + b\n    cost",
            )
        ],
        ["added after the sigmoid", "line 19"],
    ),
    (
        "predict-without-b",
        "predict",
        [(_PREDICT_A, _PREDICT_A.replace(" + b)", ")"))],
        ["not wᵀx + b", "line 49"],
    ),
    (
        "predict-minus-b",
        "predict",
        [(_PREDICT_A, _PREDICT_A.replace(" + b)", " - b)"))],
        ["not wᵀx + b", "line 49"],
    ),
    (
        "predict-b-after-sigmoid",  # not "rescales X", which happened to match on the example
        "predict",
        [(_PREDICT_A, _PREDICT_A.replace("X) + b)", "X)) + b"))],
        ["added after the sigmoid", "line 49"],
    ),
    (
        "predict-rescales-X-inline",  # X / 255 inside the product: no line assigns X
        "predict",
        [(_PREDICT_A, _PREDICT_A.replace("w.T, X)", "w.T, X / 255)"))],
        ["rescales X", "line 49"],
    ),
    (
        "predict-b-added-to-A",  # b after the sigmoid, on a line of its own
        "predict",
        [(_PREDICT_A, _PREDICT_A.replace("X) + b)", "X))\n    A += b"))],
        ["added after the sigmoid", "line 50"],
    ),
    (
        "predict-b-in-the-comparison",
        "predict",
        [
            (_PREDICT_A, _PREDICT_A.replace("X) + b)", "X))")),
            ("A[0, i] > 0.5", "A[0, i] + b > 0.5"),
        ],
        ["added after the sigmoid", "line 51"],
    ),
    (
        "predict-rescales-X-by-a-name",  # X / PIXELS: no 255 written, still a division of X
        "predict",
        [
            (_PREDICT_A, _PREDICT_A.replace("w.T, X)", "w.T, X / PIXELS)")),
            ("def predict(", "PIXELS = 255\n\n\ndef predict("),
        ],
        ["rescales X"],
    ),
    (
        "predict-rescales-X-times-a-fraction",  # and b added to z, inside the sigmoid
        "predict",
        [
            (
                _PREDICT_A,
                "    X = X * (1 / 255)\n    z = np.dot(w.T, X)\n"
                + _PREDICT_A.replace("A = sigmoid(np.dot(w.T, X) + b)", "A = sigmoid(z + b)"),
            )
        ],
        ["rescales X", "line 49"],
    ),
    (
        "predict-rescales-X-with-true-divide",
        "predict",
        [(_PREDICT_A, _PREDICT_A.replace("w.T, X)", "w.T, np.true_divide(X, 255))"))],
        ["rescales X", "line 49"],
    ),
    (
        "predict-loop-over-features",  # A is right: the loop is what to fix (it blamed A)
        "predict",
        [("    for i in range(A.shape[1]):", "    for i in range(X.shape[0]):")],
        ["labels only the first", "a range over X.shape[0]", "line 50"],
    ),
    (
        "predict-loop-one-short",  # it read as "b left out of z" on the lesson's example
        "predict",
        [("    for i in range(A.shape[1]):", "    for i in range(A.shape[1] - 1):")],
        ["labels only the first", "range(A.shape[1] - 1)", "line 50"],
    ),
    (
        "predict-return-inside-the-loop",
        "predict",
        [
            (
                "            Y_prediction[0, i] = 0\n    return",
                "            Y_prediction[0, i] = 0\n        return",
            )
        ],
        ["labels only the first of the", "a return inside the loop", "line 50"],
    ),
    (
        "predict-lesson-orientation",  # the lesson text writes np.dot(X.T, w): A is (m, 1)
        "predict",
        [(_PREDICT_A, _PREDICT_A.replace("w.T, X", "X.T, w"))],
        ["labels only the first example", "line 49"],
    ),
    (
        "predict-rescales-X",
        "predict",
        [(_PREDICT_A, "    X = X / 255\n" + _PREDICT_A)],
        ["rescales X", "line 49"],
    ),
    (
        "predict-probabilities",
        "predict",
        [("    return Y_prediction\n", "    return A\n")],
        ["probabilities"],
    ),
    (
        "model-defaults",
        "model",
        [
            (
                "optimize(w, b, X_train, Y_train, num_iterations, learning_rate,\n"
                "                                    print_cost)",
                "optimize(w, b, X_train, Y_train)",
            )
        ],
        ["does not pass", "num_iterations and learning_rate"],
    ),
    (
        "model-swapped",
        "model",
        [
            ('"Y_prediction_test": Y_prediction_test', '"Y_prediction_test": Y_prediction_train'),
            ('"Y_prediction_train": Y_prediction_train', '"Y_prediction_train": Y_prediction_test'),
        ],
        ["swapped"],
    ),
    (
        "optimize-w-sign-only",
        "optimize",
        [("w = w - learning_rate * dw", "w = w + learning_rate * dw")],
        ["w moves up the gradient", "w = w − learning_rate · dw"],
    ),
    (  # "Look at" pointed at the call before the loop, which is right
        "optimize-grads-after-the-update",
        "optimize",
        [
            (
                "    for i in range(num_iterations):\n" + "    " + PROPAGATE,
                PROPAGATE + "    for i in range(num_iterations):\n",
            ),
            (
                "        b = b - learning_rate * db\n",
                "        b = b - learning_rate * db\n" + "    " + PROPAGATE,
            ),
            ('    grads = {"dw": dw, "db": db}\n    return params', "    return params"),
        ],
        ["after the update inside it", "line 36"],
    ),
    (  # the test figure 100 % matched the train accuracy first, and was called that
        "model-accuracy-without-abs",
        "model",
        [("np.mean(np.abs(Y_prediction_test - Y_test))", "np.mean(Y_prediction_test - Y_test)")],
        ["np.abs is missing", "cancel", "line 68"],
    ),
    ("model-missing-key", "model", [('        "costs": costs,\n', "")], ["costs"]),
    (
        "model-rescales-by-max",
        "model",
        [
            (
                "    w, b = initialize_with_zeros(",
                "    X_train = X_train / np.max(X_train)\n    w, b = initialize_with_zeros(",
            )
        ],
        ["divides X_train by its largest value", "line 60"],
    ),
    (
        "model-test-predictions-on-train-with-the-lessons-prints",  # the print line crashes
        "model",
        [
            (
                "Y_prediction_test = predict(w, b, X_test)",
                "Y_prediction_test = predict(w, b, X_train)",
            )
        ],
        ["differ in size", "the other set's pictures", "predict(w, b, X_test)"],
    ),
    (
        "model-train-predictions-on-test",
        "model",
        [
            (
                "Y_prediction_train = predict(w, b, X_train)",
                "Y_prediction_train = predict(w, b, X_test)",
            ),
            ('    print("train accuracy', '    pass  # print("train accuracy'),
        ],
        [
            "Y_prediction_train holds the predictions for X_test",
            "predict(w, b, X_train)",
            "line 66",
        ],
    ),
    (
        "model-w-sized-by-examples",
        "model",
        [("initialize_with_zeros(X_train.shape[0])", "initialize_with_zeros(X_train.shape[1])")],
        ["sizes w with X_train.shape[1]", "initialize_with_zeros(X_train.shape[0])", "line 60"],
    ),
    (
        "model-skips-num-iterations",
        "model",
        [(", num_iterations, learning_rate,\n", ", learning_rate,\n")],
        ["passes learning_rate as argument 5 of optimize", "takes num_iterations", "line 61"],
    ),
    (
        "model-skips-learning-rate",
        "model",
        [(", num_iterations, learning_rate,\n", ", num_iterations,\n")],
        ["passes print_cost as argument 6 of optimize", "takes learning_rate", "line 61"],
    ),
    (
        "optimize-returns-out-of-order",  # it blamed the propagate call ("grads is a list")
        "optimize",
        [("    return params, grads, costs", "    return params, costs, grads")],
        ["optimize returns (params, costs, grads)", "line 42"],
    ),
    (
        "integer-division-by-m",  # it said dw is never updated or not taken from grads
        "propagate",
        [("dw = (1 / m) * np.dot", "dw = (1 // m) * np.dot")],
        ["dw is all zeros: // is integer division", "line 21"],
    ),
    (
        "costs-record-the-iteration",  # it pointed at params["costs"], which does not exist
        "optimize",
        [("costs.append(cost)", "costs.append(i)")],
        ["costs holds zeros where the lesson records the cost", "costs.append(cost)"],
    ),
    (
        "a-label-typed-in-lower-case",  # it was told to pass a notebook global as an argument
        "propagate",
        [("db = (1 / m) * np.sum(A - Y)", "db = (1 / m) * np.sum(A - y)")],
        ["NameError", "A typo for Y?", "line 22"],
    ),
    (
        "a-placeholder-left-as-None",
        "predict",
        [("    A = sigmoid(np.dot(w.T, X) + b)\n    for", "    A = None\n    for")],
        ["'NoneType' object has no attribute 'shape'", "placeholder (such as A = None)"],
    ),
    (
        "no-numpy-import",
        "sigmoid",
        [("import numpy as np\n", "")],
        ["NameError", "Add `import numpy as np`"],
    ),
    (
        "copy-not-imported",  # the lesson's optimize starts with copy.deepcopy
        "optimize",
        [("    costs = []\n", "    w = copy.deepcopy(w)\n    costs = []\n")],
        ["NameError", "Add `import copy`"],
    ),
    (
        "sigmoid-by-math-exp-per-element",  # works for small z, overflows below about −709
        "sigmoid",
        [
            (
                "    s = 1 / (1 + np.exp(-z))",
                "    import math\n    s = np.array([1 / (1 + math.exp(-v)) for v in "
                "np.ravel(z)]).reshape(np.shape(z))",
            )
        ],
        ["OverflowError", "math.exp raises this beyond e^709", "use np.exp"],
    ),
    (
        "A-elementwise-wx",
        "propagate",
        [(_PREDICT_A.split("\n")[0] + "\n    cost", "    A = sigmoid(w * X + b)\n    cost")],
        ["A has shape (2, 3)", "w * X", "line 19"],
    ),
    (
        "db-sum-axis-0",
        "propagate",
        [("db = (1 / m) * np.sum(A - Y)", "db = (1 / m) * np.sum(A - Y, axis=0)")],
        ["np.sum with an axis", "leave the axis out", "line 22"],
    ),
    (
        "optimize-unpacks-grads",
        "optimize",
        [('dw = grads["dw"]\n        db = grads["db"]', "dw, db = grads")],
        ["unpacks grads", "its keys", "grads['dw']"],
    ),
    (
        "model-signature-reordered",
        "model",
        [("num_iterations=2000, learning_rate=0.5,", "learning_rate=0.5, num_iterations=2000,")],
        ["takes learning_rate as parameter 5", "takes num_iterations", "line 58"],
    ),
    (
        "b-update-without-rate",
        "optimize",
        [("b = b - learning_rate * db", "b = b - db")],
        ["b's update leaves out the learning rate", "line 35"],
    ),
    (  # both at once was "w is …; expected …": only one left out was recognised
        "updates-without-rate",
        "optimize",
        [
            ("b = b - learning_rate * db", "b = b - db"),
            ("w = w - learning_rate * dw", "w = w - dw"),
        ],
        ["the updates leave out the learning rate", "line 34"],
    ),
    (
        "loop-from-one",
        "optimize",
        [("for i in range(num_iterations):", "for i in range(1, num_iterations):")],
        ["runs one time fewer than num_iterations", "line 30"],
    ),
    (
        "model-keeps-initial-w",
        "model",
        [('    w = params["w"]\n    b = params["b"]\n', "")],
        ["w is all zeros, as it starts", 'w = params["w"]'],
    ),
    (
        "optimize-returns-zero-dw",
        "optimize",
        [
            (
                '    grads = {"dw": dw, "db": db}\n    return params',
                '    grads = {"dw": 0 * dw, "db": db}\n    return params',
            )
        ],
        ["dw is all zeros, as it starts", 'optimize returns (dw = grads["dw"])'],
    ),
    (
        "model-rescales-X",
        "model",
        [
            (
                "    w, b = initialize_with_zeros(",
                "    X_train = X_train / 255\n    w, b = initialize_with_zeros(",
            )
        ],
        ["divides X_train by 255 again", "line 60"],
    ),
    (
        "model-swaps-keywords",
        "model",
        [
            (
                ", num_iterations, learning_rate,\n                                    print_cost)",
                ", num_iterations=learning_rate, learning_rate=num_iterations, print_cost=False)",
            )
        ],
        ["optimize with num_iterations=learning_rate", "line 61"],
    ),
    (
        "optimize-swaps-X-and-Y",
        "optimize",
        [("cost = propagate(w, b, X, Y)", "cost = propagate(w, b, Y, X)")],
        ["passes Y as argument 3 of propagate", "takes X"],
    ),
]


def mutate(edits: list[tuple[str, str]]) -> str:
    text = CORRECT
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


@pytest.fixture(autouse=True)
def _cat_files_only_where_a_test_gives_them(monkeypatch):
    """LRNN_CAT_DATA, which points the test suite at the cat files, points `lrnn check` at them
    too; these tests give them by --data (or cat_folder=) where they want them, so each check
    stays as fast and as its assertions expect wherever the suite runs."""
    monkeypatch.delenv("LRNN_CAT_DATA", raising=False)


def write(tmp_path: Path, text: str, name: str = "solution.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def verdicts(report) -> dict[str, object]:
    return {f.name: f for f in report.functions}


def notebook(cells: list[str]) -> str:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Logistic regression, my way")] + [
        nbformat.v4.new_code_cell(c) for c in cells
    ]
    return nbformat.writes(nb)


# --------------------------------------------------------------------------------------------
# the correct solution
# --------------------------------------------------------------------------------------------
def test_correct_py_passes(tmp_path):
    report = check_file(write(tmp_path, CORRECT), FAST)
    assert [f.line() for f in report.functions] == [
        "✓ sigmoid",
        "✓ initialize_with_zeros",
        "✓ propagate",
        "✓ optimize",
        "✓ predict",
        "✓ model",
    ]
    assert report.passed
    # The lesson's own cost formula overflows at logits of ±1000: a note, not a failure.
    assert "numerical overflow" in verdicts(report)["propagate"].notes[0]


@needs_cat
def test_ctrl_c_during_the_cat_run_keeps_the_verdicts_already_made(tmp_path, monkeypatch, capsys):
    """The small cases run first, in one child; Ctrl-C during the longer run on the cat
    pictures used to throw their verdicts away. They are printed, saying what did not run."""
    import lrnn.check as check_module
    from lrnn.cli import main

    real, calls = check_module.run_solution, []

    def stopped_on_the_cat_run(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:  # the heavy cases: model on the cat pictures
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(check_module, "run_solution", stopped_on_the_cat_run)
    path = write(tmp_path, CORRECT)
    report = check_file(path, FAST, CAT_DIR)
    assert len(calls) == 2 and "model" in calls[1]
    assert report.interrupted and report.to_json()["interrupted"] is True
    assert report.to_json()["passed"] is False  # verdicts so far are not a pass
    assert report.summary().startswith("All 6 functions found pass so far.")
    assert [f.line() for f in report.functions][-1] == "✓ model"
    assert "Ctrl-C stopped that run" in verdicts(report)["model"].notes[-1]
    assert report.summary().endswith(
        "Ctrl-C stopped the run on the lesson's cat pictures: run again to finish it."
    )
    calls.clear()
    assert main(["check", str(path), "--data", str(CAT_DIR)]) == 130  # as a shell expects
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✓ sigmoid" and "Ctrl-C stopped the run" in out[-1]
    # the cat run handing back its report with model cut short (as it does when Ctrl-C comes
    # after another of its functions finished): model keeps its small cases' verdict, noted
    from lrnn.check.sandbox import INTERRUPTED

    def model_cut_short(*args, **kwargs):
        report = real(*args, **kwargs)
        if list(args[1]) == ["model"]:  # the cat run
            report.functions["model"].stopped, report.interrupted = INTERRUPTED, True
        return report

    monkeypatch.setattr(check_module, "run_solution", model_cut_short)
    report = check_file(path, FAST, CAT_DIR)
    assert report.interrupted and [f.passed for f in report.functions] == [True] * 6
    notes = verdicts(report)
    assert "Ctrl-C stopped that run" in notes["model"].notes[-1]
    assert not any("Ctrl-C" in n for n in notes["optimize"].notes)


@needs_cat
def test_the_cat_files_are_found_where_lrnn_cat_data_points(tmp_path, monkeypatch):
    """The tests' own variable names the cat folder for lrnn check too; without it (and no
    --data or datasets folder) the summary says how to give it."""
    path = write(tmp_path, CORRECT)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LRNN_CAT_DATA", raising=False)
    alone = check_file(path, FAST)
    assert not alone.cat and "give their folder with --data DIR" in alone.summary()
    monkeypatch.setenv("LRNN_CAT_DATA", str(CAT_DIR))
    assert check_file(path, FAST).cat
    # a folder without them was passed over without a word (--data such a folder is refused)
    monkeypatch.setenv("LRNN_CAT_DATA", str(tmp_path / "nowhere"))
    with pytest.warns(UserWarning, match="LRNN_CAT_DATA=.*nowhere: no train_catvnoncat.h5"):
        assert not check_file(path, FAST).cat


def test_printing_dw_does_not_make_a_vectorised_propagate_too_slow(tmp_path):
    """NumPy prints the timed case's 1000 weights in full but the cat pictures' 12288 as a
    summary: ``print(dw)`` alone was scaled up to "far too slow … up to 15 minutes"."""
    printing = mutate([("    grads = {", "    print(dw)\n    print(db, cost)\n    grads = {")])
    report = check_file(write(tmp_path, printing), FAST)
    assert verdicts(report)["propagate"].passed, verdicts(report)["propagate"].line()


def test_math_log_at_extreme_logits_is_a_note_like_the_lesson_formulas_overflow(tmp_path):
    """A cost summed with math.log over the examples: math.log(0) raises where np.log gives
    −inf; the lesson's own formula only gets a note there, so this did not fail either."""
    with_math = mutate(
        [
            (
                "    cost = -(1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
                "    import math\n"
                "    cost = -sum(math.log(a) if y == 1 else math.log(1 - a)\n"
                "                for a, y in zip(A[0], Y[0])) / m",
            )
        ]
    )
    report = check_file(write(tmp_path, with_math), FAST)
    v = verdicts(report)["propagate"]
    assert v.passed, v.line()
    assert any("raised 'math domain error'" in n and "math.log(0)" in n for n in v.notes)


@pytest.mark.parametrize(
    ("wrong_log", "said"),
    [
        ("np.log(A - 1)", "numpy warned 'invalid value encountered in log'. np.log of a negative"),
        ("np.log(1 - Y)", "numpy warned 'divide by zero encountered in log'. np.log(0) is −inf"),
    ],
)
def test_a_nan_no_overflow_made_is_named_by_numpys_warning_not_blamed_on_overflow(
    tmp_path, wrong_log, said
):
    """``np.log(A - 1)`` is nan on every input: it was explained as overflow (with advice about
    σ), next to the extreme case's note that there was "nothing to fix"."""
    wrong = mutate([("np.log(1 - A)", wrong_log)])
    v = verdicts(check_file(write(tmp_path, wrong), FAST))["propagate"]
    assert not v.passed
    line = v.line()
    assert "cost contains nan, and nothing overflowed: " + said in line, line
    assert "overflow. np.exp" not in line and not any("nothing to fix" in n for n in v.notes)


def test_boolean_labels_pass_with_a_note(tmp_path):
    vectorised = replace_body("predict", "return sigmoid(np.dot(w.T, X) + b) > 0.5")
    report = check_file(write(tmp_path, vectorised), FAST)
    v = verdicts(report)["predict"]
    assert v.passed and "holds True/False" in v.notes[0]


def test_a_clipped_A_passes_with_a_note_as_the_overflowing_formula_does(tmp_path):
    """np.clip(A, ε, 1 − ε) guards log(0): exact wherever the lesson's formula is finite, and
    at logits of ±1000 a capped cost where the lesson's formula gives nan — both only a note."""
    clipped = mutate(
        [("    cost = -(1 / m)", "    A = np.clip(A, 1e-7, 1 - 1e-7)\n    cost = -(1 / m)")]
    )
    report = check_file(write(tmp_path, clipped), FAST)
    assert report.passed, [f.line() for f in report.functions]
    note = verdicts(report)["propagate"].notes[0]
    assert "the cost is 8.05905, not 500" in note and "np.clip" in note


def test_correct_notebook_passes_with_magics_and_skipped_cells(tmp_path):
    defs = CORRECT.split("\n\n\n")
    cells = [
        "%matplotlib inline\n!pip install nothing\nimport matplotlib.pyplot as plt\n"
        "from lr_utils import load_dataset",
        "train_set_x_orig, train_set_y, test_set_x_orig, test_set_y, classes = load_dataset()",
        *defs,
        "%%time\nd = model(train_set_x, train_set_y, test_set_x, test_set_y, 2000, 0.005)",
        "plt.plot(d['costs'])\nplt.show()",
        "while True:\n    pass",
    ]
    path = write(tmp_path, notebook(cells), "lesson.ipynb")
    report = check_file(path, FAST)
    assert report.passed, [f.line() for f in report.functions]
    # the missing helper module is a note, not a failure; and not a promise that some will
    # fail ("functions that use it will fail", when none of the six did)
    said = next(n for n in report.notes if "lr_utils" in n)
    assert "code cell 1" in said and said.endswith("any function that uses it will fail)"), said


def test_a_file_python_reads_is_read_the_same_way(tmp_path):
    """A byte-order mark (Windows editors), CRLF line ends and a PEP 263 coding line: Python
    runs such files, so the check reads them too; bytes Python cannot decode are refused."""
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf" + CORRECT.replace("\n", "\r\n").encode())
    solution = read_solution(bom)
    assert solution.cells[0].syntax_error is None and "\r" not in solution.cells[0].source
    latin = tmp_path / "latin.py"
    latin.write_bytes(("# -*- coding: latin-1 -*-\n# café\n" + CORRECT).encode("latin-1"))
    assert read_solution(latin).cells[0].syntax_error is None
    undeclared = tmp_path / "undeclared.py"
    undeclared.write_bytes(("# café\n" + CORRECT).encode("latin-1"))
    with pytest.raises(UsageError, match="not UTF-8 text"):
        read_solution(undeclared)


def test_a_function_defined_twice_is_noted(tmp_path):
    """An old cell's propagate below the fixed one: the check, like running every cell in
    order, takes the last (here the broken one) and says there are two."""
    defs = CORRECT.split("\n\n\n")
    stale = defs[3].replace("np.dot(X, (A - Y).T)", "X * (A - Y)")
    report = check_file(write(tmp_path, notebook([*defs, stale]), "nb.ipynb"), FAST)
    assert not verdicts(report)["propagate"].passed
    note = next(n for n in report.notes if "defined 2 times" in n)
    assert note.startswith("propagate is defined 2 times (code cell 4, line 1; code cell 8,")


def test_magics_are_neutralised_line_for_line():
    src = "%time x = 1\nfiles = !ls\n    %debug\nnp.dot?\ny = 2"
    assert neutralise_magics(src) == "pass\npass\n    pass\npass\ny = 2\n"
    assert neutralise_magics("%%bash\nls") is None
    assert neutralise_magics("%%time\nx = 1") == "\nx = 1\n"


def test_only_definitions_run():
    sol_text = (
        "import numpy as np\nimport math\nK = 3\nL = np.ones(3)\nEPS = np.finfo(float).eps\n"
        "TAU = 2 * math.pi\nSHAPE = tuple(range(10**9))\n"  # an array and a long sum: skipped
        "data = np.load('x.npy')\nX = load_dataset()\nY = X.reshape(2, -1)\n"  # data: skipped
        "Z = np.lib.format.open_memmap('s.npy')\nprint('hi')\ndef f():\n    return K\n"
    )
    cells = read_solution_from_text(sol_text)
    assert cells.cells[0].run == [0, 1, 2, 4, 5, 12]  # imports, K, EPS, TAU and the def
    assert cells.skipped == 7


def test_definitions_inside_try_and_with_blocks_run_without_the_rest():
    """A def in a ``try`` whose ``except`` prints, or in ``with np.errstate(…)``, was "not
    found" (the block did not qualify as a whole): what qualifies runs, the rest is ``pass``,
    a ``with``'s context manager is not entered, and every line keeps its number."""
    sol_text = (
        "import numpy as np\n"
        "try:\n    def f():\n        return 1\nexcept Exception as e:\n    print(e)\n"
        "with (np.errstate(over='ignore'),\n      open('data.txt') as fh):\n"
        "    data = fh.read()\n    def g(z):  # é\n        return z\n"
        "    for i in range(3):\n        print(i)\n"
        "if __name__ == '__main__':\n    print(f())\n"
        "for i in range(3):\n    def h():\n        pass\n"
    )
    cell = read_solution_from_text(sol_text).cells[0]
    assert cell.run == [0, 1, 2]  # the guarded print and the loop stay out
    code = cell.code.splitlines()
    assert len(code) == len(sol_text.splitlines())
    assert code[4:6] == ["except Exception as e:", "    pass"]
    assert code[6:9] == ["if True:", "", "    pass"] and code[9] == "    def g(z):  # é"
    namespace: dict = {}
    tree = ast.parse(cell.code)
    for index in cell.run:  # as the check's child runs them: opens no data.txt, prints nothing
        exec(compile(ast.Module([tree.body[index]], []), "s.py", "exec"), namespace)
    assert namespace["f"]() == 1 and namespace["g"](2) == 2 and "h" not in namespace
    assert namespace["g"].__code__.co_firstlineno == 10


def test_a_solution_inside_try_and_with_blocks_passes(tmp_path):
    body = "".join("    " + line + "\n" if line else "\n" for line in CORRECT.splitlines())
    wrapped = f"import numpy as np\ntry:\n{body}except Exception as e:\n    print(e)\n"
    wrapped = wrapped.replace("    def sigmoid(z):", "    with np.errstate(over='ignore'):\n"
                              "      def sigmoid(z):")  # fmt: skip
    wrapped = wrapped.replace(
        "        s = 1 / (1 + np.exp(-z))", "          s = 1 / (1 + np.exp(-z))"
    )
    wrapped = wrapped.replace("        return s\n", "          return s\n", 1)
    report = check_file(write(tmp_path, wrapped), FAST)
    assert report.passed and len(report.found) == 6, report.summary()


def test_a_callee_writing_into_its_argument_is_the_one_to_fix(tmp_path):
    """propagate writing into X changes optimize's and model's X too: they were each told to
    fix an in-place update they do not make."""
    edit = ("    cost = -(1 / m)", "    X[0, 0] = X[0, 0] * 1.0000001\n    cost = -(1 / m)")
    report = check_file(write(tmp_path, mutate([edit])), FAST)
    found = verdicts(report)
    assert "changes its argument X in place" in found["propagate"].diagnosis
    assert found["optimize"].waits_for == ["propagate"], found["optimize"].diagnosis
    assert found["model"].waits_for == ["optimize"], found["model"].diagnosis  # optimize's call
    for caller in ("optimize", "model"):
        assert "in place" not in found[caller].diagnosis
    assert "to fix: propagate;" in report.summary()


def read_solution_from_text(text: str):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.py"
        path.write_text(text)
        return read_solution(path)


# --------------------------------------------------------------------------------------------
# mutants: one known mistake each
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mutant_reports(tmp_path_factory):
    """All mutants checked at once, in parallel children (keeps the suite fast)."""
    from concurrent.futures import ThreadPoolExecutor

    folder = tmp_path_factory.mktemp("mutants")

    def one(item):
        ident, _, edits, _ = item
        return ident, check_file(write(folder, mutate(edits), f"{ident}.py"), FAST)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, MUTANTS))


@pytest.mark.parametrize("ident, function, edits, words", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_names_function_and_mistake(mutant_reports, ident, function, edits, words):
    report = mutant_reports[ident]
    failing = [f.name for f in report.functions if f.found and not f.passed]
    assert failing and failing[0] == function, [f.line() for f in report.functions]
    diagnosis = verdicts(report)[function].diagnosis
    for word in words:
        assert word in diagnosis, diagnosis
    assert not report.passed


def test_dependent_function_points_at_the_failing_one(mutant_reports):
    # optimize calls a propagate without 1/m: optimize's diagnosis says to fix propagate first.
    report = mutant_reports["dw-no-one-over-m"]
    diagnosis = verdicts(report)["optimize"].diagnosis
    assert "propagate" in diagnosis and "fix that first" in diagnosis, diagnosis
    # the summary keeps the one to fix apart from those that fail only through it
    assert verdicts(report)["optimize"].waits_for == ["propagate"]
    assert "; to fix: propagate; failing until then, as they call it: optimize" in report.summary()
    json_view = {f["name"]: f for f in report.to_json()["functions"]}
    assert json_view["optimize"]["waits_for"] == ["propagate"]
    assert json_view["propagate"]["waits_for"] == []


def test_functions_the_checks_time_never_reached_are_not_checked_not_wrong(tmp_path):
    path = write(tmp_path, replace_body("sigmoid", "while True:\n    pass"))
    report = check_file(path, Limits(time_limit=30.0, total_limit=1.5, memory_mb=1024))
    v = verdicts(report)
    assert "took longer than the time left" in v["sigmoid"].diagnosis
    assert not any(f.ran for f in report.found)
    assert report.summary() == (
        "0 of 6 functions pass; not checked, as the check's time ran out: sigmoid, "
        "initialize_with_zeros, propagate, optimize, predict, model."
    ), report.summary()


# --------------------------------------------------------------------------------------------
# robustness: each misbehaviour is one clean verdict
# --------------------------------------------------------------------------------------------
def replace_body(name: str, body: str) -> str:
    """The correct solution with ``name``'s first statement preceded by ``body``."""
    head = f"def {name}("
    start = CORRECT.index(head)
    colon = CORRECT.index(":\n", start) + 2
    return (
        CORRECT[:colon] + "".join(f"    {line}\n" for line in body.splitlines()) + CORRECT[colon:]
    )


def test_infinite_loop_is_stopped_and_others_still_checked(tmp_path):
    body = "print('optimize starts with', w.shape)\nwhile True:\n    pass"
    path = write(tmp_path, replace_body("optimize", body))
    report = check_file(path, Limits(time_limit=1.5, total_limit=30.0, memory_mb=1024))
    v = verdicts(report)
    # what it printed before the hang is kept (--show-output): it was lost with the process
    assert v["optimize"].output == "optimize starts with (2, 1)\n"
    assert "took longer than 1.5 s" in v["optimize"].diagnosis
    assert "line 29" in v["optimize"].diagnosis or "line 30" in v["optimize"].diagnosis
    assert "a loop that never ends" in v["optimize"].diagnosis
    assert "--time-limit" in v["optimize"].diagnosis
    assert v["predict"].passed and v["sigmoid"].passed
    # model would hang too, inside optimize: it is not run, and its verdict sends the learner there
    assert v["model"].diagnosis == (
        "model was not run, since it calls optimize, which does not finish: fix that first, then "
        "check again."
    )


def test_a_loop_that_never_ends_is_named_in_the_function_that_loops(tmp_path):
    """optimize's loop never ends but spends its time in propagate and sigmoid: the line named
    is optimize's own (the loop's body), with the call it was caught in."""
    solution = replace_body("optimize", "while True:\n    propagate(w, b, X, Y)")
    path = write(tmp_path, solution)
    report = check_file(path, Limits(time_limit=1.5, total_limit=30.0, memory_mb=1024))
    diagnosis = verdicts(report)["optimize"].diagnosis
    loop_line = solution.splitlines().index("    while True:") + 1
    named = re.search(r"it was at solution\.py, line (\d+)(?:, in a call to (\w+))?", diagnosis)
    assert named, diagnosis  # (caught on the loop's own line, there is no call to name)
    assert int(named[1]) in (loop_line, loop_line + 1)
    assert named[2] in (None, "propagate", "sigmoid")


def test_a_loop_that_never_ends_is_named_by_its_first_line(tmp_path):
    """The moment caught is wherever the loop's body was (a sleep here, every time): the
    verdict names the while loop it ran in too, whose condition is what never changes."""
    solution = replace_body("optimize", "import time\nwhile True:\n    time.sleep(0.05)")
    path = write(tmp_path, solution)
    report = check_file(path, Limits(time_limit=1.5, total_limit=30.0, memory_mb=1024))
    diagnosis = verdicts(report)["optimize"].diagnosis
    loop_line = solution.splitlines().index("    while True:") + 1
    said = f"line {loop_line + 1}; the while loop it ran in starts at line {loop_line})"
    assert f"it was at solution.py, {said}" in diagnosis


def test_a_loop_stopped_at_a_call_that_waits_or_prints_names_that_call(tmp_path):
    """A for loop that ends, each iteration slow because of a call in it: the advice was to
    look for a loop that never ends or for loops over every example, not at the call."""
    solution = CORRECT.replace(
        '        dw = grads["dw"]\n', '        dw = grads["dw"]\n        time.sleep(0.5)\n'
    ).replace("import numpy as np", "import time\n\nimport numpy as np", 1)
    path = write(tmp_path, solution)
    report = check_file(path, Limits(time_limit=1.5, total_limit=30.0, memory_mb=1024))
    diagnosis = verdicts(report)["optimize"].diagnosis
    line = solution.splitlines().index("        time.sleep(0.5)") + 1
    assert "took longer than 1.5 s" in diagnosis, diagnosis
    assert f"Line {line} waits (sleep) at every iteration" in diagnosis, diagnosis
    assert "a loop that never ends" not in diagnosis


def test_a_run_caught_between_two_slow_calls_names_the_one_in_its_loop():
    """On a busy machine the moment caught can be the line after the sleep; the loop it ran
    in holds the call that takes the time."""
    from lrnn.check import locate as loc
    from lrnn.check.assess import _slow_call_at

    solution = CORRECT.replace(
        '        dw = grads["dw"]\n', '        dw = grads["dw"]\n        time.sleep(0.5)\n'
    )
    tree = ast.parse(solution)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "optimize")
    src = loc.FunctionSource(node, "solution.py", solution.splitlines())
    sleep = solution.splitlines().index("        time.sleep(0.5)") + 1
    for caught in (sleep, sleep + 2):  # at the sleep, or two lines later in the same loop
        stopped = f"took longer than 1.5 s and was stopped (it was at solution.py, line {caught})"
        assert _slow_call_at(stopped, src) == (sleep, "waits (sleep)")
    before = f"took longer than 1.5 s and was stopped (it was at solution.py, line {node.lineno})"
    assert _slow_call_at(before, src) is None  # outside the loop: not its doing


def test_enclosing_while_loops():
    from lrnn.check.sandbox import _enclosing_while

    source = "def f():\n    while a:\n        while b:\n            g()\n        h()\n    k()\n"
    assert [_enclosing_while(source, line) for line in range(1, 7)] == [None, None, 2, 3, 2, None]
    assert _enclosing_while("def f(:\n", 1) is None


def test_a_hanging_function_is_waited_for_once_not_once_per_caller(tmp_path):
    """A sigmoid that never returns: its callers (and theirs) are not run, each of which would
    wait out the time limit in it, and each verdict names the function to fix."""
    path = write(tmp_path, replace_body("sigmoid", "while True:\n    pass"))
    report = check_file(path, Limits(time_limit=1.5, total_limit=30.0, memory_mb=1024))
    v = verdicts(report)
    assert "took longer than 1.5 s" in v["sigmoid"].diagnosis
    assert v["initialize_with_zeros"].passed
    for caller, path in [
        ("propagate", "sigmoid"),
        ("predict", "sigmoid"),
        ("optimize", "sigmoid (through propagate)"),
        ("model", "sigmoid (through optimize and predict)"),
    ]:
        assert v[caller].diagnosis == (
            f"{caller} was not run, since it calls {path}, which does not finish: fix that "
            "first, then check again."
        ), v[caller].diagnosis
    assert v["sigmoid"].ran and not v["propagate"].ran
    assert [f["ran"] for f in report.to_json()["functions"]] == [True, True] + [False] * 4
    # --json names what each waits for, as the text does (its waits_for was empty)
    waits = {f["name"]: f["waits_for"] for f in report.to_json()["functions"]}
    assert waits == {
        "sigmoid": [],
        "initialize_with_zeros": [],
        "propagate": ["sigmoid"],
        "optimize": ["sigmoid"],
        "predict": ["sigmoid"],
        "model": ["sigmoid"],
    }
    assert report.summary().startswith(
        "1 of 6 functions pass; to fix: sigmoid; not run until then: propagate, optimize, "
        "predict, model."
    ), report.summary()


def test_a_caller_stuck_in_its_own_loop_is_told_so_even_when_a_callee_fails(tmp_path):
    """sigmoid answers wrongly (quickly) and propagate loops in its own body: propagate's
    verdict is about its own loop (the line it was on), not about sigmoid."""
    solution = replace_body("sigmoid", "return z")
    head = "def propagate("
    start = solution.index(head)
    colon = solution.index(":\n", start) + 2
    solution = solution[:colon] + "    while True:\n        pass\n" + solution[colon:]
    path = write(tmp_path, solution)
    report = check_file(path, Limits(time_limit=1.5, total_limit=30.0, memory_mb=1024))
    v = verdicts(report)
    assert not v["sigmoid"].passed and "was not run" not in v["sigmoid"].diagnosis
    assert v["propagate"].diagnosis.startswith("propagate took longer than 1.5 s"), v["propagate"]
    assert "a loop that never ends" in v["propagate"].diagnosis
    assert "sigmoid" not in v["propagate"].diagnosis
    assert v["optimize"].diagnosis.startswith("optimize was not run, since it calls propagate")


def test_a_wrong_finite_sigmoid_is_not_taken_for_a_mistake_that_gives_infinity():
    """At z = 0 the minus-sign mistake 1/(1 − e^−z) is infinite; an answer of 0 is wrong, but
    not that mistake."""
    from lrnn.check.cases import _judge_sigmoid
    from lrnn.check.compare import Tolerance

    finding = _judge_sigmoid(0.0, Tolerance())(0.0)
    assert finding is not None and "minus" not in finding.message, finding.message


def test_exception_reports_the_learners_line(tmp_path):
    path = write(tmp_path, replace_body("propagate", "raise ValueError('my own bug')"))
    v = verdicts(check_file(path, FAST))
    assert "line 18" in v["propagate"].diagnosis
    assert "ValueError: my own bug" in v["propagate"].diagnosis


def test_missing_module_fails_only_the_function_using_it(tmp_path):
    text = "import no_such_module_here\n" + replace_body("predict", "no_such_module_here.f()")
    report = check_file(write(tmp_path, text), FAST)
    v = verdicts(report)
    assert not v["predict"].passed and "no_such_module_here" in v["predict"].diagnosis
    assert v["propagate"].passed
    assert any("line 1" in n and "No module named" in n for n in report.notes)


def test_sys_exit_is_a_failure_of_that_function(tmp_path):
    text = replace_body("sigmoid", "import sys\nsys.exit(3)")
    v = verdicts(check_file(write(tmp_path, text), FAST))
    assert "sys.exit()" in v["sigmoid"].diagnosis and "line 8" in v["sigmoid"].diagnosis
    assert v["initialize_with_zeros"].passed


def test_os_exit_and_huge_allocation(tmp_path):
    text = replace_body("initialize_with_zeros", "big = np.ones((100000, 100000))")
    text = text.replace("    costs = []\n", "    import os\n    os._exit(7)\n")
    v = verdicts(check_file(write(tmp_path, text), FAST))
    assert "MemoryError" in v["initialize_with_zeros"].diagnosis
    assert "out of memory" in v["initialize_with_zeros"].diagnosis
    assert "exit status 7" in v["optimize"].diagnosis
    # os._exit leaves no traceback: the line that ends the process is found in the code
    exit_line = text.splitlines().index("    os._exit(7)") + 1
    assert v["optimize"].diagnosis.endswith(
        f"It ends the process itself. Look at line {exit_line}: `os._exit(7)`."
    ), v["optimize"].diagnosis
    # a child that runs out of the --memory limit as it starts also ends with a status
    assert "or memory beyond the --memory limit of 1024 MB" in v["optimize"].diagnosis
    assert v["predict"].passed  # checked in a fresh process after optimize's exit


def test_a_long_error_message_is_cut_to_its_first_two_lines(tmp_path):
    """numpy's np.float error runs to five lines and a link; a verdict is one line."""
    text = replace_body("sigmoid", "raise AttributeError(chr(10).join(['one', 'two', 'three']))")
    v = verdicts(check_file(write(tmp_path, text), FAST))["sigmoid"]
    assert v.diagnosis.endswith("raised AttributeError: one two …")


def test_cost_lines_between_long_printed_lines_are_still_found(tmp_path):
    """2000 characters printed each iteration pushed the cost lines into the middle that a
    long output loses: a right optimize failed for "no printed line shows the cost"."""
    noisy = CORRECT.replace(
        "        grads, cost = propagate(w, b, X, Y)\n",
        "        grads, cost = propagate(w, b, X, Y)\n        print('x' * 2000)\n",
    )
    assert noisy != CORRECT
    v = verdicts(check_file(write(tmp_path, noisy), FAST))["optimize"]
    assert v.passed, v.line()
    assert any("printed 253 lines for 250 iterations" in n for n in v.notes), v.notes
    # a cost line longer than the kept numbered lines is still found at the output's start
    long_line = CORRECT.replace(
        "        grads, cost = propagate(w, b, X, Y)\n",
        "        grads, cost = propagate(w, b, X, Y)\n        print('step', i)\n",
    ).replace("(i, cost))", '(i, cost), "w", "0.123456 " * 120)')
    assert "0.123456" in long_line
    v = verdicts(check_file(write(tmp_path, long_line), FAST))["optimize"]
    assert v.passed, v.line()


def test_megabytes_of_output_are_capped(tmp_path):
    text = replace_body("initialize_with_zeros", "print('x' * 5_000_000)")
    report = check_file(write(tmp_path, text), FAST)
    v = verdicts(report)
    assert v["initialize_with_zeros"].passed
    output = v["initialize_with_zeros"].output
    # one count for all of the function's cases, each of which printed 5,000,001 characters
    counted = re.search(r"… \(([\d,]+) characters in all\) …", output)
    assert counted and int(counted[1].replace(",", "")) % 5_000_001 == 0, output[1990:2100]
    assert len(output) < 10_000


def test_output_over_many_cases_keeps_its_start_and_marks_the_cut(tmp_path):
    """Each case prints a little, all of them a lot: the first lines stay, the cut is marked,
    and both sides of it are whole lines."""
    text = replace_body("propagate", "print('first ' + 'p' * 600)\nprint('q' * 600)")
    report = check_file(write(tmp_path, text), FAST)
    v = verdicts(report)
    assert v["propagate"].passed
    lines = v["propagate"].output.splitlines()
    assert lines[0] == "first " + "p" * 600
    cut = next(i for i, line in enumerate(lines) if "characters in all) …" in line)
    assert all(line in ("first " + "p" * 600, "q" * 600) for line in lines[:cut] + lines[cut + 1 :])


def test_lrnn_process_is_untouched(tmp_path):
    before = (os.getcwd(), dict(os.environ))
    text = replace_body("sigmoid", "import os\nos.chdir('/')\nos.environ['X_LRNN'] = '1'")
    check_file(write(tmp_path, text), FAST)
    assert (os.getcwd(), dict(os.environ)) == before


# --------------------------------------------------------------------------------------------
# in the learner's own session, and the codec
# --------------------------------------------------------------------------------------------
def test_course_check_on_a_namespace(capsys):
    namespace: dict = {}
    exec(
        compile(
            mutate([("np.sum(A - Y)", "np.sum(A - Y, axis=1, keepdims=True)")]), "mine.py", "exec"
        ),
        namespace,
    )
    report = course.check(namespace)
    printed = capsys.readouterr().out
    assert "✗ propagate: db is an array of shape (1, 1)" in printed
    assert "✓ sigmoid" in printed and "✓ predict" in printed
    assert not report.passed
    # the value Jupyter echoes under the printed verdicts: one line
    assert repr(report) == "<lrnn check: 3 of 6 functions found pass>"


def test_without_the_code_a_late_record_is_not_blamed_on_a_loop_from_one():
    """i % 100 == 99 in a loop from 0 records what a loop from 1 with i % 100 == 0 does; with
    no source to read (code typed at a prompt), the check said the loop counts from 1."""
    namespace: dict = {}
    late = mutate([("if i % 100 == 0:", "if i % 100 == 99:")])
    exec(compile(late, "<unreadable>", "exec"), namespace)  # no file, no linecache entry
    said = verdicts(course.check(namespace, show=False))["optimize"].diagnosis
    assert "costs are recorded at iterations 99, 199" in said and "counts from 1" not in said


def test_course_check_speaks_python_and_says_what_it_takes():
    """In a notebook the advice named the command's --data option; a module given instead of
    its names failed with "module has no attribute 'get'"."""
    import types

    namespace: dict = {}
    exec(compile(CORRECT, "mine.py", "exec"), namespace)
    summary = course.check(namespace, show=False).summary()
    assert 'check(globals(), data="DIR")' in summary and "--data" not in summary
    module = types.ModuleType("lesson")
    with pytest.raises(UsageError, match=r"got a module — pass vars\(module\)"):
        course.check(module)


def test_course_check_runs_the_learners_code_on_one_blas_thread():
    """As lrnn check's sandbox does: on busy cores, BLAS threads made the in-notebook check
    four times slower than the command line's; the kernel's own setting comes back after."""
    from threadpoolctl import threadpool_info, threadpool_limits

    seen: list[list[int]] = []
    namespace: dict = {}
    exec(compile(mutate([]), "mine.py", "exec"), namespace)
    own_sigmoid = namespace["sigmoid"]

    def sigmoid(z):
        seen.append([pool["num_threads"] for pool in threadpool_info()])
        return own_sigmoid(z)

    namespace["sigmoid"] = sigmoid
    with threadpool_limits(2):
        before = [pool["num_threads"] for pool in threadpool_info()]
        course.check(namespace, show=False)
        after = [pool["num_threads"] for pool in threadpool_info()]
    assert seen and all(threads == [1] * len(threads) for threads in seen)
    assert after == before and max(before) > 1


def test_codec_round_trip_and_refuses_unsafe_dtypes():
    value = ({"dw": np.arange(6.0).reshape(2, 3), "db": np.float32(1.5)}, [1, float("nan")], None)
    back = decode(json.loads(json.dumps(encode(value))))
    assert np.array_equal(back[0]["dw"], value[0]["dw"]) and back[0]["db"] == np.float32(1.5)
    assert np.isnan(back[1][1]) and back[2] is None
    with pytest.raises(ValueError, match="not allowed"):
        decode({"$array": "|O", "shape": [1], "b64": ""})


@needs_cat
@needs_cat
def test_a_slow_propagate_holds_up_the_cat_run_instead_of_failing_model(tmp_path):
    started = time.monotonic()
    report = check_file(
        write(tmp_path, mutate([_LOOPED_A])), Limits(time_limit=60), cat_folder=CAT_DIR
    )
    v = verdicts(report)
    assert not v["propagate"].passed and "far too slow" in v["propagate"].diagnosis
    assert v["model"].passed and v["optimize"].passed  # on the small data they are right
    assert any("waits until propagate passes" in note for note in v["model"].notes)
    assert time.monotonic() - started < 30  # the lesson's 2000 slow calls never started


_EVERY_ITERATION = (
    "        if i % 100 == 0:\n            costs.append(cost)\n            if print_cost:\n"
    "                " + _PRINT_LINE,
    "        if print_cost:\n            " + _PRINT_LINE + "\n        if i % 100 == 0:\n"
    "            costs.append(cost)",
)
_ALL_AT_THE_END = [  # print(costs) once, after the loop
    ("            if print_cost:\n                " + _PRINT_LINE, "            pass"),
    (
        '    params = {"w": w, "b": b}\n    grads',
        '    if print_cost:\n        print(costs)\n    params = {"w": w, "b": b}\n    grads',
    ),
]
_NO_PRINT_COST = [
    ("learning_rate=0.009, print_cost=False):", "learning_rate=0.009):"),
    ("            if print_cost:\n", "            if False:\n"),
]


@pytest.mark.parametrize(
    "edits, note",
    [
        ([_EVERY_ITERATION], "printed 250 lines for 250 iterations"),
        (_NO_PRINT_COST, "no print_cost parameter"),
        (_ALL_AT_THE_END, "it printed the costs several to a line (the whole list at the end?)"),
    ],
)
def test_print_cost_that_differs_from_the_lesson_only_in_form_is_a_note(tmp_path, edits, note):
    report = check_file(write(tmp_path, mutate(edits)), FAST)
    v = verdicts(report)
    assert v["optimize"].passed, v["optimize"].diagnosis
    assert any(note in n for n in v["optimize"].notes), v["optimize"].notes


def test_model_on_the_lesson_cat_pictures(tmp_path):
    report = check_file(
        write(tmp_path, mutate([("if A[0, i] > 0.5", "if A[0, i] > 0.6")])),
        Limits(time_limit=60, total_limit=120),
        cat_folder=CAT_DIR,
    )
    v = verdicts(report)
    assert report.cat and v["optimize"].passed
    assert "predict" in v["model"].diagnosis  # model fails because predict does


# --------------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------------
def test_cli_exit_codes_and_json(tmp_path):
    good = write(tmp_path, CORRECT, "good.py")
    bad = write(tmp_path, mutate(next(m for m in MUTANTS if m[0] == "dw-elementwise")[2]), "bad.py")
    proc = run(["check", good, "--time-limit", "5"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == "✓ sigmoid"
    proc = run(["check", bad, "--json", "--time-limit", "5"], tmp_path)
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert result["passed"] is False
    assert [f["name"] for f in result["functions"]][:3] == [
        "sigmoid",
        "initialize_with_zeros",
        "propagate",
    ]
    prop = result["functions"][2]
    assert prop["found"] and not prop["passed"] and "X * (A − Y)" in prop["diagnosis"]
    assert result["functions"][0]["diagnosis"] == ""
    assert result["notes"] == []
    # the text output's last line, with its word that model ran on small data only
    assert result["cat_pictures"] is False
    text = run(["check", bad, "--time-limit", "5"], tmp_path).stdout.splitlines()[-1]
    assert result["summary"] == text and "cat pictures were not found" in text
    broken = write(tmp_path, "def sigmoid(z)\n    return z\n", "broken.py")
    proc = run(["check", broken, "--json"], tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")
    assert json.loads(proc.stdout) == {
        "passed": False,
        "error": proc.stderr.strip().removeprefix("error: "),
        "functions": [],
    }


def test_cli_partial_solution_reports_not_found(tmp_path):
    only = write(
        tmp_path,
        "import numpy as np\n\ndef sigmoid(z):\n    print('hello from sigmoid')\n"
        "    return 1/(1+np.exp(-z))\n",
    )
    proc = run(["check", only, "--show-output"], tmp_path)
    assert proc.returncode == 0
    assert "– propagate: not found" in proc.stdout
    assert "    | hello from sigmoid" in proc.stdout
    assert "The one function found passes; not found: initialize_with_zeros" in proc.stdout
    assert "hello" not in run(["check", only], tmp_path).stdout


def test_a_function_that_fails_only_for_a_missing_one_waits_for_it(tmp_path):
    """model fails with NameError because predict is not written (renamed): the summary said
    "to fix: model", sending the learner to a function with nothing wrong in it."""
    text = CORRECT.replace("def predict(w, b, X):", "def predict_labels(w, b, X):")
    report = check_file(write(tmp_path, text), FAST)
    model = verdicts(report)["model"]
    assert "NameError" in model.diagnosis and model.waits_for == ["predict"]
    summary = report.summary()
    assert "failing until predict is written: model; not found: predict." in summary, summary
    assert "to fix" not in summary
    # through a chain: optimize fails as propagate does, which waits for sigmoid ("failing
    # until then, as they call one of them" followed nothing: no function was left to fix)
    text = CORRECT.replace("def sigmoid(z):", "def sigmoid_of(z):")
    summary = check_file(write(tmp_path, text, "nosig.py"), FAST).summary()
    assert summary.startswith(
        "1 of 5 functions pass; failing until sigmoid is written: propagate, optimize, "
        "predict, model; not found: sigmoid."
    ), summary


def test_nothing_found_is_not_a_pass(tmp_path):
    proc = run(["check", write(tmp_path, "x = 1\n")], tmp_path)
    assert proc.returncode == 1 and "nothing was checked" in proc.stdout
    # --json: a function not found did not run (it said "ran": true)
    proc = run(["check", str(tmp_path / "solution.py"), "--json"], tmp_path)
    functions = json.loads(proc.stdout)["functions"]
    assert [(f["found"], f["ran"]) for f in functions] == [(False, False)] * 6


def test_unexplained_answer_shows_expected_got_and_smallest_input(tmp_path):
    text = mutate([("db = (1 / m) * np.sum(A - Y)", "db = (1 / m) * np.sum(A - Y) + 0.01")])
    diagnosis = verdicts(check_file(write(tmp_path, text), FAST))["propagate"].diagnosis
    # got and expected are for the input quoted: the smallest that shows it (one example)
    assert diagnosis.startswith("With the smallest input that shows it, w = [["), diagnosis
    assert "Y = [[1]]: db is -0.66982121; expected -0.67982121" in diagnosis
    assert "line 22" in diagnosis


def test_notebook_cell_that_does_not_parse(tmp_path):
    defs = CORRECT.split("\n\n\n")
    defs[3] = defs[3].replace("m = X.shape[1]", "m = X.shape[1")  # propagate's cell
    report = check_file(write(tmp_path, notebook(defs), "nb.ipynb"), FAST)
    v = verdicts(report)
    assert v["propagate"].found and "cannot be parsed" in v["propagate"].diagnosis
    assert v["sigmoid"].passed
    # its callers are told to wait for that fix, not shown a NameError
    assert "optimize calls propagate, which fails its own check" in v["optimize"].diagnosis
    assert any("code cell 4" in n for n in report.notes), report.notes


@pytest.mark.parametrize(
    "name, content, needle",
    [
        ("missing.py", None, "no such file"),
        ("broken.py", "def sigmoid(z:\n    return z\n", "line 1"),
        ("broken.ipynb", "{not json", "not a readable notebook"),
        ("notes.txt", "hello", ".ipynb"),
    ],
)
def test_cli_unreadable_file_exits_2(tmp_path, name, content, needle):
    if content is not None:
        write(tmp_path, content, name)
    proc = run(["check", tmp_path / name], tmp_path)
    assert_clean_failure(proc, (2,), needle)


def test_check_file_missing_data_folder(tmp_path):
    with pytest.raises(UsageError, match="train_catvnoncat.h5"):
        check_file(write(tmp_path, CORRECT), FAST, cat_folder=tmp_path)


def test_total_time_limit_stops_the_rest(tmp_path):
    text = replace_body("initialize_with_zeros", "while True:\n    pass")
    text = text.replace(
        "    m = X.shape[1]\n    A", "    while True:\n        pass\n    m = 1\n    A"
    )
    limits = Limits(time_limit=1.5, total_limit=2.5, memory_mb=1024)
    v = verdicts(check_file(write(tmp_path, text), limits))
    assert v["sigmoid"].passed
    assert "took longer than 1.5 s" in v["initialize_with_zeros"].diagnosis
    assert "time left (2.5 s for the whole check)" in v["propagate"].diagnosis
    assert "--total-time-limit" in v["propagate"].diagnosis
    assert "not checked: the whole check's limit of 2.5 s ran out" in v["predict"].diagnosis
    # model calls the initialize_with_zeros that hung: it is not run at all
    assert v["model"].diagnosis.startswith(
        "model was not run, since it calls initialize_with_zeros, which does not finish"
    )


def test_a_notebook_imports_modules_beside_it_and_check_takes_the_data_folder(tmp_path):
    """The lesson's notebook folder holds helper modules (lr_utils.py …): they import as in
    that folder; course.check(globals(), data=…) runs model's full check on the cat files."""
    import json as _json

    from lrnn.errors import UsageError
    from tests.conftest import CAT_DIR, CAT_TRAIN

    (tmp_path / "lr_utils.py").write_text("SCALE = 255\n")
    cells = [
        "import numpy as np\nfrom lr_utils import SCALE\n",
        "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n",
    ]
    notebook = {
        "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "nb.ipynb").write_text(_json.dumps(notebook))
    proc = run(["check", "nb.ipynb"], tmp_path)
    assert "lr_utils" not in proc.stderr + proc.stdout, proc.stdout
    assert "✓ sigmoid" in proc.stdout
    with pytest.raises(UsageError, match="no train_catvnoncat.h5"):
        course.check({"sigmoid": lambda z: z}, show=False, data=str(tmp_path))
    if CAT_TRAIN.exists():
        namespace: dict = {}
        exec(compile(CORRECT, "mine.py", "exec"), namespace)
        report = course.check(namespace, show=False, data=str(CAT_DIR))
        assert report.passed and report.cat


def test_the_call_graph_follows_the_last_definition_guarded_or_not(tmp_path):
    """Which lesson functions each definition calls, for skipping the callers of one that
    hangs: the last definition counts, also inside try/if, but not a helper nested in one."""
    text = (
        "def optimize(w, b, X, Y):\n    return propagate(w, b, X, Y)\n\n"
        "def model(X, Y):\n    return optimize(0, 0, X, Y)\n\n"
        "try:\n    def model(X, Y):\n        return predict(0, 0, X)\n"
        "except NameError:\n    pass\n\n"
        "if True:\n    def predict(w, b, X):\n"
        "        def sigmoid(z):\n            return z\n"
        "        return sigmoid(X)\n"
    )
    solution = read_solution(write(tmp_path, text))
    names = {"sigmoid", "propagate", "optimize", "predict", "model"}
    assert solution.calls_between(names) == {
        "optimize": {"propagate"},
        "model": {"predict"},  # the guarded, later definition
        "predict": {"sigmoid"},  # its own nested helper's name: called, so counted
    }


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_ctrl_c_takes_the_learners_process_down_too(tmp_path, stop):
    """The learner's code runs in a session of its own (so a terminal's Ctrl-C reaches only
    lrnn); interrupted (Ctrl-C, `timeout`'s SIGTERM, a closed terminal's SIGHUP), lrnn must
    stop it rather than leave it looping on its own."""
    import signal
    import subprocess
    import time

    from tests.cli_helpers import lrnn_command

    path = write(tmp_path, replace_body("sigmoid", "while True:\n    pass"))
    proc = subprocess.Popen([*lrnn_command(), "check", str(path)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip

    def runners() -> list[int]:  # the learner's processes that this lrnn started
        found = []
        for entry in Path("/proc").iterdir():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(part.endswith(b"_runner.py") for part in cmdline):
                found.append(int(entry.name))
        return [pid for pid in found if _child_of(pid, proc.pid)]

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not runners():
        time.sleep(0.1)
    mine = runners()
    assert mine, "the learner's process did not start"
    time.sleep(0.5)  # inside the endless loop
    number = getattr(signal, stop)
    proc.send_signal(number)
    _, err = proc.communicate(timeout=30)
    if stop == "SIGINT":
        assert proc.returncode == 130 and "interrupted" in err
    else:
        assert proc.returncode == 128 + number, err
    time.sleep(0.5)
    assert not [p for p in mine if Path(f"/proc/{p}").exists() and _alive(p)]


def test_a_cost_computed_twice_is_located_at_the_second_formula(tmp_path):
    """The diagnosis quoted the first of two cost formulas, the one the second replaces; the
    value returned (an array here) comes from the second."""
    second = "cost = -(1 / m) * (np.dot(Y, np.log(A).T) + np.dot(1 - Y, np.log(1 - A).T))"
    source = mutate([("cost = np.squeeze(np.array(cost))", second)])
    line = next(i for i, text in enumerate(source.splitlines(), 1) if second in text)
    v = verdicts(check_file(write(tmp_path, source), FAST))["propagate"]
    assert not v.passed and "array of shape (1, 1)" in v.diagnosis
    assert f"Look at line {line}: `{second}`" in v.diagnosis, v.diagnosis


def test_ctrl_c_still_gives_json_readers_one_object(tmp_path):
    """`lrnn check --json` stopped by Ctrl-C printed nothing on stdout, where a reader waits
    for one JSON object (lrnn train --json ends its stream with an "interrupted" event)."""
    import json
    import signal
    import subprocess
    import time

    from tests.cli_helpers import lrnn_command

    path = write(tmp_path, replace_body("sigmoid", "while True:\n    pass"))
    proc = subprocess.Popen([*lrnn_command(), "check", str(path), "--json"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    time.sleep(4)  # lrnn started, the learner's code is looping
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert json.loads(out) == {"passed": False, "interrupted": True, "functions": []}


def test_ctrl_c_keeps_the_verdicts_of_the_functions_that_finished(tmp_path):
    """The small cases run in one child; Ctrl-C while optimize runs kept nothing, though
    sigmoid, initialize_with_zeros and propagate had finished: their verdicts are printed, the
    others said to be unchecked (neither ✓ nor ✗), and the exit status is a shell's 130."""
    import signal
    import subprocess
    import time

    from tests.cli_helpers import lrnn_command

    started = tmp_path / "optimize-started"
    body = f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(60)"
    path = write(tmp_path, replace_body("optimize", body))
    command = [*lrnn_command(), "check", str(path), "--time-limit", "120"]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not started.exists():
        time.sleep(0.05)
    assert started.exists(), "optimize never started"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert out.splitlines() == [
        "✓ sigmoid",
        "✓ initialize_with_zeros",
        "✓ propagate",
        "    note: nothing to fix, the lesson's formula does it too: for logits of about ±1000 "
        "the cost is not finite (numerical overflow: log(0) where σ rounds to exactly 0 or 1). "
        "For a cost that never overflows, np.logaddexp(0, -z) = −log σ(z).",
        "– optimize: not checked: Ctrl-C stopped the check first",
        "– predict: not checked: Ctrl-C stopped the check first",
        "– model: not checked: Ctrl-C stopped the check first",
        "3 of 6 functions pass; not checked, as Ctrl-C stopped the check: optimize, predict, "
        "model. Ctrl-C stopped the check before it finished: run again to check the rest.",
    ]


def test_ctrl_c_while_lrnn_loads_still_gives_json_readers_one_object(tmp_path, monkeypatch, capsys):
    """Ctrl-C before `lrnn check` itself ran (Python still loading the command) printed only
    "interrupted"; a --json reader gets its one object, and only one when check printed it."""
    import json

    import lrnn.check as check_module
    import lrnn.cli.parser as parser
    from lrnn.cli import main

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    path = write(tmp_path, CORRECT)
    monkeypatch.setattr(parser, "build_parser", interrupted)
    assert main(["check", str(path), "--json"]) == 130
    out = capsys.readouterr().out
    assert json.loads(out) == {"passed": False, "interrupted": True, "functions": []}
    assert main(["train", "--json"]) == 130 and capsys.readouterr().out == ""  # not check's
    monkeypatch.undo()
    monkeypatch.setattr(check_module, "run_solution", interrupted)  # inside the check
    assert main(["check", str(path), "--json"]) == 130
    assert [json.loads(line) for line in capsys.readouterr().out.splitlines()] == [
        {"passed": False, "interrupted": True, "functions": []}
    ]


def test_a_second_ctrl_c_does_not_stop_the_clean_up(tmp_path):
    """A second Ctrl-C right after the first landed in the clean-up and left the check's
    inputs (tens of MB) in /tmp: the clean-up now holds interrupts until it is done. Here an
    interrupt arrives during the removal itself, in a process of its own (an interrupt that
    escaped would end a test session)."""
    import subprocess
    import sys

    path = write(tmp_path, CORRECT)
    script = f"""
import os, shutil, signal, tempfile
import lrnn.check.sandbox as sandbox
from lrnn.check import Limits, check_file
made = []
real_mkdtemp, real_rmtree = tempfile.mkdtemp, shutil.rmtree
def mkdtemp(*args, **kwargs):
    made.append(real_mkdtemp(*args, **kwargs))
    return made[-1]
def rmtree(path, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)  # pressed as the removal starts
    real_rmtree(path, *args, **kwargs)
sandbox.tempfile.mkdtemp, sandbox.shutil.rmtree = mkdtemp, rmtree
report = check_file({str(path)!r}, Limits(4.0, 40.0, 1024))
print(report.passed, len(made) > 0 and not any(os.path.exists(p) for p in made))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "True True", proc.stdout


def _child_of(pid: int, parent: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return int(stat[1]) == parent


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@needs_cat
@pytest.mark.parametrize("where", ["notebook", "file"])
def test_the_full_cat_run_waits_until_model_and_its_callees_pass(tmp_path, monkeypatch, where):
    """w of shape (n,) from initialize_with_zeros: on the cat pictures model would broadcast it
    into a 12288 × 12288 matrix and run for many minutes. The check runs the lesson's full run
    only once model and the functions it calls pass their other cases."""
    from lrnn.check import _runner, check_namespace

    solution = mutate([("w = np.zeros((dim, 1))", "w = np.zeros(dim)")])
    if where == "notebook":
        cat_rows = []
        real_call = _runner.call_case

        def call_case(fn, args, *rest):
            if fn.__name__ == "model":
                cat_rows.append(args[0].shape[0])
            return real_call(fn, args, *rest)

        monkeypatch.setattr(_runner, "call_case", call_case)
        namespace: dict = {}
        exec(compile(solution, "mine.py", "exec"), namespace)
        report = check_namespace(namespace, show=False, cat_folder=CAT_DIR)
        assert cat_rows and 12288 not in cat_rows  # the small cases ran, the cat run did not
    else:
        report = check_file(write(tmp_path, solution), cat_folder=CAT_DIR)
    v = verdicts(report)
    assert not v["initialize_with_zeros"].passed
    assert v["model"].waits_for == ["initialize_with_zeros"] or not v["model"].passed
    assert "longer than" not in v["model"].diagnosis


@needs_cat
def test_a_model_whose_callee_fails_elsewhere_waits_for_it_with_a_note(tmp_path):
    """predict fails only for a single example, which model's small cases never have: model
    passes them, and its full cat run waits for predict, which its verdict notes."""
    solution = replace_body("predict", "if X.shape[1] == 1:\n    return np.zeros((2, 2))")
    report = check_file(write(tmp_path, solution), cat_folder=CAT_DIR)
    v = verdicts(report)
    assert not v["predict"].passed and v["model"].passed
    assert v["model"].notes == [
        "not yet run on the lesson's cat pictures: that waits until predict passes."
    ]


def test_a_constant_made_by_numpy_is_defined_for_the_functions(tmp_path):
    """``EPS = np.finfo(float).eps`` at the top, used in the cost: it runs like a literal."""
    solution = mutate([
        ("import numpy as np\n", "import numpy as np\n\nEPS = np.finfo(float).eps\n"),
        ("np.log(A) + (1 - Y) * np.log(1 - A)", "np.log(A + EPS) + (1 - Y) * np.log(1 - A + EPS)"),
    ])  # fmt: skip
    report = check_file(write(tmp_path, solution), FAST)
    assert verdicts(report)["propagate"].passed, verdicts(report)["propagate"].diagnosis
    assert report.passed


def test_float_of_an_array_is_named_as_such(tmp_path):
    solution = mutate([("s = 1 / (1 + np.exp(-z))", "s = float(1 / (1 + np.exp(-z)))")])
    diagnosis = verdicts(check_file(write(tmp_path, solution), FAST))["sigmoid"].diagnosis
    assert "float(…)" in diagnosis and "keep the array" in diagnosis
    assert "math.exp" not in diagnosis


def test_float_of_a_one_by_one_cost_is_told_how_to_take_its_value(tmp_path):
    """The classic notebook's cost from np.dot is (1, 1); float() of it raises since NumPy 2.4
    (it warned before), though it holds one value: the way out is np.squeeze or .item()."""
    solution = mutate([
        (
            "    cost = -(1 / m) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
            "    cost = -(np.dot(Y, np.log(A).T) + np.dot(1 - Y, np.log(1 - A).T)) / m\n"
            "    cost = float(cost)",
        )
    ])  # fmt: skip
    report = verdicts(check_file(write(tmp_path, solution), FAST))["propagate"]
    try:
        float(np.ones((1, 1)))
    except TypeError:
        assert "np.squeeze(" in report.diagnosis and ".item()" in report.diagnosis
        assert "Since NumPy 2.4, float(…)" in report.diagnosis
    else:  # an older NumPy takes it
        assert report.passed, report.diagnosis


def test_top_level_code_that_does_not_finish_is_named_not_taken_for_missing_functions(tmp_path):
    """A slow constant at the top: the functions defined were never reached — said so, with
    the line — instead of 'none of the lesson's functions were found'."""
    solution = CORRECT.replace(
        "import numpy as np\n", "import numpy as np\n\nBIG = 7 ** (10**9)\n", 1
    )
    report = check_file(write(tmp_path, solution), Limits(time_limit=1.5, total_limit=4.0))
    v = verdicts(report)
    assert all(f.found and not f.ran for f in report.functions)
    assert "was not checked: running the solution's definitions took longer than 4 s" in (
        v["sigmoid"].diagnosis
    )
    line = solution.splitlines().index("BIG = 7 ** (10**9)") + 1
    assert f"(it was at solution.py, line {line})" in v["sigmoid"].diagnosis
    assert report.summary().startswith("0 of 6 functions pass; not checked")


def test_print_cost_blank_lines_do_not_excuse_wrong_costs():
    """Blank lines once read as a cut output, which excused every cost not found."""
    from lrnn.check.printed import _prints_costs
    from lrnn.check.sandbox import CallResult
    from lrnn.check.training import reference

    rng = np.random.default_rng(0)
    p = {
        "w": np.zeros((3, 1)),
        "b": 0.0,
        "X": rng.normal(size=(3, 5)),
        "Y": np.array([[0, 1, 1, 0, 1]]),
    }
    costs = reference(p["w"], p["b"], p["X"], p["Y"], 250, 0.1).costs
    test = _prints_costs(lambda: costs, 250, "optimize")
    right = "".join(f"Cost after iteration {100 * k}: {c:f}\n\n" for k, c in enumerate(costs))
    wrong = "".join(f"Cost after iteration {100 * k}: {c + 0.1:f}\n\n" for k, c in enumerate(costs))
    assert test(CallResult(printed=right, printed_lines=right.count("\n"))) is None
    found = test(CallResult(printed=wrong, printed_lines=wrong.count("\n")))
    assert found is not None and "no printed line shows the cost after iteration 0" in found.message
    # all on one line (print(costs)): a note when the numbers are right, a finding otherwise
    listed = str(costs) + "\n"
    assert "several to a line" in test(CallResult(printed=listed, printed_lines=1))
    off = str([*costs[:-1], costs[-1] + 0.1]) + "\n"
    found = test(CallResult(printed=off, printed_lines=1))
    assert "no printed line shows the cost after iteration 200" in found.message


def test_model_printing_the_error_rate_as_its_accuracy_fails(tmp_path):
    """Without ``100 −`` model prints the share of mistakes; its returned predictions are right,
    so only the printed line shows it (it passed)."""
    error_rate = mutate(
        [
            (
                "100 - np.mean(np.abs(Y_prediction_train - Y_train)) * 100",
                "np.mean(np.abs(Y_prediction_train - Y_train)) * 100",
            )
        ]
    )
    v = verdicts(check_file(write(tmp_path, error_rate), FAST))["model"]
    assert not v.passed
    assert "it prints 0.0 as the train accuracy, but its own Y_prediction_train is 100.00 % " in (
        v.diagnosis
    )
    assert "that is the error rate" in v.diagnosis


@pytest.mark.parametrize(
    ("printed", "said"),
    [
        # the training figure under "test": on a problem both parts of which are all right,
        # as the only printing case was, it read the same and passed
        (
            '"test accuracy: {} %".format(100 - np.mean(np.abs(Y_prediction_train - Y_train))'
            " * 100)",
            "as the test accuracy, but its own Y_prediction_test is ",
        ),
        (  # "× 100" forgotten
            '"test accuracy: {} %".format(100 - np.mean(np.abs(Y_prediction_test - Y_test)))',
            "as the test accuracy, but its own Y_prediction_test is ",
        ),
    ],
)
def test_model_printing_another_figure_as_its_test_accuracy_fails(tmp_path, printed, said):
    """The lesson's model prints its accuracies only with print_cost=True; that case now runs
    on data where neither part is all right and the two differ."""
    right = '"test accuracy: {} %".format(100 - np.mean(np.abs(Y_prediction_test - Y_test)) * 100)'
    source = mutate([(right, printed)])
    source = source.replace(
        '    print("train accuracy', '    if print_cost:\n        print("train accuracy'
    )
    source = source.replace(
        '    print("test accuracy', '    if print_cost:\n        print("test accuracy'
    )
    v = verdicts(check_file(write(tmp_path, source), FAST))["model"]
    assert not v.passed and said in v.diagnosis, v.diagnosis
    assert "some labels swapped" in v.diagnosis  # the case where the two figures differ


@pytest.mark.parametrize(
    ("printed", "verdict"),
    [
        ("train accuracy: 90.0 %\ntest accuracy: 70.0 %", None),
        ("train accuracy: 0.9\ntest accuracy: 0.7", None),  # fractions
        ("train_acc = 90 | test_acc = 70", None),
        ("train accuracy after 2000 iterations: 90.0 %", None),
        ("train/test accuracy: 90.00 / 70.00", None),
        ("train accuracy: 90.0 %\ntest accuracy: 90.0 %", "that is the train accuracy (90.00 %)"),
        ("Train accuracy: 10.0 %", "that is the error rate"),
        ("test accuracy: 71.5 %", "it prints 71.5 as the test accuracy, but its own"),
        ("Cost after iteration 100: 0.4\nretrain: 5.0 accuracy", None),
    ],
)
def test_printed_accuracies_are_read_against_models_own_predictions(printed, verdict):
    from lrnn.check.printed import judge_printed_accuracies
    from lrnn.check.sandbox import CallResult

    Y_train, Y_test = np.ones((1, 10)), np.ones((1, 10))
    predictions = {
        "Y_prediction_train": np.array([[1.0] * 9 + [0.0]]),  # 90 % right
        "Y_prediction_test": np.array([[1.0] * 7 + [0.0] * 3]),  # 70 % right
    }
    test = judge_printed_accuracies({"Y_train": Y_train, "Y_test": Y_test})
    found = test(CallResult(value=predictions, printed=printed))
    if verdict is None:
        assert found is None, found.message
    else:
        assert found is not None and verdict in found.message


def test_a_renamed_lesson_function_is_named_beside_not_found(tmp_path):
    """sigmoid_fn for sigmoid: "not found" alone left the learner at exit 0, unaware."""
    renamed = CORRECT.replace("def initialize_with_zeros(", "def initialize_zeros(")
    renamed = renamed.replace("initialize_with_zeros(", "initialize_zeros(")
    report = check_file(write(tmp_path, renamed), FAST)
    assert verdicts(report)["initialize_with_zeros"].line() == (
        "– initialize_with_zeros: not found; the file defines initialize_zeros, but the check "
        "looks for the lesson's name: rename it initialize_with_zeros to have it checked"
    )
    assert verdicts(report)["sigmoid"].line() == "✓ sigmoid"  # no guess for what is there
    as_json = {f["name"]: f for f in report.to_json()["functions"]}  # --json says it too
    assert as_json["initialize_with_zeros"]["defined_as"] == "initialize_zeros"
    assert as_json["sigmoid"]["defined_as"] == ""


def test_costs_printed_without_print_cost_are_a_note(tmp_path):
    always = mutate([("            if print_cost:\n", "            if True:\n")])
    report = check_file(write(tmp_path, always), FAST)
    v = verdicts(report)["optimize"]
    assert v.passed
    assert v.notes == [
        "with print_cost=False it still prints the costs; the lesson prints them only when "
        "asked: `if print_cost and i % 100 == 0:`."
    ]
    assert verdicts(check_file(write(tmp_path, CORRECT), FAST))["optimize"].notes == []


def test_a_notebook_without_cell_ids_checks_without_nbformats_warning(tmp_path):
    """nbformat 4.5 notebooks written by older tools lack cell ids; nbformat's warning ("use
    normalize()") is advice for a tool's author, and a learner can do nothing about it."""
    import warnings

    from lrnn.check.source import read_solution

    nb = json.loads(notebook(CORRECT.split("\n\n\n")))
    nb["nbformat_minor"] = 5
    for cell in nb["cells"]:
        cell.pop("id", None)
    path = write(tmp_path, json.dumps(nb), "old.ipynb")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(read_solution(path).cells) == len(CORRECT.split("\n\n\n"))


def test_a_check_on_a_terminal_says_it_is_working_before_the_verdicts(
    tmp_path, capsys, monkeypatch
):
    """The verdicts come at the end: on a terminal nothing showed for up to the time limit, and
    a learner took the check for hung. Piped or --json output stays as it was."""
    from lrnn.cli import main

    path = write(tmp_path, "\n\n\n".join(CORRECT.split("\n\n\n")[:2]) + "\n")  # sigmoid
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert main(["check", str(path), "--time-limit", "7"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"checking {path} (each function may run up to 7 s; Ctrl-C stops) …")
    assert main(["check", str(path), "--json"]) == 0
    assert "checking" not in capsys.readouterr().err


def test_a_whole_number_accuracy_may_be_cut_off_rather_than_rounded():
    """``"%d %%" % 66.67`` prints 66: a correct model failed as "prints 66 … is 66.67 % right"."""
    from lrnn.check.printed import judge_printed_accuracies
    from lrnn.check.sandbox import CallResult

    Y = np.ones((1, 3))
    predictions = {"Y_prediction_train": np.array([[1.0, 1.0, 0.0]]), "Y_prediction_test": Y}
    test = judge_printed_accuracies({"Y_train": Y, "Y_test": Y})
    for printed in ("train accuracy: 66 %", "train accuracy: 67 %", "train accuracy: 66.67 %"):
        assert test(CallResult(value=predictions, printed=printed)) is None, printed
    assert test(CallResult(value=predictions, printed="train accuracy: 65 %")) is not None


def test_a_name_numpy_has_too_is_not_sent_to_pythons_module(tmp_path):
    """random.randn meant as np.random.randn: "Add `import random`" would lead to an
    AttributeError (Python's random has no randn); copy.deepcopy is Python's, and is advised."""
    text = mutate([("w = np.zeros((dim, 1))", "w = random.randn(dim, 1) * 0")])
    report = check_file(write(tmp_path, text), FAST)
    diagnosis = verdicts(report)["initialize_with_zeros"].diagnosis
    assert "NameError" in diagnosis and "import random" not in diagnosis


def test_lrnns_own_functions_bound_by_an_import_are_not_the_learners(tmp_path):
    """`from lrnn.course import *` after the learner's (wrong) sigmoid replaced it with lrnn's:
    every function passed, five of them never written. In a file and in a namespace alike."""
    wrong_then_star = mutate([("1 / (1 + np.exp(-z))", "1 / (1 + np.exp(z))")])
    wrong_then_star += "\nfrom lrnn.course import *\n"
    report = check_file(write(tmp_path, wrong_then_star), FAST)
    assert not report.passed
    said = verdicts(report)
    for name in ("sigmoid", "propagate", "model"):
        assert said[name].found and not said[name].passed
        assert f"{name} here is lrnn's own (lrnn.course.{name}), not yours" in said[name].diagnosis
    namespace: dict = {}
    exec(compile(CORRECT + "\nfrom lrnn.course import sigmoid\n", "mine.py", "exec"), namespace)
    said = verdicts(course.check(namespace, show=False))
    assert not said["sigmoid"].passed and "lrnn's own" in said["sigmoid"].diagnosis
    assert said["propagate"].passed  # the learner's own, checked as ever
