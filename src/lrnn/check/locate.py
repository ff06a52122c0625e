"""Finding the line of a learner's function that a diagnosis is about.

Diagnoses are worked out from values; this module only points at the line to look at, by
walking the function's syntax tree: the assignment to ``dw``, a literal ``0.009``, a ``>=``
comparison, an in-place ``X -= …``. When nothing fits, the diagnosis goes without a line.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

#: A locator: given the learner's function source, the line (in its file) to look at, or None.
Locator = Callable[["FunctionSource"], int | None]


@dataclass
class FunctionSource:
    """One learner function's syntax tree, with line numbers as in its file or cell."""

    node: ast.FunctionDef | ast.AsyncFunctionDef
    file: str  # "solution.py", "code cell 3", or "" inside a notebook session
    lines: list[str]  # the file's (or cell's) lines, to quote

    @classmethod
    def from_function(cls, fn: Any) -> FunctionSource | None:
        """The source of a live function (``check(globals())``), via inspect; None if unknown."""
        try:
            lines, first = inspect.getsourcelines(fn)
            tree = ast.parse(textwrap.dedent("".join(lines)))
        except (OSError, TypeError, SyntaxError, IndentationError):
            return None
        node = next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None)
        if node is None:
            return None
        ast.increment_lineno(tree, max(first, 1) - 1)
        padded = [""] * (max(first, 1) - 1) + [line.rstrip("\n") for line in lines]
        return cls(node, "", padded)

    def where(self, line: int | None) -> str:
        """'Look at line 7: `dw = X * (A - Y) / m`.' — or '' when there is no line."""
        if not line:
            return ""
        place = f"{self.file}, line {line}" if self.file.startswith("code cell") else f"line {line}"
        text = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        if len(text) > 80:
            text = text[:77] + "…"
        return f"Look at {place}: `{text}`." if text else f"Look at {place}."

    # -- what the function contains -----------------------------------------------------------
    def walk(self) -> list[ast.AST]:
        """Every node of the body (not the signature: its defaults are not the code's numbers)."""
        return [n for stmt in self.node.body for n in ast.walk(stmt)]

    def in_line_order(self) -> list[ast.AST]:
        """:meth:`walk`'s nodes by line (ast.walk goes breadth first): the first one found is
        the first the learner wrote."""
        return sorted(self.walk(), key=lambda n: getattr(n, "lineno", 0))

    def called_names(self) -> set[str]:
        return {
            n.func.id
            for n in self.walk()
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        }

    def params(self) -> list[str]:
        return [a.arg for a in self.node.args.posonlyargs + self.node.args.args]


def _target_names(target: ast.AST) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        return set().union(*(_target_names(t) for t in target.elts)) if target.elts else set()
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        return {str(target.slice.value)}
    return set()


