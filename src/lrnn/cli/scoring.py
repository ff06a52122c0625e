"""``lrnn predict`` and ``lrnn evaluate``: a saved model on new data, wiring only.

Predictions come from :mod:`lrnn.inference` (the path ``lrnn serve`` and ``lrnn export`` share),
scores from :mod:`lrnn.metrics`; this module parses nothing and computes nothing of its own.
"""

from __future__ import annotations

import argparse
import math
import sys
import unicodedata
import warnings
from typing import Any

import numpy as np

from lrnn.cli.commands import _out
from lrnn.cli.saved_model import load_model_and_spec, logits
from lrnn.cli.train_lines import say_if_label_is_unused, scored_label, six_decimals
from lrnn.errors import UsageError, printable


def cmd_predict(args: argparse.Namespace) -> int:
    from lrnn import data
    from lrnn.inference import iter_records, threshold_problem

    model, spec = load_model_and_spec(args.model, args.encoding, args.text_column, args.inputs)
    many = len(model.classes) > 2
    problem = threshold_problem(args.threshold, len(model.classes))
    if problem is not None:  # before any data is read
        raise UsageError(f"{args.model}: --threshold {args.threshold:g}: {problem}; drop it.")
    if args.top is not None and args.threshold is not None and not args.json:
        warnings.warn(  # the lines rank classes by probability alone: no label to decide
            f"--threshold {args.threshold:g} decides the label, which --top's lines do not "
            "show (they rank the classes by probability); add --json for both, or drop one.",
            stacklevel=2,
        )
    if args.top is not None and args.top > len(model.classes):
        warnings.warn(
            f"--top {args.top}: the model has {len(model.classes)} classes, so every one is shown.",
            stacklevel=2,
        )
    tables = [p for p in args.inputs if p.lower().endswith(data.TABLE_SUFFIXES)]
    if args.text_column is not None and not tables:  # it was ignored without a word
        warnings.warn(
            "--text-column names a CSV/Parquet table's column of documents; these inputs are "
            "documents themselves, so it is ignored — drop it.",
            stacklevel=2,
        )
    if args.inputs.count("-") > 1:
        raise UsageError("'-' (standard input) is given more than once; give it once.")
    say_if_label_is_unused(args.label, spec, scoring=False, predicting=True)
    if args.inputs == ["-"] and args.id is not None:
        raise data.id_refused("- (standard input) gives documents, named by their line")
    if args.inputs == ["-"] and spec.kind == "text":  # a stream: scored a batch at a time
        datasets: Any = _stdin_datasets(spec)
    elif len(args.inputs) == 1 and data.scored_streamed(args.inputs[0]):  # a block at a time
        label = args.label or spec.label_column or "label"
        source, ds = data.load_streamed(args.inputs[0], spec, label, False, args.id)
        datasets = data.streamed_blocks(source, ds)
    else:
        datasets = [data.load_inputs(args.inputs, spec, label=args.label, name_column=args.id)]
    for number, ds in enumerate(datasets):
        records = iter_records(model, spec, ds, args.threshold, args.top)
        if number == 0 and not args.json:
            if args.top is not None:
                print("name\tclass=probability, most probable first")
            elif many:
                print("name\tprobability of the label\tlabel")
            else:  # the neuron's a = σ(z): the probability of the positive class
                print(f"name\tP({model.classes[1]})\tlabel")
        for record in records:
            if args.json:
                _out(args, **record)
            elif args.top is not None:
                ranked = "\t".join(f"{c}={p:.6f}" for c, p in record["probabilities"].items())
                print(f"{_cell(record['name'])}\t{ranked}")
            else:
                print(f"{_cell(record['name'])}\t{record['probability']:.6f}\t{record['label']}")
        sys.stdout.flush()
    return 0


def _stdin_datasets(spec: Any) -> Any:
    from lrnn.data.text import documents_dataset
    from lrnn.data.text_stdin import stdin_batches

    for docs, names in stdin_batches(spec.text["encoding"]):
        yield documents_dataset(docs, None, names, "-", None, spec)


def _cell(name: str) -> str:
    """A file name as one cell of the tab-separated table: a tab, newline or terminal escape
    in a name (a downloaded folder's) would forge columns or rows, so such a name is shown
    escaped, as Python writes it."""
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return ascii(name)[1:-1]
    return name


