"""``lrnn export``: the ONNX graph gives ``lrnn predict``'s probabilities and labels.

Every exported file is run twice, in onnxruntime and in ONNX's reference evaluator, on the
inputs ``lrnn predict`` decoded, and compared with what ``lrnn predict --json`` printed:
probabilities equal to 1e-12 (absolute and relative), labels identical. Models: a picture
model (generated PNG/JPEG/BMP files, 6 × 10 RGB), a standardised table model and, when the
lesson's files are here, the cat model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lrnn import data, inference, objective, persist
from tests.cli_helpers import assert_clean_failure, run, snapshot
from tests.conftest import needs_cat
from tests.serving_helpers import TABLE_COLUMNS, cat_test_pictures, train_models
from tests.serving_helpers import predict_json as _predict_json

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx.reference import ReferenceEvaluator  # noqa: E402


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return train_models(tmp_path_factory.mktemp("export-models"))


_PREDICTED: dict[tuple, list[dict]] = {}


def predict_json(model: Path, inputs: list, cwd: Path) -> list[dict]:
    """lrnn predict --json, run once per model and inputs in this module."""
    key = (str(model), *map(str, inputs))
    if key not in _PREDICTED:
        _PREDICTED[key] = _predict_json(model, inputs, cwd)
    return _PREDICTED[key]


def export_file(model: Path, out: Path, *extra: str) -> Path:
    proc = run(["export", "--model", model, "-o", out, *extra], out.parent)
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stdout
    return out


def run_both(path: Path, feed: np.ndarray) -> list[dict[str, np.ndarray]]:
    """The graph's outputs from onnxruntime and from the reference evaluator."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    names = [o.name for o in session.get_outputs()]
    results = [dict(zip(names, session.run(None, {name: feed}), strict=True))]
    reference = ReferenceEvaluator(str(path))
    results.append(
        dict(zip(reference.output_names, reference.run(None, {name: feed}), strict=True))
    )
    return results


def assert_same_as_lrnn(outputs: dict[str, np.ndarray], records: list[dict], classes) -> None:
    expected = np.array([r["probability"] for r in records])
    got = outputs["probabilities"]
    assert got.dtype == np.float64 and got.shape == (len(records), 2)
    diff = np.abs(got[:, 1] - expected)
    assert diff.max() <= 1e-12, diff.max()
    assert (diff / expected).max() <= 1e-12, (diff / expected).max()
    # P(negative) is σ(−z) in both, not 1 − P(positive): equal to 1e-12 relative even where
    # it is tiny
    first = np.array([r["probabilities"][classes[0]] for r in records])
    assert (np.abs(got[:, 0] - first) / first).max() <= 1e-12
    np.testing.assert_allclose(got[:, 0], 1 - expected, rtol=0, atol=1e-15)
    assert [str(v) for v in outputs["label"]] == [r["label"] for r in records]
    assert [classes[i] for i in outputs["label_index"]] == [r["label"] for r in records]


def picture_feed(model: Path, paths: list[Path]) -> np.ndarray:
    """The uint8 pixels lrnn predict decodes from these files (its own loader)."""
    spec = inference.Predictor.load(model).spec
    return data.load_inputs([str(p) for p in paths], spec).raw_images


def test_image_model_matches_predict(models):
    out = export_file(models.image, models.folder / "image.onnx")
    records = predict_json(models.image, models.pictures, models.folder)
    feed = picture_feed(models.image, models.pictures)
    assert feed.shape == (5, 6, 10, 3) and feed.dtype == np.uint8
    classes = persist.load_model(models.image).classes
    assert len({r["label"] for r in records}) == 2, "want both classes among the examples"
    for outputs in run_both(out, feed):
        assert_same_as_lrnn(outputs, records, classes)


