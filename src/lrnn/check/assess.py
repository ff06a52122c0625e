"""From what a learner's function did on each case to one verdict and one diagnosis.

Order of blame, for the first case that goes wrong: the function did not finish (time, memory,
crash), it raised (its own line and a plain hint for the usual errors), it changed an input in
place, or its answer is wrong (the case's judge names the mistake). An answer no known mistake
explains is shown as expected vs got together with the smallest input that fails.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from lrnn.check import locate as loc
from lrnn.check.cases import Case, FunctionCheck
from lrnn.check.compare import Finding
from lrnn.check.sandbox import (
    CUT_SHORT,
    INTERRUPTED,
    NOT_CHECKED,
    NOT_RUN,
    CallResult,
    FunctionRun,
)


@dataclass
class FunctionReport:
    """The verdict on one lesson function, as printed and as in --json."""

    name: str
    found: bool
    passed: bool = False
    diagnosis: str = ""
    notes: list[str] = field(default_factory=list)
    output: str = ""
    #: Why it was not (fully) run: "" (it was), "callee" (a function it calls hangs), "time"
    #: (the whole check's time ran out first).
    skipped: str = ""
    #: Failing functions it calls that explain its own failure (fix those first).
    waits_for: list[str] = field(default_factory=list)
    #: Not found, but the file defines a function of a name close to it (sigmoid_fn).
    like: str = ""

    @property
    def ran(self) -> bool:
        return not self.skipped

    def line(self) -> str:
        if not self.found:
            if self.like:
                return (
                    f"– {self.name}: not found; the file defines {self.like}, but the check "
                    f"looks for the lesson's name: rename it {self.name} to have it checked"
                )
            return f"– {self.name}: not found"
        if self.passed:
            return f"✓ {self.name}"
        if self.skipped == "interrupted":  # no verdict either way
            return f"– {self.name}: {INTERRUPTED}"
        return f"✗ {self.name}: {self.diagnosis}"


def _place(error: dict[str, Any]) -> str:
    file, line = error.get("file"), error.get("line")
    if not line:
        return ""
    where = f"{file}, line {line}" if str(file).startswith("code cell") else f"line {line}"
    source = error.get("source")
    return f"{where}: `{source}`" if source else where


def error_message(name: str, error: dict[str, Any], memory_mb: int | None) -> str:
    """'line 7: `dw = …` raised ValueError: shapes … — the sizes do not fit: …'"""
    kind, text = str(error.get("type", "Exception")), str(error.get("message", "")).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 2:  # numpy's np.float message runs to five lines with a link: the first two
        text = " ".join(lines[:2]) + " …"
    else:
        text = " ".join(lines)
    place = _place(error)
    inner = error.get("function")
    head = f"{place} raised {kind}" if place else f"raised {kind}"
    if inner and inner != name and inner != "<module>":
        head += f" (inside {inner})"
    if kind == "SystemExit":
        return (
            f"{head} ({text}): it calls sys.exit() or exit(); a function should return "
            "its result, not end the program."
        )
    head = f"{head}: {text}" if text else head
    if kind in ("FileNotFoundError", "PermissionError", "IsADirectoryError"):
        return (  # the file beside theirs is not beside the code while it is checked
            f"{head}. The check runs each function in an empty folder of its own, so files "
            "beside your code are not there: a lesson function takes its data as arguments "
            "and reads no file; load the data outside the functions."
        )
    sizes = ("not aligned", "could not be broadcast", "matmul", "shapes")
    if name == "optimize" and inner == "propagate" and any(n in text for n in sizes):
        # propagate is checked on its own first: arrays that no longer fit it come from
        # optimize's updates (b = b − α·dw makes b an array the shape of w).
        return (
            f"{head}. The sizes stopped fitting after an update in optimize: check that w "
            "is updated with dw and b with db (b = b - learning_rate * db), so that w stays "
            "(features, 1) and b a number."
        )
    source = str(error.get("source") or "")
    rows = re.findall(r"\(1,\s*(\d+)\)", text) if "could not be broadcast" in text else []
    if name == "model" and len(set(rows)) == 2 and "Y_prediction" in source:
        small, large = sorted(map(int, set(rows)))
        return (
            f"{head}. A set's predictions and its labels differ in size ({small} against "
            f"{large} examples): the predictions come from the other set's pictures? "
            "Y_prediction_test = predict(w, b, X_test) and Y_prediction_train = predict(w, "
            "b, X_train)."
        )
    to_number = re.search(r"\b(float|int)\s*\(", source)
    if to_number and "only 0-dim" in text:  # NumPy ≥ 2.4: even a (1, 1) array is refused
        call = to_number.group(1)
        return (
            f"{head}. Since NumPy 2.4, {call}(…) takes only a 0-dimensional array, not even "
            f"a (1, 1) one: if the array holds a single value (a cost from np.dot), take it "
            f"with np.squeeze(…) or .item(), e.g. {call}(np.squeeze(cost)); if it holds "
            "more, keep the array (the lesson's functions work on whole arrays)."
        )
    if to_number and any(n in text for n in ("only length-1", "only size-1")):
        return (
            f"{head}. {to_number.group(1)}(…) turns an array into one number, which works only "
            "for a single value; keep the array (the lesson's functions work on whole arrays)."
        )
    hints = [
        (
            sizes,
            "The sizes in a product or sum do not fit: X is (features, examples), w is "
            "(features, 1), Y is (1, examples); check which array needs .T.",
        ),
        (
            ("only length-1 arrays", "only size-1 arrays", "only 0-dimensional"),
            "math.exp and math.log take one number; use np.exp and np.log so it works on arrays.",
        ),
        (
            ("math range error",),
            "math.exp raises this beyond e^709 (z below about −709 in σ's e^−z); np.exp gives "
            "inf there instead, which σ turns into 0: use np.exp, which also works on arrays.",
        ),
    ]
    for needles, hint in hints:
        if any(n in text for n in needles):
            return f"{head}. {hint}"
    missing = re.search(r"name '(\w+)' is not defined", text) if kind == "NameError" else None
    imports = {
        "np": "import numpy as np",
        "pd": "import pandas as pd",
        "plt": "import matplotlib.pyplot as plt",
        "scipy": "import scipy",
    }
    if missing and missing.group(1) in sys.stdlib_module_names:
        # a module of Python's own used as one (the lesson's optimize calls copy.deepcopy);
        # not a variable that happens to share a module's name (array, code, string), nor
        # NumPy's module of the name (random.randn is np.random's, not Python's random's)
        used = re.search(rf"\b{missing.group(1)}\s*\.\s*(\w+)", source)
        if used and _module_has(missing.group(1), used.group(1)):
            imports[missing.group(1)] = f"import {missing.group(1)}"
    if missing and missing.group(1) in imports:
        return f"{head}. Add `{imports[missing.group(1)]}` at the top of the file (or notebook)."
    if kind == "NameError":
        return f"{head}. {_name_error_hint(missing.group(1) if missing else '')}"
    if "NoneType" in text and kind in ("AttributeError", "TypeError"):
        return (
            f"{head}. A value here is None: an exercise placeholder (such as A = None) not "
            "replaced yet, or a function that returns nothing (its return line missing)?"
        )
    if kind in ("ImportError", "ModuleNotFoundError"):
        return f"{head}. The module is not available to the check; install it or drop the import."
    if kind == "MemoryError":
        limit = f" (the check allows {memory_mb} MB)" if memory_mb else ""
        return f"{head}: it ran out of memory{limit}; an array far larger than needed is made."
    if kind == "RecursionError":
        return f"{head}: the function calls itself without end."
    if kind == "EOFError":
        return f"{head}: it asks for input(); the check has no keyboard."
    return head


#: Python's own modules a learner's numeric code uses, which do nothing when imported: the
#: only ones imported to answer :func:`_module_has` (``this`` prints, ``antigravity`` opens a
#: browser); any other is asked only if this process has loaded it already.
_QUIET_MODULES = frozenset(
    "copy math random statistics fractions decimal itertools functools collections time json "
    "os sys re string operator numbers".split()
)


def _module_has(module: str, name: str) -> bool:
    """Whether Python's own ``module`` has ``name``."""
    import importlib

    loaded = sys.modules.get(module)
    if loaded is None and module in _QUIET_MODULES:
        loaded = importlib.import_module(module)
    return loaded is not None and hasattr(loaded, name)


