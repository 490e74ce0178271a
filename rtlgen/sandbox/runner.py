"""The local executor: fresh directory, confined steps, limits, output capture, classification of kills.

``Sandbox`` (``rtlgen.sandbox.core``) is the one way rtlgen executes anything on untrusted code; on this
machine it hands jobs to ``LocalExecutor``, which is what the service and the Ray actors run too.
``LocalExecutor.run_batch`` runs several jobs in one sandbox start (the judge's short simulations, where
starting bwrap costs as much as the job): each job keeps its own directory, uids, limits and result.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rtlgen.errors import InputError, SandboxUnavailableError
from rtlgen.sandbox import bwrap as bw
from rtlgen.sandbox import fused, native
from rtlgen.sandbox.executor import Executor, ExecutorKind
from rtlgen.sandbox.job import Job, JobResult, KilledBy, Limits, Step, StepResult
from rtlgen.sandbox.jobdirs import new_job_dir, remove_stale_job_dirs
from rtlgen.sandbox.process import ProcessOutcome, open_channels, run_process
from rtlgen.sandbox.session import SandboxSession
from rtlgen.sandbox.settings import Backend, SandboxConfig
from rtlgen.sandbox.tools import find_tool, has_tool
from rtlgen.sandbox.uids import allocator

_MEMORY_PATTERNS = re.compile(
    r"bad_alloc|out of memory|cannot allocate memory|memory exhausted|failed to allocate|"
    r"mmap\(\) failed|virtual memory exhausted|Memory allocation failed",
    re.IGNORECASE,
)
_MAX_OUTPUT_FILE = 64 * 1024 * 1024
_STATUS_CAP = 64 * 1024  # the fused driver's status reports are a few lines per step


class LocalExecutor(Executor):
    """Runs jobs on this machine under bubblewrap (or, opted in, unconfined with limits only)."""

    def __init__(self, config: SandboxConfig | None = None, *, allow_unsafe: bool = False) -> None:
        self.config = config or SandboxConfig()
        unsafe = self.config.backend is Backend.UNSAFE_LOCAL
        self.kind = ExecutorKind.UNSAFE_LOCAL if unsafe else ExecutorKind.LOCAL
        self.confinement = self.config.backend.value
        self._uids = allocator(self.config.uid_base, self.config.uid_count)
        if unsafe and not allow_unsafe:
            raise SandboxUnavailableError(
                "the unsafe-local backend runs untrusted code without isolation; pass allow_unsafe=True "
                "(CLI: --unsafe-no-sandbox) only for code you trust")
        self._bwrap: str | None = None
        if self.config.backend is Backend.BWRAP:
            if not has_tool("bwrap"):
                raise SandboxUnavailableError(
                    "bubblewrap is missing, so untrusted Verilog cannot be run safely: apt-get install bubblewrap "
                    "(or opt out with --unsafe-no-sandbox for trusted code only)")
            self._bwrap = find_tool("bwrap")
        self._jobs_root = Path(self.config.jobs_dir or os.environ.get("RTLGEN_JOBS_DIR") or tempfile.gettempdir())

    # -- public -----------------------------------------------------------------------------
    @property
    def jobs_root(self) -> Path:
        """Where this executor makes job dirs."""
        return self._jobs_root

    def run(self, job: Job) -> JobResult:
        return self._execute(job)

    def run_batch(self, jobs: Sequence[Job]) -> list[JobResult]:
        """Results of ``jobs`` in order, the same as ``run`` gives each; as root under bwrap, jobs that can share a
        sandbox start (``batchable``) share one (``fused.batch_script``): each keeps its own directory, that only
        its own uid pair may enter, its own private files, per-step limits and watchdogs, and its own ``TMPDIR``.
        A step that floods its output stops the sandbox: the jobs after it run again in a fresh one."""
        jobs = list(jobs)
        if len(jobs) < 2 or not self.batchable(jobs):
            return [self._execute(job) for job in jobs]
        results: list[JobResult | None] = [None] * len(jobs)
        todo = list(range(len(jobs)))
        while todo:
            got = self._execute_batch([jobs[i] for i in todo]) if len(todo) > 1 else [self._execute(jobs[todo[0]])]
            if got[0] is None:  # not even the first job ran: never loop on a sandbox that cannot start
                got[0] = self._execute(jobs[todo[0]])
            for i, res in zip(todo, got, strict=True):
                results[i] = res
            todo = [i for i, res in zip(todo, got, strict=True) if res is None]
        return results  # type: ignore[return-value]

    def batchable(self, jobs: Sequence[Job]) -> bool:
        """Whether ``jobs`` may share one sandbox start: fused as root under bwrap, the same extra paths and
        environment (the sandbox's own options), and no tool that needs ``/proc``."""
        first = jobs[0]
        return (self.config.backend is Backend.BWRAP and os.geteuid() == 0
                and all(s.stdin is None for j in jobs for s in j.steps)
                and all((j.ro_paths, j.rw_paths, j.env) == (first.ro_paths, first.rw_paths, first.env) for j in jobs)
                and not bw.needs_proc([s.argv for j in jobs for s in j.steps]))

    def open_session(self, job: Job) -> SandboxSession:
        """Start ``job``'s single step as a long-lived confined process; see ``rtlgen.sandbox.session``."""
        if len(job.steps) != 1:
            raise InputError("a session job has exactly one step")
        job_dir, uid = self._new_job_dir("rtlgen-session-")
        self._populate(job_dir, job, uid)
        argv, env, cwd = self._argv(job, job.steps[0], job_dir, uid, job.steps[0].limits or job.limits)
        # the session keeps its uid pair for its lifetime: a long-lived process is never given to another job
        return SandboxSession(argv, cwd=cwd, env=env, job_dir=job_dir, keep_dir=self.config.keep_dirs)

    # -- internals --------------------------------------------------------------------------
    @staticmethod
    def _uid_for(job: Job, step: Step, uid: int) -> int:
        return uid + 1 if job.split_uids and not step.private else uid

    def _new_job_dir(self, prefix: str) -> tuple[Path, int]:
        """A fresh, empty directory for one job or session, and the private uid it will run as. The name
        carries this process's owner lock, so a later run can remove what a killed one left behind."""
        return new_job_dir(self._jobs_root, prefix), self._uids.acquire()

    def _execute(self, job: Job) -> JobResult:
        job_dir, uid = self._new_job_dir("rtlgen-job-")
        try:
            self._populate(job_dir, job, uid)
            if self.config.backend is Backend.BWRAP and fused.can_fuse(job, os.geteuid() == 0):
                results = self._run_fused(job, job_dir, uid)
            else:
                results = []
                for step in job.steps:
                    _prepare_unfused(job_dir, step)
                    res = self._run_step(job, step, job_dir, uid)
                    results.append(res)
                    if step.check and not res.ok:
                        break
            outputs = self._collect(job_dir, job.outputs)
            return JobResult(steps=tuple(results), outputs=outputs, backend=self.config.backend.value)
        finally:
            if not self.config.keep_dirs:
                shutil.rmtree(job_dir, ignore_errors=True)
            self._uids.release(uid)

    def _execute_batch(self, jobs: list[Job]) -> list[JobResult | None]:
        """One sandbox start for ``jobs`` (see ``run_batch``); None for each job that did not get to run."""
        root = new_job_dir(self._jobs_root, "rtlgen-job-")
        uids: list[int] = []
        try:
            dirs = []
            for j, job in enumerate(jobs):
                uids.append(self._uids.acquire())
                job_dir = root / f"j{j}"
                job_dir.mkdir()
                self._populate(job_dir, job, uids[-1])
                # only this job's uids: the builder owns it, the public uid comes in through the group
                public = uids[-1] + 1 if job.split_uids else uids[-1]
                for d in (job_dir, job_dir / ".tmp"):
                    os.chown(d, uids[-1], public)
                    d.chmod(0o1770)
                dirs.append(job_dir)
            root.chmod(0o711)
            return self._run_batch_fused(jobs, dirs, uids)
        finally:
            if not self.config.keep_dirs:
                shutil.rmtree(root, ignore_errors=True)
            for uid in uids:
                self._uids.release(uid)

    def _run_batch_fused(self, jobs: list[Job], dirs: list[Path], uids: list[int]) -> list[JobResult | None]:
        root = dirs[0].parent
        inside = [bw.JOB_MOUNT + "/" + d.name for d in dirs]
        steps = [(j, s) for j, job in enumerate(jobs) for s in job.steps]
        limits = [s.limits or jobs[j].limits for j, s in steps]
        read_ends, write_ends = open_channels(1 + 2 * len(steps))
        out_fds = [(write_ends[1 + 2 * g], write_ends[2 + 2 * g]) for g in range(len(steps))]
        argvs = [tuple(inside[j] + a[len(str(dirs[j])):] if a == str(dirs[j]) or a.startswith(str(dirs[j]) + os.sep)
                       else a for a in s.argv) for j, s in steps]
        step_uids = [self._uid_for(jobs[j], s, uids[j]) for j, s in steps]
        helper = native.step_helper()
        script = fused.batch_script(jobs, inside, write_ends[0], out_fds, argvs, step_uids,
                                    native.INSIDE if helper else None)
        first = jobs[0]
        argv = bw.confine_argv(self._bwrap, str(root), uids[0], ro_paths=first.ro_paths, rw_paths=first.rw_paths,
                               env=first.env, tmp_mb=max(lim.tmp_mb for lim in limits), proc=False, driver=True,
                               helper=helper)
        caps = [_STATUS_CAP * len(jobs)] + [lim.output_bytes for lim in limits for _ in range(2)]
        wall = sum(lim.wall_s for lim in limits) + 2 * len(steps) + 1  # backstop; steps have watchdogs
        out = run_process(argv + [fused.BASH, "-c", script], cwd=str(root), env={"PATH": "/usr/bin:/bin"},
                          stdin=None, wall_s=wall, output_cap=_STATUS_CAP,
                          channels=(read_ends, write_ends), channel_caps=caps, hold_stdin=True)
        reports = fused.parse_status(out.channels[0].decode("utf-8", "replace"))
        results: list[JobResult | None] = []
        g = 0
        for j, job in enumerate(jobs):
            n = len(job.steps)
            own = {i: reports[g + i] for i in range(n) if g + i in reports}
            if not own and j > 0 and not (out.timed_out or out.output_overflow):
                break  # the driver ended before this job (it could not go on): it and the rest run again
            before = sum(r.wall_s for k, r in reports.items() if k < g)
            steps_res = self._step_results(job, own, out.channels[1 + 2 * g: 1 + 2 * (g + n)], out, before)
            results.append(JobResult(steps=tuple(steps_res), outputs=self._collect(dirs[j], job.outputs),
                                     backend=self.config.backend.value))
            if len(own) < len(steps_res):
                break  # this job was in flight when the whole sandbox was stopped: the rest run again
            g += n
        return results + [None] * (len(jobs) - len(results))

    def _populate(self, job_dir: Path, job: Job, uid: int) -> None:
        """Write the inputs, owned by the builder uid; with split uids, private files are 0600 and the job dir
        is world-writable with the sticky bit (the public uid may add files, never replace the builder's)."""
        (job_dir / ".tmp").mkdir()
        for name, data in job.files.items():
            target = job_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o600 if name in job.private_files else 0o644)
        for step in job.steps:
            for fifo, _source in step.feeds:
                (job_dir / fifo).parent.mkdir(parents=True, exist_ok=True)
                if not (job_dir / fifo).exists():
                    os.mkfifo(job_dir / fifo, 0o644)
        if os.geteuid() == 0 and self.config.backend is Backend.BWRAP:
            for root, _dirs, files in os.walk(job_dir):
                os.chown(root, uid, uid)
                for f in files:
                    os.chown(os.path.join(root, f), uid, uid)
        # bwrap, capabilities already dropped, must still chdir into it
        # with split uids the public steps may add files (a bench dumping waves), each capped by file_size_mb;
        # the sticky bit keeps them from replacing the builder's
        job_dir.chmod(0o1777 if job.split_uids else 0o711)

    def _argv(self, job: Job, step: Step, job_dir: Path, uid: int, limits: Limits) -> tuple[list[str], dict, str]:
        if self.config.backend is Backend.BWRAP:
            prefix = bw.prlimit_prefix(limits) + bw.confine_argv(
                self._bwrap, str(job_dir), self._uid_for(job, step, uid), ro_paths=job.ro_paths,
                rw_paths=job.rw_paths, env=job.env, tmp_mb=limits.tmp_mb, proc=bw.needs_proc([step.argv]))
            return prefix + [_inside(a, job_dir) for a in step.argv], {"PATH": "/usr/bin:/bin"}, str(job_dir)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(job_dir), "TMPDIR": str(job_dir / ".tmp"), "LANG": "C.UTF-8",
               **job.env}
        return bw.prlimit_prefix(limits) + list(step.argv), env, str(job_dir)

    def _run_step(self, job: Job, step: Step, job_dir: Path, uid: int) -> StepResult:
        limits = step.limits or job.limits
        argv, env, cwd = self._argv(job, step, job_dir, uid, limits)
        try:
            out = run_process(argv, cwd=cwd, env=env, stdin=step.stdin, wall_s=limits.wall_s,
                              output_cap=limits.output_bytes)
        except OSError as exc:
            return StepResult(argv=step.argv, exit_code=None, stdout="", stderr=f"could not start: {exc}",
                              wall_s=0.0, cpu_s=0.0)
        return StepResult(
            argv=step.argv, exit_code=_exit_code(out.returncode), stdout=out.stdout.decode("utf-8", "replace"),
            stderr=out.stderr.decode("utf-8", "replace"), wall_s=round(out.wall_s, 6), cpu_s=round(out.cpu_s, 6),
            killed_by=_classify_kill(out, limits), max_rss_mb=round(out.max_rss_kb / 1024, 2),
        )

    def _run_fused(self, job: Job, job_dir: Path, uid: int) -> list[StepResult]:
        """All steps in one bwrap (see ``rtlgen.sandbox.fused``): one confinement start instead of one per step."""
        n = len(job.steps)
        step_limits = [s.limits or job.limits for s in job.steps]
        job_wall_s = sum(lim.wall_s for lim in step_limits) + 2 * n + 1  # backstop; steps have watchdogs
        read_ends, write_ends = open_channels(1 + 2 * n)
        out_fds = [(write_ends[1 + 2 * i], write_ends[2 + 2 * i]) for i in range(n)]
        argvs = [tuple(_inside(a, job_dir) for a in s.argv) for s in job.steps]
        helper = native.step_helper()
        script = fused.driver_script(job, write_ends[0], out_fds, argvs, [self._uid_for(job, s, uid) for s in job.steps],
                                     native.INSIDE if helper else None)
        # No prlimit around the driver: each step sets its own limits (see fused.py).
        argv = bw.confine_argv(self._bwrap, str(job_dir), uid, ro_paths=job.ro_paths, rw_paths=job.rw_paths,
                               env=job.env, tmp_mb=max(lim.tmp_mb for lim in step_limits),
                               proc=bw.needs_proc(argvs), driver=True, helper=helper)
        caps = [_STATUS_CAP] + [lim.output_bytes for lim in step_limits for _ in range(2)]
        out = run_process(argv + [fused.BASH, "-c", script], cwd=str(job_dir), env={"PATH": "/usr/bin:/bin"},
                          stdin=None, wall_s=job_wall_s, output_cap=_STATUS_CAP,
                          channels=(read_ends, write_ends), channel_caps=caps, hold_stdin=True)
        reports = fused.parse_status(out.channels[0].decode("utf-8", "replace"))
        return self._step_results(job, reports, out.channels[1:], out, 0.0)

    def _step_results(self, job: Job, reports: dict[int, fused.StepReport], chans: Sequence[bytes],
                      out: ProcessOutcome, elapsed: float) -> list[StepResult]:
        """``job``'s step results from a driver's status reports (keyed by the job's own step index) and the
        steps' output channels (stdout, stderr of each); ``elapsed``: driver wall time before the job's first."""
        results: list[StepResult] = []
        for i, step in enumerate(job.steps):
            limits = step.limits or job.limits
            stdout, stderr = chans[2 * i], chans[2 * i + 1]
            rep = reports.get(i)
            if rep is None:  # the step in flight when the whole job was stopped
                killed = KilledBy.OUTPUT if out.output_overflow else (
                    KilledBy.TIMEOUT if out.timed_out else KilledBy.NONE)
                results.append(StepResult(argv=step.argv, exit_code=-signal.SIGKILL, stdout=_text(stdout),
                                          stderr=_text(stderr) or out.stderr.decode("utf-8", "replace"),
                                          wall_s=round(max(0.0, out.wall_s - elapsed), 6), cpu_s=0.0, killed_by=killed,
                                          max_rss_mb=round(out.max_rss_kb / 1024, 2)))
                break
            elapsed += rep.wall_s
            timed_out = rep.exit_code == 128 + signal.SIGKILL and rep.wall_s >= limits.wall_s - 0.05
            rss_kb = out.max_rss_kb if rep.max_rss_kb is None else rep.max_rss_kb
            view = ProcessOutcome(returncode=rep.exit_code, stdout=stdout, stderr=stderr, wall_s=rep.wall_s,
                                  cpu_s=rep.cpu_s, max_rss_kb=rss_kb, timed_out=timed_out, output_overflow=False)
            res = StepResult(argv=step.argv, exit_code=_exit_code(rep.exit_code), stdout=_text(stdout),
                             stderr=_text(stderr), wall_s=round(rep.wall_s, 6), cpu_s=round(rep.cpu_s, 6),
                             killed_by=_classify_kill(view, limits), max_rss_mb=round(rss_kb / 1024, 2))
            results.append(res)
            if step.check and not res.ok:
                break
        return results

    def _collect(self, job_dir: Path, names: tuple[str, ...]) -> dict[str, bytes]:
        """Read requested outputs without following links the job may have planted."""
        outputs: dict[str, bytes] = {}
        for name in names:
            fd = _open_job_file(job_dir, name)
            if fd is None:
                continue
            try:
                with os.fdopen(fd, "rb", closefd=False) as fh:
                    outputs[name] = fh.read(_MAX_OUTPUT_FILE)
            finally:
                os.close(fd)
        return outputs


