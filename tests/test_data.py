"""Loaders and the preprocessing spec: every format on small generated files, every refusal."""

from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile
import zlib
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image

from lrnn import data
from lrnn.data import (
    BUILTIN_NAMES,
    DEFAULT_BUILTIN,
    Dataset,
    Preprocessing,
    builtin,
    data_sha256,
    load,
    load_course_h5,
    load_inputs,
    split,
)
from lrnn.errors import DataError, ModelFileError, UsageError
from tests.conftest import CAT_DIR as LESSON  # noqa: E402


def error_of(fn, *args, kind: type[Exception] = DataError, **kwargs) -> str:
    """Call ``fn`` expecting ``kind``; return the message, checked to be one line."""
    with pytest.raises(kind) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message, message
    return message


# --------------------------------------------------------------------------------------------
# Helpers that write small files


def write_h5(path: Path, x, y, classes=(b"non-cat", b"cat"), prefix: str = "train") -> Path:
    with h5py.File(path, "w") as f:
        f[f"{prefix}_set_x"] = x
        if y is not None:
            f[f"{prefix}_set_y"] = y
        if classes is not None:
            f["list_classes"] = np.array(classes)
    return path


def pictures(m: int, h: int = 4, w: int = 5, c: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (m, h, w, c), dtype=np.uint8)


def save_image(path: Path, size=(6, 4), mode: str = "RGB", seed: int = 0) -> Path:
    """An image of ``size`` = (width, height); the format follows the suffix."""
    w, h = size
    rng = np.random.default_rng(seed)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    arr = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
    Image.fromarray(arr[:, :, 0] if channels == 1 else arr, mode=mode).save(path)
    return path


def image_folder(root: Path, layout: dict[str, list[tuple[int, int]]]) -> Path:
    for cls, sizes in layout.items():
        (root / cls).mkdir(parents=True)
        for i, size in enumerate(sizes):
            save_image(root / cls / f"img{i}.png", size, seed=i)
    return root


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width × height`` pixels (data never decoded)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + payload))
        return struct.pack(">I", len(payload)) + kind + payload + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 16))
        + chunk(b"IEND", b"")
    )


def csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --------------------------------------------------------------------------------------------
# The lesson's files


@pytest.mark.skipif(
    not LESSON.is_dir(), reason="the lesson's files (../shared/datasets) are absent"
)
def test_lesson_files():
    train = load(LESSON / "train_catvnoncat.h5")
    assert train.X.shape == (209, 12288) and train.X.dtype == np.uint8
    assert train.y.dtype == np.int64 and int(train.y.sum()) == 72
    assert train.classes == ("non-cat", "cat")
    assert train.spec == Preprocessing(kind="image", image_shape=(64, 64, 3), scale=1 / 255)
    assert train.raw_images.shape == (209, 64, 64, 3)
    test = load(LESSON / "test_catvnoncat.h5")
    assert test.X.shape == (50, 12288)

    x, y, classes = load_course_h5(LESSON / "train_catvnoncat.h5")
    assert x.shape == (209, 64, 64, 3) and x.dtype == np.uint8
    assert y.shape == (209,) and y.dtype == np.int64 and y.sum() == 72
    assert list(classes) == [b"non-cat", b"cat"]
    # The lesson's flattening: x.reshape(m, -1) rows are the examples.
    np.testing.assert_array_equal(train.X, x.reshape(209, -1))


# --------------------------------------------------------------------------------------------
# HDF5


def test_h5_small_file(tmp_path):
    x = pictures(6)
    path = write_h5(tmp_path / "train.h5", x, np.array([0, 1, 0, 1, 1, 0]))
    ds = load(path)
    assert ds.X.shape == (6, 60) and ds.X.dtype == np.uint8
    np.testing.assert_array_equal(ds.X, x.reshape(6, -1))
    np.testing.assert_array_equal(ds.y, [0, 1, 0, 1, 1, 0])
    assert ds.classes == ("non-cat", "cat") and ds.names == [f"row {i + 1}" for i in range(6)]
    assert ds.spec.kind == "image" and ds.spec.image_shape == (4, 5, 3)
    assert ds.spec.scale == 1 / 255 and ds.spec.mean is None
    assert np.shares_memory(ds.raw_images, ds.X) and ds.raw_images.shape == (6, 4, 5, 3)
    assert ds.source == str(path)
    # only image folders are resized: a size the file cannot have is refused, not ignored
    # (the library returned 4 × 5 pictures to a caller who asked for 2 × 2)
    with pytest.raises(UsageError, match="holds pictures stored as 4×5, which it cannot change"):
        load(path, image_size=(2, 2))
    assert load(path, image_size=(4, 5)).X.shape == (6, 60)
    with pytest.raises(UsageError, match=r"image_size=8: give \(height, width\)"):
        load(path, image_size=8)
    # what a caller passes in the wrong form is named, not read as something else: "no" is
    # truthy (it standardized), a string was dropped letter by letter, None failed in fspath
    for kwargs, said in (
        ({"standardize": "no"}, "standardize='no': give True or False"),
        ({"drop": "id"}, r"drop='id': give a list of column names"),
    ):
        with pytest.raises(UsageError, match=said):
            load(path, **kwargs)
    with pytest.raises(UsageError, match="path must be a file's path, got NoneType"):
        load(None)
    for kwargs in ({"label": None}, {"spec": {"kind": "table"}}):
        with pytest.raises(UsageError, match="give the label column's name, and spec=None"):
            load(path, **kwargs)


def test_h5_variants(tmp_path):
    # The lesson's (1, m) label row, grey pictures without a channel axis, int16 pixels.
    x = pictures(4, c=1)[..., 0].astype(np.int16)
    path = write_h5(tmp_path / "a.hdf5", x, np.array([[0, 1, 1, 0]]))
    ds = load(path)
    assert ds.spec.image_shape == (4, 5, 1) and ds.X.dtype == np.uint8
    np.testing.assert_array_equal(ds.y, [0, 1, 1, 0])
    # No list_classes: the labels name the classes.
    path = write_h5(tmp_path / "b.h5", pictures(3), np.array([2, 5, 5]), classes=None)
    assert load(path).classes == ("2", "5")
    # A 2-D array is plain features, kept float32.
    feats = np.arange(12, dtype=np.float32).reshape(4, 3)
    ds = load(write_h5(tmp_path / "c.h5", feats, np.array([0, 1, 0, 1])))
    assert ds.spec.kind == "array" and ds.X.dtype == np.float32 and ds.raw_images is None
    # Unlabeled data is fine when labels are not required.
    ds = load(write_h5(tmp_path / "d.h5", pictures(2), None), require_labels=False)
    assert ds.y is None


def test_load_course_h5_small(tmp_path):
    x = pictures(3)
    path = write_h5(tmp_path / "t.h5", x, np.array([1, 0, 1], dtype=np.int32), prefix="test")
    got_x, got_y, classes = load_course_h5(path)
    np.testing.assert_array_equal(got_x, x)
    assert got_y.dtype == np.int64 and list(classes) == [b"non-cat", b"cat"]
    path = write_h5(tmp_path / "n.h5", x, np.array([1, 0, 1]), classes=None)
    assert "list_classes" in error_of(load_course_h5, path)


def test_h5_not_hdf5(tmp_path):
    path = tmp_path / "garbage.h5"
    path.write_bytes(b"this is not HDF5 at all" * 10)
    assert "garbage.h5: not a readable HDF5 file" in error_of(load, path)


def test_h5_without_expected_keys(tmp_path):
    path = tmp_path / "k.h5"
    with h5py.File(path, "w") as f:
        f["foo"] = np.zeros(3)
        f["bar"] = np.zeros(3)
    message = error_of(load, path)
    assert "'*_set_x'" in message and "'bar', 'foo'" in message
    path = write_h5(tmp_path / "noy.h5", pictures(2), None)
    message = error_of(load, path)
    assert "no 'train_set_y'" in message and "'list_classes', 'train_set_x'" in message


def test_h5_huge_declared_dataset_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "bomb.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("train_set_x", shape=(10**7, 64, 64, 3), dtype="u1", chunks=(1, 64, 64, 3))
        f["train_set_y"] = np.zeros(2, dtype=np.int64)
    assert path.stat().st_size < 100_000

    def no_reading(*args, **kwargs):
        raise AssertionError("the dataset was read")

    monkeypatch.setattr(h5py.Dataset, "__getitem__", no_reading)
    message = error_of(load, path)
    assert "'train_set_x' declares shape (10000000, 64, 64, 3)" in message and "GiB" in message
    error_of(load_course_h5, path)


