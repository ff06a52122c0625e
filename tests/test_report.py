"""The HTML report: one self-contained file, every section, every picture inlined and valid.

Two small models are trained once per module (an image model on the built-in digits, a table
model on breast_cancer) and reported on. The page is parsed with the standard library's
HTMLParser; the browser tests (marker ``browser``) open it in headless Chromium and check that
it renders and that every picture decodes. History files are tested in test_history.py.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import shutil
import subprocess
import warnings
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lrnn import data, objective, persist, report
from lrnn.backends import make_backend
from lrnn.errors import DataError, UsageError
from lrnn.train import TrainConfig, train

SECTION_IDS = [sid for sid, _ in report.SECTIONS]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_TIMEOUT = 60


# --------------------------------------------------------------------------------------------
# Fixtures: two small trained models and their reports


def _model(result, train_ds, **training) -> persist.ModelFile:
    return persist.ModelFile(
        w=result.w,
        b=result.b,
        classes=train_ds.classes,
        preprocessing=train_ds.spec.to_dict(),
        feature_names=list(train_ds.spec.feature_names) if train_ds.spec.feature_names else None,
        training={
            "solver": result.solver,
            "learning_rate": result.learning_rate,
            "iterations": result.n_iter,
            "final_cost": result.final_cost,
            **training,
        },
        manifest={
            "seed": 0,
            "data_sha256": data.data_sha256(train_ds.X, train_ds.y),
            "solver_settings": {"solver": result.solver, "max_iter": result.n_iter},
        },
    )


@pytest.fixture(scope="module")
def image_case():
    """An image model (built-in digits, 8 × 8 grey) trained for 60 recorded gd iterations."""
    ds = data.builtin("digits")
    train_ds, test_ds = data.split(ds, 0.3, seed=0)
    result = train(
        make_backend(train_ds.X, train_ds.y, scale=train_ds.spec.scale),
        TrainConfig(solver="gd", learning_rate="auto", max_iter=60),
    )
    return _model(result, train_ds), test_ds, result.history


@pytest.fixture(scope="module")
def table_case():
    """A standardised table model (breast_cancer) trained by a few Newton steps."""
    ds = data.builtin("breast_cancer", standardize=True)
    train_ds, test_ds = data.split(ds, 0.3, seed=0)
    result = train(
        make_backend(train_ds.X, train_ds.y),
        TrainConfig(solver="newton", alpha=0.01, max_iter=20, tol=1e-8),
    )
    return _model(result, train_ds), test_ds, result.history


@pytest.fixture(scope="module")
def image_report(image_case, tmp_path_factory):
    model, test_ds, history = image_case
    path = tmp_path_factory.mktemp("image") / "report.html"
    out = report.write_report(path, model=model, dataset=test_ds, history=history, title="Digits")
    assert out == path
    return path


@pytest.fixture(scope="module")
def table_report(table_case, tmp_path_factory):
    model, test_ds, history = table_case
    path = tmp_path_factory.mktemp("table") / "report.html"
    report.write_report(path, model=model, dataset=test_ds, history=history)
    return path


# --------------------------------------------------------------------------------------------
# Parsing the page


class Page(HTMLParser):
    """Sections (id → text inside), images (attrs), and every tag and attribute seen."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, list[str]] = {}
        self.section_tags: dict[str, list[str]] = {}
        self.images: list[dict[str, str | None]] = []
        self.tags: list[str] = []
        self.attr_values: list[str] = []
        self.meta: list[dict[str, str | None]] = []
        self._current: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attr_values += [v for _, v in attrs if v]
        if tag == "section":
            self._current = a.get("id")
            self.sections[self._current] = []
            self.section_tags[self._current] = []
        elif self._current is not None:
            self.section_tags[self._current].append(tag)
        if tag == "img":
            self.images.append({**a, "section": self._current})
        if tag == "meta":
            self.meta.append(a)

    def handle_endtag(self, tag):
        if tag == "section":
            self._current = None

    def handle_data(self, text):
        if self._current is not None:
            self.sections[self._current].append(text)

    def text(self, section_id: str) -> str:
        return " ".join(" ".join(self.sections[section_id]).split())


