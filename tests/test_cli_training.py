"""Issue-4 features through the real command: compare-lr, history, resume, Ctrl-C, solvers."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lrnn import persist
from lrnn.errors import UsageError
from tests.cli_helpers import assert_clean_failure, lrnn_command, run, snapshot
from tests.conftest import CAT_TEST, CAT_TRAIN, needs_cat


@needs_cat
@pytest.mark.slow
def test_compare_lr_reproduces_the_lessons_experiment(tmp_path):
    proc = run(
        [
            "compare-lr",
            CAT_TRAIN,
            "--test",
            CAT_TEST,
            "--rates",
            "0.01",
            "0.001",
            "0.0001",
            "--iterations",
            "1500",
            "--json",
            "--plot",
            "rates.png",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    by_rate = {r["learning_rate"]: r for r in rows if "learning_rate" in r}
    # the lesson's table: train / test accuracy per learning rate after 1500 iterations
    assert round(100 * by_rate[0.01]["train_accuracy"], 2) == 99.52
    assert round(100 * by_rate[0.01]["test_accuracy"], 2) == 68.0
    assert round(100 * by_rate[0.001]["train_accuracy"], 2) == 89.0
    assert round(100 * by_rate[0.001]["test_accuracy"], 2) == 64.0
    assert round(100 * by_rate[0.0001]["train_accuracy"], 2) == 68.42
    assert round(100 * by_rate[0.0001]["test_accuracy"], 2) == 36.0
    assert not any(r["diverged"] for r in by_rate.values())
    # the lesson's plot: at 0.01 the cost oscillates before it settles; the others fall steadily
    assert [by_rate[r]["cost_rose"] for r in (0.01, 0.001, 0.0001)] == [True, False, False]
    assert rows[-1]["recommended"] == 0.01
    with Image.open(tmp_path / "rates.png") as img:
        assert np.asarray(img.convert("L")).std() > 5


def test_compare_lr_leaves_out_runs_that_stopped_early_and_points_the_right_way(tmp_path):
    """A rate 10⁵ × 2/L on separated data stopped after one step with a cost of 0 and was
    recommended "after 1500 iterations"; rates far below 2/L were told to try smaller ones;
    the separation warning did not say which rate it was about."""
    X = np.array([[-2.0, 0.1], [-1.5, -0.3], [-1.0, 0.2], [1.0, -0.1], [1.5, 0.3], [2.0, 0.0]])
    frame = pd.DataFrame(np.tile(X, (5, 1)), columns=["a", "b"]).assign(
        label=[0, 0, 0, 1, 1, 1] * 5
    )
    frame.to_csv(tmp_path / "d.csv", index=False)
    common = ["compare-lr", "d.csv", "--iterations", "200", "--plot", "c.png"]
    proc = run([*common, "--rates", "0.5", "1e6", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    huge = next(r for r in rows if r.get("learning_rate") == 1e6)
    assert (huge["iterations"], huge["stop_reason"]) == (1, "separable")
    assert rows[-1]["recommended"] == 0.5
    assert "warning: learning rate 1e+06: the training data is perfectly separated" in proc.stderr
    text = run([*common, "--rates", "1e6"], tmp_path)
    assert "no; stopped at 1: the data is perfectly separated (see warning)" in text.stdout
    assert "after all its iterations (those that stopped early are left out)" in text.stdout
    tiny = run([*common, "--rates", "1e-300"], tmp_path)
    assert "(2/L) descend steadily on this data; try larger ones (--rates)" in tiny.stdout
    # the zero weights already the optimum (gradient exactly 0): no rate can do better
    even = pd.DataFrame({"a": [1.0, -1.0] * 10, "label": [0, 0, 1, 1] * 5})
    even.to_csv(tmp_path / "even.csv", index=False)
    even.iloc[:4].to_csv(tmp_path / "even_test.csv", index=False)
    both = ["even.csv", "--test", "even_test.csv"]  # (a hold-out would break the symmetry)
    flat = run(["compare-lr", *both, "--plot", "e.png", "--rates", "0.1", "1"], tmp_path)
    assert "every rate stopped at once: the starting weights are the optimum" in flat.stdout
    assert "stopped at 0: at the optimum" in flat.stdout and "try" not in flat.stdout


@needs_cat
def test_divergence_guard_catches_lr_10_on_cat(tmp_path):
    proc = run(["train", CAT_TRAIN, "--test", CAT_TEST, "--learning-rate", "10"], tmp_path)
    line = assert_clean_failure(proc, (1,), "learning_rate=10", "2/L")
    assert "auto" in line
    assert "standardize" not in line  # pictures share one scale (1/255): no table advice
    assert not (tmp_path / "lrnn-model.safetensors").exists()


def test_a_run_that_ends_above_its_starting_cost_says_so(tmp_path):
    """lr 0.005 on unscaled columns overshoots without blowing up: the cost went 0.693 → 2.0
    → 1.56 and the run said only "ran every iteration asked for"."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4)) * [1, 10, 100, 0.1]
    y = np.where(X[:, 0] + X[:, 1] / 10 + rng.normal(size=300) * 0.5 > 0, "yes", "no")
    rows = [",".join(f"{v:.6g}" for v in x) + f",{c}" for x, c in zip(X, y, strict=True)]
    (tmp_path / "t.csv").write_text("a,b,c,d,label\n" + "\n".join(rows) + "\n")
    proc = run(["train", "t.csv", "--no-plot"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if "cost rose" in ln]
    assert "from 0.693147 to" in line and "2/L" in line and "--standardize" in line
    assert "raise max_iter" not in proc.stderr  # not the advice for a step that overshoots
    calm = run(["train", "t.csv", "--no-plot", "--standardize", "--model", "s.lrnn"], tmp_path)
    assert calm.returncode == 0 and "cost rose" not in calm.stderr


def test_history_file_and_solver_options(tmp_path):
    proc = run(
        [
            "train",
            "breast_cancer",
            "--standardize",
            "--solver",
            "lbfgs",
            "--alpha",
            "1e-3",
            "--tol",
            "1e-8",
            "--iterations",
            "500",
            "--history",
            "h.csv",
            "--print-every",
            "1",
            "--no-plot",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    header = (tmp_path / "h.csv").read_text().splitlines()[0].split(",")
    assert {"iteration", "cost", "grad_norm"} <= set(header)
    model = persist.load_model(tmp_path / "lrnn-model.safetensors")
    assert model.training["solver"] == "lbfgs" and model.training["stop_reason"] == "tol"
    assert model.preprocessing["mean"] is not None  # standardisation travels with the model


def test_early_stopping_and_class_weight_options(tmp_path):
    args = ["train", "breast_cancer", "--standardize", "--learning-rate", "auto",
            "--early-stopping", "--n-iter-no-change", "3", "--class-weight", "balanced",
            "--iterations", "20000", "--print-every", "10", "--no-plot"]  # fmt: skip
    proc = run([*args, "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["stop_reason"] == "early_stopping" and result["iterations"] < 20000
    records = [json.loads(line) for line in proc.stdout.splitlines()[:-1]]
    assert "val_loss" in records[0]
    # the weights are the best check's, not the last iteration's: both outputs say whose
    best = min(records, key=lambda r: r["val_loss"])["iteration"]
    assert result["restored_iteration"] == best < result["iterations"]
    assert result["converged"] is True and result["history"] is None
    # the model file says so too, and its learning curve then ends at its last recorded row
    # (the final cost is the restored weights', not the last iteration's) — also when the
    # iterations, not patience, ended the run
    from lrnn.model_meta import final_point

    training = persist.load_model(tmp_path / "lrnn-model.safetensors").training
    assert training["restored_iteration"] == best and final_point(training) is None
    assert final_point({**training, "stop_reason": "max_iter"}) is None
    del training["restored_iteration"]
    assert final_point({**training, "stop_reason": "max_iter"}) == (
        result["iterations"],
        training["final_cost"],
    )
    lines = run(args, tmp_path).stdout
    assert (
        "early stopping: the validation loss stopped improving, then kept the weights of "
        f"iteration {best} (lowest validation loss)"
    ) in lines


def _interrupt_after(args, cwd, marker: str, sig=signal.SIGINT) -> subprocess.CompletedProcess:
    proc = subprocess.Popen(
        [*lrnn_command(), *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if marker in line:
            proc.send_signal(sig)
            break
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(lines) + out, err)


def test_ctrl_c_pressed_twice_quickly_still_exits_with_130(tmp_path):
    """The second press lands while lrnn is already leaving (checkpoint saved, message
    printed): it used to raise outside every handler, and the process died by the signal."""
    for gap in (0.0, 0.002, 0.005, 0.01, 0.02, 0.03):
        for left in tmp_path.glob("*.ckpt.safetensors"):  # each round a first run
            left.unlink()
        proc = subprocess.Popen(
            [*lrnn_command(), "train", "--iterations", "1000000", "--no-plot"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in proc.stdout:  # training has begun: the first interrupt checkpoints
            if "Cost after iteration 0" in line:
                break
        proc.send_signal(signal.SIGINT)
        assert "Interrupted at iteration" in proc.stderr.readline()
        time.sleep(gap)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, (gap, err)
        assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_ctrl_c_checkpoints_and_resume_is_bit_identical(tmp_path, solver):
    iterations = "4000" if solver == "gd" else "400"
    common = [
        "train",
        "breast_cancer",
        "--standardize",
        "--solver",
        solver,
        "--iterations",
        iterations,
        "--learning-rate",
        "auto",
        "--print-every",
        "10",
        "--no-plot",
    ]
    full_dir = tmp_path / "full"
    full_dir.mkdir()
    assert run(common, full_dir).returncode == 0
    part = tmp_path / "part"
    part.mkdir()
    # Ctrl-C for one, SIGTERM (timeout, docker stop, schedulers) for the other: both checkpoint
    sig = signal.SIGINT if solver == "gd" else signal.SIGTERM
    interrupted = _interrupt_after(common, part, "iteration 20:", sig)
    assert interrupted.returncode == 128 + sig, interrupted.stderr
    checkpoint = part / "lrnn-model.ckpt.safetensors"
    assert checkpoint.exists() and not (part / "lrnn-model.safetensors").exists()
    # The command it prints, pasted as it is, resumes (it repeats --standardize, --no-plot …).
    hint = interrupted.stderr.split("Resume with: lrnn ", 1)[1].strip()
    assert hint.endswith("--resume=lrnn-model.ckpt.safetensors"), hint
    resumed = run(shlex.split(hint), part)
    assert resumed.returncode == 0, resumed.stderr
    assert not (part / "lrnn-model.png").exists()  # --no-plot was repeated too
    a = persist.load_model(full_dir / "lrnn-model.safetensors")
    b = persist.load_model(part / "lrnn-model.safetensors")
    np.testing.assert_array_equal(a.w, b.w)
    assert a.b == b.b


def test_resume_refuses_other_options_and_other_data(tmp_path):
    proc = run(
        [
            "train",
            "breast_cancer",
            "--standardize",
            "--iterations",
            "30",
            "--checkpoint",
            "c.safetensors",
            "--checkpoint-every",
            "10",
            "--no-plot",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    before = snapshot(tmp_path)
    proc = run(
        ["train", "breast_cancer", "--standardize", "--resume", "c.safetensors", "--alpha", "0.5"],
        tmp_path,
    )
    assert_clean_failure(proc, (2,), "--alpha")
    proc = run(["train", "digits", "--resume", "c.safetensors"], tmp_path)
    assert_clean_failure(proc, (2,), "other data")
    proc = run(["train", "breast_cancer", "--resume", "c.safetensors"], tmp_path)  # unscaled
    assert_clean_failure(proc, (2,), "prepared another way (--standardize differs)")
    assert snapshot(tmp_path) == before


def test_a_resume_runs_on_the_checkpoints_backend(tmp_path):
    """A torch run resumed without --backend went on in memory (torch sums in its own order:
    a few per cent away from the uninterrupted run when unconverged), and --backend numpy
    against a torch checkpoint was taken, without a word either way."""
    pytest.importorskip("torch")
    _training_and_validation_files(tmp_path)
    common = ["train", "d.csv", "--iterations", "30", "--no-plot", "--checkpoint", "c.ckpt"]
    first = run([*common, "--backend", "torch", "--checkpoint-every", "10"], tmp_path)
    assert first.returncode == 0, first.stderr
    before = snapshot(tmp_path)
    refused = run(["train", "d.csv", "--resume", "c.ckpt", "--backend", "numpy"], tmp_path)
    assert_clean_failure(refused, (2,), "--backend numpy differs from the checkpoint's 'torch'")
    streamed = run(["train", "d.csv", "--resume", "c.ckpt", "--stream"], tmp_path)
    assert_clean_failure(streamed, (2,), "trained on --backend torch, in memory; resume it as")
    assert snapshot(tmp_path) == before
    resumed = run(["train", "d.csv", "--resume", "c.ckpt", "--no-plot"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    manifest = persist.load_model(tmp_path / "lrnn-model.safetensors").manifest
    assert manifest["request"]["backend"] == "torch"


def _training_and_validation_files(folder: Any) -> pd.DataFrame:
    """d.csv (60 rows) and v.csv (30 rows) of one frame, written to ``folder``; the frame."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((90, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=(X[:, 0] > 0.3).astype(int))
    frame.iloc[:60].to_csv(folder / "d.csv", index=False)
    frame.iloc[60:].to_csv(folder / "v.csv", index=False)
    return frame


def test_scoring_the_file_early_stopping_chose_the_weights_by_is_said(tmp_path):
    """evaluate printed 82 % on the --validation file without a word (held out: 50 %), and the
    report called it "held-out or other data"."""
    _training_and_validation_files(tmp_path)
    train = ["train", "d.csv", "--validation", "v.csv", "--early-stopping", "--no-plot"]
    assert run([*train, "--iterations", "300"], tmp_path).returncode == 0
    said = run(["evaluate", "--model", "lrnn-model.safetensors", "v.csv"], tmp_path).stderr
    assert "v.csv: early stopping chose the model's weights by their loss on these" in said
    # without --early-stopping the file only drew the validation curve: nothing to say
    curve = ["train", "d.csv", "--validation", "v.csv", "--no-plot", "--model", "c.safetensors"]
    assert run([*curve, "--iterations", "300"], tmp_path).returncode == 0
    said = run(["evaluate", "--model", "c.safetensors", "v.csv"], tmp_path).stderr
    assert "early stopping" not in said and "flatter" not in said


def test_a_resume_on_changed_training_rows_names_them_not_the_validation_file(tmp_path):
    """With --standardize the validation rows are prepared with the training rows' mean and
    std: a changed training file was blamed on the untouched --validation file."""
    frame = _training_and_validation_files(tmp_path)
    args = ["train", "d.csv", "--standardize", "--validation", "v.csv", "--early-stopping"]
    args += ["--iterations", "30", "--no-plot", "--checkpoint", "c.ckpt"]
    assert run([*args, "--checkpoint-every", "10"], tmp_path).returncode == 0
    frame.iloc[:60].assign(a=lambda f: f["a"] * 1.01).to_csv(tmp_path / "d.csv", index=False)
    proc = run([*args, "--resume", "c.ckpt"], tmp_path)
    line = assert_clean_failure(proc, (2,), "this checkpoint was made on 'd.csv' as it was then")
    assert "v.csv" not in line


def test_a_resume_refuses_other_class_weights_and_another_validation_file(tmp_path):
    """--class-weight and --validation change what a run fits and judges, not its training
    rows: a resume with another of them (or without the one it had) went on from the
    checkpoint as another run, exit 0, and verify then called the model changed."""
    frame = _training_and_validation_files(tmp_path)
    flipped = frame.iloc[60:].assign(label=lambda f: 1 - f["label"])
    flipped.to_csv(tmp_path / "v2.csv", index=False)
    common = ["train", "d.csv", "--iterations", "30", "--no-plot", "--checkpoint", "c.ckpt"]
    first = [*common, "--checkpoint-every", "10", "--class-weight", "balanced"]
    assert run([*first, "--validation", "v.csv"], tmp_path).returncode == 0
    before = snapshot(tmp_path)
    resume = ["train", "d.csv", "--resume", "c.ckpt", "--no-plot"]
    cases = [
        (["--validation", "v.csv"], "had --class-weight balanced, this one no --class-weight;"),
        (
            ["--class-weight", '{"0": 1, "1": 3}', "--validation", "v.csv"],
            'had --class-weight balanced, this one --class-weight {"0": 1.0, "1": 3.0};',
        ),
        (["--class-weight", "balanced"], "had --validation v.csv, this one no --validation;"),
        (
            ["--class-weight", "balanced", "--validation", "v2.csv"],
            "had --validation v.csv, this one --validation v2.csv;",
        ),
    ]
    for options, said in cases:
        line = assert_clean_failure(run([*resume, *options], tmp_path), (2,), said)
        assert line.startswith("error: c.ckpt: the run that made this checkpoint had "), line
    flipped.to_csv(tmp_path / "v.csv", index=False)  # the same name, other rows
    proc = run([*resume, "--class-weight", "balanced", "--validation", "v.csv"], tmp_path)
    assert_clean_failure(proc, (2,), "had --validation v.csv as it was then (its rows have")
    assert snapshot(tmp_path) == {**before, "v.csv": snapshot(tmp_path)["v.csv"]}


def test_a_file_put_at_an_output_path_while_the_run_trains_is_left_alone(tmp_path):
    """The outputs were checked at the start only: a file of the user's written at the model
    path during the run was replaced. Checked again when the run is done, it is left alone,
    and the run's final state is saved so that the refusal costs no training."""
    args = ["train", "--iterations", "20000", "--print-every", "1000", "--no-plot"]
    done = _written_while_it_trains(tmp_path, [*args, "--model", "m.safetensors"], "m.safetensors")
    assert_clean_failure(
        done,
        (2,),
        "--model m.safetensors already exists and is not an lrnn model, so it is left alone; "
        "give another --model path, or move that file away (found once the run was done); its "
        "final state is saved to m.ckpt.safetensors — once that is sorted out, lrnn train ",
    )
    assert (tmp_path / "m.safetensors").read_text() == "a file of the user's"
    (tmp_path / "m.safetensors").rename(tmp_path / "mine.txt")
    resumed = run([*args, "--model", "m.safetensors", "--resume", "m.ckpt.safetensors"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "Stopped after 20000 iterations" in resumed.stdout
    assert "Cost after iteration" not in resumed.stdout  # nothing trained again
    # a file put at the --checkpoint path: the final state goes elsewhere, never over it (the
    # first version saved it there, over the file it had just said it left alone)
    named = [*args, "--model", "n.safetensors", "--checkpoint", "mine.ckpt"]
    done = _written_while_it_trains(tmp_path, named, "mine.ckpt")
    assert done.returncode == 2 and "its final state is saved to n.ckpt.safetensors" in done.stderr
    assert (tmp_path / "mine.ckpt").read_text() == "a file of the user's"


def _written_while_it_trains(tmp_path, args, path: str) -> subprocess.CompletedProcess:
    """``lrnn ARGS`` with a file of the user's written at ``path`` once iteration 1000 is
    printed, while the run goes on."""
    proc = subprocess.Popen(
        [*lrnn_command(), *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    for line in proc.stdout:
        if "Cost after iteration 1000" in line:
            (tmp_path / path).write_text("a file of the user's")
            break
    _, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, "", err)


def test_class_weights_written_another_way_are_the_same_on_resume():
    """A class left out of a mapping weighs 1: {"1": 3} and {"0": 1, "1": 3} are one weighting
    (the resume refused it as another)."""
    from lrnn.checkpoint import _same_weights_and_judge

    def request(weights):
        return {"request": {"class_weight": weights, "validation": None}}

    _same_weights_and_judge("c", request({"1": 3}), request({"0": 1, "1": 3}))
    _same_weights_and_judge("c", request({"0": 1}), request(None))
    with pytest.raises(UsageError, match="had --class-weight balanced, this one no"):
        _same_weights_and_judge("c", request("balanced"), request(None))


def test_a_named_checkpoint_of_an_unfinished_run_is_not_replaced(tmp_path):
    """An explicit --checkpoint path holding an earlier run's unfinished checkpoint was
    replaced by a new run's saves (the default path is left alone, with a warning)."""
    args = ["train", "--iterations", "1000000", "--no-plot", "--checkpoint", "keep.ckpt"]
    first = _interrupt_after(args, tmp_path, "Cost after iteration 0")
    assert first.returncode == 130, first.stderr
    kept = (tmp_path / "keep.ckpt").read_bytes()
    again = ["train", "--iterations", "50", "--no-plot", "--checkpoint", "keep.ckpt"]
    proc = run([*again, "--checkpoint-every", "10"], tmp_path)
    assert_clean_failure(
        proc, (2,), "--checkpoint keep.ckpt holds an earlier run stopped at iteration "
    )
    assert "continue that run with --resume keep.ckpt, or give another --checkpoint" in proc.stderr
    assert (tmp_path / "keep.ckpt").read_bytes() == kept
    assert not (tmp_path / "lrnn-model.safetensors").exists()
    # an empty file (made by mktemp or touch) holds no run, nor does a diverged run's
    (tmp_path / "empty.ckpt").touch()
    fresh = ["train", "--iterations", "20", "--no-plot", "--checkpoint-every", "5"]
    assert run([*fresh, "--checkpoint", "empty.ckpt"], tmp_path).returncode == 0
    wild = ["train", "breast_cancer", "--learning-rate", "50", "--iterations", "50", "--no-plot"]
    diverged = run([*wild, "--checkpoint", "gone.ckpt", "--checkpoint-every", "1"], tmp_path)
    assert "gone.ckpt holds iteration 1, on the way to diverging" in diverged.stderr
    assert run([*fresh, "--checkpoint", "gone.ckpt"], tmp_path).returncode == 0


def test_a_resume_on_a_changed_file_says_the_file_changed(tmp_path):
    """The same options on a file edited since the checkpoint: it said "prepared another way
    (--standardize, --label … differ)", though every option was the same."""
    frame = pd.DataFrame({"a": [0.1, 0.9, 0.2, 0.8] * 5, "label": [0, 1, 0, 1] * 5})
    frame.to_csv(tmp_path / "d.csv", index=False)
    common = ["train", "d.csv", "--iterations", "30", "--no-plot", "--checkpoint", "c.safetensors"]
    assert run([*common, "--checkpoint-every", "10"], tmp_path).returncode == 0
    frame.assign(a=frame["a"] + 1).to_csv(tmp_path / "d.csv", index=False)
    proc = run(["train", "d.csv", "--resume", "c.safetensors", "--no-plot"], tmp_path)
    assert_clean_failure(proc, (2,), "made on 'd.csv' as it was then; the data has changed since")


def test_a_bare_resume_saves_where_the_run_did_or_says_why_not(tmp_path):
    """``--resume CK`` alone once saved the model to the default file (replacing the one
    there) and dropped the history the run was writing."""
    common = ["train", "breast_cancer", "--standardize", "--iterations", "30", "--no-plot"]
    outputs = ["--model", "m.safetensors", "--history", "h.csv", "--checkpoint", "c.safetensors"]
    first = run([*common, *outputs, "--checkpoint-every", "10"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "checkpoint saved to c.safetensors" in first.stdout  # with the other files
    kept = (tmp_path / "m.safetensors").read_bytes()  # another model, at the default path
    (tmp_path / "lrnn-model.safetensors").write_bytes(kept)
    before = snapshot(tmp_path)
    bare = run([*common, "--resume", "c.safetensors"], tmp_path)
    assert_clean_failure(bare, (2,), "saves its model to 'm.safetensors'")
    assert "give --model m.safetensors" in bare.stderr
    assert snapshot(tmp_path) == before
    resumed = run(
        [*common, "--resume", "c.safetensors", "--model", "m.safetensors", "--print-every", "5"],
        tmp_path,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "its history to 'h.csv'; this one writes none — give --history h.csv" in resumed.stderr
    assert (  # lines come at the history's rows: it said "printed that often"
        "--print-every 5: the history keeps the spacing of the run it continues (every 100 "
        "iterations), and lines are printed at its rows — every 100 iterations." in resumed.stderr
    )
    assert (tmp_path / "lrnn-model.safetensors").read_bytes() == kept


def test_resuming_lbfgs_with_its_own_print_every_gives_no_warning(tmp_path):
    """lbfgs and newton record every iteration whatever is printed; the resume line the run
    printed itself (same --print-every) warned that the history keeps another spacing."""
    command = ["train", "breast_cancer", "--standardize", "--solver", "lbfgs", "--iterations",
               "5", "--print-every", "1000", "--no-plot", "--model", "m.safetensors",
               "--checkpoint", "c.safetensors"]  # fmt: skip
    assert run([*command, "--checkpoint-every", "5"], tmp_path).returncode == 0
    # each run with --checkpoint-every and no --checkpoint keeps a checkpoint of its own
    # beside the model (m.ckpt, m-2.ckpt, …): said where, as --json says it
    numbered = run([*command[:-2], "--checkpoint-every", "5", "--json"], tmp_path)
    names = [json.loads(line)["checkpoint"] for line in numbered.stdout.splitlines()[-1:]]
    again = run([*command[:-2], "--checkpoint-every", "5"], tmp_path)
    assert names == ["m.ckpt.safetensors"] and "checkpoint saved to m-2.ckpt" in again.stdout
    resumed = run([*command, "--resume", "c.safetensors"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "keeps the spacing" not in resumed.stderr


@pytest.mark.parametrize("solver", ["momentum", "nesterov", "adam", "newton", "auto"])
def test_every_solver_runs_from_the_command_line(tmp_path, solver):
    proc = run(
        [
            "train",
            "breast_cancer",
            "--standardize",
            "--solver",
            solver,
            "--learning-rate",
            "auto",
            "--iterations",
            "200",
            "--no-plot",
            "--json",
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["train_accuracy"] > 0.95


def test_a_second_order_solver_stopped_short_says_so_in_the_commands_words(tmp_path):
    """tol is 0 on the command line: L-BFGS stopped by --iterations short of the optimum warns,
    in one line, naming the options (not the library's max_iter)."""
    proc = run(
        ["train", "breast_cancer", "--solver", "lbfgs", "--iterations", "5", "--no-plot"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    warning = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert warning == [next(line for line in warning if "before reaching the optimum" in line)], (
        proc.stderr
    )
    assert "lbfgs stopped at --iterations 5 before reaching the optimum" in warning[0]
    assert "raise --iterations" in warning[0] and "max_iter" not in warning[0]


@pytest.mark.parametrize("interrupts", [1, 2])
def test_ctrl_c_while_saving_finishes_the_save_or_stops_at_once(tmp_path, monkeypatch, capsys,
                                                               interrupts):  # fmt: skip
    """Once the iterations are done, an interrupt lets the model and its files be written
    first (they are a trained model, not to be thrown away); a second one stops at once,
    writing nothing."""
    import os

    from lrnn.cli import commands, main

    real_save = commands._save_train_outputs

    def interrupted_save(*args, **kwargs):
        for _ in range(interrupts):
            os.kill(os.getpid(), signal.SIGINT)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(commands, "_save_train_outputs", interrupted_save)
    monkeypatch.chdir(tmp_path)
    status = main(
        ["train", "--iterations", "20", "--plot", "curve.png", "--model", "m.safetensors"]
    )
    err = capsys.readouterr().err
    assert status == 130
    assert "interrupted: saving the model and its files first" in err
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved == (["curve.png", "m.safetensors"] if interrupts == 1 else [])
    if interrupts == 1:
        assert persist.load_model(tmp_path / "m.safetensors").training["iterations"] == 20


def test_an_interrupt_after_the_last_iteration_still_saves_and_says_so(
    tmp_path, monkeypatch, capsys
):
    """A SIGTERM while the result is put together (after the loop, before the save) is not
    lost: the model is saved first, and the exit status says the run was stopped."""
    import os

    import lrnn.train
    from lrnn.cli import main

    real_finish = lrnn.train._finish

    def finish_under_sigterm(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(lrnn.train, "_finish", finish_under_sigterm)
    monkeypatch.chdir(tmp_path)
    status = main(["train", "--iterations", "20", "--no-plot", "--model", "m.safetensors"])
    assert status == 128 + signal.SIGTERM
    assert "interrupted: saving the model and its files first" in capsys.readouterr().err
    assert (tmp_path / "m.safetensors").is_file()


def test_a_chosen_learning_rate_and_a_resumed_run_are_said(tmp_path):
    common = ["train", "breast_cancer", "--standardize", "--no-plot", "--iterations", "200"]
    auto = run([*common, "--learning-rate", "auto", "--checkpoint-every", "100"], tmp_path)
    assert auto.returncode == 0, auto.stderr
    stop = next(line for line in auto.stdout.splitlines() if line.startswith("Stopped"))
    assert "solver gd, learning rate" in stop and "(auto)" in stop
    resumed = run(
        [*common, "--learning-rate", "auto", "--resume", "lrnn-model.ckpt.safetensors"], tmp_path
    )
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[1] == (
        "Resuming lrnn-model.ckpt.safetensors from iteration 200"
    )


def test_costs_print_as_the_lesson_does_until_they_blow_up():
    from lrnn.cli.train_lines import six_decimals as _cost

    assert _cost(0.6931471805599453) == "0.693147"  # the lesson's "Cost after iteration 0"
    assert _cost(1e300) == "1.0000e+300"  # not 300 digits
    assert _cost(float("inf")) == "inf"


def test_options_the_run_does_not_use_are_said_and_a_large_batch_is_clipped(tmp_path):
    common = ["train", "breast_cancer", "--standardize", "--no-plot", "--iterations", "20"]
    unused = ["--solver", "newton", "--learning-rate", "0.5", "--batch-size", "10"]
    proc = run([*common, *unused, "--validation-fraction", "0.3", "--n-iter-no-change", "3"],
               tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for flag in ("--learning-rate", "--batch-size", "--validation-fraction", "--n-iter-no-change"):
        assert f"warning: {flag} is ignored: " in proc.stderr, flag
    clipped = run([*common, "--solver", "sgd", "--batch-size", "100000"], tmp_path)
    assert clipped.returncode == 0, clipped.stderr
    assert "--batch-size 100000 is more than the 455 training examples, so it is clipped" in (
        clipped.stderr
    )
    quiet = run([*common, "--solver", "sgd", "--batch-size", "32", "--learning-rate", "0.1"],
                tmp_path)  # fmt: skip
    assert quiet.returncode == 0 and "warning" not in quiet.stderr, quiet.stderr


def test_advice_to_standardize_is_left_out_where_it_was_done(tmp_path):
    """A run on standardized features is not told to standardize them."""
    common = ["train", "breast_cancer", "--solver", "gd", "--tol", "1e-5", "--iterations", "300"]
    common += ["--no-plot", "--model", "m.safetensors"]
    raw = run([*common, "--learning-rate", "1e-7"], tmp_path)
    assert "--standardize for a table" in raw.stderr, raw.stderr
    scaled = run([*common, "--standardize"], tmp_path)
    assert scaled.returncode == 0 and "stopped at --iterations 300" in scaled.stderr
    assert "standardize" not in scaled.stderr, scaled.stderr


def test_sgd_counts_epochs_to_the_end_and_plot_with_no_plot_is_named(tmp_path, capsys, monkeypatch):
    """The header said "5 epochs", the stop line "Stopped after 5 iterations"; --plot beside
    --no-plot drew nothing and said nothing."""
    from lrnn.cli import main

    monkeypatch.chdir(tmp_path)
    args = ["train", "digits", "--solver", "sgd", "--iterations", "5", "--model", "m.safetensors"]
    assert main([*args, "--no-plot", "--plot", "p.png"]) == 0
    out, err = capsys.readouterr()
    assert "Stopped after 5 epochs: ran every epoch asked for; solver sgd" in out
    assert "warning: --plot is ignored: --no-plot asks for no learning curve — drop it." in err
    assert not (tmp_path / "p.png").exists()


def test_a_finished_run_leaves_its_final_state_as_the_checkpoint(tmp_path, capsys, monkeypatch):
    """The last periodic checkpoint (iteration 20 of 25) stayed: resuming from it redid the
    tail and replaced the model (with other bits for lbfgs-scipy)."""
    from lrnn import checkpoint
    from lrnn.cli import main

    monkeypatch.chdir(tmp_path)
    common = ["train", "digits", "--iterations", "25", "--no-plot", "--model", "m.safetensors"]
    assert main([*common, "--checkpoint", "c.safetensors", "--checkpoint-every", "10"]) == 0
    assert checkpoint.read("c.safetensors")[1]["iteration"] == 25
    capsys.readouterr()
    assert main([*common, "--resume", "c.safetensors"]) == 0
    assert "Resuming c.safetensors from iteration 25" in capsys.readouterr().out


def test_verify_says_a_resumed_lbfgs_scipy_run_cannot_be_reproduced_bit_for_bit(tmp_path):
    """scipy's L-BFGS-B restarts its memory on a resume: verify blamed the difference on an
    edited file or another way of reading the data. A resumed run's manifest says where it
    was resumed, and verify says that instead."""
    import dataclasses

    from lrnn import persist

    args = ["train", "breast_cancer", "--standardize", "--solver", "lbfgs-scipy", "--alpha"]
    assert run([*args, "1e-2", "--no-plot", "--model", "m.safetensors"], tmp_path).returncode == 0
    model = persist.load_model(tmp_path / "m.safetensors")
    resumed = dataclasses.replace(  # as a resumed run ends: the same optimum, other last bits
        model, w=model.w * (1 + 1e-9), manifest={**model.manifest, "resumed_at": 4}
    )
    persist.save_model(tmp_path / "m.safetensors", resumed)
    proc = run(["verify", "--model", "m.safetensors"], tmp_path)
    assert proc.returncode == 1
    assert "this lbfgs-scipy run was resumed at iteration 4" in proc.stdout, proc.stdout


def test_json_output_ends_with_an_interrupted_event(tmp_path):
    """With --json a stream cut by Ctrl-C just stopped: the interruption and the checkpoint
    were on stderr only."""
    args = ["train", "breast_cancer", "--standardize", "--iterations", "200000", "--no-plot",
            "--print-every", "10", "--model", "m.safetensors", "--json"]  # fmt: skip
    proc = _interrupt_after(args, tmp_path, '"iteration": 20,')
    assert proc.returncode == 130, proc.stderr
    last = json.loads(proc.stdout.splitlines()[-1])
    assert last["event"] == "interrupted" and last["checkpoint"] == "m.ckpt.safetensors"
    assert last["iteration"] >= 20 and last["resume"].startswith("lrnn train ")
    assert (tmp_path / "m.ckpt.safetensors").exists()


def test_a_run_started_ignoring_sigint_keeps_ignoring_it(tmp_path):
    """A job a script puts in the background starts with SIGINT ignored: the terminal's Ctrl-C
    is not meant for it. lrnn train set its own handler and stopped on it."""
    args = [*lrnn_command(), "train", "--iterations", "200000", "--print-every", "100000"]
    proc = subprocess.Popen(
        [*args, "--no-plot", "--model", "b.safetensors"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert proc.stdout.readline().startswith("Training on")
    time.sleep(1)
    proc.send_signal(signal.SIGINT)  # ignored, as the run was started ignoring it
    time.sleep(1)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)  # still caught: a checkpoint to resume from
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM and "checkpoint saved to b.ckpt" in err


def test_the_resume_hint_runs_as_printed_with_odd_names():
    """--resume PATH at the end: a checkpoint named -m.ckpt… was read as an option, and after
    "-- -data.csv" the option was taken for data."""
    from types import SimpleNamespace

    from lrnn.cli.parser import build_parser
    from lrnn.cli.train_lines import resume_hint

    for typed, checkpoint in (
        (["train", "d.csv", "--model=-m.safetensors"], "-m.ckpt.safetensors"),
        (["train", "--no-plot", "--", "-data.csv"], "lrnn-model.ckpt.safetensors"),
    ):
        hint = shlex.split(resume_hint(SimpleNamespace(argv=typed), checkpoint))
        args = build_parser().parse_args(["train", *hint])
        assert args.resume == checkpoint and args.data in ("d.csv", "-data.csv")


def test_an_output_name_that_is_not_utf8_is_written(tmp_path):
    """A name of Latin-1 bytes (or any name under an ASCII locale) failed with "'utf-8' codec
    can't encode character '\\udce9'", exit 1, where reading such names worked."""
    name = os.fsdecode(b"m\xe9.safetensors")
    proc = run(["train", "--iterations", "5", "--no-plot", "--model", name], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(tmp_path) == [name]


def test_json_output_that_fails_ends_with_an_error_event(tmp_path):
    """A run that diverged ended its stream with a record; why it stopped was on stderr only."""
    args = ["train", "breast_cancer", "--learning-rate", "50", "--no-plot", "--json"]
    proc = run(args, tmp_path)
    assert proc.returncode == 1 and "training diverged" in proc.stderr
    last = json.loads(proc.stdout.splitlines()[-1])
    assert last == {"event": "error", "exit": 1, "message": proc.stderr.strip()[len("error: ") :]}


def test_the_barely_trained_note_is_in_the_json_result_too(tmp_path):
    """Early stopping that kept one of the first checks says so on stdout; with --json that
    line vanished from both streams."""
    args = ["train", "breast_cancer", "--standardize", "--early-stopping", "--n-iter-no-change"]
    args += ["3", "--learning-rate", "0.5", "--iterations", "20000", "--no-plot"]
    text = run(args, tmp_path)
    assert "note: early stopping kept the weights of iteration 100" in text.stdout
    result = json.loads(run([*args, "--json"], tmp_path).stdout.splitlines()[-1])
    assert result["event"] == "result" and result["restored_iteration"] == 100
    assert result["note"].startswith("early stopping kept the weights of iteration 100")


def test_seed_with_test_data_and_nothing_random_is_named(tmp_path, capsys, monkeypatch):
    """--test replaces the hold-out and gd takes every example in order: --seed changed
    nothing and nothing said so. sgd draws its batches from it, so there it is used."""
    from lrnn.cli import main

    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"a": [0.1, 0.9] * 10, "label": [0, 1] * 10}).to_csv("t.csv", index=False)
    common = ["train", "t.csv", "--test", "t.csv", "--seed", "5", "--iterations", "3", "--no-plot"]
    assert main([*common, "--model", "m.safetensors"]) == 0
    said = "warning: --seed is ignored: with --test and the gd solver nothing is drawn at random"
    assert said in capsys.readouterr().err
    assert main([*common, "--model", "s.safetensors", "--solver", "sgd"]) == 0
    assert "--seed is ignored" not in capsys.readouterr().err


def test_drop_leaves_an_id_column_out_and_a_numbering_column_is_pointed_out(tmp_path):
    """A table's ID column was trained on as a feature, with no way to leave it out and no
    word: in a file sorted by class it is the best predictor of all. It is now named in a
    warning, and --drop leaves it out of training, of the model and of what predict reads;
    verify retrains the same model."""
    from sklearn.datasets import load_breast_cancer

    from lrnn import persist

    X, y = load_breast_cancer(return_X_y=True)
    order = np.argsort(y, kind="stable")  # sorted by class: the row number predicts it
    X, y = X[order][:, :4], y[order]
    lines = ["patient_id,a,b,c,d,label"]
    lines += [
        f"{i},{','.join(f'{v:.6g}' for v in row)},{c}"
        for i, (row, c) in enumerate(zip(X, y, strict=True))
    ]
    (tmp_path / "p.csv").write_text("\n".join(lines) + "\n")
    common = [
        "train",
        "p.csv",
        "--standardize",
        "--solver",
        "newton",
        "--alpha",
        "1e-2",
        "--no-plot",
    ]
    plain = run([*common, "--model", "with.safetensors"], tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert "column 'patient_id' holds a different whole number on every row and runs in order" in (
        plain.stderr
    )
    assert "--drop patient_id" in plain.stderr
    # --drop before DATA: one column per flag, so the path is not taken for a second column
    dropped = run(
        ["train", "--drop", "patient_id", *common[1:], "--model", "without.safetensors"], tmp_path
    )
    assert dropped.returncode == 0, dropped.stderr
    assert "patient_id" not in dropped.stderr and "4 features" in dropped.stdout
    model = persist.load_model(tmp_path / "without.safetensors")
    assert model.feature_names == ["a", "b", "c", "d"] and model.w.shape == (4,)
    assert model.manifest["request"]["drop"] == ["patient_id"]
    predicted = run(["predict", "--model", "without.safetensors", "p.csv"], tmp_path)
    assert predicted.returncode == 0 and len(predicted.stdout.splitlines()) == 570
    verified = run(["verify", "--model", "without.safetensors"], tmp_path)
    assert verified.returncode == 0 and "bit-identical" in verified.stdout, verified.stderr
    # verify repeats a model's run as it was: no advice it cannot take
    repeated = run(["verify", "--model", "with.safetensors"], tmp_path)
    assert repeated.returncode == 0 and "patient_id" not in repeated.stderr, repeated.stderr


def test_ctrl_c_leaves_a_foreign_file_at_the_default_checkpoint_path_alone(tmp_path):
    """A run that schedules no checkpoint writes one only when stopped, at MODEL.ckpt
    .safetensors: a file of the user's there was replaced (its path is checked only when a
    checkpoint is scheduled). It is left alone; the checkpoint goes to the next free name."""
    (tmp_path / "o.ckpt.safetensors").write_text("precious\n")
    args = ["train", "--model", "o.safetensors", "--iterations", "1000000", "--no-plot"]
    proc = _interrupt_after(args, tmp_path, "Cost after iteration 0")
    assert proc.returncode == 130, proc.stderr
    assert (tmp_path / "o.ckpt.safetensors").read_text() == "precious\n"
    assert (
        "checkpoint saved to o-2.ckpt.safetensors (o.ckpt.safetensors holds another file, "
        "left alone). Resume with: " in proc.stderr
    )
    from lrnn import checkpoint, persist

    state, _ = checkpoint.state_from_checkpoint(
        *persist.load_checkpoint(tmp_path / "o-2.ckpt.safetensors")
    )
    assert state.iteration > 0


def test_ctrl_c_leaves_an_earlier_runs_checkpoint_alone_and_the_start_says_it_waits(tmp_path):
    """A second run that forgot --resume replaced the first one's checkpoint when stopped (its
    627,869 iterations of progress lost), and nothing was said at its start."""
    from lrnn import checkpoint, persist

    args = ["train", "--model", "o.safetensors", "--iterations", "1000000", "--no-plot"]
    first = _interrupt_after(args, tmp_path, "Cost after iteration 0")
    assert first.returncode == 130 and "checkpoint saved to o.ckpt.safetensors." in first.stderr
    kept = (tmp_path / "o.ckpt.safetensors").read_bytes()
    stopped_at = checkpoint.read(str(tmp_path / "o.ckpt.safetensors"))[1]["iteration"]
    second = _interrupt_after(args, tmp_path, "Cost after iteration 0")
    assert second.returncode == 130, second.stderr
    assert (
        f"warning: o.ckpt.safetensors holds an earlier run stopped at iteration {stopped_at} of "
        "1000000; "
        "this run starts afresh and leaves it alone — to continue that run instead, add "
        "--resume o.ckpt.safetensors." in second.stderr
    )
    assert (
        "checkpoint saved to o-2.ckpt.safetensors (o.ckpt.safetensors holds an earlier run's "
        "checkpoint, left alone)" in second.stderr
    )
    assert (tmp_path / "o.ckpt.safetensors").read_bytes() == kept
    state, _ = checkpoint.state_from_checkpoint(
        *persist.load_checkpoint(tmp_path / "o-2.ckpt.safetensors")
    )
    assert state.iteration > 0
    # scheduled checkpoints do not replace it either: they go to the next free name
    scheduled = run(
        [*args[:3], "--iterations", "5", "--no-plot", "--checkpoint-every", "2"], tmp_path
    )
    assert scheduled.returncode == 0, scheduled.stderr
    assert "(its checkpoints go to o-3.ckpt.safetensors)" in scheduled.stderr
    assert (tmp_path / "o.ckpt.safetensors").read_bytes() == kept
    assert (tmp_path / "o-3.ckpt.safetensors").exists()
    # a resumed run saves into the checkpoint it continues, not over the default path's
    resumed = [*args, "--resume", "o-2.ckpt.safetensors", "--checkpoint-every", "1000"]
    # (stopped once the loop runs: a Ctrl-C while the run is still being set up saves nothing,
    # as there is nothing new to save, and that raced with the "Resuming" line under load)
    again = _interrupt_after(resumed, tmp_path, "Cost after iteration 100")
    assert again.returncode == 130 and "saved to o-2.ckpt.safetensors." in again.stderr
    assert (tmp_path / "o.ckpt.safetensors").read_bytes() == kept
    # a run that ended (here stopped early by tol, short of max_iter) keeps its last state
    # there, marked finished: nothing waits, nothing is said
    done = ["train", "--model", "f.safetensors", "--solver", "newton", "--no-plot"]
    ran = run([*done, "--checkpoint-every", "2"], tmp_path)
    assert ran.returncode == 0 and (tmp_path / "f.ckpt.safetensors").exists(), ran.stderr
    assert checkpoint.read(str(tmp_path / "f.ckpt.safetensors"))[1]["iteration"] < 100
    again = run(done, tmp_path)
    assert again.returncode == 0 and "earlier run" not in again.stderr, again.stderr


def test_drop_leaves_out_a_column_of_text_ids(tmp_path):
    """The error for a text column says to drop it, and --drop did not: the table's values
    were checked before the column was left out. A misspelt --drop names the column meant."""
    rows = [f"x{i},{i % 7},{(3 * i) % 5},{'yes' if i % 2 else 'no'}" for i in range(40)]
    (tmp_path / "named.csv").write_text("name,a,b,label\n" + "\n".join(rows) + "\n")
    common = ["named.csv", "--no-plot", "--iterations", "5", "--model", "m.safetensors"]
    refused = run(["train", *common], tmp_path)
    assert refused.returncode == 2 and "column 'name' has non-numeric value 'x0'" in refused.stderr
    trained = run(["train", *common, "--drop", "name"], tmp_path)
    assert trained.returncode == 0, trained.stderr
    assert "named.csv: 32 examples × 2 features" in trained.stdout
    predicted = run(["predict", "--model", "m.safetensors", "named.csv"], tmp_path)
    assert predicted.returncode == 0 and len(predicted.stdout.splitlines()) == 41
    misspelt = run(["train", *common, "--drop", "nme"], tmp_path)
    assert misspelt.returncode == 2
    assert "do not hold; check the name; did you mean 'name'?" in misspelt.stderr