@pytest.mark.parametrize(
    ("x", "y", "classes", "expected"),
    [
        (
            pictures(3).astype(np.float32),
            [0, 1, 0],
            (b"a", b"b"),
            "reads pictures as 0-255 integers",
        ),
        (pictures(3, c=4), [0, 1, 0], (b"a", b"b"), "1 or 3 channels"),
        (np.full((2, 2, 2, 3), 300, np.int16), [0, 1], (b"a", b"b"), "outside 0-255"),
        (pictures(3), [0, 1], (b"a", b"b"), "one label per example"),
        (pictures(3), [0, 1, 2], (b"a", b"b"), "must hold 0 or 1"),
        (pictures(3), [0, 1, 3], (b"a", b"b", b"c"), "must hold 0 … 2"),
        (pictures(3), [0, 1, 0], (b"a",), "name two or more classes"),
        (pictures(3), [0, 1, 0], (b"a", b"b", b"a"), "names the class 'a' twice"),
        (pictures(3), [0, 0, 0], (b"a", b"b"), "all 3 examples are of class 'a'"),
        (np.zeros((0, 2, 2, 3), np.uint8), np.zeros(0, np.int64), (b"a", b"b"), "no examples"),
    ],
)
def test_h5_bad_contents(tmp_path, x, y, classes, expected):
    path = write_h5(tmp_path / "bad.h5", x, np.asarray(y), classes)
    message = error_of(load, path)
    assert expected in message and str(path) in message


def test_h5_labels_that_do_not_fit_are_ignored_where_labels_are_not_needed(tmp_path):
    """predict ignores labels, as README says of a table's label column: a file whose
    '*_set_y' is short or holds a value outside list_classes was refused by predict."""
    from lrnn.data import load_inputs

    spec = load(write_h5(tmp_path / "ok.h5", pictures(4), np.array([0, 1, 0, 1]))).spec
    for y in ([0, 1], [0, 1, -1, 1]):
        path = write_h5(tmp_path / "odd.h5", pictures(4), np.asarray(y))
        ds = load_inputs([str(path)], spec)
        assert ds.y is None and ds.X.shape == (4, 60)
        assert "odd.h5" in error_of(load, path)  # training still needs them right


def test_h5_links_to_other_data_are_refused(tmp_path):
    path = tmp_path / "links.h5"
    with h5py.File(path, "w") as f:
        f["real"] = pictures(2)
        f["train_set_x"] = h5py.SoftLink("/real")
        f["train_set_y"] = np.array([0, 1])
    assert "not a plain dataset" in error_of(load, path)


# --------------------------------------------------------------------------------------------
# Image folders and image files


def test_pictures_with_see_through_pixels_are_said(tmp_path):
    """Converting a picture to RGB drops its alpha: the colours stored under transparent
    pixels count as if they showed, so two pictures that look alike were read as opposite
    pictures without a word. Said once per load, with a count; opaque pictures that carry an
    alpha channel (255 everywhere) or an unused transparent palette entry are not counted."""
    from lrnn.data.images import read_image

    folder = tmp_path / "shapes"
    for name in ("a", "b"):
        (folder / name).mkdir(parents=True)
        for i in range(3):
            save_image(folder / name / f"{i}.png", (4, 4), seed=i)
    opaque = np.full((4, 4, 4), 255, np.uint8)
    Image.fromarray(opaque, "RGBA").save(folder / "a" / "opaque.png")
    palette = Image.new("P", (4, 4), 1)
    palette.save(folder / "b" / "unused-key.png", transparency=0)  # entry 0 drawn nowhere
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load(folder)
    clear = opaque.copy()
    clear[:2, :, 3] = 0  # the top half transparent
    Image.fromarray(clear, "RGBA").save(folder / "a" / "clear.png")
    Image.new("P", (4, 4), 0).save(folder / "b" / "used-key.png", transparency=0)
    Image.fromarray(clear[..., [0, 3]], "LA").save(folder / "b" / "grey.png")
    with pytest.warns(UserWarning) as said:
        ds = load(folder)
    (line,) = [str(w.message) for w in said if "see-through" in str(w.message)]
    assert line.startswith(f"{folder}: 3 of 11 pictures (e.g. a/clear.png) have see-through ")
    assert "flatten them onto one background first" in line
    assert ds.X.shape[0] == 11  # read all the same, as stored
    from lrnn.data.images import _has_see_through_pixels

    sixteen = Image.new("RGB", (2, 2))  # a 16-bit colour PNG's key: it crashed every command
    sixteen.info["transparency"] = (65535, 1000, 0)
    assert not _has_see_through_pixels(sixteen)
    entries = Image.new("P", (2, 2), 1)  # alpha per palette entry, the see-through one unused
    entries.info["transparency"] = bytes([0, 255])
    assert not _has_see_through_pixels(entries)
    entries.putpixel((0, 0), 0)
    assert _has_see_through_pixels(entries)
    notes: list[str] = []  # serve's answer carries it as a note
    read_image(str(folder / "a" / "clear.png"), "RGB", (4, 4), notes)
    assert notes == [
        f"{folder / 'a' / 'clear.png'}: has see-through pixels" + line.split("pixels", 1)[1]
    ]


def test_image_folder(tmp_path):
    root = image_folder(tmp_path / "pets", {"dog": [(6, 4), (9, 7)], "cat": [(5, 3)]})
    save_image(root / "cat" / "grey.jpg", (8, 8), mode="L")
    save_image(root / "dog" / "alpha.png", (3, 3), mode="RGBA")
    (root / "dog" / ".DS_Store").write_bytes(b"\0junk")  # hidden files are skipped
    with pytest.warns(UserWarning, match="different sizes .*all resized to 8×8"):
        ds = load(root)
    assert ds.classes == ("cat", "dog")
    assert ds.names == [
        "cat/grey.jpg",
        "cat/img0.png",
        "dog/alpha.png",
        "dog/img0.png",
        "dog/img1.png",
    ]
    np.testing.assert_array_equal(ds.y, [0, 0, 1, 1, 1])
    # Every picture converted to RGB at the first picture's size (8×8, from grey.jpg).
    assert ds.spec.image_shape == (8, 8, 3) and ds.X.shape == (5, 192) and ds.X.dtype == np.uint8
    assert ds.raw_images.shape == (5, 8, 8, 3)
    ds = load(root, image_size=(4, 6))
    assert ds.spec.image_shape == (4, 6, 3)
    # An image that needs no resizing keeps its exact pixels.
    original = np.asarray(Image.open(root / "dog" / "img0.png"))
    np.testing.assert_array_equal(load(root, image_size=(4, 6)).raw_images[3], original)


def test_image_folder_needs_class_folders_and_training_two_classes(tmp_path):
    root = image_folder(tmp_path / "imgs", {})
    root.mkdir(exist_ok=True)
    save_image(root / "loose.png", (3, 3))
    message = error_of(load, root)
    assert "two or more sub-folders" in message and "found 0" in message
    # one class folder is data of one class: training refuses it, a model is scored on it
    one = image_folder(tmp_path / "one", {"a": [(3, 3), (3, 3)]})
    assert "all 2 examples are of class 'a'; training needs" in error_of(load, one)
    two = image_folder(tmp_path / "two", {"a": [(3, 3)] * 2, "b": [(3, 3)] * 2})
    scored = data.align_classes(load(one, spec=load(two).spec), ("a", "b"))
    assert scored.y.tolist() == [0, 0] and tuple(scored.classes) == ("a", "b")


def test_image_folder_with_k_class_folders(tmp_path):
    root = image_folder(tmp_path / "imgs", {c: [(3, 3)] * 3 for c in ("bird", "cat", "dog")})
    ds = load(root)
    assert ds.classes == ("bird", "cat", "dog") and ds.y.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert ds.names[3] == "cat/img0.png"


def test_class_folders_named_by_numbers_take_the_numbers_order(tmp_path):
    """As a table's labels read as numbers do: -1 before +1 (so +1 is the positive class), 9
    before 10. Sorted as text, '+1' came first and '10' before '9'."""
    pm = image_folder(tmp_path / "pm", {"+1": [(3, 3)] * 2, "-1": [(3, 3)] * 3})
    ds = load(pm)
    assert ds.classes == ("-1", "+1") and ds.y.tolist() == [0, 0, 0, 1, 1]
    assert ds.names[0].startswith("-1/")
    k = image_folder(tmp_path / "k", {c: [(3, 3)] for c in ("10", "9", "2.5")})
    assert load(k).classes == ("2.5", "9", "10")
    mixed = image_folder(tmp_path / "mixed", {c: [(3, 3)] for c in ("10", "9", "x")})
    assert load(mixed).classes == ("10", "9", "x")  # not all numbers: as text


def test_unbalanced_class_folders_warn(tmp_path):
    root = image_folder(tmp_path / "imgs", {"a": [(3, 3)] * 12, "b": [(3, 3)], "c": [(3, 3)] * 5})
    with pytest.warns(UserWarning, match=r"unbalanced \('b' has 1 image, 'a' 12\)"):
        load(root)


