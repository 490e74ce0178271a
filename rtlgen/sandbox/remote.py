"""The remote executor: jobs run by an ``rtlgen serve`` over HTTP (or over unix sockets, one per worker).

    sandbox = build_sandbox(SandboxConfig(executor="remote:http://127.0.0.1:8000", token="..."))
    RemoteExecutor.over_workers_dir("/run/rtlgen")  # the api of docker/compose: every worker-*.sock there

Jobs go in batches of ``batch_size`` per ``POST /v1/jobs``, several batches in flight at once (bounded by
``max_in_flight``); ``on_result`` is called from the calling thread as each batch returns. A connection
error, a 429 (after its ``Retry-After``), a 502/503/504 is retried with backoff, on another endpoint when
there are several. Each job carries an id that stays the same across retries, so a server that is still
running (or has finished) a job answers the retry from its result store instead of running it again; a
job is answered to the caller exactly once. Results are ``RemoteJobResult``s: ``attempts`` and
``retried`` say whether a job's batch had to be sent again, ``endpoint`` which server answered.

The token comes from ``SandboxConfig.token``, else ``$RTLGEN_TOKEN``, else the file named by
``$RTLGEN_TOKEN_FILE``. An unreachable server or a refused token is a one-line error.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from rtlgen.errors import InputError, SandboxUnavailableError
from rtlgen.sandbox.executor import Executor, ExecutorKind, OnResult
from rtlgen.sandbox.job import Job, JobResult

TOKEN_ENV = "RTLGEN_TOKEN"
TOKEN_FILE_ENV = "RTLGEN_TOKEN_FILE"
_RETRY_STATUS = frozenset({429, 502, 503, 504})
_MAX_BACKOFF_S = 10.0


@dataclass(frozen=True)
class RemoteJobResult(JobResult):
    """A ``JobResult`` plus how it came back: how many times its batch was sent, and by which server."""

    attempts: int = 1
    endpoint: str = ""
    replayed: bool = False  # the server answered from its result store (it had run the job before)

    @property
    def retried(self) -> bool:
        return self.attempts > 1


def read_token_file(path: str | os.PathLike, what: str = "token file") -> str:
    """The first line of ``path``, stripped; a one-line ``InputError`` when missing or empty."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"{what} {path} cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {path} is not text") from None
    token = text.splitlines()[0].strip() if text else ""
    if not token:
        raise InputError(f"{what} {path} is empty")
    return token


def resolve_token(explicit: str | None = None) -> str | None:
    """``explicit``, else ``$RTLGEN_TOKEN``, else the file named by ``$RTLGEN_TOKEN_FILE``, else None."""
    if explicit:
        return explicit
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV].strip()
    if os.environ.get(TOKEN_FILE_ENV):
        return read_token_file(os.environ[TOKEN_FILE_ENV], f"${TOKEN_FILE_ENV}")
    return None


class _Endpoint:
    """One server: an HTTP base URL or a unix socket; counts its batches in flight, remembers a failure."""

    def __init__(self, name: str, timeout_s: float) -> None:
        import httpx

        self.name = name
        self.in_flight = 0
        self.down_until = 0.0
        timeout = httpx.Timeout(connect=5.0, read=timeout_s, write=60.0, pool=timeout_s)
        if name.startswith("unix:"):
            transport = httpx.HTTPTransport(uds=name[len("unix:"):])
            self.client = httpx.Client(transport=transport, base_url="http://rtlgen-worker", timeout=timeout)
        else:
            self.client = httpx.Client(base_url=name, timeout=timeout)

    def close(self) -> None:
        self.client.close()


