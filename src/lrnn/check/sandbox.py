"""Running a learner's functions in a separate, limited Python process.

The child is ``python -I`` running :mod:`lrnn.check._runner` as a script, in its own session
(so a kill reaches anything it started) and in a fresh temporary folder, with a minimal
environment (one BLAS thread, a non-interactive matplotlib backend), stdin closed and its
stdout/stderr going to files there. It reports JSON lines on a pipe. The parent:

* gives each function ``time_limit`` seconds and the whole check ``total_limit``; a function that
  runs over is stopped (after a stack dump that says which of the learner's lines it was on) and
  the remaining functions continue in a fresh child;
* treats a child that dies (``os._exit``, a crash, the memory limit) as a failure of the function
  it was running, and carries on the same way;
* reads at most :data:`MAX_MESSAGE_BYTES` from the pipe and decodes values with
  :func:`lrnn.check._runner.decode` — JSON and whitelisted numeric arrays, never pickle.

This is a safety net for honest mistakes (infinite loops, huge arrays, ``sys.exit()``, floods of
output), not a security boundary for hostile code: the child runs as the same user.
"""

from __future__ import annotations

import json
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrnn.check import _runner
from lrnn.check.source import Solution

RUNNER = Path(_runner.__file__)
#: Most bytes the parent reads from one child (results of all its calls together).
MAX_MESSAGE_BYTES = 512 * 2**20
#: Seconds the child may take to start and run the learner's imports and definitions.
SETUP_SECONDS = 60.0
#: Arrays larger than this travel to the child as .npy files instead of inline base64.
INLINE_BYTES = 2**20


@dataclass
class CallResult:
    """One call's outcome as the child reported it, values decoded."""

    value: Any = None
    error: dict[str, Any] | None = None
    mutated: list[str] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    printed: str = ""  # what this call printed (its middle cut out when long)
    printed_lines: int = 0  # how many lines it printed, all told
    printed_cut: bool = False  # whether ``printed`` lost its middle (a long output)
    #: when it did: its short lines that hold a number, in order (where costs are printed)
    printed_numbered: str = ""
    left_out: int = 0  # trailing optional arguments its signature had no room for


@dataclass
class FunctionRun:
    """Everything the child said about one function."""

    name: str
    where: dict[str, Any] | None = None  # {"file", "line"} of its def, when found
    results: dict[int, CallResult] = field(default_factory=dict)
    stopped: str | None = None  # why the function did not finish: timeout, crash, …
    output: str = ""
    finished: bool = False  # every case ran to its end (a result or an exception each)
    #: the functions it calls, directly or not, that did not finish (so it was not run)
    not_run_for: list[str] = field(default_factory=list)


@dataclass
class SandboxReport:
    functions: dict[str, FunctionRun]
    notes: list[dict[str, Any]] = field(default_factory=list)  # statements that failed
    #: Ctrl-C came after some functions had finished: theirs are the results, the others
    #: are marked INTERRUPTED
    interrupted: bool = False


@dataclass
class Limits:
    time_limit: float = 30.0  # seconds per function
    total_limit: float = 180.0  # seconds for everything
    memory_mb: int = 2048  # address space the learner's code may add


def _child_env(home: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
    }
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = "1"
    return env


def _encode_arg(value: Any, folder: Path, counter: list[int]) -> Any:
    if isinstance(value, np.ndarray) and value.nbytes > INLINE_BYTES:
        counter[0] += 1
        path = folder / f"input-{counter[0]}.npy"
        np.save(path, value, allow_pickle=False)
        return {"$file": str(path)}
    return _runner.encode(value)


