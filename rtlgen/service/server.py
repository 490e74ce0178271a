"""Run the service under uvicorn: TCP on one address, or a unix socket (``--uds``) for workers without network.

    serve(load_service_config(overrides=["port=8000"]))

One process per server. ``workers`` is the size of its thread pool, not a number of uvicorn processes: the
admission queue, the in-flight map that lets a retried job attach to its run, the result store and the
metrics all live in the process, and jobs are external processes anyway (threads keep every core busy).
To use several machines or containers, run one ``rtlgen serve --uds`` per worker and an api with
``--workers-dir`` in front of them (``rtlgen.sandbox.remote.RemoteExecutor.over_workers_dir``).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from rtlgen.errors import InputError
from rtlgen.service.settings import ServiceConfig

log = logging.getLogger("rtlgen.service")


def _free_socket_path(path: str) -> None:
    """Remove a stale socket left by a dead server; refuse to replace anything that is not a socket."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = p.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise InputError(f"--uds {path} exists and is not a socket; choose another path")
    import socket

    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        p.unlink(missing_ok=True)  # nobody listens: a dead server's leftover
        return
    finally:
        probe.close()
    raise InputError(f"--uds {path}: another server is already listening there")


def deadline_protocol(read_timeout_s: float):
    """uvicorn's h11 protocol with a read deadline: a client that has not sent a whole request (headers and body)
    within ``read_timeout_s`` of connecting, or of its previous answer, is disconnected. uvicorn has no such
    timeout; without it one client holding thousands of half-sent requests uses up the server's sockets before
    the bearer token is ever read. A request whose answer takes long (a slow job) is not affected."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class DeadlineH11Protocol(H11Protocol):
        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def _arm(self) -> None:
            self.loop.call_later(read_timeout_s, self._deadline, self.cycle)

        def _deadline(self, armed_with) -> None:
            if self.transport.is_closing():
                return
            if self.cycle is armed_with or self.cycle.more_body:  # no new request yet, or its body still coming
                self.transport.close()

    return DeadlineH11Protocol


def build_server(config: ServiceConfig):
    """A ``uvicorn.Server`` for ``config`` (not started); checks exposure and the socket path first."""
    import uvicorn

    from rtlgen.service.app import create_app

    config.check_exposure()
    if config.uds:
        _free_socket_path(config.uds)
    app = create_app(config)
    kwargs = {"uds": config.uds} if config.uds else {"host": config.host, "port": config.port}
    uv = uvicorn.Config(app, log_level=config.log_level.value, access_log=False, lifespan="on",
                        timeout_graceful_shutdown=30, http=deadline_protocol(config.read_timeout_s), **kwargs)
    return uvicorn.Server(uv)


def serve(config: ServiceConfig) -> None:
    """Run until interrupted (SIGINT/SIGTERM: finish requests in progress, then stop)."""
    where = f"unix:{config.uds}" if config.uds else f"http://{config.host}:{config.port}"
    log.warning("rtlgen serve on %s: %d job threads, queue %d, %s", where, config.thread_workers,
                config.queue_size, f"forwarding to {config.workers_dir}" if config.workers_dir else "local sandbox")
    server = build_server(config)
    try:
        server.run()
    finally:
        if config.uds and os.path.exists(config.uds):
            Path(config.uds).unlink(missing_ok=True)


__all__ = ["build_server", "deadline_protocol", "serve"]
