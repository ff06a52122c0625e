"""Data that used to be read silently wrong: saved row indexes, bit depths and modes of images,
mixed image sizes, .npy inputs, label columns at predict time, label spellings.

Every case writes its own small file (pandas, numpy and Pillow generate them) and checks what the
loaders make of it; a few go through the real ``lrnn`` command to show the user sees it too.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lrnn import data, persist
from lrnn.data import Preprocessing, load, load_inputs
from lrnn.errors import DataError, UsageError
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


def test_a_shuffled_or_split_saved_index_is_dropped_and_named_columns_stay(tmp_path):
    """A frame shuffled or split before to_csv() keeps its row numbers out of order: they
    were learnt as a fifth feature, with only "× 5 features" in the header to show it."""
    df = frame()
    shuffled = df.sample(frac=1.0, random_state=0)  # its index is no longer 0, 1, 2, …
    shuffled.to_csv(tmp_path / "shuffled.csv")
    with pytest.warns(
        UserWarning,
        match=r"'Unnamed: 0'.*30 distinct row numbers \(0–29, in the order of a shuffle",
    ):
        assert load(tmp_path / "shuffled.csv").spec.feature_names == ("a", "b")
    # in order, the numbers are not called a shuffle: a frame's own index, or a split's part
    for index, said in [
        (np.arange(1000, 1030), "1000–1029, in order)"),
        (np.arange(0, 60, 2), "0–58, in order, some left out (a split))"),
    ]:
        df.set_axis(index).to_csv(tmp_path / "rising.csv")
        with pytest.warns(UserWarning, match=re.escape(f"30 distinct row numbers ({said}")):
            assert load(tmp_path / "rising.csv").spec.feature_names == ("a", "b")
    shuffled.iloc[5:20].to_csv(tmp_path / "part.csv")  # some of them: a split's part
    with pytest.warns(UserWarning, match=r"15 distinct row numbers"):
        assert load(tmp_path / "part.csv").spec.feature_names == ("a", "b")
    repeated = df.assign(**{"Unnamed: 0": np.arange(30) % 3})[["Unnamed: 0", "a", "b", "label"]]
    repeated.to_csv(tmp_path / "repeated.csv", index=False)  # not distinct: a feature
    assert no_warning(load, tmp_path / "repeated.csv").spec.feature_names[0] == "Unnamed: 0"
    named = df.reset_index()  # a column called "index" is the user's choice
    named.to_csv(tmp_path / "named.csv", index=False)
    assert no_warning(load, tmp_path / "named.csv").spec.feature_names == ("index", "a", "b")


def test_streamed_parquet_leaves_out_a_stored_pandas_index(tmp_path):
    """pandas' own unnamed index quietly, as pandas and the in-memory read leave it out."""
    from lrnn.data.sources import open_out_of_core

    df = frame()
    df["label"] = (df["label"] == "yes").astype(np.int64)
    df.index = pd.Index(np.random.default_rng(0).permutation(30))  # stored as a column
    df.to_parquet(tmp_path / "t.parquet")
    source, y = no_warning(open_out_of_core, tmp_path / "t.parquet")
    assert source.features == ["a", "b"] and y.shape == (30,)


@pytest.mark.parametrize("streamed", [False, True])
def test_a_named_parquet_index_is_the_column_it_is(tmp_path, streamed):
    """A named index (set_index) was dropped in memory without a word, even a real feature;
    a label stored as the index was "no label column"; a model's feature stored as the index
    was "missing"; streamed, the label index was used and said to be left out."""
    from lrnn.data.sources import open_out_of_core

    def features_of(path):
        if streamed:
            return open_out_of_core(path)[0].features
        return list(load(path).spec.feature_names)

    df = frame()
    df["label"] = (df["label"] == "yes").astype(np.int64)
    df.set_index("a").to_parquet(tmp_path / "a.parquet")
    with pytest.warns(UserWarning, match=r"'a' hold a saved pandas index, not features; they"):
        assert features_of(tmp_path / "a.parquet") == ["b"]
    df.set_index("label").to_parquet(tmp_path / "label.parquet")
    assert no_warning(features_of, tmp_path / "label.parquet") == ["a", "b"]
    if not streamed:
        spec = Preprocessing(kind="table", feature_names=("a", "b"), label_column="label")
        scored = no_warning(data.load, str(tmp_path / "a.parquet"), spec=spec)
        assert np.array_equal(scored.X, df[["a", "b"]].to_numpy())
        assert np.array_equal(scored.y, df["label"].to_numpy())


def test_a_parquet_folder_is_read_by_every_files_types(tmp_path):
    """The first file's types set the blocks': a later file's int64 423 was read into uint8
    as 167, its text failed as "could not convert string to float", and an empty or damaged
    file gave pyarrow's words without its name."""
    from lrnn.data.sources import open_out_of_core

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (40, 3))
    y = np.arange(40) % 2
    folder = tmp_path / "parts"
    folder.mkdir()
    first = pd.DataFrame(pixels[:20].astype(np.uint8), columns=["a", "b", "c"])
    first.assign(label=y[:20]).to_parquet(folder / "part0.parquet", index=False)
    second = pd.DataFrame(pixels[20:] * 3, columns=["a", "b", "c"])  # int64, up to 765
    second.assign(label=y[20:]).to_parquet(folder / "part1.parquet", index=False)
    source, labels = open_out_of_core(folder)
    blocks = np.vstack([block for _, block in source.read(0, source.n_rows, 7)])
    assert source.dtype == np.float64
    np.testing.assert_array_equal(blocks, np.vstack([pixels[:20], pixels[20:] * 3]))
    text = second.astype({"b": str}).assign(label=y[20:])
    text.to_parquet(folder / "part1.parquet", index=False)
    with pytest.raises(DataError, match=r"column 'b' of .*part1.parquet has type \w*string"):
        open_out_of_core(folder)
    (folder / "part1.parquet").write_bytes(b"")
    with pytest.raises(DataError, match=r"part1.parquet: not a readable Parquet file"):
        open_out_of_core(folder)


