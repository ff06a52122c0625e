"""Out-of-core streaming: parity with the in-memory backend for .npy, Zarr and Parquet, bad
layouts with their fixes, and (slow) 2 GB trained in a subprocess whose anonymous memory stays
under 600 MB."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from lrnn.backends.numpy_backend import InMemoryBackend
from lrnn.backends.stream_backend import StreamingBackend
from lrnn.data.sources import ArraySource, is_out_of_core, open_out_of_core, out_of_core_layout
from lrnn.errors import DataError
from lrnn.train import TrainConfig, train

RTOL = 1e-8
ROOT = Path(__file__).resolve().parents[1]


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300))


@pytest.fixture(scope="module")
def data(breast_cancer_std):
    X, y = breast_cancer_std
    return np.ascontiguousarray(X), y.astype(np.float64)


@pytest.fixture(scope="module")
def point():
    rng = np.random.default_rng(1)
    return rng.standard_normal(30), 0.3, rng.standard_normal(30), -0.7


def write_npy(folder: Path, X, y) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "X.npy", X)
    np.save(folder / "y.npy", y)
    return folder


def write_zarr(path: Path, X, y, chunk_rows: int = 64) -> Path:
    zarr = pytest.importorskip("zarr", reason="Zarr is not installed (pip install '.[dask]')")
    group = zarr.open_group(str(path), mode="w")
    group.create_array("X", data=X, chunks=(chunk_rows, X.shape[1]))
    group.create_array("y", data=y)
    return path


def write_parquet(folder: Path, X, y, files: int = 3, label: str = "label") -> Path:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(X, columns=[f"f{j:02d}" for j in range(X.shape[1])])
    frame[label] = y.astype(np.int64)
    for k, part in enumerate(np.array_split(np.arange(len(y)), files)):
        table = pa.Table.from_pandas(frame.iloc[part], preserve_index=False)
        pq.write_table(table, folder / f"part-{k}.parquet", row_group_size=70)
    return folder


@pytest.fixture(scope="module")
def stores(tmp_path_factory, data):
    X, y = data
    base = tmp_path_factory.mktemp("stores")
    return {
        "npy": write_npy(base / "npy", X, y),
        "zarr": write_zarr(base / "data.zarr", X, y),
        "parquet": write_parquet(base / "parquet", X, y),
    }


@pytest.mark.parametrize("layout", ["npy", "zarr", "parquet"])
def test_passes_match_in_memory(stores, data, point, layout):
    X, y = data
    backend = StreamingBackend.open(stores[layout], block_rows=50)
    assert (backend.n_samples, backend.n_features) == X.shape
    ref = InMemoryBackend(X, y)
    w, b, vw, vb = point
    a, c = ref.data_pass(w, b), backend.data_pass(w, b)
    assert rel(a.loss, c.loss) < RTOL and rel(a.dw, c.dw) < RTOL
    assert rel(a.db, c.db) < RTOL and rel(a.accuracy, c.accuracy) < RTOL
    (hw, hb), (sw, sb) = ref.hessp(w, b, vw, vb), backend.hessp(w, b, vw, vb)
    assert rel(hw, sw) < RTOL and rel(hb, sb) < RTOL
    assert rel(ref.hessian(w, b), backend.hessian(w, b)) < RTOL
    assert rel(ref.lambda_max(), backend.lambda_max()) < RTOL
    assert rel(ref.logits(w, b), backend.logits(w, b)) < RTOL


@pytest.mark.parametrize("layout", ["npy", "zarr", "parquet"])
@pytest.mark.parametrize("solver", ["gd", "nesterov", "lbfgs", "newton"])
def test_training_matches_in_memory(stores, data, layout, solver):
    X, y = data
    config = TrainConfig(solver=solver, learning_rate=0.1, alpha=1e-2, max_iter=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = train(InMemoryBackend(X, y), config)
        got = train(StreamingBackend.open(stores[layout], block_rows=64), config)
    assert got.n_iter == expected.n_iter
    assert rel(expected.w, got.w) < RTOL and rel(expected.b, got.b) < RTOL
    assert rel(expected.history["cost"], got.history["cost"]) < RTOL


def test_sgd_on_a_memory_map_draws_the_in_memory_batches(stores, data):
    X, y = data
    config = TrainConfig(solver="sgd", learning_rate=0.1, alpha=1e-2, max_iter=3)
    expected = train(InMemoryBackend(X, y), config)
    got = train(StreamingBackend.open(stores["npy"], block_rows=64), config)
    assert rel(expected.w, got.w) < RTOL and rel(expected.final_cost, got.final_cost) < RTOL


@pytest.mark.parametrize("layout", ["zarr", "parquet"])
def test_sgd_on_chunked_storage_reaches_the_same_optimum(stores, data, layout):
    """Batches are shuffled within storage blocks (other batches than in memory): the path
    differs, the optimum does not."""
    X, y = data
    optimum = train(InMemoryBackend(X, y), TrainConfig(solver="newton", alpha=1e-2, max_iter=20))
    config = TrainConfig(solver="sgd", learning_rate=0.5, alpha=1e-2, max_iter=40)
    in_memory = train(InMemoryBackend(X, y), config)
    got = train(StreamingBackend.open(stores[layout], block_rows=64), config)
    assert not np.allclose(got.w, in_memory.w)  # other batches ...
    assert in_memory.final_cost == pytest.approx(optimum.final_cost, rel=1e-2)
    # ... same optimum, within sgd's noise (row groups of 70 leave some batches of 6 rows)
    assert got.final_cost == pytest.approx(optimum.final_cost, rel=3e-2)


def test_weights_uint8_and_float32(tmp_path, data, point):
    X, y = data
    s = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    w, b, vw, vb = point
    folder = write_npy(tmp_path / "f64", X, y)
    source, labels = open_out_of_core(folder)
    got = StreamingBackend(source, labels, s, block_rows=37)
    ref = InMemoryBackend(X, y, s)
    assert rel(ref.data_pass(w, b).dw, got.data_pass(w, b).dw) < RTOL
    assert rel(ref.hessp(w, b, vw, vb)[0], got.hessp(w, b, vw, vb)[0]) < RTOL
    assert rel(ref.lambda_max(), got.lambda_max()) < RTOL

    pixels = np.random.default_rng(2).integers(0, 256, (300, 30), dtype=np.uint8)
    labels = (pixels[:, 0] > 128).astype(np.float64)
    source, labels = open_out_of_core(write_npy(tmp_path / "u8", pixels, labels))
    got = StreamingBackend(source, labels, scale=1 / 255, block_rows=64)
    ref = InMemoryBackend(pixels, labels, None, 1 / 255)
    assert got.dtype == np.float64
    assert rel(ref.data_pass(w, b).loss, got.data_pass(w, b).loss) < RTOL

    source, labels = open_out_of_core(write_npy(tmp_path / "f32", X.astype(np.float32), y))
    got = StreamingBackend(source, labels, block_rows=64)
    w32 = w.astype(np.float32)
    assert got.dtype == np.float32 and got.data_pass(w32, b).dw.dtype == np.float32
    assert rel(InMemoryBackend(X.astype(np.float32), y).data_pass(w32, b).loss,
               got.data_pass(w32, b).loss) < 1e-6  # fmt: skip


def test_memory_map_blocks_are_views(stores):
    """Blocks of a memory map are views of the page cache: no copy of X is ever made."""
    source, _ = open_out_of_core(stores["npy"] / "X.npy")
    assert isinstance(source, ArraySource) and isinstance(source.array, np.memmap)
    for _, block in source.read(0, source.n_rows, 100):
        assert np.shares_memory(block, source.array)


def test_wide_short_data_uses_the_row_gram(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 100))
    y = (X[:, 0] > 0).astype(np.float64)
    s = rng.uniform(0.5, 2.0, 40)
    got = StreamingBackend(X, y, s, block_rows=15).lambda_max()
    assert rel(InMemoryBackend(X, y, s).lambda_max(), got) < RTOL


def test_one_layout_detector(tmp_path, stores, data):
    X, y = data
    parquet = write_parquet(tmp_path / "pq", X[:20], y[:20], files=1)
    single = parquet / "part-0.parquet"
    (tmp_path / "plain").mkdir()
    (tmp_path / "table.csv").write_text("a,label\n1,0\n")
    cases = [
        (stores["npy"], "npy", True),
        (stores["npy"] / "X.npy", "npy", True),
        (stores["zarr"], "zarr", True),
        (parquet, "parquet", True),
        (single, "parquet", False),  # one Parquet file loads as a table unless forced
        (tmp_path / "plain", None, False),
        (tmp_path / "table.csv", None, False),
        (tmp_path / "missing.npy", None, True),  # streamed, so open_out_of_core names the gap
    ]
    for path, layout, streams in cases:
        assert out_of_core_layout(path) == layout, path
        assert is_out_of_core(path) is streams, path
    assert is_out_of_core(single, forced=True) and not is_out_of_core(None)
    source, labels = open_out_of_core(single)
    assert source.n_rows == 20 and labels.tolist() == y[:20].tolist()


def test_bad_layouts_say_what_to_do(tmp_path, data):
    X, y = data
    with pytest.raises(DataError, match="does not exist"):
        open_out_of_core(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="X.npy and y.npy"):
        open_out_of_core(tmp_path / "empty")
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    np.save(lonely / "X.npy", X)
    with pytest.raises(DataError, match="save them as .*y.npy"):
        open_out_of_core(lonely)
    with pytest.raises(DataError, match="0/1 labels; found 2[.] Map them"):
        open_out_of_core(write_npy(tmp_path / "three", X, y + y))
    with pytest.raises(DataError, match="one label per row"):
        open_out_of_core(write_npy(tmp_path / "short", X, y[:5]))
    parquet = write_parquet(tmp_path / "pq", X, y, files=1, label="target")
    with pytest.raises(
        DataError,
        match="no label column 'label'.*--label NAME on the command line, label= in Python",
    ):
        open_out_of_core(parquet)
    assert open_out_of_core(parquet, label="target")[0].n_features == 30
    store = write_zarr(tmp_path / "bad.zarr", X, y)
    import zarr

    zarr.open_group(str(store), mode="a").create_array("X2", data=X)
    del zarr.open_group(str(store), mode="a")["y"]
    with pytest.raises(DataError, match="no array 'y'"):
        open_out_of_core(store)
    Xn = X.copy()
    Xn[400, 2] = np.nan
    backend = StreamingBackend(Xn, y, block_rows=100)
    with pytest.raises(DataError, match=r"^X\[400, 2\] is nan; features must be finite numbers"):
        backend.data_pass(np.zeros(30), 0.0)
    with pytest.raises(
        DataError, match=r"y must hold one label per row of X \(569\); got shape \(5,\)"
    ):
        StreamingBackend(X, y[:5])
    # a source given directly gets .open()'s label checks: these ended in numpy's conversion
    # error, a ZeroDivisionError at the first pass, or trained on 0.5 "labels"
    with pytest.raises(DataError, match=r"y has dtype <U1; labels here are numbers \(0/1"):
        StreamingBackend(X, np.where(y == 1, "a", "b"))
    with pytest.raises(DataError, match="y must hold 0/1 labels; found 0.5"):
        StreamingBackend(X, y * 0.5)
    with pytest.raises(DataError, match="sample_weight holds NaN or infinity"):
        StreamingBackend(X, y, np.full(len(y), np.nan))  # it said "sums to 0"
    from lrnn.backends.softmax_blocks import StreamingSoftmaxBackend

    with pytest.raises(DataError, match=r"y must hold class indices 0 to 2; found 3 \(row 7\)"):
        StreamingSoftmaxBackend(X, np.arange(len(y)) % 3 + 2 * (np.arange(len(y)) == 7), 3)
    with pytest.raises(DataError, match="sample_weight sums to 0"):
        StreamingBackend(X, y, np.zeros(len(y)))
    with pytest.raises(DataError, match="has dtype complex128, complex numbers; the neuron takes"):
        StreamingBackend(X + 0j, y)  # "not numbers" was wrong for them


# --------------------------------------------------------------------------------------------
# 2 GB in bounded memory
# --------------------------------------------------------------------------------------------
TRAIN_AND_MEASURE = textwrap.dedent(
    """
    import json, sys, threading, time

    def rss_anon():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
        return 0

    peak = [rss_anon()]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_anon())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    from lrnn.backends.stream_backend import StreamingBackend
    from lrnn.train import TrainConfig, train

    start = time.perf_counter()
    backend = StreamingBackend.open(sys.argv[1])
    result = train(backend, TrainConfig(solver="gd", learning_rate=1.0, max_iter=3))
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    peak[0] = max(peak[0], rss_anon())
    print(json.dumps({"peak_anon": peak[0], "costs": result.history["cost"],
                      "m": backend.n_samples, "seconds": seconds}))
    """
)


@pytest.mark.slow
def test_two_gigabytes_train_in_under_600_mb(tmp_path):
    """2 GiB of float32 on disk, trained with gd in a fresh process: its peak anonymous memory
    (RssAnon, sampled every 20 ms — file pages of the memory map don't count) stays < 600 MB."""
    if shutil.disk_usage(tmp_path).free < 5 * 2**30:
        pytest.skip("needs 5 GB free in the temporary folder for a 2 GiB data file")
    m, n = 5 * 2**20, 100  # 5 Mi rows × 100 float32 = 2 GiB
    rng = np.random.default_rng(0)
    w_true = rng.standard_normal(n).astype(np.float32)
    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=(m, n))
    y = np.empty(m, dtype=np.uint8)
    step = 2**18
    for start in range(0, m, step):
        block = rng.standard_normal((min(step, m - start), n), dtype=np.float32)
        X[start : start + block.shape[0]] = block
        y[start : start + block.shape[0]] = block @ w_true > 0
    X.flush()
    del X
    np.save(tmp_path / "y.npy", y)
    run = subprocess.run(
        [sys.executable, "-c", TRAIN_AND_MEASURE, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"\npeak RssAnon {report['peak_anon'] / 2**20:.0f} MiB, {report['seconds']:.1f} s")
    assert report["m"] == m
    assert report["costs"][-1] < report["costs"][0]
    assert report["peak_anon"] < 600 * 10**6


def test_a_parquet_file_of_one_large_row_group_is_said_to_be_read_whole(tmp_path, monkeypatch):
    """Parquet decodes a row group whole: a file written as one group (pandas' default) peaked
    at 900 MB while "streaming" 1M × 50 in 64 MiB blocks, without a word."""
    import pandas as pd

    from lrnn.data import sources

    frame = pd.DataFrame({"a": np.arange(1000.0), "b": 1.0, "label": np.arange(1000) % 2})
    frame.to_parquet(tmp_path / "one.parquet")  # one row group
    frame.to_parquet(tmp_path / "many.parquet", row_group_size=100)
    monkeypatch.setattr(sources, "BLOCK_BYTES", 4096)  # 1000 rows × 2 features × 8 > 2 blocks
    with pytest.warns(UserWarning, match=r"one.parquet holds a row group of 1000 rows .*"
                      r"row_group_size="):  # fmt: skip
        open_out_of_core(tmp_path / "one.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        open_out_of_core(tmp_path / "many.parquet")


def test_evaluate_says_it_scores_the_examples_a_streamed_model_was_trained_on(
    tmp_path, monkeypatch, capsys
):
    """A streamed run hashes float32 columns as float32; evaluate reads the same file widened
    to float64, so the digests differed and the warning that the scores flatter the model was
    never given for a model trained with --stream."""
    import pandas as pd

    from lrnn.cli import main

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3)).astype(np.float32)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=(X[:, 0] > 0).astype(int))
    frame.to_parquet(tmp_path / "s.parquet")
    monkeypatch.chdir(tmp_path)
    args = ["train", "s.parquet", "--stream", "--solver", "lbfgs", "--alpha", "1e-3", "--no-plot"]
    assert main([*args, "--model", "s.safetensors"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--model", "s.safetensors", "s.parquet"]) == 0
    assert "the model was trained on these very examples" in capsys.readouterr().err


def test_a_folder_of_arrays_and_parquet_files_says_which_it_reads(tmp_path):
    import pandas as pd

    folder = write_npy(tmp_path / "both", np.eye(4), np.array([0, 1, 0, 1]))
    pd.DataFrame({"a": [1.0, 2.0], "label": [0, 1]}).to_parquet(folder / "more.parquet")
    with pytest.warns(
        UserWarning,
        match=r"holds .parquet files too; X.npy and y.npy are read and the .parquet files left",
    ):
        open_out_of_core(folder)


def test_backend_numpy_on_data_that_streams_is_said(tmp_path, monkeypatch, capsys):
    """--backend numpy means in memory; a folder of .npy or Parquet files streams anyway."""
    from lrnn.cli import main

    write_npy(tmp_path / "arrays", np.eye(6), np.array([0, 1] * 3))
    monkeypatch.chdir(tmp_path)
    args = ["train", "arrays", "--backend", "numpy", "--iterations", "2", "--no-plot"]
    assert main([*args, "--model", "m.safetensors"]) == 0
    said = capsys.readouterr().err
    assert "--backend numpy reads data into memory, but arrays streams from disk" in said
