"""The ``lrnn`` command: wiring only.

Each sub-command parses its options (:mod:`lrnn.cli.parser`), checks them and every output path
*before* any work starts, calls the library and prints (:mod:`lrnn.cli.commands`). Errors lrnn
raises on purpose become one line on stderr (exit 2 for usage, 1 for failures) unless
``--debug`` asks for the traceback. Results go to stdout; progress and warnings to stderr;
``--json`` makes stdout JSON only.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import errno
import itertools
import json
import os
import re
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import Any

from lrnn.errors import (
    DataError,
    LrnnError,
    ModelFileError,
    UsageError,
    closest,
    one_line,
    printable,
)

__all__ = ["DEFAULT_MODEL", "build_parser", "main"]


def __getattr__(name: str) -> Any:
    """The parser and the commands (numpy and the rest, ~0.15 s of imports) load inside
    :func:`main`, where an interrupt is caught: a Ctrl-C while they load says "interrupted"
    instead of printing a traceback."""
    if name == "build_parser":
        from lrnn.cli.parser import build_parser

        return build_parser
    if name == "DEFAULT_MODEL":
        from lrnn.cli.commands import DEFAULT_MODEL

        return DEFAULT_MODEL
    raise AttributeError(f"module 'lrnn.cli' has no attribute {name!r}")


#: Commands whose work is the files they save: a reader of their output that goes away
#: (``lrnn train … | head -1``) must not stop them before the files are written.
SAVING_COMMANDS = frozenset({"train", "report", "export", "compare-lr"})


class _MayClose:
    """stdout for :data:`SAVING_COMMANDS`: once the reader has gone (a broken pipe) or the
    output cannot be written (a full disk), the rest of it is dropped and the command goes on
    to save its files. Also stderr for every command: a warning that cannot be written must
    not throw away a finished run (with 2>/dev/full it did, model unsaved, exit 1)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):  # ValueError: the stream was closed
                self._drop()
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._drop()

    def _drop(self) -> None:
        self._gone = True
        try:  # so the interpreter's own flush at exit does not complain either
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
        except (OSError, ValueError, AttributeError):  # no real file behind it (tests)
            pass

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, …
        return getattr(self._stream, name)


# --------------------------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------------------------
def _ignore_further_interrupts() -> None:
    """Once lrnn returns its exit status nothing is left to interrupt."""
    import signal

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)


def _error_event(argv: list[str], message: str, code: int) -> int:
    """``train --json``: a stream that fails ends with an event saying so, as an interrupted
    one does (its last line was a record, the reason only on stderr); returns ``code``."""
    words = [a for a in argv if not a.startswith("-")]
    if words[:1] == ["train"] and "--json" in argv:
        with contextlib.suppress(OSError, ValueError):  # stdout itself may be what failed
            print(json.dumps({"event": "error", "exit": code, "message": message}), flush=True)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """The ``lrnn`` command (``argv`` None), or one of its command lines run from Python."""
    status = 130  # what an interrupt that lands anywhere below leaves
    try:
        status = _main(argv)
    except KeyboardInterrupt:  # a second one while the first one's "interrupted" was printed
        status = 130
    finally:
        # The process is ending: a Ctrl-C or SIGTERM now, typically the second of two pressed
        # quickly, would raise outside every handler and end it by the signal, not with 130.
        # A press can land inside the call that ignores them (before its first line runs:
        # seen in 1 of 6 tries on a loaded machine); the call is then made again.
        while argv is None:
            try:
                _ignore_further_interrupts()
                break
            except KeyboardInterrupt:
                status = 130
    return status


def _command_parser(parser: Any, command: str | None) -> Any:
    """The sub-command's own parser (its options), or the top level's without one."""
    commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return commands[0].choices.get(command, parser) if commands and command else parser


def _nearest_option(parser: Any, command: str | None, words: list[str]) -> tuple[str, str]:
    """(the first option in ``words`` that ``command`` does not have, "; did you mean --test?"
    when it is near one that it has, or the one it begins) — or ("", ""). Options are taken
    in full only: an abbreviation (--iter) is pointed at its option."""
    where = _command_parser(parser, command)
    known = [s for action in where._actions for s in action.option_strings if s.startswith("--")]
    typed = [w.split("=")[0] for w in words if w.startswith("--")]
    unknown = [w for w in typed if w not in known]
    hints = []
    for w in unknown:
        begun = [k for k in known if k.startswith(w)]
        meant = f"; did you mean {begun[0]}?" if len(begun) == 1 else ""
        if len(begun) > 1:
            meant = f"; it begins {', '.join(begun[:4])}{', …' * (len(begun) > 4)}: give one"
        hints.append((w, meant or closest(w, known, quoted=False)))
    return next((pair for pair in hints if pair[1]), hints[0] if hints else ("", ""))


