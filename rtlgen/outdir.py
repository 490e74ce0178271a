"""Output locations, checked before any work: a directory one run at a time, files that can be written.

    with locked_out_dir(Path("runs/x")) as out:   # InputError at once if another run holds it
        ...

The lock is ``fcntl.flock`` on ``.rtlgen.lock`` inside the directory, taken without waiting and held
for the whole run; the file keeps the holder's pid so the refusal can name it. The kernel drops the
lock when the process dies, so a killed run never leaves a stale lock behind. The lock file stays
(deleting a lock file races with the next locker); a directory this module created and that holds
nothing else afterwards (the run failed before writing anything) is removed again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rtlgen.errors import InputError

LOCK_NAME = ".rtlgen.lock"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def ensure_out_dir(path: Path, what: str = "--out") -> list[Path]:
    """Create ``path`` if needed and check a file can be created in it; the folders this call created,
    deepest first (empty when ``path`` existed)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {path} exists and is not a directory; pass a new or existing directory")
    created = [p for p in (path, *path.parents) if not p.exists() and not p.is_symlink()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".rtlgen-probe-"):
            pass
    except OSError as exc:
        raise InputError(f"{what} {path} cannot be created or written ({_why(exc)}); pass a directory you can "
                         "write to") from None
    return created


def check_out_file(path: Path, what: str = "--out") -> Path:
    """Check that ``path`` can be written (its folder is created) before work whose result goes there starts."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} {path} is a directory; pass a file name")
    if path.exists() and not path.is_file():
        raise InputError(f"{what} {path} exists and is not a regular file; pass a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"{what} {path} is not writable; pass a file you can write to")
    ensure_out_dir(path.parent if str(path.parent) else Path("."), what=f"the folder of {what}")
    return path


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "pid unknown"


@contextlib.contextmanager
def locked_out_dir(path: Path, what: str = "--out") -> Iterator[Path]:
    """Hold an exclusive lock on the output directory ``path`` (created if missing) for the ``with`` body."""
    path = Path(path)
    created = ensure_out_dir(path, what)
    lock = path / LOCK_NAME
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise InputError(f"cannot create the lock file {lock} ({_why(exc)}); pass another {what}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise InputError(f"cannot lock {path} ({_why(exc)}); pass another {what}") from None
            raise InputError(f"{path} is in use by another rtlgen run ({_holder(fd)}); wait for it to finish "
                             f"or pass another {what}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            if created:
                with contextlib.suppress(OSError):
                    if {p.name for p in path.iterdir()} == {LOCK_NAME}:
                        lock.unlink()
                        for folder in created:  # deepest first; stops at the first that is not empty
                            folder.rmdir()
    finally:
        os.close(fd)