def test_parquet_files_in_sub_folders_are_said_and_a_partitioned_set_refused(tmp_path):
    """A folder's .parquet files in a sub-folder were left out without a word (a run trained
    on half the rows, exit 0), and a partitioned data set (part=0/…, as pandas and Spark
    write one) was taken for a folder of pictures ("no images in this folder")."""
    from lrnn.data.sources import is_out_of_core, open_out_of_core

    df = pd.DataFrame({"a": np.arange(12.0), "label": np.arange(12) % 2})
    (tmp_path / "d" / "sub").mkdir(parents=True)
    df[:6].to_parquet(tmp_path / "d" / "a.parquet", index=False)
    df[6:].to_parquet(tmp_path / "d" / "sub" / "b.parquet", index=False)
    with pytest.warns(UserWarning, match=r"1 .parquet file\(s\) in its sub-folders left out "):
        source, _ = open_out_of_core(tmp_path / "d")
    assert source.n_rows == 6
    (tmp_path / "d" / "a.parquet").unlink()
    assert is_out_of_core(tmp_path / "d")
    with pytest.raises(DataError, match=r"d: its .parquet files are in sub-folders \(sub/b"):
        open_out_of_core(tmp_path / "d")
    df.assign(part=np.arange(12) % 3).to_parquet(tmp_path / "hive", partition_cols=["part"])
    assert is_out_of_core(tmp_path / "hive")
    with pytest.raises(
        DataError, match=r"a partitioned Parquet data set .* column\(s\) 'part' are"
    ):
        open_out_of_core(tmp_path / "hive")
    (tmp_path / "copies" / ".ipynb_checkpoints").mkdir(parents=True)  # hidden copies alone
    df.to_parquet(tmp_path / "copies" / ".ipynb_checkpoints" / "a.parquet", index=False)
    assert not is_out_of_core(tmp_path / "copies")  # not a Parquet folder (pictures may be)
    two = df.assign(yr=np.arange(12) % 2, mo=np.arange(12) % 3)
    two.to_parquet(tmp_path / "hive2", partition_cols=["yr", "mo"])  # two levels deep
    assert is_out_of_core(tmp_path / "hive2")
    with pytest.raises(
        DataError, match=r"a partitioned Parquet data set .* column\(s\) 'yr', 'mo' are"
    ):
        open_out_of_core(tmp_path / "hive2")
    # a notebook's hidden copies are no data of the folder's
    (tmp_path / "nb" / ".ipynb_checkpoints").mkdir(parents=True)
    df.to_parquet(tmp_path / "nb" / "a.parquet", index=False)
    df.to_parquet(tmp_path / "nb" / ".ipynb_checkpoints" / "a-checkpoint.parquet", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert open_out_of_core(tmp_path / "nb")[0].n_rows == 12


def test_y_npy_beside_several_arrays_labels_none_of_them(tmp_path):
    """train.npy, test.npy and one y.npy: the test file took the training labels silently
    (same length), so evaluate scored against the wrong classes."""
    from lrnn.data.sources import open_out_of_core

    rng = np.random.default_rng(1)
    for name in ("train", "test"):
        np.save(tmp_path / f"{name}.npy", rng.normal(size=(20, 3)))
    np.save(tmp_path / "y.npy", np.arange(20) % 2)
    unclear = r"y.npy sits beside several arrays of its length \('test.npy', 'train.npy'\)"
    with pytest.raises(DataError, match=unclear):
        load(tmp_path / "test.npy")
    with pytest.raises(DataError, match=unclear):
        open_out_of_core(tmp_path / "train.npy")
    spec = Preprocessing(kind="array")
    assert load_inputs([str(tmp_path / "test.npy")], spec).y is None  # predict: no labels
    np.save(tmp_path / "test.npy", np.ones((1, 3)))  # a saved mean: no rival, its labels
    assert load(tmp_path / "train.npy").y.shape == (20,)
    np.save(tmp_path / "X.npy", rng.normal(size=(20, 3)))  # y.npy labels X.npy, no other
    with pytest.raises(DataError, match=r"y.npy labels X.npy beside it, not train.npy"):
        load(tmp_path / "train.npy")
    assert load(tmp_path / "X.npy").y.shape == (20,)


def test_a_damaged_npy_beside_the_data_does_not_stop_it_loading(tmp_path):
    """Looking for rivals of y.npy read every .npy's header: one declaring a negative shape
    raised OverflowError, an internal error, though the data itself was fine."""
    np.save(tmp_path / "data.npy", np.random.default_rng(0).normal(size=(10, 3)))
    np.save(tmp_path / "y.npy", np.arange(10) % 2)
    with open(tmp_path / "junk.npy", "wb") as f:
        header = {"descr": "<f8", "fortran_order": False, "shape": (-10, 3)}
        np.lib.format.write_array_header_1_0(f, header)
        f.write(bytes(240))
    assert load(tmp_path / "data.npy").y.shape == (10,)


def test_stores_that_only_train_streams_are_named_where_data_is_read_into_memory(tmp_path):
    """A Zarr store or a folder of Parquet files given to predict or evaluate was read as a
    picture folder ("no images in this folder")."""
    (tmp_path / "s.zarr").mkdir()
    (tmp_path / "s.zarr" / "zarr.json").write_text("{}")
    (tmp_path / "parts").mkdir()
    frame().to_parquet(tmp_path / "parts" / "a.parquet")
    # (its advice read "here the data is read into memory from its X and y saved with numpy")
    said = (
        r"s.zarr: a Zarr store; `lrnn train` streams it from disk, but here the data is read "
        r"into memory: save its X and y with numpy \(X.npy and y.npy in a folder\) and give "
        r"that folder\.$"
    )
    with pytest.raises(DataError, match=said):
        load(tmp_path / "s.zarr")
    with pytest.raises(DataError, match=r"parts: a folder of Parquet files; .*: give one .parquet"):
        load_inputs([str(tmp_path / "parts")], Preprocessing(kind="table"))


def test_an_infinity_in_a_streamed_parquet_file_is_named_by_file_row_and_column(tmp_path):
    from lrnn.backends.stream_backend import StreamingBackend

    rng = np.random.default_rng(2)
    X = rng.normal(size=(900, 3))
    X[700, 1] = np.inf
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=np.arange(900) % 2)
    df.to_parquet(tmp_path / "t.parquet", index=False, row_group_size=300)
    backend = StreamingBackend.open(tmp_path / "t.parquet")
    with pytest.raises(DataError, match=r"t.parquet: column 'b' has value inf \(row 701\)"):
        backend.data_pass(np.zeros(3), 0.0)  # it said "X contains NaN or infinity (in a block)"


