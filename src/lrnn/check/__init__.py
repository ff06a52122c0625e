"""``lrnn check``: a learner's own lesson functions, checked against lrnn, each mistake named.

The learner writes ``sigmoid``, ``initialize_with_zeros``, ``propagate``, ``optimize``,
``predict`` and ``model``. :func:`check_file` reads a ``.py`` file or notebook
(:mod:`~lrnn.check.source`: only imports and definitions run), calls those functions in a separate
limited process (:mod:`~lrnn.check.sandbox`) on the lesson's worked examples, random shapes,
float32 data, extreme logits, several learning rates and iteration counts, and the lesson's cat
pictures when their files are found (:mod:`~lrnn.check.cases`, :mod:`~lrnn.check.training`), and
compares every answer with lrnn's own core. A wrong answer is matched against what the common
mistakes would have produced, so the report can say *which* mistake it is and on which line
(:mod:`~lrnn.check.assess`).

:func:`check_namespace` (``lrnn.course.check(globals())``) runs the same checks on functions
already defined in a notebook session, in that process: there the learner's code is already
running, so no time or memory limit is applied (interrupt the kernel to stop a loop).
"""

from __future__ import annotations

import difflib
import linecache
import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrnn.check import _runner
from lrnn.check.assess import FunctionReport, assess
from lrnn.check.cases import (
    SEED,
    FunctionCheck,
    init_check,
    propagate_check,
    sigmoid_check,
)
from lrnn.check.locate import FunctionSource
from lrnn.check.predict_cases import predict_check
from lrnn.check.sandbox import (
    DEFINITIONS_STOPPED,
    INTERRUPTED,
    FunctionRun,
    Limits,
    _result,
    run_solution,
)
from lrnn.check.source import Solution, read_solution
from lrnn.check.training import load_cat, model_check, optimize_check
from lrnn.errors import UsageError

__all__ = ["LESSON_FUNCTIONS", "CheckReport", "Limits", "check_file", "check_namespace"]

LESSON_FUNCTIONS = ("sigmoid", "initialize_with_zeros", "propagate", "optimize", "predict", "model")


