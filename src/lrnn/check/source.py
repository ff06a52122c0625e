"""A learner's solution as code cells, and which of their top-level statements the check runs.

A ``.py`` file is one cell; a notebook (``.ipynb``, read with nbformat) is its code cells in
order. IPython syntax is neutralised line by line before parsing: ``%magic`` and ``!shell`` lines
(also ``x = !ls`` / ``x = %time f()``) and ``name?`` help lines become ``pass``; a cell that
starts with a ``%%`` cell magic is dropped unless the magic only times or captures Python code
(``%%time``, ``%%timeit``, ``%%capture``), in which case its body is kept.

**Only definitions run.** Of each cell's top-level statements the check executes imports,
``def`` and ``class`` statements, and assignments whose right-hand side calls nothing but a few
quick number makers (constants such as ``EPS = np.finfo(float).eps``, lambdas, arithmetic on
names already defined; nothing that reads files or builds arrays); in an ``if`` (whose test
calls nothing), ``try`` or ``with`` block, what qualifies runs and the rest is made ``pass`` (a
``with`` block's context manager is not entered). Everything else — loading the data set,
training, plotting, printing, calling the lesson's own tests — is skipped, so a notebook that
trains for minutes or reads files that are not there still checks in seconds. A function that
relies on a global made by a skipped statement then fails with a NameError, which the check
reports with that advice.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from lrnn.check.locate import FunctionSource
from lrnn.errors import UsageError

_LINE_MAGIC = re.compile(r"^(\s*)(?:[%!]|[\w.]+\s*=\s*[%!]|[\w.]+\?{1,2}\s*$|\?)")
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}


@dataclass
class Cell:
    """One piece of the learner's code: a label for messages, the source, what runs."""

    file: str  # the name used as the code's file name, e.g. "solution.py" or "code cell 3"
    source: str
    run: list[int] = field(default_factory=list)  # indices of top-level statements to execute
    tree: ast.Module | None = None
    syntax_error: str | None = None
    #: what the check compiles: the source, or the source with the statements of a block that
    #: do not run made ``pass`` (:func:`_pruned`), line numbers kept
    code: str | None = None


@dataclass
class Solution:
    """The learner's code cells, with the statements skipped and cells that did not parse."""

    path: Path
    cells: list[Cell]
    skipped: int = 0

    def cell(self, file: str) -> Cell | None:
        return next((c for c in self.cells if c.file == file), None)

    def function_names(self) -> set[str]:
        """Every function the cells define at their top level."""
        return {
            node.name
            for cell in self.cells
            if cell.tree is not None
            for node in cell.tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }

    def defined_more_than_once(self, names: set[str]) -> dict[str, list[str]]:
        """Lesson function → the cells (or files) defining it, where there are several: a
        notebook keeps an old cell's version above a fixed one, and the check (like Restart &
        Run All) takes the last, which may not be the one the kernel last ran."""
        places: dict[str, list[str]] = {}
        for cell in self.cells:
            if cell.tree is None:
                continue
            for node in cell.tree.body:
                if isinstance(node, ast.FunctionDef) and node.name in names:
                    places.setdefault(node.name, []).append(f"{cell.file}, line {node.lineno}")
        return {name: where for name, where in places.items() if len(where) > 1}

    def calls_between(self, names: set[str]) -> dict[str, set[str]]:
        """Each of ``names`` defined here → the others its definition calls by name (the last
        definition, as the check runs it): who would be stuck in a function that hangs."""
        calls: dict[str, set[str]] = {}
        for cell in self.cells:
            if cell.tree is None:
                continue
            for node in _definitions(cell.tree.body):
                if node.name in names:
                    called = FunctionSource(node, cell.file, []).called_names()
                    calls[node.name] = (called & names) - {node.name}
        return calls

    def broken_definitions(self) -> dict[str, str]:
        """Function name → syntax error, for ``def`` lines in cells that do not parse."""
        broken = {}
        for cell in self.cells:
            if cell.syntax_error:
                for name in re.findall(r"^\s*def\s+(\w+)\s*\(", cell.source, re.M):
                    broken[name] = f"{cell.file}: {cell.syntax_error}"
        return broken


def _definitions(body: list[ast.stmt]) -> list[ast.FunctionDef]:
    """The functions a module defines in source order, those inside ``if``/``try``/``with``/
    loops included (a notebook guards a definition as often as not), but not functions nested
    in other functions or classes."""
    found: list[ast.FunctionDef] = []
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef):
            found.append(stmt)
        elif not isinstance(stmt, ast.AsyncFunctionDef | ast.ClassDef):
            for field in ("body", "orelse", "finalbody", "handlers"):
                for inner in getattr(stmt, field, []) or []:
                    if isinstance(inner, ast.ExceptHandler):
                        found.extend(_definitions(inner.body))
                    elif isinstance(inner, ast.stmt):
                        found.extend(_definitions([inner]))
    return found


