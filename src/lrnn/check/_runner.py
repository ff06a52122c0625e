"""The child side of ``lrnn check``: runs a learner's definitions and calls their functions.

This file is executed as a script in a separate interpreter (``python -I _runner.py JOB FD``) so
that the learner's code never runs inside lrnn's process. It imports nothing from lrnn (with
``-I`` the package may not even be importable there) — only the standard library and numpy —
and it speaks JSON lines on the file descriptor FD: ``note``, ``ready``, ``start``, ``result``,
``end`` and ``done`` events. The parent (:mod:`lrnn.check.sandbox`) enforces the time limits by
killing this process; the memory limit is set here, after numpy is imported, with
``resource.setrlimit(RLIMIT_AS)``.

Values cross the pipe through :func:`encode` / :func:`decode`: plain JSON for numbers and
strings, base64 bytes plus a whitelisted dtype for numpy arrays, and a short ``repr`` for
anything else. Nothing is ever pickled, so the parent never executes anything the child sends.
The same module is imported by the parent for the codec and by :func:`lrnn.course.check` for
:func:`call_case`, so calling, capturing and error reporting work the same in and out of process.
"""

from __future__ import annotations

import ast
import base64
import builtins
import inspect
import io
import json
import math
import os
import sys
import time
import traceback
import types
import warnings
from typing import Any

#: Largest array the codec carries (bytes); bigger ones travel as an opaque description.
MAX_ARRAY_BYTES = 64 * 2**20
#: Nesting depth and container length the codec follows.
MAX_DEPTH = 12
MAX_ITEMS = 100_000
#: Characters of a function's printed output kept from its start and from its end.
OUTPUT_KEEP = 2000
#: dtype kinds that may cross the pipe: bool, signed/unsigned integers, floats, complex.
_SAFE_KINDS = frozenset("biufc")


# --------------------------------------------------------------------------------------------
# codec
# --------------------------------------------------------------------------------------------
def encode(value: Any, depth: int = 0) -> Any:
    """A JSON-able description of ``value`` that :func:`decode` turns back into numpy/Python."""
    import numpy as np

    if depth > MAX_DEPTH:
        return {"$opaque": type(value).__name__, "repr": "(nested too deeply)"}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.ndarray | np.generic) and value.dtype.kind in _SAFE_KINDS:
        arr = np.asarray(value)
        if arr.nbytes > MAX_ARRAY_BYTES:
            return {"$opaque": "ndarray", "repr": f"array of shape {arr.shape}, too large to check"}
        data = base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode("ascii")
        key = "$scalar" if isinstance(value, np.generic) else "$array"
        return {key: arr.dtype.str, "shape": list(arr.shape), "b64": data}
    if isinstance(value, int):
        return value if abs(value) < 2**63 else {"$opaque": "int", "repr": repr(value)[:200]}
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else {"$float": str(float(value))}
    if isinstance(value, list | tuple):
        items = [encode(v, depth + 1) for v in value[:MAX_ITEMS]]
        return {"$list" if isinstance(value, list) else "$tuple": items}
    if isinstance(value, dict):
        pairs = list(value.items())[:MAX_ITEMS]
        return {"$dict": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in pairs]}
    try:
        text = repr(value)
    except BaseException:  # noqa: BLE001 - a learner's __repr__ may fail in any way
        text = "?"
    return {"$opaque": type(value).__name__, "repr": text[:200]}


class Opaque:
    """A value the codec does not carry (a learner's object, a too-large array): type and repr."""

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name, self.text = str(type_name), str(text)

    def __repr__(self) -> str:
        return self.text


def decode(obj: Any, depth: int = 0) -> Any:
    """Rebuild a value from :func:`encode`'s description; rejects anything unexpected."""
    import numpy as np

    if depth > MAX_DEPTH + 1:
        raise ValueError("value nested too deeply")
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, list):
        raise ValueError("bare list in encoded value")
    if not isinstance(obj, dict) or len(obj) == 0:
        raise ValueError("malformed encoded value")
    if "$float" in obj:
        text = str(obj["$float"])
        if text not in ("nan", "inf", "-inf"):
            raise ValueError("malformed float")
        return float(text)
    for key in ("$array", "$scalar"):
        if key in obj:
            dtype = np.dtype(str(obj[key]))
            if dtype.kind not in _SAFE_KINDS or dtype.itemsize > 32:
                raise ValueError(f"dtype {dtype} not allowed")
            shape = tuple(int(s) for s in obj["shape"])
            if len(shape) > 32 or any(s < 0 for s in shape):
                raise ValueError("bad shape")
            raw = base64.b64decode(obj["b64"], validate=True)
            if len(raw) != math.prod(shape) * dtype.itemsize:
                raise ValueError("array bytes do not match its shape")
            arr = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
            return arr[()] if key == "$scalar" else arr
    if "$list" in obj:
        return [decode(v, depth + 1) for v in obj["$list"]]
    if "$tuple" in obj:
        return tuple(decode(v, depth + 1) for v in obj["$tuple"])
    if "$dict" in obj:
        out = {}
        for k, v in obj["$dict"]:
            key = decode(k, depth + 1)
            try:
                hash(key)
            except TypeError:
                key = repr(key)
            out[key] = decode(v, depth + 1)
        return out
    if "$opaque" in obj:
        return Opaque(obj["$opaque"], obj.get("repr", ""))
    raise ValueError("malformed encoded value")


