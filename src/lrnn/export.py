"""``lrnn export``: a saved model as an ONNX graph that gives lrnn's probabilities.

The graph takes what ``lrnn predict`` has after decoding its inputs, and does the rest itself:

* image models: ``pixels``, uint8 ``(N, H, W, C)`` at the model's size and channel count (the
  picture after EXIF rotation, conversion and resizing), flattened in C order — row, column,
  channel — exactly as :mod:`lrnn.data` flattens pictures;
* table and array models: ``features``, ``(N, n_features)`` raw values in the model's feature
  order; the standardisation ``(x − mean) / std`` stored in the model happens in the graph.

Outputs: ``probabilities`` ``(N, 2)`` — [P(classes[0]), P(classes[1])] —, ``label_index``
int64 ``(N,)`` and ``label`` (the class name, a string tensor), the model's stored threshold
applied as in ``lrnn predict`` (``classes[1]`` when its probability is strictly above it). The
class names, threshold, preprocessing and lrnn version also travel in the model's
``metadata_props``.

Why the graph is built from plain operators (Cast, Flatten, Sub, Div, MatMul, Mul, Add, Exp…)
rather than ONNX-ML's ``LinearClassifier``: that operator exists in float32 only, which is
where converted linear models lose digits. Here the arithmetic is float64 unless ``--float32``
asks otherwise, and it follows lrnn's order of operations: ``z = (x · w) · scale + b`` (the
1/255 of pictures multiplies the dot product, as in :func:`lrnn.objective.logits`), then the
overflow-free sigmoid of :func:`lrnn.objective.sigmoid` — ``e = exp(−|z|)``, ``1/(1+e)`` or
``e/(1+e)`` by sign. ONNX's own ``Sigmoid`` is not used: onnxruntime's float64 kernel loses
relative precision for small probabilities (P = 2.06e-9 at z = −20 comes out 4e-8 off,
relatively, and anything below about 1e-16 becomes 0).

:func:`_logits` produces ``(N, K)`` logits; the binary head turns the single logit into the pair
``[−z, z]`` before the sigmoid, and a softmax layer's head is the softmax as
:func:`lrnn.softmax.softmax` computes it (row maximum subtracted, Exp, divided by the row sum)
followed by an ArgMax.

Before the file is written, the graph is run in ONNX's reference evaluator on probe inputs and
compared with :func:`lrnn.inference.predict_records`; a graph that disagrees is never written.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from lrnn import data, files, inference, persist
from lrnn._version import __version__
from lrnn.data import images as image_io
from lrnn.errors import DataError, LrnnError, ModelFileError, UsageError

#: The operator set the graph is written for; onnxruntime 1.13 and later run it.
OPSET = 17
#: The ONNX IR version matching :data:`OPSET` (newer runtimes read older files).
IR_VERSION = 8
#: Largest difference from lrnn accepted by the self-check, per arithmetic.
CHECK_TOLERANCE = {"float64": 1e-12, "float32": 1e-4}
#: How many probe examples the self-check runs.
PROBE_EXAMPLES = 16


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as e:
        raise UsageError(
            "lrnn export needs the onnx package; install it with pip install onnx onnxruntime "
            "(lrnn's 'onnx' extra)."
        ) from e
    return onnx


def build_graph(
    model: persist.ModelFile, spec: data.Preprocessing, *, float32: bool = False
) -> Any:
    """The ONNX ``ModelProto`` for ``model`` (see the module docstring for its interface)."""
    onnx = _onnx()
    from onnx import TensorProto, helper

    ftype = TensorProto.FLOAT if float32 else TensorProto.DOUBLE
    dtype = np.float32 if float32 else np.float64
    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, value: Any, as_dtype: Any = dtype) -> str:
        inits.append(onnx.numpy_helper.from_array(np.asarray(value, dtype=as_dtype), name))
        return name

    weights = np.asarray(model.w, dtype=np.float64)
    graph_input, x = _features(spec, weights.shape[0], ftype, nodes, const)
    if weights.ndim == 2:  # a softmax layer: W (n, K), b (K,)
        logits = _logits(x, weights, np.asarray(model.b), spec.scale, nodes, const)
        outputs = _softmax_head(logits, model.classes, ftype, nodes, const)
        what = f"a softmax layer of {len(model.classes)} neurons"
    else:
        logits = _logits(x, weights.reshape(-1, 1), np.array([model.b]), spec.scale, nodes, const)
        outputs = _binary_head(logits, model.classes, model.threshold, ftype, nodes, const)
        what = f"{model.classes[1]!r} vs {model.classes[0]!r}: one sigmoid neuron"

    graph = helper.make_graph(
        nodes,
        "lrnn_neuron",
        [graph_input],
        outputs,
        initializer=inits,
        doc_string=f"lrnn {what}",
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="lrnn",
        producer_version=__version__,
        doc_string="Logistic regression as a single neuron, exported by lrnn export.",
    )
    proto.ir_version = IR_VERSION
    meta = {
        "lrnn_version": __version__,
        "classes": json.dumps(list(model.classes)),
        "threshold": repr(float(model.threshold)),
        "preprocessing": json.dumps(spec.to_dict()),
        "feature_names": json.dumps(model.feature_names),
        "arithmetic": "float32" if float32 else "float64",
        "outputs": "probabilities (N, K) = [P(classes[0]), …, P(classes[K-1])]; label_index "
        "int64 (N,): two classes, 1 when P(classes[1]) > threshold; K classes, the most probable "
        "(the first on ties); label = classes[label_index]",
    }
    helper.set_model_props(proto, meta)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _features(
    spec: data.Preprocessing, n: int, ftype: int, nodes: list, const: Any
) -> tuple[Any, str]:
    """The graph input and the nodes that turn it into ``(N, n)`` rows of floats."""
    from onnx import TensorProto, helper

    if spec.kind == "image":
        h, w, c = spec.image_shape  # type: ignore[misc]
        graph_input = helper.make_tensor_value_info("pixels", TensorProto.UINT8, ["N", h, w, c])
        nodes.append(helper.make_node("Cast", ["pixels"], ["pixels_float"], to=ftype))
        # Flatten keeps C order: row, column, channel — the order of lrnn.data's reshape.
        nodes.append(helper.make_node("Flatten", ["pixels_float"], ["x"], axis=1))
        return graph_input, "x"
    graph_input = helper.make_tensor_value_info("features", ftype, ["N", n])
    if spec.mean is None or spec.std is None:
        return graph_input, "features"
    nodes.append(helper.make_node("Sub", ["features", const("mean", spec.mean)], ["centred"]))
    nodes.append(helper.make_node("Div", ["centred", const("std", spec.std)], ["x"]))
    return graph_input, "x"


def _logits(x: str, w: np.ndarray, b: np.ndarray, scale: float, nodes: list, const: Any) -> str:
    """``(N, K)`` logits ``(x · W) · scale + b``, in lrnn's order of operations."""
    from onnx import helper

    nodes.append(helper.make_node("MatMul", [x, const("W", w)], ["xw"]))
    product = "xw"
    if scale != 1.0:
        nodes.append(helper.make_node("Mul", ["xw", const("scale", scale)], ["xw_scaled"]))
        product = "xw_scaled"
    nodes.append(helper.make_node("Add", [product, const("b", b)], ["logits"]))
    return "logits"


