"""The :class:`Dataset` every loader returns, and what is done to one regardless of its format:
holding out a test part, taking a subset, encoding labels as 0/1, re-indexing them to a model's
classes, standardising features.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import numpy as np

from lrnn.data.checks import clip, say_if_labels_look_wrong
from lrnn.data.preprocessing import Preprocessing, takes
from lrnn.errors import (
    DataError,
    UnbalancedClassesWarning,
    UsageError,
    has_control_characters,
    user_stacklevel,
)


@dataclass
class Dataset:
    """Examples ready for the math, with everything needed to report on them.

    ``X`` is already transformed by ``spec`` (standardised tables); ``raw_images`` is a
    ``(m, h, w, c)`` view of ``X`` for picture galleries.
    """

    X: np.ndarray  # (m, n)
    y: np.ndarray | None  # (m,) int64 in {0, …, K−1}: index into classes
    classes: tuple[str, ...] | None  # two: classes[1] is the positive class; or K ≥ 3
    names: list[str]  # one per example
    spec: Preprocessing
    source: str
    raw_images: np.ndarray | None = None
    documents: list[str] | None = None  # the texts of a text data set (report snippets)
    #: What reading the examples warned of, kept for an answer with no terminal to warn on
    #: (serve's JSON): only data read by a caller that asked for it (see ``read_image``).
    notes: list[str] = field(default_factory=list)


def split(ds: Dataset, test_fraction: float = 0.2, seed: int | None = 0) -> tuple[Dataset, Dataset]:
    """Hold out ``test_fraction`` of the examples (see :func:`split_rows`); both parts keep
    the original order of the examples, the spec and the classes."""
    keep, test = split_rows(ds.y, ds.X.shape[0], test_fraction, seed, ds.source)
    return subset(ds, keep), subset(ds, test)


def split_rows(
    y: np.ndarray | None,
    m: int,
    test_fraction: float,
    seed: int | None,
    source: str = "the data",
    held_for: str = "testing",
    option: str = "test fraction",
    why: str | None = None,
    fix: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The one hold-out algorithm (CLI test split, CLI and estimator early stopping): sorted
    row indices ``(kept, held_out)``, the same for the same labels, fraction and seed.

    The held-out part has ceil(fraction·m) examples, stratified by class when labels allow
    it: each class gives its share (largest remainders break ties), and every class keeps at
    least one example on each side. A class with a single example cannot be split that way:
    it stays in the training part and the other classes are stratified; only where that too
    fails is the split plain random. Written with numpy rather than scikit-learn's
    ``train_test_split`` because importing scikit-learn takes longer than the whole default
    ``lrnn train``.
    """
    real = isinstance(test_fraction, numbers.Real) and not isinstance(test_fraction, bool)
    if not (real and 0 < test_fraction < 1):  # numpy's floats too (np.float32(0.2))
        raise UsageError(f"test_fraction must be between 0 and 1, got {test_fraction!r}; try 0.2.")
    # np.float32(0.2) is 0.2000000030 as a float: its shortest digits, "0.2", are what was
    # meant (ceil(0.2000000030 · 100) held out 21 rows of 100)
    test_fraction = float(
        str(test_fraction) if isinstance(test_fraction, np.floating) else test_fraction
    )
    n_test = math.ceil(test_fraction * m)
    if not 0 < n_test < m:
        raise DataError(
            f"{source}: cannot hold out {test_fraction:g} of {m} examples (it leaves "
            f"{m - n_test} for training and {n_test} for {held_for}); use more data or a "
            f"different {option}."
        )
    rng = np.random.default_rng(seed)
    test = _stratified_test_rows(y, n_test, rng) if y is not None else None
    if test is None and y is not None:  # single-example classes: learnt, never held out
        test = _test_rows_without_single_examples(y, n_test, rng)
    if test is None and y is not None:
        test = _test_rows_keeping_every_class(y, n_test, rng)
        if test is None:  # ``why`` and ``fix``: the caller's words for what failed and why
            classes = np.unique(y).size
            # holding out fewer is the way out here ("a larger" fraction, the fix for a part
            # too small, would make it worse), unless one example is all it holds out already
            fewer = re.sub(r", a larger [^,]+", "", fix) if fix and n_test == 1 else fix
            fewer = (fewer or "").replace("a larger", "a smaller")
            raise DataError(
                f"{why}: holding out {n_test} of {m} examples would leave one of the {classes} "
                f"classes without a training example; {fewer}."
                if why and fix
                else f"{source}: cannot hold out {n_test} of {m} examples for {held_for} and "
                f"keep an example of each of the {classes} classes for training (a class held "
                f"out whole is never learnt); use more data or a different {option}."
            )
    if test is None:
        test = rng.permutation(m)[:n_test]
    if n_test == 1 and test_fraction * m < 0.5:  # 1e-9 of 569: one example, without a word
        warnings.warn(
            f"{source}: {test_fraction:g} of {m} examples is less than one, so one example is "
            f"held out for {held_for}, and a score on one example says little; hold out more "
            "(a larger fraction, or a file of its own).",
            stacklevel=user_stacklevel(),
        )
    keep = np.ones(m, dtype=bool)
    keep[test] = False
    return np.flatnonzero(keep), np.sort(test)


