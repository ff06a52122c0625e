"""What optimize and model print: the costs with print_cost=True, and model's accuracies.

With print_cost=True the lesson prints the cost every 100 iterations, one line each, and its
model prints "train accuracy: … %" and "test accuracy: … %". A learner who drops the ``100 −``
prints the error rate, and one who prints the training figure under "test" reports a score that
never saw new data; the returned values are right in both cases, so only the printed lines show
the mistake. Any wording and number format passes: a printed number shows a value to the
digits it prints.
"""

from __future__ import annotations

import dataclasses
import decimal
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from lrnn.check import locate as loc
from lrnn.check.cases import Case
from lrnn.check.compare import Finding
from lrnn.check.sandbox import CallResult
from lrnn.config import PRINT_EVERY

CallTest = Callable[[CallResult], Finding | str | None]


def in_turn(*tests: CallTest) -> CallTest:
    """Several call tests as one: the first failure, else the first note."""

    def test(result: CallResult) -> Finding | str | None:
        verdicts = [t(result) for t in tests]
        failure = next((v for v in verdicts if isinstance(v, Finding)), None)
        return failure or next((v for v in verdicts if v), None)

    return test


def quiet_without_print_cost(result: CallResult) -> str | None:
    """With print_cost=False the lesson prints no costs: a note (the answer is still right)."""
    if result.left_out:  # no print_cost parameter: the print_cost=True case says so
        return None
    if not any("cost" in line.lower() for line in result.printed.splitlines()):
        return None
    return (  # the same words for every case, so that the function gets one note
        "with print_cost=False it still prints the costs; the lesson prints them only when "
        f"asked: `if print_cost and i % {PRINT_EVERY} == 0:`."
    )


def with_print_cost(
    case: Case, name: str, costs: Callable[[Any], list[float]], also: CallTest | None = None
) -> Case:
    """The same call with print_cost=True (its last argument): the same answer is expected,
    and what it printed must show the recorded costs, ``costs`` of the case's own reference
    run (its ``prepare``, computed once for both cases); ``also``: a further test of the call
    (model's printed accuracies, often printed only with print_cost)."""
    reference_run = case.prepare
    assert reference_run is not None
    iterations = case.inputs["num_iterations"]
    prints_costs = _prints_costs(lambda: costs(reference_run()), iterations, name)
    call_test = prints_costs if also is None else in_turn(prints_costs, also)

    return dataclasses.replace(
        case,
        label=f"{case.label}, print_cost=True",
        args=[*case.args[:-1], True],
        inputs={**case.inputs, "print_cost": True},
        prepare=None,
        call_test=call_test,
    )


#: A number as printed: with a decimal point or an exponent (iteration counts have neither).
_PRINTED_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+")


def _printed_numbers(line: str) -> list[tuple[float, float]]:
    """(value, half a unit in its last printed digit) for each decimal number on the line."""
    found = []
    for token in _PRINTED_NUMBER.findall(line):
        digits = decimal.Decimal(token)
        exponent = digits.as_tuple().exponent
        if isinstance(exponent, int):
            found.append((float(digits), 0.5 * 10.0**exponent))
    return found


def _shows(value: float, half: float, cost: float) -> bool:
    """A printed number shows the cost to the digits printed (half a unit of the last one)."""
    return abs(value - cost) <= half + 1e-9 * abs(cost)


def _first_not_printed(costs: list[float], numbers: list[list[tuple[float, float]]]) -> int | None:
    """The first cost missing from the printed numbers read in order, several to a line if
    need be; None when all are there (``print(costs)`` after the loop: the numbers are right,
    only the lesson's one line per cost is not)."""
    printed = iter([number for line in numbers for number in line])
    for k, cost in enumerate(costs):
        if not any(_shows(v, half, cost) for v, half in printed):  # reads on from the last
            return k
    return None


#: What the lesson's optimize and model are called with, for messages about print_cost.
_SIGNATURES = {
    "optimize": "optimize(w, b, X, Y, num_iterations, learning_rate, print_cost=False)",
    "model": "model(X_train, Y_train, X_test, Y_test, num_iterations, learning_rate, "
    "print_cost=False)",
}