class _Child:
    """One running child and the events it has sent so far."""

    def __init__(self, job: dict[str, Any], tmp: Path) -> None:
        self.tmp = tmp
        job_path = tmp / "job.json"
        job_path.write_text(json.dumps(job), encoding="utf-8")
        read_fd, write_fd = os.pipe()
        work = tmp / "work"
        work.mkdir(exist_ok=True)
        with open(tmp / "stdout.txt", "ab") as out, open(tmp / "stderr.txt", "ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", str(RUNNER), str(job_path), str(write_fd)],
                cwd=work,
                env=_child_env(work),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        os.close(write_fd)
        self.fd = read_fd
        self.buffer = b""
        self.read_total = 0
        self.eof = False
        self.killed = False

    def events(self, deadline: float) -> list[dict[str, Any]]:
        """Events that arrive before ``deadline`` (monotonic); [] on timeout or end of pipe."""
        out: list[dict[str, Any]] = []
        while not out and not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                break
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                self.eof = True
            self.read_total += len(chunk)
            if self.read_total > MAX_MESSAGE_BYTES:
                raise _TooMuch()
            self.buffer += chunk
            *lines, self.buffer = self.buffer.split(b"\n")
            for line in lines:
                try:
                    event = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    continue
                if isinstance(event, dict):
                    out.append(event)
        return out

    def where_stuck(self, files: dict[str, str], current: str | None) -> str | None:
        """Ask for a stack dump, then say where in the learner's code it was: the line of the
        function being checked (its loop is what never ends, even when the moment caught is
        inside a function it calls, which the phrase then adds), else the innermost line; and
        the ``while`` loop that line is in, if any: the line caught is wherever the loop's body
        happened to be, the loop's condition is what to look at. ``files``: file → source."""
        stack = self.tmp / "stack.txt"
        try:
            os.kill(self.proc.pid, signal.SIGUSR1)
            for _ in range(20):  # the dump is written by the child: wait up to a second
                time.sleep(0.05)
                if stack.exists() and "File" in stack.read_text(errors="replace"):
                    break
            text = stack.read_text(errors="replace")
        except (OSError, ProcessLookupError):
            return None
        # faulthandler prints the most recent call first: 'File "code cell 3", line 5 in f'
        frames = [
            (file, line, function)
            for file, line, function in re.findall(r'File "([^"]+)", line (\d+) in (\S+)', text)
            if file in files
        ]
        if not frames:
            return None
        own = next((f for f in frames if f[2] == current), frames[0])
        where = f"{own[0]}, line {own[1]}"
        if own is not frames[0] and frames[0][2] != own[2]:
            inner = frames[0]
            place = f"line {inner[1]}" if inner[0] == own[0] else f"{inner[0]}, line {inner[1]}"
            where += f", in a call to {inner[2]} ({place})"
        loop = _enclosing_while(files.get(own[0], ""), int(own[1]))
        if loop is not None:
            where += f"; the while loop it ran in starts at line {loop}"
        return where

    def output_so_far(self) -> str | None:
        """What the function being run has printed so far (asked for before it is stopped:
        its output otherwise arrives only when it ends); None if no answer within a second."""
        try:
            os.kill(self.proc.pid, signal.SIGUSR2)
        except (OSError, ProcessLookupError):
            return None
        deadline = time.monotonic() + 1.0
        while (events := self.events(deadline)) and time.monotonic() < deadline:
            for event in events:
                if event.get("event") == "output":
                    return str(event.get("output", ""))
        return None

    def kill(self) -> int | None:
        """Stop the child and everything it started (its own session: a Ctrl-C in the terminal
        reaches only lrnn, which must then take its children down with it)."""
        if self.killed:
            return self.proc.returncode
        self.killed = True
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        os.close(self.fd)
        return code


class _TooMuch(Exception):
    pass


def _describe_exit(code: int | None, memory_mb: int | None = None) -> str:
    if code is None:
        return "did not end"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (likely out of memory)" if name == "SIGKILL" else ""
        return f"was killed by {name}{hint}"
    memory = "" if memory_mb is None else f", or memory beyond the --memory limit of {memory_mb} MB"
    return f"ended with exit status {code} (os._exit or a crash{memory})"


#: A function whose answers were too large to read back (it did return: its callers still run).
TOO_MUCH = "returned more data than the check accepts"
#: How a function that was not run because one it calls did not finish is described (the
#: verdict then sends the learner to that one).
NOT_RUN = "was not run, since it calls"
#: How functions are described that the whole check's time limit left unchecked: those not
#: reached, and the one it cut short.
NOT_CHECKED = "not checked: the whole check's limit"
#: ... and functions never reached because the solution's top-level code did not finish.
DEFINITIONS_STOPPED = "not checked: running the solution's definitions"
CUT_SHORT = "took longer than the time left"
#: ... and functions Ctrl-C left unchecked.
INTERRUPTED = "not checked: Ctrl-C stopped the check first"


