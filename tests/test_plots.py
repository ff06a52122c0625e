"""Plots: every picture is a real, non-blank PNG of the promised size, written atomically.

The pictures are drawn from small synthetic inputs; what is checked is what a reader would
notice first: the file opens, has the documented size, is not empty, and the edge cases (no
errors, one class, wrong shapes) are handled instead of producing nonsense.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image

from lrnn import plots
from lrnn.errors import DataError, UsageError
from lrnn.metrics import evaluate

WIDTH = round(plots.FIGSIZE[0] * plots.DPI)  # 800
HEIGHT = round(plots.FIGSIZE[1] * plots.DPI)  # 500


def check_png(path, size=(WIDTH, HEIGHT)):
    """The file is a PNG of ``size`` pixels with visible content, and nothing else was left."""
    assert path.exists()
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.size == size
        pixels = np.asarray(img.convert("RGB"))
    assert pixels.std() > 10, "the picture is (nearly) one flat colour"
    distinct = np.unique(pixels.reshape(-1, 3), axis=0).shape[0]
    assert distinct > 50, f"only {distinct} colours: blank or nearly blank picture"
    leftovers = [p.name for p in path.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers == [], "the atomic write left a temporary file"


@pytest.fixture
def history():
    it = np.arange(0, 200, 2)
    cost = 0.69 * np.exp(-it / 60) + 0.1
    return {
        "iteration": it.tolist(),
        "cost": cost.tolist(),
        "loss": cost.tolist(),
        "accuracy": (1 - 0.5 * np.exp(-it / 40)).tolist(),
        "grad_norm": (0.1 * np.exp(-it / 60)).tolist(),
        "learning_rate": [0.005] * it.size,
        "val_loss": (cost + 0.05 + it / 2000).tolist(),
        "val_accuracy": (0.9 - 0.4 * np.exp(-it / 40)).tolist(),
    }


@pytest.fixture
def scores():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 120)
    z = 2.5 * (2 * y - 1) + rng.normal(0, 2, y.size)  # separable-ish: some mistakes
    return y, 1 / (1 + np.exp(-z))


def test_importing_plots_does_not_import_matplotlib():
    code = (
        "import sys, lrnn.plots\n"
        "assert 'matplotlib' not in sys.modules, 'lrnn.plots imported matplotlib'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_plots_do_not_touch_pyplot(tmp_path):
    # Figures are made without pyplot: no global registry to leak into, no GUI backend.
    code = (
        "import sys\n"
        "from lrnn import plots\n"
        f"plots.learning_curve({{'iteration': [0, 1, 2], 'cost': [0.7, 0.5, 0.4]}}, "
        f"{str(tmp_path / 'lc.png')!r})\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    check_png(tmp_path / "lc.png")


def test_learning_curve(tmp_path, history):
    out = plots.learning_curve(
        history, tmp_path / "lc.png", title="Cats", train_accuracy=0.99, test_accuracy=70.0
    )
    assert out == tmp_path / "lc.png"
    check_png(out)


def _drawn_lines(monkeypatch):
    """The (label, x, y) of every line the next figure draws, taken as it is saved."""
    drawn: list[tuple[str, list, list]] = []
    save = plots._save

    def keep(fig, path):
        for ax in fig.axes:
            for line in ax.get_lines():
                drawn.append((line.get_label(), list(line.get_xdata()), list(line.get_ydata())))
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    return drawn


def test_learning_curve_ends_at_the_final_cost(tmp_path, monkeypatch, history):
    # A run of 200 iterations recorded every 2 has its last row at 198: the curve goes on to
    # the final cost the run printed; the other columns stay at their recorded rows.
    drawn = _drawn_lines(monkeypatch)
    check_png(plots.learning_curve(history, tmp_path / "lc.png", final=(200, 0.123)))
    lines = {label: (x, y) for label, x, y in drawn}
    assert lines["training cost"][0][-2:] == [198, 200]
    assert lines["training cost"][1][-1] == 0.123
    assert lines["validation loss"][0][-1] == 198
    assert lines["training accuracy"][0][-1] == 198
    drawn.clear()  # a final point at or before the last row adds nothing
    plots.learning_curve(history, tmp_path / "lc.png", final=(198, 0.5))
    assert {label: x for label, x, _ in drawn}["training cost"][-1] == 198
    drawn.clear()  # the lesson's list of costs is drawn at 0, 1, 2, …: no iteration fits it
    plots.learning_curve({"cost": [0.69, 0.5, 0.4]}, tmp_path / "lc.png", final=(2000, 0.1))
    assert {label: x for label, x, _ in drawn}["training cost"] == [0, 1, 2]


def test_learning_curve_marks_the_weights_early_stopping_kept(tmp_path, monkeypatch, history):
    """The curves go on past the iteration whose weights were kept; nothing marked it, so the
    picture's last costs and accuracies read as the model's."""
    from lrnn.model_meta import kept_iteration

    drawn = _drawn_lines(monkeypatch)
    plots.learning_curve(history, tmp_path / "lc.png", kept=150)
    marks = [(x, label) for label, x, _ in drawn if label.startswith("weights kept")]
    assert marks == [([150, 150], "weights kept: iteration 150")]
    assert kept_iteration({"restored_iteration": 150}) == 150
    assert kept_iteration({"restored_iteration": None}) is kept_iteration({}) is None


def test_learning_curve_minimal_history_and_non_finite_costs(tmp_path):
    history = {"iteration": [0, 1, 2, 3], "cost": [0.7, math.inf, 0.5, 0.45]}
    check_png(plots.learning_curve(history, tmp_path / "lc.png"))


def test_learning_curve_refuses_history_without_cost(tmp_path):
    with pytest.raises(UsageError, match="cost"):
        plots.learning_curve({"iteration": [0, 1]}, tmp_path / "lc.png")
    with pytest.raises(UsageError, match="equal lengths"):
        plots.learning_curve({"iteration": [0, 1], "cost": [1.0]}, tmp_path / "lc.png")
    assert not (tmp_path / "lc.png").exists()


def test_the_course_models_dict_is_a_history(tmp_path):
    """course.model's dict (costs every 100 iterations) was "no 'cost' values"; its list of
    costs given alone failed with "'list' object has no attribute 'get'"."""
    costs = [0.69, 0.58, 0.47, 0.38, 0.33]
    course_dict = {"costs": costs, "learning_rate": 0.005, "num_iterations": 500}
    drawn = plots.learning_curve(course_dict, tmp_path / "course.png").read_bytes()
    explicit = {"iteration": [0, 100, 200, 300, 400], "cost": costs}
    assert drawn == plots.learning_curve(explicit, tmp_path / "explicit.png").read_bytes()
    runs = [(0.005, course_dict), (0.01, explicit)]
    check_png(plots.lr_comparison(runs, tmp_path / "rates.png"))
    with pytest.raises(UsageError) as info:
        plots.learning_curve(costs, tmp_path / "list.png")
    assert str(info.value).startswith("learning_curve: got a list, not a history; pass a ")
    assert not (tmp_path / "list.png").exists()


def test_same_input_same_bytes(tmp_path, history):
    # No timestamps or version stamps in the PNG: reports built from it are reproducible.
    a = plots.learning_curve(history, tmp_path / "a.png").read_bytes()
    b = plots.learning_curve(history, tmp_path / "b.png").read_bytes()
    assert a == b


def test_lr_comparison_with_a_diverged_run(tmp_path):
    it = list(range(0, 1000, 100))
    runs = [
        (0.01, {"iteration": it, "cost": [0.69 * 0.8**k for k in range(10)]}),
        (0.001, {"iteration": it, "cost": [0.69 * 0.95**k for k in range(10)]}),
        (0.5, {"iteration": it[:4], "cost": [0.69, 3.0, 40.0, math.inf]}),
    ]
    out = plots.lr_comparison(runs, tmp_path / "lr.png", diverged=[False, False, True])
    check_png(out)


def test_lr_comparison_checks_its_arguments(tmp_path):
    with pytest.raises(UsageError, match="no runs"):
        plots.lr_comparison([], tmp_path / "lr.png")
    run = (0.1, {"iteration": [0], "cost": [0.7]})
    with pytest.raises(UsageError, match="one flag per run"):
        plots.lr_comparison([run], tmp_path / "lr.png", diverged=[True, False])


def test_weights_image_colour(tmp_path):
    rng = np.random.default_rng(1)
    w = rng.normal(0, 0.01, 16 * 12 * 3)
    out = plots.weights_image(w, (16, 12, 3), tmp_path / "w.png", classes=("dog", "cat"))
    check_png(out, (WIDTH, round(plots.WEIGHTS_RGB_HEIGHT * plots.DPI)))


def test_class_names_as_the_lessons_file_stores_them_are_drawn_as_text(tmp_path, monkeypatch):
    """course.load_dataset returns list_classes as the file holds them, bytes: the weights
    picture said "more 'b'cat''"."""
    from matplotlib.text import Text

    texts: list[str] = []
    save = plots._save

    def keeping(fig, path):
        texts.extend(t.get_text() for t in fig.findobj(Text))
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keeping)
    w = np.random.default_rng(1).normal(0, 0.01, 4 * 4 * 3)
    plots.weights_image(w, (4, 4, 3), tmp_path / "w.png", classes=np.array([b"non-cat", b"cat"]))
    drawn = " ".join(texts)
    assert "'cat'" in drawn and "b'" not in drawn


def test_costs_without_iteration_numbers_are_not_drawn_as_iterations(tmp_path, monkeypatch):
    """{"cost": d["costs"]} of the lesson's 2000 iterations (a cost every 100) was drawn at
    0 … 19 under "iteration"."""
    labels: list[str] = []
    save = plots._save

    def keeping(fig, path):
        labels.extend(ax.get_xlabel() for ax in fig.axes if ax.get_xlabel())
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keeping)
    costs = {"cost": [0.69, 0.58, 0.47]}
    plots.learning_curve(costs, tmp_path / "c.png")
    plots.lr_comparison([(0.01, costs), (0.001, costs)], tmp_path / "r.png")
    plots.learning_curve({"iteration": [0, 100, 200], **costs}, tmp_path / "i.png")
    assert labels[:2] == ["recorded cost, in order (no 'iteration' numbers were given)"] * 2
    assert labels[2] == "iteration"


def test_weights_image_grey_and_all_zero(tmp_path):
    w = np.linspace(-1, 2, 64)
    check_png(plots.weights_image(w, (8, 8, 1), tmp_path / "w.png"))
    # Untrained (all-zero) weights still give a valid picture rather than a division by zero.
    zero = plots.weights_image(np.zeros(64), (8, 8, 1), tmp_path / "zero.png")
    with Image.open(zero) as img:
        assert img.size == (WIDTH, HEIGHT)


def test_weights_image_refuses_a_wrong_shape(tmp_path):
    with pytest.raises(DataError, match="cannot be shown"):
        plots.weights_image(np.zeros(10), (3, 3, 1), tmp_path / "w.png")
    with pytest.raises(DataError, match="1 or 3"):
        plots.weights_image(np.zeros(18), (3, 3, 2), tmp_path / "w.png")


def test_a_picture_into_a_missing_folder_names_the_folder(tmp_path):
    """From Python as on the command line: the folder is named, nothing is written."""
    target = tmp_path / "docs" / "w.png"
    with pytest.raises(UsageError, match=r"the folder .*docs does not exist; create it"):
        plots.weights_image(np.linspace(-1, 2, 64), (8, 8, 1), target)
    assert not target.parent.exists()


@pytest.mark.parametrize(
    "wording",
    [
        "Glyph 128049 (\\N{CAT FACE}) missing from current font.",  # matplotlib 3.8
        "Glyph 128049 (\\N{CAT FACE}) missing from font(s) DejaVu Sans.",
    ],  # fmt: skip
)
def test_missing_glyphs_are_not_lrnns_output(tmp_path, monkeypatch, wording):
    """A class named in emoji shows as a box in the picture; matplotlib's note about its fonts
    (worded differently across the versions lrnn takes) must not reach lrnn's output."""
    from matplotlib.figure import Figure

    real = Figure.savefig

    def noting(self, *args, **kwargs):
        warnings.warn(wording, UserWarning, stacklevel=2)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", noting)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.weights_image(np.linspace(-1, 2, 64), (8, 8, 1), tmp_path / "w.png")