#: The lesson's functions and the names its code uses, for telling a typo from a global.
_LESSON_FUNCTIONS = (
    "sigmoid",
    "initialize_with_zeros",
    "propagate",
    "optimize",
    "predict",
    "model",
)
_LESSON_NAMES = ("w", "b", "X", "Y", "A", "m", "dw", "db", "cost", "costs", "grads", "params")


def missing_lesson_function(error: dict[str, Any] | None) -> str | None:
    """The lesson function whose absence raised ``error`` (a NameError), if that is what it
    was: the function that raised it waits for that one to be written."""
    if not error or error.get("type") != "NameError":
        return None
    missing = re.search(r"name '(\w+)' is not defined", str(error.get("message", "")))
    return missing.group(1) if missing and missing.group(1) in _LESSON_FUNCTIONS else None


def _name_error_hint(missing: str) -> str:
    """What a missing name most likely is: a lesson function not written (yet), a name typed
    in the other case (Python tells y from Y), or a global from code the check does not run."""
    if missing in _LESSON_FUNCTIONS:
        return (
            f"{missing} is one of the lesson's functions, and the file does not define it "
            "(yet): write it, then check again."
        )
    same = [n for n in _LESSON_NAMES if n.lower() == missing.lower() and n != missing]
    if same:
        return (
            f"A typo for {same[0]}? Python tells upper and lower case apart ({missing} is "
            f"not {same[0]})."
        )
    return (
        "If that is a global made by code that loads data or trains (a notebook cell, or the "
        "file's top level), pass it in as an argument: the check runs only imports and "
        "definitions."
    )


