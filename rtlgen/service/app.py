"""The FastAPI application: one ``Service`` (sandbox, queue, metrics) behind auth and a body-size gate.

    app = create_app(load_service_config())      # what ``rtlgen serve`` runs under uvicorn

Every error a client can cause is a 4xx whose JSON body is ``{"error": "<one line>"}``; the service keeps
serving. The routes live in ``routes_jobs`` (sandbox jobs), ``routes_judge``, ``routes_reward`` and
``routes_runcode``; health, readiness, metrics and tool fingerprints are here.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rtlgen.errors import InputError, RtlgenError, SandboxUnavailableError, ToolMissingError
from rtlgen.sandbox import Job, Limits, Sandbox, SandboxConfig, build_sandbox, find_tool, has_tool
from rtlgen.sandbox.tools import KNOWN_TOOLS
from rtlgen.service.auth import BearerAuth
from rtlgen.service.limits import BodyLimit, RequestError, _inside, allowed_ro_prefixes
from rtlgen.service.metrics import Metrics, Refusal
from rtlgen.service.queue import Busy, JobQueue, QueuedExecutor
from rtlgen.service.settings import ServiceConfig

_READY_TTL_S = 10.0


@dataclass(frozen=True)
class Service:
    """What every route shares: the server's ``Sandbox`` and the queue in front of it."""

    config: ServiceConfig
    sandbox: Sandbox  # cache + executor: local bubblewrap, or the workers of --workers-dir
    queue: JobQueue
    metrics: Metrics
    shared: Sandbox  # for the judge: its jobs go through ``queue`` like everyone else's

    def close(self) -> None:
        self.queue.close()
        self.sandbox.close()


def build_service(config: ServiceConfig, sandbox: Sandbox | None = None) -> Service:
    if sandbox is None:
        if config.workers_dir:
            from rtlgen.sandbox.remote import RemoteExecutor

            forward = RemoteExecutor.over_workers_dir(config.workers_dir, token=config.resolved_token(),
                                                      batch_size=1)
            sandbox = Sandbox(config.sandbox, executor=forward)
        else:
            sandbox = build_sandbox(config.sandbox)
    metrics = Metrics()
    queue = JobQueue(sandbox.run, config.thread_workers, config.queue_size, metrics,
                     store_size=config.result_store_size, store_ttl_s=config.result_store_ttl_s,
                     store_bytes=config.result_store_bytes)
    shared = Sandbox(SandboxConfig(executor="local"), executor=QueuedExecutor(queue, sandbox.executor))
    return Service(config, sandbox, queue, metrics, shared)


class _Readiness:
    """``/readyz``: a trivial job through the real sandbox, at most every ten seconds."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.lock = threading.Lock()
        self.checked = 0.0
        self.state: tuple[bool, str] = (False, "not checked yet")

    def check(self) -> tuple[bool, str]:
        with self.lock:
            if time.monotonic() - self.checked < _READY_TTL_S:
                return self.state
            try:
                res = self.service.sandbox.run(Job.single(["/usr/bin/true"], limits=Limits(wall_s=10), cacheable=False))
                self.state = (True, "sandbox runs jobs") if res.exit_code == 0 else (
                    False, f"a trivial job failed: {' '.join(res.stderr.split())[:200]}")
            except RtlgenError as exc:
                self.state = (False, str(exc))
            self.checked = time.monotonic()
            return self.state


def service_of(request: Request) -> Service:
    return request.app.state.service


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, or a 400 saying where it is malformed."""
    body = await request.body()
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        raise RequestError(400, "request body is not UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise RequestError(400, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise RequestError(400, "request body is nested too deeply; send a flat JSON object") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise RequestError(400, f"request body holds a value JSON cannot read here: {str(exc)[:120]}") from None
    if not isinstance(data, dict):
        raise RequestError(400, f"request body must be a JSON object, not {type(data).__name__}")
    return data


def check_keys(data: dict, known: set[str], where: str, required: tuple[str, ...] = ()) -> None:
    extra = sorted(set(data) - known)
    if extra:
        raise RequestError(400, f"unknown field {extra[0]!r} in {where}; known: {', '.join(sorted(known))}")
    for name in required:
        if name not in data:
            raise RequestError(400, f"{where} needs the field {name!r}")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())[:2000]}, status_code=status, headers=headers)