def cmd_evaluate(args: argparse.Namespace) -> int:
    from lrnn import files, metrics, persist
    from lrnn.objective import sigmoid

    if args.threshold is not None and args.choose_threshold:
        raise UsageError(
            "--threshold sets the threshold and --choose-threshold picks one; give only one of "
            "them."
        )
    if args.save:  # before any work: a model that cannot be written back costs nothing
        files.check_writable(args.model)
    model, spec = load_model_and_spec(args.model, args.encoding, args.text_column, [args.data])
    say_if_label_is_unused(args.label, spec, scoring=True)
    if len(model.classes) > 2:
        return _evaluate_classes(args, model, spec)
    if args.save and not args.choose_threshold:  # (a K-class model has no threshold to save)
        raise UsageError("--save stores a threshold chosen with --choose-threshold; add it.")
    ds, z, digest = _scored(args, model, spec)
    if digest is None:  # which data this is, to the model: taken once, asked three ways below
        from lrnn.data import data_sha256

        digest = data_sha256(ds.X, ds.y)
    p = sigmoid(z)
    threshold = model.threshold if args.threshold is None else args.threshold
    source = "the model's" if args.threshold is None else "--threshold"
    if args.choose_threshold:
        threshold = metrics.choose_threshold(p, ds.y, args.choose_threshold)
        source = f"chosen by {args.choose_threshold} on this data"
        warnings.warn(
            "the threshold was chosen on the same data it is scored on, so these scores are "
            "optimistic; choose it on validation data and evaluate on separate test data.",
            UserWarning,
            stacklevel=1,
        )
    result = metrics.evaluate(z, ds.y, threshold)
    # threshold-free: how well the probabilities rank the examples (NaN with one class only)
    auc = metrics.roc_auc(ds.y, z)  # z ranks where σ rounded to 0 or 1 and tied examples
    _say_if_trained_on(args.data, model, ds, digest)  # once nothing can fail: one line
    if args.threshold is None and not args.choose_threshold:
        from lrnn.after_training import threshold_chosen_on

        if (chosen := threshold_chosen_on(model, digest)) is not None:
            warnings.warn(
                f"{args.data}: {chosen}; evaluate on data apart from the threshold's.",
                UserWarning,
                stacklevel=1,
            )
            source = "the model's, chosen on these examples"  # the threshold line says it too
    if args.json:
        predicted = (p > threshold).astype(np.intp)
        scores = metrics.evaluate_classes(predicted, ds.y, model.classes, result.log_loss)
        table = scores.to_json()
        _out(
            args,
            **result.to_json(),
            roc_auc=auc,
            threshold_source=source,
            **{k: table[k] for k in ("classes", "confusion_matrix")},
            per_class=scores.per_class(zero_division=math.nan),  # undefined stays undefined
        )
    else:
        print(f"examples: {result.n}")
        print(f"accuracy: {100 * result.accuracy:.2f} %")
        print(f"log loss: {six_decimals(result.log_loss)}")
        print(f"ROC AUC: {_auc_text(auc)}")
        print(f"threshold: {threshold:.6g} ({source})")
        print(f"confusion: tp={result.tp} fp={result.fp} tn={result.tn} fn={result.fn}")
        print(
            f"precision: {result.precision:.4f}  recall: {result.recall:.4f}  f1: {result.f1:.4f}"
        )
    if args.save:
        from dataclasses import replace

        # which data chose it: a later look at the same data is told that it flatters them
        chosen_on = {"rule": args.choose_threshold, "data_sha256": digest}
        manifest = {**(model.manifest or {}), "threshold_chosen_on": chosen_on}
        persist.save_model(
            args.model, replace(model, threshold=float(threshold), manifest=manifest)
        )
        print(f"threshold {threshold:.6g} saved into {printable(args.model)}", file=sys.stderr)
    return 0