def mutation_message(name: str, mutated: list[str]) -> Finding:
    arg = mutated[0]
    return Finding(
        f"{name} changes its argument {arg} in place, so the caller's array is modified too "
        f"(an update such as {arg} -= … or {arg}[…] = …). Work on a new array: "
        f"{arg} = {arg} - … (or {arg} = {arg}.copy() first).",
        loc.in_place(arg),
    )


def _inputs_text(case: Case) -> str:
    parts = []
    for key, value in case.inputs.items():
        if isinstance(value, np.ndarray):
            text = np.array2string(value, precision=4, separator=", ", threshold=30)
            text = re.sub(r"\s*\n\s*", " ", text)
        else:
            text = repr(value)
        parts.append(f"{key} = {text}")
    return ", ".join(parts)


def _finding_for(
    case: Case, result: CallResult, name: str, memory_mb: int | None, explain: bool = True
) -> Finding | None:
    if result.error:
        return Finding(error_message(name, result.error, memory_mb))
    if result.mutated:
        return mutation_message(name, result.mutated)
    return case.judge(result.value, explain=explain)


#: What numpy's warning says made the nan (or inf) when nothing overflowed, and the way out.
_NOT_OVERFLOW = {
    "invalid value encountered in log": (
        "np.log of a negative number is nan: the loss takes log A and log(1 − A), "
        "both of numbers between 0 and 1"
    ),
    "divide by zero encountered in log": (
        "np.log(0) is −inf (and 0 · −inf is nan): the logs take A and 1 − A, which are never 0 "
        "for these inputs, not Y or 1 − Y"
    ),
    "invalid value encountered in divide": "0 / 0 is nan: look at what is divided there",
    "divide by zero encountered in divide": "a number divided by 0 is inf: look at the divisor",
    "invalid value encountered in sqrt": "np.sqrt of a negative number is nan",
}


def _nan_without_overflow(found: Finding, result: CallResult) -> Finding:
    """A nan that numpy made without any overflow (``np.log(A - 1)``) was explained as
    overflow, with advice about σ that does not apply: numpy's own warning says what it was."""
    if ": numerical overflow." not in found.message or not result.warnings:
        return found
    said = [str(w.get("message", "")) for w in result.warnings]
    if any("overflow" in s for s in said):
        return found
    head = found.message.split(": numerical overflow.")[0]
    why = _NOT_OVERFLOW.get(said[0], "look at what that line computes")
    return replace(
        found, message=f"{head}, and nothing overflowed: numpy warned '{said[0]}'. {why}."
    )


