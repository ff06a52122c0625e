"""TrainConfig: every default and every check in one place, raised at construction."""

from __future__ import annotations

import dataclasses

import pytest

from lrnn import config
from lrnn.config import TrainConfig
from lrnn.errors import ModelFileError, UsageError
from lrnn.solvers import SOLVER_NAMES

INVALID = {
    "solver": ["sgd2", "", None, 3],
    "learning_rate": [-1, 0, 0.0, float("nan"), float("inf"), "fast", None, True],
    "max_iter": [0, -5, 2.5, "10", None, True],
    "alpha": [-0.1, float("nan"), float("inf"), "0", None],
    "tol": [-1e-3, float("inf"), float("nan"), None],
    "batch_size": [0, -1, 1.5, None],
    "random_state": [-1, 2**32, 1.0, "0", True],
    "record_every": [0, -2, 0.5],
    "early_stopping": [1, "yes", None],
    "n_iter_no_change": [0, -1, 2.0],
    "momentum": [1.0, -0.1, float("nan"), 2],
    "divergence_patience": [0, 1.5],
}


def test_every_field_has_invalid_cases():
    assert set(INVALID) == {f.name for f in dataclasses.fields(TrainConfig)}


@pytest.mark.parametrize(
    ("name", "value"), [(name, v) for name, values in INVALID.items() for v in values]
)
def test_invalid_values_raise_at_construction_in_one_line(name, value):
    with pytest.raises(UsageError) as info:
        TrainConfig(**{name: value})
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{name} must be ")
    assert f"got {value!r}" in message


def test_defaults_are_the_lessons_run_and_valid():
    c = TrainConfig()
    assert (c.solver, c.learning_rate, c.max_iter, c.alpha, c.tol) == ("gd", 0.005, 2000, 0, 0)
    assert config.default("learning_rate") == 0.005
    with pytest.raises(KeyError):
        config.default("no_such_field")


def test_build_names_the_doors_spelling():
    with pytest.raises(
        UsageError, match=r"^--iterations must be an integer between 1 and 10,000,000; got 0\.$"
    ):
        TrainConfig.build({"max_iter": "--iterations"}, max_iter=0)
    assert TrainConfig.build({"max_iter": "--iterations"}, max_iter=7).max_iter == 7


@pytest.mark.parametrize(
    ("settings", "needle"),
    [
        ("not a dict", "are missing"),
        ({"solver": "gd", "colour": 1}, "unknown key(s) 'colour'"),
        ({"learning_rate": -1}, "learning_rate=-1"),
        ({"solver": "rmsprop"}, "solver='rmsprop'"),
    ],
)
def test_settings_read_from_a_file_are_the_files_fault(settings, needle):
    with pytest.raises(ModelFileError) as info:
        TrainConfig.from_dict(settings, source="m.safetensors", what="run settings")
    assert needle in str(info.value) and str(info.value).startswith("m.safetensors: ")


def test_round_trip_through_a_dict():
    c = TrainConfig(solver="adam", learning_rate="auto", alpha=1e-3, random_state=None)
    assert TrainConfig.from_dict(c.to_dict(), source="f", what="x") == c


def test_every_registered_solver_is_accepted():
    for name in SOLVER_NAMES:
        assert TrainConfig(solver=name).solver == name


@pytest.mark.parametrize("value", [0, 1, -0.5, 1.5, float("nan"), "0.1", None])
def test_hold_out_fraction_must_be_strictly_between_0_and_1(value):
    with pytest.raises(UsageError, match="strictly between 0 and 1"):
        config.check_fraction("validation_fraction", value)
