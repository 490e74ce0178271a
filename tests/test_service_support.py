"""Helpers for the service tests (no tests here): a real ``rtlgen serve`` in a subprocess on 127.0.0.1.

    with ServerProcess(token="t0k") as server:
        httpx.get(server.url + "/healthz")

Each server runs in its own session; stopping it signals that process group only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``rtlgen serve`` on an ephemeral loopback port (or a unix socket); ``extra`` are more CLI arguments."""

    def __init__(self, *, token: str | None = None, workers: int = 2, extra: tuple[str, ...] = (),
                 uds: str | None = None, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.token = token
        self.uds = uds
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="rtlgen-serve-test-"))
        args = [sys.executable, "-m", "rtlgen.cli.main", "serve", "--workers", str(workers), *extra]
        if uds:
            args += ["--uds", uds]
        else:
            args += ["--host", "127.0.0.1", "--port", str(self.port)]
        if token:
            (self.dir / "token").write_text(token + "\n")
            args += ["--token-file", str(self.dir / "token")]
        self.args = args
        self.env = {**os.environ, "RTLGEN_NO_PROGRESS": "1", **(env or {})}
        self.env.pop("RTLGEN_TOKEN", None)
        self.env.pop("RTLGEN_TOKEN_FILE", None)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"unix:{self.uds}" if self.uds else self.url

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def client(self, **kwargs) -> httpx.Client:
        if self.uds:
            return httpx.Client(transport=httpx.HTTPTransport(uds=self.uds), base_url="http://worker",
                                headers=self.headers(), **kwargs)
        return httpx.Client(base_url=self.url, headers=self.headers(), **kwargs)

    def start(self, timeout_s: float = 30.0) -> ServerProcess:
        self.log = open(self.dir / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(self.args, cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.output()}")
            try:
                with self.client(timeout=1.0) as c:
                    if c.get("/healthz").status_code == 200:
                        return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not come up in {timeout_s} s: {self.output()}")

    def output(self) -> str:
        try:
            return (self.dir / "server.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the server's process group (only what this helper started)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
