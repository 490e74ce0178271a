"""How ``rtlgen serve`` runs: one frozen config from defaults, a YAML file, then command-line flags.

    cfg = load_service_config("serve.yaml", overrides=["port=9000", "max_limits.wall_s=120"])

Every ceiling here is a promise to whoever runs the server: no client can ask for more wall clock, memory,
output or mounts than it allows (``rtlgen.service.limits``).
"""

from __future__ import annotations

import enum
import ipaddress
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from rtlgen.config import help_, load_config
from rtlgen.errors import InputError
from rtlgen.sandbox.job import Limits
from rtlgen.sandbox.remote import read_token_file, resolve_token
from rtlgen.sandbox.settings import SandboxConfig


class LogLevel(enum.StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class JobCeiling:
    """The most any one job may ask for: a job's own limits (and each step's) must fit under these. Its own
    dataclass (not a ``Limits`` instance) so a YAML or ``--set max_limits.wall_s=60`` changes one field only."""

    wall_s: float = field(default=600.0, metadata=help_("wall clock of one step, seconds"))
    cpu_s: float = field(default=600.0, metadata=help_("CPU seconds per process"))
    memory_mb: int = field(default=8192, metadata=help_("address space per process"))
    output_bytes: int = field(default=16_000_000, metadata=help_("stdout and stderr, each"))
    file_size_mb: int = field(default=256, metadata=help_("largest file a process may write"))
    open_files: int = field(default=1024, metadata=help_("open files per process"))
    processes: int = field(default=256, metadata=help_("processes of the job's uid"))
    tmp_mb: int = field(default=1024, metadata=help_("the job's private /tmp"))

    def as_limits(self) -> Limits:
        return Limits(**{f.name: getattr(self, f.name) for f in fields(self)})  # validates: positive numbers

    def __post_init__(self) -> None:
        self.as_limits()


@dataclass(frozen=True)
class ServiceConfig:
    host: str = field(default="127.0.0.1", metadata=help_(
        "address to listen on; anything but loopback needs a token"))
    port: int = field(default=8000, metadata=help_("TCP port (0: any free port)"))
    uds: str | None = field(default=None, metadata=help_(
        "listen on this unix socket instead of TCP (workers without network, e.g. /run/rtlgen/worker-1.sock)"))
    workers: int | None = field(default=None, metadata=help_(
        "jobs run at once by this process's thread pool; null: all cores (32 when forwarding to --workers-dir)"))
    workers_dir: str | None = field(default=None, metadata=help_(
        "forward jobs to the rtlgen workers listening on *.sock in this folder instead of running them here"))
    token: str | None = field(default=None, metadata=help_(
        "bearer token clients must send; prefer token_file ($RTLGEN_TOKEN / $RTLGEN_TOKEN_FILE also work)"))
    token_file: str | None = field(default=None, metadata=help_("file whose first line is the bearer token"))
    max_body_bytes: int = field(default=64 * 1024 * 1024, metadata=help_(
        "largest request body; a bigger one is refused with 413 before it is read"))
    max_file_bytes: int = field(default=16 * 1024 * 1024, metadata=help_("largest single input file of a job"))
    max_jobs_per_request: int = field(default=512, metadata=help_("jobs in one POST /v1/jobs"))
    max_items_per_request: int = field(default=1024, metadata=help_(
        "completions in one judge, reward or run_code request"))
    queue_size: int = field(default=2048, metadata=help_(
        "jobs admitted at once (queued + running); past it requests get 429 with Retry-After"))
    job_timeout_s: float = field(default=900.0, metadata=help_(
        "a job's steps together may ask for at most this much wall clock"))
    max_limits: JobCeiling = field(default_factory=JobCeiling, metadata=help_(
        "ceiling on every limit a job asks for (wall_s, cpu_s, memory_mb, ...): more is refused with 422"))
    ro_paths: tuple[str, ...] = field(default=(), metadata=help_(
        "host folders jobs may mount read-only, besides /usr, /lib, /lib64, this Python and $RTLGEN_SHARED"))
    rw_paths: tuple[str, ...] = field(default=(), metadata=help_(
        "host folders jobs may mount writable (a shared ccache); none by default"))
    result_store_size: int = field(default=8192, metadata=help_(
        "finished results kept by job id, so a client retrying after a disconnect is answered without a rerun"))
    result_store_ttl_s: float = field(default=900.0, metadata=help_("how long a finished result is kept by id"))
    result_store_bytes: int = field(default=256 * 1024 * 1024, metadata=help_(
        "output and files of the kept results together; the oldest go first, a larger one is not kept"))
    read_timeout_s: float = field(default=30.0, metadata=help_(
        "a client must send a request's headers and body within this many seconds of connecting (or of its last "
        "answer); a slower one is cut off, so idle or trickling connections cannot hold the server's sockets"))
    log_level: LogLevel = field(default=LogLevel.WARNING, metadata=help_("uvicorn's log level"))
    sandbox: SandboxConfig = field(default_factory=SandboxConfig, metadata=help_(
        "the sandbox jobs run in (cache_dir: the server's result cache)"))

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_file_bytes", "max_jobs_per_request", "max_items_per_request",
                     "queue_size", "result_store_size", "result_store_bytes"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be a positive integer, not {getattr(self, name)!r}")
        if self.workers is not None and not 1 <= self.workers <= 4096:
            raise InputError(f"workers must be between 1 and 4096, not {self.workers!r}")
        if not 0 <= self.port <= 65535:
            raise InputError(f"port must be between 0 and 65535, not {self.port!r}")
        if not 0 < self.read_timeout_s <= 3600:
            raise InputError(f"read_timeout_s must be between 0 and 3600, not {self.read_timeout_s!r}")
        if not 0 < self.job_timeout_s <= 86400:
            raise InputError(f"job_timeout_s must be between 0 and 86400, not {self.job_timeout_s!r}")
        for path in (*self.ro_paths, *self.rw_paths):
            if not os.path.isabs(path):
                raise InputError(f"allowed mount prefixes must be absolute paths, not {path!r}")

    @property
    def thread_workers(self) -> int:
        if self.workers:
            return self.workers
        if self.workers_dir:
            return 32
        return max(1, len(os.sched_getaffinity(0)))

    def resolved_token(self) -> str | None:
        """``token``, else ``token_file``, else ``$RTLGEN_TOKEN`` / ``$RTLGEN_TOKEN_FILE``."""
        if self.token:
            return self.token
        if self.token_file:
            return read_token_file(self.token_file)
        return resolve_token(None)

    def check_exposure(self) -> None:
        """Refuse to listen beyond loopback without a token (a unix socket is guarded by its file mode)."""
        if self.uds is None and not is_loopback(self.host) and not self.resolved_token():
            raise InputError(f"refusing to listen on {self.host} without a token: anyone who can reach it could run "
                             "code; give --token-file (or $RTLGEN_TOKEN_FILE), or listen on 127.0.0.1")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_service_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = (),
                        **flags) -> ServiceConfig:
    """Defaults, the YAML file, ``key=value`` overrides, then the non-None keyword flags."""
    cfg = load_config(ServiceConfig, path, overrides=overrides)
    given = {k: v for k, v in flags.items() if v is not None}
    return replace(cfg, **given) if given else cfg


__all__ = ["JobCeiling", "LogLevel", "ServiceConfig", "is_loopback", "load_service_config"]