def parse(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def decode_png(src: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix), f"not an inlined PNG: {src[:40]}"
    try:
        return base64.b64decode(src[len(prefix) :], validate=True)
    except binascii.Error as e:  # pragma: no cover - failure path
        raise AssertionError(f"invalid base64 in an <img>: {e}") from e


# --------------------------------------------------------------------------------------------
# Structure and content


@pytest.mark.parametrize("which", ["image_report", "table_report"])
def test_every_section_is_there_with_a_heading(which, request):
    page = parse(request.getfixturevalue(which))
    assert list(page.sections) == SECTION_IDS
    for sid in SECTION_IDS:
        assert page.section_tags[sid][0] == "h2", f"section {sid} does not start with <h2>"


@pytest.mark.parametrize(("which", "n_images"), [("image_report", 5), ("table_report", 3)])
def test_images_are_inlined_valid_pngs_with_alt_and_size(which, n_images, request):
    page = parse(request.getfixturevalue(which))
    assert len(page.images) == n_images
    for img in page.images:
        png = decode_png(img["src"])
        with Image.open(io.BytesIO(png)) as picture:
            picture.verify()
        with Image.open(io.BytesIO(png)) as picture:
            assert picture.format == "PNG"
            assert picture.size == (int(img["width"]), int(img["height"]))
        alt = img.get("alt") or ""
        assert len(alt) > 30, f"alt text too thin in section {img['section']}: {alt!r}"


@pytest.mark.parametrize("which", ["image_report", "table_report"])
def test_self_contained_no_network_no_script(which, request):
    path = request.getfixturevalue(which)
    text = path.read_text(encoding="utf-8")
    page = parse(path)
    assert not re.search(r"https?://", text, re.IGNORECASE)
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    assert not any(v.lower().startswith("javascript:") for v in page.attr_values)
    csp = [m for m in page.meta if m.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]
    # long unbroken names and words wrap instead of widening the page (a table's cells only
    # where the table's own scrolling box cannot hold them: see the phone-wide test); printed,
    # wide tables are not clipped by their scrolling box
    assert "caption, figcaption, .note { overflow-wrap: anywhere; }" in text
    assert "@media print {\n  .scroll { overflow: visible; }" in text


def test_image_report_content(image_report, image_case):
    model, test_ds, history = image_case
    page = parse(image_report)
    summary = page.text("summary")
    assert f"negative: {model.classes[0]} · positive: {model.classes[1]}" in summary
    assert "8 × 8 pixels × 1 channel" in summary
    assert "gd" in summary
    assert test_ds.source in page.text("data")
    assert data.data_sha256(test_ds.X, test_ds.y) in page.text("data")
    assert "held-out" in page.text("data")
    sections = {img["section"] for img in page.images}
    assert sections == {"learning-curve", "weights", "errors", "confusion", "roc"}
    # the history's last row is iteration 59; the curve goes on to where the run ended
    assert history["iteration"][-1] == 59 and model.training["iterations"] == 60
    curve = next(img["alt"] for img in page.images if img["section"] == "learning-curve")
    assert f"to {model.training['final_cost']:.4g} over 60 iterations" in curve
    # 60 recorded rows > 50: an evenly spaced selection, and it says so
    assert len(history["iteration"]) > report.HISTORY_TABLE_ROWS
    assert f"Showing {report.HISTORY_TABLE_ROWS} of 60 recorded rows" in page.text("history")
    assert page.section_tags["history"].count("tr") == report.HISTORY_TABLE_ROWS + 1
    repro = page.text("reproducibility")
    assert np.__version__ in repro and "solver_settings" in repro


def test_metrics_table_matches_the_evaluation(table_report, table_case):
    from lrnn.metrics import evaluate

    model, test_ds, _ = table_case
    ev = evaluate(objective.logits(model.w, model.b, test_ds.X), test_ds.y, model.threshold)
    page = parse(table_report)
    assert "table" in page.section_tags["metrics"]
    text = page.text("metrics")
    assert f"accuracy {100 * ev.accuracy:.2f} %" in text
    for name, value in (("tp", ev.tp), ("fp", ev.fp), ("tn", ev.tn), ("fn", ev.fn)):
        assert f"({name}) {value}" in text
    assert f"log loss {ev.log_loss:.6g}" in text


def test_table_report_weights_and_errors_are_tables(table_report, table_case):
    model, test_ds, _ = table_case
    page = parse(table_report)
    assert "img" not in page.section_tags["weights"]
    assert page.section_tags["weights"].count("tr") == report.TOP_WEIGHTS + 1
    biggest = test_ds.spec.feature_names[int(np.argmax(np.abs(model.w)))]
    assert biggest in page.text("weights")
    assert "img" not in page.section_tags["errors"]
    assert "table" in page.section_tags["errors"]
    assert "most confidently wrong" in page.text("errors")


def test_probabilities_rounded_to_0_or_1_do_not_tie_the_ranking(table_case, tmp_path):
    """A float32 model sure of itself: σ(z) is exactly 1.0 from z ≈ 17 on, so examples at z = 17
    and z = 55 were a tie broken by row order (the most confidently wrong listed out of order)
    and the AUC counted ties the model did not make. The logits rank them."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    model, test_ds, _ = table_case
    sure = replace(model, w=(model.w * 60).astype(np.float32), b=float(model.b) * 60)
    z = objective.logits(sure.w.astype(np.float64), sure.b, test_ds.X)
    y = np.asarray(test_ds.y)
    p32 = objective.sigmoid(objective.logits(sure.w, sure.b, test_ds.X.astype(np.float32)))
    assert np.sum((p32 == 1.0) | (p32 == 0.0)) > 20  # the ties this is about
    path = report.write_report(tmp_path / "sure.html", model=sure, dataset=test_ds, history=None)
    page = parse(path)
    metrics_text = page.text("metrics")
    assert f"ROC AUC {roc_auc_score(y, z):.6g}" in metrics_text
    assert f"average precision {average_precision_score(y, z):.6g}" in metrics_text
    wrong = np.flatnonzero((z > 0) != y)
    margin = np.where(y[wrong] == 1, z[wrong], -z[wrong])  # the true class's, lowest first
    expected = [test_ds.names[i] for i in wrong[np.argsort(margin)][: report.ERROR_ROWS]]
    errors = page.text("errors")
    positions = [errors.index(f"{name} ") for name in expected]
    assert positions == sorted(positions), (expected, errors)


def test_raw_table_data_is_standardised_like_the_model(table_case, tmp_path):
    # The same examples given raw (unstandardised) score exactly as the standardised ones.
    model, test_ds, _ = table_case
    raw_ds = data.builtin("breast_cancer")
    _, raw_test = data.split(raw_ds, 0.3, seed=0)
    a = report.write_report(tmp_path / "a.html", model=model, dataset=test_ds, history=None)
    b = report.write_report(tmp_path / "b.html", model=model, dataset=raw_test, history=None)
    assert parse(a).text("metrics") == parse(b).text("metrics")


def test_report_is_deterministic(image_case, image_report, tmp_path):
    model, test_ds, history = image_case
    again = report.write_report(
        tmp_path / "again.html",
        model=model,
        dataset=test_ds,
        history=history,
        title="Digits",
    )
    assert again.read_bytes() == image_report.read_bytes()


def test_no_history_and_no_errors(image_case, tmp_path):
    model, test_ds, _ = image_case
    z = objective.logits(model.w, model.b, test_ds.X, test_ds.spec.scale)
    right = np.flatnonzero((objective.sigmoid(z) > model.threshold) == test_ds.y.astype(bool))
    perfect = replace(
        test_ds,
        X=test_ds.X[right],
        y=test_ds.y[right],
        names=[test_ds.names[i] for i in right],
        raw_images=test_ds.raw_images[right],
    )
    path = report.write_report(tmp_path / "r.html", model=model, dataset=perfect, history=None)
    page = parse(path)
    assert list(page.sections) == SECTION_IDS
    assert "No misclassified examples" in page.text("errors")
    assert "No training history" in page.text("learning-curve")
    assert {img["section"] for img in page.images} == {"weights", "confusion", "roc"}


def test_a_history_no_axis_can_hold_leaves_the_curve_out_not_the_report(table_case, tmp_path):
    """A damaged (or hostile) model file's history, ±1e308: matplotlib cannot lay out that
    axis; the report says so where the curve would be and is written."""
    model, test_ds, _ = table_case
    history = {"iteration": [0, 1, 2], "cost": [1e308, -1e308, float("nan")]}
    path = report.write_report(tmp_path / "r.html", model=model, dataset=test_ds, history=history)
    page = parse(path)
    assert "The learning curve cannot be drawn" in page.text("learning-curve")
    assert "learning-curve" not in {img["section"] for img in page.images}


def test_text_is_escaped(table_case, tmp_path):
    model, test_ds, _ = table_case
    path = report.write_report(
        tmp_path / "r.html",
        model=model,
        dataset=test_ds,
        history=None,
        title="<script>alert(1)</script>",
        extra_facts={"<b>note</b>": "a & b <i>"},
    )
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text and "<b>note" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "a &amp; b &lt;i&gt;" in text
    assert "a & b <i>" in parse(path).text("summary")


def test_terminal_escapes_from_a_model_file_are_written_out(table_case, tmp_path):
    """A model file's strings (its training facts, its history's column names) reached the
    page byte for byte: ``cat report.html`` then retitled and recoloured the terminal."""
    import dataclasses

    model, test_ds, history = table_case
    escape = "\x1b]0;PWNED\x07\x1b[31m"
    training = {**model.training, "solver": "lbfgs" + escape}
    forged = dataclasses.replace(model, training=training)
    columns = {**history, "x" + escape: list(history["cost"])}
    path = report.write_report(
        tmp_path / "r.html", model=forged, dataset=test_ds, history=columns, title="t" + escape
    )
    text = path.read_text(encoding="utf-8")
    assert not any(ch in text for ch in "\x1b\x07"), "a raw control character reached the page"
    assert text.count("\\x1b]0;PWNED\\x07\\x1b[31m") >= 3  # solver, column, title


def test_right_to_left_class_names_are_set_apart_from_the_text_around_them(table_case, tmp_path):
    # "negative: לא · positive: כן" or "כן: 120 (40 %)" without isolation: the bidirectional
    # algorithm pulls the colon, the numbers and the brackets into the names' right-to-left run
    model, test_ds, _ = table_case
    classes = ("לא", "כן")
    path = report.write_report(
        tmp_path / "r.html",
        model=replace(model, classes=classes),
        dataset=replace(test_ds, classes=classes),
        history=None,
    )
    text = path.read_text(encoding="utf-8")
    assert "negative: <bdi>לא</bdi> · positive: <bdi>כן</bdi>" in text
    assert "P(<bdi>כן</bdi>) &gt; 0.5" in text
    assert re.search(r"<bdi>כן</bdi>: \d+ \(", text)  # the class balance
    assert '<th scope="col">P(<bdi>כן</bdi>)</th>' in text  # the errors table's header
    assert "\u2068" not in text.split("<img")[0]  # the markers became elements in the text
    page = parse(path)
    assert "negative: לא · positive: כן" in page.text("summary")  # what a reader sees


# --------------------------------------------------------------------------------------------
# Refusals: checked before work, nothing half-written


def test_mismatched_model_and_data(image_case, table_case, tmp_path):
    image_model, _, _ = image_case
    _, table_test, _ = table_case
    out = tmp_path / "r.html"
    with pytest.raises(DataError) as info:
        report.write_report(out, model=image_model, dataset=table_test, history=None)
    message = str(info.value)
    assert "\n" not in message and "64 weights" in message and "30 features" in message
    assert not out.exists()


def test_history_of_another_model(image_case, tmp_path):
    model, test_ds, history = image_case
    longer = {k: list(v) + [v[-1]] for k, v in history.items()}
    longer["iteration"][-1] = model.training["iterations"] + 100
    out = tmp_path / "r.html"
    with pytest.raises(DataError, match="does not belong to this model"):
        report.write_report(out, model=model, dataset=test_ds, history=longer)
    # named by its file (lrnn report --history): "history file records …" named none
    said = r"^--history sv.csv: the history records iteration \d+ but the model trained for"
    with pytest.raises(DataError, match=said):
        report.write_report(
            out, model=model, dataset=test_ds, history=longer, history_name="--history sv.csv"
        )
    assert not out.exists()
    # a shorter run's history was drawn without a word
    shorter = {k: list(v)[:2] for k, v in history.items()}
    with pytest.warns(UserWarning, match=r"the history ends at iteration \d+, but the model "):
        report.write_report(out, model=model, dataset=test_ds, history=shorter)
    # and the page says it too, and does not join the model's own end to that history (the
    # curve ran from the other run's last row to this model's final cost; the table said
    # "the run ended at iteration N, after the last recorded row")
    page = out.read_text()
    end = shorter["iteration"][-1]
    assert f"Note: the history ends at iteration {end}, but the model trained for" in page
    assert "after the last recorded row" not in page
    assert f"over {end} iterations" in page
    with warnings.catch_warnings():  # its own history is all of it
        warnings.simplefilter("error")
        report.write_report(out, model=model, dataset=test_ds, history=history)
    # another run's history of the same length (another learning rate, or data set) passed
    # as this model's: the model file's own rows tell it
    own = replace(model, history={k: list(v) for k, v in history.items()})
    other = {k: list(v) for k, v in history.items()}
    other["cost"] = [c * 1.01 for c in other["cost"]]
    with pytest.raises(DataError, match=r"records cost [\d.]+ at iteration 0, where the model's"):
        report.write_report(out, model=own, dataset=test_ds, history=other, history_name="h")
    report.write_report(out, model=own, dataset=test_ds, history=history)  # its own: drawn


def test_one_row_history_of_a_run_recorded_sparsely_is_its_own(image_case, tmp_path):
    """300 iterations recorded every 1000 (--print-every past --iterations) keep one row, at
    iteration 0: the report called the model's own history "another run's" and left its curve
    short of the final cost. The run's spacing, in the model's manifest, judges it."""
    model, test_ds, history = image_case
    settings = {**model.manifest.get("solver_settings", {}), "record_every": 1000}
    own = replace(
        model,
        training={**model.training, "iterations": 300},
        manifest={**model.manifest, "solver_settings": settings},
    )
    one_row = {k: list(v)[:1] for k, v in history.items()}
    out = tmp_path / "r.html"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report.write_report(out, model=own, dataset=test_ds, history=one_row)
    assert "another run's" not in out.read_text()
    settings["record_every"] = 100  # the same row from a run recorded every 100: not its own
    with pytest.warns(UserWarning, match="the history ends at iteration 0, but the model"):
        report.write_report(out, model=own, dataset=test_ds, history=one_row)


def test_unlabelled_data(image_case, tmp_path):
    model, test_ds, _ = image_case
    with pytest.raises(DataError, match="no labels"):
        report.write_report(
            tmp_path / "r.html", model=model, dataset=replace(test_ds, y=None), history=None
        )


def test_unwritable_destination_is_refused_before_any_work(image_case, table_case, tmp_path):
    image_model, _, _ = image_case
    _, table_test, _ = table_case
    # The data does not fit the model either, yet the path is what gets reported: it is
    # checked first, so a typo costs nothing.
    with pytest.raises(UsageError, match="does not exist"):
        report.write_report(
            tmp_path / "missing" / "r.html", model=image_model, dataset=table_test, history=None
        )
    with pytest.raises(UsageError, match="is a folder"):
        report.write_report(tmp_path, model=image_model, dataset=table_test, history=None)


def test_failure_leaves_the_old_report(image_case, tmp_path, monkeypatch):
    model, test_ds, _ = image_case
    out = tmp_path / "r.html"
    report.write_report(out, model=model, dataset=test_ds, history=None, title="old")
    old = out.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report.plots, "roc_pr", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        report.write_report(out, model=model, dataset=test_ds, history=None)
    assert out.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]
    # a file lrnn did not write, or one not named .html, is no report's to replace (the CSV
    # of the data itself became a page); nor is a model or a data set where they belong
    mine = tmp_path / "mine.html"
    mine.write_text("<p>mine</p>")
    for path, said in ((mine, "is not an lrnn report"), (tmp_path / "d.csv", "as HTML")):
        with pytest.raises(UsageError, match=said):
            report.write_report(path, model=model, dataset=test_ds, history=None)
    with pytest.raises(UsageError, match="model must be a ModelFile"):
        report.write_report(out, model="m.safetensors", dataset=test_ds, history=None)
    assert mine.read_text() == "<p>mine</p>" and out.read_bytes() == old


# --------------------------------------------------------------------------------------------
# In a real browser

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium is not installed at /usr/bin/chromium (CI installs it with "
    ".ci/install-chromium)",
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT, check=False
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert result.returncode == 0, f"chromium failed: {result.stderr[-2000:]}"
    return result


# Test-only: the report itself has no scripts (and its CSP would block one); this copy drops
# the CSP and reports, in the DOM, how many images decoded.
_PROBE = """<script>
window.addEventListener("load", function () {
  var images = document.images, loaded = 0;
  for (var i = 0; i < images.length; i++) {
    if (images[i].complete && images[i].naturalWidth > 0) loaded++;
  }
  document.body.setAttribute("data-loaded", loaded + "/" + images.length);
  document.body.setAttribute("data-width", document.documentElement.scrollWidth + "/" +
                             window.innerWidth);
  var cells = document.querySelectorAll("td.num"), wrapped = 0;
  for (var j = 0; j < cells.length; j++) {  // a number drawn on more than one line
    var range = document.createRange(), tops = {};
    range.selectNodeContents(cells[j]);
    var boxes = range.getClientRects();
    for (var k = 0; k < boxes.length; k++) tops[Math.round(boxes[k].top)] = true;
    if (Object.keys(tops).length > 1) wrapped++;
  }
  document.body.setAttribute("data-wrapped", wrapped + "/" + cells.length);
});
</script>
"""


def _with_probe(report_path: Path, out: Path, *, keep_csp: bool) -> Path:
    text = report_path.read_text(encoding="utf-8")
    if not keep_csp:
        text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?', "", text)
    out.write_text(text.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    return out


@pytest.mark.browser
@needs_chromium
def test_browser_screenshot_is_not_blank(image_report, tmp_path):
    shot = tmp_path / "shot.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,5000", image_report.as_uri())
    with Image.open(shot) as img:
        assert img.size == (1200, 5000)
        pixels = np.asarray(img.convert("L"), dtype=np.float64)
    assert pixels.var() > 100, "the rendered report is blank"
    # The pictures are in the page: plenty of rows that are not plain background.
    busy_rows = int(np.sum(pixels.std(axis=1) > 5))
    assert busy_rows > 1500


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("which", ["image_report", "table_report"])
def test_browser_loads_every_image_and_section(which, request, tmp_path):
    path = request.getfixturevalue(which)
    probe = _with_probe(path, tmp_path / "probe.html", keep_csp=False)
    dom = chromium(tmp_path, "--dump-dom", "--virtual-time-budget=5000", probe.as_uri()).stdout
    found = re.search(r'data-loaded="(\d+)/(\d+)"', dom)
    assert found, "the probe did not run"
    loaded, total = map(int, found.groups())
    assert total == len(parse(path).images) and loaded == total
    for sid in SECTION_IDS:
        assert f'id="{sid}"' in dom


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("which", ["image_report", "table_report"])
def test_a_phone_wide_window_does_not_scroll_the_whole_page_sideways(which, request, tmp_path):
    """Wide tables (a 10-class confusion matrix, the reproducibility facts) made a 320-pixel
    page 765-874 pixels wide; they now scroll in their own box."""
    probe = _with_probe(request.getfixturevalue(which), tmp_path / "p.html", keep_csp=False)
    dom = chromium(
        tmp_path, "--dump-dom", "--window-size=320,2000", "--virtual-time-budget=5000",
        probe.as_uri(),
    ).stdout  # fmt: skip
    found = re.search(r'data-width="(\d+)/(\d+)"', dom)  # headless windows are ≥ 500 wide
    assert found, "the probe did not run"
    page_width, window_width = map(int, found.groups())
    assert window_width <= 500 and page_width <= window_width
    # ... and keep each number on one line: "0.968153" was drawn a digit a line, cells
    # narrowed to one character because any character could end a line
    wrapped, cells = map(int, re.search(r'data-wrapped="(\d+)/(\d+)"', dom).groups())
    assert cells > 20 and wrapped == 0, f"{wrapped} of {cells} numbers wrap"


@pytest.mark.browser
@needs_chromium
def test_browser_enforces_no_scripts(table_report, tmp_path):
    # With the report's own Content-Security-Policy in place, an inserted script never runs.
    probe = _with_probe(table_report, tmp_path / "probe.html", keep_csp=True)
    dom = chromium(tmp_path, "--dump-dom", "--virtual-time-budget=5000", probe.as_uri()).stdout
    assert 'id="summary"' in dom
    assert not re.search(r'data-loaded="\d+/\d+"', dom), "a script ran despite the CSP"


def test_report_says_whether_the_scored_data_is_the_training_data(tmp_path):
    """The whole of a data set the model held a test part out of: "partly", not "no" — told
    by content (the hold-out split again), as evaluate tells it, so a renamed copy counts;
    by the source's name only for model files without the test rows' hash."""
    from types import SimpleNamespace

    from lrnn.after_training import training_overlap
    from tests.cli_helpers import run

    def data(source):
        return SimpleNamespace(source=source, X=np.zeros((4, 1)), y=np.array([0, 1, 0, 1]))

    manifest = {"data_sha256": "abc", "data_source": "builtin:digits", "request": {"test": None}}
    model = SimpleNamespace(manifest=manifest)
    assert training_overlap(model, data("builtin:digits"), "abc").startswith("yes")
    assert training_overlap(model, data("builtin:digits"), "other").startswith("partly")
    assert training_overlap(model, data("builtin:iris"), "other").startswith("no")
    # and evaluate, which warns by training_rows_in, told such an old model's file as none
    from lrnn.after_training import training_rows_in

    assert training_rows_in(model, data("builtin:digits"), "other") == "part"
    assert training_rows_in(model, data("builtin:iris"), "other") is None
    model.manifest = {**manifest, "request": {"test": "t.csv"}}  # a separate test file
    assert training_overlap(model, data("builtin:digits"), "other").startswith("no")
    model.manifest = {**manifest, "test_sha256": "held"}  # the examples it was tested on
    assert training_overlap(model, data("builtin:digits"), "held").startswith("no: these are")
    assert training_overlap(model, data("builtin:digits"), "other").startswith(
        "no: held-out or other data (neither"
    )
    # the --validation file early stopping chose the weights by: its scores flatter the model
    model.manifest = {**manifest, "test_sha256": "held", "validation_sha256": "chose"}
    assert training_overlap(model, data("v.csv"), "chose").startswith(
        "no, but early stopping chose the model's weights by their loss on these examples"
    )
    model.manifest = {}
    assert training_overlap(model, data("builtin:digits"), "abc").startswith("unknown")
    # a real model: the file it was split from, under another name in another folder
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((60, 3)), columns=["a", "b", "c"])
    frame["label"] = np.where(frame["a"] > 0, "yes", "no")
    frame.to_csv(tmp_path / "t.csv", index=False)
    common = ["--iterations", "20", "--no-plot", "--model", "m.safetensors"]
    assert run(["train", "t.csv", *common], tmp_path).returncode == 0
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(tmp_path / "t.csv", tmp_path / "elsewhere" / "copy.csv")
    made = run(
        ["report", "--model", "m.safetensors", "elsewhere/copy.csv", "-o", "r.html"], tmp_path
    )
    assert made.returncode == 0, made.stderr
    assert (
        "partly: the model was trained on a part of this data" in (tmp_path / "r.html").read_text()
    )


def test_the_report_written_by_train_knows_its_examples_were_held_out(tmp_path):
    """`lrnn train --report` scores the hold-out: the model's fingerprint of its test examples
    says so, instead of "partly" (the same source, seen whole, would mix both)."""
    from tests.cli_helpers import run

    args = ["train", "digits", "--iterations", "20", "--no-plot", "--model", "m.safetensors"]
    assert run([*args, "--report", "r.html"], tmp_path).returncode == 0
    page = (tmp_path / "r.html").read_text()
    assert "no: these are the examples it was tested on when it was trained" in page
    assert "partly" not in page
    # how the run stopped, in the words train printed
    assert "<td>max_iter: ran every iteration asked for</td>" in page
    assert "pictures of 8 × 8 pixels, 1 channel" in page
    # titled as the held-out part, not like a report on the whole data set
    title = "lrnn report: builtin:digits, a 20 % hold-out (seed 0) (72 examples)"
    assert f"<title>{title}</title>" in page
    # the history table's rows are every 100th iteration; where the run ended is said under it
    history = parse(tmp_path / "r.html").text("history")
    assert "The run ended at iteration 20 with cost" in history


def test_the_datas_classes_are_matched_to_the_models_by_name(table_case, tmp_path):
    """A model whose positive class is the data's first (``--positive-class``) was scored with
    every label swapped when called from Python: 1.6 % against the command's 98.4 %."""
    model, test_ds, _ = table_case
    flipped = replace(
        model,
        w=-np.asarray(model.w),
        b=-float(model.b),
        classes=tuple(reversed(model.classes)),
    )  # the same predictions, the class order reversed
    same = report.write_report(tmp_path / "a.html", model=model, dataset=test_ds, history=None)
    mirrored = report.write_report(
        tmp_path / "b.html", model=flipped, dataset=test_ds, history=None
    )

    def accuracy(path):
        text = Path(path).read_text()
        return re.search(r"accuracy</th>\s*<td[^>]*>([\d.]+ %)", text).group(1)

    assert accuracy(same) == accuracy(mirrored)
    assert float(accuracy(same).split()[0]) > 90
    other = replace(model, classes=("x", "y"))
    with pytest.raises(DataError, match="differ from the model's"):
        report.write_report(tmp_path / "c.html", model=other, dataset=test_ds, history=None)