def assigned(*names: str) -> Locator:
    """Where any of ``names`` is computed (a variable, ``grads["dw"]``, a dict key).

    The last assignment that does arithmetic wins — it sets the value the function returns
    (``cost = -(1/m) * …`` rather than a later ``cost = np.squeeze(cost)``, and of two
    formulas the second, which replaces the first); failing that, the first assignment of
    any kind.
    """
    wanted = set(names)

    def find(src: FunctionSource) -> int | None:
        plain, computed = None, None
        for n in src.in_line_order():
            value = None
            if isinstance(n, ast.Assign) and any(_target_names(t) & wanted for t in n.targets):
                value = n.value
            elif isinstance(n, ast.AugAssign | ast.AnnAssign) and _target_names(n.target) & wanted:
                value = n
            elif isinstance(n, ast.Dict):
                for key, item in zip(n.keys, n.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value in wanted:
                        plain = plain or item.lineno
            if value is not None:
                if any(isinstance(v, ast.BinOp | ast.AugAssign) for v in ast.walk(value)):
                    computed = n.lineno
                plain = plain or n.lineno
        return computed or plain

    return find


def literal(value: float) -> Locator:
    """The first number literal equal to ``value`` (a hard-coded size, rate or count)."""

    def find(src: FunctionSource) -> int | None:
        for n in src.walk():
            if (
                isinstance(n, ast.Constant)
                and isinstance(n.value, int | float)
                and not isinstance(n.value, bool)
                and n.value == value
            ):
                return n.lineno
        return None

    return find


def shape_index(index: int) -> Locator:
    """The first ``….shape[index]``: where m is taken as the number of features (``m =
    X.shape[0]``, or ``/ X.shape[0]`` in a formula of its own)."""

    def find(src: FunctionSource) -> int | None:
        lines = [
            n.lineno
            for n in src.walk()
            if isinstance(n, ast.Subscript)
            and isinstance(n.value, ast.Attribute)
            and n.value.attr == "shape"
            and isinstance(n.slice, ast.Constant)
            and n.slice.value == index
        ]
        return min(lines, default=None)

    return find


def comparison(op: type[ast.cmpop]) -> Locator:
    """The first comparison using ``op`` (e.g. ``ast.GtE`` for ``>=``)."""

    def find(src: FunctionSource) -> int | None:
        for n in src.walk():
            if isinstance(n, ast.Compare) and any(isinstance(o, op) for o in n.ops):
                return n.lineno
        return None

    return find


def in_place(param: str) -> Locator:
    """The first in-place change of ``param``: ``param -= …``, ``param[…] = …``, ``param *= …``."""

    def find(src: FunctionSource) -> int | None:
        for n in src.walk():
            if isinstance(n, ast.AugAssign):
                base = n.target.value if isinstance(n.target, ast.Subscript) else n.target
                if isinstance(base, ast.Name) and base.id == param:
                    return n.lineno
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if (
                        isinstance(t, ast.Subscript)
                        and isinstance(t.value, ast.Name)
                        and t.value.id == param
                    ):
                        return n.lineno
        return None

    return find


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _call_name(node: ast.AST) -> str:
    f = node.func if isinstance(node, ast.Call) else None
    return getattr(f, "attr", getattr(f, "id", "")) if f is not None else ""


def added_outside_product(param: str) -> Locator:
    """The first place ``param`` is added to (or subtracted from) the sigmoid's result rather
    than to z: ``sigmoid(np.dot(w.T, X)) + b``, ``A = A + b``, ``A += b``,
    ``A[0, i] + b > 0.5``, ``a > 0.5 - b`` — not ``np.dot(w.T, X) + b`` nor ``z + b``."""

    def named(node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id == param

    def find(src: FunctionSource) -> int | None:
        nodes = src.in_line_order()
        outputs = {  # names given a sigmoid's result: A = sigmoid(…)
            t.id
            for n in nodes
            if isinstance(n, ast.Assign) and _call_name(n.value) == "sigmoid"
            for t in n.targets
            if isinstance(t, ast.Name)
        }

        def after_sigmoid(node: ast.AST) -> bool:
            if isinstance(node, ast.Subscript):
                node = node.value
            return (
                _call_name(node) == "sigmoid"
                or (isinstance(node, ast.Name) and node.id in outputs)
                or isinstance(node, ast.Constant)  # a threshold moved by b: 0.5 - b
            )

        for n in nodes:
            if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add | ast.Sub):
                if named(n.value) and after_sigmoid(n.target):
                    return n.lineno
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add | ast.Sub):
                for mine, other in ((n.left, n.right), (n.right, n.left)):
                    if named(mine) and after_sigmoid(other):
                        return n.lineno
        return None

    return find


def divided(param: str) -> Locator:
    """The first rescaling of ``param``: ``X / 255``, ``X.astype(float) / 255``, ``X /= …``,
    ``X * (1 / 255)``, ``np.divide(X, …)``, ``np.true_divide(X, …)`` — a division, or a
    product with something that is not a variable (``w * X`` is the weights, not a scale)."""

    def find(src: FunctionSource) -> int | None:
        for n in src.in_line_order():
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div):
                if _mentions(n.left, param):
                    return n.lineno
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult):
                for mine, other in ((n.left, n.right), (n.right, n.left)):
                    scale = not any(isinstance(x, ast.Name) for x in ast.walk(other))
                    if isinstance(mine, ast.Name) and mine.id == param and scale:
                        return n.lineno
            if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Div | ast.Mult):
                if isinstance(n.target, ast.Name) and n.target.id == param:
                    return n.lineno
            if (
                _call_name(n) in ("divide", "true_divide", "multiply")
                and n.args
                and _mentions(n.args[0], param)
            ):
                return n.lineno
        return None

    return find