def test_a_streamed_parquet_folder_names_the_file_and_its_own_row(tmp_path):
    """A folder's rows run on across its files; the error names the file and that file's row,
    for a softmax layer too (it said "X contains NaN or infinity (in a block of 3 rows)")."""
    from lrnn.backends.softmax_blocks import StreamingSoftmaxBackend
    from lrnn.backends.stream_backend import StreamingBackend

    (tmp_path / "parts").mkdir()
    pd.DataFrame({"a": [0.0, 1.0, 2.0], "label": [0, 1, 2]}).to_parquet(
        tmp_path / "parts/0.parquet"
    )
    bad = pd.DataFrame({"a": [0.0, -np.inf, 2.0], "label": [2, 1, 0]})
    bad.to_parquet(tmp_path / "parts/1.parquet")
    message = r"parts/1.parquet: column 'a' has value -inf \(row 2\)"
    three = StreamingSoftmaxBackend.open(tmp_path / "parts", n_classes=3)
    with pytest.raises(DataError, match=message):
        three.data_pass(np.zeros((1, 3)), np.zeros(3))
    bad.assign(label=[1, 0, 1]).to_parquet(tmp_path / "parts/1.parquet")
    pd.DataFrame({"a": [0.0, 1.0, 2.0], "label": [0, 1, 0]}).to_parquet(
        tmp_path / "parts/0.parquet"
    )
    with pytest.raises(DataError, match=message):
        StreamingBackend.open(tmp_path / "parts").data_pass(np.zeros(1), 0.0)


def test_a_zarr_store_with_damaged_metadata_is_named(tmp_path):
    pytest.importorskip("zarr")
    from lrnn.data.sources import open_out_of_core

    (tmp_path / "bad.zarr").mkdir()
    (tmp_path / "bad.zarr" / "zarr.json").write_text("{bad")
    with pytest.raises(DataError, match=r"the Zarr store .*bad.zarr cannot be read"):
        open_out_of_core(tmp_path / "bad.zarr")


