"""Data that used to be read silently wrong: saved row indexes, bit depths and modes of images,
mixed image sizes, .npy inputs, label columns at predict time, label spellings.

Every case writes its own small file (pandas, numpy and Pillow generate them) and checks what the
loaders make of it; a few go through the real ``lrnn`` command to show the user sees it too.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lrnn.data import load, load_inputs
from lrnn.errors import DataError
from tests.cli_helpers import run


def error_of(fn, *args, kind: type[Exception] = DataError, **kwargs) -> str:
    """Call ``fn`` expecting ``kind``; return the message, checked to be one line."""
    with pytest.raises(kind) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message, message
    return message


def no_warning(fn, *args, **kwargs):
    """``fn(...)``, failing the test if it warns."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def frame(rows: int = 30, seed: int = 0) -> pd.DataFrame:
    """Two features and a yes/no label; sorted by label, as exported tables often are."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.standard_normal((rows, 2)), columns=["a", "b"])
    df["label"] = np.where(df["a"] > 0, "yes", "no")
    return df.sort_values("label", ignore_index=True)


# --------------------------------------------------------------------------------------------
# A saved row index (DataFrame.to_csv() writes one by default)


def test_csv_with_pandas_index_drops_it_with_a_warning(tmp_path):
    df = frame()
    df.to_csv(tmp_path / "t.csv")  # header ",a,b,label": pandas reads it back as "Unnamed: 0"
    with pytest.warns(UserWarning, match=r"dropped the first column 'Unnamed: 0'.*0–29") as rec:
        ds = load(tmp_path / "t.csv")
    assert len(rec) == 1 and "\n" not in str(rec[0].message)
    assert ds.spec.feature_names == ("a", "b")
    np.testing.assert_array_equal(ds.X, df[["a", "b"]].to_numpy())
    # the same file to predict on (the model's columns are selected by name): no warning
    spec = ds.spec
    assert no_warning(load_inputs, [str(tmp_path / "t.csv")], spec).X.shape == (30, 2)


def test_parquet_and_blank_header_index_are_dropped(tmp_path):
    df = frame()
    with_index = df.reset_index().rename(columns={"index": "Unnamed: 0"})
    with_index.to_parquet(tmp_path / "t.parquet", index=False)
    with pytest.warns(UserWarning, match="'Unnamed: 0'"):
        assert load(tmp_path / "t.parquet").spec.feature_names == ("a", "b")
    blank = df.reset_index().rename(columns={"index": ""})
    blank.to_parquet(tmp_path / "blank.parquet", index=False)
    with pytest.warns(UserWarning, match="dropped the first column ''"):
        assert load(tmp_path / "blank.parquet").spec.feature_names == ("a", "b")


def test_integer_columns_that_are_not_a_saved_index_stay(tmp_path):
    df = frame()
    shuffled = df.sample(frac=1.0, random_state=0)  # its index is no longer 0, 1, 2, …
    shuffled.to_csv(tmp_path / "shuffled.csv")
    assert no_warning(load, tmp_path / "shuffled.csv").spec.feature_names[0] == "Unnamed: 0"
    named = df.reset_index()  # a column called "index" is the user's choice
    named.to_csv(tmp_path / "named.csv", index=False)
    assert no_warning(load, tmp_path / "named.csv").spec.feature_names == ("index", "a", "b")


def test_streamed_parquet_leaves_out_a_stored_pandas_index(tmp_path):
    from lrnn.data.sources import open_out_of_core

    df = frame()
    df["label"] = (df["label"] == "yes").astype(np.int64)
    df.index = pd.Index(np.random.default_rng(0).permutation(30))  # stored as a column
    df.to_parquet(tmp_path / "t.parquet")
    with pytest.warns(UserWarning, match="'__index_level_0__' hold a saved pandas index"):
        source, y = open_out_of_core(tmp_path / "t.parquet")
    assert source.features == ["a", "b"] and y.shape == (30,)


def test_train_on_an_indexed_csv_warns_on_stderr(tmp_path):
    frame(rows=60).to_csv(tmp_path / "t.csv")
    proc = run(["train", "t.csv", "--no-plot", "--iterations", "5", "--model", "m.safetensors"],
               tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "dropped the first column 'Unnamed: 0'" in warning[0]
    from lrnn import persist

    assert persist.load_model(tmp_path / "m.safetensors").feature_names == ["a", "b"]
