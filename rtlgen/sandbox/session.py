"""A long-lived confined process spoken to over pipes (for example a warm yosys-abc).

Same confinement as a job (``Sandbox.open_session``); each request has its own deadline and
output cap, and a request that overruns kills the whole session, which the caller then reopens.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import time
import weakref
from pathlib import Path

from rtlgen.sandbox.job import KilledBy


class SessionError(Exception):
    """The session died or overran a request; ``killed_by`` says which limit, if any."""

    def __init__(self, message: str, killed_by: KilledBy = KilledBy.NONE, output: str = "") -> None:
        super().__init__(message)
        self.killed_by = killed_by
        self.output = output


class SandboxSession:
    def __init__(self, argv: list[str], *, cwd: str, env: dict[str, str], job_dir: Path, keep_dir: bool) -> None:
        self.job_dir = job_dir
        self._keep_dir = keep_dir
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, start_new_session=True, close_fds=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._buf = bytearray()
        # A session dropped without close() (a crashed worker, an exception) still loses its process and dir.
        self._finalizer = weakref.finalize(self, _cleanup, self.proc.pid, None if keep_dir else job_dir)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def request(self, text: str, until: bytes, *, timeout_s: float = 60.0, output_cap: int = 4_000_000) -> str:
        """Write ``text``, then read until ``until`` appears; returns the output before it."""
        if not self.alive:
            raise SessionError("session process has exited", output=self._buf.decode("utf-8", "replace"))
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except BrokenPipeError as exc:
            raise SessionError("session process closed its input") from exc
        deadline = time.monotonic() + timeout_s
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout.fileno(), selectors.EVENT_READ)
            while True:
                idx = self._buf.find(until)
                if idx >= 0:
                    out = bytes(self._buf[:idx])
                    del self._buf[:idx + len(until)]
                    return out.decode("utf-8", "replace")
                if len(self._buf) > output_cap:
                    self.close()
                    raise SessionError("session output over its cap", KilledBy.OUTPUT)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    tail = self._buf[-2000:].decode("utf-8", "replace")
                    self.close()
                    raise SessionError(f"session request exceeded {timeout_s:g}s", KilledBy.TIMEOUT, tail)
                if not sel.select(timeout=min(remaining, 0.5)):
                    continue
                try:
                    chunk = os.read(self.proc.stdout.fileno(), 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    tail = self._buf[-2000:].decode("utf-8", "replace")
                    self.close()
                    raise SessionError("session process exited mid-request", output=tail)
                self._buf += chunk

    def close(self) -> None:
        self._finalizer.detach()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if not self._keep_dir:
            shutil.rmtree(self.job_dir, ignore_errors=True)

    def __enter__(self) -> SandboxSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _cleanup(pid: int, job_dir: Path | None) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if job_dir is not None:
        shutil.rmtree(job_dir, ignore_errors=True)