def transposed_product(param: str) -> Locator:
    """The first product that starts from ``param.T``: ``np.dot(X.T, w)`` or ``X.T @ w`` (an
    activation of shape (m, 1), a column, where the lesson's is a row)."""

    def transposed(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Attribute)
            and node.attr == "T"
            and isinstance(node.value, ast.Name)
            and node.value.id == param
        )

    def find(src: FunctionSource) -> int | None:
        for n in src.in_line_order():
            if _call_name(n) == "dot" and n.args and transposed(n.args[0]):
                return n.lineno
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult) and transposed(n.left):
                return n.lineno
        return None

    return find


def bias_not_added(param: str, output: str) -> Locator:
    """Where ``output`` is computed when no line adds ``param`` (``… + b``): b left out of z,
    or subtracted. None where some line adds it (the mistake is elsewhere)."""

    def adds(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Add)
            and any(
                isinstance(side, ast.Name) and side.id == param for side in (node.left, node.right)
            )
        )

    def find(src: FunctionSource) -> int | None:
        if any(adds(n) for n in src.walk()):
            return None
        return assigned(output)(src)

    return find


def loop() -> Locator:
    """The first ``for`` or ``while`` loop."""

    def find(src: FunctionSource) -> int | None:
        for n in src.in_line_order():
            if isinstance(n, ast.For | ast.While):
                return n.lineno
        return None

    return find


def comprehension() -> Locator:
    """The first list, set or dict comprehension or generator expression over something the
    data sizes (``range(m)``, a row of X): a loop too. One over a few written-out items
    (``all(a.ndim == 2 for a in (w, X, Y))``) costs nothing."""
    written_out = ast.Tuple | ast.List | ast.Set | ast.Dict

    def find(src: FunctionSource) -> int | None:
        for n in src.in_line_order():
            if isinstance(n, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
                if not all(isinstance(g.iter, written_out) for g in n.generators):
                    return n.lineno
        return None

    return find


def _first_loop(src: FunctionSource) -> tuple[list[ast.AST], ast.For | ast.While | None]:
    """The function's nodes in line order, and its first ``for`` or ``while`` loop."""
    nodes = src.in_line_order()
    return nodes, next((n for n in nodes if isinstance(n, ast.For | ast.While)), None)


def assigned_after_loop(*names: str) -> Locator:
    """Where any of ``names`` is first set after the first loop ends: a value the loop had
    computed, computed again afterwards (grads at the final parameters)."""
    wanted = set(names)

    def find(src: FunctionSource) -> int | None:
        nodes, loop = _first_loop(src)
        if loop is None:
            return None
        end = loop.end_lineno or loop.lineno
        for n in nodes:
            if getattr(n, "lineno", 0) > end and isinstance(n, ast.Assign):
                if any(_target_names(t) & wanted for t in n.targets):
                    return n.lineno
        return None

    return find


def assigned_after_update(*names: str) -> Locator:
    """Where any of ``names`` is set inside the first loop after w or b is updated there: a
    value computed at the new parameters (grads one step late), not at the step's start."""
    wanted = set(names)

    def find(src: FunctionSource) -> int | None:
        nodes, loop = _first_loop(src)
        if loop is None:
            return None
        start, end = loop.lineno, loop.end_lineno or loop.lineno
        updated = False
        for n in nodes:
            if not start < getattr(n, "lineno", 0) <= end:
                continue
            if isinstance(n, ast.Assign | ast.AugAssign):
                targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                named = set().union(*(_target_names(t) for t in targets))
                if updated and named & wanted:
                    return n.lineno
                updated = updated or bool(named & {"w", "b"})
        return None

    return find


def first_of(*locators: Locator) -> Locator:
    """The first locator that finds a line."""

    def find(src: FunctionSource) -> int | None:
        for locate in locators:
            line = locate(src)
            if line:
                return line
        return None

    return find


def modulo() -> Locator:
    """The first ``… % k`` (how often something is recorded)."""

    def find(src: FunctionSource) -> int | None:
        for n in src.walk():
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod):
                if isinstance(n.left, ast.Constant) and isinstance(n.left.value, str):
                    continue  # "%i: %f" % (…) formats text; it is not a modulo
                return n.lineno
        return None

    return find