@dataclass(repr=False)
class CheckReport:
    """Verdicts for the six functions, and notes about the solution as a whole."""

    functions: list[FunctionReport]
    notes: list[str] = field(default_factory=list)
    cat: bool = False  # whether the lesson's cat pictures were part of the check
    #: Ctrl-C stopped the run on the cat pictures; the verdicts are the small cases'
    interrupted: bool = False
    #: how to give the cat pictures' folder: the command's option, or check()'s argument
    give_data: str = (
        "give their folder with --data DIR, or put them in a 'datasets' folder beside your file"
    )

    def __repr__(self) -> str:
        """One line: ``check(globals())`` ends a notebook cell, whose value Jupyter shows
        under the verdicts it has just printed."""
        passing = sum(f.passed for f in self.found)
        return f"<lrnn check: {passing} of {len(self.found)} functions found pass>"

    @property
    def found(self) -> list[FunctionReport]:
        return [f for f in self.functions if f.found]

    @property
    def passed(self) -> bool:
        """Every function found passes — and at least one was found, and the check ran to its
        end (Ctrl-C leaves the verdicts made so far, not a pass)."""
        return bool(self.found) and all(f.passed for f in self.found) and not self.interrupted

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            **({"interrupted": True} if self.interrupted else {}),
            "functions": [
                {
                    "name": f.name,
                    "found": f.found,
                    "passed": f.passed,
                    "ran": f.found and f.ran,  # a function not found never ran
                    "waits_for": f.waits_for,
                    # a function not found: the name the file gives a function like it, as
                    # the text output says ("" when none)
                    "defined_as": f.like,
                    "diagnosis": f.diagnosis,
                    "notes": f.notes,
                }
                for f in self.functions
            ],
            "notes": list(self.notes),
            # what the text output ends with: the verdict in a sentence, and whether model ran
            # on the lesson's cat pictures or on small data only (a pass means less without)
            "summary": self.summary(),
            "cat_pictures": self.cat,
        }

    def lines(self, show_output: bool = False) -> list[str]:
        out = []
        for f in self.functions:
            out.append(f.line())
            out.extend(f"    note: {note}" for note in f.notes)
            if show_output and f.output.strip():
                out.append(f"    output of {f.name}:")
                out.extend(f"    | {line}" for line in f.output.rstrip().splitlines())
        out.append(self.summary())
        return out

    def summary(self) -> str:
        found = self.found
        if not found:
            return (
                "None of the lesson's functions ("
                + ", ".join(LESSON_FUNCTIONS)
                + ") were found: nothing was checked."
            )
        good = sum(f.passed for f in found)
        missing = [f.name for f in self.functions if not f.found]
        tail = f"; not found: {', '.join(missing)}" if missing else ""
        data = (
            ""
            if self.cat
            else f" (the lesson's cat pictures were not found — {self.give_data} — so model "
            "was checked on small data only)"
        )
        data = data if any(f.name == "model" and f.ran for f in found) else ""
        if self.interrupted:
            data = " Ctrl-C stopped the run on the lesson's cat pictures: run again to finish it."
            if any(f.skipped == "interrupted" for f in found):
                data = " Ctrl-C stopped the check before it finished: run again to check the rest."
        if good == len(found):
            so_far = " so far" if self.interrupted else ""
            if len(found) == 1:
                return f"The one function found passes{so_far}{tail}.{data}"
            return f"All {len(found)} functions found pass{so_far}{tail}.{data}"
        failing = [f for f in found if not f.passed]
        bad = [f.name for f in failing if f.ran and not f.waits_for]
        # functions that fail only because one they call (or one it calls…) is not written yet
        waiting: set[str] = set()
        grew = True
        while grew:
            grew = False
            for f in failing:
                if (
                    f.name not in waiting
                    and f.ran
                    and f.waits_for
                    and all(name in missing or name in waiting for name in f.waits_for)
                ):
                    waiting.add(f.name)
                    grew = True
        unwritten = [f for f in failing if f.name in waiting]
        callees = sorted({name for f in unwritten for name in f.waits_for if name in missing})
        until = (
            f"failing until then, as they call {'it' if len(bad) == 1 else 'one of them'}"
            if bad
            else "failing as they call a function that fails"
        )
        groups = [
            (until, [f.name for f in failing if f.ran and f.waits_for and f not in unwritten]),
            (f"failing until {' and '.join(callees)} {'is' if len(callees) == 1 else 'are'} "
             "written", [f.name for f in unwritten]),
            ("not run until then", [f.name for f in failing if f.skipped == "callee"]),
            ("not checked, as the check's time ran out",
             [f.name for f in failing if f.skipped == "time"]),
            ("not checked, as Ctrl-C stopped the check",
             [f.name for f in failing if f.skipped == "interrupted"]),
        ]  # fmt: skip
        said = [f"to fix: {', '.join(bad)}"] if bad else []
        said += [f"{what}: {', '.join(names)}" for what, names in groups if names]
        return f"{good} of {len(found)} functions pass; {'; '.join(said)}{tail}.{data}"


def build_checks(cat_folder: Path | None) -> list[FunctionCheck]:
    """The six functions' cases, from a fixed seed (so failing inputs can be shown and rerun)."""
    rng = np.random.default_rng(SEED)
    cat = load_cat(cat_folder) if cat_folder is not None else None
    return [
        sigmoid_check(rng),
        init_check(rng),
        propagate_check(rng),
        optimize_check(rng),
        predict_check(rng),
        model_check(rng, cat),
    ]


def find_cat_folder(candidates: list[Path]) -> Path | None:
    """The first folder holding the lesson's two .h5 files."""
    for folder in candidates:
        if (folder / "train_catvnoncat.h5").is_file() and (folder / "test_catvnoncat.h5").is_file():
            return folder
    return None


def _calls(checks: list[FunctionCheck], chosen: dict[str, list[int]]) -> dict[str, list]:
    """The sandbox's calls for the ``chosen`` cases (name → case indexes) of ``checks``."""
    by_name = {c.name: c for c in checks}
    return {
        name: [
            (case.args, case.optional, case.repeat)
            for case in (by_name[name].cases[i] for i in indexes)
        ]
        for name, indexes in chosen.items()
        if indexes
    }


def _reindex(runs: dict[str, FunctionRun], chosen: dict[str, list[int]]) -> None:
    """Results numbered by their place among the chosen cases → by their case index."""
    for name, run in runs.items():
        indexes = chosen.get(name, [])
        run.results = {indexes[k]: result for k, result in run.results.items()}


def _merge(
    runs: dict[str, FunctionRun], more: dict[str, FunctionRun], chosen: dict[str, list[int]]
) -> None:
    """A second run's results (of the ``chosen`` cases) added to the first run's."""
    _reindex(more, chosen)
    for name, run in more.items():
        runs[name].results.update(run.results)
        runs[name].output += run.output
        runs[name].stopped = runs[name].stopped or run.stopped


