"""Run the real ``lrnn`` entry point in a subprocess and check the one-line-error contract."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path


def lrnn_command() -> list[str]:
    script = Path(sys.executable).with_name("lrnn")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lrnn"]


def run(
    args: list[str], cwd: Path, timeout: float = 300, stdin: str | bytes | None = None
) -> subprocess.CompletedProcess:
    """``lrnn ARGS`` in a subprocess; ``stdin`` as text, or as bytes in any encoding."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    feed = {"stdin": subprocess.DEVNULL} if stdin is None else {"input": stdin}
    proc = subprocess.run(
        [*lrnn_command(), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=not isinstance(stdin, bytes),
        timeout=timeout,
        env=env,
        **feed,
    )
    if isinstance(stdin, bytes):
        proc.stdout, proc.stderr = proc.stdout.decode(), proc.stderr.decode()
    return proc


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes: to prove nothing changed."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_clean_failure(proc: subprocess.CompletedProcess, codes=(1, 2), *needles: str) -> str:
    """Exit 1 or 2, exactly one line on stderr, no traceback; returns that line."""
    assert proc.returncode in codes, (proc.returncode, proc.stdout[-500:], proc.stderr[-2000:])
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    line = lines[0]
    for needle in needles:
        assert needle.lower() in line.lower(), line
    return line