def neutralise_magics(source: str) -> str | None:
    """IPython-only lines replaced by ``pass`` (same line count); None drops the cell."""
    lines = source.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split()[0] if lines[first].strip() != "%%" else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return None
        lines[first] = ""
    out = []
    for line in lines:
        match = _LINE_MAGIC.match(line)
        out.append(f"{match.group(1)}pass" if match else line)
    return "\n".join(out) + "\n"


#: Calls a constant may make, each quick and touching no file: number types and a few scalar
#: functions from Python, math and numpy (``EPS = np.finfo(float).eps``, ``TWO_PI = 2 *
#: math.pi``, ``LIMIT = np.float32(1e-7)``). Anything else — numpy's arrays of any size, its
#: file readers, ``sum(range(…))`` — could take long or read files, so it is not run.
_PURE_BUILTINS = {"abs", "bool", "complex", "float", "int", "round", "str"}
_PURE_NUMPY = {
    "finfo", "iinfo", "dtype", "float16", "float32", "float64", "longdouble", "int8", "int16",
    "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool_", "sqrt", "exp", "log",
    "log1p", "log2", "log10", "abs",
}  # fmt: skip
_PURE_MATH = {
    "sqrt", "exp", "log", "log1p", "log2", "log10", "fabs", "floor", "ceil", "isfinite", "isinf",
    "isnan", "nextafter", "ulp",
}  # fmt: skip


def _harmless_call(call: ast.Call) -> bool:
    """A call a constant may make (see :data:`_PURE_BUILTINS`): its arguments are checked too."""
    func, path = call.func, []
    while isinstance(func, ast.Attribute):
        path.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return False
    if not path:
        return func.id in _PURE_BUILTINS
    if len(path) != 1:
        return False
    allowed = {"np": _PURE_NUMPY, "numpy": _PURE_NUMPY, "math": _PURE_MATH}.get(func.id, set())
    return path[0] in allowed


def _calls_nothing(node: ast.AST) -> bool:
    """True when evaluating ``node`` calls no function other than harmless ones (lambda bodies
    do not run, so they are skipped)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Lambda):
            stack.extend(current.args.defaults + [d for d in current.args.kw_defaults if d])
            continue
        if isinstance(current, ast.Call) and _harmless_call(current):
            stack.extend([*current.args, *(k.value for k in current.keywords)])
            stack.extend(ast.iter_child_nodes(current.func))
            continue
        if isinstance(current, ast.Call | ast.Await | ast.Yield | ast.YieldFrom | ast.NamedExpr):
            return False
        stack.extend(ast.iter_child_nodes(current))
    return True


def runs(stmt: ast.stmt) -> bool:
    """Whether the check executes this top-level statement (see the module docstring)."""
    if isinstance(stmt, ast.Import | ast.ImportFrom | ast.Pass):
        return True
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return True
    if isinstance(stmt, ast.Assign | ast.AnnAssign):
        return stmt.value is None or _calls_nothing(stmt.value)
    if isinstance(stmt, ast.If):
        return _calls_nothing(stmt.test) and all(map(runs, stmt.body + stmt.orelse))
    if isinstance(stmt, ast.Try):
        blocks = stmt.body + stmt.orelse + stmt.finalbody
        blocks += [s for handler in stmt.handlers for s in handler.body]
        return all(map(runs, blocks))
    return False


#: An edit of a cell's code: from (line, column) to (line, column), AST positions (columns in
#: UTF-8 bytes), and the text put there.
_Edit = tuple[int, int, int, int, str]


def _pruned(stmt: ast.stmt, source: str) -> tuple[list[_Edit], bool] | None:
    """How to run what qualifies (:func:`runs`) inside an ``if``/``try``/``with`` block that
    does not qualify as a whole — ``def sigmoid`` in a ``try`` whose ``except`` prints, or in
    a ``with np.errstate(…)`` — and whether anything worth running is left: the edits that
    make every other statement in it ``pass``, and a ``with`` header ``if True:`` (its context
    manager is not entered: a definition is the same without it). None: it does not run (a
    loop, a call, an ``if`` whose test calls something)."""
    if runs(stmt):
        return [], not isinstance(stmt, ast.Pass)
    header: list[_Edit] = []
    if isinstance(stmt, ast.If) and _calls_nothing(stmt.test):
        inner = stmt.body + stmt.orelse
    elif isinstance(stmt, ast.Try):
        inner = stmt.body + stmt.orelse + stmt.finalbody
        inner += [s for handler in stmt.handlers for s in handler.body]
    elif isinstance(stmt, ast.With):
        colon = _header_end(stmt, source)
        if colon is None:
            return None
        header, inner = [(stmt.lineno, stmt.col_offset, *colon, "if True:")], stmt.body
    else:
        return None
    edits, kept = header, False
    for part in inner:
        found = _pruned(part, source)
        if found is None:
            edits.append((part.lineno, part.col_offset, part.end_lineno or part.lineno,
                          part.end_col_offset or 0, "pass"))  # fmt: skip
        else:
            edits += found[0]
            kept = kept or found[1]
    return edits, kept


def _header_end(stmt: ast.With, source: str) -> tuple[int, int] | None:
    """Where a ``with`` header ends, just after its colon (only closing brackets, spaces and
    line breaks between the last item and the colon), or None."""
    last = stmt.items[-1]
    end = last.optional_vars or last.context_expr
    lines = _lines(source)
    line, col = end.end_lineno or end.lineno, end.end_col_offset or 0
    while line <= len(lines):
        rest = lines[line - 1].encode("utf-8")[col:].decode("utf-8", "replace")
        for i, ch in enumerate(rest):
            if ch == ":":
                return line, col + len(rest[: i + 1].encode("utf-8"))
            if ch not in " \t)\\\r\n":
                return None
        line, col = line + 1, 0
    return None


def _lines(source: str) -> list[str]:
    """The source's lines as Python numbers them (\\n, \\r\\n or \\r ends one), ends kept."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", source)