def _heavy_ready(
    checks: list[FunctionCheck],
    reports: list[FunctionReport],
    sources: Mapping[str, FunctionSource | None],
) -> tuple[dict[str, list[int]], dict[str, list[str]]]:
    """(name → heavy cases to run now, name → failing functions those must wait for): a
    function's heavy cases run once it and the lesson functions it calls pass the others."""
    verdicts = {r.name: r for r in reports}
    failing = {r.name for r in reports if r.found and not r.passed}
    ready: dict[str, list[int]] = {}
    waiting: dict[str, list[str]] = {}
    direct = {}
    for check in checks:
        source = sources.get(check.name)
        direct[check.name] = source.called_names() if source is not None else set(check.calls)
    for check in checks:
        heavy = [i for i, case in enumerate(check.cases) if case.heavy]
        report = verdicts[check.name]
        if not heavy or not report.found or not report.passed:
            continue  # its own verdict stands without them
        # model → optimize → propagate: a slow propagate holds up model's run as well
        callees, todo = set(), list(direct[check.name])
        while todo:
            name = todo.pop()
            if name not in callees:
                callees.add(name)
                todo.extend(direct.get(name, ()))
        blocking = sorted(failing & callees)
        if blocking:
            waiting[check.name] = blocking
        else:
            ready[check.name] = heavy
    return ready, waiting


def _say_cut_from_the_cat_run(reports: list[FunctionReport], names: set[str]) -> None:
    for report in reports:
        if report.name in names:
            report.notes.append(
                "not run on the lesson's cat pictures: Ctrl-C stopped that run, so this "
                "verdict comes from the small cases only."
            )


def _say_waiting(reports: list[FunctionReport], waiting: dict[str, list[str]]) -> None:
    for report in reports:
        if report.name in waiting:
            names = " and ".join(waiting[report.name])
            verb = "passes" if len(waiting[report.name]) == 1 else "pass"
            report.notes.append(
                f"not yet run on the lesson's cat pictures: that waits until {names} {verb}."
            )


def _prepare_all(checks: list[FunctionCheck]) -> Callable[[], None]:
    def run() -> None:
        for check in checks:
            for case in check.cases:
                if case.prepare is not None:
                    case.prepare()

    return run