def create_app(config: ServiceConfig, sandbox: Sandbox | None = None) -> FastAPI:
    from rtlgen.service import routes_jobs, routes_judge, routes_reward, routes_runcode

    service = build_service(config, sandbox)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        service.close()

    app = FastAPI(title="rtlgen", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.service = service
    ready = _Readiness(service)

    @app.exception_handler(RequestError)
    async def _request_error(_request: Request, exc: RequestError):
        service.metrics.refuse(Refusal.TOO_LARGE if exc.status == 413 else Refusal.BAD_REQUEST)
        return _error(exc.status, str(exc), exc.headers)

    @app.exception_handler(Busy)
    async def _busy(_request: Request, exc: Busy):
        service.metrics.refuse(Refusal.BUSY)
        return _error(429, str(exc), {"Retry-After": str(exc.retry_after_s)})

    @app.exception_handler(InputError)
    async def _input_error(_request: Request, exc: InputError):
        service.metrics.refuse(Refusal.BAD_REQUEST)
        return _error(400, str(exc))

    @app.exception_handler(SandboxUnavailableError)
    @app.exception_handler(ToolMissingError)
    async def _unavailable(_request: Request, exc: RtlgenError):
        return _error(503, str(exc), {"Retry-After": "5"})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException):  # 404, 405: the same {"error": ...}
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(_request: Request, exc: Exception):
        return _error(500, f"internal error: {type(exc).__name__}: {exc}")

    @app.get("/healthz")
    async def healthz():
        return {"ok": True}

    @app.get("/readyz")
    def readyz():
        ok, reason = ready.check()
        return JSONResponse({"ready": ok, "reason": reason}, status_code=200 if ok else 503)

    @app.get("/metrics")
    async def metrics():
        return PlainTextResponse(service.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/v1/tools")
    def tools(request: Request):
        asked = request.query_params.getlist("tool")
        if len(asked) > 256 or any(len(t) > 4096 for t in asked):
            raise RequestError(400, "ask for at most 256 tools, each path under 4096 characters")
        known = {name: find_tool(name) for name in KNOWN_TOOLS if has_tool(name)}
        prefixes = allowed_ro_prefixes(config)
        # fingerprints stat host files: only for tools this server would let a job see
        if any("\0" in t for t in asked):
            raise RequestError(400, "a tool name or path may not hold a NUL byte")
        # a bare name is looked up on PATH; anything with a slash is a host path, shown only inside the mounts
        visible = [t for t in asked if "/" not in t or _inside(t, prefixes)]
        prints = service.sandbox.executor.fingerprints([*visible, *known.values()])
        prints.update({t: f"{t}:not-visible" for t in asked if t not in visible})
        return {"fingerprints": prints, "tools": known, "confinement": service.sandbox.executor.confinement}

    for module in (routes_jobs, routes_judge, routes_reward, routes_runcode):
        app.include_router(module.router)
    token = config.resolved_token()
    gated = BearerAuth(app, token, on_refuse=lambda: service.metrics.refuse(Refusal.AUTH))
    outer = BodyLimit(gated, config.max_body_bytes, on_refuse=lambda: service.metrics.refuse(Refusal.TOO_LARGE))
    outer.state = app.state  # type: ignore[attr-defined]  # tests reach the service through the outer app
    return outer  # type: ignore[return-value]


def read_job_id(value: Any, where: str) -> str | None:
    """A client's job id: up to 128 letters, digits, ``-`` and ``_`` (None: no id, no replay)."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 128 or not all((c.isascii() and c.isalnum()) or c in "-_" for c in value):
        raise RequestError(400, f"{where}.id must be 1-128 letters, digits, '-' or '_', not {str(value)[:40]!r}")
    return value


__all__ = ["Service", "build_service", "check_keys", "create_app", "read_job_id", "read_json", "service_of"]
