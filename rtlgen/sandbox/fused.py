"""Run all steps of a job inside one confinement, keeping per-step results.

Each exec costs most of a millisecond on small machines, and starting bwrap several; a VerilogEval
job (compile, then simulate) would pay for the whole chain twice. Here a small bash driver runs
inside the sandbox and starts each step with its limits set by ``ulimit`` in a subshell and its
wall clock kept by a ``read -t`` watchdog (builtins: no extra exec), with the step's stdout and
stderr on pipes of their own. After each step the driver reports the exit status, timestamps and
cumulative child CPU time on a status pipe that it closes for the step itself.

A step must never be able to forge its own exit status, wall time or kill reason. As root, the
driver (and its watchdogs) run as uid 0 inside the sandbox and each step is started through
``setpriv`` as a private uid with no capabilities: a step can neither signal, ptrace nor open the
descriptors of the driver (and ``/proc`` is not mounted at all). Without root every process is the
user's own uid, so the runner does not fuse: each step is then its own bwrap, reaped by the host.

Secret keeping (``Job.private_files``): private steps run as the builder uid with ``umask 077``;
the others as a second uid that cannot read what the builder wrote. ``Step.feeds`` hands such a
step a program once through a named pipe written by the driver; ``Step.exec_only`` makes a binary
runnable but unreadable (and so its process non-dumpable).

With the native starter (``rtlgen.sandbox.native``, built from ``native/step.c``) each step is one exec of
``rtlgen-step`` instead: it does the limits, the privilege drop, the feeding, the watchdog and the report
itself, as the same uid 0 the driver is, and writes its report in the long form of ``@STEP`` (with the
step's CPU time and peak resident size).

Batches (``batch_script``): one driver runs several jobs one after another, each in its own directory
that only its own uid pair may enter, each step exactly as above; a failing checked step ends its job
only, and ``/tmp`` is emptied between jobs.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from rtlgen.sandbox.bwrap import drop_privileges_argv
from rtlgen.sandbox.job import Job, Limits, Step

BASH = "/usr/bin/bash"
_STEP_LINE = re.compile(r"^@STEP (\d+) (-?\d+) ([\d.]+) ([\d.]+)(?: ([\d.]+) (\d+))?$")
_TIMES_LINE = re.compile(r"^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$")


@dataclass(frozen=True)
class StepReport:
    index: int
    exit_code: int  # as bash saw it: 128+N for a signal (137 also when the watchdog killed it)
    wall_s: float
    cpu_s: float  # user + system of the step's processes
    max_rss_kb: int | None = None  # the step's own peak (the native starter measures it; bash cannot)


def can_fuse(job: Job, as_root: bool) -> bool:
    """Only as root: the driver must be another uid than its steps (see the module docstring)."""
    return as_root and len(job.steps) > 1 and all(s.stdin is None for s in job.steps)


def _ulimits(limits: Limits) -> str:
    """bash builtins for the step's limits (no prlimit exec): soft CPU first, so SIGXCPU precedes SIGKILL."""
    cpu = max(1, int(limits.cpu_s))
    return (f"ulimit -v {limits.memory_mb * 1024} -f {limits.file_size_mb * 1024} -n {limits.open_files} "
            f"-u {limits.processes} -c 0; ulimit -St {cpu}; ulimit -Ht {cpu + 1}")


def driver_script(job: Job, status_fd: int, out_fds: list[tuple[int, int]], argvs: list[tuple[str, ...]],
                  uids: list[int], helper: str | None = None) -> str:
    """The bash program: one block per step; ``argvs`` are the steps' argv as seen inside the sandbox and
    ``uids`` the uid each runs as; ``helper``: the native starter's path inside the sandbox, or None.

    Each step runs as a background job (``set -m``: its own process group) in a subshell that sets
    its limits and execs the tool. A watchdog waits ``wall_s`` with ``read -t`` on the driver's stdin,
    a pipe the caller holds open and never writes, then kills the step's group. Whatever the step left
    in its group is killed when it ends.
    """
    closes = _closes(status_fd, out_fds)
    lines = ["set +e -m"]
    for i, (step, argv, uid) in enumerate(zip(job.steps, argvs, uids, strict=True)):
        lines += _step_lines(job, i, step, argv, uid, out_fds[i], status_fd, closes, helper)
        if step.check and i < len(job.steps) - 1:
            lines.append('[ "$rc" -eq 0 ] || exit 0')
    return "\n".join(lines) + "\n"


def batch_script(jobs: list[Job], dirs: list[str], status_fd: int, out_fds: list[tuple[int, int]],
                 argvs: list[tuple[str, ...]], uids: list[int], helper: str | None = None) -> str:
    """The driver for several jobs in one sandbox start: job ``j`` runs in its own directory ``dirs[j]`` (only
    its uids may enter it) with ``TMPDIR`` there too, its steps exactly as ``driver_script`` runs them (same
    limits, watchdog and uids of its own); the lists hold every job's steps in order and status lines number
    them in that order. A failing checked step ends its own job only. Before each job but the first, ``/tmp``
    is emptied if an earlier job left anything in it. A process that left its step's process group (setsid)
    lives on until the sandbox ends, as it would until its own job's end, but as uids that can neither enter
    a later job's directory nor signal its processes."""
    closes = _closes(status_fd, out_fds)
    lines = ["set +e -m", "shopt -s nullglob dotglob"]
    g = 0
    for j, job in enumerate(jobs):
        if j:
            lines.append("t=(/tmp/*); [ ${#t[@]} -eq 0 ] || /usr/bin/rm -rf -- /tmp/* </dev/null >/dev/null 2>&1 "
                         f"{closes}")
        lines.append(f"cd -- {shlex.quote(dirs[j])} || exit 0")
        if "TMPDIR" not in job.env:  # a job that names its own keeps it
            lines.append(f"export TMPDIR={shlex.quote(dirs[j] + '/.tmp')}")
        lines.append("for once in 1; do")
        for i, step in enumerate(job.steps):
            lines += _step_lines(job, g, step, argvs[g], uids[g], out_fds[g], status_fd, closes, helper)
            if step.check and i < len(job.steps) - 1:
                lines.append('[ "$rc" -eq 0 ] || break')
            g += 1
        lines.append("done")
    return "\n".join(lines) + "\n"