class RemoteExecutor(Executor):
    """Runs jobs on one or more ``rtlgen serve`` instances; see the module docstring."""

    kind = ExecutorKind.REMOTE

    def __init__(self, address: str | Sequence[str] = (), token: str | None = None, batch_size: int = 16, *,
                 max_in_flight: int = 8, max_attempts: int = 6, busy_wait_s: float = 600.0,
                 timeout_s: float = 900.0, backoff_s: float = 0.25, workers_dir: str | None = None) -> None:
        addresses = [address] if isinstance(address, str) else list(address)
        if not addresses and not workers_dir:
            raise InputError("the remote executor needs a service URL (remote:http://host:port) or a workers dir")
        if batch_size < 1 or max_in_flight < 1 or max_attempts < 1:
            raise InputError("batch_size, max_in_flight and max_attempts must be positive integers")
        self.token = resolve_token(token)
        self.batch_size = batch_size  # jobs per POST: amortises HTTP and JSON per job
        self.max_in_flight = max_in_flight  # batches posted at once; the server's queue bounds the rest
        self.max_attempts = max_attempts  # connection failures per batch before giving up
        self.busy_wait_s = busy_wait_s  # how long a batch may keep being refused with 429 before giving up
        self.timeout_s = timeout_s  # read timeout of one batch
        self.backoff_s = backoff_s
        self.workers_dir = workers_dir
        self._lock = threading.Lock()
        self._endpoints: dict[str, _Endpoint] = {}
        self._static = [a.rstrip("/") for a in addresses]
        self._scanned = 0.0
        self._fingerprints: dict[str, str] = {}
        self.confinement = "bwrap"  # until the server says (GET /v1/tools)

    @classmethod
    def over_workers_dir(cls, directory: str, token: str | None = None, batch_size: int = 16,
                         **kwargs) -> RemoteExecutor:
        """Forward to every ``*.sock`` in ``directory`` (rescanned as workers come and go), least busy first."""
        return cls((), token=token, batch_size=batch_size, workers_dir=directory, **kwargs)

    # -- Executor -------------------------------------------------------------------------------------------
    def run(self, job: Job) -> JobResult:
        out: list[JobResult] = []
        self.run_many([job], on_result=lambda _i, r: out.append(r))
        return out[0]

    def run_many(self, jobs: Sequence[Job], *, workers: int | None = None, on_result: OnResult | None = None) -> None:
        if not jobs:
            return
        ids = [uuid.uuid4().hex for _ in jobs]
        batches = [list(range(i, min(i + self.batch_size, len(jobs)))) for i in range(0, len(jobs), self.batch_size)]
        answered: set[int] = set()
        # ``workers`` (local concurrency) does not apply: the server's pool and queue bound the jobs it runs
        pool = ThreadPoolExecutor(max_workers=min(self.max_in_flight, len(batches)), thread_name_prefix="rtlgen-remote")
        try:
            pending: set[Future] = {pool.submit(self._send, [jobs[i] for i in b], [ids[i] for i in b], b)
                                    for b in batches}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    for index, result in fut.result():
                        if index in answered:  # never twice, whatever a server sends back
                            continue
                        answered.add(index)
                        if on_result:
                            on_result(index, result)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def fingerprints(self, tools: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(tools))
        missing = [t for t in wanted if t not in self._fingerprints]
        if missing:
            data = self._get_json("/v1/tools", params=[("tool", t) for t in missing])
            self._fingerprints.update({str(k): str(v) for k, v in dict(data.get("fingerprints") or {}).items()})
            self.confinement = str(data.get("confinement") or self.confinement)
            for t in missing:  # a tool the server does not know still needs a stable key part
                self._fingerprints.setdefault(t, f"{t}:unknown-remote")
        return {t: self._fingerprints[t] for t in wanted}

    def close(self) -> None:
        with self._lock:
            for ep in self._endpoints.values():
                ep.close()
            self._endpoints.clear()

    # -- internals ------------------------------------------------------------------------------------------
    def _send(self, batch: list[Job], ids: list[str], indices: list[int]) -> list[tuple[int, JobResult]]:
        """POST one batch until it is answered; a refused token or a bad request raises at once."""
        payload = json.dumps({"jobs": [{"id": i, "job": j.to_json()} for i, j in zip(ids, batch, strict=True)]})
        wall = sum(sum((s.limits or j.limits).wall_s for s in j.steps) for j in batch)
        failures, attempts, started, why = 0, 0, time.monotonic(), ""
        while True:
            attempts += 1
            ep = self._pick()
            delay = min(_MAX_BACKOFF_S, self.backoff_s * 2 ** failures) * (0.5 + random.random())
            try:
                resp = ep.client.post("/v1/jobs", content=payload, headers=self._headers(),
                                      timeout=max(60.0, min(self.timeout_s, wall + 60.0)))
            except Exception as exc:  # noqa: BLE001 - httpx transport errors: the server died or is not there
                self._mark_down(ep)
                failures += 1
                why = f"{ep.name}: {type(exc).__name__}: {exc}".strip()
            else:
                if resp.status_code == 200:
                    return self._results(resp, ids, indices, attempts, ep.name)
                if resp.status_code not in _RETRY_STATUS:
                    self._refuse(resp, ep.name)
                why = f"{ep.name}: {resp.status_code} {_reason(resp)}"
                if resp.status_code == 429:
                    delay = _retry_after(resp, delay)
                else:
                    failures += 1
            finally:
                with self._lock:
                    ep.in_flight -= 1
            if failures >= self.max_attempts or time.monotonic() - started > self.busy_wait_s:
                raise SandboxUnavailableError(f"rtlgen service {self._where()} did not answer a batch after "
                                              f"{attempts} tries: {why}")
            time.sleep(delay)

    def _results(self, resp, ids: list[str], indices: list[int], attempts: int,
                 endpoint: str) -> list[tuple[int, JobResult]]:
        try:
            rows = {r["id"]: r for r in resp.json()["results"]}
            out = []
            for job_id, index in zip(ids, indices, strict=True):
                row = rows[job_id]
                base = JobResult.from_json(row["result"], cached=bool(row.get("cached")))
                out.append((index, RemoteJobResult(steps=base.steps, outputs=base.outputs, cached=base.cached,
                                                   backend=base.backend, endpoint=endpoint,
                                                   attempts=attempts + max(0, int(row.get("attempts", 1)) - 1),
                                                   replayed=row.get("source") == "replayed")))
            return out
        except (ValueError, KeyError, TypeError) as exc:
            raise SandboxUnavailableError(f"rtlgen service {endpoint} sent a malformed answer: {exc!r}") from None

    def _refuse(self, resp, where: str) -> None:
        if resp.status_code in (401, 403):
            raise SandboxUnavailableError(
                f"rtlgen service {where} refused the token ({resp.status_code}): set --token, ${TOKEN_ENV} or "
                f"${TOKEN_FILE_ENV} to the server's token")
        raise InputError(f"rtlgen service {where} refused the batch ({resp.status_code}): {_reason(resp)}")

    def _get_json(self, path: str, params: list[tuple[str, str]]) -> dict:
        why = ""
        for attempt in range(self.max_attempts):
            ep = self._pick()
            try:
                resp = ep.client.get(path, params=params, headers=self._headers(), timeout=30.0)
            except Exception as exc:  # noqa: BLE001 - transport errors
                self._mark_down(ep)
                why = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code == 200:
                    return resp.json()
                if resp.status_code not in _RETRY_STATUS:
                    self._refuse(resp, ep.name)
                why = f"{resp.status_code} {_reason(resp)}"
            finally:
                with self._lock:
                    ep.in_flight -= 1
            time.sleep(min(_MAX_BACKOFF_S, self.backoff_s * 2 ** attempt))
        raise SandboxUnavailableError(f"cannot reach the rtlgen service {self._where()}: {why}")

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _names(self) -> list[str]:
        if not self.workers_dir:
            return self._static
        return [f"unix:{p}" for p in sorted(Path(self.workers_dir).glob("*.sock"))]

    def _pick(self) -> _Endpoint:
        """The least busy endpoint that has not failed in the last few seconds (any, if all have)."""
        names = self._names()
        if not names:
            raise SandboxUnavailableError(f"no worker sockets (*.sock) in {self.workers_dir}")
        now = time.monotonic()
        with self._lock:
            for gone in set(self._endpoints) - set(names):
                self._endpoints.pop(gone).close()
            for name in names:
                if name not in self._endpoints:
                    self._endpoints[name] = _Endpoint(name, self.timeout_s)
            eps = [self._endpoints[n] for n in names]
            up = [e for e in eps if e.down_until <= now] or eps
            best = min(up, key=lambda e: (e.in_flight, e.down_until, random.random()))
            best.in_flight += 1
            return best

    def _mark_down(self, ep: _Endpoint) -> None:
        with self._lock:
            ep.down_until = time.monotonic() + 5.0

    def _where(self) -> str:
        return ", ".join(self._static) if self._static else f"workers in {self.workers_dir}"


def _reason(resp) -> str:
    try:
        data = resp.json()
        text = str(data.get("error") or data.get("detail") or data)
    except ValueError:
        text = resp.text
    return " ".join(text[:300].split())


def _retry_after(resp, default: float) -> float:
    try:
        return min(60.0, max(0.05, float(resp.headers.get("Retry-After", "")))) * (0.8 + 0.4 * random.random())
    except ValueError:
        return default


__all__ = ["TOKEN_ENV", "TOKEN_FILE_ENV", "RemoteExecutor", "RemoteJobResult", "read_token_file", "resolve_token"]