def run_solution(
    solution: Solution,
    calls: dict[str, list[tuple[list[Any], int]]],
    limits: Limits,
    while_running: Any = None,
    depends: dict[str, set[str]] | None = None,
    started: float | None = None,
) -> SandboxReport:
    """Run the learner's definitions and ``calls`` (name → [(args, optional)]) in child(ren).

    ``while_running`` is called once the first child has started, so the parent's own reference
    computations overlap with the learner's code. ``depends`` (name → the names it calls): a
    function that calls one that hung or crashed is not run, as it would hang or crash there
    too — with a sigmoid that never returns, its four callers each used to wait out the whole
    time limit. ``started`` (monotonic): when the whole check began, if before this call (its
    total limit counts from there). SIGTERM and SIGHUP, like Ctrl-C, take the child down too.
    """
    tmp = Path(tempfile.mkdtemp(prefix="lrnn-check-"))
    files = {c.file: c.source for c in solution.cells}
    report = SandboxReport({name: FunctionRun(name) for name in calls})
    previous = _exit_on_termination()
    try:
        counter = [0]
        encoded = {
            name: [
                {
                    "args": [_encode_arg(a, tmp, counter) for a in args],
                    "optional": opt,
                    "repeat": repeat,
                }
                for args, opt, repeat in cases
            ]
            for name, cases in calls.items()
        }
        cells = [
            {"file": c.file, "source": c.source, "code": c.code, "run": c.run}
            for c in solution.cells
            if c.tree is not None
        ]
        start = time.monotonic() if started is None else started
        total_deadline = start + limits.total_limit
        remaining = list(calls)
        first = True
        child: _Child | None = None
        while remaining:
            job = {
                # modules beside the solution (a notebook's lr_utils.py …) import as in its folder
                "import_path": str(Path(solution.path).resolve().parent),
                "cells": cells,
                "functions": [{"name": n, "calls": encoded[n]} for n in remaining],
                "memory_bytes": limits.memory_mb * 2**20,
                "stack_file": str(tmp / "stack.txt"),
            }
            child = _Child(job, tmp)
            if first and while_running is not None:
                while_running()
            try:
                remaining = _follow(child, report, remaining, limits, total_deadline, files, first)
            except KeyboardInterrupt:  # what has finished is kept, unless nothing has
                if not any(run.finished for run in report.functions.values()):
                    raise
                report.interrupted = True
                for run in report.functions.values():
                    if not run.finished and run.stopped is None:
                        run.stopped = INTERRUPTED
                break
            remaining = _without_callers_of_unfinished(report, remaining, depends or {})
            first = False
    finally:
        # A second Ctrl-C pressed right after the first would stop the clean-up halfway and
        # leave the inputs (tens of MB of cat pictures) in /tmp: it waits until this is done.
        while True:  # a press can land inside the call that holds them: it is made again
            try:
                held = _hold_interrupts()
                break
            except KeyboardInterrupt:
                continue
        try:
            if child is not None:  # interrupted (Ctrl-C) while it ran: it must not run on alone
                child.kill()
            shutil.rmtree(tmp, ignore_errors=True)
            for number, handler in previous.items():
                signal.signal(number, handler)
        finally:
            if held is not None:
                signal.signal(signal.SIGINT, held)
    return report


