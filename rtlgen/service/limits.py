"""What a client may ask of the service: body size, job limits under the server's ceiling, allowed mounts.

``BodyLimit`` is ASGI middleware: a body whose ``Content-Length`` is over ``max_body_bytes`` is answered
413 before a byte of it is read, and a chunked body is cut off (413) as soon as it passes the limit, so a
100 MB request never sits in memory. ``check_job`` refuses a job asking for more than ``max_limits`` (naming
the field), for more wall clock than ``job_timeout_s``, for an input file over ``max_file_bytes``, or for a
host path outside the allow-list: a client must not mount arbitrary host folders into its jobs.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import fields

from rtlgen.errors import InputError
from rtlgen.sandbox.job import Job, Limits
from rtlgen.service.settings import ServiceConfig


class RequestError(InputError):
    """A request the service refuses: ``status`` is the HTTP code, ``str()`` the one-line reason."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(" ".join(message.split()))
        self.status = status
        self.headers = headers or {}


class BodyTooLarge(RequestError):
    """Raised by the counting ``receive`` mid-body; the app's handler (or ``BodyLimit``) answers 413."""


class BodyLimit:
    """ASGI middleware refusing request bodies over ``limit`` bytes with 413, without reading them."""

    def __init__(self, app, limit: int, on_refuse=None) -> None:
        self.app = app
        self.limit = limit
        self.on_refuse = on_refuse  # metrics hook

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.limit
            except ValueError:
                return await _reply(send, 400, "Content-Length is not a number")
            if too_big:
                return await self._refuse(send, int(length))
        seen = 0
        started = False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:  # counted by the app's handler for RequestError
                    raise BodyTooLarge(413, self._message(seen))
            return message

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except BodyTooLarge as exc:
            if not started:
                await _reply(send, 413, str(exc), close=True)

    def _message(self, size: int) -> str:
        return (f"request body of {size} bytes or more is over this server's limit of {self.limit} bytes; "
                "send smaller batches")

    async def _refuse(self, send, size: int) -> None:
        if self.on_refuse:
            self.on_refuse()
        await _reply(send, 413, self._message(size), close=True)


async def _reply(send, status: int, message: str, close: bool = False) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def allowed_ro_prefixes(config: ServiceConfig) -> tuple[str, ...]:
    """Where jobs may mount host folders read-only: the system's programs and libraries, this Python (cocotb
    jobs mount it), ``$RTLGEN_SHARED`` (liberty files, datasets) and whatever the config adds."""
    shared = os.environ.get("RTLGEN_SHARED")
    base = ["/usr", "/lib", "/lib64", sys.prefix, sys.base_prefix, *([shared] if shared else []), *config.ro_paths,
            *config.rw_paths]
    return tuple(dict.fromkeys(os.path.realpath(p) for p in base))


def _inside(path: str, prefixes: tuple[str, ...]) -> bool:
    """Both as written (normalised) and with links resolved, ``path`` lies under one of ``prefixes``."""
    if not os.path.isabs(path) or "\0" in path:
        return False
    for candidate in (os.path.normpath(path), os.path.realpath(path)):
        if not any(candidate == p or candidate.startswith(p.rstrip("/") + "/") for p in prefixes):
            return False
    return True


def check_limits(limits: Limits, ceiling: Limits, where: str) -> None:
    for f in fields(Limits):
        asked, most = getattr(limits, f.name), getattr(ceiling, f.name)
        if asked > most:
            raise RequestError(422, f"{where}.{f.name} = {asked} is above this server's ceiling of {most}")


def check_job(job: Job, config: ServiceConfig, where: str) -> None:
    """``RequestError`` (422) naming the field when ``job`` asks for more than the server allows."""
    ceiling = config.max_limits.as_limits()
    check_limits(job.limits, ceiling, f"{where}.limits")
    total = 0.0
    for n, step in enumerate(job.steps):
        if step.limits is not None:
            check_limits(step.limits, ceiling, f"{where}.steps[{n}].limits")
        total += (step.limits or job.limits).wall_s
    if total > config.job_timeout_s:
        raise RequestError(422, f"{where}: its steps ask for {total:g} s of wall clock together, above this "
                                f"server's job timeout of {config.job_timeout_s:g} s")
    for name, data in job.files.items():
        if len(data) > config.max_file_bytes:
            raise RequestError(413, f"{where}.files[{name!r}] is {len(data)} bytes, over this server's limit of "
                                    f"{config.max_file_bytes} bytes per file")
    ro = allowed_ro_prefixes(config)
    for path in job.ro_paths:
        if not _inside(path, ro):
            raise RequestError(403, f"{where}.ro_paths: {path!r} is outside the folders this server lets jobs "
                                    f"mount ({', '.join(ro)})")
    rw = tuple(os.path.realpath(p) for p in config.rw_paths)
    for path in job.rw_paths:
        if not rw or not _inside(path, rw):
            raise RequestError(403, f"{where}.rw_paths: {path!r} may not be mounted writable here"
                                    + (f" (allowed: {', '.join(rw)})" if rw else "; this server allows none"))


def timeout_from(value, name: str, ceiling: float, default: float) -> float:
    """A client's timeout in seconds: a positive number no larger than ``ceiling`` (422 otherwise)."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise RequestError(422, f"{name} must be a positive number of seconds, not {value!r}")
    if value > ceiling:
        raise RequestError(422, f"{name} = {value} is above this server's ceiling of {ceiling:g} s")
    return float(value)


__all__ = ["BodyLimit", "BodyTooLarge", "RequestError", "allowed_ro_prefixes", "check_job", "check_limits", "timeout_from"]