def test_train_on_an_indexed_csv_warns_on_stderr(tmp_path):
    frame(rows=60).to_csv(tmp_path / "t.csv")
    proc = run(["train", "t.csv", "--no-plot", "--iterations", "5", "--model", "m.safetensors"],
               tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "dropped the first column 'Unnamed: 0'" in warning[0]

    assert persist.load_model(tmp_path / "m.safetensors").feature_names == ["a", "b"]


# --------------------------------------------------------------------------------------------
# Pictures of any bit depth and mode


def png16(path: Path, pixels: np.ndarray) -> Path:
    """A 16-bit PNG written byte by byte: grey for (h, w) pixels, RGB for (h, w, 3).

    Pillow writes 16-bit grey PNGs itself but not 16-bit colour ones, so both are built here
    from the PNG specification (IHDR bit depth 16, colour type 0 or 2, filter byte 0 per row).
    """
    import struct
    import zlib

    h, w = pixels.shape[:2]
    colour = 2 if pixels.ndim == 3 else 0
    rows = b"".join(b"\x00" + pixels[r].astype(">u2").tobytes() for r in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 16, colour, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def grey_folder(root: Path, pictures: dict[str, list[np.ndarray]], writer=None) -> Path:
    """root/<class>/<i>.png from uint8 (or, with ``writer``, any) arrays."""
    from PIL import Image

    for cls, arrays in pictures.items():
        (root / cls).mkdir(parents=True)
        for i, a in enumerate(arrays):
            path = root / cls / f"{i}.png"
            writer(path, a) if writer else Image.fromarray(a).save(path)
    return root


MID = np.array([[0, 32768, 65535, 257 * 9]], dtype=np.uint16)  # 0, mid-grey, white, 9/255


def test_16_bit_grey_png_is_scaled_by_257(tmp_path):
    from PIL import Image

    Image.fromarray(MID).save(tmp_path / "a.png")  # Pillow writes uint16 as a 16-bit PNG
    assert Image.open(tmp_path / "a.png").mode == "I;16"
    png16(tmp_path / "b.png", MID)  # the same, written by hand
    spec = Preprocessing("image", (1, 4, 1), 1 / 255)
    for name in ("a.png", "b.png"):
        ds = load_inputs([str(tmp_path / name)], spec)
        assert ds.X.tolist() == [[0, 128, 255, 9]]  # 32768 / 257 = 127.5…; Pillow alone says 255


@pytest.mark.parametrize("mode", ["I;16", "F"])
def test_deep_pictures_are_converted_strip_by_strip_to_the_same_bytes(mode, monkeypatch):
    """A 49-megapixel float TIFF of 297 KB took 1.6 GB to convert (whole-picture float64
    copies); strips of rows keep the temporaries small, with every value as before."""
    import tracemalloc

    from PIL import Image

    from lrnn.data import images

    rng = np.random.default_rng(0)
    if mode == "F":
        values = rng.random((1000, 1000)).astype(np.float32)
        values[0, :4] = [0.0, 1.0, 0.5 / 255, 1.5 / 255]  # the ends, and halves rounded to even
        want = np.rint(values.astype(np.float64) * 255).astype(np.uint8)
    else:
        values = rng.integers(0, 65536, (1000, 1000), dtype=np.uint16)
        values[0, :3] = [0, 65535, 257 * 9 + 128]
        want = np.rint(values / 257.0).astype(np.uint8)
    picture = Image.fromarray(values)
    assert picture.mode == mode
    monkeypatch.setattr(images, "_CONVERT_BLOCK", 3000)  # strips of 3 rows, the last of 1
    tracemalloc.start()
    converted = images._as_8bit(picture, "p.tif")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_array_equal(np.asarray(converted), want)
    # the 8-bit result, Pillow's copy of it and a strip; a float64 copy alone is 8 per pixel
    assert peak < 3 * values.size


def test_16_bit_colour_png_keeps_its_scale(tmp_path):
    pixels = np.stack([MID[0], MID[0][::-1], MID[0] // 2], axis=-1)[None]  # (1, 4, 3)
    png16(tmp_path / "c.png", pixels)
    ds = load_inputs([str(tmp_path / "c.png")], Preprocessing("image", (1, 4, 3), 1 / 255))
    assert ds.raw_images[0, 0, :, 0].tolist() == [0, 128, 255, 9]
    assert ds.raw_images[0, 0, :, 1].tolist() == [9, 255, 128, 0]


def test_float_tiff_is_read_as_0_to_1_or_refused(tmp_path):
    from PIL import Image

    values = np.array([[0.0, 0.5, 1.0, 0.25]], dtype=np.float32)
    Image.fromarray(values).save(tmp_path / "f.tiff")
    assert Image.open(tmp_path / "f.tiff").mode == "F"
    spec = Preprocessing("image", (1, 4, 1), 1 / 255)
    assert load_inputs([str(tmp_path / "f.tiff")], spec).X.tolist() == [[0, 128, 255, 64]]
    Image.fromarray(values * 1000).save(tmp_path / "big.tiff")
    message = error_of(load_inputs, [str(tmp_path / "big.tiff")], spec)
    assert "big.tiff: floating-point pixels range from 0 to 1000, not 0–1" in message
    Image.fromarray(np.array([[0.0, np.nan]], dtype=np.float32)).save(tmp_path / "nan.tiff")
    nan_said = error_of(load_inputs, [str(tmp_path / "nan.tiff")], spec)
    assert "holds NaN or infinite pixels" in nan_said


def test_32_bit_integer_pixels_beyond_16_bits_are_refused(tmp_path):
    from PIL import Image

    Image.fromarray(np.array([[0, 70000]], dtype=np.int32)).save(tmp_path / "i.tiff")
    spec = Preprocessing("image", (1, 2, 1), 1 / 255)
    assert "beyond 16 bits" in error_of(load_inputs, [str(tmp_path / "i.tiff")], spec)


@pytest.mark.parametrize("channels", [1, 3])
def test_a_picture_saved_at_16_bits_predicts_like_the_8_bit_one(tmp_path, channels):
    from PIL import Image

    rng = np.random.default_rng(channels)
    shape = (5, 6) if channels == 1 else (5, 6, 3)
    eight = rng.integers(0, 256, shape, dtype=np.uint8)
    Image.fromarray(eight).save(tmp_path / "p8.png")
    png16(tmp_path / "p16.png", eight.astype(np.uint16) * 257)
    for model_channels in (1, 3):  # a grey model and a colour model
        spec = Preprocessing("image", (5, 6, model_channels), 1 / 255)
        a = load_inputs([str(tmp_path / "p8.png")], spec).X
        b = load_inputs([str(tmp_path / "p16.png")], spec).X
        np.testing.assert_array_equal(a, b)  # same pixels, so the same prediction exactly


def test_cli_predicts_a_16_bit_picture_like_the_8_bit_one(tmp_path):
    rng = np.random.default_rng(0)
    dark = [rng.integers(0, 100, (6, 6), dtype=np.uint8) for _ in range(6)]
    light = [rng.integers(150, 256, (6, 6), dtype=np.uint8) for _ in range(6)]
    grey_folder(tmp_path / "train", {"dark": dark, "light": light})
    png16(tmp_path / "p16.png", light[0].astype(np.uint16) * 257)
    common = ["--no-plot", "--iterations", "50", "--model", "m.safetensors"]
    assert run(["train", "train", *common], tmp_path).returncode == 0
    proc = run(["predict", "--model", "m.safetensors", "train/light/0.png", "p16.png", "--json"],
               tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr

    p8, p16 = (json.loads(line)["probability"] for line in proc.stdout.splitlines())
    assert p16 == pytest.approx(p8, abs=1e-3) and p8 > 0.5


def test_grey_pictures_train_as_grey(tmp_path):
    rng = np.random.default_rng(1)
    grey = {c: [rng.integers(0, 256, (4, 5), dtype=np.uint8) for _ in range(2)] for c in "ab"}
    ds = load(grey_folder(tmp_path / "grey", grey))
    assert ds.spec.image_shape == (4, 5, 1) and ds.X.shape == (4, 20)
    np.testing.assert_array_equal(ds.raw_images[0, :, :, 0], grey["a"][0])
    # 16-bit grey pictures are grey too
    deep = grey_folder(tmp_path / "deep", grey, lambda p, a: png16(p, a.astype(np.uint16) * 257))
    np.testing.assert_array_equal(load(deep).X, ds.X)
    # the spec makes a colour picture grey when predicting
    from PIL import Image

    Image.fromarray(np.dstack([grey["a"][0]] * 3)).save(tmp_path / "colour.png")
    new = load_inputs([str(tmp_path / "colour.png")], ds.spec)
    np.testing.assert_array_equal(new.X, ds.X[:1])
    # one colour picture among grey ones makes the folder RGB
    Image.fromarray(np.dstack([grey["a"][0]] * 3)).save(tmp_path / "grey" / "b" / "c.png")
    assert load(tmp_path / "grey").spec.image_shape == (4, 5, 3)


def test_mixed_sizes_say_what_they_were_resized_to(tmp_path):
    rng = np.random.default_rng(2)
    pictures = {
        "a": [rng.integers(0, 256, (4, 6), dtype=np.uint8) for _ in range(2)],
        "b": [rng.integers(0, 256, (3, 5), dtype=np.uint8), rng.integers(0, 256, (4, 6), "u1")],
    }
    root = grey_folder(tmp_path / "mixed", pictures)
    with pytest.warns(UserWarning) as rec:
        assert load(root).spec.image_shape == (4, 6, 1)
    assert [str(r.message) for r in rec] == [
        f"images in {root} have different sizes (1 of 4 are not 4×6, e.g. b/0.png is 3×5); "
        "all resized to 4×6 (height×width of the first image); use --image-size HxW to choose."
    ]
    assert no_warning(load, root, image_size=(8, 8)).spec.image_shape == (8, 8, 1)
    Image.fromarray(pictures["b"][1]).save(root / "b" / "0.png")  # now 4×6 as well
    assert no_warning(load, root).spec.image_shape == (4, 6, 1)


# --------------------------------------------------------------------------------------------
# .npy wherever .npz goes; label columns ignored when predicting


def test_npy_loads_with_its_labels_beside_it(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    np.save(tmp_path / "X.npy", X)
    ds = load_inputs([str(tmp_path / "X.npy")], Preprocessing("array"))  # no labels: fine
    assert ds.y is None and ds.X.dtype == np.float32 and ds.names[:2] == ["row 1", "row 2"]
    np.testing.assert_array_equal(ds.X, X)
    message = error_of(load, tmp_path / "X.npy")
    assert "X.npy has no labels beside it: save them as" in message and "y.npy" in message
    np.save(tmp_path / "y.npy", y)
    for path in (tmp_path / "X.npy", tmp_path):  # the file, or the folder holding it
        ds = load(path)
        assert ds.classes == ("0", "1") and ds.spec.kind == "array"
        np.testing.assert_array_equal(ds.y, y)
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert "holds Python objects" in error_of(load_inputs, [str(tmp_path / "objects.npy")],
                                              Preprocessing("array"))  # fmt: skip


def test_predict_and_evaluate_take_npy_like_train(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((80, 3))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", (X[:, 0] + 0.3 * X[:, 1] > 0).astype(np.int64))
    np.savez(tmp_path / "same.npz", X=X)
    train = run(["train", "X.npy", "--no-plot", "--iterations", "30", "--model", "m.safetensors"],
                tmp_path)  # fmt: skip
    assert train.returncode == 0, train.stderr
    npy = run(["predict", "--model", "m.safetensors", "X.npy"], tmp_path)
    npz = run(["predict", "--model", "m.safetensors", "same.npz"], tmp_path)
    assert npy.returncode == 0, npy.stderr
    assert npy.stdout == npz.stdout and len(npy.stdout.splitlines()) == 1 + 80
    evaluate = run(["evaluate", "--model", "m.safetensors", "X.npy", "--json"], tmp_path)
    assert evaluate.returncode == 0, evaluate.stderr
    assert json.loads(evaluate.stdout)["n"] == 80


def test_predict_ignores_a_label_column_it_cannot_use(tmp_path):
    df = frame()
    spec = Preprocessing("table", feature_names=("a", "b"), label_column="label")
    df.to_csv(tmp_path / "clean.csv", index=False)
    blanks = df.copy()
    blanks.loc[3, "label"] = None
    blanks.to_csv(tmp_path / "blanks.csv", index=False)
    unseen = df.copy()
    unseen.loc[[1, 2], "label"] = ["maybe", "perhaps"]  # four classes: labels predict can use
    unseen.to_csv(tmp_path / "unseen.csv", index=False)
    clean = load_inputs([str(tmp_path / "clean.csv")], spec)
    four = load_inputs([str(tmp_path / "unseen.csv")], spec)
    assert len(four.classes) == 4
    np.testing.assert_array_equal(four.X, clean.X)
    for name in ("blanks.csv",):
        ds = load_inputs([str(tmp_path / name)], spec)
        assert ds.y is None
        np.testing.assert_array_equal(ds.X, clean.X)
        # training or evaluating on it still needs the labels
        assert "label column 'label'" in error_of(load, tmp_path / name, spec=spec)
    np.savez(tmp_path / "nan.npz", X=df[["a", "b"]].to_numpy(), y=np.array([np.nan] * 30))
    assert load_inputs([str(tmp_path / "nan.npz")], Preprocessing("array")).y is None


def test_cli_predict_with_a_blank_label(tmp_path):
    frame(rows=40).to_csv(tmp_path / "t.csv", index=False)
    common = ["--no-plot", "--iterations", "20", "--model", "m.safetensors"]
    assert run(["train", "t.csv", *common], tmp_path).returncode == 0
    new = frame(rows=5, seed=9)
    new.loc[0, "label"] = None
    new.loc[1, "label"] = "unknown"
    new.to_csv(tmp_path / "new.csv", index=False)
    proc = run(["predict", "--model", "m.safetensors", "new.csv"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1 + 5  # the header, then one line per row


# --------------------------------------------------------------------------------------------
# Label spellings and the positive class


def test_labels_with_spaces_are_stripped_with_a_warning(tmp_path):
    df = frame()
    df["label"] = df["label"].map({"yes": " yes", "no": "no"})  # " yes" sorts before "no"
    df.to_csv(tmp_path / "t.csv", index=False)
    with pytest.warns(UserWarning) as rec:
        ds = load(tmp_path / "t.csv")
    assert len(rec) == 1 and "\n" not in str(rec[0].message)
    assert "have spaces around them (e.g. ' yes'); they were stripped, so they count as 'yes'" in (
        str(rec[0].message)
    )
    assert ds.classes == ("no", "yes")
    np.testing.assert_array_equal(ds.y, (frame()["label"] == "yes").astype(int))
    # " yes" and "yes" in one column are one class
    df.loc[0, "label"] = "yes"
    df.to_csv(tmp_path / "mixed.csv", index=False)
    with pytest.warns(UserWarning, match="stripped"):
        assert load(tmp_path / "mixed.csv").classes == ("no", "yes")
    assert no_warning(load, _csv(tmp_path, frame())).classes == ("no", "yes")


def _csv(folder: Path, df: pd.DataFrame, name: str = "plain.csv") -> Path:
    df.to_csv(folder / name, index=False)
    return folder / name


def test_a_blank_label_is_refused(tmp_path):
    df = frame()
    df.loc[4, "label"] = "   "
    assert "label column 'label' is blank for example 5" in error_of(load, _csv(tmp_path, df))


def test_positive_class_by_name(tmp_path):
    path = _csv(tmp_path, frame())
    default = load(path)
    assert default.classes == ("no", "yes")
    flipped = load(path, positive_class="no")
    assert flipped.classes == ("yes", "no")
    np.testing.assert_array_equal(flipped.y, 1 - default.y)
    assert load(path, positive_class="yes").classes == ("no", "yes")
    message = error_of(load, path, positive_class="maybe", kind=UsageError)
    assert "positive class 'maybe' is not one of its classes ('no', 'yes')" in message
    # every format: numbers, image folders, HDF5 class lists, the built-in sets
    assert data.builtin("digits", positive_class="three").classes == ("eight", "three")
    numbers = frame()
    numbers["label"] = (numbers["label"] == "yes").astype(int)
    assert load(_csv(tmp_path, numbers, "n.csv"), positive_class="0").classes == ("1", "0")
    rng = np.random.default_rng(5)
    pictures = {c: [rng.integers(0, 256, (3, 3), dtype=np.uint8)] * 2 for c in ("cat", "dog")}
    assert load(grey_folder(tmp_path / "pets", pictures), positive_class="cat").y.tolist() == [
        1, 1, 0, 0
    ]  # fmt: skip
    import h5py

    with h5py.File(tmp_path / "lesson.h5", "w") as f:
        f["train_set_x"] = rng.integers(0, 256, (4, 2, 2, 3), dtype=np.uint8)
        f["train_set_y"] = np.array([0, 1, 1, 0])
        f["list_classes"] = np.array([b"non-cat", b"cat"])
    lesson = load(tmp_path / "lesson.h5", positive_class="non-cat")
    assert lesson.classes == ("cat", "non-cat") and lesson.y.tolist() == [1, 0, 0, 1]
    # a model's spec fixes the classes: the positive class is then left to the model
    spec = default.spec
    assert load(path, spec=spec, positive_class="no").classes == ("no", "yes")


def test_a_long_csv_row_is_named_by_its_line_after_leading_blank_lines(tmp_path):
    from lrnn.data.tables import read_table
    from lrnn.errors import DataError

    table = tmp_path / "t.csv"
    table.write_text("\na,b,label\n1,2,0,9\n3,4,1\n")
    with pytest.raises(DataError, match="line 3 has 4 fields but the header names 3 columns"):
        read_table(str(table), None)


def test_a_large_picture_is_resized_without_copies_of_itself(tmp_path):
    """Reading a 4000 × 4000 colour picture to the model's size held the decoded picture four
    times (the original, EXIF's upright copy, the mode conversion's copy, …): 49 megapixels sent
    to ``lrnn serve`` took 600 MB each. What is left is the decoded picture itself (Pillow keeps
    colour pixels in 4 bytes)."""
    import subprocess
    import sys

    from PIL import Image

    if not Path("/proc/self/status").exists():
        pytest.skip("reads the peak memory from /proc")
    Image.new("RGB", (4000, 4000), (10, 200, 30)).save(tmp_path / "big.png")
    # VmHWM (the peak resident size) starts afresh in the new program; ru_maxrss would not
    code = (
        "import re, sys\n"
        "from lrnn.data.images import read_image\n"
        "def peak():\n"
        "    status = open('/proc/self/status').read()\n"
        "    return int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) * 1024\n"
        "before = peak()\n"
        "picture = read_image(sys.argv[1], 'RGB', (64, 64))\n"
        "print(picture.shape == (64, 64, 3), picture[0, 0].tolist(), peak() - before)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "big.png")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("True [10, 200, 30] "), out
    decoded = 4000 * 4000 * 4
    grew = int(out.split()[-1])
    assert grew < 1.5 * decoded, grew / decoded


def test_a_picture_taken_sideways_is_read_upright(tmp_path):
    """A camera's EXIF orientation (6: turn 90° clockwise) is applied; the one copy that
    costs is made only for such pictures."""
    from PIL import Image

    from lrnn.data.images import read_image

    pixels = np.zeros((2, 3), dtype=np.uint8)
    pixels[0, 0] = 255  # top left, as stored
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(pixels).save(tmp_path / "side.png", exif=exif)
    Image.fromarray(pixels).save(tmp_path / "flat.png")
    upright = read_image(str(tmp_path / "side.png"), "L", None)[:, :, 0]
    assert upright.shape == (3, 2) and upright[0, 1] == 255 and upright.sum() == 255
    assert read_image(str(tmp_path / "flat.png"), "L", None)[:, :, 0].tolist() == pixels.tolist()


def test_a_shuffled_id_column_is_told_by_its_name_and_a_quoted_way_out():
    """Distinct whole numbers out of order are an ID only by name ("PatientID", "row_id" — not
    "valid" or "grid"); the --drop given is one a shell takes as it is."""
    import warnings

    from lrnn.data.columns import say_if_a_column_numbers_the_rows
    from lrnn.data.dataset import Dataset

    rng = np.random.default_rng(0)
    ids = rng.permutation(50).astype(float)
    for name, told in [("PatientID", True), ("row_id", True), ("valid", False), ("grid", False),
                       ("it's id", True)]:  # fmt: skip
        spec = Preprocessing(kind="table", feature_names=(name, "x"))
        X = np.column_stack([ids, rng.normal(size=50)])
        ds = Dataset(X, np.arange(50) % 2, ("a", "b"), [f"row {i}" for i in range(50)], spec, "t")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            say_if_a_column_numbers_the_rows(ds)
        said = [str(w.message) for w in caught]
        assert bool(said) is told, (name, said)
        if name == "it's id":
            assert said[0].endswith("--drop 'it'\"'\"'s id'.")


def test_parquet_decimal_features_are_numbers_and_a_null_column_is_empty(tmp_path):
    """Decimal columns (pandas reads them as objects) were refused as 'non-numeric value
    '0.50''; a column of nulls was told to hold the value 'None'."""
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    values = [decimal.Decimal(f"{i}.25") for i in range(8)]
    table = {"a": pa.array(values, pa.decimal128(5, 2)), "label": ["yes", "no"] * 4}
    pq.write_table(pa.table(table), tmp_path / "d.parquet")
    ds = data.load(str(tmp_path / "d.parquet"))
    np.testing.assert_array_equal(ds.X[:, 0], [float(v) for v in values])
    table["a"] = pa.nulls(8)
    pq.write_table(pa.table(table), tmp_path / "n.parquet")
    with pytest.raises(DataError, match=r"n.parquet: column 'a' is empty or NaN \(row 1\)"):
        data.load(str(tmp_path / "n.parquet"))


def test_parquet_numbers_stored_as_text_are_read_as_a_csvs_are(tmp_path, monkeypatch):
    """pandas 3 reads a Parquet text column as its string dtype, not object: numbers stored
    as text, which a CSV's quoted cells give as numbers, were "non-numeric value '4867.9'".
    And each column taken from a Parquet frame deep-copied the list of every column name
    kept in its attrs: 10,000 columns took 25 s to read (2 s as CSV)."""
    import copy

    frame = pd.DataFrame({"a": ["1.5", "2", "3e2", "-4"], "b": [1.0, 2.0, 3.0, 4.0]})
    frame.assign(label=[0, 1, 0, 1]).to_parquet(tmp_path / "t.parquet", index=False)
    np.testing.assert_array_equal(data.load(str(tmp_path / "t.parquet")).X[:, 0], [1.5, 2, 300, -4])
    frame.loc[2, "a"] = "n/a"
    frame.assign(label=[0, 1, 0, 1]).to_parquet(tmp_path / "t.parquet", index=False)
    with pytest.raises(DataError, match=r"column 'a' has non-numeric value 'n/a' \(row 3\)"):
        data.load(str(tmp_path / "t.parquet"))
    wide = pd.DataFrame(np.ones((4, 400)), columns=[f"c{i}" for i in range(400)])
    wide.assign(label=[0, 1, 0, 1]).to_parquet(tmp_path / "w.parquet", index=False)
    import pandas.core.generic as generic  # where pandas copies a frame's attrs

    copies = []
    original = copy.deepcopy
    monkeypatch.setattr(generic, "deepcopy", lambda *a, **k: copies.append(1) or original(*a, **k))
    data.load(str(tmp_path / "w.parquet"))
    assert len(copies) < 400, len(copies)  # not one (or more) per column


@pytest.mark.parametrize(
    ("cells", "fix"),
    [
        # one placeholder among numbers: rows to fill in (a text model was advised)
        (["1.5", "2.5", "?"] + ["3"] * 20, "1 such value(s) among numbers: fill them in"),
        # numbers written for people: to be saved plain, one among plain ones too (an export
        # writes separators only from 1000 on)
        (['"1,234.5"', '"2,000"', '"56%"', '"$12"'] * 3, "save them as plain numbers (1234.5)"),
        (["12", "950", '"1,234"'] + ["7"] * 20, "save them as plain numbers (1234.5)"),
        # European: dots for thousands, a comma for the decimals
        (['"1.234,56"', '"€1.234,50"'] * 6, "save them as plain numbers (1234.5)"),
        # a date or an address is no formatted number
        (["2020.01.05", "2020.01.06"] * 6, "drop or encode that column"),
        # words: a column to drop or encode, or documents for a text model
        (["red", "green", "blue"] * 4, "drop or encode that column (if it holds documents"),
        # the odd cell is the number among TRUE/FALSE (it named the first 'FALSE')
        (["TRUE", "FALSE", "1", "TRUE"], "mixes TRUE/FALSE with numbers ('1' in row 3); write"),
    ],
)
def test_a_non_numeric_column_gets_the_way_out_its_values_point_to(tmp_path, cells, fix):
    rows = [f"{k},{cell},{k % 2}" for k, cell in enumerate(cells)]
    (tmp_path / "t.csv").write_text("a,b,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataError) as info:
        data.load(str(tmp_path / "t.csv"))
    assert "column 'b' " in str(info.value) and fix in str(info.value)


def test_integer_labels_past_float_precision_are_two_classes(tmp_path):
    """1e20 and 1e20 + 1 are one float: they were refused as "one number written two ways",
    which they are not; they are two IDs, kept as written ("1" and "1.0" are still refused)."""
    rows = [f"{k / 40},{10**20 + k % 2}" for k in range(40)]
    (tmp_path / "ids.csv").write_text("x,label\n" + "\n".join(rows) + "\n")
    ds = no_warning(load, tmp_path / "ids.csv")
    assert ds.classes == ("100000000000000000000", "100000000000000000001")
    assert ds.y.tolist() == [k % 2 for k in range(40)]
    from lrnn.data.dataset import by_value_if_numbers  # by value, exactly, as ints sort

    assert by_value_if_numbers(["100000000000000000000", "99999999999999999999"]) == [
        "99999999999999999999",
        "100000000000000000000",
    ]
    (tmp_path / "twice.csv").write_text("x,label\n1,1\n2,1.0\n3,0\n")
    assert "writes one number two ways ('1' and '1.0')" in error_of(load, tmp_path / "twice.csv")


def test_a_named_index_may_be_dropped_or_name_the_rows(tmp_path):
    """--drop on a named index was refused ("check the name"); an index of consecutive
    numbers is stored as a range in pandas' metadata only, so --id on it found no column."""
    from lrnn.data.tables import table_row_names

    df = frame(20)
    df["label"] = (df["label"] == "yes").astype(np.int64)
    df.assign(pid=[f"p{k}" for k in range(20)]).set_index("pid").to_parquet(tmp_path / "s.parquet")
    ds = no_warning(load, tmp_path / "s.parquet", drop=["pid"])
    assert ds.spec.feature_names == ("a", "b")
    df.assign(pid=np.arange(1000, 1020)).set_index("pid").to_parquet(tmp_path / "r.parquet")
    assert table_row_names(str(tmp_path / "r.parquet"), "pid", 20)[:2] == ["1000", "1001"]