def test_most_confident_errors_order_ties_and_threshold():
    y = np.array([1, 0, 1, 0, 1, 0])
    p = np.array([0.1, 0.9, 0.6, 0.2, 0.3, 0.9])
    # wrong at 0.5: 0 (|0.1-0.5| = .4), 1 (.4), 4 (.2), 5 (.4); ties keep the data's order
    np.testing.assert_array_equal(plots.most_confident_errors(y, p, 10, 0.5), [0, 1, 5, 4])
    np.testing.assert_array_equal(plots.most_confident_errors(y, p, 2, 0.5), [0, 1])
    # at 0.25, example 4 (p = .3) is right and example 3 (p = .2) still right; 0, 1 and 5 each
    # gave their true class 0.1 (by the distance from 0.25, example 0 came last)
    np.testing.assert_array_equal(plots.most_confident_errors(y, p, 10, 0.25), [0, 1, 5])
    # a threshold of 0.16: a cat at P(cat) 0.031 before a non-cat at 0.528 (97 % against 47 %)
    cats = np.array([0, 1, 0])
    np.testing.assert_array_equal(
        plots.most_confident_errors(cats, np.array([0.528, 0.031, 0.348]), 10, 0.16), [1, 0, 2]
    )
    assert plots.most_confident_errors(y, p, 0, 0.5).size == 0
    with pytest.raises(UsageError, match="labels"):
        plots.most_confident_errors(y[:3], p, 2, 0.5)