# --------------------------------------------------------------------------------------------
# capturing output and calling one function
# --------------------------------------------------------------------------------------------
#: Short lines with a number in them (a printed cost) kept apart from the head and tail, and
#: how long such a line may be: with 2000 characters of other output per iteration, the cost
#: lines fell in the cut middle and a right optimize failed for "no printed line shows the cost".
NUMBERED_KEEP, NUMBERED_LINE = 1000, 200


class CappedText(io.TextIOBase):
    """A text stream that keeps the first and last :data:`OUTPUT_KEEP` characters and a count,
    and the short lines that hold a number (see :data:`NUMBERED_KEEP`)."""

    def __init__(self) -> None:
        self.head, self.tail, self.total, self.lines = "", "", 0, 0
        self.numbered: list[str] = []
        self._partial = ""  # the line being written, up to NUMBERED_LINE + 1 characters

    def writable(self) -> bool:
        return True

    def _keep_numbered(self, s: str) -> None:
        *complete, rest = (self._partial + s).split("\n")
        self._partial = rest[: NUMBERED_LINE + 1]
        for line in complete:
            if len(self.numbered) >= NUMBERED_KEEP:
                break
            if len(line) <= NUMBERED_LINE and any(c.isdigit() for c in line):
                self.numbered.append(line)

    def write(self, s: str) -> int:
        s = str(s)
        written = len(s)
        self.total += written
        self.lines += s.count("\n")
        self._keep_numbered(s)
        room = OUTPUT_KEEP - len(self.head)
        if room > 0:
            self.head += s[:room]
            s = s[room:]
        if s:
            self.tail = (self.tail + s)[-OUTPUT_KEEP:]
        return written

    @property
    def cut(self) -> bool:
        """Whether :meth:`text` leaves out a middle part."""
        return self.total > 2 * OUTPUT_KEEP and bool(self.tail)

    def text(self) -> str:
        if not self.cut:
            return self.head + self.tail
        # whole lines on both sides of the cut, where the kept text has line breaks
        head, tail = self.head, self.tail
        if "\n" in head[:-1]:
            head = head[: head.rindex("\n", 0, len(head) - 1) + 1].rstrip("\n")
        if "\n" in tail[:-1]:
            tail = tail[tail.index("\n") + 1 :]
        return f"{head}\n… ({self.total:,} characters in all) …\n{tail}"