@pytest.mark.parametrize("kind", ["images", "documents"])
def test_folders_inside_class_folders_are_said_to_be_left_out(tmp_path, kind):
    root = tmp_path / kind
    if kind == "images":
        image_folder(root, {"a": [(3, 3)] * 3, "b": [(3, 3)] * 3})
        image_folder(root / "a", {"more": [(3, 3)] * 2})
    else:
        for cls, words in (("pos", "great fine"), ("neg", "awful dull")):
            (root / cls / "deeper").mkdir(parents=True)
            for i in range(3):
                (root / cls / f"{i}.txt").write_text(f"{words} film {i}")
            (root / cls / "deeper" / "x.txt").write_text(f"{words} again")
    with pytest.warns(UserWarning, match="inside the class folders are not read") as caught:
        ds = load(root)
    assert len(ds.names) == 6
    said = " ".join(str(w.message) for w in caught)
    assert ("a/more" in said) if kind == "images" else ("neg/deeper, pos/deeper" in said)


def test_flat_folder_without_labels(tmp_path):
    root = tmp_path / "flat"
    root.mkdir()
    for i in range(3):
        save_image(root / f"{i}.png", (4, 4), seed=i)
    ds = load(root, require_labels=False)
    assert ds.y is None and ds.classes is None and ds.names == ["0.png", "1.png", "2.png"]


def test_not_an_image_and_empty_folders(tmp_path):
    root = image_folder(tmp_path / "imgs", {"a": [(3, 3)], "b": [(3, 3)]})
    (root / "b" / "notes.txt").write_text("hello")  # not named as a picture: left out, said
    with pytest.warns(UserWarning, match=r"1 file\(s\) not named as pictures left out \(notes"):
        assert load(root).names == ["a/img0.png", "b/img0.png"]
    (root / "b" / "notes.png").write_text("hello")  # named as one: refused by name
    with pytest.warns(UserWarning, match="not named as pictures"):
        assert "notes.png: not an image file" in error_of(load, root)
    root = image_folder(tmp_path / "imgs2", {"a": [(3, 3)]})
    (root / "empty").mkdir()
    assert "empty: no images" in error_of(load, root)
    broken = tmp_path / "imgs3"
    image_folder(broken, {"a": [(3, 3)], "b": [(30, 30)]})
    cut = (broken / "b" / "img0.png").read_bytes()
    (broken / "b" / "img0.png").write_bytes(cut[: len(cut) // 2])
    assert "img0.png: cannot decode image" in error_of(load, broken)


def test_a_class_folder_without_pictures_is_told_why(tmp_path):
    """ "split/test: no images in this folder" pointed the wrong way: a data set split into
    train/ and test/, each with its class folders, is named as such with the data to give; a
    class folder of sub-folders is told to move its pictures up; pictures that all link
    outside the data are said to be the reason (the line came after a warning)."""
    split = tmp_path / "split"
    for part in ("train", "test"):
        image_folder(split / part, {"cat": [(3, 3)], "dog": [(3, 3)]})
    said = error_of(load, split)
    assert said == (
        f"{split / 'test'}: holds folders ('cat', 'dog'), not pictures: {split} looks like data "
        f"sets ('test', 'train') each with its class folders; give one as the data (e.g. "
        f"{split / 'train'}; when training, {split / 'test'} as --test)."
    )
    nested = image_folder(tmp_path / "nested", {"cat": [(3, 3)]})
    image_folder(nested / "dog", {"2019": [(3, 3)]})
    said = error_of(load, nested)
    assert said == (
        f"{nested / 'dog'}: holds folders ('2019'), not pictures: a class's pictures lie "
        "directly in its folder (folders inside it are left out); move them up into it."
    )
    places = tmp_path / "places"  # every class in sub-folders, not named as a split's parts
    for name in ("cat", "dog"):
        image_folder(places / name, {"indoor": [(3, 3)], "outdoor": [(3, 3)]})
    assert "move them up into it" in error_of(load, places)  # not "give one as the data"
    vehicles = tmp_path / "vehicles"  # "trains" is a class, not a split's part
    for name in ("trains", "planes"):
        image_folder(vehicles / name, {"indoor": [(3, 3)]})
    assert "move them up into it" in error_of(load, vehicles)
    elsewhere = image_folder(tmp_path / "elsewhere", {"dog": [(3, 3), (3, 3)]})
    linked = image_folder(tmp_path / "linked", {"cat": [(3, 3)]})
    (linked / "dog").symlink_to(elsewhere / "dog")
    with pytest.warns(UserWarning, match="links to places outside the folder"):
        said = error_of(load, linked)
    assert said == (
        f"{linked / 'dog'}: its 2 picture(s) all link outside {linked} and were left out; copy "
        "them into the folder (or give the folder they are in)."
    )


def test_numbers_written_two_ways_are_compared_exactly():
    """'1' and '01' are one number; two IDs past 2**53 are two ('12345678901234567' and
    '12345678901234568' were one as floats, and refused)."""
    from lrnn.data.dataset import number_written_twice

    assert number_written_twice(["01", "1"]) == (
        "the class names '01' and '1' write one number two ways"
    )
    assert number_written_twice(["1", "+1.0"]) is not None
    assert number_written_twice(["12345678901234567", "12345678901234568"]) is None
    assert number_written_twice(["0", "1", "cat"]) is None


def test_a_picture_beside_the_class_folders_is_said_to_be_left_out(tmp_path):
    """It has no class, so it is no example to train or evaluate on; it was dropped without a
    word. predict, which needs no class, scores it with the others (it was left out there
    too, so a folder of pictures with one sub-folder predicted the sub-folder's alone)."""
    root = image_folder(tmp_path / "imgs", {"a": [(3, 3)], "b": [(3, 3)]})
    save_image(root / "stray.png", (3, 3), seed=9)
    (root / "README.txt").write_text("about these pictures")  # no example: not named
    said = r"1 picture\(s\) beside the class folders left out \(stray.png\);"
    with pytest.warns(UserWarning, match=said):
        assert load(root, require_labels=True).names == ["a/img0.png", "b/img0.png"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scored = load(root, require_labels=False)
    assert scored.names == ["stray.png", "a/img0.png", "b/img0.png"] and scored.y is None


def test_decompression_bomb_refused_before_decoding(tmp_path, monkeypatch):
    def no_decoding(self, *args, **kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(8000, 8000))  # 64 Mpx: over lrnn's limit, under PIL's
    message = error_of(load_inputs, [str(path)], Preprocessing("image", (8, 8, 3), 1 / 255))
    assert "bomb.png: image is too large" in message and "8000×8000" in message
    path.write_bytes(png_declaring(100_000, 100_000))  # PIL itself refuses this one
    message = error_of(load_inputs, [str(path)], Preprocessing("image", (8, 8, 3), 1 / 255))
    assert "too large" in message and "bomb" in message


def test_pixel_limits_are_configurable(tmp_path, monkeypatch):
    root = image_folder(tmp_path / "imgs", {"a": [(10, 10)], "b": [(10, 10)]})
    monkeypatch.setattr(data.limits, "MAX_IMAGE_PIXELS", 99)
    assert "decompression bomb" in error_of(load, root)
    monkeypatch.setattr(data.limits, "MAX_IMAGE_PIXELS", 10**9)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)  # Pillow's own guard → DataError too
    assert "decompression bomb" in error_of(load, root)


# --------------------------------------------------------------------------------------------
# Tables


def test_csv_table(tmp_path):
    path = csv(tmp_path / "t.csv", "a,b,label\n1,2.5,yes\n3,4,no\n5,6,yes\n")
    ds = load(path)
    assert ds.X.dtype == np.float64 and ds.X.shape == (3, 2)
    np.testing.assert_array_equal(ds.X, [[1, 2.5], [3, 4], [5, 6]])
    assert ds.classes == ("no", "yes")
    np.testing.assert_array_equal(ds.y, [1, 0, 1])
    assert ds.names == ["row 1", "row 2", "row 3"]
    assert ds.spec == Preprocessing(kind="table", feature_names=("a", "b"), label_column="label")
    assert ds.raw_images is None
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # a spreadsheet's byte-order mark
    assert load(path).spec.feature_names == ("a", "b")


@pytest.mark.parametrize(
    ("labels", "classes", "y"),
    [
        (["0", "1", "1"], ("0", "1"), [0, 1, 1]),
        (["1.0", "0.0", ""], None, None),  # a missing label is an error, see below
        (["10", "2", "2"], ("2", "10"), [1, 0, 0]),  # numbers sort by value
        (["True", "False", "True"], ("False", "True"), [1, 0, 1]),
        (["-1", "1", "1"], ("-1", "1"), [0, 1, 1]),
    ],
)
def test_label_values(tmp_path, labels, classes, y):
    path = csv(
        tmp_path / "t.csv", "x,label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(labels))
    )
    if classes is None:
        assert (
            "label column 'label' is empty (or NA, None, null or N/A, which a CSV reader "
            "takes for missing) in row 3" in error_of(load, path)
        )
        return
    ds = load(path)
    assert ds.classes == classes
    np.testing.assert_array_equal(ds.y, y)


def test_standardize(tmp_path):
    path = csv(tmp_path / "t.csv", "a,const,target\n1,7,0\n2,7,1\n3,7,0\n6,7,1\n")
    ds = load(path, label="target", standardize=True)
    assert ds.spec.mean == (3.0, 7.0) and ds.spec.std[1] == 1.0
    assert ds.spec.std[0] == pytest.approx(np.std([1, 2, 3, 6]))
    np.testing.assert_allclose(ds.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(ds.X[:, 1], 0)
    raw = load(path, label="target").X
    np.testing.assert_array_equal(ds.spec.transform(raw), ds.X)
    assert ds.spec.label_column == "target"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "age,label\n1,0\n2,1\nabc,0\n",
            "t.csv: column 'age' has non-numeric value 'abc' (row 3); features must be numeric "
            "— drop or encode that column (if it holds documents, train a text model on them: "
            "lrnn train --text-column 'age').",
        ),
        ("a,b,label\n1,2,0\n3,,1\n", "column 'b' is empty or NaN (row 2)"),
        ("a,b,label\n1,2,0\n3,inf,1\n", "column 'b' has value inf (row 2), infinite or beyond"),
        ("a,b,label\n1,2,0\n3,1e400,1\n", "column 'b' has value inf (row 2), infinite or beyond"),
        ("a,b\n1,2\n", "no label column 'label'; the columns are 'a', 'b' — name the label"),
        ("a,label\n1,x\n2,x\n", "all 2 examples are of class 'x'"),
        ("a,label\n1,0\n2,0\n", "all 2 examples are of class '0'"),
        (
            "a,label\n" + "".join(f"{i},c{i}\n" for i in range(1001)),
            "label column 'label' has 1001 distinct values ('c0', 'c1', 'c10', 'c100', 'c1000', "
            "...) — more than 1000 classes; is that the label column?",
        ),
        ("", "the file is empty"),
        ("a,label\n", "no examples"),
        ("label\n0\n1\n", "no feature columns besides 'label'"),
        ("a,label\n1,0\n2,1,3,4\n", "t.csv: cannot read as CSV"),
    ],
)
def test_table_errors(tmp_path, text, expected):
    path = csv(tmp_path / "t.csv", text)
    assert expected in error_of(load, path)


