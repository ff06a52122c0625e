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
