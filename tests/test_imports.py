"""Imports point one way: the data layer and the windows out never pull in the training loop,
the doors or heavy libraries, so ``import lrnn.data`` (and ``import lrnn``) stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys

LOWER = ["lrnn.data", "lrnn.persist", "lrnn.metrics", "lrnn.history"]
DOORS = ["lrnn.train", "lrnn.estimator", "lrnn.cli", "lrnn.course"]
HEAVY = ["dask", "torch", "matplotlib", "h5py", "pandas", "PIL", "pyarrow", "zarr", "sklearn"]


def test_lower_layers_import_no_door_and_nothing_heavy():
    code = (
        "import json, sys\n"
        + "".join(f"import {m}\n" for m in LOWER)
        + "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    )
    loaded = set(json.loads(out.stdout))
    assert loaded.isdisjoint(DOORS), sorted(loaded & set(DOORS))
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_the_command_starts_on_the_standard_library_alone_and_an_early_ctrl_c_is_said():
    """A Ctrl-C while the command line loads printed a KeyboardInterrupt traceback: the entry
    point imports only lrnn's version before the guarded import of the CLI (typing, and the
    re it takes, are not loaded: ~10 ms), and an interrupt there is "interrupted", exit 130."""
    code = (
        "import json, sys\nbefore = set(sys.modules)\nimport lrnn._entry\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    )
    assert set(json.loads(out.stdout)) <= {"lrnn", "lrnn._version", "lrnn._entry", "__future__"}
    import lrnn

    assert "TYPE_CHECKING" not in dir(lrnn)  # the trick that keeps typing out is no name of lrnn's
    code = (
        "import builtins, sys\nreal = builtins.__import__\n"
        "def stopped(name, *args, **kwargs):\n"
        "    if name == 'lrnn.cli':\n        raise KeyboardInterrupt\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = stopped\nfrom lrnn._entry import main\nsys.exit(main())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (130, "interrupted\n")