def test_csv_limits(tmp_path, monkeypatch):
    path = csv(tmp_path / "t.csv", "a,b,c,label\n1,2,3,0\n1,2,3,1\n")
    monkeypatch.setattr(data.limits, "MAX_COLUMNS", 3)
    assert "header has 4 columns" in error_of(load, path)
    monkeypatch.setattr(data.limits, "MAX_COLUMNS", 100)
    path = csv(tmp_path / "long.csv", "a,label\n1,0\n" + "9" * 100 + ",1\n2,1\n")
    monkeypatch.setattr(data.limits, "MAX_LINE_BYTES", 50)
    assert "long.csv: line 3 is longer than 50 bytes" in error_of(load, path)
    path = csv(tmp_path / "nonl.csv", "a" * 60)
    assert "line 1 is longer" in error_of(load, path)


def test_line_check_across_chunks(tmp_path, monkeypatch):
    # Lines that straddle the 1 MiB read chunks are measured whole.
    body = "".join(f"{i},{i % 2}\n" for i in range(200_000))
    path = csv(tmp_path / "big.csv", "a,label\n" + body)
    monkeypatch.setattr(data.limits, "MAX_LINE_BYTES", 20)
    assert load(path).X.shape == (200_000, 1)
    path.write_text("a,label\n" + body + "1" * 30 + ",0\n")
    assert "line 200002 is longer" in error_of(load, path)


def test_parquet(tmp_path):
    frame = pd.DataFrame({"x1": [1.0, 2.0, 3.0], "x2": [4, 5, 6], "label": ["b", "a", "b"]})
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    ds = load(path)
    assert ds.spec.feature_names == ("x1", "x2") and ds.classes == ("a", "b")
    np.testing.assert_array_equal(ds.X, [[1, 4], [2, 5], [3, 6]])
    frame.assign(x2=["p", "q", "r"]).to_parquet(path)
    assert "column 'x2' has non-numeric value 'p' (row 1)" in error_of(load, path)
    path.write_bytes(b"PAR1 but not really")
    assert "not a readable Parquet file" in error_of(load, path)


# --------------------------------------------------------------------------------------------
# Arrays (.npz)


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (np.float32, np.float32),
        (np.uint8, np.uint8),
        (np.float64, np.float64),
        (np.int32, np.float64),
    ],
)
def test_npz_dtypes(tmp_path, dtype, expected):
    path = tmp_path / "a.npz"
    np.savez(path, X=np.arange(8).reshape(4, 2).astype(dtype), y=np.array(["n", "p", "p", "n"]))
    ds = load(path)
    assert ds.X.dtype == expected and ds.X.shape == (4, 2)
    assert ds.classes == ("n", "p") and ds.names == ["row 1", "row 2", "row 3", "row 4"]
    assert ds.spec == Preprocessing(kind="array")


def test_npz_errors(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, X=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    message = error_of(load, path)
    assert "array 'X' holds Python objects (a pickle)" in message
    np.savez(path, features=np.zeros((2, 2)))
    assert "no array named 'X' (found 'features')" in error_of(load, path)
    np.savez(path, X=np.zeros(3), y=np.zeros(3))
    assert "'X' has shape (3,)" in error_of(load, path)
    np.savez(path, X=np.zeros((3, 2)), y=np.array([0, 1]))
    assert "'y' has shape (2,) but 'X' has 3 rows" in error_of(load, path)
    np.savez(path, X=np.array([[1.0], [np.nan]]), y=np.array([0, 1]))
    assert "X[1, 0] is nan" in error_of(load, path)
    np.savez(path, X=np.zeros((2, 2)))
    assert "no array named 'y'" in error_of(load, path)
    assert load(path, require_labels=False).y is None
    path.write_bytes(b"not a zip")
    assert "not a .npz file (a .npz is a zip archive)" in error_of(load, path)
    path.write_bytes(b"PK\x03\x04" + bytes(60))  # a zip's start, then nothing readable
    assert "not a readable .npz file" in error_of(load, path)
    np.save(tmp_path / "single.npy", np.zeros(2))
    (tmp_path / "single.npy").rename(tmp_path / "single.npz")
    assert "single array" in error_of(load, tmp_path / "single.npz")


def test_npz_huge_declared_array_refused_before_reading(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
    )
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("X.npy", header.getvalue() + b"\0" * 64)
    message = error_of(load, path)
    assert "array 'X' declares shape (1000000, 1000000)" in message


# --------------------------------------------------------------------------------------------
# Dispatch and built-ins


def test_missing_and_unsupported(tmp_path):
    message = error_of(load, tmp_path / "nope.csv")
    assert "nope.csv: no such file or folder" in message and "digits" in message
    path = tmp_path / "model.txt"
    path.write_text("x")
    assert "unsupported file type '.txt'" in error_of(load, path)
    assert "unknown built-in data set 'mnist'" in error_of(load, "builtin:mnist")


def test_builtins():
    assert BUILTIN_NAMES == ("digits", "digits10", "breast_cancer") and DEFAULT_BUILTIN == "digits"
    ten = builtin("digits10")
    assert ten.X.shape == (1797, 64) and ten.classes[3] == "three" and len(ten.classes) == 10
    assert np.bincount(ten.y).tolist()[:3] == [178, 182, 177]
    digits = builtin("digits")
    assert digits.X.shape == (357, 64) and digits.X.dtype == np.uint8
    assert digits.classes == ("three", "eight") and int(digits.y.sum()) == 174
    assert digits.spec == Preprocessing(kind="image", image_shape=(8, 8, 1), scale=1 / 255)
    assert digits.raw_images.shape == (357, 8, 8, 1) and digits.names[5] == "digit-5"
    from sklearn.datasets import load_breast_cancer, load_digits

    first_three = int(np.flatnonzero(load_digits().target == 3)[0])
    expected = np.array(
        [round(v * 255 / 16) for v in load_digits().data[first_three]], dtype=np.uint8
    )
    np.testing.assert_array_equal(digits.X[0], expected)
    assert load("builtin:digits").X.shape == (357, 64)

    cancer = load("breast_cancer")
    assert cancer.X.shape == (569, 30) and cancer.X.dtype == np.float64
    assert cancer.classes == ("malignant", "benign")
    np.testing.assert_array_equal(cancer.y, load_breast_cancer().target)
    assert cancer.spec.feature_names == tuple(load_breast_cancer().feature_names)
    assert cancer.names[0] == "row 1"
    scaled = builtin("breast_cancer", standardize=True)
    np.testing.assert_allclose(scaled.X.std(axis=0), 1)
    assert "images are scaled by 1/255" in error_of(
        builtin, "digits", standardize=True, kind=UsageError
    )


# --------------------------------------------------------------------------------------------
# The spec


table_specs = st.builds(
    lambda n, names, stats, label: Preprocessing(
        kind="table",
        feature_names=tuple(names[:n]) if names else None,
        mean=tuple(m for m, _ in stats[:n]) if stats else None,
        std=tuple(s for _, s in stats[:n]) if stats else None,
        label_column=label,
    ),
    st.just(2),
    st.one_of(st.none(), st.lists(st.text(), min_size=2, max_size=2)),
    st.one_of(
        st.none(),
        st.lists(
            st.tuples(
                st.floats(allow_nan=False, allow_infinity=False),
                st.floats(min_value=1e-300, max_value=1e300),
            ),
            min_size=2,
            max_size=2,
        ),
    ),
    st.one_of(st.none(), st.text()),
).filter(  # a label column among the features is no spec training writes: refused (below)
    lambda spec: spec.label_column is None or spec.label_column not in (spec.feature_names or ())
)


@given(table_specs)
def test_spec_round_trip_through_json(spec):
    assert Preprocessing.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_a_spec_whose_label_column_is_a_feature_is_refused():
    spec = Preprocessing(kind="table", feature_names=("a", "b"), label_column="a").to_dict()
    with pytest.raises(ModelFileError, match="label_column 'a' is also one of its feature_names"):
        Preprocessing.from_dict(spec)


def test_image_spec_round_trip():
    spec = Preprocessing(kind="image", image_shape=[64, 64, 3], scale=1 / 255)
    assert spec.image_shape == (64, 64, 3) and spec.n_features == 12288
    assert Preprocessing.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"kind": "audio"},
        {"kind": "image"},
        {"kind": "image", "image_shape": [8, 8]},
        {"kind": "image", "image_shape": [8, 8, 2]},
        {"kind": "image", "image_shape": [8, True, 1]},
        {"kind": "table", "scale": 0},
        {"kind": "table", "scale": "1"},
        {"kind": "table", "feature_names": "ab"},
        {"kind": "table", "mean": [0.0]},
        {"kind": "table", "mean": [0.0], "std": [0.0]},
        {"kind": "table", "mean": [0.0, 1.0], "std": [1.0]},
        {"kind": "table", "mean": [float("nan")], "std": [1.0]},
        {"kind": "table", "feature_names": ["a", "b"], "mean": [0.0], "std": [1.0]},
        {"kind": "table", "label_column": 3},
        {"kind": "table", "colour": "red"},
    ],
)
def test_spec_from_dict_refuses_nonsense(bad):
    error_of(Preprocessing.from_dict, bad, kind=ModelFileError)