def _stratified_test_rows(
    y: np.ndarray, n_test: int, rng: np.random.Generator
) -> np.ndarray | None:
    """Rows for a test part of ``n_test`` examples in which each class has its share, or None
    when some class is too small (one example) or there are more classes than test rows."""
    classes, counts = np.unique(y, return_counts=True)
    m = counts.sum()
    if counts.min() < 2 or not len(classes) <= n_test <= m - len(classes):
        return None
    exact = n_test * counts / m
    take = np.clip(np.floor(exact).astype(np.int64), 1, counts - 1)
    order = np.argsort(-(exact - np.floor(exact)), kind="stable")  # largest remainders first
    while take.sum() != n_test:
        step = 1 if take.sum() < n_test else -1
        for c in order if step == 1 else order[::-1]:
            if 1 <= take[c] + step <= counts[c] - 1:
                take[c] += step
                break
    rows = [rng.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(classes, take, strict=True)]
    return np.concatenate(rows)


def _test_rows_without_single_examples(
    y: np.ndarray, n_test: int, rng: np.random.Generator
) -> np.ndarray | None:
    """A stratified test part drawn from the classes with two or more examples, when some
    class has a single one: that example stays in the training part. Held out, its class
    had no training example, and its output could not be learnt (a softmax bias that falls
    without end, while the solver reported the optimum). None when the other classes cannot
    give ``n_test`` rows in their shares."""
    classes, counts = np.unique(y, return_counts=True)
    single = np.isin(y, classes[counts == 1])
    if not single.any() or single.all():
        return None
    rows = np.flatnonzero(~single)
    chosen = _stratified_test_rows(y[rows], n_test, rng)
    return None if chosen is None else rows[chosen]


def _test_rows_keeping_every_class(
    y: np.ndarray, n_test: int, rng: np.random.Generator
) -> np.ndarray | None:
    """Where no stratified part exists (more classes than test rows, or too few of each): a
    random part that leaves one example of every class, drawn at random, for training; None
    when the rest are fewer than ``n_test``. A plain random part held out the only example of
    a class (three examples of three classes: one class was never learnt)."""
    order = rng.permutation(y.size)
    _, first = np.unique(y[order], return_index=True)
    spare = np.delete(order, first)
    return None if spare.size < n_test else spare[:n_test]


def kind_mismatch(source: str, kind: str, spec: Any, labelled: bool, spec_of: str) -> DataError:
    """Data of ``kind`` given where ``spec``'s kind was trained on (``spec_of``: "the model
    was trained on", or the training data's words), with what to give instead."""
    return DataError(
        f"{source}: {spec_of} {spec.kind} data but this is {kind} data; give "
        f"{takes(spec.kind, labelled)}."
    )