def _open_job_file(job_dir: Path, name: str) -> int | None:
    """A read-only descriptor of the regular file ``name`` inside ``job_dir``, or None: a step of the job may have
    planted links (``out.bin -> /etc/shadow``), and whatever runs here runs on the host, as root perhaps. The
    folders on the way must resolve inside the job dir and the file itself is opened without following a link."""
    root = os.path.realpath(job_dir)
    path = os.path.join(root, name)
    if os.path.realpath(os.path.dirname(path)) != os.path.dirname(os.path.realpath(path)) or \
            not os.path.realpath(path).startswith(root + os.sep):
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return fd


def _prepare_unfused(job_dir: Path, step: Step) -> None:
    """Feeds and execute-only binaries when the steps are not fused (not root, or a step with stdin): without
    a trusted driver of another uid a feed becomes a plain copy, so the secret keeping needs root. Earlier
    steps ran the job's code in this folder: nothing here follows a link they may have left (a chmod or copy
    through ``binary -> /etc/shadow`` would act on the host's file)."""
    for fifo, source in step.feeds:
        target = job_dir / fifo
        if os.path.lexists(target):
            target.unlink()
        fd = _open_job_file(job_dir, source)
        if fd is None:
            continue
        try:
            if _parent_inside(job_dir, fifo):
                out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
                with os.fdopen(fd, "rb", closefd=False) as src, os.fdopen(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        finally:
            os.close(fd)
    for path in step.exec_only:
        fd = _open_job_file(job_dir, path)
        if fd is not None:
            try:
                os.fchmod(fd, 0o755)
            finally:
                os.close(fd)


def _parent_inside(job_dir: Path, name: str) -> bool:
    """Whether the folder ``name`` would be created in resolves inside ``job_dir``."""
    root = os.path.realpath(job_dir)
    parent = os.path.realpath(os.path.dirname(os.path.join(root, name)))
    return parent == root or parent.startswith(root + os.sep)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _inside(arg: str, job_dir: Path) -> str:
    """Host paths under the job dir are spelled as the confined process sees them."""
    prefix = str(job_dir)
    if arg == prefix or arg.startswith(prefix + os.sep):
        return bw.JOB_MOUNT + arg[len(prefix):]
    return arg


def _exit_code(returncode: int) -> int:
    # bwrap reports a child killed by signal N as exit 128+N; normalise to -N like subprocess does.
    if 128 < returncode < 128 + 65:
        return -(returncode - 128)
    return returncode


def _classify_kill(out: ProcessOutcome, limits: Limits) -> KilledBy:
    if out.timed_out:
        return KilledBy.TIMEOUT
    if out.output_overflow:
        return KilledBy.OUTPUT
    code = _exit_code(out.returncode)
    if code == -signal.SIGXCPU or (code == -signal.SIGKILL and out.cpu_s >= limits.cpu_s * 0.95):
        return KilledBy.CPU
    if code == -signal.SIGXFSZ or "File too large" in out.stderr.decode("utf-8", "replace"):
        return KilledBy.FILESIZE
    if code != 0:
        err = out.stderr.decode("utf-8", "replace")
        if _MEMORY_PATTERNS.search(err) or out.max_rss_kb >= limits.memory_mb * 1024 * 0.9:
            return KilledBy.MEMORY
    return KilledBy.NONE


__all__ = ["LocalExecutor", "remove_stale_job_dirs"]