def method_call(name: str) -> Locator:
    """The first call of a method ``name`` (e.g. ``costs.append``)."""

    def find(src: FunctionSource) -> int | None:
        for n in src.walk():
            if (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr == name
            ):
                return n.lineno
        return None

    return find


def update_kept_apart(param: str) -> Locator:
    """The first ``other = param - …`` whose result is stored under another name than
    ``param`` (``w_new = w - learning_rate * dw``): the next iteration starts from the old one."""

    def find(src: FunctionSource) -> int | None:
        for n in src.in_line_order():
            if not (isinstance(n, ast.Assign) and isinstance(n.value, ast.BinOp)):
                continue
            left = n.value.left
            from_param = isinstance(left, ast.Name) and left.id == param
            if from_param and isinstance(n.value.op, ast.Sub | ast.Add):
                if param not in set().union(*(_target_names(t) for t in n.targets)):
                    return n.lineno
        return None

    return find


def range_from_one() -> Locator:
    """The first ``range(1, …)``: a loop that counts from 1."""

    def find(src: FunctionSource) -> int | None:
        for n in src.in_line_order():
            if (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name)
                and n.func.id == "range"
                and len(n.args) >= 2
                and isinstance(n.args[0], ast.Constant)
                and n.args[0].value == 1
            ):
                return n.lineno
        return None

    return find


#: Calls that end the process at once, with no exception to trace back to a line.
_PROCESS_ENDERS = {"_exit", "abort", "kill", "killpg", "raise_signal"}


def process_ender(src: FunctionSource) -> int | None:
    """The first ``os._exit(…)`` (``os.abort``, ``os.kill``, ``signal.raise_signal``): the
    process ends there without a traceback, so only the code can say where."""
    return _first_call_of(src, _PROCESS_ENDERS)


def _first_call_of(src: FunctionSource, names: Collection[str]) -> int | None:
    """The line of the first call of a function (``f(…)``) or method (``m.f(…)``) named in
    ``names``."""
    for n in src.in_line_order():
        if isinstance(n, ast.Call):
            f = n.func
            called_name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if called_name in names:
                return n.lineno
    return None


#: Calls that take time of their own at every iteration, and what they do: no loop is to
#: blame for the time a function takes when it makes one of these.
SLOW_CALLS = {
    "print": "prints",
    "display": "prints",
    "pprint": "prints",
    "sleep": "waits (sleep)",
    "input": "waits for input",
}


def slow_call() -> Locator:
    """The first call of one of :data:`SLOW_CALLS` (``print(…)``, ``time.sleep(…)``)."""

    def find(src: FunctionSource) -> int | None:
        return _first_call_of(src, SLOW_CALLS)

    return find


def slow_call_in_loop_at(src: FunctionSource, line: int) -> int | None:
    """The first of :data:`SLOW_CALLS` inside the innermost ``for`` loop of this function that
    holds ``line``: where a run caught at that line spent its time, on a busy machine too."""
    loops = [
        n
        for n in src.walk()
        if isinstance(n, ast.For) and n.lineno <= line <= (n.end_lineno or n.lineno)
    ]
    if not loops:
        return None
    innermost = max(loops, key=lambda n: n.lineno)
    return slow_call()(FunctionSource(innermost, src.file, src.lines))  # type: ignore[arg-type]


def called(name: str) -> Locator:
    """The first call of a function ``name`` (``print(...)``)."""

    def find(src: FunctionSource) -> int | None:
        for n in src.in_line_order():
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name:
                return n.lineno
        return None

    return find


def printed_words(word: str) -> Locator:
    """The first ``print(...)`` whose text mentions ``word`` (any case): "train accuracy"."""

    def find(src: FunctionSource) -> int | None:
        for n in src.in_line_order():
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print":
                texts = [c.value for c in ast.walk(n) if isinstance(c, ast.Constant)]
                if any(isinstance(t, str) and word in t.lower() for t in texts):
                    return n.lineno
        return None

    return find


def returned(src: FunctionSource) -> int | None:
    """The last ``return`` statement."""
    lines = [n.lineno for n in src.walk() if isinstance(n, ast.Return)]
    return lines[-1] if lines else None