def _binary_head(
    logits: str, classes: Any, threshold: float, ftype: int, nodes: list, const: Any
) -> list:
    """One logit → [P(neg), P(pos)] with the stable sigmoid, then the thresholded label."""
    from onnx import TensorProto, helper

    nodes.append(helper.make_node("Neg", [logits], ["neg_logits"]))
    nodes.append(helper.make_node("Concat", ["neg_logits", logits], ["pair"], axis=1))
    _stable_sigmoid("pair", "probabilities", nodes, const)
    one = const("index_one", 1, np.int64)
    nodes.append(helper.make_node("Gather", ["probabilities", one], ["p_pos"], axis=1))
    nodes.append(helper.make_node("Greater", ["p_pos", const("threshold", threshold)], ["above"]))
    nodes.append(helper.make_node("Cast", ["above"], ["label_index"], to=TensorProto.INT64))
    names = const("class_names", np.array(list(classes), dtype=object), object)
    nodes.append(helper.make_node("Gather", [names, "label_index"], ["label"], axis=0))
    return [
        helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
        helper.make_tensor_value_info("label_index", TensorProto.INT64, ["N"]),
        helper.make_tensor_value_info("probabilities", ftype, ["N", 2]),
    ]


def _softmax_head(logits: str, classes: Any, ftype: int, nodes: list, const: Any) -> list:
    """K logits → softmax probabilities as :func:`lrnn.softmax.softmax` computes them (the row
    maximum subtracted first, so exp never overflows), then the most probable class."""
    from onnx import TensorProto, helper

    K = len(classes)
    nodes += [
        helper.make_node("ReduceMax", [logits], ["row_max"], axes=[1], keepdims=1),
        helper.make_node("Sub", [logits, "row_max"], ["shifted"]),
        helper.make_node("Exp", ["shifted"], ["e"]),
        helper.make_node("ReduceSum", ["e", const("class_axis", [1], np.int64)], ["e_sum"]),
        helper.make_node("Div", ["e", "e_sum"], ["probabilities"]),
        helper.make_node("ArgMax", ["probabilities"], ["label_index"], axis=1, keepdims=0),
    ]
    names = const("class_names", np.array(list(classes), dtype=object), object)
    nodes.append(helper.make_node("Gather", [names, "label_index"], ["label"], axis=0))
    return [
        helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
        helper.make_tensor_value_info("label_index", TensorProto.INT64, ["N"]),
        helper.make_tensor_value_info("probabilities", ftype, ["N", K]),
    ]


