"""Crash safety: ``lrnn train`` killed with SIGKILL at random moments never leaves a broken file.

Every trial starts ``lrnn train`` with a previous model already at ``--model`` and kills it after
a random delay (a seeded RNG; half of the delays fall in the last fifth of the run, where the
model, checkpoint, history and plot are written). Afterwards:

* the model path holds the previous model or the new one, bit for bit, never a mix or a torn
  file (and the new one whenever the run finished);
* a checkpoint, when there is one, loads, and resuming from it reproduces the uninterrupted
  run's weights exactly;
* the history and plot, when present, are complete files;
* temporary files ``.<name>.tmp-<pid>-*`` come only from killed writers, and the next run that
  finishes removes them (and any other dead writer's leftovers), so they never accumulate.

Starting a Python process and importing numpy, scikit-learn and numba costs more than the
training itself, so the runs are forked from one helper process that imported everything
once: each child is exactly ``lrnn.cli.main(argv)``, the console script's entry point, with the
expensive imports already done. The helper is the child's parent and does the killing, so a pid
is never signalled after it could have been reused. A few trials also kill the real ``lrnn``
executable, started as a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from lrnn import persist
from lrnn.history import load_history
from tests.cli_helpers import lrnn_command

pytestmark = pytest.mark.slow

#: The helper: imports what ``lrnn train`` needs, then for each request (a JSON line with cwd,
#: argv, kill_after and log) forks a child that runs ``main(argv)`` and kills it with SIGKILL
#: when ``kill_after`` seconds pass first. Replies with one JSON line per request.
FORK_SERVER = r"""
import json, os, signal, sys, time
import numpy, pandas, sklearn.model_selection, matplotlib.figure
import lrnn.cli, lrnn.data, lrnn.persist, lrnn.train, lrnn.plots, lrnn.report
from lrnn.backends import numpy_backend
try:  # the fused kernels, when this lrnn has them: import numba here, not in every child
    import numba
    import lrnn.kernels as kernels
    getattr(kernels, "_compiled", lambda: None)()
except ImportError:
    pass
from lrnn.cli import main


def stalled_fsync(fd, _fsync=os.fsync):
    time.sleep(STALL)  # a slow disk: the temporary file exists, the rename has not happened
    _fsync(fd)


for line in sys.stdin:
    request = json.loads(line)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            if request.get("stall"):
                STALL = request["stall"]
                os.fsync = stalled_fsync
            os.chdir(request["cwd"])
            null = os.open(os.devnull, os.O_WRONLY)
            log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(null, 0)
            os.dup2(null, 1)
            os.dup2(log, 2)
            code = main(request["argv"])
        except BaseException:
            code = 99
        os._exit(code)
    killed = False
    deadline = start + request["kill_after"]
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            killed = True
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.0005)
    reply = {"pid": pid, "killed": killed, "elapsed": time.monotonic() - start,
             "code": os.waitstatus_to_exitcode(status)}
    print(json.dumps(reply), flush=True)