def assess(
    check: FunctionCheck,
    run: FunctionRun,
    src: loc.FunctionSource | None,
    failed: set[str],
    memory_mb: int | None = None,
) -> FunctionReport:
    """The verdict on ``check.name`` from its run; ``failed`` are lesson functions that failed."""
    name = check.name
    report = FunctionReport(name, found=True, output=run.output)
    findings: list[tuple[int, Finding]] = []
    # what an extreme case forgives ("nothing to fix …") is said only when nothing else fails:
    # beside a real failure it reads as telling the learner to leave that failure alone
    forgiven: list[str] = []
    deps = sorted(failed & (src.called_names() if src else set(check.calls)))
    for index, case in enumerate(check.cases):
        result = run.results.get(index)
        if result is None:
            continue
        excuse = case.excused(result.error) if result.error and case.excused else None
        if excuse:  # an error the case forgives (math.log(0) at extreme logits)
            forgiven.append(excuse)
            continue
        found = _finding_for(case, result, name, memory_mb, explain=not deps)
        notes: list[str | Finding | None] = []
        if not found and case.call_test is not None:  # what the value does not show
            tested = case.call_test(result)
            found = tested if isinstance(tested, Finding) else None
            notes.append(tested)
        if found:
            findings.append((index, _nan_without_overflow(found, result)))
        else:
            report.notes += [n for n in notes if isinstance(n, str) and n and n not in report.notes]
            note = case.note(result.value) if case.note else None
            if note:
                forgiven.append(note)
    if not findings:
        report.notes += [n for n in forgiven if n not in report.notes]
    if run.stopped:
        if run.stopped.startswith(NOT_RUN):
            report.skipped = "callee"
            report.waits_for = list(run.not_run_for)  # --json names them as the text does
        elif run.stopped.startswith((NOT_CHECKED, CUT_SHORT)):
            report.skipped = "time"
        elif run.stopped == INTERRUPTED:
            report.skipped = "interrupted"
        report.diagnosis = _stopped_diagnosis(name, run.stopped, src)
        return report
    if not findings:
        report.passed = True
        return report
    index, finding = findings[0]
    shown = False
    if not finding.known:  # expected vs got: on the smallest input that shows it, quoted
        smallest = min(findings, key=lambda f: check.cases[f[0]].size)
        if check.cases[smallest[0]].inputs and check.cases[smallest[0]].size <= 60:
            (index, finding), shown = smallest, True
    case = check.cases[index]
    if src is not None:
        finding = _found_in_code(finding, src)
    while src is None and finding.needs_code and finding.alternative is not None:
        finding = finding.alternative
    text = finding.message
    if shown:
        text = f"With the smallest input that shows it, {_inputs_text(case)}: {text}"
    elif index > 0:
        text = f"With {case.label}: {text}"
    if deps and not _mutates_on_its_own(run, index, src):
        # What it returns follows from the broken function it calls: name that one only.
        report.waits_for = deps
        dep = " and ".join(deps)
        verb = "fails" if len(deps) == 1 else "fail"
        report.diagnosis = (
            f"{name} calls {dep}, which {verb} "
            f"{'its' if len(deps) == 1 else 'their'} own check: fix that "
            "first, then check again."
        )
        return report
    mistake = loc.source_mistake(src) if src is not None else None
    if mistake is not None:  # a call read wrongly explains any failure after it
        report.diagnosis = f"{mistake[0]} {src.where(mistake[1])}"  # type: ignore[union-attr]
        return report
    where = ""
    if src is not None and finding.locate is not None:
        text, where = _pointed(name, finding, src, text)
    text = f"{text} {where or result_warning_line(run, index)}".rstrip()
    report.diagnosis = text
    missing = missing_lesson_function(run.results[index].error)
    if missing is not None:  # the summary then says to write that one, not to fix this one
        report.waits_for = [missing]
    return report


def _found_in_code(finding: Finding, src: loc.FunctionSource) -> Finding:
    """Of the known mistakes that give this answer, the first whose line is in the code: on
    the lesson's example ``sigmoid(np.dot(w.T, X)) + b`` and ``X / 255`` give the same labels,
    and only the code tells which one the learner wrote."""
    candidate: Finding | None = finding
    while candidate is not None:
        if candidate.locate is not None and candidate.locate(src) is not None:
            return candidate
        candidate = candidate.alternative
    return finding


def _stopped_diagnosis(name: str, stopped: str, src: loc.FunctionSource | None = None) -> str:
    """What to do about a function that did not finish (or was not run because of one)."""
    if stopped.startswith(NOT_RUN):
        return f"{name} {stopped}, then check again."
    hint = ""
    line = loc.process_ender(src) if src is not None and "exit status" in stopped else None
    if line is not None:  # os._exit leaves no traceback: the line is found in the code
        return f"{name} {stopped}. It ends the process itself. {src.where(line)}"
    if stopped.startswith(CUT_SHORT):
        hint = (
            " The check's time ran out while it ran: fix any function that fails and check "
            "again, or give more time with --total-time-limit."
        )
    elif "longer than" in stopped and (slow := _slow_call_at(stopped, src)):
        hint = (
            f" Line {slow[0]} {slow[1]} at every iteration, which is what took the time on the "
            "cat pictures: leave it out of the loop (or give more time with --time-limit)."
        )
    elif "longer than" in stopped:
        hint = (
            " Look for a loop that never ends (a while loop whose condition never changes), "
            "or for Python loops over every example and feature, far too slow for the cat "
            "pictures: use np.dot (or give more time with --time-limit)."
        )
    return f"{name} {stopped}.{hint}"