def _stable_sigmoid(z: str, out: str, nodes: list, const: Any) -> None:
    """σ(z) as :func:`lrnn.objective.sigmoid` computes it: exp only of −|z|."""
    from onnx import helper

    one, zero = const("one", 1.0), const("zero", 0.0)
    nodes += [
        helper.make_node("Abs", [z], [f"{z}_abs"]),
        helper.make_node("Neg", [f"{z}_abs"], [f"{z}_neg_abs"]),
        helper.make_node("Exp", [f"{z}_neg_abs"], [f"{z}_e"]),
        helper.make_node("Add", [f"{z}_e", one], [f"{z}_denominator"]),
        helper.make_node("GreaterOrEqual", [z, zero], [f"{z}_nonnegative"]),
        helper.make_node("Where", [f"{z}_nonnegative", one, f"{z}_e"], [f"{z}_numerator"]),
        helper.make_node("Div", [f"{z}_numerator", f"{z}_denominator"], [out]),
    ]


# --------------------------------------------------------------------------------------------
# The self-check and the command


def probe_inputs(
    spec: data.Preprocessing, n: int, m: int = PROBE_EXAMPLES, model: Any = None
) -> np.ndarray:
    """Deterministic raw inputs for the self-check: random pictures (plus all-black and
    all-white) or random rows around the model's mean — and, given the model, rows whose
    logits lie between −6 and 6. Random rows alone put a model with large weights at
    probabilities of exactly 0 and 1, where any two graphs agree: a float32 graph was said to
    agree "to 9.2e-34" and differed by 2e-6 on the training rows."""
    rng = np.random.default_rng(0)
    if spec.kind == "image":
        shape = (m, *spec.image_shape)  # type: ignore[misc]
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        pixels[0], pixels[1] = 0, 255
        if model is not None:
            with np.errstate(all="ignore"):
                pixels = np.concatenate([pixels, _pictures_at_logits(model, spec, shape)])
        return pixels
    rows = rng.standard_normal((m, n)) * 3
    if model is not None:
        with np.errstate(all="ignore"):  # weights that overflow are said by the self-check
            rows = np.vstack([rows, _rows_at_logits(model, spec, rng, m)])
    if spec.mean is not None and spec.std is not None:
        rows = np.asarray(spec.mean) + rows * np.asarray(spec.std)
    return rows


