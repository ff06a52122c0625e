"""The ``lrnn`` command's first step, kept to the standard library: a Ctrl-C while the command
line loads (argparse and lrnn's own modules, tens of milliseconds) says "interrupted" and exits
130, as one at any later moment does; it printed a traceback."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from lrnn.cli import main as run
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return run()