def _source_of(solution: Solution, where: dict[str, Any] | None) -> FunctionSource | None:
    import ast

    if not where:
        return None
    cell = solution.cell(str(where.get("file")))
    if cell is None or cell.tree is None:
        return None
    for node in ast.walk(cell.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            if first == where.get("line"):
                return FunctionSource(node, cell.file, cell.source.splitlines())
    return None


def _verdicts(
    checks: list[FunctionCheck],
    runs: dict[str, FunctionRun],
    sources: dict[str, FunctionSource | None],
    found: set[str],
    memory_mb: int | None,
    broken: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[FunctionReport]:
    reports, failed = [], set(broken)  # a function whose cell cannot be parsed fails too
    for check in checks:
        if check.name not in found:
            reports.append(FunctionReport(check.name, found=False))
            continue
        module = (runs[check.name].where or {}).get("module", "")
        if module == "lrnn" or module.startswith("lrnn."):  # would pass, and check nothing
            failed.add(check.name)
            reports.append(_not_the_learners(check.name, module))
            continue
        report = assess(check, runs[check.name], sources.get(check.name), failed, memory_mb)
        if not report.passed:
            failed.add(check.name)
        reports.append(report)
    return reports


def _not_the_learners(name: str, module: str) -> FunctionReport:
    """A lesson name bound to lrnn's own function (``from lrnn.course import *`` after the
    learner's def replaces it): every case would pass against lrnn's answers."""
    report = FunctionReport(name, found=True, passed=False)
    report.diagnosis = (
        f"{name} here is lrnn's own ({module}.{name}), not yours, so there is nothing of "
        f"yours to check: an import such as from {module} import * binds that name (and "
        "replaces a def of it made before). Import only what you use (from lrnn.course import "
        f"check), and define {name} yourself after it."
    )
    return report


def _usual_cat_folders(beside: Path | None) -> list[Path]:
    """Where the cat files are looked for without --data: the folder LRNN_CAT_DATA names (as
    for lrnn's own tests), a ``datasets`` folder beside the solution, one in the working
    directory."""
    env = os.environ.get("LRNN_CAT_DATA")
    places = [Path(env)] if env else []
    places += [beside / "datasets"] if beside is not None else []
    return [*places, Path.cwd() / "datasets"]


def _cat_folder(given: str | Path | None, usual: list[Path], option: str) -> Path | None:
    """The folder with the lesson's cat files: the one given (refused in one line when the
    files are not there), else the first of the usual places that has them, else None."""
    if given is None:
        env = os.environ.get("LRNN_CAT_DATA")
        if env and find_cat_folder([Path(env)]) is None:  # a typo there went without a word
            warnings.warn(
                f"LRNN_CAT_DATA={env}: no train_catvnoncat.h5 and test_catvnoncat.h5 there, so "
                "it is passed over; set it to the folder that holds the lesson's two files.",
                UserWarning,
                stacklevel=2,
            )
        return find_cat_folder(usual)
    folder = find_cat_folder([Path(given)])
    if folder is None:
        raise UsageError(
            f"{given}: no train_catvnoncat.h5 and test_catvnoncat.h5 there; give the folder "
            f"that holds the lesson's two files, or leave out {option}."
        )
    return folder


def check_file(
    path: str | Path, limits: Limits | None = None, cat_folder: str | Path | None = None
) -> CheckReport:
    """Check the lesson functions in a .py file or notebook; UsageError if it cannot be read.

    ``cat_folder`` holds the lesson's ``train_catvnoncat.h5`` / ``test_catvnoncat.h5``; without
    it, a ``datasets`` folder next to the solution or in the working directory is used if present.
    """
    limits = limits or Limits()
    solution = read_solution(path)
    folder = _cat_folder(cat_folder, _usual_cat_folders(Path(path).resolve().parent), "--data")
    checks = build_checks(folder)
    started = time.monotonic()
    light = {c.name: [i for i, case in enumerate(c.cases) if not case.heavy] for c in checks}
    depends = solution.calls_between(set(light))
    sandbox = run_solution(
        solution, _calls(checks, light), limits, while_running=_prepare_all(checks), depends=depends
    )
    _reindex(sandbox.functions, light)
    found = {name for name, run in sandbox.functions.items() if run.where is not None}
    broken = solution.broken_definitions()
    sources = {name: _source_of(solution, run.where) for name, run in sandbox.functions.items()}
    reports = _verdicts(checks, sandbox.functions, sources, found, limits.memory_mb, set(broken))
    ready, waiting = _heavy_ready(checks, reports, sources)
    interrupted = sandbox.interrupted  # Ctrl-C, after some functions had finished
    if interrupted:  # the cat run is not started; those that would have had it say so
        _say_cut_from_the_cat_run(reports, set(ready))
        ready, waiting = {}, {}
    if ready:  # the lesson's full run, in a child of its own, with the time that is left
        try:
            more = run_solution(
                solution, _calls(checks, ready), limits, depends=depends, started=started
            )
        except KeyboardInterrupt:  # before any finished: the small cases' verdicts stand
            more = None
        # what Ctrl-C cut short keeps its small cases' verdict; what finished is merged
        cut = set(ready) if more is None else {
            name for name, run in more.functions.items() if run.stopped == INTERRUPTED
        }  # fmt: skip
        interrupted = bool(cut)
        kept = {name: cases for name, cases in ready.items() if name not in cut}
        if more is not None and kept:
            _merge(sandbox.functions, {n: more.functions[n] for n in kept}, kept)
            reports = _verdicts(
                checks, sandbox.functions, sources, found, limits.memory_mb, set(broken)
            )
        _say_cut_from_the_cat_run(reports, cut)
    _say_waiting(reports, waiting)
    for report in reports:
        if not report.found and report.name in broken:
            report.found, report.passed = True, False
            report.diagnosis = (
                f"its cell cannot be parsed ({broken[report.name]}), so it could not be run."
            )
    others = sorted(solution.function_names() - set(LESSON_FUNCTIONS))
    for report in reports:
        like = difflib.get_close_matches(report.name, others, n=1, cutoff=0.6)
        if not report.found and like:  # renamed (initialize_zeros): say so, not just "not found"
            report.like = like[0]
    stuck = next((r.stopped for r in sandbox.functions.values() if r.stopped and not found), "")
    if stuck.startswith(DEFINITIONS_STOPPED):  # nothing was found because nothing got that far
        reports = [_not_reached(r, stuck) if r.name in depends else r for r in reports]
    unbound = [n for n in sandbox.notes if n.get("type") == "NameError"]
    notes = [_statement_note(n) for n in sandbox.notes if n.get("type") != "NameError"]
    if unbound:  # a notebook's data preparation (m_train = train_set_x_orig.shape[0], …)
        first = _statement_note(unbound[0]).replace("NameError: ", "")
        notes.append(  # as expected of a lesson's file: said as such, not as an error
            f"{len(unbound)} statement(s) outside the functions use data the check does not "
            f"load (your data loading and training), so they were skipped, as expected; the "
            f"first: {first}"
        )
    for name, places in solution.defined_more_than_once({c.name for c in checks}).items():
        notes.append(
            f"{name} is defined {len(places)} times ({'; '.join(places)}); the check uses the "
            "last, as running every cell in order would — keep only the one you mean."
        )
    notes += [
        f"{c.file}: skipped, it cannot be parsed ({c.syntax_error})"
        for c in solution.cells
        if c.syntax_error
    ]
    cat = any("cat" in c.label for c in checks[-1].cases)
    return CheckReport(reports, notes, cat=cat, interrupted=interrupted)


def _not_reached(report: FunctionReport, stuck: str) -> FunctionReport:
    """A function the check never reached, because the solution's top-level code did not
    finish: not 'not found' (it may well be there), but not checked, saying why."""
    report.found, report.passed, report.skipped = True, False, "time"
    report.diagnosis = (
        f"{report.name} was {stuck}. Move slow work at the top level (a constant computed from "
        "a large array) into a function, or give more time with --time-limit."
    )
    return report


def _statement_note(note: dict[str, Any]) -> str:
    where = note.get("file", "")
    where = (
        f"{where}, line {note.get('line')}"
        if str(where).startswith("code cell")
        else f"line {note.get('line')}"
    )
    text = f"{where}: {note.get('type')}: {note.get('message', '')}"
    if note.get("type") in ("ImportError", "ModuleNotFoundError"):
        text += " (the check continues; any function that uses it will fail)"
    return text


def check_namespace(
    namespace: Mapping[str, Any], *, show: bool = True, cat_folder: str | Path | None = None
) -> CheckReport:
    """The same checks on functions already defined (``check(globals())``), in this process."""
    folder = _cat_folder(cat_folder, _usual_cat_folders(None), "data")
    checks = build_checks(folder)
    lesson = {c.name: namespace.get(c.name) for c in checks}
    funcs = {name: fn for name, fn in lesson.items() if callable(fn)}
    files = {fn.__code__.co_filename for fn in funcs.values() if hasattr(fn, "__code__")}
    texts = {f: "".join(linecache.getlines(f)) for f in files}
    runs: dict[str, FunctionRun] = {}
    sources: dict[str, FunctionSource | None] = {}
    outputs: dict[str, Any] = {}

    def run_cases(check: FunctionCheck, indexes: list[int]) -> None:
        fn = funcs[check.name]
        run = runs.setdefault(check.name, FunctionRun(check.name, where={}))
        output = outputs.setdefault(check.name, _runner.CappedText())  # as the sandbox keeps it
        for index in indexes:
            case = check.cases[index]
            args = [a.copy() if isinstance(a, np.ndarray) else a for a in case.args]
            result, _ = _runner.call_case(
                fn, args, case.optional, files, texts, output, case.repeat
            )
            run.results[index] = _result(result)
        run.output = output.text()

    for check in checks:
        if check.name in funcs:
            module = str(getattr(funcs[check.name], "__module__", "") or "")
            runs[check.name] = FunctionRun(check.name, where={"module": module})
            run_cases(check, [i for i, case in enumerate(check.cases) if not case.heavy])
            sources[check.name] = FunctionSource.from_function(funcs[check.name])
    reports = _verdicts(checks, runs, sources, set(funcs), None)
    ready, waiting = _heavy_ready(checks, reports, sources)
    for check in checks:
        if check.name in ready:
            run_cases(check, ready[check.name])
    if ready:
        reports = _verdicts(checks, runs, sources, set(funcs), None)
    _say_waiting(reports, waiting)
    report = CheckReport(reports, cat=any("cat" in c.label for c in checks[-1].cases))
    report.give_data = (  # in a notebook: check()'s own argument, not the command's option
        "give their folder as check(globals(), data=\"DIR\"), or put them in a 'datasets' "
        "folder in the working directory"
    )
    if show:
        for line in report.lines():
            print(line)
    return report