def test_transform():
    table = Preprocessing(kind="table", mean=(1.0, 2.0), std=(2.0, 4.0))
    out = table.transform(np.array([[3, 2], [1, 10]], dtype=np.int64))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[1, 0], [0, 2]])
    assert "standardises 2 features" in error_of(table.transform, np.zeros((1, 3)))
    pixels = pictures(2).reshape(2, -1)
    image = Preprocessing(kind="image", image_shape=(4, 5, 3), scale=1 / 255)
    assert image.transform(pixels) is pixels  # uint8 stays uint8: the scale lives in the math
    assert Preprocessing(kind="table").transform(pixels) is pixels


# --------------------------------------------------------------------------------------------
# Converting new data to a model's spec


def test_table_with_spec(tmp_path):
    spec = Preprocessing(
        kind="table", feature_names=("b", "a"), mean=(10.0, 0.0), std=(2.0, 1.0), label_column="y"
    )
    path = csv(tmp_path / "new.csv", "a,note,b,y\n1,hello,12,cat\n2,world,8,dog\n")
    ds = load(path, label="y", spec=spec)
    np.testing.assert_array_equal(ds.X, [[1, 1], [-1, 2]])  # columns b, a; the spec's mean/std
    assert ds.spec is spec and ds.classes == ("cat", "dog")
    ds = load_inputs([str(path)], spec)  # the spec names the label column
    assert ds.y is not None
    unlabeled = csv(tmp_path / "unlabeled.csv", "b,a\n10,0\n")
    assert load_inputs([str(unlabeled)], spec).y is None
    assert "missing feature column(s) 'b'" in error_of(
        load_inputs, [str(csv(tmp_path / "m.csv", "a,c\n1,2\n"))], spec
    )
    assert "no label column 'y'" in error_of(load, unlabeled, label="y", spec=spec)


def test_builtin_table_with_spec():
    cancer = builtin("breast_cancer", standardize=True)
    reordered = Preprocessing(
        kind="table",
        feature_names=cancer.spec.feature_names[::-1],
        mean=cancer.spec.mean[::-1],
        std=cancer.spec.std[::-1],
    )
    np.testing.assert_allclose(load("breast_cancer", spec=reordered).X, cancer.X[:, ::-1])


def test_black_and_white_pictures_are_black_and_white(tmp_path):
    # h5py stores numpy's bool as an enum it reads back as bool: True is a white pixel (255,
    # 1.0 once scaled), not 1 (1/255: every picture nearly black)
    masks = np.random.default_rng(0).random((4, 3, 5)) > 0.5
    ds = load(write_h5(tmp_path / "bw.h5", masks, np.array([0, 1, 0, 1])))
    assert ds.X.dtype == np.uint8
    np.testing.assert_array_equal(ds.X, np.where(masks, 255, 0).reshape(4, -1))


def test_images_with_spec(tmp_path):
    root = image_folder(tmp_path / "imgs", {"a": [(10, 6), (3, 3)], "b": [(7, 7)]})
    spec = Preprocessing(kind="image", image_shape=(8, 8, 1), scale=1 / 255)
    ds = load(root, spec=spec)
    assert ds.X.shape == (3, 64) and ds.raw_images.shape == (3, 8, 8, 1)
    # Lesson-style HDF5 pictures are resized to the model's size too.
    h5 = write_h5(tmp_path / "t.h5", pictures(2, 4, 4, 3), np.array([0, 1]))
    said = "t.h5: the pictures are 4×4 with 3 channels, the model's are 8×8 with 1 channel; "
    with pytest.warns(
        UserWarning, match=said + r"they were resized to 8×8 \(bilinear\) and made grey"
    ):
        ds = load(h5, spec=spec)
    assert ds.spec is spec and ds.X.shape == (2, 64)
    message = error_of(load, csv(tmp_path / "t.csv", "a,label\n1,0\n2,1\n"), spec=spec)
    assert "trained on image data but this is table data" in message


def test_load_inputs(tmp_path):
    spec = Preprocessing(kind="image", image_shape=(4, 4, 3), scale=1 / 255)
    one = save_image(tmp_path / "one.png", (9, 5))
    two = save_image(tmp_path / "two.jpg", (4, 4), mode="L")
    ds = load_inputs([str(one), str(two)], spec)
    assert ds.X.shape == (2, 48) and ds.y is None and ds.names == [str(one), str(two)]
    assert load_inputs(str(one), spec).X.shape == (1, 48)
    root = image_folder(tmp_path / "flat", {})
    root.mkdir(exist_ok=True)
    save_image(root / "x.png", (4, 4))
    assert load_inputs([str(root)], spec).y is None
    labeled = image_folder(tmp_path / "labeled", {"neg": [(5, 5)], "pos": [(4, 4)]})
    ds = load_inputs([str(labeled)], spec)
    np.testing.assert_array_equal(ds.y, [0, 1])
    assert "not a mix" in error_of(load_inputs, [str(one), str(root)], spec)
    assert "no such file" in error_of(load_inputs, [str(one), str(tmp_path / "gone.png")], spec)
    table_spec = Preprocessing(kind="table", feature_names=("a",))
    assert "trained on table data; give" in error_of(load_inputs, [str(one)], table_spec)
    error_of(load_inputs, [], spec, kind=UsageError)
    assert load_inputs(["digits"], Preprocessing("image", (8, 8, 1), 1 / 255)).X.shape == (
        357,
        64,
    )


# --------------------------------------------------------------------------------------------
# Splitting and fingerprints


def test_split_is_stratified_and_consistent():
    ds = builtin("digits")
    train, test = split(ds, 0.25, seed=3)
    assert train.X.shape[0] + test.X.shape[0] == 357 and test.X.shape[0] == 90
    assert abs(test.y.mean() - ds.y.mean()) < 0.01
    for part in (train, test):
        rows = [int(name.removeprefix("digit-")) for name in part.names]
        np.testing.assert_array_equal(part.X, ds.X[rows])
        np.testing.assert_array_equal(part.y, ds.y[rows])
        assert rows == sorted(rows)
        assert np.shares_memory(part.raw_images, part.X)
        assert part.spec is ds.spec and part.classes == ds.classes
    again = split(ds, 0.25, seed=3)[1]
    assert again.names == test.names
    assert split(ds, 0.25, seed=4)[1].names != test.names


