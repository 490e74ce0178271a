"""Start one process in its own session, stream its output under a cap, enforce a wall clock.

This is the only place in rtlgen that calls ``subprocess.Popen`` on a job. The process group it
creates is the only thing it ever kills.
"""

from __future__ import annotations

import os
import select
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessOutcome:
    returncode: int  # negative: killed by that signal
    stdout: bytes
    stderr: bytes
    wall_s: float
    cpu_s: float
    max_rss_kb: int
    timed_out: bool
    output_overflow: bool


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_process(argv: list[str], *, cwd: str, env: dict[str, str], stdin: bytes | None,
                wall_s: float, output_cap: int) -> ProcessOutcome:
    """Run ``argv`` to completion or until ``wall_s`` / ``output_cap`` is hit; never raises on the child's behaviour."""
    start = time.monotonic()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, start_new_session=True, close_fds=True,
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    if stdin:
        try:
            proc.stdin.write(stdin)
        except BrokenPipeError:
            pass
        proc.stdin.close()
    bufs = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    sel = selectors.DefaultSelector()
    for stream in (proc.stdout, proc.stderr):
        os.set_blocking(stream.fileno(), False)
        sel.register(stream.fileno(), selectors.EVENT_READ)
    timed_out = overflow = False
    deadline = start + wall_s
    try:
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            for key, _ in sel.select(timeout=min(remaining, 0.5)):
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fd)
                    continue
                buf = bufs[key.fd]
                room = output_cap - len(buf)
                buf += chunk[:max(room, 0)]
                if len(chunk) > room:
                    overflow = True
            if overflow:
                break
    finally:
        if timed_out or overflow:
            _kill_group(proc.pid)
        sel.close()
    # Output closed (or we gave up on it): wait for the exit, still bounded by the deadline.
    status, rusage = _wait(proc.pid, deadline if not (timed_out or overflow) else time.monotonic() + 5)
    if status is None:
        timed_out = True
        _kill_group(proc.pid)
        status, rusage = _wait(proc.pid, time.monotonic() + 5)
    _kill_group(proc.pid)  # anything the child left running in its group
    out, err = bytes(bufs[proc.stdout.fileno()]), bytes(bufs[proc.stderr.fileno()])
    proc.stdout.close()
    proc.stderr.close()
    returncode = os.waitstatus_to_exitcode(status) if status is not None else -signal.SIGKILL
    proc.returncode = returncode
    return ProcessOutcome(
        returncode=returncode, stdout=out, stderr=err, wall_s=time.monotonic() - start,
        cpu_s=(rusage.ru_utime + rusage.ru_stime) if rusage else 0.0,
        max_rss_kb=rusage.ru_maxrss if rusage else 0, timed_out=timed_out, output_overflow=overflow,
    )


def _wait(pid: int, deadline: float):
    """Reap ``pid`` with its resource usage, waiting on a pidfd until ``deadline``; (None, None) if still alive."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while True:
            try:
                got, status, rusage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                return 0, None
            if got == pid:
                return status, rusage
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, None
            if pidfd is not None:
                select.select([pidfd], [], [], remaining)
            else:
                time.sleep(min(remaining, 0.002))
    finally:
        if pidfd is not None:
            os.close(pidfd)