def _prints_costs(
    expected: Callable[[], list[float]], iterations: int, name: str
) -> Callable[[CallResult], Finding | str | None]:
    """With print_cost=True the lesson prints the cost every PRINT_EVERY iterations: one line
    for each recorded cost, its value to the digits shown (any wording, any format). model
    does it by handing print_cost on to optimize."""

    def test(result: CallResult) -> Finding | str | None:
        if result.left_out:
            return (
                f"it has no print_cost parameter: the lesson's {_SIGNATURES[name]} prints the "
                f"cost every {PRINT_EVERY} iterations when print_cost is True."
            )
        costs = [float(c) for c in expected()]
        # a long output keeps its start and end, and its short numbered lines whole: searched
        # in that order (a cost line over 200 characters is found at the start, as before)
        text = result.printed
        if result.printed_cut and result.printed_numbered:
            text += "\n" + result.printed_numbered
        lines = [line for line in text.splitlines() if line.strip()]
        numbers = [_printed_numbers(line) for line in lines]
        if name == "model" and not any(
            abs(v - costs[0]) <= half + 1e-9 for row in numbers for v, half in row
        ):
            return Finding(
                "with print_cost=True it printed no costs: hand print_cost on to optimize "
                "(optimize(w, b, X_train, Y_train, num_iterations, learning_rate, print_cost)), "
                f"which prints the cost every {PRINT_EVERY} iterations (an optimize without a "
                "print_cost parameter needs one first).",
                loc.called("optimize"),
            )
        if not lines:
            return Finding(
                f"it printed nothing: the lesson prints the cost every "
                f"{PRINT_EVERY} iterations (after iteration 0, {PRINT_EVERY}, …), e.g. "
                f'print(f"Cost after iteration {{i}}: {{cost:f}}") inside `if i % {PRINT_EVERY} '
                "== 0:`.",
                loc.first_of(loc.modulo(), loc.loop()),
            )
        start = 0
        for k, cost in enumerate(costs):
            after = range(start, len(lines))
            hit = next((r for r in after if any(_shows(v, h, cost) for v, h in numbers[r])), None)
            if hit is None and result.printed_cut and k > 0:
                continue  # its line may be in the middle cut out of a long output (the
                # first cost's line, at the start, is always kept)
            if hit is None:
                missing = _first_not_printed(costs, numbers)  # several to a line, say
                if missing is None:
                    return (
                        "it printed the costs several to a line (the whole list at the end?); "
                        f"the lesson prints each cost on its own line as it is computed, every "
                        f"{PRINT_EVERY} iterations, so that a long run shows its progress."
                    )
                return Finding(
                    f"no printed line shows the cost after iteration {missing * PRINT_EVERY} "
                    f"({costs[missing]:f}); the lesson prints the cost J computed in that "
                    f"iteration, every {PRINT_EVERY} iterations. It printed: "
                    f"{lines[0][:120]!r}" + (" …" if len(lines) > 1 else "") + ".",
                    loc.first_of(loc.called("print"), loc.modulo()),
                )
            start = hit + 1
        # a cut output's lines above hold some twice (its numbered lines): its own count
        printed = (
            result.printed_lines if result.printed_cut else max(len(lines), result.printed_lines)
        )
        if printed > 2 * len(costs):
            return (
                f"with print_cost=True it printed {printed} lines for {iterations} "
                f"iterations; the lesson prints one cost every {PRINT_EVERY} iterations "
                f"({len(costs)} here), which keeps a 2000-iteration run readable."
            )
        return None

    return test


#: "train" or "test" as a word of its own or a name's part (train_acc), not "retrain".
_PART = re.compile(r"(?<![a-z])(train|test)", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def printed_accuracies(text: str) -> list[tuple[str, list[tuple[float, float, str]]]]:
    """(part, its numbers) for each "train" or "test" on a line that mentions accuracy: the
    numbers up to the next such word, each as (value, half a unit of its last digit, token)."""
    found = []
    for line in text.splitlines():
        if "acc" not in line.lower():
            continue
        marks = list(_PART.finditer(line))
        for k, mark in enumerate(marks):
            end = marks[k + 1].start() if k + 1 < len(marks) else len(line)
            numbers = []
            for number in _NUMBER.finditer(line, mark.end(), end):
                token = number.group()
                exponent = decimal.Decimal(token).as_tuple().exponent
                half = 0.5 * 10.0 ** (exponent if isinstance(exponent, int) else 0)
                numbers.append((float(token), half, token))
            if numbers:
                found.append((mark.group().lower(), numbers))
    return found


def _shows_percent(value: float, half: float, percent: float) -> bool:
    """A printed number shows a percentage, or the same as a fraction, to its printed digits;
    a whole number may be the percentage cut off rather than rounded (``"%d" % 66.67``)."""
    if any(abs(value - p) <= half + 1e-9 for p in (percent, percent / 100)):
        return True
    return half == 0.5 and value <= percent < value + 1


def judge_printed_accuracies(
    data: dict[str, Any],
) -> Callable[[CallResult], Finding | None]:
    """A call test for model: each printed train/test accuracy is its own predictions'."""

    def test(result: CallResult) -> Finding | None:
        got = result.value
        percent, signed = {}, {}
        for part in ("train", "test"):
            pred = np.asarray(got[f"Y_prediction_{part}"], dtype=float)
            percent[part] = 100 - float(np.mean(np.abs(pred - data[f"Y_{part}"]))) * 100
            # without np.abs a wrong 1 and a wrong 0 cancel: 100 % with a third wrong
            signed[part] = 100 - float(np.mean(pred - data[f"Y_{part}"])) * 100
        for part, numbers in printed_accuracies(result.printed):
            if any(_shows_percent(value, half, percent[part]) for value, half, _ in numbers):
                continue  # "train accuracy after 2000 iterations: 99.04 %" has two numbers
            # the one meant as the accuracy: the first with a decimal point, else the first
            value, half, token = next((n for n in numbers if "." in n[2]), numbers[0])
            other = "test" if part == "train" else "train"
            if signed[part] != percent[part] and _shows_percent(value, half, signed[part]):
                why = (
                    f"np.abs is missing: in np.mean(Y_prediction_{part} − Y_{part}) a 1 "
                    "predicted for a 0 and a 0 for a 1 cancel; the accuracy is 100 − "
                    f"np.mean(np.abs(Y_prediction_{part} − Y_{part})) × 100"
                )
            elif _shows_percent(value, half, percent[other]):
                why = f"that is the {other} accuracy ({percent[other]:.2f} %)"
            elif _shows_percent(value, half, 100 - percent[part]):
                why = (
                    f"that is the error rate: 100 − np.mean(np.abs(Y_prediction_{part} − "
                    f"Y_{part})) × 100 is the accuracy, the mean alone the share of mistakes"
                )
            else:
                why = f"the accuracy is 100 − np.mean(np.abs(Y_prediction_{part} − Y_{part})) × 100"
            return Finding(
                f"it prints {token} as the {part} accuracy, but its own Y_prediction_{part} "
                f"is {percent[part]:.2f} % right; {why}.",
                loc.printed_words(f"{part}"),
            )
        return None

    return test