def _options_given_twice(parser: Any, command: str, argv: list[str]) -> list[str]:
    """An option that takes a value (or several: ``--rates``, ``--ngrams``), given twice with
    other values: argparse keeps the last without a word (``--iterations 10 … --iterations
    20`` ran 20). Options that collect (``--drop``) and flags are left alone."""
    where = _command_parser(parser, command)
    single = {
        s: action
        for action in where._actions
        if isinstance(action, argparse._StoreAction) and action.nargs != 0
        for s in action.option_strings
    }
    seen: dict[Any, list[tuple[str, str]]] = {}
    for i, word in enumerate(argv):
        name, eq, value = word.partition("=")
        if name in single:
            if not eq:  # its values: the words up to the next option (one, unless it takes more)
                many = single[name].nargs not in (None, "?")
                following = list(
                    itertools.takewhile(lambda w: not w.startswith("--"), argv[i + 1 :])
                )
                value = " ".join(following if many else following[:1])
            seen.setdefault(single[name], []).append((name, value))
    said = []
    for given in seen.values():
        values = [value for _, value in given]
        if len(given) > 1 and len(set(values)) > 1:
            said.append(
                f"{given[0][0]} is given {len(given)} times ({', '.join(map(repr, values))}); "
                f"the last, {values[-1]!r}, is used — give it once."
            )
    return said


def _with_the_word_meant(message: str, parser: Any, argv: list[str]) -> str:
    """argparse's ``message`` with the word meant, where a typo caused it: an invalid choice
    ('did you mean 'train'?'), or a required option that was given mistyped."""
    if " (see " not in message:  # not argparse's own line
        return message
    text, see = message.rsplit(" (see ", 1)
    typo = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)$", text)
    if typo:
        choices = re.findall(r"'([^']*)'", typo[2])
        return f"{text}{closest(typo[1], choices)} (see {see}"
    command = next((word for word in argv if not word.startswith("-")), None)
    typed, hint = _nearest_option(parser, command, argv)
    missing = text.partition("arguments are required: ")[2]
    # a file named like an option (-data.csv) is taken for one: the input "was not given"
    dashed = next((w for w in argv if w.startswith("-") and os.path.exists(w)), None)
    if missing and dashed is not None and not missing.startswith("-"):
        return (
            f"{text}; {dashed} was read as an option: give it as ./{dashed}, or after -- (see {see}"
        )
    if not hint or hint[len("; did you mean ") : -1] not in missing.split(", "):
        return message
    return f"{text}; {typed} is not an option{hint} (see {see}"