def check_width(ds: Dataset, n_features: int) -> None:
    """Data for a model must have the model's number of features per example."""
    if ds.X.shape[1] != n_features:
        raise DataError(
            f"{ds.source}: {ds.X.shape[1]} features per example, but the model was trained on "
            f"{n_features}; give data shaped like the training data."
        )


def row_names(m: int, start: int = 0) -> list[str]:
    """How examples without a file name are called in every output: "row 1", "row 2", …
    (1-based, as a person counts the rows of a table or an array); ``start``: the first row's
    place from 0, for a block of rows read on its own."""
    return [f"row {i + 1}" for i in range(start, start + m)]


def subset(ds: Dataset, idx: np.ndarray) -> Dataset:
    X = ds.X[idx]
    raw = None if ds.raw_images is None else X.reshape((len(idx), *ds.raw_images.shape[1:]))
    return replace(
        ds,
        X=X,
        y=None if ds.y is None else ds.y[idx],
        names=[ds.names[i] for i in idx],
        raw_images=raw,
        documents=None if ds.documents is None else [ds.documents[i] for i in idx],
    )


#: More distinct labels than this are almost surely not classes (an id or a measurement).
MAX_CLASSES = 1000
#: The longest class name lrnn keeps: names are printed on every prediction and stored in the
#: model file's header, which has a size limit of its own.
MAX_CLASS_NAME = 1000


def class_name_problem(names: Sequence[str], blank_ok: bool = False) -> str | None:
    """What makes these class names unusable, or None: too many, too long, blank, or holding
    control characters (a newline or a terminal escape in a name would forge lines of lrnn's
    output).

    ``blank_ok``: a model file may hold a blank name. A blank label read from data is almost
    surely an empty cell, but the estimator takes ``""`` as a class like any other label, as
    scikit-learn does, and the model it saves must load again."""
    if len(names) > MAX_CLASSES:
        return f"{len(names)} classes, more than {MAX_CLASSES}"
    for name in names:
        if len(name) > MAX_CLASS_NAME:
            return f"a class name of {len(name)} characters (at most {MAX_CLASS_NAME})"
        if any("\ud800" <= ch <= "\udfff" for ch in name):  # before the control test: also one
            return (
                f"the class name {name!r}, which is not valid text (a lone surrogate, as a byte "
                "that is not UTF-8 is read: a name saved in another encoding)"
            )
        if has_control_characters(name):
            return f"the class name {name!r}, which holds control characters"
        if not blank_ok and not name.strip():  # an empty label column, or one that looks like none
            return f"the class name {name!r}, which is blank"
    return None


