"""What a sandboxed job is (argv steps, input files, limits) and what it returns.

A job is data: building one starts nothing. ``rtlgen.sandbox.run_job`` executes it.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import PurePosixPath

from rtlgen.errors import InputError


@dataclass(frozen=True)
class Limits:
    """Resource limits for every process of one job step."""

    wall_s: float = 30.0  # whole-step wall clock; the process group is killed past it
    cpu_s: float = 60.0  # per process (RLIMIT_CPU); SIGXCPU then SIGKILL one second later
    memory_mb: int = 4096  # address space per process (RLIMIT_AS); ivl/vvp stay far below
    output_bytes: int = 1_000_000  # cap on each of stdout and stderr; reading past it kills the job
    file_size_mb: int = 64  # largest file any process may write (RLIMIT_FSIZE)
    open_files: int = 256  # RLIMIT_NOFILE
    processes: int = 64  # RLIMIT_NPROC, enforced because jobs run as a private unprivileged uid
    tmp_mb: int = 256  # size of the private tmpfs at /tmp (and $TMPDIR); it counts against host memory

    def __post_init__(self) -> None:
        check_limits(self, ("wall_s", "cpu_s", "memory_mb", "output_bytes", "file_size_mb", "open_files", "processes",
                            "tmp_mb"))


MAX_LIMIT = 10**12  # above any real limit (seconds, MiB, bytes), below what setrlimit and int() choke on


def check_limits(owner: object, names: tuple[str, ...]) -> None:
    """InputError unless each named attribute of ``owner`` is a finite positive number up to ``MAX_LIMIT``
    (NaN compares false with everything and infinity has no integer: both would fail later, mid-job)."""
    for name in names:
        value = getattr(owner, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_LIMIT:
            raise InputError(f"limit {name} must be a positive number up to {MAX_LIMIT:.0e}, not {value!r}")


class KilledBy(enum.StrEnum):
    """Why a step was stopped, if it was stopped by a limit rather than ending on its own."""

    NONE = "none"
    TIMEOUT = "timeout"
    CPU = "cpu"
    MEMORY = "memory"
    OUTPUT = "output"
    FILESIZE = "filesize"


@dataclass(frozen=True)
class Step:
    """One process run inside the job directory."""

    argv: tuple[str, ...]
    stdin: bytes | None = None
    limits: Limits | None = None  # None: the job's limits
    check: bool = True  # stop the job after this step when it fails (non-zero exit or killed)
    # Secret-keeping (see ``Job.private_files``): a private step runs as the job's builder uid and may read
    # the private files; every other step of such a job runs as a second uid that cannot.
    private: bool = False
    # (fifo, file) pairs: before the step, the trusted driver writes ``file`` (which the step may not
    # read) into the named pipe ``fifo``, once; a program is read once at load and is gone afterwards.
    feeds: tuple[tuple[str, str], ...] = ()
    exec_only: tuple[str, ...] = ()  # paths made 0711 before the step: runnable, never readable (non-dumpable)

    def __post_init__(self) -> None:
        if not self.argv or not all(isinstance(a, str) for a in self.argv):
            raise InputError(f"step argv must be a non-empty sequence of strings, not {self.argv!r}")
        object.__setattr__(self, "argv", tuple(self.argv))
        object.__setattr__(self, "feeds", tuple((_check_relative(f), _check_relative(s)) for f, s in self.feeds))
        object.__setattr__(self, "exec_only", tuple(_check_relative(p) for p in self.exec_only))


def _check_relative(path: str) -> str:
    if not isinstance(path, str) or "\0" in path:
        raise InputError(f"job file path must be text without NUL bytes, not {str(path)[:80]!r}")
    p = PurePosixPath(path)
    if p.is_absolute() or ".." in p.parts or not p.parts or path.startswith("~"):
        raise InputError(f"job file path must be relative and stay inside the job dir, not {path!r}")
    return str(p)


@dataclass(frozen=True)
class Job:
    """Steps run in order in a fresh directory holding ``files``; ``outputs`` are read back afterwards."""

    steps: tuple[Step, ...]
    files: Mapping[str, bytes] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    outputs: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    ro_paths: tuple[str, ...] = ()  # extra host paths visible read-only at the same place (a Python prefix, a liberty)
    rw_paths: tuple[str, ...] = ()  # host paths writable inside (a compiler cache); each one is a shared hole
    cacheable: bool = True
    private_files: tuple[str, ...] = ()  # readable by private steps only (a testbench holding a per-run secret)

    @property
    def split_uids(self) -> bool:
        """Private and public steps run as two different uids (only when some step is private)."""
        return any(s.private for s in self.steps)

    def __post_init__(self) -> None:
        if not self.steps:
            raise InputError("a job needs at least one step")
        files = {}
        for name, data in dict(self.files).items():
            # surrogatepass: text that is not valid Unicode (a lone surrogate) still becomes bytes, and the tool
            # refuses it, as it would any invalid UTF-8, instead of the job refusing to exist for the whole batch
            files[_check_relative(name)] = data.encode("utf-8", "surrogatepass") if isinstance(data, str) \
                else bytes(data)
        object.__setattr__(self, "files", files)
        object.__setattr__(self, "outputs", tuple(_check_relative(o) for o in self.outputs))
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "env", dict(self.env))
        object.__setattr__(self, "ro_paths", tuple(self.ro_paths))
        object.__setattr__(self, "rw_paths", tuple(self.rw_paths))
        object.__setattr__(self, "private_files", tuple(_check_relative(p) for p in self.private_files))

    @classmethod
    def single(cls, argv: list[str] | tuple[str, ...], files: Mapping[str, bytes | str] | None = None,
               limits: Limits | None = None, **kwargs) -> Job:
        """A one-step job, the common case."""
        stdin = kwargs.pop("stdin", None)
        return cls(steps=(Step(tuple(argv), stdin=stdin),), files=files or {}, limits=limits or Limits(), **kwargs)

    def with_limits(self, limits: Limits) -> Job:
        return replace(self, limits=limits)

    def to_json(self) -> dict:
        """JSON-safe data (files and stdin as base64) that ``Job.from_json`` turns back into this job."""
        return {
            "steps": [_step_json(s) for s in self.steps],
            "files": {n: base64.b64encode(d).decode() for n, d in self.files.items()},
            "limits": asdict(self.limits),
            "outputs": list(self.outputs),
            "env": dict(self.env),
            "ro_paths": list(self.ro_paths),
            "rw_paths": list(self.rw_paths),
            "cacheable": self.cacheable,
            "private_files": list(self.private_files),
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Job:
        """The job ``to_json`` wrote; ``InputError`` naming the field for anything malformed or unknown."""
        if not isinstance(data, Mapping):
            raise InputError("a job must be a JSON object")
        _known(data, _JOB_KEYS, "job")
        try:
            steps = tuple(_step_from(s) for s in _list(data.get("steps"), "steps"))
            files = {str(n): _b64(d, f"files[{n!r}]") for n, d in dict(data.get("files") or {}).items()}
            limits = _limits_from(data.get("limits"), "limits") or Limits()
            env = {str(k): str(v) for k, v in dict(data.get("env") or {}).items()}
            return cls(steps=steps, files=files, limits=limits, outputs=tuple(_strs(data.get("outputs"), "outputs")),
                       env=env, ro_paths=tuple(_strs(data.get("ro_paths"), "ro_paths")),
                       rw_paths=tuple(_strs(data.get("rw_paths"), "rw_paths")),
                       cacheable=bool(data.get("cacheable", True)),
                       private_files=tuple(_strs(data.get("private_files"), "private_files")))
        except (TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"malformed job: {exc}") from None

    def key(self, tool_fingerprints: Mapping[str, str]) -> str:
        """Content address: argv, inputs, limits, environment and the fingerprints of the tools run."""
        h = hashlib.sha256()
        meta = {
            "steps": [[list(s.argv), hashlib.sha256(s.stdin or b"").hexdigest(),
                       asdict(s.limits) if s.limits else None, s.check, s.private, [list(f) for f in s.feeds],
                       list(s.exec_only)] for s in self.steps],
            "private": list(self.private_files),
            "files": sorted((n, hashlib.sha256(d).hexdigest()) for n, d in self.files.items()),
            "limits": asdict(self.limits),
            "outputs": list(self.outputs),
            "env": sorted(self.env.items()),
            "ro": list(self.ro_paths),
            "rw": list(self.rw_paths),
            "tools": sorted(tool_fingerprints.items()),
        }
        h.update(json.dumps(meta, sort_keys=True).encode())
        return h.hexdigest()


@dataclass(frozen=True)
class StepResult:
    """What one process did."""

    argv: tuple[str, ...]
    exit_code: int | None  # None when it never started; negative: killed by that signal
    stdout: str
    stderr: str
    wall_s: float
    cpu_s: float
    killed_by: KilledBy = KilledBy.NONE
    max_rss_mb: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.killed_by is KilledBy.NONE


@dataclass(frozen=True)
class JobResult:
    """All steps that ran (a failed checked step ends the job), and the requested output files."""

    steps: tuple[StepResult, ...]
    outputs: Mapping[str, bytes] = field(default_factory=dict)
    cached: bool = False
    backend: str = "bwrap"

    @property
    def last(self) -> StepResult:
        return self.steps[-1]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    @property
    def exit_code(self) -> int | None:
        return self.last.exit_code

    @property
    def killed_by(self) -> KilledBy:
        for s in self.steps:
            if s.killed_by is not KilledBy.NONE:
                return s.killed_by
        return KilledBy.NONE

    @property
    def stdout(self) -> str:
        return self.last.stdout

    @property
    def stderr(self) -> str:
        return self.last.stderr

    @property
    def wall_s(self) -> float:
        return sum(s.wall_s for s in self.steps)

    @property
    def cpu_s(self) -> float:
        return sum(s.cpu_s for s in self.steps)

    def to_json(self) -> dict:
        return {
            "steps": [{**asdict(s), "argv": list(s.argv), "killed_by": s.killed_by.value} for s in self.steps],
            "outputs": {k: base64.b64encode(v).decode() for k, v in self.outputs.items()},
            "backend": self.backend,
        }

    @classmethod
    def from_json(cls, data: dict, cached: bool = False) -> JobResult:
        steps = tuple(StepResult(**{**s, "argv": tuple(s["argv"]), "killed_by": KilledBy(s["killed_by"])})
                      for s in data["steps"])
        outputs = {k: base64.b64decode(v) for k, v in data["outputs"].items()}
        return cls(steps=steps, outputs=outputs, cached=cached, backend=data.get("backend", "bwrap"))


_JOB_KEYS = {"steps", "files", "limits", "outputs", "env", "ro_paths", "rw_paths", "cacheable", "private_files"}
_STEP_KEYS = {"argv", "stdin", "limits", "check", "private", "feeds", "exec_only"}


def _step_json(step: Step) -> dict:
    return {"argv": list(step.argv), "stdin": base64.b64encode(step.stdin).decode() if step.stdin is not None else None,
            "limits": asdict(step.limits) if step.limits else None, "check": step.check, "private": step.private,
            "feeds": [list(f) for f in step.feeds], "exec_only": list(step.exec_only)}


def _step_from(data) -> Step:
    if not isinstance(data, Mapping):
        raise InputError("each job step must be a JSON object")
    _known(data, _STEP_KEYS, "step")
    stdin = data.get("stdin")
    return Step(argv=tuple(_strs(data.get("argv"), "argv")), stdin=_b64(stdin, "stdin") if stdin is not None else None,
                limits=_limits_from(data.get("limits"), "step limits"), check=bool(data.get("check", True)),
                private=bool(data.get("private", False)),
                feeds=tuple((str(a), str(b)) for a, b in _list(data.get("feeds"), "feeds")),
                exec_only=tuple(_strs(data.get("exec_only"), "exec_only")))


def _limits_from(data, where: str) -> Limits | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise InputError(f"{where} must be a JSON object")
    names = {f for f in Limits.__dataclass_fields__}
    _known(data, names, where)
    return Limits(**{k: v for k, v in data.items()})


def _known(data: Mapping, names: set[str], where: str) -> None:
    extra = sorted(set(data) - names)
    if extra:
        raise InputError(f"unknown {where} field {extra[0]!r}; known: {', '.join(sorted(names))}")


def _list(value, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where} must be a list")
    return value


def _strs(value, where: str) -> list[str]:
    items = _list(value, where)
    if not all(isinstance(v, str) for v in items):
        raise InputError(f"{where} must be a list of strings")
    return items


def _b64(value, where: str) -> bytes:
    if not isinstance(value, str):
        raise InputError(f"{where} must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise InputError(f"{where} is not valid base64") from None