def _pictures_at_logits(model: Any, spec: data.Preprocessing, shape: tuple) -> np.ndarray:
    """Pictures whose logits lie near −6 … 6: mid-grey, each pixel moved the same amount
    towards or away from its weight's sign (pixels are whole numbers from 0 to 255, so the
    logits land near their targets, not on them)."""
    w = np.asarray(model.w, dtype=np.float64)
    w = w[:, None] if w.ndim == 1 else w
    b = np.atleast_1d(np.asarray(model.b, dtype=np.float64))
    out = np.full(shape, 128, dtype=np.uint8)
    for i, target in enumerate(np.linspace(-6.0, 6.0, shape[0])):
        k = i % w.shape[1]
        column = w[:, k] * spec.scale
        reach = float(np.sum(np.abs(column)))
        if not (np.isfinite(reach) and reach > 0):
            continue
        step = (target - b[k % b.size] - 128 * float(np.sum(column))) / reach
        moved = 128 + np.clip(step, -128, 127) * np.sign(column)
        out[i] = np.clip(np.rint(moved), 0, 255).astype(np.uint8).reshape(shape[1:])
    return out


def _rows_at_logits(model: Any, spec: data.Preprocessing, rng: Any, m: int) -> np.ndarray:
    """Rows (before the model's mean and std are put back) at logits spread over [−6, 6]: a
    random row plus the step along one class's weights that moves its logit there."""
    w = np.asarray(model.w, dtype=np.float64)
    w = w[:, None] if w.ndim == 1 else w
    b = np.atleast_1d(np.asarray(model.b, dtype=np.float64))
    rows = rng.standard_normal((m, w.shape[0]))
    targets = np.linspace(-6.0, 6.0, m)
    for i, target in enumerate(targets):
        k = i % w.shape[1]
        direction = w[:, k] * spec.scale
        norm = float(direction @ direction)
        if not (np.isfinite(norm) and norm > 0):
            continue
        z = float(rows[i] @ direction) + b[k % b.size]
        rows[i] += (target - z) / norm * direction
    return rows


def raw_dataset(raw: np.ndarray, spec: data.Preprocessing) -> data.Dataset:
    """Raw graph inputs as the Dataset :mod:`lrnn.data` would build from the same values."""
    names = [str(i) for i in range(raw.shape[0])]
    if spec.kind == "image":
        return image_io.image_dataset(raw, None, None, names, "probe")
    X = np.asarray(raw, dtype=np.float64)
    return data.Dataset(spec.transform(X), None, None, names, spec, "probe")


def self_check(
    proto: Any, model: persist.ModelFile, spec: data.Preprocessing, float32: bool
) -> float:
    """Run ``proto`` in ONNX's reference evaluator on probe inputs; compare with lrnn.

    Returns the largest probability difference; raises when it exceeds the tolerance or a
    label differs away from the threshold.
    """
    from onnx.reference import ReferenceEvaluator

    n = np.asarray(model.w).shape[0]
    raw = probe_inputs(spec, n, model=model)
    feed = raw if spec.kind == "image" else raw.astype(np.float32 if float32 else np.float64)
    # huge weights overflow in the graph's own arithmetic: said below, as one line, not as
    # numpy's RuntimeWarning from inside the evaluator
    with np.errstate(over="ignore", invalid="ignore"):
        label, _, probabilities = ReferenceEvaluator(proto).run(None, {_input_name(spec): feed})
    overflowed = ModelFileError(
        "the model's probabilities are not finite on ordinary inputs (its "
        "weights are so large that the logits overflow); nothing was written — retrain it."
    )
    try:
        records = inference.predict_records(model, spec, raw_dataset(raw, spec))
    except DataError as exc:  # the model's own arithmetic overflowed, not the graph's
        raise overflowed from exc
    expected = np.array([list(r["probabilities"].values()) for r in records], dtype=np.float64)
    if not np.isfinite(expected).all():
        raise overflowed
    gaps = np.max(np.abs(probabilities.astype(np.float64) - expected), axis=1)
    lrnn_float32 = np.asarray(model.w).dtype == np.float32
    tol = np.full(len(gaps), CHECK_TOLERANCE["float32" if float32 or lrnn_float32 else "float64"])
    capped = np.zeros(len(gaps), dtype=bool)
    if float32 or lrnn_float32:  # each row as far as float32 can be right for it, no further
        bound = _float32_bounds(model, spec, raw, expected)
        capped = bound > FLOAT32_CAP
        tol = np.maximum(tol, np.minimum(bound, FLOAT32_CAP))
    if expected.shape[1] == 2:  # a label may flip where P(positive) sits on the threshold
        near = np.abs(expected[:, 1] - model.threshold) <= tol
    else:  # … or where the two most probable classes tie to within the tolerance
        top2 = np.sort(expected, axis=1)[:, -2:]
        near = top2[:, 1] - top2[:, 0] <= 2 * tol
    labels_ok = all(
        str(got) == r["label"] or close for got, r, close in zip(label, records, near, strict=True)
    )
    worst = int(np.argmax(gaps / tol))
    if float32 and not gaps[worst] <= tol[worst] and capped[worst]:
        raise UsageError(  # the arithmetic's limit, not a wrong graph
            f"float32 arithmetic cannot give this model's probabilities to {FLOAT32_CAP:g} "
            f"(off by {gaps[worst]:.3g} on a probe row: its weights times its features reach "
            f"{_largest_product(model, spec, raw):.3g}, where float32 keeps 7 digits); nothing "
            "was written — export it without --float32."
        )
    if not np.all(gaps <= tol) or not labels_ok:
        raise LrnnError(
            f"the exported graph disagrees with lrnn (probability difference {gaps[worst]:.3g} "
            f"on a probe row, tolerance {tol[worst]:.3g}); nothing was written — this is a bug "
            "in lrnn export, please report it with the model file."
        )
    return float(np.max(gaps))


