"""evaluate --choose-threshold, gradcheck, slope and the progress bar, through the command."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from lrnn import persist
from tests.cli_helpers import assert_clean_failure, lrnn_command, run, snapshot
from tests.conftest import CAT_TRAIN, needs_cat


@pytest.fixture(scope="module")
def cancer_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cancer")
    proc = run(
        [
            "train",
            "breast_cancer",
            "--standardize",
            "--solver",
            "newton",
            "--alpha",
            "1e-2",
            "--no-plot",
        ],
        folder,
    )
    assert proc.returncode == 0, proc.stderr
    return folder / "lrnn-model.safetensors"


@pytest.mark.parametrize("rule", ["f1", "youden", "precision=0.99"])
def test_choose_threshold_saves_only_with_save(tmp_path, cancer_model, rule):
    model = tmp_path / "m.safetensors"
    model.write_bytes(cancer_model.read_bytes())
    before = model.read_bytes()
    proc = run(
        ["evaluate", "--model", model, "breast_cancer", "--choose-threshold", rule, "--json"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    chosen = json.loads(proc.stdout)["threshold"]
    assert 0 <= chosen <= 1 and model.read_bytes() == before
    proc = run(
        ["evaluate", "--model", model, "breast_cancer", "--choose-threshold", rule, "--save"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert persist.load_model(model).threshold == pytest.approx(chosen)
    if rule.startswith("precision"):
        result = json.loads(
            run(["evaluate", "--model", model, "breast_cancer", "--json"], tmp_path).stdout
        )
        c = result["confusion"]
        assert c["tp"] / (c["tp"] + c["fp"]) >= 0.99
    # predict uses the stored threshold unless --threshold overrides it
    proc = run(["predict", "--model", model, "breast_cancer", "--json"], tmp_path)
    assert proc.returncode == 0
    # a later look at the data it was chosen on is told (it was said once, at the choice)
    later = run(["evaluate", "--model", model, "breast_cancer"], tmp_path).stderr
    assert f"threshold was chosen by {rule} on these very examples, so it flatters" in later
    run(["report", "--model", model, "breast_cancer", "-o", "r.html"], tmp_path)
    page = (tmp_path / "r.html").read_text()  # in the data's facts and where scores are read
    assert page.count("on these very examples, so it flatters") == 2
    other = run(["evaluate", "--model", model, "breast_cancer", "--threshold", "0.5"], tmp_path)
    assert "threshold was chosen" not in other.stderr
    scored = run(["evaluate", "--model", model, "breast_cancer", "--json"], tmp_path).stdout
    assert json.loads(scored)["threshold_source"] == "the model's, chosen on these examples"


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--choose-threshold", "magic"], "magic"),
        (["--choose-threshold", "precision=2"], "precision"),
        (["--save"], "--choose-threshold"),
    ],
)
def test_bad_threshold_requests(tmp_path, cancer_model, args, needle):
    model = tmp_path / "m.safetensors"
    model.write_bytes(cancer_model.read_bytes())
    before = snapshot(tmp_path)
    proc = run(["evaluate", "--model", model, "breast_cancer", *args], tmp_path)
    assert_clean_failure(proc, (2,), needle)
    assert snapshot(tmp_path) == before


def test_gradcheck_passes_on_builtin_and_model(tmp_path, cancer_model):
    proc = run(["gradcheck", "breast_cancer", "--model", cancer_model, "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows[-1]["passed"] and rows[-1]["overall_relative_error"] < 1e-6
    assert len(rows) == 12  # 10 sampled weights + the bias + the summary
    # the cost checked is not the one the model minimised: large dw there read as a fault
    assert (
        "note: this checks the cost with no penalty on all 569 examples of breast_cancer; the "
        "model minimised one with a penalty (alpha 0.01) and a part of its data (the rest held "
        "out), so its gradient here need not be small." in proc.stderr
    )
    proc = run(["gradcheck"], tmp_path)
    assert proc.returncode == 0 and "passed" in proc.stdout and "note:" not in proc.stderr


def test_gradcheck_with_a_model_reads_its_label_column(tmp_path, monkeypatch, capsys):
    """A model that names its label column ('diagnosis') was scored by evaluate and report
    from that column, while gradcheck looked for 'label'; --image-size beside --model was
    ignored without a word."""
    from lrnn import LogisticNeuron
    from lrnn.cli import main

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.standard_normal((40, 3)), columns=["a", "b", "c"])
    y = pd.Series(np.where(X["a"] > 0, "sick", "well"), name="diagnosis")
    LogisticNeuron(solver="newton", alpha=1e-2).fit(X, y).save("m.safetensors")
    X.assign(diagnosis=y).to_csv("t.csv", index=False)
    assert main(["gradcheck", "t.csv", "--model", "m.safetensors"]) == 0
    assert "passed" in capsys.readouterr().out
    main(["gradcheck", "t.csv", "--model", "m.safetensors", "--image-size", "8"])
    assert "warning: --image-size is ignored with --model" in capsys.readouterr().err


def test_gradcheck_fails_when_the_step_is_absurd(tmp_path):
    # too large: the cost curves between the nudges; it failed with exit 1 and no word on
    # the step, read as backpropagation being wrong. The default step is tried and agrees.
    proc = run(["gradcheck", "breast_cancer", "--epsilon", "0.9"], tmp_path)
    assert proc.returncode == 2 and "(not judged: threshold 1e-06)" in proc.stdout
    assert "every finite difference is 0" not in proc.stdout
    assert "a nudge of --epsilon 0.9 is too coarse" in proc.stdout
    at_default = float(re.search(r"the overall relative error is (\S+), so", proc.stdout)[1])
    assert at_default < 1e-6
    proc = run(["gradcheck", "digits", "--epsilon", "1e-3"], tmp_path)  # fine enough
    assert proc.returncode == 0 and "too coarse" not in proc.stdout
    # too fine: rounding drowns the slope (it was said to be an optimum's tiny gradient)
    proc = run(["gradcheck", "--epsilon", "1e-10"], tmp_path)
    assert proc.returncode == 2 and "not judged" in proc.stdout, proc.stdout
    assert "a nudge of --epsilon 1e-10 is too fine: rounding in the cost moves" in proc.stdout
    assert "gradient here is tiny" not in proc.stdout
    # too small for the cost to move at all: every difference 0, said as the step's fault
    proc = run(["gradcheck", "digits", "--epsilon", "1e-20"], tmp_path)
    assert proc.returncode == 2 and "not judged" in proc.stdout  # an option's fault: 2, not 1
    assert "every finite difference is 0: a nudge of --epsilon 1e-20 does not move" in proc.stdout


def test_gradcheck_at_an_optimum_says_the_gradient_is_too_small_to_judge(tmp_path):
    """At a converged model's weights every gradient is ~1e-9, as small as the finite
    differences' rounding: it said FAILED (exit 1), read as backpropagation being wrong."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame.iloc[:, [0, 1, 2, 30]]
    frame = frame.rename(columns={"target": "label"})
    frame.iloc[:400].to_csv(tmp_path / "small.csv", index=False)
    frame.iloc[400:].to_csv(tmp_path / "rest.csv", index=False)
    train = ["train", "small.csv", "--test", "rest.csv", "--solver", "newton", "--no-plot"]
    assert run(train, tmp_path).returncode == 0
    proc = run(["gradcheck", "small.csv", "--model", "lrnn-model.safetensors"], tmp_path)
    assert proc.returncode == 2 and "not judged" in proc.stdout, proc.stdout
    assert "the gradient here is tiny (‖dw, db‖ = " in proc.stdout
    proc = run(["gradcheck", "small.csv", "--model", "lrnn-model.safetensors", "--json"], tmp_path)
    summary = json.loads(proc.stdout.splitlines()[-1])
    rows = [json.loads(line) for line in proc.stdout.splitlines()[:-1]]
    differences = [r["backprop"] - r["finite_difference"] for r in rows]
    assert 0 < np.linalg.norm(differences) <= summary["rounding"] < 1e-8
    assert summary["reason"].startswith("the gradient here is tiny")  # a script can tell why