#: The lesson functions' parameters, in the lesson's order: a learner's call is matched by
#: position against these (a learner may rename them in a definition, not reorder them).
LESSON_PARAMETERS = {
    "initialize_with_zeros": ("dim",),
    "propagate": ("w", "b", "X", "Y"),
    "optimize": ("w", "b", "X", "Y", "num_iterations", "learning_rate", "print_cost"),
    "predict": ("w", "b", "X"),
    "model": (
        "X_train",
        "Y_train",
        "X_test",
        "Y_test",
        "num_iterations",
        "learning_rate",
        "print_cost",
    ),
}


def _lesson_name(name: str) -> str:
    """X_train, X_test → X: what a variable stands for in the lesson's signatures."""
    for suffix in ("_train", "_test"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def source_mistake(src: FunctionSource) -> tuple[str, int] | None:
    """A mistake read from the source alone: this function's own parameters out of the
    lesson's order, ``dw, db = grads`` (a dict's keys), or a call to a lesson function that
    passes its arguments wrongly:
    a variable named after one parameter given in another's place (positional arguments
    are matched by position, so ``optimize(w, b, X, Y, learning_rate)`` trains for
    ``learning_rate`` iterations), or w sized by the number of examples
    (``initialize_with_zeros(X.shape[1])``). Returns (the mistake in words, its line)."""
    caller = src.node.name
    own = LESSON_PARAMETERS.get(caller, ())
    for position, name in enumerate(src.params()[: len(own)]):
        if name in own and own.index(name) != position:  # the check calls it in this order
            return (
                f"{caller} takes {name} as parameter {position + 1}, where the lesson's "
                f"{caller} takes {own[position]}; the lesson's functions are called with their "
                f"arguments in order, so keep it: def {caller}({', '.join(own)}).",
                src.node.lineno,
            )
    for n in src.walk():
        if (  # dw, db = grads: unpacking a dict gives its keys, the strings "dw" and "db"
            isinstance(n, ast.Assign)
            and isinstance(n.targets[0], ast.Tuple)
            and isinstance(n.value, ast.Name)
            and n.value.id == "grads"
        ):
            names = ", ".join(ast.unparse(t) for t in n.targets[0].elts)
            return (
                f"{caller} unpacks grads with {names} = grads: unpacking a dict gives its keys "
                "(the strings 'dw' and 'db'), not its values; write dw = grads['dw'] and "
                "db = grads['db'].",
                n.lineno,
            )
        if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Name)):
            continue
        callee = n.func.id
        params = LESSON_PARAMETERS.get(callee)
        if params is None:
            continue
        if callee == "initialize_with_zeros" and n.args:
            arg = n.args[0]
            if (
                isinstance(arg, ast.Subscript)
                and isinstance(arg.value, ast.Attribute)
                and arg.value.attr == "shape"
                and isinstance(arg.slice, ast.Constant)
                and arg.slice.value in (1, -1)
            ):
                data = ast.unparse(arg.value.value)
                return (
                    f"{caller} sizes w with {ast.unparse(arg)}, the number of examples; w holds "
                    f"one weight per feature, and X is (features, examples): call "
                    f"initialize_with_zeros({data}.shape[0]).",
                    n.lineno,
                )
        for position, arg in enumerate(n.args[: len(params)]):
            if not isinstance(arg, ast.Name):
                continue
            meant = _lesson_name(arg.id)
            if meant in params and params.index(meant) != position:
                return (
                    f"{caller} passes {arg.id} as argument {position + 1} of {callee}, where "
                    f"{callee} takes {params[position]}: arguments without a name are matched "
                    f"by position. Pass them in the order {callee}({', '.join(params)}), or "
                    f"by name ({meant}={arg.id}).",
                    n.lineno,
                )
        for keyword in n.keywords:
            value = keyword.value
            if keyword.arg not in params or not isinstance(value, ast.Name):
                continue
            meant = _lesson_name(value.id)
            if meant in params and meant != keyword.arg:
                return (
                    f"{caller} calls {callee} with {keyword.arg}={value.id}, so {value.id} "
                    f"goes to {callee}'s {keyword.arg}; write {keyword.arg}={keyword.arg} "
                    f"(and {meant}={meant}).",
                    n.lineno,
                )
    return None