#: The most a float32 graph's probability may be off on any probe row, whatever the rounding
#: bound allows: a wider tolerance passed a wrong graph (a bias dropped was "agreed with" to
#: 0.16 on a 2000-feature model). Beyond it the model is refused, with float64 as the way out.
FLOAT32_CAP = 1e-2


def _magnitudes(model: persist.ModelFile, spec: data.Preprocessing, raw: np.ndarray) -> Any:
    """Per probe row and class, Σ_j |x_j w_j| (with the raw values' own size when the graph
    standardizes them: a float32 rounds x before (x − mean) / std) plus |b|."""
    X = np.abs(np.asarray(raw_dataset(raw, spec).X, dtype=np.float64))
    if spec.mean is not None and spec.std is not None:
        flat = np.abs(np.asarray(raw, dtype=np.float64).reshape(len(raw), -1))
        X = X + flat / np.abs(np.asarray(spec.std, dtype=np.float64))
    w = np.abs(np.asarray(model.w, dtype=np.float64))
    w = w[:, None] if w.ndim == 1 else w
    with np.errstate(all="ignore"):
        return X @ w * abs(spec.scale) + np.abs(np.asarray(model.b, dtype=np.float64))


def _largest_product(model: persist.ModelFile, spec: data.Preprocessing, raw: np.ndarray) -> float:
    return float(np.max(_magnitudes(model, spec, raw), initial=0.0))


def _float32_bounds(
    model: persist.ModelFile, spec: data.Preprocessing, raw: np.ndarray, expected: np.ndarray
) -> np.ndarray:
    """How far float32 may put each probe row's probabilities from the float64 ones
    (``expected``): its logit sums n rounded products, off by about δ = (√n + 2)·ε·Σ|x_j w_j|
    (rounding errors add up like a random walk), and a probability p moves by about
    p(1 − p)·δ — less where p is near 0 or 1 (e^δ allows for p itself moving). Weights near a
    thousand (a nearly separable table with little L2) leave float32 1e-4 off where the
    probabilities are not 0 or 1 — the graph is right there."""
    size = np.max(_magnitudes(model, spec, raw), axis=1)
    n = np.asarray(model.w).shape[0]
    delta = (math.sqrt(n) + 2) * float(np.finfo(np.float32).eps) * size
    if expected.shape[1] == 2:
        spread = expected[:, 1] * expected[:, 0]  # p(1 − p), at most ¼
    else:
        spread = 0.5 * (1 - np.max(expected, axis=1))
    with np.errstate(over="ignore"):
        return np.minimum(0.25, spread * np.exp(np.minimum(delta, 50.0))) * delta


def _input_name(spec: data.Preprocessing) -> str:
    return "pixels" if spec.kind == "image" else "features"