def test_gradcheck_where_every_derivative_is_zero_says_nothing(tmp_path):
    """σ saturated (separated data after a rate of 10⁶): every backprop value and every
    finite difference is exactly 0, and 0 / 0 read as "passed" (exit 0)."""
    values = [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0] * 4
    frame = pd.DataFrame({"a": values, "label": [0, 0, 0, 1, 1, 1] * 4})
    frame.to_csv(tmp_path / "d.csv", index=False)
    trained = run(["train", "d.csv", "--learning-rate", "1e6", "--no-plot"], tmp_path)
    assert trained.returncode == 0, trained.stderr
    proc = run(["gradcheck", "d.csv", "--model", "lrnn-model.safetensors", "--json"], tmp_path)
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert proc.returncode == 2 and summary["passed"] is False
    assert summary["reason"].startswith("every derivative compared is exactly 0")


@needs_cat
def test_gradcheck_on_cat(tmp_path):
    proc = run(["gradcheck", CAT_TRAIN, "--coordinates", "20"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_slope_teaches_rise_over_run(tmp_path):
    proc = run(["slope"], tmp_path)
    assert proc.returncode == 0
    assert "slope ≈ 3.0000" in proc.stdout and "f(a) = a²" in proc.stdout
    # the same functions at two points: the line's slope stays, the curves' change
    lines = {tuple(line.split(":")[0].split(" at ")): line for line in proc.stdout.splitlines()}
    assert "f(2) = 6, f(2.001) = 6.003" in lines[("f(a) = 3a     ", "a = 2.0")]
    assert "slope ≈ 3.0000" in lines[("f(a) = 3a     ", "a = 5.0")]
    assert "slope ≈ 4.0010" in lines[("f(a) = a²     ", "a = 2.0")]
    assert "slope ≈ 10.0010" in lines[("f(a) = a²     ", "a = 5.0")]
    # the values shown give the rise shown, and the rise the slope (to the digits shown)
    assert (
        "f(5) = 25, f(5.001) = 25.010001, a rise of 0.010001 "
        in lines[("f(a) = a²     ", "a = 5.0")]
    )
    for line in lines.values():
        if " at a = " not in line:
            continue
        numbers = re.findall(r"= (-?[\d.]+(?:e-?\d+)?)", line.split("→")[0])
        before, after = float(numbers[-2]), float(numbers[-1])
        rise = float(re.search(r"a rise of (\S+)", line).group(1))
        slope = float(re.search(r"slope ≈ (\S+)", line).group(1))
        assert abs((after - before) - rise) <= 1e-9 and abs(rise / 0.001 - slope) <= 5e-5, line


def _on_a_terminal(args: list[str], cwd, stdout_too: bool) -> tuple[int, str, str]:
    """``lrnn ARGS`` with stderr (and, with ``stdout_too``, stdout) on a pseudo-terminal:
    (exit status, what the terminal got, what a piped stdout got)."""
    primary, secondary = pty.openpty()
    out_to = secondary if stdout_too else subprocess.PIPE
    proc = subprocess.Popen([*lrnn_command(), *args], cwd=cwd, stdout=out_to, stderr=secondary)
    os.close(secondary)
    out = b"" if stdout_too else proc.stdout.read()
    chunks = []
    while True:
        try:
            data = os.read(primary, 65536)
        except OSError:  # the other end closed: all of it read
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    status = proc.wait(timeout=300)
    return status, b"".join(chunks).decode("utf-8", "replace"), out.decode()


def test_progress_bar_on_a_terminal_and_plain_lines_otherwise(tmp_path):
    args = ["train", "--iterations", "600", "--no-plot"]
    status, terminal, out = _on_a_terminal(args, tmp_path, stdout_too=False)
    assert status == 0
    assert "it/s" in terminal or "it]" in terminal  # tqdm's bar went to the terminal
    assert "Cost after iteration 500" in out  # results still on stdout
    plain = run(["train", "--iterations", "300", "--no-plot"], tmp_path)
    assert "it/s" not in plain.stderr and plain.stderr.strip() == ""


def test_cost_lines_on_a_terminal_clear_the_progress_bar_first(tmp_path):
    """With stdout and stderr on one terminal, each cost line went on at the end of the bar's
    line (" 12%|████▌ | 361/3000 [...]Cost after iteration 500: 0.303273")."""
    args = ["train", "--iterations", "3000", "--print-every", "500", "--no-plot"]
    status, terminal, _ = _on_a_terminal(args, tmp_path, stdout_too=True)
    assert status == 0
    screen = [line.rstrip("\r").split("\r")[-1] for line in terminal.split("\n")]
    costs = [line for line in screen if "Cost after iteration" in line]
    assert len(costs) == 6 and all(line.startswith("Cost after iteration") for line in costs), costs


def test_evaluate_says_when_it_scores_the_training_examples(tmp_path):
    """evaluate printed training-set scores as if the data were new (the report said so in
    its data section); now a warning names the file and what it holds."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    lines = ["a,b,c,label", *(f"{r[0]},{r[1]},{r[2]},{c}" for r, c in zip(X, y, strict=True))]
    (tmp_path / "all.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "train.csv").write_text("\n".join(lines[:400]) + "\n")
    (tmp_path / "test.csv").write_text("\n".join([lines[0], *lines[400:]]) + "\n")
    args = ["--standardize", "--solver", "newton", "--alpha", "1e-2", "--no-plot"]
    assert run(["train", "train.csv", "--test", "test.csv", *args], tmp_path).returncode == 0
    assert run(["train", "all.csv", *args, "--model", "held.safetensors"], tmp_path).returncode == 0
    said = {
        (model, data): run(["evaluate", "--model", model, data], tmp_path).stderr
        for model, data in [
            ("lrnn-model.safetensors", "train.csv"),
            ("lrnn-model.safetensors", "test.csv"),
            ("held.safetensors", "all.csv"),
        ]
    }
    assert (
        "train.csv: the model was trained on these very examples"
        in said[("lrnn-model.safetensors", "train.csv")]
    )
    assert said[("lrnn-model.safetensors", "test.csv")] == ""
    assert (
        "all.csv: the model was trained on a part of this data"
        in said[("held.safetensors", "all.csv")]
    )
    # the way out names the test score train printed, and how to keep new data apart
    assert (
        "the test accuracy lrnn train printed is the held-out part's; to score new data "
        "later, keep it in a file of its own and train with --test FILE"
        in " ".join(said[("held.safetensors", "all.csv")].split())
    )
    # told by content, not by the name as typed: another file of the same name in another
    # folder is new data, and the same file reached by another path is the same
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "all.csv").write_text((tmp_path / "test.csv").read_text())
    other = run(["evaluate", "--model", "../held.safetensors", "all.csv"], tmp_path / "other")
    assert other.returncode == 0 and other.stderr == "", other.stderr
    again = run(["evaluate", "--model", "held.safetensors", "other/../all.csv"], tmp_path)
    assert "the model was trained on a part of this data" in again.stderr
    # trained with --test: no advice to give one
    assert "--test file" not in said[("lrnn-model.safetensors", "train.csv")]


def test_predict_names_a_tables_rows_by_its_id_column(tmp_path):
    """Rows came out as "row N" only, so joining predictions back to records relied on row
    order; --id names them by a column, as written (an ID "0007" is not 7), in a CSV, a
    Parquet file and a streamed Parquet folder alike."""
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((40, 3)), columns=["a", "b", "c"])
    frame["label"] = (frame.a > 0).astype(int)
    frame.insert(0, "patient", [f"{k:04d}" for k in range(40)])
    frame.loc[2, "patient"] = ""
    frame.to_csv(tmp_path / "t.csv", index=False)
    train = ["train", "t.csv", "--drop", "patient", "--solver", "newton", "--no-plot"]
    assert run(train, tmp_path).returncode == 0
    frame.to_parquet(tmp_path / "t.parquet")
    (tmp_path / "parts").mkdir()
    frame.iloc[:25].to_parquet(tmp_path / "parts" / "a.parquet")
    frame.iloc[25:].to_parquet(tmp_path / "parts" / "b.parquet")
    model = ["--model", "lrnn-model.safetensors"]
    plain = run(["predict", *model, "t.csv"], tmp_path).stdout.splitlines()
    for data in ("t.csv", "t.parquet", "parts"):
        proc = run(["predict", *model, data, "--id", "patient"], tmp_path)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        names = [line.split("\t")[0] for line in lines[1:]]
        assert names[:4] == ["0000", "0001", "row 3", "0003"] and names[-1] == "0039", data
        # the same scores, only the names differ
        assert [x.split("\t")[1:] for x in lines] == [x.split("\t")[1:] for x in plain]
    proc = run(["predict", *model, "t.csv", "--id", "patien"], tmp_path)
    assert_clean_failure(proc, (2,), "no column 'patien' to name the rows by (--id); did you mean")
    proc = run(["predict", *model, "digits", "--id", "patient"], tmp_path)
    assert_clean_failure(proc, (2,), "--id names the rows of a table")
    proc = run(["predict", *model, "t.csv", "t.csv", "--id", "patient"], tmp_path)
    assert_clean_failure(proc, (2,), "t.csv, t.csv are 2 inputs; give one .csv or .parquet file")


@needs_cat
def test_a_report_says_which_iterations_weights_early_stopping_kept(tmp_path):
    """Its curve went on to iteration 650 and a cost of 0.2266 while the model was iteration
    150's (cost 0.4559); the picture marks it and its description says it."""
    from tests.conftest import CAT_TEST

    args = ["train", CAT_TRAIN, "--validation", CAT_TEST, "--early-stopping", "--print-every"]
    args += ["50", "--iterations", "3000", "--report", "r.html"]
    proc = run(args, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "kept the weights of iteration 150" in proc.stdout
    assert (
        "the weights kept are iteration 150&#x27;s (dotted)." in (tmp_path / "r.html").read_text()
    )