def _hold_interrupts() -> Any:
    """Ignore SIGINT for a moment (main thread only, where handlers can be set); the previous
    handler, to put back, or None."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_on_termination() -> dict[int, Any]:
    """SIGTERM (``timeout``, a scheduler) and SIGHUP (a closed terminal) end lrnn by exiting,
    which runs the clean-up above (the child is killed, its folder removed), instead of
    vanishing without it; the previous handlers are returned to be put back. Only the main
    thread can set handlers: elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def exit_now(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    return {s: signal.signal(s, exit_now) for s in (signal.SIGTERM, signal.SIGHUP)}


def _without_callers_of_unfinished(
    report: SandboxReport, remaining: list[str], depends: dict[str, set[str]]
) -> list[str]:
    """``remaining`` without the functions that call, directly or through others, one that
    did not finish; those are marked as not run, naming the one(s) that did not finish."""
    # function → the functions that did not finish that it would reach (itself, if it is one)
    roots = {
        name: {name}
        for name, run in report.functions.items()
        if run.stopped and not run.stopped.startswith(TOO_MUCH)  # that one did return
    }
    left = list(remaining)
    changed = True
    while changed:
        changed = False
        for name in list(left):
            through = sorted(depends.get(name, set()) & roots.keys())
            if not through:
                continue
            roots[name] = set().union(*(roots[callee] for callee in through))
            stuck = " and ".join(sorted(roots[name]))
            via = "" if set(through) == roots[name] else f" (through {' and '.join(through)})"
            verb, those = ("does", "that") if len(roots[name]) == 1 else ("do", "those")
            skipped = report.functions[name]
            skipped.stopped = f"{NOT_RUN} {stuck}{via}, which {verb} not finish: fix {those} first"
            skipped.not_run_for = sorted(roots[name])
            left.remove(name)
            changed = True
    return left


def _follow(
    child: _Child,
    report: SandboxReport,
    remaining: list[str],
    limits: Limits,
    total_deadline: float,
    files: dict[str, str],
    first: bool,
) -> list[str]:
    """Read one child's events; return the functions still to run in a fresh child."""
    current: str | None = None  # None: the learner's definitions are still running
    # Starting Python and running the imports and definitions gets its own, longer allowance:
    # a slow import (matplotlib, torch) on a busy machine is not the learner's mistake.
    setup = max(limits.time_limit, SETUP_SECONDS)
    phase_deadline = min(time.monotonic() + setup, total_deadline)
    done: set[str] = set()
    try:
        while True:
            events = child.events(phase_deadline)
            if not events:
                break
            for ev in events:
                kind = ev.get("event")
                if kind == "note" and first:
                    report.notes.append(ev)
                elif kind == "ready":
                    found = ev.get("found", {})
                    for name in remaining:
                        report.functions[name].where = found.get(name)
                        if name not in found:
                            done.add(name)
                elif kind == "start":
                    current = ev.get("fn")
                    phase_deadline = min(time.monotonic() + limits.time_limit, total_deadline)
                elif kind == "result" and current in report.functions:
                    report.functions[current].results[int(ev.get("case", -1))] = _result(ev)
                elif kind == "end" and current in report.functions:
                    report.functions[current].output = str(ev.get("output", ""))
                    report.functions[current].finished = True
                    done.add(current)
                    current = None
                    phase_deadline = min(time.monotonic() + limits.time_limit, total_deadline)
                elif kind == "fatal":
                    msg = str(ev.get("message", ""))[:300]
                    for name in remaining:
                        if name not in done:
                            report.functions[name].stopped = f"could not be run: {msg}"
                    child.kill()
                    return []
                elif kind == "done":
                    child.kill()
                    return []
    except _TooMuch:
        child.kill()
        return _blame(report, remaining, done, current, TOO_MUCH, None)
    if child.eof:
        try:
            code = child.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        child.kill()
        ended = _describe_exit(code, limits.memory_mb)
        return _blame(report, remaining, done, current, f"stopped: the process {ended}", None)
    return _timed_out(child, report, remaining, done, current, limits, total_deadline, files)


def _timed_out(
    child: _Child,
    report: SandboxReport,
    remaining: list[str],
    done: set[str],
    current: str | None,
    limits: Limits,
    total_deadline: float,
    files: dict[str, str],
) -> list[str]:
    """Say where the code was, stop it, and continue without the function that hung."""
    stuck = child.where_stuck(files, current)
    if current is not None and (printed := child.output_so_far()) is not None:
        report.functions[current].output = printed
    child.kill()
    if current is None:  # the definitions themselves, with their own allowance
        allowance = min(max(limits.time_limit, SETUP_SECONDS), limits.total_limit)
        why = f"took longer than {allowance:g} s and was stopped"
        return _blame(report, remaining, done, None, why, stuck)
    if time.monotonic() >= total_deadline:
        for name in remaining:
            if name not in done and name != current:
                report.functions[
                    name
                ].stopped = f"{NOT_CHECKED} of {limits.total_limit:g} s ran out"
        if current:
            report.functions[
                current
            ].stopped = f"{CUT_SHORT} ({limits.total_limit:g} s for the whole check)"
        return []
    why = f"took longer than {limits.time_limit:g} s and was stopped"
    return _blame(report, remaining, done, current, why, stuck)


def _enclosing_while(source: str, line: int) -> int | None:
    """The first line of the innermost ``while`` loop whose body holds ``line`` (None when the
    line is the loop's own first line, or in no while loop, or the source does not parse)."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    loops = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.While) and node.lineno < line <= (node.end_lineno or 0)
    ]
    return max(loops, default=None)


def _blame(
    report: SandboxReport,
    remaining: list[str],
    done: set[str],
    current: str | None,
    why: str,
    stuck: str | None,
) -> list[str]:
    """Mark the function that was running (or all, if the definitions were) and go on."""
    where = f" (it was at {stuck})" if stuck else ""
    if current is None:
        for name in remaining:
            if name not in done:
                report.functions[name].stopped = f"{DEFINITIONS_STOPPED} {why}{where}"
        return []
    report.functions[current].stopped = f"{why}{where}"
    return [n for n in remaining if n not in done and n != current]


def _result(ev: dict[str, Any]) -> CallResult:
    value = None
    error = ev.get("error") if isinstance(ev.get("error"), dict) else None
    if error is None:
        try:
            value = _runner.decode(ev.get("value"))
        except (ValueError, TypeError, KeyError) as exc:
            error = {"type": "ValueError", "message": f"the result could not be read back: {exc}"}
    return CallResult(
        value=value,
        error=error,
        mutated=[str(m) for m in ev.get("mutated", [])][:10],
        warnings=[w for w in ev.get("warnings", []) if isinstance(w, dict)][:10],
        seconds=_number(ev.get("seconds")),
        printed=str(ev.get("printed", ""))[: 2 * _runner.OUTPUT_KEEP + 200],
        left_out=int(_number(ev.get("left_out"))),
        printed_lines=int(_number(ev.get("printed_lines"))),
        printed_cut=ev.get("printed_cut") is True,
        printed_numbered=str(ev.get("printed_numbered", ""))[
            : _runner.NUMBERED_KEEP * (_runner.NUMBERED_LINE + 1)
        ],
    )


def _number(value: Any) -> float:
    """A number the child reported, 0 when it is not one (the child runs the learner's code)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0