def _evaluate_classes(args: argparse.Namespace, model, spec) -> int:
    """``lrnn evaluate`` of a K-class model: accuracy, log loss, the K × K confusion matrix,
    per-class precision/recall/F1 and their macro and weighted averages."""
    from lrnn import metrics

    K = len(model.classes)
    for flag, value in (
        ("--choose-threshold", args.choose_threshold),
        ("--threshold", args.threshold),
        ("--save (it stores a chosen threshold)", args.save or None),
    ):
        if value is not None:
            raise UsageError(
                f"{args.model} has {K} classes and predicts the most probable one; {flag} "
                "applies to two-class models only — drop it."
            )
    from lrnn import softmax

    ds, z, digest = _scored(args, model, spec)
    scores = metrics.evaluate_softmax(z, ds.y, model.classes)
    aucs = metrics.one_vs_rest_aucs(ds.y, softmax.log_softmax(z))  # no ties at 0 or 1
    _say_absent_classes(args.data, scores.per_class())
    _say_if_trained_on(args.data, model, ds, digest)
    if args.json:
        _out(
            args,
            n=scores.n,
            accuracy=scores.accuracy,
            log_loss=scores.log_loss,
            roc_auc_macro=metrics.macro_auc(aucs),
            roc_auc_one_vs_rest=dict(zip(model.classes, aucs.tolist(), strict=True)),
            **scores.to_json(),
        )
        return 0
    print(f"examples: {scores.n}")
    print(f"accuracy: {100 * scores.accuracy:.2f} %")
    print(f"log loss: {six_decimals(scores.log_loss)}")
    macro = _auc_text(metrics.macro_auc(aucs))
    print(f"ROC AUC (each class against the rest, macro average): {macro}")
    print(_confusion_table(scores))
    print(_class_table(scores))
    return 0


def _scored(args: argparse.Namespace, model: Any, spec: Any) -> tuple[Any, np.ndarray, Any]:
    """The labelled data to evaluate on, its classes the model's, its logits, and its digest
    where it was taken as the rows went by (else None). A Parquet folder or a Zarr store is
    read a block of rows at a time, as training streams it: only the logits and the labels
    are kept, K + 1 numbers a row."""
    from lrnn import data

    label = scored_label(args, spec)
    if not data.scored_streamed(args.data):
        ds = data.align_classes(data.load(args.data, label=label, spec=spec), model.classes)
        return ds, logits(model.w, model.b, ds, spec.scale), None
    source, ds = data.load_streamed(args.data, spec, label, require_labels=True)
    ds = data.align_classes(ds, model.classes)
    digest = data.SourceDigest(source)
    blocks = data.streamed_blocks(source, ds, digest)
    z = np.concatenate([logits(model.w, model.b, block, spec.scale) for block in blocks])
    return ds, z, digest.hexdigest(ds.y)


def _say_if_trained_on(source: str, model: Any, ds: Any, digest: str | None = None) -> None:
    """Scores on the examples a model was trained on flatter it (as ``lrnn report`` says in its
    data section); evaluate printed them as if the data were new."""
    from lrnn.after_training import CHOSE_THE_WEIGHTS, training_rows_in

    overlap = training_rows_in(model, ds, digest)
    if overlap == "validation":
        said = CHOSE_THE_WEIGHTS
    elif overlap == "all":
        said = "the model was trained on these very examples, so its scores here flatter it"
    elif overlap == "part":
        said = (
            "the model was trained on a part of this data (the rest was held out for its test "
            "score), so these scores mix training and held-out examples and flatter it"
        )
    else:
        return
    keep_apart = {
        "all": "",
        "validation": " (a --test file of its own)",
        "part": " (the test accuracy lrnn train printed is the held-out part's; to score new "
        "data later, keep it in a file of its own and train with --test FILE)",
    }[overlap]
    warnings.warn(
        f"{source}: {said}; evaluate on data it has not seen{keep_apart}.",
        UserWarning,
        stacklevel=2,
    )


def _auc_text(auc: float) -> str:
    return f"{auc:.4f}" if math.isfinite(auc) else "— (the data holds one class only)"


def _say_absent_classes(source: str, per_class: dict[str, dict[str, float]]) -> None:
    """Classes with no examples here: one never predicted either has no scores at all and is
    left out of the macro averages; one predicted nonetheless scores 0 there (every
    prediction of it is wrong), as scikit-learn's zero_division=0 counts it."""
    absent = [c for c, row in per_class.items() if row["support"] == 0]
    if not absent:
        return

    def named(classes: list[str]) -> str:
        more = f" (and {len(classes) - 1} more)" if len(classes) > 1 else ""
        return f"{classes[0]!r}{more}"

    unscored = [c for c in absent if math.isnan(per_class[c]["precision"])]
    predicted = [c for c in absent if c not in unscored]
    left_out = "never predicted either, left out of the macro averages"
    zeros = (
        "yet predicted for some rows, counted in the macro averages with precision, recall and F1 0"
    )
    if not predicted:
        said = f"{named(absent)}, {left_out}"
    elif not unscored:
        said = f"{named(absent)}, {zeros}"
    else:
        said = f"{named(absent)}: {named(unscored)} {left_out}; {named(predicted)} {zeros}"
    warnings.warn(
        f"{source}: no examples of class {said} — test on data with every class.",
        UserWarning,
        stacklevel=2,
    )