@pytest.mark.parametrize("zero_based", [False, True])
def test_svmlight_features_are_named_as_their_file_numbers_them(tmp_path, zero_based):
    """A one-based file's column 28 was named "feature 27" in the weights and mistakes."""
    from sklearn.datasets import dump_svmlight_file

    from tests.cli_helpers import run

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    X[:, 2] *= 5  # the one column that decides
    y = (X[:, 2] > 0).astype(int)
    dump_svmlight_file(X, y, str(tmp_path / "d.svm"), zero_based=zero_based)
    args = ["train", "d.svm", "--solver", "newton", "--alpha", "0.1", "--no-plot", "--report"]
    proc = run([*args, "r.html", "--model", "m.safetensors"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "r.html").read_text()
    first = 0 if zero_based else 1
    names = set(re.findall(r"feature \d+", page))
    assert names == {f"feature {first + i}" for i in range(3)}, names


def test_the_manifest_is_shown_whole(table_case, tmp_path):
    """The manifest table said "as stored in the model" but cut each value at 400 characters:
    a `lrnn train` request (≈ 470) lost its end, the part a reader needs to run it again."""
    import html
    import json

    model, test_ds, history = table_case
    request = {f"option_{i:02d}": f"value number {i}" for i in range(30)}
    assert len(json.dumps(request)) > 600
    manifest = {**model.manifest, "request": request}
    path = tmp_path / "r.html"
    report.write_report(
        path, model=replace(model, manifest=manifest), dataset=test_ds, history=history
    )
    assert html.escape(json.dumps(request, sort_keys=True)) in path.read_text(encoding="utf-8")


def test_a_long_training_fact_is_clipped_on_the_page(image_case, tmp_path):
    """A model file's training facts are shown as written; a 15 MB one (an edited file) made
    a 15 MB page."""
    model, test_ds, _ = image_case
    edited = replace(model, training={**model.training, "notes": "x" * 100_000})
    out = tmp_path / "r.html"
    report.write_report(out, model=edited, dataset=test_ds, history=None)
    page = out.read_text()
    assert "… (100000 characters in the model file)" in page and "x" * 301 not in page


def test_a_history_the_model_file_thinned_is_said_to_be(tmp_path):
    """lrnn report without --history shows the model file's copy, thinned to 1000 rows of a
    2000-row run: it said "Showing 50 of 1000 recorded rows … the history file has them all"."""
    from tests.cli_helpers import run

    options = ["--print-every", "1", "--no-plot", "--history", "h.csv", "--model", "m.safetensors"]
    assert run(["train", "digits", *options], tmp_path).returncode == 0
    assert (
        run(["report", "--model", "m.safetensors", "digits", "-o", "a.html"], tmp_path).returncode
        == 0
    )
    page = (tmp_path / "a.html").read_text()
    assert (
        "Showing 50 of the 1000 rows the model file keeps of a longer history (a "
        "run&#x27;s --history file has every row), evenly spaced" in page
    )
    args = ["report", "--model", "m.safetensors", "digits", "--history", "h.csv", "-o", "b.html"]
    assert run(args, tmp_path).returncode == 0
    assert "Showing 50 of 2000 recorded rows, evenly spaced" in (tmp_path / "b.html").read_text()


def test_a_words_chart_that_cannot_draw_its_words_says_so(tmp_path):
    """Thai words on a machine whose fonts lack Thai: the chart was a column of boxes without
    a word; the table under it says so (and spells them out)."""
    from lrnn import plots, text_report

    nowhere = "\U0010fffd"  # a private-use character: no font draws it
    assert plots.undrawable(["film", nowhere]) and not plots.undrawable(["film", "café"])
    assert "shows them as boxes" in text_report._boxes_note([nowhere, "film"])
    assert text_report._boxes_note(["film", "café"]) == ""
