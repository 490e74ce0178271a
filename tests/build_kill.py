"""Start a dataset build as its own process group and SIGKILL it once a stage file shows enough finished batches."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path


def done_batches(path: Path) -> int:
    return path.read_text().count('"kind": "done"') if path.exists() else 0


def kill_after_batches(argv: Sequence[str], cwd: Path, out: Path, stage_glob: str, batches: int,
                       timeout_s: float) -> Path:
    """Run ``argv``, kill its whole group once the stage file matching ``stage_glob`` in ``out`` holds
    ``batches`` done markers; returns that file. Fails if the build ends first."""
    proc = subprocess.Popen(list(argv), cwd=cwd, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    found: list[Path] = []
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            found = sorted(out.glob(stage_glob))
            if found and done_batches(found[0]) >= batches:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the build ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    return found[0]
