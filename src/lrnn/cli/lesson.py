"""The lesson's own commands: ``lrnn slope`` (derivatives as rise over run) and ``lrnn check``
(a learner's lesson functions, each with ✓ or ✗ and the mistake named)."""

from __future__ import annotations

import argparse
import json
import math
import sys

from lrnn.errors import UsageError, one_line


def cmd_slope(args: argparse.Namespace) -> int:
    """The lesson's slopes: nudge a by a little, see how much f moves (rise over run), at
    two points — so that the line's slope stays put while the curves' slopes change."""
    run = 0.001
    for name, f, exact in (
        ("f(a) = 3a", lambda v: 3 * v, lambda v: 3.0),
        ("f(a) = a²", lambda v: v * v, lambda v: 2 * v),
        ("f(a) = log a", math.log, lambda v: 1 / v),
    ):
        for a in (2.0, 5.0):
            rise = f(a + run) - f(a)
            # ten digits: the two values shown give the rise shown when subtracted (six gave
            # f(5) = 25, f(5.001) = 25.01, "a rise of 0.010001")
            print(
                f"{name:<14} at a = {a}: f({a:g}) = {f(a):.10g}, f({a + run:g}) = "
                f"{f(a + run):.10g}, a rise of {rise:.10g} over a run of {run} → slope ≈ "
                f"{rise / run:.4f} (exact derivative {exact(a):.4f})"
            )
    print("A straight line has the same slope everywhere; a curve's slope depends on a.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """A learner's lesson functions, each with ✓ or ✗ and the mistake named (lrnn.check)."""
    from lrnn.check import Limits, check_file

    limits = Limits(args.time_limit, args.total_time_limit, args.memory)
    if sys.stderr.isatty() and not args.json:  # the verdicts come at the end: say it is working
        print(
            f"checking {args.solution} (each function may run up to {limits.time_limit:g} s; "
            "Ctrl-C stops) …",
            file=sys.stderr,
            flush=True,
        )
    try:
        report = check_file(args.solution, limits, args.data)
    except UsageError as exc:  # a file that cannot be read: --json readers get JSON still
        if args.json:
            print(json.dumps({"passed": False, "error": one_line(exc), "functions": []}))
        raise
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json()), flush=True)
    else:
        print("\n".join(report.lines(args.show_output)), flush=True)
    if report.interrupted:  # as a shell expects of a run stopped by Ctrl-C
        return 130
    return 0 if report.passed else 1