def test_logits_rank_where_probabilities_rounded_to_0_or_1():
    z = np.array([17.3, 54.7, 25.1, -120.0, 2.0, -1.0])
    y = np.array([0, 0, 0, 1, 1, 0])
    p = 1 / (1 + np.exp(-z.astype(np.float32)))  # float32: 1.0 and 0.0 for the first four
    assert set(p[:4]) <= {0.0, 1.0}
    # the true class's margin: -17.3, -54.7, -25.1, -120 (2.0 and -1.0 are right)
    expected = [3, 1, 2, 0]
    assert plots.most_confident_errors(y, p, 10, 0.5, logits=z).tolist() == expected
    assert plots.most_confident_errors(y, p, 10, 0.5).tolist() == [0, 1, 2, 3]  # tied
    with pytest.raises(UsageError, match="logits"):
        plots.most_confident_errors(y, p, 10, 0.5, logits=z[:3])


def _pictures(m, channels=3, seed=2):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (m, 12, 12, channels), dtype=np.uint8)


def test_error_gallery(tmp_path, scores):
    y, p = scores
    out = plots.error_gallery(_pictures(y.size), y, p, ("dog", "cat"), tmp_path / "err.png")
    assert out is not None
    check_png(out)


def test_error_gallery_grows_with_more_rows_and_handles_grey(tmp_path, scores):
    y, p = scores
    assert plots.most_confident_errors(y, p, 12).size == 12  # enough mistakes for 3 rows
    out = plots.error_gallery(
        _pictures(y.size, channels=1), y, p, ("a", "b"), tmp_path / "err.png", k=12
    )
    assert out is not None
    check_png(out, (WIDTH, HEIGHT + round(plots.GALLERY_ROW_HEIGHT * plots.DPI)))