def test_split_edge_cases():
    X = np.arange(10, dtype=np.float64).reshape(5, 2)
    ds = Dataset(
        X, np.array([0, 0, 0, 0, 1]), ("a", "b"), list("vwxyz"), Preprocessing("array"), "s"
    )
    train, test = split(ds, 0.4)  # one "b": it stays in training, the test part is two "a"
    assert len(train.names) + len(test.names) == 5
    assert "z" in train.names and test.y.tolist() == [0, 0]
    for seed in range(20):  # a class of one example never loses it to a hold-out
        assert "z" in split(ds, 0.4, seed=seed)[0].names
    unlabeled = Dataset(X, None, None, list("vwxyz"), Preprocessing("array"), "s")
    assert split(unlabeled, 0.2)[1].y is None
    error_of(split, ds, 1.5, kind=UsageError)
    tiny = Dataset(X[:1], None, None, ["v"], Preprocessing("array"), "s")
    assert "cannot hold out" in error_of(split, tiny, 0.5)


def test_data_sha256():
    X = np.arange(12, dtype=np.float64).reshape(3, 4)
    y = np.array([0, 1, 0])
    digest = data_sha256(X, y)
    assert len(digest) == 64 and digest == data_sha256(X.copy(), y.copy())
    assert data_sha256(np.asfortranarray(X), y) == digest  # memory layout does not matter
    assert data_sha256(X.astype(">f8"), y) == digest  # nor byte order
    assert data_sha256(X.astype(np.float32), y) != digest
    assert data_sha256(X.reshape(4, 3), y) != digest
    assert data_sha256(X, None) != digest
    assert data_sha256(X, np.array([1, 0, 0])) != digest
    # the value model manifests store: pinned, so a refactoring cannot change it unnoticed
    assert digest == "e5a88411a98d65dff5694245d1ed74356207fbafb86d9c95788d9766429eb59b"


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 9),
    st.sampled_from([np.float64, np.float32, np.uint8]),
    st.integers(0, 2**32 - 1),
)
def test_row_keys_find_exactly_the_examples_one_set_shares_with_another(m, n, dtype, seed):
    """Which examples of one data set another holds (train's --test/--validation check): an
    example counts where its values and label are the same, dense or sparse, in any block."""
    import scipy.sparse as sp

    from lrnn.data import fingerprint
    from lrnn.data.fingerprint import row_keys, shared_examples

    rng = np.random.default_rng(seed)
    X = (rng.integers(0, 3, (m, n)) * rng.integers(0, 2, (m, n))).astype(dtype)
    y = rng.integers(0, 2, m)
    picked = rng.integers(0, m, 15)
    other_X, other_y = X[picked].copy(), y[picked].copy()
    changed = rng.random(15) < 0.5
    other_y[changed] = 1 - other_y[changed]  # the same values under the other label: not shared
    expected = sum(
        any((X[i] == row).all() and y[i] == label for i in range(m))
        for row, label in zip(other_X, other_y, strict=True)
    )
    keys = row_keys(X, y)
    assert shared_examples(keys, other_X, other_y) == expected
    sparse_keys = row_keys(sp.csr_matrix(X.astype(np.float64)), y)
    assert shared_examples(sparse_keys, sp.csr_matrix(other_X.astype(np.float64)), other_y) == (
        expected
    )
    # values, not bytes: a float64 copy of float32 or uint8 rows, a sparse copy with its
    # explicit zeros, and −0 for 0 are the same examples
    np.testing.assert_array_equal(row_keys(X.astype(np.float64), y), keys)
    explicit = sp.csr_matrix(X.astype(np.float64))
    explicit.data[::2] = 0.0  # stored zeros, left stored
    np.testing.assert_array_equal(row_keys(explicit, y), row_keys(explicit.toarray(), y))
    signed = X.astype(np.float64)
    signed[signed == 0] = -0.0
    np.testing.assert_array_equal(row_keys(signed, y), keys)
    with pytest.MonkeyPatch.context() as patch:  # one row per block: the same keys
        patch.setattr(fingerprint, "_KEY_BYTES", 1)
        np.testing.assert_array_equal(row_keys(X, y), keys)
        np.testing.assert_array_equal(row_keys(sp.csr_matrix(X.astype(np.float64)), y), keys)


def test_data_sha256_is_the_same_streamed_block_by_block():
    from lrnn.data.sources import ArraySource

    X = np.arange(12, dtype=np.float64).reshape(3, 4)
    y = np.array([0, 1, 0])
    streamed = data_sha256(ArraySource(X), y.astype(np.float64), block_bytes=40)  # 1-row blocks
    assert streamed == data_sha256(X, y)
    assert data_sha256(ArraySource(X[::-1].copy()), y) != data_sha256(X, y)


