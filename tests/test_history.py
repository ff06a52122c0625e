"""History files: round trips through CSV and JSON, and the garbage a user might hand over
instead of a history."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrnn import data
from lrnn import history as history_module
from lrnn.backends import make_backend
from lrnn.errors import DataError, UsageError
from lrnn.history import load_history, save_history
from lrnn.train import TrainConfig, train


@pytest.fixture(scope="module")
def recorded() -> dict:
    """The history of 60 recorded gd iterations on the built-in digits."""
    ds = data.builtin("digits")
    train_ds, _ = data.split(ds, 0.3, seed=0)
    result = train(
        make_backend(train_ds.X, train_ds.y, scale=train_ds.spec.scale),
        TrainConfig(solver="gd", learning_rate="auto", max_iter=60),
    )
    return result.history


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_history_round_trip(recorded, tmp_path, suffix):
    history = recorded
    path = save_history(history, tmp_path / f"h{suffix}")
    loaded = load_history(path)
    assert list(loaded) == list(history)
    assert loaded["iteration"] == list(history["iteration"])
    assert all(isinstance(v, int) for v in loaded["iteration"])
    for key in history:
        np.testing.assert_array_equal(loaded[key], np.asarray(history[key], dtype=float))


@settings(max_examples=40, deadline=None)
@given(
    costs=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=20),
    suffix=st.sampled_from([".csv", ".json"]),
)
def test_history_round_trip_any_floats(tmp_path_factory, costs, suffix):
    history = {"iteration": list(range(len(costs))), "cost": costs}
    path = save_history(history, tmp_path_factory.mktemp("h") / f"h{suffix}")
    loaded = load_history(path)["cost"]
    for a, b in zip(loaded, costs, strict=True):
        if suffix == ".json" and not math.isfinite(b):
            assert math.isnan(a)  # JSON has no inf/NaN: null, read back as NaN
        else:
            assert a == b or (math.isnan(a) and math.isnan(b))


def test_save_history_refuses_bad_input(tmp_path):
    with pytest.raises(UsageError, match=".csv or .json"):
        save_history({"iteration": [0], "cost": [1.0]}, tmp_path / "h.txt")
    with pytest.raises(UsageError, match="one value per recorded iteration"):
        save_history({"iteration": [0, 1], "cost": [1.0]}, tmp_path / "h.csv")
    with pytest.raises(UsageError, match="not a number"):
        save_history({"iteration": [0], "cost": ["x"]}, tmp_path / "h.csv")
    # a file load_history would refuse is not written (it was, and then refused on reading)
    with pytest.raises(UsageError, match="needs the columns 'iteration'"):
        save_history({"cost": [0.7, 0.6]}, tmp_path / "h.csv")
    assert list(tmp_path.iterdir()) == []


GARBAGE = [
    ("h.csv", b"", "empty"),
    ("h.csv", b"iteration,cost\n0,0.7\n1,abc\n", "not a number"),
    ("h.csv", b"iteration,cost\n0,0.7\n1\n", "line 3 has 1 values"),
    ("h.csv", b"iteration,cost,cost\n0,1,2\n", "appears twice"),
    ("h.csv", b"iteration,loss\n0,0.7\n", "no 'cost'"),
    ("h.csv", b"iteration,cost\n0.5,0.7\n", "whole numbers"),
    ("h.csv", b"\xff\xfe\x00garbage\x00\x81", "not UTF-8"),
    ("h.json", b'{"iteration": [0, 1], "cost": [0.7]}', "one value per recorded iteration"),
    ("h.json", b"[1, 2, 3]", "object of lists"),
    ("h.json", b'{"iteration": [0], "cost": [true]}', "not a number"),
    ("h.json", b'{"iteration": [0], "cost": [[1]]}', "not a number"),
    ("h.json", b"{not json", "not valid JSON"),
    ("h.json", b"{}", "empty"),
    ("h.txt", b"iteration,cost\n0,1\n", ".csv or .json"),
]


@pytest.mark.parametrize(("name", "content", "message"), GARBAGE)
def test_load_history_refuses_garbage(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=re.escape(message)) as info:
        load_history(path)
    assert "\n" not in str(info.value)


def test_load_history_missing_folder_and_oversized(tmp_path, monkeypatch):
    with pytest.raises(DataError, match="no such file"):
        load_history(tmp_path / "none.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataError, match="folder"):
        load_history(tmp_path / "dir.csv")
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"iteration": list(range(100)), "cost": [0.5] * 100}))
    monkeypatch.setattr(history_module, "MAX_HISTORY_BYTES", 100)
    with pytest.raises(DataError, match="more than"):
        load_history(big)


def test_a_long_json_history_is_still_known_as_lrnn_s_own(tmp_path):
    """Its whole iteration list comes before the cost key: a look at the first 4 KiB alone
    refused to replace lrnn's own file on the next run."""
    from pathlib import Path

    from lrnn.files import written_by_lrnn
    from lrnn.history import save_history

    long, short, other = tmp_path / "long.json", tmp_path / "short.json", tmp_path / "o.json"
    save_history({"iteration": list(range(5000)), "cost": [0.5] * 5000}, long)
    save_history({"iteration": [0, 1], "cost": [0.7, 0.6]}, short)
    other.write_text('{"iteration": [1], "loss": [2]}')
    assert written_by_lrnn(Path(long), "history") and written_by_lrnn(Path(short), "history")
    assert not written_by_lrnn(Path(other), "history")


@pytest.mark.parametrize("classes", [2, 3])
def test_every_recorded_column_is_one_a_history_file_is_known_by(classes):
    """An existing --history file is replaced only when all its columns are lrnn's: a column
    recorded by training but missing from HISTORY_COLUMNS would make lrnn refuse its own."""
    from lrnn import LogisticNeuron

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = np.digitize(X[:, 0], [-0.5, 0.5]) % classes
    model = LogisticNeuron(early_stopping=True, max_iter=30, learning_rate=0.1).fit(X, y)
    assert "val_loss" in model.history_
    assert set(model.history_) <= set(history_module.HISTORY_COLUMNS)