def learner_error(exc: BaseException, files: set[str], sources: dict[str, str]) -> dict:
    """Type, message and the innermost line of the learner's own code in ``exc``'s traceback."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename in files]
    where: dict[str, Any] = {}
    if frames:
        last = frames[-1]
        where = {"file": last.filename, "line": last.lineno, "function": last.name}
        lines = sources.get(last.filename, "").splitlines()
        if last.lineno and 0 < last.lineno <= len(lines):
            where["source"] = lines[last.lineno - 1].strip()
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001
        message = ""
    if isinstance(exc, SystemExit):
        message = f"exit status {exc.code!r}"
    return {"type": type(exc).__name__, "message": message[:500], **where}


def call_case(
    fn: Any,
    args: list,
    optional: int,
    files: set[str],
    sources: dict[str, str],
    printed: CappedText | None = None,
    repeat: int = 1,
) -> tuple[dict, str]:
    """Call ``fn(*args)`` once: its encoded result or error, mutated inputs, warnings, output.

    Trailing ``optional`` arguments (such as ``print_cost``) are left out when the learner's
    signature has no room for them. Array arguments are copied first so that an in-place change
    of an input can be named afterwards. ``printed``: where the output goes, for a caller that
    gathers several calls' output in one capped text (then the returned text is empty).
    ``repeat`` > 1 times the call: it is made again on fresh copies of the inputs, silently, up
    to that many times in all while each returns within 0.1 s, and the fastest time is
    reported (one call's time on a busy machine can be a preemption, not the learner's code).
    """
    import numpy as np

    names = [f"argument {i + 1}" for i in range(len(args))]
    given = len(args)
    try:
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        if not any(p.kind is p.VAR_POSITIONAL for p in params):
            room = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
            while len(args) > room and optional > 0:
                args, optional = args[:-1], optional - 1
        names = [p.name for p in params][: len(args)] + names[len(params) :]
    except (TypeError, ValueError):
        pass
    before = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
    own = CappedText()  # this call's output alone (print_cost is judged per call)
    out = err = _Both(printed, own) if printed is not None else own
    saved = sys.stdout, sys.stderr
    result: dict[str, Any] = {}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sys.stdout, sys.stderr = out, err
        try:
            value = fn(*args)
            result["value"] = encode(value)
        except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt too
            result["error"] = learner_error(exc, files, sources)
        finally:
            sys.stdout, sys.stderr = saved
    result["seconds"] = time.perf_counter() - start
    if repeat > 1 and "error" not in result:
        result["seconds"] = _fastest(fn, before, args, repeat - 1, result["seconds"])
    result["printed"] = own.text()
    result["printed_lines"] = own.lines
    result["printed_cut"] = own.cut
    if own.cut:  # the lines a cost may be on, which the cut middle would have hidden
        tail = [own._partial] if any(c.isdigit() for c in own._partial) else []
        result["printed_numbered"] = "\n".join(own.numbered + tail)
    result["left_out"] = given - len(args)
    result["mutated"] = [
        names[i]
        for i, (old, new) in enumerate(zip(before, args, strict=True))
        if old is not None and not _same_array(old, new)
    ]
    notes = []
    for w in caught[:20]:
        if w.filename in files:
            notes.append({"file": w.filename, "line": w.lineno, "message": str(w.message)[:200]})
    result["warnings"] = notes
    return result, ("" if printed is not None else own.text())


class _Both(io.TextIOBase):
    """Writes to two capped texts: the function's whole output and one call's."""

    def __init__(self, first: CappedText, second: CappedText) -> None:
        self.first, self.second = first, second

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.second.write(s)
        return self.first.write(s)


def _fastest(fn: Any, before: list, args: list, more: int, seconds: float) -> float:
    """The fastest of ``seconds`` and up to ``more`` further calls on fresh copies of the
    inputs (their output discarded), stopping at the first that fails or takes 0.1 s.

    The timed case stands for the cat pictures, where NumPy prints a vector of 12288 weights
    as a summary of six numbers; its own 1000 would be printed in full, and ``print(dw)``
    alone made a vectorised propagate "far too slow". So these calls summarise from 100."""
    import numpy as np

    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = CappedText()
    try:
        for _ in range(more):
            if seconds >= 0.1:  # repeats steady short times; a slow call's verdict is clear
                break
            fresh = [b.copy() if b is not None else a for a, b in zip(args, before, strict=True)]
            start = time.perf_counter()
            try:
                with warnings.catch_warnings(), np.printoptions(threshold=100):
                    warnings.simplefilter("ignore")
                    fn(*fresh)
            except BaseException:  # noqa: BLE001 - the first call's verdict stands
                break
            seconds = min(seconds, time.perf_counter() - start)
    finally:
        sys.stdout, sys.stderr = saved
    return seconds


def _same_array(a: Any, b: Any) -> bool:
    import numpy as np

    return (
        isinstance(b, np.ndarray)
        and a.shape == b.shape
        and a.dtype == b.dtype
        and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    )


# --------------------------------------------------------------------------------------------
# the child process
# --------------------------------------------------------------------------------------------
class _Channel:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, **event: Any) -> None:
        data = (json.dumps(event, allow_nan=False) + "\n").encode()
        while data:
            n = os.write(self.fd, data)
            data = data[n:]


def _limit_memory(budget: int) -> None:
    """Cap the address space at what the interpreter uses now plus ``budget`` bytes."""
    try:
        import resource
    except ImportError:  # not on POSIX: no cap
        return
    used = 0
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    used = int(line.split()[1]) * 1024
    except OSError:
        pass
    big = 256 * 2**20
    for kind, limit in ((resource.RLIMIT_AS, used + budget), (resource.RLIMIT_FSIZE, big)):
        try:
            resource.setrlimit(kind, (limit, resource.getrlimit(kind)[1]))
        except (ValueError, OSError):  # above the hard limit already: keep the stricter one
            pass


def _missing_module_stub(name: str, reason: str) -> types.ModuleType:
    """A stand-in for a module that could not be imported: any use names the import."""

    class Stub(types.ModuleType):
        def __getattr__(self, attr: str) -> Any:
            if attr.startswith("__"):
                raise AttributeError(attr)
            raise ImportError(f"{name} could not be imported ({reason}), so {attr} is unavailable")

        def __call__(self, *a: Any, **k: Any) -> Any:
            raise ImportError(f"{name} could not be imported ({reason})")

    return Stub(name)


def _bind_stubs(stmt: ast.stmt, ns: dict, reason: str) -> None:
    for alias in getattr(stmt, "names", []):
        if alias.name == "*":
            continue
        bound = alias.asname or alias.name.split(".")[0]
        ns[bound] = _missing_module_stub(alias.name, reason)


def _setup(job: dict, chan: _Channel) -> tuple[dict, set[str], dict[str, str]]:
    module = types.ModuleType("solution")
    module.__dict__["__builtins__"] = builtins
    sys.modules["solution"] = module
    ns = module.__dict__
    files = {cell["file"] for cell in job["cells"]}
    sources = {cell["file"]: cell["source"] for cell in job["cells"]}
    for cell in job["cells"]:
        tree = ast.parse(cell.get("code") or cell["source"], filename=cell["file"])
        for index in cell["run"]:
            stmt = tree.body[index]
            code = compile(ast.Module([stmt], []), cell["file"], "exec")
            out = CappedText()
            saved = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = out
            try:
                exec(code, ns)  # noqa: S102 - this is the learner's own code, in its own process
            except BaseException as exc:  # noqa: BLE001
                info = learner_error(exc, files, sources)
                info.setdefault("file", cell["file"])
                info.setdefault("line", stmt.lineno)
                if isinstance(stmt, ast.Import | ast.ImportFrom) and isinstance(exc, ImportError):
                    _bind_stubs(stmt, ns, f"{info['type']}: {info['message']}")
                chan.send(event="note", kind="statement", **info)
            finally:
                sys.stdout, sys.stderr = saved
    return ns, files, sources


def main(argv: list[str]) -> int:
    job_path, fd = argv[1], int(argv[2])
    chan = _Channel(fd)
    printing: list[CappedText] = []  # the output of the function being checked, once one is
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    try:
        import faulthandler
        import signal

        # On a timeout the parent asks for a stack dump first, to say where the code was stuck.
        dump = open(job["stack_file"], "w")  # noqa: SIM115 - lives as long as the process
        faulthandler.register(signal.SIGUSR1, file=dump, all_threads=False)
        # ...and then for what the stopped function printed so far: its output is otherwise
        # sent when it ends, and a function stopped for its time never ends (the lines it
        # printed before a hang are what a learner looks at to find it).
        signal.signal(
            signal.SIGUSR2,
            lambda *_: printing and chan.send(event="output", output=printing[-1].text()),
        )
    except (ImportError, AttributeError, OSError, ValueError):
        pass
    try:
        import numpy as np
    except ImportError as exc:
        chan.send(event="fatal", message=f"numpy cannot be imported: {exc}")
        return 3
    _limit_memory(int(job["memory_bytes"]))
    if job.get("import_path"):
        sys.path.append(job["import_path"])  # after the standard library: no shadowing numpy
    sys.stdin = io.StringIO()
    ns, files, sources = _setup(job, chan)
    found = {}
    for spec in job["functions"]:
        fn = ns.get(spec["name"])
        if callable(fn):
            code = getattr(fn, "__code__", None)
            found[spec["name"]] = {
                "file": getattr(code, "co_filename", None),
                "line": getattr(code, "co_firstlineno", None),
                "module": str(getattr(fn, "__module__", "") or ""),  # lrnn's own, imported?
            }
    chan.send(event="ready", found=found)
    for spec in job["functions"]:
        name = spec["name"]
        if name not in found:
            continue
        chan.send(event="start", fn=name, t=time.monotonic())
        output = CappedText()  # all its cases' output, cut in the middle (marked) if long
        printing[:] = [output]
        for index, call in enumerate(spec["calls"]):
            args = [_load_arg(a, np) for a in call["args"]]
            result, _ = call_case(
                ns[name], args, call["optional"], files, sources, output, call.get("repeat", 1)
            )
            chan.send(event="result", fn=name, case=index, **result)
        chan.send(event="end", fn=name, output=output.text(), t=time.monotonic())
    chan.send(event="done")
    return 0


def _load_arg(arg: Any, np: Any) -> Any:
    if isinstance(arg, dict) and "$file" in arg:
        return np.load(arg["$file"], allow_pickle=False)
    return decode(arg)


if __name__ == "__main__":
    try:
        code = main(sys.argv)
    except BaseException as exc:  # noqa: BLE001 - report, then leave without a traceback
        try:
            _Channel(int(sys.argv[2])).send(
                event="fatal", message=f"{type(exc).__name__}: {str(exc)[:300]}"
            )
        except BaseException:  # noqa: BLE001
            pass
        code = 3
    # Leave at once: a learner's atexit hooks or threads must not keep the process alive.
    os._exit(code)