"""

MODEL = "model.safetensors"
CHECKPOINT = "run.ckpt.safetensors"
HISTORY = "history.csv"
PLOT = "model.png"
DATA = ["train.csv", "--test", "test.csv"]

#: name → extra options and iterations; each mode's uninterrupted run takes about a second.
MODES = {
    "plain": (["--no-plot"], 400),
    "checkpoint every iteration": (
        ["--no-plot", "--checkpoint", CHECKPOINT, "--checkpoint-every", "1"],
        80,
    ),
    "plot and history": (["--plot", PLOT, "--history", HISTORY], 200),
}
TRIALS = {"plain": 20, "checkpoint every iteration": 18, "plot and history": 5}
#: Trials whose writes stall in fsync (a slow disk), killed while a temporary file exists.
STALLED_TRIALS = 3
#: Trials that kill the real ``lrnn`` executable (checkpoint mode).
SUBPROCESS_TRIALS = 2


class ForkServer:
    def __init__(self, logs: Path) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", FORK_SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.logs = logs
        self.count = 0

    def run(self, cwd: Path, argv: list[str], kill_after: float = 600.0, stall: float = 0) -> dict:
        self.count += 1
        log = self.logs / f"{self.count}.stderr"
        request = {"cwd": str(cwd), "argv": argv, "kill_after": kill_after, "log": str(log)}
        request["stall"] = stall
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        reply["stderr"] = log.read_text()
        return reply

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    srv = ForkServer(logs)
    yield srv
    srv.close()


def _write_data(folder: Path) -> None:
    rng = np.random.default_rng(7)
    X = rng.standard_normal((400, 20))
    y = (X[:, 0] - X[:, 1] + 0.7 * rng.standard_normal(400) > 0).astype(int)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(20)]).assign(label=y)
    frame.iloc[:300].to_csv(folder / "train.csv", index=False)
    frame.iloc[300:].to_csv(folder / "test.csv", index=False)


def _temp_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(".") and ".tmp-" in p.name)


def _writer_pid(temp: Path) -> int:
    return int(temp.name.split(".tmp-", 1)[1].split("-", 1)[0])


def _dead_pid(candidates: list[int]) -> int:
    """A pid no process has now (a reaped child's), for planting a dead writer's leftovers."""
    for pid in reversed(candidates):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    raise AssertionError("no dead pid to plant")


def _assert_complete_png(path: Path) -> None:
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        img.load()


class Trials:
    """The running checks and tallies of one test."""

    def __init__(self, previous: persist.ModelFile, previous_bytes: bytes) -> None:
        self.previous, self.previous_bytes = previous, previous_bytes
        self.pids: list[int] = []
        self.killed_pids: set[int] = set()
        self.stats = {"trials": 0, "killed": 0, "kept previous": 0, "left temp files": 0}

    def reset(self, folder: Path) -> None:
        (folder / MODEL).write_bytes(self.previous_bytes)
        for name in (CHECKPOINT, HISTORY, PLOT):
            (folder / name).unlink(missing_ok=True)

    def check(self, folder: Path, killed: bool, new: persist.ModelFile, iterations: int) -> None:
        """Everything a kill may leave: the promises in the module docstring."""
        self.stats["trials"] += 1
        self.stats["killed"] += killed
        model = persist.load_model(folder / MODEL)  # never torn: it loads
        if np.array_equal(model.w, self.previous.w) and model.b == self.previous.b:
            assert killed, "a finished run left the previous model"
            self.stats["kept previous"] += 1
        else:
            assert np.array_equal(model.w, new.w) and model.b == new.b
        if (folder / CHECKPOINT).exists():
            tensors, meta = persist.load_checkpoint(folder / CHECKPOINT)
            assert 1 <= meta["iteration"] <= iterations
            assert np.isfinite(tensors["theta"]).all()
        if (folder / HISTORY).exists():
            history = load_history(folder / HISTORY)
            assert history["iteration"][-1] == max(range(0, iterations, 100))
        if (folder / PLOT).exists():
            _assert_complete_png(folder / PLOT)
        leftovers = _temp_files(folder)
        self.stats["left temp files"] += bool(leftovers)
        assert {_writer_pid(p) for p in leftovers} <= self.killed_pids, leftovers
        if not killed:
            assert not leftovers, f"a finished run left temporary files: {leftovers}"


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for data in ("train.csv", "test.csv"):
        (folder / data).write_bytes((tmp_path / data).read_bytes())
    return folder


def test_sigkill_never_leaves_a_broken_file(server, tmp_path):
    rng = np.random.default_rng(20240611)
    _write_data(tmp_path)
    start = _folder(tmp_path, "previous")
    first = server.run(start, ["train", *DATA, "--no-plot", "--iterations", "5", "--model", MODEL])
    assert first["code"] == 0, first["stderr"]
    trials = Trials(persist.load_model(start / MODEL), (start / MODEL).read_bytes())
    trials.pids.append(first["pid"])
    resumed = stalled_leftovers = 0

    for mode, (options, iterations) in MODES.items():
        folder = _folder(tmp_path, mode.replace(" ", "-"))
        argv = ["train", *DATA, "--iterations", str(iterations), "--model", MODEL, *options]

        # Uninterrupted runs: their duration sets the kill window, their weights the new outcome.
        durations = []
        for _ in range(2):  # the first also fills caches; the kill window uses the faster
            trials.reset(folder)
            reference = server.run(folder, argv)
            assert reference["code"] == 0, reference["stderr"]
            trials.pids.append(reference["pid"])
            durations.append(reference["elapsed"])
        new = persist.load_model(folder / MODEL)
        assert not np.array_equal(new.w, trials.previous.w)
        duration = min(durations)

        for trial in range(TRIALS[mode]):
            trials.reset(folder)
            late = trial % 2 == 1  # every other kill lands in the last quarter: the writes
            delay = duration * (rng.uniform(0.75, 1.05) if late else rng.uniform(0, 1.05))
            outcome = server.run(folder, argv, kill_after=delay)
            trials.pids.append(outcome["pid"])
            if outcome["killed"]:
                trials.killed_pids.add(outcome["pid"])
            else:
                assert outcome["code"] == 0, outcome["stderr"]
            trials.check(folder, outcome["killed"], new, iterations)
            if (
                outcome["killed"]
                and resumed < 3
                and (folder / CHECKPOINT).exists()
                and persist.load_checkpoint(folder / CHECKPOINT)[1]["iteration"] < iterations
            ):
                # The checkpoint a kill left behind resumes to the uninterrupted weights.
                resumed += 1
                again = server.run(
                    folder,
                    ["train", *DATA, "--model", MODEL, "--no-plot"] + ["--resume", CHECKPOINT],
                )
                assert again["code"] == 0, again["stderr"]
                trials.pids.append(again["pid"])
                resumed_model = persist.load_model(folder / MODEL)
                assert np.array_equal(resumed_model.w, new.w) and resumed_model.b == new.b

        # A slow disk: fsync stalls, so the kill lands while a temporary file exists (in a
        # checkpoint write, or in the final model write for the runs without checkpoints).
        if mode != "plot and history":
            for _ in range(STALLED_TRIALS):
                trials.reset(folder)
                at = rng.uniform(0.3, 0.6) if "checkpoint" in mode else duration + 0.1
                outcome = server.run(folder, argv, kill_after=at, stall=0.5)
                trials.pids.append(outcome["pid"])
                assert outcome["killed"]
                trials.killed_pids.add(outcome["pid"])
                trials.check(folder, True, new, iterations)
                stalled_leftovers += bool(_temp_files(folder))

        if "checkpoint" in mode:  # the real executable, killed while it writes checkpoints
            command = [*lrnn_command(), *argv[1:]]
            env = {**os.environ, "PYTHONWARNINGS": "ignore"}
            for _ in range(SUBPROCESS_TRIALS):
                trials.reset(folder)
                proc = subprocess.Popen(
                    command,
                    cwd=folder,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
                time.sleep(rng.uniform(1.0, 2.5))  # past the imports, into the iterations
                proc.send_signal(signal.SIGKILL)  # ours, not yet waited for: its pid is held
                proc.wait()
                trials.pids.append(proc.pid)
                trials.killed_pids.add(proc.pid)
                trials.check(folder, True, new, iterations)

        # Dead writers' leftovers next to every output, then a run that finishes: all gone.
        dead = _dead_pid(trials.pids)
        for name in (MODEL, CHECKPOINT, HISTORY, PLOT):
            (folder / f".{name}.tmp-{dead}-0badc0de").write_bytes(b"half a file")
        trials.reset(folder)
        outputs = ["--checkpoint", CHECKPOINT, "--history", HISTORY, "--plot", PLOT]
        final = server.run(folder, [*argv[: -len(options)], *outputs])
        assert final["code"] == 0, final["stderr"]
        assert not _temp_files(folder), _temp_files(folder)
        assert np.array_equal(persist.load_model(folder / MODEL).w, new.w)

    stats = trials.stats
    assert stats["trials"] >= 50 and stats["killed"] >= 25, stats
    assert stats["kept previous"] >= 5, stats
    assert stalled_leftovers >= 1, "no stalled write left a temporary file to clean up"
    print(f"crash trials: {stats}; resumed from a killed run's checkpoint: {resumed}")


def test_a_train_whose_last_output_cannot_be_written_changes_no_file(tmp_path):
    """The model, plot, history and report of one `lrnn train` are written all or nothing: a
    report that cannot be written (the file-size limit stands in for a full disk) leaves the
    previous model, and no new plot, history or temporary file."""
    import resource

    from tests.cli_helpers import assert_clean_failure, snapshot

    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 3))
    pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "label": X[:, 0] > 0}).to_csv(
        tmp_path / "t.csv", index=False
    )
    args = ["t.csv", "--label", "label", "--iterations", "3", "--model", "m.safetensors"]
    first = subprocess.run([*lrnn_command(), "train", *args, "--no-plot"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert first.returncode == 0, first.stderr
    before = snapshot(tmp_path)

    for outputs, limit, needle in (  # the model (~2 KB) and history fit, the last output not
        (["--no-plot", "--report", "r.html"], 100_000, "r.html: cannot write the report"),
        (["--plot", "p.png"], 10_000, "p.png: cannot write the picture"),
    ):

        def small_files(limit: int = limit) -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        proc = subprocess.run(
            [*lrnn_command(), "train", *args, "--learning-rate", "0.5", "--history", "h.csv",
             *outputs],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, preexec_fn=small_files,
        )  # fmt: skip
        assert_clean_failure(proc, (1,), needle)
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)