def test_error_gallery_without_errors_writes_nothing(tmp_path):
    y = np.array([0, 1, 1, 0])
    p = np.array([0.1, 0.8, 0.9, 0.3])
    assert plots.error_gallery(_pictures(4), y, p, ("a", "b"), tmp_path / "err.png") is None
    assert not (tmp_path / "err.png").exists()


def test_error_gallery_refuses_mismatched_pictures(tmp_path, scores):
    y, p = scores
    with pytest.raises(UsageError, match="one picture per label"):
        plots.error_gallery(_pictures(3), y, p, ("a", "b"), tmp_path / "err.png")


def test_confusion_matrix(tmp_path, scores):
    y, p = scores
    z = np.log(p / (1 - p))
    ev = evaluate(z, y, 0.5)
    check_png(plots.confusion_matrix(ev, ("non-cat", "cat"), tmp_path / "cm.png"))


def test_two_class_confusion_matrix_keeps_its_size_with_long_class_names(tmp_path, scores):
    """Names of sixty characters squeezed the matrix into a sliver to fit them whole, its
    cells' text over each other (longer ones ran off the picture); they are cut as the K-class
    matrix cuts them, and the matrix (its blue cells) keeps the area it has with short names."""
    from PIL import Image

    def blue_area(path) -> int:
        with Image.open(path) as picture:
            rgb = np.asarray(picture.convert("RGB")).astype(int)
        return int(np.count_nonzero(rgb[..., 2] - rgb[..., 0] > 40))

    y, p = scores
    ev = evaluate(np.log(p / (1 - p)), y, 0.5)
    short = plots.confusion_matrix(ev, ("non-cat", "cat"), tmp_path / "short.png")
    names = (
        "the negative class with a very long name indeed, longer than any axis",
        "positive class name that is also quite long for a tick label",
    )
    long = plots.confusion_matrix(ev, names, tmp_path / "long.png")
    assert blue_area(long) > 0.8 * blue_area(short)