def _writable_streams() -> None:
    """Standard output and error as a command can use them. A console that cannot show
    lrnn's characters (LC_ALL=C without Python's UTF-8 mode, a cp1252 console) gets escapes
    for them, not a failed run ('ascii' codec can't encode '×'); a closed one (>&-) gets
    /dev/null, so that what can be saved still is (``lrnn predict`` then says it has nowhere
    to write)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            stand_in = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
            atexit.register(stand_in.close)  # not left to the collector, which would warn
            setattr(sys, name, stand_in)
            if name == "stdout":
                sys.stdout.closed_by_caller = True  # type: ignore[attr-defined]
            continue
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
        if encoding not in ("utf-8", "utf8") and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # closed, or not reconfigurable
                pass


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    _writable_streams()
    try:
        from lrnn.cli.parser import build_parser

        parser = build_parser()
        try:
            args, unknown = parser.parse_known_args(argv)
        except UsageError as error:  # a mistyped choice, or a missing --model mistyped
            raise UsageError(_with_the_word_meant(str(error), parser, argv)) from None
        if unknown:  # argparse would point at the top level's help; the command's is the one
            prog = f"lrnn {args.command}" if args.command else "lrnn"
            hint = _nearest_option(parser, args.command, unknown)[1]
            raise UsageError(
                f"{prog}: unrecognized arguments: {' '.join(unknown)}{hint} (see '{prog} --help')"
            )
        if args.command is None:
            parser.print_help()
            return 2
        args.argv = argv  # what was typed: a resume hint repeats it
        try:
            os.getcwd()
        except FileNotFoundError:  # every relative path would fail with a bare "[Errno 2]"
            raise UsageError(
                "the working folder no longer exists (deleted or moved since this shell went "
                "there); cd to an existing folder and run the command again."
            ) from None
        saves = args.command in SAVING_COMMANDS or getattr(args, "save", False)
        if getattr(sys.stdout, "closed_by_caller", False) and not saves and args.command != "serve":
            raise UsageError(
                f"standard output is closed; lrnn {args.command} prints its results there: "
                "redirect it to a file (> results.txt) or a pipe instead of closing it."
            )
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            # other packages' deprecations (pyparsing's, under an older matplotlib) are their
            # authors' business, hidden as Python hides them; lrnn itself deprecates nothing
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
            warnings.showwarning = _one_line_warning
            stdout, stderr = sys.stdout, sys.stderr
            if not isinstance(stderr, _MayClose):
                sys.stderr = _MayClose(stderr)
            if saves and not isinstance(stdout, _MayClose):
                sys.stdout = _MayClose(stdout)
            for said in _options_given_twice(parser, args.command, argv):
                warnings.warn(said, UserWarning, stacklevel=1)
            try:
                return int(args.run(args) or 0)
            except OSError as exc:  # a write to stdout that failed is named as such
                if exc.filename is None and _is_stdout_failure(stdout):
                    raise OSError(
                        f"cannot write to standard output ({exc.strerror or exc}); free space "
                        "where it goes, or send it elsewhere"
                    ) from exc
                raise
            finally:
                sys.stdout, sys.stderr = stdout, stderr
    except SystemExit as exc:  # --help, --version: argparse printed and asked to exit
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt as exc:  # its words, where it has some, say what was not done
        print(f"interrupted: {exc}" if str(exc) else "interrupted", file=sys.stderr)
        # `lrnn check --json` stopped before any verdict, while loading or checking: its
        # reader waits for one object all the same (a later Ctrl-C keeps the verdicts made)
        words = [a for a in argv if not a.startswith("-")]
        if words[:1] == ["check"] and "--json" in argv:
            print('{"passed": false, "interrupted": true, "functions": []}', flush=True)
        return 130
    except BrokenPipeError:
        # The reader went away (``lrnn predict … | head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except PermissionError as exc:  # a file or folder this user may not read (or write)
        _traceback_if(debug)
        where = f"{exc.filename}: " if exc.filename is not None else ""
        print(
            f"error: {where}permission denied; give a file this user may read (and a folder "
            "it may write to), or change its permissions.",
            file=sys.stderr,
        )
        return 2
    except (UsageError, DataError, ModelFileError, argparse.ArgumentError) as exc:
        # The command cannot run as asked: an option, a file or the data do not fit.
        _traceback_if(debug)
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return _error_event(argv, one_line(exc), 2)
    except (LrnnError, ValueError, OSError, MemoryError) as exc:
        # A run that could start but failed (diverged, out of memory, a disk that fills up).
        _traceback_if(debug)
        if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:  # a path: a usage error
            said = f"{exc.filename}: the name is too long for the file system; give a shorter path"
            print(f"error: {printable(str(said))}.", file=sys.stderr)
            return _error_event(argv, said, 2)
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return _error_event(argv, one_line(exc), 1)
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, not a traceback
        if debug:
            traceback.print_exc()
            print(f"error: unexpected {type(exc).__name__}: {one_line(exc)}", file=sys.stderr)
            return 1
        print(
            f"error: unexpected {type(exc).__name__}: {one_line(exc)} "
            "(run again with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def _is_stdout_failure(stdout: Any) -> bool:
    """Whether standard output itself fails: one more write of nothing, flushed, tells."""
    try:
        stdout.write("")
        stdout.flush()
    except (OSError, ValueError):
        return True
    return False


def _traceback_if(debug: bool) -> None:
    """--debug adds the traceback; the one-line error and the exit status stay as without it,
    so a script that tests for status 2 behaves the same while someone debugs it."""
    if debug:
        traceback.print_exc()


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {_in_flags(one_line(message))}", file=sys.stderr)


def _in_flags(text: str) -> str:
    """The training loop's warnings name its settings (max_iter=2000, raise max_iter); on the
    command line they are options (--iterations 2000, raise --iterations)."""
    from lrnn.cli.commands import FLAGS  # how the command line spells the settings

    for field in ("max_iter", "tol"):
        flag = FLAGS[field]
        text = re.sub(rf"\b{field}=(\S+?)([,;)]|\s|$)", rf"{flag} \1\2", text)
        text = re.sub(rf"\braise {field}\b", f"raise {flag}", text)
    # solver='lbfgs' or 'newton' → --solver lbfgs or newton; solver='newton' → --solver newton
    text = re.sub(r"\bsolver='(\w+)' or '(\w+)'", r"--solver \1 or \2", text)
    text = re.sub(r"\bsolver='(\w+)'", r"--solver \1", text)
    text = text.replace("the features (standardize)", "the features (--standardize for a table)")
    return re.sub(r"\bstandardize them\b", "standardize them (--standardize for a table)", text)


if __name__ == "__main__":
    raise SystemExit(main())
