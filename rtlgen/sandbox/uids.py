"""Private uids for jobs, unique across every rtlgen process on the host.

When rtlgen runs as root, each job's builder runs as a private uid and its public steps as the next
one. Two worker processes (service workers, Ray actors, parallel evals) must never hand out the same
uid at the same time, or one job could read another's private testbench. Each process claims a slot
(a block of uid pairs) by holding an exclusive ``flock`` on a slot file for its lifetime; the kernel
drops the lock when the process dies, so a crashed worker's slot is free again. Inside a process,
pairs are handed out and returned, never shared by two jobs in flight.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from pathlib import Path

from rtlgen.errors import SandboxUnavailableError

PAIRS_PER_SLOT = 32


def _lock_dir() -> Path:
    root = Path("/run") if os.access("/run", os.W_OK) else Path(tempfile.gettempdir())
    path = root / f"rtlgen-uid-slots-{os.geteuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


class UidAllocator:
    """Hands out builder uids (even offsets from ``base``); the public uid is builder + 1."""

    def __init__(self, base: int, count: int) -> None:
        self.base = base
        self.slots = max(1, count // (2 * PAIRS_PER_SLOT))
        self._lock = threading.Condition()
        self._free: list[int] = []
        self._held: list[tuple[int, int]] = []  # (slot, fd) this process holds
        self._pid = os.getpid()

    def acquire(self) -> int:
        with self._lock:
            self._after_fork()
            if not self._free:
                self._claim_slot()
            return self._free.pop()

    def release(self, uid: int) -> None:
        with self._lock:
            if os.getpid() == self._pid and uid not in self._free:
                self._free.append(uid)
                self._lock.notify()

    def _after_fork(self) -> None:
        """A forked child inherits the parent's pairs (and its lock fds): it must claim its own."""
        if os.getpid() != self._pid:
            self._pid = os.getpid()
            self._free.clear()
            self._held.clear()

    def _claim_slot(self) -> None:
        directory = _lock_dir()
        start = os.getpid() % self.slots  # spread processes so most claim on the first try
        for k in range(self.slots):
            slot = (start + k) % self.slots
            if any(s == slot for s, _ in self._held):
                continue
            fd = os.open(directory / f"slot-{self.base}-{slot}", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self._held.append((slot, fd))
            first = self.base + slot * 2 * PAIRS_PER_SLOT
            self._free.extend(first + 2 * i for i in reversed(range(PAIRS_PER_SLOT)))
            return
        raise SandboxUnavailableError(
            f"all {self.slots} private uid slots are held by other rtlgen processes; raise uid_count or run fewer "
            "worker processes on this host")


_ALLOCATORS: dict[tuple[int, int], UidAllocator] = {}
_ALLOCATORS_LOCK = threading.Lock()


def allocator(base: int, count: int) -> UidAllocator:
    """The process-wide allocator for a uid range (one per range, shared by every sandbox in the process)."""
    with _ALLOCATORS_LOCK:
        key = (base, count)
        if key not in _ALLOCATORS:
            _ALLOCATORS[key] = UidAllocator(base, count)
        return _ALLOCATORS[key]