def test_roc_pr(tmp_path, scores):
    y, p = scores
    check_png(plots.roc_pr(y, p, tmp_path / "roc.png", threshold=0.3))


def test_roc_pr_needs_both_classes(tmp_path):
    with pytest.raises(DataError, match="both classes"):
        plots.roc_pr(np.ones(5), np.linspace(0.1, 0.9, 5), tmp_path / "roc.png")
    assert not (tmp_path / "roc.png").exists()


def test_two_class_scores_read_labels_by_one_rule(tmp_path):
    """1/2 labels gave accuracy 0.4 from metrics.accuracy (y == 1) and 0.6 from
    metrics.evaluate (y != 0), and roc_pr said both classes were missing."""
    from lrnn import metrics, plots
    from lrnn.errors import DataError

    z = np.array([-2.0, 1, 3, 0.5, -1])
    good = np.array([0, 1, 1, 0, 1])
    assert metrics.accuracy(z, good) == metrics.evaluate(z, good).accuracy == 0.6
    assert metrics.accuracy(z, good.astype(bool)) == 0.6
    for bad in ([1, 2, 2, 1, 2], [-1, 1, 1, -1, 1]):
        with pytest.raises(DataError, match="must hold 0/1 labels"):
            metrics.accuracy(z, bad)
        with pytest.raises(DataError, match="must hold 0/1 labels"):
            metrics.evaluate(z, bad)
        with pytest.raises(DataError, match="must hold 0/1 labels"):
            plots.roc_pr(bad, 1 / (1 + np.exp(-z)), tmp_path / "r.png")


def test_numbers_on_a_cell_take_the_more_readable_of_black_and_white():
    """WCAG contrast: white on a half-full cell's mid-blue was 2.7 : 1 (black gives 7.7)."""
    import matplotlib

    from lrnn.plots import readable_text_on

    blues = matplotlib.colormaps["Blues"]
    assert readable_text_on(blues(0.5)) == "black"
    assert readable_text_on(blues(1.0)) == "white" and readable_text_on(blues(0.0)) == "black"
    assert readable_text_on((1.0, 1.0, 1.0, 1.0)) == "black"
    assert readable_text_on((0.0, 0.0, 0.0, 1.0)) == "white"


def test_a_single_recorded_accuracy_is_drawn_as_a_point(tmp_path, monkeypatch):
    """--print-every past --iterations records iteration 0 only: its accuracy was a line of no
    length, invisible, with a legend entry all the same."""
    import matplotlib.lines

    markers: list = []
    original = matplotlib.lines.Line2D.__init__

    def spy(self, *args, **kwargs):
        markers.append((kwargs.get("label"), kwargs.get("marker")))
        original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.lines.Line2D, "__init__", spy)
    history = {"iteration": [0], "cost": [0.69], "accuracy": [0.5]}
    plots.learning_curve(history, tmp_path / "one.png", final=(50, 0.4))
    assert ("training accuracy", "o") in markers


