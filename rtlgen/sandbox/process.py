"""Start one process in its own session, stream its output under a cap, enforce a wall clock.

This is the only place in rtlgen that calls ``subprocess.Popen`` on a job. The process group it
creates is the only thing it ever kills.
"""

from __future__ import annotations

import os
import resource
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
    max_rss_kb: int  # 0: unknown (see ``_child_peak_kb``)
    timed_out: bool
    output_overflow: bool
    channels: tuple[bytes, ...] = ()  # what arrived on each extra pipe, in the order of ``channel_fds``
    overflow_index: int | None = None  # 0 stdout, 1 stderr, 2+ extra channel; None when nothing overflowed


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def open_channels(count: int) -> tuple[list[int], list[int]]:
    """``count`` pipes for extra output streams: (read ends, write ends); pass the write ends to ``run_process``."""
    pairs = [os.pipe() for _ in range(count)]
    return [r for r, _ in pairs], [w for _, w in pairs]


def _child_peak_kb(rusage) -> int:
    """The child's peak resident size, or 0 when it cannot be told apart from ours: Linux carries the RSS of the
    image a process replaces into its ``ru_maxrss`` at exec, so a child this process started reports at least
    what this process held then (a training run with a model loaded: gigabytes) whatever it used itself."""
    if rusage is None:
        return 0
    return rusage.ru_maxrss if rusage.ru_maxrss > resource.getrusage(resource.RUSAGE_SELF).ru_maxrss else 0


def run_process(argv: list[str], *, cwd: str, env: dict[str, str], stdin: bytes | None,
                wall_s: float, output_cap: int, channels: tuple[list[int], list[int]] | None = None,
                channel_caps: list[int] | None = None, hold_stdin: bool = False) -> ProcessOutcome:
    """Run ``argv`` to completion or until ``wall_s`` / an output cap is hit; never raises on the child's behaviour.

    ``channels`` (from ``open_channels``) are extra pipes the child inherits at their own fd numbers;
    each is read under its own cap from ``channel_caps``, like stdout and stderr. ``hold_stdin``
    gives the child a stdin pipe that stays open and silent until it ends (a timer source for it).
    """
    read_ends, write_ends = channels or ([], [])
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, start_new_session=True, close_fds=True, pass_fds=tuple(write_ends),
            stdin=subprocess.PIPE if stdin or hold_stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
    finally:
        for fd in write_ends:
            os.close(fd)
    if stdin:
        try:
            proc.stdin.write(stdin)
        except BrokenPipeError:
            pass
        proc.stdin.close()
    fds = [proc.stdout.fileno(), proc.stderr.fileno(), *read_ends]
    caps = [output_cap, output_cap, *(channel_caps or [output_cap] * len(read_ends))]
    try:
        bufs, timed_out, overflow = _pump(fds, caps, start + wall_s)
    except BaseException:  # an interrupt mid-run must not leave the job running
        _kill_group(proc.pid)
        raise
    killed = timed_out or overflow is not None
    if killed:
        _kill_group(proc.pid)
    # Output closed (or we gave up on it): wait for the exit, still bounded by the deadline.
    status, rusage = _wait(proc.pid, time.monotonic() + 5 if killed else start + wall_s)
    if status is None:
        timed_out = True
        _kill_group(proc.pid)
        status, rusage = _wait(proc.pid, time.monotonic() + 5)
    _kill_group(proc.pid)  # anything the child left running in its group
    proc.stdout.close()
    proc.stderr.close()
    if hold_stdin and proc.stdin:
        proc.stdin.close()
    for fd in read_ends:
        os.close(fd)
    returncode = os.waitstatus_to_exitcode(status) if status is not None else -signal.SIGKILL
    proc.returncode = returncode
    return ProcessOutcome(
        returncode=returncode, stdout=bytes(bufs[0]), stderr=bytes(bufs[1]), wall_s=time.monotonic() - start,
        cpu_s=(rusage.ru_utime + rusage.ru_stime) if rusage else 0.0,
        max_rss_kb=_child_peak_kb(rusage), timed_out=timed_out, output_overflow=overflow is not None,
        channels=tuple(bytes(b) for b in bufs[2:]), overflow_index=overflow,
    )


def _pump(fds: list[int], caps: list[int], deadline: float) -> tuple[list[bytearray], bool, int | None]:
    """Read every fd until all close, the deadline passes, or one goes over its cap.

    Returns (buffers, timed_out, index of the stream that overflowed or None)."""
    bufs = [bytearray() for _ in fds]
    index = {fd: i for i, fd in enumerate(fds)}
    with selectors.DefaultSelector() as sel:
        for fd in fds:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bufs, True, None
            for key, _ in sel.select(timeout=min(remaining, 0.5)):
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fd)
                    continue
                i = index[key.fd]
                room = caps[i] - len(bufs[i])
                bufs[i] += chunk[:max(room, 0)]
                if len(chunk) > room:
                    return bufs, False, i
    return bufs, False, None


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