_SLOW_CALL = re.compile(rf"\b({'|'.join(loc.SLOW_CALLS)})\s*\(")


def _slow_call_at(stopped: str, src: loc.FunctionSource | None) -> tuple[int, str] | None:
    """(line, what it does) when the line a stopped run was caught at — the innermost one
    named, in the function's own file — prints or waits: no loop is too slow there, so the
    advice about loops would send the learner looking for one that is not."""
    if src is None or "the while loop it ran in" in stopped:  # the loop never ends
        return None
    inner = re.search(r"in a call to \w+ \(line (\d+)\)", stopped) or re.search(
        r"it was at [^,()]+, line (\d+)\b(?!, in a call)", stopped
    )
    line = int(inner.group(1)) if inner else 0
    if not 0 < line <= len(src.lines):
        return None
    call = _SLOW_CALL.search(src.lines[line - 1].split("#", 1)[0])
    if call:
        return line, loc.SLOW_CALLS[call.group(1)]
    # caught between two of its calls (a busy machine): the slow call in the loop it ran in
    found = loc.slow_call_in_loop_at(src, line)
    if found is None:
        return None
    call = _SLOW_CALL.search(src.lines[found - 1].split("#", 1)[0])
    return (found, loc.SLOW_CALLS[call.group(1)]) if call else None


def _pointed(name: str, finding: Finding, src: loc.FunctionSource, text: str) -> tuple[str, str]:
    """The finding's text fitted to the learner's line, and where that line is."""
    line = finding.locate(src)
    where = src.where(line)
    quoted = src.lines[line - 1] if line and 0 < line <= len(src.lines) else ""
    if finding.if_axis and re.search(r"\baxis\s*=", quoted):
        text = text.replace(finding.message, finding.if_axis)
    if "m looks hard-coded" in text:
        m_line = loc.assigned("m")(src)
        if m_line is None and _reads_m(src):
            # the function never sets m: it reads a global m of the notebook (m = 209 …)
            text = text.replace(
                "use m = X.shape[1].",
                f"{name} never sets m, so it reads a global m left by other code: set "
                "m = X.shape[1] inside it.",
            )
        elif m_line and re.search(r"\bm\s*=\s*\d+\s*(#.*)?$", src.lines[m_line - 1]):
            where = src.where(m_line)  # the number written in, not the line that uses it
    if "is all zeros, as it starts" in text and "//" in quoted:
        text = re.sub(
            r"(\S+) is all zeros, as it starts: [^.]*\.",
            lambda hit: (
                f"{hit.group(1)} is all zeros: // is integer division (1 // m is 0 for "
                "m > 1); write 1 / m."
            ),
            text,
        )
    if finding.if_divided and re.search(r"/\s*\(?\s*m\b", quoted):
        text = re.sub(r"\S+ is m = \d+ times too large: the 1/m is missing\.",
                      lambda _: finding.if_divided, text)  # fmt: skip
    return text, where


def _reads_m(src: loc.FunctionSource) -> bool:
    """Whether the function's body uses a name ``m`` (as a value)."""
    return any(
        isinstance(n, ast.Name) and n.id == "m" and isinstance(n.ctx, ast.Load) for n in src.walk()
    )


def result_mutated(run: FunctionRun, index: int) -> bool:
    result = run.results.get(index)
    return bool(result and not result.error and result.mutated)


def _mutates_on_its_own(run: FunctionRun, index: int, src: loc.FunctionSource | None) -> bool:
    """Whether an argument changed in place is this function's doing: its code changes it in
    place, or the code is not there to tell. A propagate that writes into X changes optimize's
    and model's X too, through the call: those wait for propagate's fix (they were told to
    fix an update they do not make)."""
    if not result_mutated(run, index):
        return False
    if src is None:
        return True
    return any(loc.in_place(arg)(src) is not None for arg in run.results[index].mutated)


def result_warning_line(run: FunctionRun, index: int) -> str:
    result = run.results.get(index)
    if not result or not result.warnings:
        return ""
    w = result.warnings[0]
    return f"({_place(w)}: {w.get('message', '')})" if w.get("line") else ""