def test_names_with_dollar_signs_are_drawn_as_written(tmp_path, monkeypatch):
    """matplotlib reads text between two "$" as a formula: price bins "$10-$20" and
    "under $10" were drawn as "10 − 20" on the confusion matrices' axes."""
    from matplotlib.text import Text

    from lrnn import metrics, plots_multiclass

    drawn: list[Text] = []
    save = plots._save

    def keeping(fig, path):
        drawn.extend(t for t in fig.findobj(Text) if "$" in t.get_text())
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keeping)
    monkeypatch.setattr(plots_multiclass, "_save", keeping)
    y = np.array([0, 1, 1, 0])
    binary = metrics.evaluate(np.array([-1.0, 2.0, -3.0, 1.0]), y, 0.5)
    plots.confusion_matrix(binary, ["$10-$20", "under $10"], tmp_path / "two.png")
    classes = ["$10-$20", "under $10", "$20-$30"]
    plots_multiclass.confusion_matrix(np.eye(3, dtype=int), classes, tmp_path / "three.png")
    assert len(drawn) >= 4 and not any(t.get_parse_math() for t in drawn)


def _overlaps(boxes) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]


def test_long_class_names_leave_gallery_titles_and_axis_names_apart(tmp_path, monkeypatch):
    """Class names of 18+ characters ran each panel's title into the next and past the edge
    (two classes), and four names of 30 characters were written over each other below a
    confusion matrix (K classes)."""
    from lrnn import plots_multiclass

    measured: dict[str, list] = {}
    save = plots._save

    def measuring(fig, path):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        edge = fig.bbox
        titles = [ax.title for ax in fig.axes if ax.title.get_text()]
        ticks = [t for ax in fig.axes for t in ax.get_xticklabels() if t.get_text()]
        texts = titles if len(titles) > 1 else ticks
        boxes = [t.get_window_extent(renderer) for t in texts]
        inside = all(edge.x0 <= b.x0 and b.x1 <= edge.x1 for b in boxes)
        # slanted names run side by side, whatever their boxes (upright rectangles) say
        level = [b for b, t in zip(boxes, texts, strict=True) if t.get_rotation() == 0]
        measured[os.path.basename(path)] = [len(boxes), _overlaps(level), inside]
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", measuring)
    monkeypatch.setattr(plots_multiclass, "_save", measuring)
    rng = np.random.default_rng(0)
    pictures = rng.integers(0, 255, size=(12, 16, 16, 3), dtype=np.uint8)
    y = np.array([0, 1] * 6)
    two = ["domestic cat photos", "anything but a cat at all"]
    plots.error_gallery(pictures, y, np.where(y == 1, 0.1, 0.9), two, tmp_path / "two.png")
    names = [f"Iris {kind} (a rather long common name)" for kind in "abcd"]
    y4 = np.arange(12) % 4
    p4 = np.full((12, 4), 0.1)
    p4[np.arange(12), (y4 + 1) % 4] = 0.7
    plots_multiclass.error_gallery(pictures, y4, p4, names, tmp_path / "four.png")
    plots_multiclass.confusion_matrix(np.eye(4, dtype=int), names, tmp_path / "matrix.png")
    assert measured == {
        "two.png": [10, [], True],
        "four.png": [10, [], True],
        "matrix.png": [4, [], True],
    }


def test_a_log_cost_axis_keeps_its_math_tick_labels(tmp_path, monkeypatch):
    """Drawing names as written (math text off) printed a log axis's ticks as their TeX,
    "$\\mathdefault{10^{0}}$", under compare-lr's curves of a rate that blew up."""
    ticks = []
    save = plots._save

    def keeping(fig, path):
        ax = fig.axes[0]
        ticks.extend(t for t in ax.get_yticklabels() if "$" in t.get_text())
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keeping)
    steady = {"iteration": [0, 1, 2], "cost": [0.69, 0.6, 0.5]}
    runs = [(5.0, {"iteration": [0, 1, 2], "cost": [0.69, 30.0, 400.0]}), (0.01, steady)]
    plots.lr_comparison(runs, tmp_path / "c.png", diverged=[True, False])
    assert ticks and all(t.get_parse_math() for t in ticks)