def _edited(source: str, edits: list[_Edit]) -> str:
    """``source`` with ``edits`` made, each keeping the line count (a statement made ``pass``
    keeps its lines, blank), so the check's line numbers stay the learner's."""
    lines = _lines(source)
    starts = [0]
    for text in lines:
        starts.append(starts[-1] + len(text))

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + len(lines[line - 1].encode("utf-8")[:col].decode("utf-8"))

    out = source
    for line, col, end_line, end_col, text in sorted(edits, reverse=True):
        out = (out[: offset(line, col)] + text + "\n" * (end_line - line)
               + out[offset(end_line, end_col):])  # fmt: skip
    return out


def _parse(cell: Cell) -> None:
    try:
        cell.tree = ast.parse(cell.source, filename=cell.file)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        cell.syntax_error = f"line {line}: {getattr(exc, 'msg', exc)}" if line else str(exc)
        return
    except (RecursionError, MemoryError):
        cell.syntax_error = "too deeply nested to parse"
        return
    cell.run = [i for i, stmt in enumerate(cell.tree.body) if runs(stmt)]
    edits: list[_Edit] = []
    pruned = []
    for i, stmt in enumerate(cell.tree.body):
        found = None if i in cell.run else _pruned(stmt, cell.source)
        if found is not None and found[1]:
            edits += found[0]
            pruned.append(i)
    if not pruned:
        return
    code = _edited(cell.source, edits)
    try:  # the edits keep every top-level statement where it was; else the blocks stay out
        same = len(ast.parse(code, filename=cell.file).body) == len(cell.tree.body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        same = False
    if same:
        cell.code, cell.run = code, sorted(cell.run + pruned)


def _notebook_cells(path: Path, text: str) -> list[str]:
    """The code cells' sources, in order; nbformat validates the notebook's structure."""
    import nbformat

    try:
        with warnings.catch_warnings():
            # "Cell is missing an id field … use normalize()": nbformat's advice to a tool's
            # author, which a learner can do nothing about (the check never writes the file)
            warnings.filterwarnings("ignore", message="Cell is missing an id field")
            nb = nbformat.reads(text, as_version=4)
    except (json.JSONDecodeError, nbformat.reader.NotJSONError) as exc:
        raise UsageError(
            f"{path}: not a readable notebook (not JSON: {exc}); save it again from Jupyter."
        ) from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds for bad notebooks
        raise UsageError(
            f"{path}: not a readable notebook ({type(exc).__name__}: {exc})."
        ) from None
    return [cell.source for cell in nb.cells if cell.get("cell_type") == "code"]


def _read_source(path: Path) -> str:
    """The file's text as Python reads it: a .py file by its byte-order mark or coding line
    (editors on Windows start UTF-8 files with a BOM), a notebook as UTF-8 with or without a
    BOM."""
    if path.suffix == ".py":
        import tokenize

        with path.open("rb") as raw:
            encoding, _ = tokenize.detect_encoding(raw.readline)
            raw.seek(0)
            text = raw.read().decode(encoding)
        return text.replace("\r\n", "\n").replace("\r", "\n")  # as open() in text mode
    return path.read_text(encoding="utf-8-sig")


def read_solution(path: str | Path) -> Solution:
    """Read a ``.py`` file or notebook; UsageError (exit 2) when it cannot be read as either."""
    path = Path(path)
    if path.suffix not in (".py", ".ipynb"):
        raise UsageError(f"{path}: expected a .py file or a .ipynb notebook.")
    try:
        text = _read_source(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file.") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder; give the .py file or .ipynb notebook.") from None
    except (UnicodeDecodeError, SyntaxError, LookupError):
        raise UsageError(f"{path}: not UTF-8 text; save it as UTF-8.") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    if path.suffix == ".py":
        cells = [Cell(path.name, text)]
    else:
        cells = []
        for number, source in enumerate(_notebook_cells(path, text), start=1):
            cleaned = neutralise_magics(source)
            if cleaned is not None:
                cells.append(Cell(f"code cell {number}", cleaned))
    for cell in cells:
        _parse(cell)
    if path.suffix == ".py" and cells[0].syntax_error:
        raise UsageError(
            f"{path}: {cells[0].syntax_error}. Python cannot read the file; fix that line first."
        )
    skipped = sum(len(c.tree.body) - len(c.run) for c in cells if c.tree is not None)
    return Solution(path, cells, skipped)