#: Format characters that draw something, or change how their neighbours are drawn: the
#: zero-width non-joiner and joiner (Persian, Arabic and Indic words, emoji sequences) and the
#: number signs that enclose digits (Arabic, Syriac, Kaithi). Every other format character
#: (category Cf: the zero-width space, a soft hyphen, a byte-order mark, invisible operators,
#: tags outside a flag…) draws nothing.
_DRAWN_FORMATS = frozenset("\u200c\u200d\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f")
_DRAWN_FORMATS |= frozenset("\u0890\u0891\u08e2\U000110bd\U000110cd")
#: Characters of other categories that draw nothing: the combining grapheme joiner, variation
#: selectors (U+FE00–FE0F, U+E0100–E01EF, Mongolian U+180B–180D and U+180F), Khmer's
#: inherent vowels, Hangul fillers.
_BLANK_OTHERS = frozenset(
    "\u034f\u180b\u180c\u180d\u180f\u17b4\u17b5\u115f\u1160\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
_FLAG, _TAGS = "\U0001f3f4", range(0xE0020, 0xE0080)


def draws_nothing(ch: str, previous: str = "") -> bool:
    """Whether ``ch`` leaves no mark where it stands: an unassigned code point, a format
    character other than :data:`_DRAWN_FORMATS`, or one of :data:`_BLANK_OTHERS`. Tag
    characters after a black flag (or another tag) are the flag's: Scotland's and Wales's
    flags differ only there."""
    if ord(ch) in _TAGS and (previous == _FLAG or (previous and ord(previous) in _TAGS)):
        return False
    if ch in _BLANK_OTHERS:
        return True
    category = unicodedata.category(ch)
    return category == "Cn" or (category == "Cf" and ch not in _DRAWN_FORMATS)


def appearance(name: str) -> str:
    """A class name as it looks when printed: without the characters that draw nothing
    (:func:`draws_nothing`), accents composed (NFC: "é" typed as e plus a combining accent is
    "é"; composed again after the removal, which can bring a letter and its accent together),
    every run of spacing (a braille blank too) one space. Two names with one appearance are
    two classes to the model and one to everyone who reads its output."""
    return unicodedata.normalize("NFC", _visible(unicodedata.normalize("NFC", name)))


def _visible(name: str) -> str:
    """``name`` without the characters that draw nothing, each run of spacing one space."""
    kept, previous = [], ""
    for ch in name:
        if not draws_nothing(ch, previous):
            kept.append(" " if ch == "\u2800" else ch)
        previous = ch
    return " ".join("".join(kept).split())


def look_alike_problem(names: Sequence[str]) -> str | None:
    """Two of ``names`` that look the same (see :func:`appearance`), said so a reader can see
    where they differ, or None."""
    seen: dict[str, str] = {}
    for name in names:
        other = seen.setdefault(appearance(name), name)
        if other == name:
            continue
        encodings = _visible(other) != _visible(name)  # composing is what makes them one
        if encodings and any(unicodedata.category(ch)[0] == "M" for ch in other + name):
            why = (
                "one writes an accented letter as one character, the other as a letter and a "
                "combining accent"
            )
        elif encodings:  # Å and the ångström sign U+212B: one letter, two code points
            why = "they write one letter with different code points"
        elif "".join(other.split()) == "".join(name.split()):
            why = "they differ only in spacing"
        else:
            why = "they differ only in characters that draw nothing (shown as \\u…)"
        a, b = shown(other, encodings), shown(name, encodings)
        return f"the class names {a} and {b} look the same: {why}"
    return None


def shown(name: str, accents: bool = False) -> str:
    """A name quoted, with the characters a reader cannot see (spacing other than a space,
    characters that draw nothing, control characters) written as escapes, and every other one
    as it is; ``accents``: letters with an accent or another decomposition, and combining
    marks, escaped too, where the way a letter is encoded is what tells two names apart."""
    return "'" + "".join(ch if _seen(ch, accents) else ascii(ch)[1:-1] for ch in name) + "'"


def _seen(ch: str, accents: bool) -> bool:
    category = unicodedata.category(ch)[0]
    if accents and (category == "M" or unicodedata.decomposition(ch)):
        return False
    return ch == " " or (category not in "CZ" and not draws_nothing(ch))


#: A class name that is a number as written ("-1", "+1", "10", "2.5"): folder names and text
#: labels of this form sort by value, as the same labels read as numbers from a table do.
_NUMBER_NAME = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def number_written_twice(names: Sequence[str]) -> str | None:
    """Two class names that write one number ("1" and "01", "1" and "1.0"), said, or None:
    classes are matched by value when a model scores data (a folder "09" is the model's class
    "9"), so such a model could never tell which class data means; a table refuses them too."""
    if not names or not all(_NUMBER_NAME.fullmatch(n) for n in names):
        return None
    seen: dict[Decimal, str] = {}  # exact, as align_classes: floats made two IDs past 2**53 one
    for name in names:
        other = seen.setdefault(Decimal(name), name)
        if other != name:
            return f"the class names {other!r} and {name!r} write one number two ways"
    return None


def by_value_if_numbers(names: Sequence[str]) -> list[str]:
    """Class names in the order classes take: by value when every one is a number as
    written ("-1" before "+1", "9" before "10"), else as text. A class folder's name is text,
    and sorted as text "+1" came before "-1", so the positive class was -1 — where a table's
    ±1 labels, read as numbers, make it 1."""
    ordered = sorted(names)
    if ordered and all(_NUMBER_NAME.fullmatch(n) for n in ordered):
        ordered.sort(key=Decimal)  # exact (IDs past 2**53 too); stable: "1", "1.0" keep text order
    return ordered


def encode_labels(values: np.ndarray, source: str, what: str) -> tuple[np.ndarray, tuple]:
    """K distinct label values → (y as int64 in 0…K−1, class names in sorted order).

    Numbers sort by value, and so do strings that all are numbers as written (see
    :func:`by_value_if_numbers`); anything else as strings; with two classes classes[1] is the
    positive one. A single class of 0/1 numbers comes back as the pair ("0", "1"); any other
    single class as (name, name), with every y = 0.
    """
    values = np.asarray(values)
    if values.dtype.kind in "cmMV":  # complex, times, raw bytes: no class names in them
        raise DataError(
            f"{source}: {what} holds {values.dtype} values; give the labels as numbers or text."
        )
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        row = int(np.argmin(np.isfinite(values)))
        raise DataError(
            f"{source}: {what} is {values.flat[row]} for example {row + 1}; every example needs "
            "a label — fill it in or drop that example."
        )
    if values.dtype.kind not in "biuf":
        _check_label_lengths(values, source, what)
        values = _stripped(values.astype(str), source, what)
    uniq = np.unique(values)
    shown = ", ".join(repr(clip(label_name(v))) for v in uniq[:5]) + ", ..."
    # only a table has a column to choose (an .npz's labels are its y)
    choose = "choose the column of class labels (--label NAME)"
    if not what.startswith("label column"):
        choose = "give class labels"
    if uniq.size > MAX_CLASSES:
        raise DataError(
            f"{source}: {what} has {uniq.size} distinct values ({shown}) — more than "
            f"{MAX_CLASSES} classes; is that the label column? {choose[0].upper()}{choose[1:]}."
        )
    measured = values.dtype.kind == "f" and uniq.size > MEASUREMENT_VALUES
    if measured and np.mean(values != np.round(values)) > 0.05:
        # a regression target: each value would be a class of one or two examples (the
        # estimator refuses it as scikit-learn does: "continuous")
        raise DataError(
            f"{source}: {what} holds {uniq.size} distinct values with fractions ({shown}): "
            f"measurements, not classes, each of which would be a class of its own; "
            f"{choose}, or bin the values into a few classes."
        )
    if uniq.size == 0:
        raise DataError(f"{source}: no examples; give a file with data.")
    say_if_labels_look_wrong(values, uniq, source, what)
    if uniq.size == 1:
        if values.dtype.kind in "biuf" and uniq[0] in (0, 1):
            uniq = np.array([False, True]) if values.dtype.kind == "b" else np.array([0, 1])
        else:
            # Data of one class is fine to evaluate a model on (the model names the other
            # class; align_classes maps names); training refuses it (require_both_classes).
            name = label_name(uniq[0])
            return np.zeros(values.shape[0], dtype=np.int64), (name, name)
    y = np.searchsorted(uniq, values).astype(np.int64)
    if uniq.dtype.kind == "U":
        order = by_value_if_numbers(list(uniq))
        if order != list(uniq):
            position = {name: k for k, name in enumerate(order)}
            y = np.array([position[name] for name in uniq], dtype=np.int64)[y]
            uniq = np.array(order)
    names = tuple(label_name(v) for v in uniq)
    problem = class_name_problem(names)
    if problem:
        raise DataError(f"{source}: {what} has {problem}; give readable class names.")
    alike = look_alike_problem(names) or number_written_twice(names)
    if alike:
        raise DataError(f"{source}: in {what}, {alike}; give each class one spelling.")
    if len(set(names)) != len(names):  # e.g. 1 and 1.0 as strings: one name, two values
        raise DataError(
            f"{source}: {what} has labels that read the same ({', '.join(map(repr, names))}); "
            "write each class one way."
        )
    return y, names


def _check_label_lengths(values: np.ndarray, source: str, what: str) -> None:
    """Refuse labels longer than a class name may be, before they become a fixed-width
    string array: numpy gives every label the longest one's width, so a few long labels
    (a Parquet file can hold one 1 MiB string for every row in a kilobyte) would take
    gigabytes."""
    if values.dtype.kind in "SU":
        longest = values.dtype.itemsize // (4 if values.dtype.kind == "U" else 1)
    else:  # objects: len() of a str is stored, not counted
        longest = max(
            (len(v) if isinstance(v, str | bytes) else len(str(v)) for v in values.ravel()),
            default=0,
        )
        # numpy's fixed-width strings drop a trailing NUL: "no\0" became the class "no"
        nul = next((i for i, v in enumerate(values.ravel()) if "\0" in str(v)), None)
        if nul is not None:
            raise DataError(
                f"{source}: {what} holds a NUL character (\\0) for example {nul + 1}; class "
                "names hold no control characters — fix the file that wrote it."
            )
    if longest > MAX_CLASS_NAME:
        raise DataError(
            f"{source}: {what} holds a value of {longest} characters; class names are at most "
            f"{MAX_CLASS_NAME} — is that the label column? Choose the column of class labels."
        )


def _stripped(values: np.ndarray, source: str, what: str) -> np.ndarray:
    """String labels without surrounding whitespace, with a warning when that changed any.

    " yes" and "yes" are one class to a reader, and two to a computer; worse, " yes" sorts
    before "no" and silently becomes the negative class. A label left blank is refused.
    """
    stripped = np.char.strip(values)
    blank = stripped == ""
    if blank.any():
        row = int(blank.argmax())
        raise DataError(
            f"{source}: {what} is blank for example {row + 1}; every example needs a label — "
            "fill it in or drop that example."
        )
    changed = stripped != values
    if changed.any():
        i = int(changed.argmax())
        warnings.warn(
            f"{source}: {int(changed.sum())} label(s) in {what} have spaces around them "
            f"(e.g. {clip(repr(str(values[i])))}); they were stripped, so they count as "
            f"{clip(repr(str(stripped[i])))}.",
            stacklevel=user_stacklevel(),
        )
    return stripped


def set_positive_class(ds: Dataset, name: str) -> Dataset:
    """``ds`` with ``name`` as the positive class (``classes[1]``, the class ``y == 1`` means).

    By default the positive class is the second of the two sorted class names ("yes" over
    "no", 1 over 0, the second sub-folder); this picks it by name instead. Refuses, naming the
    classes, a name the data does not have.
    """
    if ds.y is None or ds.classes is None:
        raise UsageError(
            f"{ds.source}: has no labels, so there is no positive class to choose; give "
            "labelled data or drop the positive class."
        )
    if len(ds.classes) > 2:
        raise UsageError(
            f"{ds.source}: has {len(ds.classes)} classes, and a positive class belongs to "
            "two-class data; drop --positive-class."
        )
    name = str(name).strip()
    if name not in ds.classes:
        raise UsageError(
            f"{ds.source}: positive class {clip(repr(name))} is not one of its classes "
            f"({', '.join(repr(c) for c in dict.fromkeys(ds.classes))}); choose one of them."
        )
    if ds.classes[1] == name:
        return ds
    return replace(ds, y=1 - ds.y, classes=(ds.classes[1], ds.classes[0]))


def label_name(v: Any) -> str:
    """A label value as the class name a model records (``1.0`` → ``"1"``)."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))  # 1.0 read from a CSV with blanks is still class "1"
    if isinstance(v, bool | np.bool_):
        return str(bool(v))
    return str(v.item() if isinstance(v, np.generic) else v)


def align_classes(ds: Dataset, classes: Sequence[str], whose: str = "the model's") -> Dataset:
    """Re-index ``ds.y`` to a model's ``classes`` by name.

    Each loader numbers the classes it finds in its own order (folders sort by name, an HDF5
    file has its ``list_classes``, labels sort by value), so the same class can be 0 in the
    training data and 1 in the test data. Data of one class, or whose class names are a subset
    of the model's, is fine; a class the model does not know is refused. Names are matched as
    they look (:func:`appearance`): labels written on another system, with accents as
    combining marks, are the model's classes still; numbers, where all are, by value.
    """
    if ds.y is None or ds.classes is None or tuple(ds.classes) == tuple(classes):
        return ds
    index = {appearance(name): i for i, name in enumerate(classes)}
    index.update({name: i for i, name in enumerate(classes)})
    if all(_NUMBER_NAME.fullmatch(str(c)) for c in (*classes, *ds.classes)):
        # numbers by value, exactly: "+1" is 1 and "01" is 1 (a CSV's "+1" was read as 1 before
        # its labels kept their spelling, so older models name that class "1")
        for name in ds.classes:
            same = [i for i, c in enumerate(classes) if Decimal(c) == Decimal(name)]
            if name not in index and len(same) == 1:
                index[name] = same[0]
                twin = [c for c in ds.classes if c != name and index.get(c) == same[0]]
                if twin:  # "1" and "+1" in one file: two classes here, one in the model
                    raise DataError(
                        f"{ds.source}: its classes {twin[0]!r} and {name!r} write one number "
                        f"two ways, the model's class {classes[same[0]]!r}; write each class "
                        "one way."
                    )
    unknown = [c for c in ds.classes if c not in index and appearance(c) not in index]
    present = set(np.unique(ds.y).tolist())
    if any(ds.classes.index(c) in present for c in unknown):
        # a numeric feature read as the labels has a class per value: a few of them say it
        column = " (is the label column the right one?)" if len(ds.classes) > _LISTED else ""
        raise DataError(
            f"{ds.source}: its classes ({_listed(ds.classes)}) differ from {whose} "
            f"({_listed(classes)}){column}; use data labelled with {whose} classes."
        )
    mapping = np.array([index.get(c, index.get(appearance(c), -1)) for c in ds.classes])
    return replace(ds, y=mapping[ds.y], classes=tuple(classes))


#: More distinct labels than this, most of them fractions, are measurements (a regression
#: target), not classes: iris's petal lengths have 43, wine's alcohol 126.
MEASUREMENT_VALUES = 20
#: Class names quoted in a message, at most (a float column read as labels has thousands).
_LISTED = 10


def _listed(names: Sequence[str]) -> str:
    more = f", … ({len(names)} in all)" if len(names) > _LISTED else ""
    return ", ".join(map(shown, names[:_LISTED])) + more


#: A class with fewer than this share of the training examples is said to be rare...
RARE_CLASS = 0.01
#: ...where it also has fewer than this fraction of the largest class's examples (so is a
#: picture folder's class, whatever its share).
UNBALANCED_RATIO = 0.1


def require_both_classes(ds: Dataset, weighable: bool = True) -> None:
    """Training needs examples of every class (both, for two); refuse labelled data of one,
    and warn about a class with a single example (it cannot be both learnt and tested)."""
    if ds.y is None or ds.classes is None:
        return
    present, counts = np.unique(ds.y, return_counts=True)
    m = ds.y.size
    # Training data only: a file scored by a model of 25 classes may well hold one example of
    # each (refused as "an ID" when this was checked for every labelled file).
    named_by_folders = ds.spec.kind in ("image", "text")  # folder names are classes
    if present.size >= 20 and present.size >= 0.8 * m and not named_by_folders:
        raise DataError(
            f"{ds.source}: the labels hold {present.size} different values in {m} examples, "
            "nearly all of them once: that looks like a feature or an ID, not classes; choose "
            "the column of class labels (--label NAME)."
        )
    if present.size < 2:
        raise DataError(
            f"{ds.source}: all {ds.y.size} examples are of class "
            f"'{ds.classes[int(present[0])]}'; training needs examples of both classes — "
            "add examples of the other class."
        )
    empty = [c for i, c in enumerate(ds.classes) if i not in set(present.tolist())]
    if empty:  # named by the file's own class list (HDF5 list_classes), with no example
        warnings.warn(
            f"{ds.source}: {_classes_have(empty)} no training example; the model keeps an "
            "output for it that it cannot learn — add examples, or drop it from the class list.",
            stacklevel=user_stacklevel(),
        )
    # the smallest class, of those not said below to hold a single example
    said_below = counts == 1
    small = int(np.argmin(np.where(said_below, m + 1, counts)))
    rare = counts[small] < RARE_CLASS * m and counts[small] < UNBALANCED_RATIO * counts.max()
    if ds.spec.kind != "image" and rare and not said_below[small]:  # pictures: by folder
        share = 100 * counts[small] / m
        weigh = "weight the classes (--class-weight balanced), and " if weighable else ""
        warnings.warn(
            f"{ds.source}: class {clip(repr(ds.classes[int(present[small])]))} is "
            f"{counts[small]} of {m} examples ({share:.2g} %): a model that never predicts it "
            f"scores {100 - share:.4g} % accuracy — {weigh}judge the model by its precision "
            "and recall on that class.",
            UnbalancedClassesWarning,
            stacklevel=user_stacklevel(),
        )
    single = [ds.classes[int(c)] for c, k in zip(present, counts, strict=True) if k == 1]
    # (two classes of one example each: the hold-out is refused, naming its own reason)
    if single and (len(ds.classes) > 2 or len(single) == 1):
        one = len(single) == 1
        warnings.warn(
            f"{ds.source}: {_classes_have(single)} a single example: the model learns "
            f"{'that class' if one else 'each'} from one example, and a test part held out of "
            f"this data cannot hold {'it' if one else 'them'} (kept for training), so the test "
            f"accuracy says nothing about {'it' if one else 'them'} — add examples"
            + (", or drop the class." if len(ds.classes) > 2 else " of it."),
            UnbalancedClassesWarning,
            stacklevel=user_stacklevel(),
        )


def _classes_have(names: Sequence[str]) -> str:
    """ "class 'a' has" or "classes 'a', 'b' and 3 more have": at most five names shown."""
    named = ", ".join(clip(repr(c)) for c in names[:5])
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return f"class {named} has" if len(names) == 1 else f"classes {named}{more} have"


def standardize(ds: Dataset) -> Dataset:
    """Scale every feature to mean 0 and std 1; the mean and std go into the spec."""
    if ds.spec.kind == "image":
        raise UsageError(
            f"{ds.source}: standardize applies to tables and arrays; images are scaled by "
            "1/255 instead — drop --standardize."
        )
    if ds.spec.kind == "text":
        raise UsageError(
            f"{ds.source}: --standardize would make sparse data dense; drop it (TF-IDF rows "
            "are already scaled)."
        )
    if ds.spec.kind == "svmlight":
        raise UsageError(
            f"{ds.source}: --standardize would make sparse data dense (subtracting a column's "
            "mean fills its zeros); drop it, and if the columns' scales are far apart, divide "
            "each by its largest absolute value before writing the file."
        )
    X = ds.X.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = X.mean(axis=0)
        std = X.std(axis=0)
    if not (np.isfinite(mean).all() and np.isfinite(std).all()):
        # Values near the float64 limit: their sums and squares overflow, so scale each
        # column by its largest magnitude first (and back after).
        peak = np.max(np.abs(X), axis=0)
        peak[~(peak > 0)] = 1.0
        mean = (X / peak).mean(axis=0) * peak
        std = (X / peak).std(axis=0) * peak
    std[~(std > 0)] = 1.0  # a constant column stays constant instead of dividing by zero
    new_spec = replace(ds.spec, mean=tuple(mean.tolist()), std=tuple(std.tolist()))
    return replace(ds, X=new_spec.transform(X), spec=new_spec)