def test_long_class_names_on_a_figure_stay_told_apart():
    """Cut at their end, "category with a long shared prefix A" and "… B" both read
    "category with a long sh…" on the confusion matrix and in the ROC legend."""
    names = ["category with a long shared prefix A", "category with a long shared prefix B"]
    short = plots.tick_names(names)
    assert len(set(short)) == 2 and all(len(s) <= plots.TICK_NAME_CHARS for s in short)
    assert short[0].endswith("refix A") and short[0].startswith("category with")
    assert plots.tick_names(["short", "names"]) == ["short", "names"]
    # ends alike as well: numbered by place
    alike = ["a" * 30 + "middle one" + "z" * 30, "a" * 30 + "middle two" + "z" * 30]
    assert [s.split(":")[0] for s in plots.tick_names(alike)] == ["1", "2"]


def test_a_plot_leaves_a_file_that_lrnn_did_not_write_alone(tmp_path):
    """plots.learning_curve(h, 'data.csv') made the data a PNG; a model file too."""
    history = {"iteration": [0, 1, 2], "cost": [0.69, 0.6, 0.5]}
    data = tmp_path / "data.csv"
    data.write_text("a,label\n1,0\n")
    with pytest.raises(UsageError, match="a plot is written as PNG"):
        plots.learning_curve(history, data)
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n not lrnn's")
    with pytest.raises(UsageError, match="already exists and is not an lrnn plot"):
        plots.learning_curve(history, photo)
    assert data.read_text() == "a,label\n1,0\n" and photo.read_bytes().endswith(b"not lrnn's")
    plots.learning_curve(history, tmp_path / "curve.png")
    plots.learning_curve(history, tmp_path / "curve.png")  # its own picture: replaced


def test_float_pictures_are_drawn_as_the_pixels_they_stand_for(tmp_path):
    """0–255 floats drew white panels (colour floats clip at 1) and 0–1 grey ones black."""
    rng = np.random.default_rng(0)
    y, p = np.array([0, 1] * 4), np.linspace(0.05, 0.95, 8)
    for channels in (1, 3):
        pixels = rng.integers(0, 256, (8, 6, 5, channels), dtype=np.uint8)
        want = plots.error_gallery(pixels, y, p, ["a", "b"], tmp_path / "u.png").read_bytes()
        for floats in (pixels.astype(float), pixels / 255.0):
            got = plots.error_gallery(floats, y, p, ["a", "b"], tmp_path / "f.png")
            assert got.read_bytes() == want
    with pytest.raises(UsageError, match="pictures range from -1 to 255"):
        odd = np.full((8, 6, 5, 1), -1.0)
        odd[0] = 255.0
        plots.error_gallery(odd, y, p, ["a", "b"], tmp_path / "x.png")


def test_a_layers_weights_are_pointed_to_the_class_templates():
    """weights_image given a K-class W asked for a picture shape that cannot exist."""
    from lrnn import plots_multiclass

    with pytest.raises(DataError, match="a layer of neurons, one per class; draw them with"):
        plots.weights_image(np.zeros((64, 10)), (8, 8, 1), "w.png")
    with pytest.raises(DataError, match=r"coef_ is \(K, features\): pass coef_.T"):
        plots_multiclass.class_templates(np.zeros((10, 64)), (8, 8, 1), list("abcdefghij"), "t.png")


def test_both_columns_of_predict_proba_are_told_which_to_pass(tmp_path):
    y = np.array([0, 1, 0, 1])
    both = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    with pytest.raises(UsageError, match=r"a column per class; pass .*predict_proba\(X\)\[:, 1\]"):
        plots.roc_pr(y, both, tmp_path / "r.png")


def test_plain_python_arguments_get_lrnns_words(tmp_path):
    """A list of counts, a dict of runs and k=2.5 failed with Python's own messages
    ("'list' object has no attribute 'tn'", "cannot unpack non-iterable float")."""
    history = {"iteration": [0, 1], "cost": [0.69, 0.6]}
    with pytest.raises(UsageError, match="takes the scores of lrnn.metrics.evaluate"):
        plots.confusion_matrix([[1, 2], [3, 4]], ["a", "b"], tmp_path / "c.png")
    with pytest.raises(UsageError, match=r"runs is a mapping; .*list\(runs.items\(\)\)"):
        plots.lr_comparison({0.1: history}, tmp_path / "l.png")
    with pytest.raises(UsageError, match="k=2.5 must be a whole number"):
        plots.most_confident_errors([0, 1], [0.9, 0.1], k=2.5)