def test_align_classes_reindexes_by_name():
    spec = Preprocessing(kind="array")
    ds = Dataset(np.zeros((3, 1)), np.array([0, 1, 1]), ("yes", "no"), ["a", "b", "c"], spec, "s")
    aligned = data.align_classes(ds, ("no", "yes"))
    assert aligned.classes == ("no", "yes") and aligned.y.tolist() == [1, 0, 0]
    one = replace(ds, y=np.array([0, 0, 0]), classes=("yes", "yes"))
    assert data.align_classes(one, ("no", "yes")).y.tolist() == [1, 1, 1]
    other = replace(ds, classes=("yes", "maybe"))
    assert "differ from the model's ('no', 'yes')" in error_of(
        data.align_classes, other, ("no", "yes")
    )
    # labels written on another system (accents as combining marks, a trailing zero-width
    # space) are the model's classes still; a class that only looks alike in print is named
    # with what tells it apart
    written = replace(ds, classes=("the\u0301", "cafe\u0301"))
    aligned = data.align_classes(written, ("caf\u00e9", "th\u00e9"))
    assert aligned.classes == ("caf\u00e9", "th\u00e9") and aligned.y.tolist() == [1, 0, 0]
    hidden = replace(ds, classes=("no\u200b", "yes"))
    assert data.align_classes(hidden, ("no", "yes")).y.tolist() == [0, 1, 1]
    assert "its classes ('x\\u3000', 'yes') differ" in error_of(
        data.align_classes, replace(ds, classes=("x\u3000", "yes")), ("no", "yes")
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
@example("e\u200b\u0301")  # an invisible character between a letter and its accent
def test_a_names_appearance_is_its_own_appearance(name):
    """Matching by appearance is only sound when it is a fixed point: otherwise a data label
    could match one model class while another class looks the same as that label."""
    from lrnn.data.dataset import appearance

    assert appearance(appearance(name)) == appearance(name)


def test_look_alike_class_names_are_said_readably():
    from lrnn.data.dataset import look_alike_problem

    said = look_alike_problem(["猫", "猫\u3000"])
    assert said == "the class names '猫' and '猫\\u3000' look the same: they differ only in spacing"
    said = look_alike_problem(["caf\u00e9", "cafe\u0301"])
    assert said.endswith(
        "one writes an accented letter as one character, the other as a letter and a "
        "combining accent"
    )
    said = look_alike_problem(["cat", "ca\u034ft"])
    assert said == (
        "the class names 'cat' and 'ca\\u034ft' look the same: they differ only in characters "
        "that draw nothing (shown as \\u…)"
    )
    hiding = ["\u3164", "\ufe0f", "\u2800", "\u00ad", "\U000e0100", "\u180b", "\u17b4"]
    hiding += ["\U000e0041", "\u2065", "\U0001d173", "\ufff9"]  # a tag, unassigned, formats
    for hidden in hiding:
        assert look_alike_problem(["cat", "cat" + hidden]) is not None, ascii(hidden)
    # composed again once the invisible character between a letter and its accent is gone
    said = look_alike_problem(["e\u200b\u0301", "\u00e9"])
    assert said.startswith("the class names 'e\\u200b\\u0301' and '\\xe9' look the same")
    said = look_alike_problem(["\u00c5", "\u212b"])  # Å and the ångström sign
    assert said.endswith("they write one letter with different code points")
    # names that draw differently: flags of tag sequences, a visible Arabic sign, a Persian
    # word with and without its non-joiner, an emoji sequence and its parts
    different = [
        (
            "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
            "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",
        ),
        ("\u0600\u0661\u0662", "\u0661\u0662"),
        (
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
            "\u0645\u06cc\u062e\u0648\u0627\u0647\u0645",
        ),
        ("\U0001f468\u200d\U0001f4bb", "\U0001f468\U0001f4bb"),
    ]
    for pair in different:
        assert look_alike_problem(pair) is None, ascii(pair)


def test_a_standardization_that_overflows_is_named_not_blamed_on_the_weights():
    """A model file whose std is absurdly small (damaged or hostile) overflows X's scaling;
    the cell and the model's mean and std are named (the logits check blamed the weights)."""
    from lrnn.data import Preprocessing
    from lrnn.errors import DataError

    spec = Preprocessing(kind="table", feature_names=("a", "b"), mean=(0.0, 0.0), std=(1.0, 1e-308))
    np.testing.assert_array_equal(spec.transform(np.array([[2.0, 0.0]])), [[2.0, 0.0]])
    said = r"row 2, column 'b' with the model's mean 0 and std 1e-308 overflows"
    with pytest.raises(DataError, match=said):
        spec.transform(np.array([[2.0, 0.0], [1.0, 5.0]]))


def test_a_list_classes_of_one_column_or_row_is_read_as_the_list(tmp_path):
    """(K, 1) and (1, K) arrays of names were read before list_classes had to be 1-D."""
    from lrnn import data

    rng = np.random.default_rng(0)
    for shape in ((2, 1), (1, 2)):
        with h5py.File(tmp_path / "c.h5", "w") as f:
            f["train_set_x"] = rng.integers(0, 256, (6, 4, 4, 3), dtype=np.uint8)
            f["train_set_y"] = np.array([0, 1] * 3)
            f["list_classes"] = np.array([b"non-cat", b"cat"]).reshape(shape)
        assert data.load(str(tmp_path / "c.h5")).classes == ("non-cat", "cat")


def test_an_animation_is_read_as_its_first_frame_with_a_warning(tmp_path):
    """An animated GIF (or a multi-page TIFF) was scored on its first frame without a word."""
    from PIL import Image

    from lrnn.data.images import read_images

    frames = [Image.new("RGB", (8, 8), (40 * i, 0, 0)) for i in range(5)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    frames[0].save(tmp_path / "still.gif")
    with pytest.warns(UserWarning, match=r"anim.gif: holds 5 frames .* only the first is used"):
        pixels = read_images([str(tmp_path / "anim.gif")], "RGB", None)
    np.testing.assert_array_equal(pixels, read_images([str(tmp_path / "still.gif")], "RGB", None))
    # a camera's JPEG with a preview (MPO, two frames): the first frame is the photo
    frames[0].save(tmp_path / "camera.jpg", format="MPO", save_all=True, append_images=frames[1:2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_images([str(tmp_path / "still.gif")], "RGB", None)  # one frame: nothing to say
        read_images([str(tmp_path / "camera.jpg")], "RGB", None)


def test_list_classes_of_arrays_are_said_not_to_be_names(tmp_path):
    """A variable-length integer type for list_classes read as "names the class '[]' twice"."""
    path = tmp_path / "o.h5"
    with h5py.File(path, "w") as f:
        f["train_set_x"] = np.zeros((4, 8, 8, 1), "u1")
        f["train_set_y"] = np.array([0, 1, 0, 1])
        f.create_dataset("list_classes", (2,), dtype=h5py.vlen_dtype(np.dtype("i8")))
    assert (
        "'list_classes' entry 0 is an array ([]), not a class name; store the class names "
        "as text" in error_of(load, path)
    )


def test_flattened_uint8_pictures_in_hdf5_are_said_to_be_read_as_a_table(tmp_path):
    """The lesson flattens its pictures after loading them; stored flat, 209 × 12288 uint8
    trained as a table (not divided by 255) and diverged, advising --standardize."""
    import h5py

    with h5py.File(tmp_path / "flat.h5", "w") as f:
        f["train_set_x"] = np.arange(4 * 192, dtype=np.uint8).reshape(4, 192)
        f["train_set_y"] = np.array([[0, 1, 0, 1]])
    with pytest.warns(
        UserWarning,
        match=r"flat.h5: 'train_set_x' is a 2-D array of uint8 "
        r"\(4 × 192\): read as a table of numbers, not as pictures",
    ):
        ds = data.load(str(tmp_path / "flat.h5"))
    assert ds.X.shape == (4, 192)


@pytest.mark.parametrize(
    "labels, said",
    [
        ([0.0, 1.0] * 20 + [0.5], r"'y' is 0.5 for example 41, a fraction among whole numbers"),
        (["True", "False"] * 20 + ["1"], r"mixes True/False with '1': each is a class of its own"),
        (["yes", "no"] * 20 + ["Yes"], r"has 'Yes' and 'yes', which differ only in case"),
        # single letters too, where one case is a lone typo among the other's (a Y/N column)
        (["Y", "N"] * 20 + ["y"], r"has 'Y' and 'y', which differ only in case"),
        # an export's mark of an unknown label ("", NA, null and N/A are read as missing)
        (["yes", "no"] * 20 + ["?"], r"is '\?' for 1 example\(s\) \(first: example 41\), "),
        (["yes", "no"] * 20 + [" - "], r"is '-' for 1 example\(s\) .* looks like a missing"),
    ],
)
def test_labels_that_look_mistyped_are_warned_of(tmp_path, labels, said):
    """A lone 0.5 among 0/1 labels, a '1' among True/False, a capitalised 'Yes' among yes/no:
    each trained a softmax layer with a class of its own, said only as 'a class with a single
    example'."""
    X = np.arange(2 * len(labels), dtype=np.float64).reshape(len(labels), 2)
    np.savez(tmp_path / "d.npz", X=X, y=np.array(labels))
    with pytest.warns(UserWarning, match=said):
        ds = data.load(str(tmp_path / "d.npz"))
    assert len(ds.classes) == 3


def test_single_letters_of_both_cases_are_classes_without_a_warning(tmp_path):
    labels = np.array(["a", "A", "b", "B"] * 10)
    np.savez(tmp_path / "d.npz", X=np.arange(80.0).reshape(40, 2), y=labels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert data.load(str(tmp_path / "d.npz")).classes == ("A", "B", "a", "b")
    # "+" and "-" (and "0") as classes (sentiment) are classes, not a missing label
    np.savez(tmp_path / "s.npz", X=np.arange(80.0).reshape(40, 2), y=np.array(["+", "-"] * 20))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert data.load(str(tmp_path / "s.npz")).classes == ("+", "-")
    stars = np.array(["**", "***", "****"] * 26 + ["*"] * 2)  # star ratings
    np.savez(tmp_path / "r.npz", X=np.arange(160.0).reshape(80, 2), y=stars)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(data.load(str(tmp_path / "r.npz")).classes) == 4
    three = np.array(["+", "0"] * 39 + ["-"] * 2)
    np.savez(tmp_path / "t.npz", X=np.arange(160.0).reshape(80, 2), y=three)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert data.load(str(tmp_path / "t.npz")).classes == ("+", "-", "0")


@pytest.mark.parametrize(
    "written, classes",
    [
        (["00", "01"], ("00", "01")),  # codes: read as numbers they were '0' and '1'
        (["-1", "+1"], ("-1", "+1")),  # by value, as class folders sort: +1 is positive
        (["0.0", "1.0"], ("0", "1")),  # numbers as Python writes them stay numbers
        (["-1", "1"], ("-1", "1")),
    ],
)
def test_csv_labels_keep_their_spelling_unless_they_are_plain_numbers(tmp_path, written, classes):
    """The same labels stored as text in Parquet kept "01", so a model trained on one could
    not score the other ("its classes ('0', '1') differ from the model's ('00', '01'))."""
    rows = "".join(f"{k},{written[k % 2]}\n" for k in range(10))
    (tmp_path / "t.csv").write_text("a,label\n" + rows)
    assert data.load(str(tmp_path / "t.csv")).classes == classes


def test_one_example_of_each_of_many_classes_is_scored_but_not_trained_on(tmp_path):
    """A 25-class model scored on 25 rows, one of each class, was refused as 'an ID column';
    the refusal is for training data, where it names a feature chosen as the label."""
    from tests.cli_helpers import run

    labels = [f"c{k:02d}" for k in range(25)]
    frame = pd.DataFrame({"a": np.arange(25.0), "label": labels})
    pd.concat([frame, frame]).to_csv(tmp_path / "train.csv", index=False)
    frame.to_csv(tmp_path / "one_each.csv", index=False)
    args = ["--solver", "lbfgs", "--iterations", "20", "--no-plot", "--model", "m.safetensors"]
    assert run(["train", "train.csv", "--test", "train.csv", *args], tmp_path).returncode == 0
    scored = run(["evaluate", "--model", "m.safetensors", "one_each.csv"], tmp_path)
    assert scored.returncode == 0 and "examples: 25" in scored.stdout, scored.stderr
    trained = run(["train", "one_each.csv", *args], tmp_path)
    assert trained.returncode == 2
    assert "the labels hold 25 different values in 25 examples, nearly all" in trained.stderr


def test_a_csv_whose_lines_end_with_a_comma_leaves_that_empty_column_out(tmp_path):
    """It was "column 'Unnamed: 3' is empty or NaN (row 1)", of a column pandas invented; the
    first fix refused the file, which predict and evaluate had read (found by review)."""
    (tmp_path / "tc.csv").write_text("a,b,label,\n1,2,0,\n2,1,1,\n3,1,0,\n4,0,1,\n")
    with pytest.warns(UserWarning, match="tc.csv: the header ends with an extra ','"):
        ds = data.load(str(tmp_path / "tc.csv"))
    assert ds.X.shape == (4, 2)


def test_folders_of_many_classes_are_not_taken_for_an_id_column():
    """25 class folders of one or two pictures each: folder names are classes (the check for
    a feature chosen as the label refused them, advising --label)."""
    from dataclasses import replace

    from lrnn.data.dataset import require_both_classes
    from lrnn.data.preprocessing import Preprocessing

    y = np.arange(25)
    ds = data.Dataset(
        np.zeros((25, 4)), y, tuple(f"c{k}" for k in y), [str(k) for k in y],
        Preprocessing(kind="image", image_shape=(2, 2, 1)), "folder",
    )  # fmt: skip
    require_both_classes(ds)  # no refusal
    with pytest.raises(DataError, match="looks like a feature or an ID"):
        require_both_classes(replace(ds, spec=Preprocessing(kind="table")))


def test_numeric_classes_match_by_value_across_spellings(tmp_path):
    """A model whose CSV labels "+1"/"-1" were read as the numbers 1/-1 (before labels kept
    their spelling) refused that very CSV: "its classes ('-1', '+1') differ from the model's
    ('-1', '1')". Numbers match by value where every class is one; names stay names."""
    (tmp_path / "pm.csv").write_text(
        "a,label\n" + "".join(f"{k},{'+1' if k % 2 else '-1'}\n" for k in range(6))
    )
    ds = data.load(str(tmp_path / "pm.csv"))
    assert ds.classes == ("-1", "+1")
    aligned = data.align_classes(ds, ("-1", "1"))
    assert aligned.classes == ("-1", "1") and aligned.y.tolist() == ds.y.tolist()
    padded = data.align_classes(replace(ds, classes=("00", "01")), ("0", "1"))
    assert padded.y.tolist() == ds.y.tolist()
    swapped = data.align_classes(replace(ds, classes=("+1", "-1")), ("-1", "1"))  # re-indexed
    assert swapped.y.tolist() == (1 - ds.y).tolist()
    three = replace(ds, classes=("1", "+1", "-1"), y=np.array([0, 1, 2, 0, 1, 2]))
    with pytest.raises(DataError, match=r"classes '1' and '\+1' write one number two ways"):
        data.align_classes(three, ("-1", "1"))
    big = replace(ds, classes=("0", "9007199254740992"))  # 2**53: as a float, 2**53 + 1 too
    with pytest.raises(DataError, match="differ from the model's"):
        data.align_classes(big, ("0", "9007199254740993"))
    with pytest.raises(DataError, match="differ from the model's"):
        data.align_classes(replace(ds, classes=("-1", "+1")), ("no", "yes"))


def test_columns_a_model_was_not_trained_on_are_said_to_be_left_out(tmp_path):
    """A test file of another layout (27 more columns) was scored on the model's 3 without a
    word; the --id column, the model's own label column and --drop'ped ones are not news."""
    frame = pd.DataFrame(
        {"id": ["x", "y"], "a": [1.0, 2.0], "c": [0.0, 1.0], "b": [3.0, 4.0], "label": [0, 1]}
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    spec = Preprocessing(kind="table", feature_names=("a", "b"), label_column="label")
    path = str(tmp_path / "t.csv")
    with pytest.warns(UserWarning) as caught:
        ds = data.load(path, spec=spec, name_column="id")
    said = [str(w.message) for w in caught]
    assert said == [f"{path}: 1 column(s) the model was not trained on are left out ('c'); it "
                    "reads its 2 by name."]  # fmt: skip
    assert ds.X.tolist() == [[1.0, 3.0], [2.0, 4.0]] and list(ds.names) == ["x", "y"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data.load(path, spec=spec, name_column="id", drop=("c",))
        data.load(str(tmp_path / "t.csv"), spec=spec, label="c", require_labels=False,
                  name_column="id")  # fmt: skip


def test_a_parquet_files_columns_left_unread_are_said_too(tmp_path):
    """A Parquet file is read by the model's columns only, so its others were never seen, and
    a test file of another layout went unsaid there while a CSV's was said."""
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0], "c": [0.0, 1.0], "label": [0, 1]})
    frame.to_parquet(tmp_path / "t.parquet")
    spec = Preprocessing(kind="table", feature_names=("a", "b"), label_column="label")
    path = str(tmp_path / "t.parquet")
    with pytest.warns(
        UserWarning, match=r"1 column\(s\) the model was not trained on are left out \('c'\)"
    ):
        assert data.load(path, spec=spec).X.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    # a split frame's index, stored as __index_level_0__ (last), is not one of its columns
    frame.drop(columns="c").set_axis([10, 3]).to_parquet(tmp_path / "split.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data.load(str(tmp_path / "split.parquet"), spec=spec)


def test_a_rare_class_is_said_once_and_only_where_it_is_rare(tmp_path):
    """200 frauds among 200,000 rows scored 99.9 % by never predicting them, without a word.
    Said now where a class is under 1 % of the examples and a tenth of the largest: not for
    150 even classes (each 0.67 %), not twice for a class of one example among three or more
    (said as "a single example"), and without --class-weight where the run cannot take it."""
    from lrnn.data.dataset import encode_labels, require_both_classes, row_names
    from lrnn.errors import UnbalancedClassesWarning

    def said(labels, **kwargs):
        X = np.zeros((len(labels), 1))
        ds = Dataset(X, *encode_labels(np.array(labels), "d", "y"), row_names(len(labels)),
                     Preprocessing("array"), "d")  # fmt: skip
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            require_both_classes(ds, **kwargs)
        return [str(w.message) for w in caught if w.category is UnbalancedClassesWarning]

    rare = ["ok"] * 995 + ["fraud"] * 5
    assert said(rare) == [
        "d: class 'fraud' is 5 of 1000 examples (0.5 %): a model that never predicts it scores "
        "99.5 % accuracy — weight the classes (--class-weight balanced), and judge the model "
        "by its precision and recall on that class."
    ]
    assert "--class-weight" not in said(rare, weighable=False)[0]
    assert said([f"c{i}" for i in range(150)] * 10) == []  # even classes, each under 1 %
    assert said(["a"] * 150 + ["b"] * 150 + ["c"]) == [  # not said twice as rare
        "d: class 'c' has a single example: the model learns that class from one example, and a "
        "test part held out of this data cannot hold it (kept for training), so the test "
        "accuracy says nothing about it — add examples, or drop the class."
    ]
    # ...and the next smallest is still looked at
    assert "class 'c' is 3 of 1000" in said(["a"] * 600 + ["b"] * 396 + ["c"] * 3 + ["d"])[0]
    # two classes, one of a single example among 59 (1.7 %: not rare): the hold-out tests on
    # the other class alone, and its 100 % accuracy said nothing about this one, without a word
    assert said(["a"] * 59 + ["b"]) == [
        "d: class 'b' has a single example: the model learns that class from one example, and "
        "a test part held out of this data cannot hold it (kept for training), so the test "
        "accuracy says nothing about it — add examples of it."
    ]
    assert said(["a", "b"]) == []  # both: the hold-out is refused, naming its own reason
    assert len(said(["a"] * 999 + ["b"])) == 1  # rare as well: said once


def _pictures_of_two_sizes(root: Path) -> Path:
    for name, side in (("cat", 8), ("dog", 10)):
        (root / name).mkdir(parents=True)
        for k in range(2):
            Image.new("RGB", (side, side), (40 * k, 90, 200)).save(root / name / f"{k}.png")
    return root


def _labels_in_two_cases(path: Path) -> Path:
    path.write_text(
        "x,label\n" + "".join(f"{k},{'yes' if k % 2 else 'no'}\n" for k in range(20)) + "3,Yes\n"
    )
    return path


@pytest.mark.parametrize("make", [_pictures_of_two_sizes, _labels_in_two_cases])
def test_data_warnings_point_at_the_callers_line(tmp_path, make):
    """A library caller's warning names the caller's own line (as scikit-learn's do), however
    deep in lrnn it was raised: it used to name a line inside lrnn's loaders."""
    target = make(tmp_path / ("pictures" if make is _pictures_of_two_sizes else "t.csv"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data.load(target)
    assert caught, "the data should have been warned about"
    assert {Path(w.filename).resolve() for w in caught} == {Path(__file__).resolve()}


def test_lesson_loader_given_a_folder_or_one_file_twice(tmp_path):
    """A folder: h5py's "Is a directory" was cut off mid-word; the training file twice: the
    advice "swap the two paths" changed nothing."""
    folder = error_of(load_course_h5, LESSON)
    assert "a folder, not an HDF5 file (it holds test_catvnoncat.h5, train_catvnoncat.h5)" in folder
    twice = error_of(load_course_h5, LESSON / "train_catvnoncat.h5", "test")
    assert "give the test set's file (e.g. test_catvnoncat.h5) there" in twice
