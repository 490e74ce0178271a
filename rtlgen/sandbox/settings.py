"""How to build a sandbox: one frozen config, from CLI flags, a YAML ``sandbox:`` section or the environment."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from rtlgen.config import help_


class Backend(enum.StrEnum):
    """How the local executor confines steps."""

    BWRAP = "bwrap"  # namespaces, read-only root, private uid: the default
    UNSAFE_LOCAL = "unsafe-local"  # limits and a fresh dir only; for trusted code, explicit opt-in


@dataclass(frozen=True)
class SandboxConfig:
    executor: str | None = field(default=None, metadata=help_(
        "where jobs run: local | unsafe-local | remote:URL | ray:ADDRESS; empty: $RTLGEN_EXECUTOR, else local"))
    backend: Backend = field(default=Backend.BWRAP, metadata=help_(
        "confinement of the local executor (unsafe-local only for trusted code)"))
    jobs_dir: str | None = field(default=None, metadata=help_(
        "where per-job dirs are made; default $RTLGEN_JOBS_DIR or the system temp dir"))
    keep_dirs: bool = field(default=False, metadata=help_("leave job dirs behind for debugging"))
    cache_dir: str | None = field(default=None, metadata=help_("result cache directory; empty disables caching"))
    uid_base: int = field(default=200_000, metadata=help_(
        "first of the private uids jobs run as when rtlgen runs as root"))
    uid_count: int = field(default=4096, metadata=help_(
        "private uids shared by all rtlgen processes on the host, in slots of 64 per process"))
    token: str | None = field(default=None, metadata=help_(
        "bearer token for a remote executor; default $RTLGEN_TOKEN or the file named by $RTLGEN_TOKEN_FILE"))
    batch_size: int = field(default=16, metadata=help_("jobs per request (remote) or per task (Ray)"))