def _closes(status_fd: int, out_fds: list[tuple[int, int]]) -> str:
    return " ".join(f"{fd}>&-" for fd in [status_fd] + [fd for pair in out_fds for fd in pair])


def _step_lines(job: Job, index: int, step: Step, argv: tuple[str, ...], uid: int, fds: tuple[int, int],
                status_fd: int, closes: str, helper: str | None) -> list[str]:
    """One step: start it limited and watched, wait, kill what it left, report as step ``index``."""
    limits = step.limits or job.limits
    out, err = fds
    umask = "077" if job.split_uids and step.private else "022"
    if helper is not None:
        return _native_step_lines(helper, index, step, argv, uid, umask, limits, fds, status_fd, closes)
    drop = drop_privileges_argv(uid)
    lines = []
    if step.exec_only:
        lines.append(f"/usr/bin/chmod 0711 -- {shlex.join(step.exec_only)} </dev/null >/dev/null 2>&1 {closes}")
    feeders = []
    for n, (fifo, source) in enumerate(step.feeds):
        # the builder's tool may have made its output readable (iverilog chmods it 0755): closed before the step
        # starts, then fed from the background (opening the pipe waits for the step to open its end)
        lines.append(f"/usr/bin/chmod 0600 -- {shlex.quote(source)} </dev/null >/dev/null 2>&1 {closes}")
        lines.append(f"/usr/bin/cat -- {shlex.quote(source)} >{shlex.quote(fifo)} </dev/null 2>/dev/null {closes} &")
        lines.append(f"f{n}=$!")
        feeders.append(f"$f{n}")
    lines += [
        "s=$EPOCHREALTIME",
        f"( {_ulimits(limits)}; umask {umask}; exec {shlex.join([*drop, *argv])} ) </dev/null >&{out} 2>&{err} "
        f"{closes} &",
        "pid=$!",
        f"{{ read -t {limits.wall_s:g}; kill -KILL -- -$pid; }} >/dev/null 2>&1 {closes} &",
        "w=$!",
        "wait $pid; rc=$?",
        "e=$EPOCHREALTIME",
        "kill $w 2>/dev/null",
        "kill -KILL -- -$pid 2>/dev/null",
    ]
    if feeders:
        lines.append(f"kill -KILL {' '.join(feeders)} 2>/dev/null")
    lines += [
        f'printf "@STEP {index} %s %s %s\\n" "$rc" "$s" "$e" >&{status_fd}',
        f"times >&{status_fd}",  # in this shell, not a subshell: line 2 is the reaped children's CPU
    ]
    return lines


def _native_step_lines(helper: str, index: int, step: Step, argv: tuple[str, ...], uid: int, umask: str,
                       limits: Limits, fds: tuple[int, int], status_fd: int, closes: str) -> list[str]:
    """The same step through ``rtlgen-step`` (argument order: see ``native/step.c``); it keeps the status
    descriptor (close-on-exec for the step) and the driver's stdin (the host's pipe, for its watchdog)."""
    out, err = fds
    keep_status = " ".join(c for c in closes.split() if c != f"{status_fd}>&-")
    cpu = max(1, int(limits.cpu_s))
    args = [helper, str(status_fd), str(index), str(uid), str(uid), umask, f"{limits.wall_s:g}", str(cpu),
            str(limits.memory_mb * 1024 * 1024), str(limits.file_size_mb * 1024 * 1024), str(limits.open_files),
            str(limits.processes), str(len(step.exec_only)), *step.exec_only, str(len(step.feeds)),
            *(p for feed in step.feeds for p in feed), "--", *argv]
    return [f"{shlex.join(args)} >&{out} 2>&{err} {keep_status}", "rc=$?"]


def parse_status(text: str) -> dict[int, StepReport]:
    """Step reports keyed by index (only the driver, a uid no step runs as, can write them). The bash form's
    CPU figure is the driver's cumulative child time two lines below (``times``); the native one's are its fifth
    and sixth fields (CPU seconds, peak resident KiB)."""
    reports: dict[int, StepReport] = {}
    lines = text.splitlines()
    prev_cpu = 0.0
    for n, line in enumerate(lines):
        m = _STEP_LINE.match(line.strip())
        if not m:
            continue
        rss = None
        if m[5] is not None:
            cpu, rss = float(m[5]), int(m[6])
        else:
            cpu_total = prev_cpu
            t = _TIMES_LINE.match(lines[n + 2].strip()) if n + 2 < len(lines) else None
            if t:
                cpu_total = 60 * int(t[1]) + float(t[2]) + 60 * int(t[3]) + float(t[4])
            cpu, prev_cpu = max(0.0, cpu_total - prev_cpu), cpu_total
        idx = int(m[1])
        reports[idx] = StepReport(index=idx, exit_code=int(m[2]), wall_s=max(0.0, float(m[4]) - float(m[3])),
                                  cpu_s=cpu, max_rss_kb=rss)
    return reports
