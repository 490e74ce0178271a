"""Run all steps of a job inside one confinement, keeping per-step results.

Each exec costs most of a millisecond on small machines, and starting bwrap several; a VerilogEval
job (compile, then simulate) would pay for the whole chain twice. Here a small bash driver runs
inside the sandbox and starts each step with its limits set by ``ulimit`` in a subshell and its
wall clock kept by a ``read -t`` watchdog (builtins: no extra exec), with the step's stdout and
stderr on pipes of their own. After each step the driver reports the exit status, timestamps and
cumulative child CPU time on a status pipe that it closes for the step itself, so a step cannot
write there through its own descriptors. (A step could still reopen that pipe through /proc of
the same uid; the parser therefore takes the last report for a step, which the driver writes
after the step has ended.)
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from rtlgen.sandbox.job import Job, Limits

BASH = "/usr/bin/bash"
_STEP_LINE = re.compile(r"^@STEP (\d+) (-?\d+) ([\d.]+) ([\d.]+)$")
_TIMES_LINE = re.compile(r"^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$")


@dataclass(frozen=True)
class StepReport:
    index: int
    exit_code: int  # as bash saw it: 128+N for a signal (137 also when the watchdog killed it)
    wall_s: float
    cpu_s: float  # user + system of the step's processes


def can_fuse(job: Job) -> bool:
    return len(job.steps) > 1 and all(s.stdin is None for s in job.steps)


def _ulimits(limits: Limits) -> str:
    """bash builtins for the step's limits (no prlimit exec): soft CPU first, so SIGXCPU precedes SIGKILL."""
    cpu = max(1, int(limits.cpu_s))
    return (f"ulimit -v {limits.memory_mb * 1024} -f {limits.file_size_mb * 1024} -n {limits.open_files} "
            f"-u {limits.processes} -c 0; ulimit -St {cpu}; ulimit -Ht {cpu + 1}")


def driver_script(job: Job, status_fd: int, out_fds: list[tuple[int, int]], argvs: list[tuple[str, ...]]) -> str:
    """The bash program: one block per step; ``argvs`` are the steps' argv as seen inside the sandbox.

    Each step runs as a background job (``set -m``: its own process group) in a subshell that sets
    its limits and execs the tool. A watchdog waits ``wall_s`` with ``read -t`` on the driver's stdin,
    a pipe the caller holds open and never writes, then kills the step's group.
    """
    all_fds = [status_fd] + [fd for pair in out_fds for fd in pair]
    closes = " ".join(f"{fd}>&-" for fd in all_fds)
    lines = ["set +e -m"]
    for i, (step, argv) in enumerate(zip(job.steps, argvs, strict=True)):
        limits = step.limits or job.limits
        out, err = out_fds[i]
        lines += [
            "s=$EPOCHREALTIME",
            f"( {_ulimits(limits)}; exec {shlex.join(argv)} ) </dev/null >&{out} 2>&{err} {closes} &",
            "pid=$!",
            f"{{ read -t {limits.wall_s:g}; kill -KILL -- -$pid; }} >/dev/null 2>&1 {closes} &",
            "w=$!",
            "wait $pid; rc=$?",
            "kill $w 2>/dev/null",
            "e=$EPOCHREALTIME",
            f'printf "@STEP {i} %s %s %s\\n" "$rc" "$s" "$e" >&{status_fd}',
            f"times >&{status_fd}",  # in this shell, not a subshell: line 2 is the reaped children's CPU
        ]
        if step.check and i < len(job.steps) - 1:
            lines.append('[ "$rc" -eq 0 ] || exit 0')
    return "\n".join(lines) + "\n"


def parse_status(text: str) -> dict[int, StepReport]:
    """Step reports keyed by index; the last report of each index wins (see the module docstring)."""
    reports: dict[int, StepReport] = {}
    lines = text.splitlines()
    prev_cpu = 0.0
    for n, line in enumerate(lines):
        m = _STEP_LINE.match(line.strip())
        if not m:
            continue
        cpu_total = prev_cpu
        if n + 2 < len(lines):
            t = _TIMES_LINE.match(lines[n + 2].strip())
            if t:
                cpu_total = 60 * int(t[1]) + float(t[2]) + 60 * int(t[3]) + float(t[4])
        idx = int(m[1])
        reports[idx] = StepReport(index=idx, exit_code=int(m[2]), wall_s=max(0.0, float(m[4]) - float(m[3])),
                                  cpu_s=max(0.0, cpu_total - prev_cpu))
        prev_cpu = cpu_total
    return reports