def default_output(model_path: str) -> str:
    """``model.safetensors`` → ``model.onnx`` next to it."""
    p = Path(model_path)
    return str(p.with_name(p.name.removesuffix(".safetensors") + ".onnx"))


def check_output(output: str, model_path: str) -> None:
    """Fail before any work: an ``.onnx`` file path that is not the model itself and holds no
    file that lrnn did not export (a default path beside the model is as protected as a
    given one: the user never chose it)."""
    if Path(output).is_dir():
        raise UsageError(f"{output}: is a folder; give a file name such as model.onnx.")
    out, src = Path(output), Path(model_path)
    same = out.resolve() == src.resolve()
    if not same and out.exists() and src.exists():
        same = os.path.samefile(out, src)
    if same:
        raise UsageError(
            f"{output}: is the model file itself; give another output path such as "
            f"{default_output(model_path)}."
        )
    if out.suffix.lower() != ".onnx":
        raise UsageError(
            f"-o {output}: an ONNX graph is written as .onnx; give a name such as "
            f"{default_output(model_path)}."
        )
    target = Path(os.path.realpath(out))
    if target.suffix.lower() != ".onnx":  # a link named .onnx would write its target
        raise UsageError(
            f"-o {output}: is a link to {target}, which is not an .onnx name; give the graph's "
            "own path, or remove the link."
        )
    files.check_writable(output)
    if out.is_file() and not exported_by_lrnn(out):
        raise UsageError(
            f"{output} already exists and was not written by lrnn export, so it is left alone; "
            "give another -o path, or move that file away."
        )


def exported_by_lrnn(path: Path) -> bool:
    """An ONNX file whose producer is lrnn (or an empty file, which holds nothing to lose).

    A serialized ModelProto starts with its fields in number order: ir_version (field 1, a
    varint), then producer_name (field 2) — so lrnn's graphs begin 0x08, a varint, 0x12 0x04
    "lrnn". Reading those few bytes needs no ONNX library and trusts nothing in the file.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    if not head:
        return True
    if head[0] != 0x08:
        return False
    i = 1
    while i < len(head) and head[i] & 0x80:  # the varint's continuation bytes
        i += 1
    return head[i + 1 : i + 7] == b"\x12\x04lrnn"


def export(
    model_path: str, output: str | os.PathLike | None = None, *, float32: bool = False
) -> dict:
    """Write the ONNX file for ``model_path``; returns a summary for the command line."""
    if not Path(model_path).is_file():  # '' or '.' named no file to put a default name beside
        inference.Predictor.load(model_path)  # raises the one-line error every command gives
    if output is not None and not os.fspath(output).strip():  # '' is not "no -o": no file
        raise UsageError("-o is empty; give a file name, e.g. model.onnx.")
    output = default_output(model_path) if output is None else os.fspath(output)
    check_output(output, model_path)
    _onnx()
    predictor = inference.Predictor.load(model_path)
    if predictor.spec.kind == "text":
        raise UsageError(
            f"{model_path}: is a text model, whose tokenizer and vocabulary an ONNX graph cannot "
            "hold; use lrnn predict or lrnn serve with it instead."
        )
    proto = build_graph(predictor.model, predictor.spec, float32=float32)
    diff = self_check(proto, predictor.model, predictor.spec, float32)
    blob = proto.SerializeToString()
    try:
        files.atomic_write_bytes(output, blob)
    except OSError as e:
        raise LrnnError(
            f"{output}: cannot write ({e.strerror or e}); check the folder is writable and has "
            "free space."
        ) from e
    spec = predictor.spec
    shape = ["N", *spec.image_shape] if spec.kind == "image" else ["N", predictor.n_features]
    return {
        "output": output,
        "bytes": len(blob),
        "input": {
            "name": _input_name(spec),
            "dtype": "uint8" if spec.kind == "image" else ("float32" if float32 else "float64"),
            "shape": shape,
        },
        "outputs": ["label", "label_index", "probabilities"],
        "classes": list(predictor.classes),
        "threshold": predictor.model.threshold,
        "arithmetic": "float32" if float32 else "float64",
        "self_check_max_difference": diff,
    }