def test_the_readme_recipe_prepares_deep_pictures_as_lrnn_does(models, tmp_path):
    """The README's steps for a graph's pixels: Pillow's convert alone turned a 16-bit grey
    picture white and a float one black (P(cat) 0.638 and 0.498 against lrnn's 0.531)."""
    from PIL import Image, ImageOps

    rng = np.random.default_rng(0)
    deep, floating = tmp_path / "g16.png", tmp_path / "f.tiff"
    Image.fromarray((rng.random((9, 14)) * 65535).astype(np.uint16)).save(deep)
    Image.fromarray(rng.random((9, 14)).astype(np.float32)).save(floating)
    height, width = picture_feed(models.image, models.pictures).shape[1:3]
    for path in (deep, floating):
        im = ImageOps.exif_transpose(Image.open(path))
        values = np.asarray(im)
        if im.mode in ("I;16", "I"):
            im = Image.fromarray(((values.astype(np.int64) + 128) // 257).astype(np.uint8))
        elif im.mode == "F":
            im = Image.fromarray(np.rint(values.astype(np.float64) * 255).astype(np.uint8))
        im = im.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
        np.testing.assert_array_equal(np.asarray(im), picture_feed(models.image, [path])[0])


def test_table_model_standardises_inside_the_graph(models):
    out = export_file(models.table, models.folder / "table.onnx")
    records = predict_json(models.table, [models.table_csv], models.folder)
    raw = pd.read_csv(models.table_csv)[TABLE_COLUMNS].to_numpy(np.float64)
    model = persist.load_model(models.table)
    assert model.preprocessing["mean"] is not None  # the graph really has work to do
    for outputs in run_both(out, raw):
        assert_same_as_lrnn(outputs, records, model.classes)


@needs_cat
def test_cat_model_matches_predict(models):
    out = export_file(models.cat, models.folder / "cat.onnx")
    pictures = cat_test_pictures(models.folder, count=50)
    records = predict_json(models.cat, pictures, models.folder)
    feed = picture_feed(models.cat, pictures)
    assert feed.shape == (50, 64, 64, 3)
    classes = persist.load_model(models.cat).classes
    for outputs in run_both(out, feed):
        assert_same_as_lrnn(outputs, records, classes)


def test_stored_threshold_is_applied(models, tmp_path):
    model = persist.load_model(models.table)
    probabilities = [
        r["probability"] for r in predict_json(models.table, [models.table_csv], models.folder)
    ]
    model.threshold = float(np.median(probabilities))  # splits the rows in two
    persist.save_model(tmp_path / "t.safetensors", model)
    records = predict_json(tmp_path / "t.safetensors", [models.table_csv], tmp_path)
    out = export_file(tmp_path / "t.safetensors", tmp_path / "t.onnx")
    raw = pd.read_csv(models.table_csv)[TABLE_COLUMNS].to_numpy(np.float64)
    for outputs in run_both(out, raw):
        assert_same_as_lrnn(outputs, records, model.classes)
        with_half = (outputs["probabilities"][:, 1] > 0.5).astype(np.int64)
        assert (outputs["label_index"] != with_half).sum() > 5


def test_extreme_logits_keep_their_relative_precision(tmp_path):
    """Logits from −745 to 745: every probability down to 1e-300 to 1e-12 relative.

    onnxruntime's own Sigmoid misses this (P = 2.06e-9 at z = −20 comes out 4e-8 off,
    relatively; anything below ~1e-16 becomes 0), which is why the graph does not use it.
    """
    z = np.concatenate([np.linspace(-745, 745, 2001), [-36.5, -20.0, -1e-300, 0.0, 1e-300]])
    w = np.array([1.0, 0.0])
    model = persist.ModelFile(
        w=w, b=0.0, classes=("no", "yes"), preprocessing={"kind": "array", "scale": 1.0}
    )
    persist.save_model(tmp_path / "x.safetensors", model)
    out = export_file(tmp_path / "x.safetensors", tmp_path / "x.onnx")
    feed = np.stack([z, np.ones_like(z)], axis=1)
    expected = objective.sigmoid(z)
    for outputs in run_both(out, feed):
        p = outputs["probabilities"]
        tiny = expected > 1e-300
        rel = np.abs(p[tiny, 1] - expected[tiny]) / expected[tiny]
        assert rel.max() <= 1e-12, rel.max()
        rel_neg = np.abs(p[:, 0] - objective.sigmoid(-z)) / np.maximum(
            objective.sigmoid(-z), 1e-300
        )
        assert rel_neg[objective.sigmoid(-z) > 1e-300].max() <= 1e-12
        assert p[z == 0.0, 1][0] == 0.5


def test_float32_graph(models):
    out = export_file(models.image, models.folder / "image32.onnx", "--float32")
    records = predict_json(models.image, models.pictures, models.folder)
    feed = picture_feed(models.image, models.pictures)
    for outputs in run_both(out, feed):
        assert outputs["probabilities"].dtype == np.float32
        expected = np.array([r["probability"] for r in records])
        assert np.abs(outputs["probabilities"][:, 1] - expected).max() <= 1e-5


def test_the_self_checks_probes_include_undecided_pictures_and_rows(models):
    """Random probes put a model at probabilities of 0 and 1, where a wrong graph agrees too:
    pictures and rows aimed at logits between −6 and 6 are added (images had none)."""
    import dataclasses

    from lrnn import export

    for path in (models.image, models.table):
        predictor = inference.Predictor.load(path)
        spec = predictor.spec  # weights 50 times larger: random probes are all 0 or 1
        model = dataclasses.replace(predictor.model, w=np.asarray(predictor.model.w) * 50)
        raw = export.probe_inputs(spec, np.asarray(model.w).shape[0], model=model)
        records = inference.predict_records(model, spec, export.raw_dataset(raw, spec))
        p = np.array([r["probability"] for r in records])
        undecided = np.sum((p > 0.01) & (p < 0.99))
        assert undecided >= 8, (path, p.round(3))


def test_a_float32_graph_that_is_wrong_is_refused_and_one_float32_cannot_hold_too(tmp_path):
    """The float32 tolerance grew with the weights until a graph with its bias dropped was
    said to agree to 0.16; it is held per row to what rounding allows, and at most 1e-2."""
    import dataclasses

    from lrnn import export
    from lrnn.errors import LrnnError, UsageError

    rng = np.random.default_rng(5)
    w = rng.normal(0, 0.1, 2000)
    model = persist.ModelFile(
        w=w, b=0.3, classes=("no", "yes"), preprocessing={"kind": "array", "scale": 1.0}
    )
    from lrnn.data.text import model_spec

    spec = model_spec(model)
    assert (
        export.self_check(export.build_graph(model, spec, float32=True), model, spec, True) < 1e-4
    )
    wrong = dataclasses.replace(model, w=w * 0.8, b=0.0)
    with pytest.raises(LrnnError, match="the exported graph disagrees with lrnn"):
        export.self_check(export.build_graph(wrong, spec, float32=True), model, spec, True)
    huge = dataclasses.replace(model, w=w * 1e6)
    with pytest.raises(UsageError, match="float32 arithmetic cannot give this model's prob"):
        export.self_check(export.build_graph(huge, spec, float32=True), huge, spec, True)


def test_graph_interface_and_metadata(models):
    out = export_file(models.image, models.folder / "meta.onnx")
    proto = onnx.load(str(out))
    onnx.checker.check_model(proto, full_check=True)
    (graph_input,) = proto.graph.input
    dims = [d.dim_param or d.dim_value for d in graph_input.type.tensor_type.shape.dim]
    assert graph_input.name == "pixels" and dims == ["N", 6, 10, 3]
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.UINT8
    assert [o.name for o in proto.graph.output] == ["label", "label_index", "probabilities"]
    ops = {n.op_type for n in proto.graph.node}
    assert "Sigmoid" not in ops and "LinearClassifier" not in ops
    props = {p.key: p.value for p in proto.metadata_props}
    model = persist.load_model(models.image)
    assert json.loads(props["classes"]) == list(model.classes)
    assert float(props["threshold"]) == model.threshold
    assert json.loads(props["preprocessing"]) == model.preprocessing


def test_default_output_next_to_the_model_and_json(models, tmp_path):
    model = tmp_path / "m.safetensors"
    model.write_bytes(models.table.read_bytes())
    proc = run(["export", "--model", model, "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["output"] == str(tmp_path / "m.onnx") and (tmp_path / "m.onnx").is_file()
    assert summary["input"] == {"name": "features", "dtype": "float64", "shape": ["N", 3]}
    assert summary["self_check_max_difference"] <= 1e-12


def test_refuses_to_overwrite_the_model(models, tmp_path):
    model = tmp_path / "m.safetensors"
    model.write_bytes(models.table.read_bytes())
    (tmp_path / "link.onnx").symlink_to(model)
    before = snapshot(tmp_path)
    for target in ("m.safetensors", "./m.safetensors", "link.onnx"):
        proc = run(["export", "--model", "m.safetensors", "-o", target], tmp_path)
        assert_clean_failure(proc, (2,), "is the model file itself")
    assert snapshot(tmp_path) == before


def test_empty_paths_and_a_link_to_another_name_are_refused(models, tmp_path):
    """-o '' is not "no -o" (it would replace the graph beside the model); --model '' or '.'
    names no model file; a link named .onnx that points at another name would write that."""
    model = tmp_path / "m.safetensors"
    model.write_bytes(models.table.read_bytes())
    export_file(model, tmp_path / "m.onnx")
    (tmp_path / "g.onnx").symlink_to("notes.txt")
    before = snapshot(tmp_path)
    cases = [
        (["--model", "m.safetensors", "-o", ""], "-o is empty"),
        (["--model", ""], "no such file"),
        (["--model", "."], "is a folder"),
        (["--model", "m.safetensors", "-o", "g.onnx"], "not an .onnx name"),
    ]
    for args, said in cases:
        assert_clean_failure(run(["export", *args], tmp_path), (2,), said)
    assert snapshot(tmp_path) == before and not (tmp_path / "notes.txt").exists()


def test_refuses_a_missing_folder_before_any_work(models, tmp_path):
    proc = run(["export", "--model", models.table, "-o", tmp_path / "no" / "m.onnx"], tmp_path)
    assert_clean_failure(proc, (2,), "does not exist")


def test_predict_still_prints_what_it_printed(models):
    """lrnn predict goes through lrnn.inference; its text lines are the JSON records'."""
    proc = run(["predict", "--model", models.table, models.table_csv], models.folder)
    records = predict_json(models.table, [models.table_csv], models.folder)
    header, *lines = proc.stdout.splitlines()
    assert header.startswith("name\tP(")
    assert len(lines) == len(records)
    for line, r in zip(lines, records, strict=True):
        assert line == f"{r['name']}\t{r['probability']:.6f}\t{r['label']}"


def test_multiclass_model_matches_predict(tmp_path):
    """A softmax layer: probabilities (N, K) as lrnn's softmax computes them (the row maximum
    subtracted first), the most probable class as the label — in both runtimes."""
    proc = run(
        ["train", "digits10", "--iterations", "40", "--no-plot", "--model", "d10.safetensors"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = export_file(tmp_path / "d10.safetensors", tmp_path / "d10.onnx")
    model = persist.load_model(tmp_path / "d10.safetensors")
    pictures = []
    digits = data.builtin("digits10")
    for i in range(0, 1797, 90):  # twenty pictures of every kind, saved as lrnn predict reads them
        path = tmp_path / f"{i}.png"
        Image.fromarray(digits.raw_images[i, :, :, 0]).save(path)
        pictures.append(path)
    records = predict_json(tmp_path / "d10.safetensors", pictures, tmp_path)
    feed = picture_feed(tmp_path / "d10.safetensors", pictures)
    K = len(model.classes)
    assert K == 10 and len({r["label"] for r in records}) >= 3
    expected = np.array([[r["probabilities"][c] for c in model.classes] for r in records])
    for outputs in run_both(out, feed):
        got = outputs["probabilities"]
        assert got.dtype == np.float64 and got.shape == (len(records), K)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
        assert [str(v) for v in outputs["label"]] == [r["label"] for r in records]
        assert [model.classes[i] for i in outputs["label_index"]] == [r["label"] for r in records]
    # Weights so large that the model's own logits overflow: named as the model's fault
    import dataclasses

    huge = np.zeros_like(model.w)
    huge[:, 0], huge[:, 1] = 1e308, -1e308
    persist.save_model(tmp_path / "huge.safetensors", dataclasses.replace(model, w=huge))
    proc = run(["export", "--model", "huge.safetensors", "-o", "huge.onnx"], tmp_path)
    assert proc.returncode == 2 and not (tmp_path / "huge.onnx").exists()
    assert "the model's probabilities are not finite" in proc.stderr.splitlines()[-1]


def test_the_graph_does_not_check_its_input(tmp_path):
    """What README says the graph does with rows lrnn itself refuses (NaN, ±inf)."""
    model = persist.ModelFile(
        w=np.array([1.0, -2.0]), b=0.5, classes=("no", "yes"), preprocessing={"kind": "array"}
    )
    persist.save_model(tmp_path / "x.safetensors", model)
    out = export_file(tmp_path / "x.safetensors", tmp_path / "x.onnx")
    feed = np.array([[np.nan, 0.0], [np.inf, 0.0], [-np.inf, 0.0]])
    for outputs in run_both(out, feed):
        p = outputs["probabilities"]
        assert np.isnan(p[0]).all() and outputs["label_index"][0] == 0
        assert p[1].tolist() == [0.0, 1.0] and p[2].tolist() == [1.0, 0.0]


def test_weights_too_large_to_score_are_one_line_and_nothing_written(tmp_path):
    """The graph's own products overflow on such weights: numpy's RuntimeWarning from inside
    the evaluator used to come before lrnn's one line."""
    model = persist.ModelFile(
        w=np.array([1e308, 1e308]), b=0.0, classes=("no", "yes"),
        preprocessing={"kind": "array", "scale": 1.0},
    )  # fmt: skip
    persist.save_model(tmp_path / "big.safetensors", model)
    result = run(["export", "--model", "big.safetensors", "-o", "b.onnx"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: the model's probabilities are not finite on ordinary inputs (its weights are so "
        "large that the logits overflow); nothing was written — retrain it."
    ]
    assert not (tmp_path / "b.onnx").exists()


def test_the_float32_self_check_measures_rows_whose_probabilities_are_not_0_or_1(tmp_path):
    """Random rows put a model with large weights at probabilities of exactly 0 and 1, where
    any graph agrees: a float32 export was said to agree "to 9.2e-34" while it was 2e-6 off
    on the training rows. The probes now include rows at logits between −6 and 6."""
    from lrnn.export import export

    rng = np.random.default_rng(3)
    w = 300.0 * rng.choice([-1.0, 1.0], 30)
    model = persist.ModelFile(
        w=w, b=0.5, classes=("no", "yes"), preprocessing={"kind": "array", "scale": 1.0}
    )
    persist.save_model(tmp_path / "large.safetensors", model)
    said = {}
    for float32 in (False, True):
        out = tmp_path / f"large-{float32}.onnx"
        said[float32] = export(tmp_path / "large.safetensors", out, float32=float32)
    assert said[False]["self_check_max_difference"] <= 1e-12
    assert 1e-7 < said[True]["self_check_max_difference"] < 1e-2
    # what it says is what onnxruntime shows on rows near the decision boundary
    ort = pytest.importorskip("onnxruntime")
    session = ort.InferenceSession(str(tmp_path / "large-True.onnx"))
    x = rng.standard_normal((200, 30))
    x -= np.outer(x @ w / (w @ w), w)  # on the boundary: z = 0.5
    x += np.outer(np.linspace(-6, 6, 200) / (w @ w), w)
    got = session.run(None, {"features": x.astype(np.float32)})[2][:, 1]
    exact = 1 / (1 + np.exp(-(x @ w + 0.5)))
    assert 1e-7 < np.max(np.abs(got - exact)) < 10 * said[True]["self_check_max_difference"]