#: Above this many classes the K × K matrix is not printed (--json has it): lines of
#: hundreds of columns help nobody, and long class names made them megabytes.
MAX_PRINTED_CLASSES = 30
#: Class names in the text tables are cut to this many characters.
NAME_WIDTH = 40


def _short(name: Any) -> str:
    text = str(name)
    return text if len(text) <= NAME_WIDTH else text[: NAME_WIDTH - 1] + "…"


def _cells(text: str) -> int:
    """How many terminal columns ``text`` takes: CJK characters and most emoji take two,
    combining marks and zero-width joiners none (len() misaligned tables of such names)."""
    return sum(
        0
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(ch) in "WF"
        else 1
        for ch in text
    )


def _left(text: str, width: int) -> str:
    return text + " " * max(0, width - _cells(text))


def _right(text: str, width: int) -> str:
    return " " * max(0, width - _cells(text)) + text


def _confusion_table(scores) -> str:
    """The K × K confusion matrix as text: rows = true class, columns = predicted."""
    K = len(scores.classes)
    if K > MAX_PRINTED_CLASSES:
        return (
            f"confusion matrix: {K} × {K}, too wide to print; --json gives it "
            '("confusion_matrix", rows: true class, in "classes" order).'
        )
    names = [_short(c) for c in scores.classes]
    corner = "true \\ predicted"
    first = max(len(corner), *(_cells(c) for c in names))
    width = max(5, *(_cells(c) for c in names), len(str(int(scores.confusion.max(initial=0)))))
    head = corner.ljust(first) + " " + " ".join(_right(c, width) for c in names)
    rows = [
        _left(c, first) + " " + " ".join(str(int(v)).rjust(width) for v in row)
        for c, row in zip(names, scores.confusion, strict=True)
    ]
    return "confusion matrix (rows: true class, columns: predicted):\n" + "\n".join([head, *rows])


def _class_table(scores) -> str:
    width = max(13, *(_cells(_short(c)) + 1 for c in scores.classes))
    lines = ["class".ljust(width) + "  precision  recall      f1  support"]

    def row(name: str, r: dict, support: Any) -> str:
        cells = "".join(f"{r[k]:>{w}.4f}" for k, w in (("precision", 11), ("recall", 8), ("f1", 8)))
        return f"{_left(name, width)}{cells}{support:>9}"

    for name, r in scores.per_class().items():
        lines.append(row(_short(name), r, r["support"]))
    for name, r in scores.averages().items():
        lines.append(row(f"{name} avg", r, scores.n))
    return "\n".join(lines)


def cmd_words(args: argparse.Namespace) -> int:
    """The top positive and negative terms of a text model (lrnn.text_report)."""
    from lrnn.text_report import top_terms

    model, spec = load_model_and_spec(args.model)
    if spec.kind != "text":
        raise UsageError(
            f"{args.model}: was trained on {spec.kind} data, not text; use lrnn report to see "
            "its weights."
        )
    w = np.asarray(model.w, dtype=np.float64)
    learned = bool(np.any(w))  # (a side without words is told apart from a model without any)
    if w.ndim == 2:  # a softmax layer: each class's words
        from lrnn.text_report import class_terms

        per_class = class_terms(w, model.feature_names, model.classes, args.top)
        if args.json:
            terms = {c: {"positive": p, "negative": n} for c, p, n in per_class}
            _out(args, classes=list(model.classes), per_class=terms)
            return 0
        for cls, positive, negative in per_class:
            print(f"towards {cls!r}: {_terms_text(positive, learned)}")
            print(f"away from {cls!r}: {_terms_text(negative, learned)}")
        return 0
    positive, negative = top_terms(w, model.feature_names, args.top)
    if args.json:
        _out(args, positive=positive, negative=negative, classes=list(model.classes))
        return 0
    for cls, terms in ((model.classes[1], positive), (model.classes[0], negative)):
        print(f"towards {cls!r}: {_terms_text(terms, learned)}")
    return 0


def _terms_text(terms: list, learned: bool) -> str:
    """Terms with their weights, or why there are none: every weight is 0 (nothing learned),
    or only this side's are (the model then reaches this answer through its bias, where a
    document holds none of the words that point the other way — it said "not learned any")."""
    if not terms and not learned:
        return "(no word has a weight this way: the model has not learned any)"
    if not terms:
        return (
            "(no word has a weight this way: the model gives this answer through its bias, "
            "where a document holds few of the words that point away from it)"
        )
    return ", ".join(f"{t} ({v:+.3f})" for t, v in terms)
