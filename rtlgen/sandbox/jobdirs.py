"""Per-job directories, and removing the ones a killed rtlgen process left behind, safely across namespaces.

A pid says nothing across pid namespaces (a Ray node under ``unshare --pid``, a container sharing a
volume): a live process elsewhere can have a pid that is dead here. So a directory is never judged by
the pid in its name. Each process holds an exclusive ``flock`` on an owner file in the jobs root for its
whole life and names its job dirs after that owner; the kernel drops the lock when the process dies, on
every namespace alike. A dir is stale only when its owner's lock can be taken.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

_PREFIXES = ("rtlgen-job-", "rtlgen-session-")
_DIR_NAME = re.compile(r"rtlgen-(?:job|session)-(o[0-9a-f]+x[0-9a-f]+)-")
_LOCK = threading.Lock()
_OWNERS: dict[str, tuple[int, str, int]] = {}  # root -> (pid, owner token, lock fd)


def _owner(root: Path) -> str:
    """This process's owner token in ``root``, claimed (file created and locked) on first use."""
    key = str(root)
    with _LOCK:
        held = _OWNERS.get(key)
        if held is not None and held[0] == os.getpid():
            return held[1]
        token = f"o{os.getpid():x}x{secrets.token_hex(4)}"
        fd = os.open(root / f"rtlgen-owner-{token}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _OWNERS[key] = (os.getpid(), token, fd)
        removed_once = held is None
    if removed_once:
        remove_stale_job_dirs(root)
    return token


def new_job_dir(root: Path, prefix: str) -> Path:
    """A fresh, empty directory in ``root`` for one job or session, named after this process's owner lock."""
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{_owner(root)}-", dir=root))


def remove_stale_job_dirs(root: Path) -> int:
    """Remove job dirs in ``root`` whose owner process is gone (its lock is free); returns how many. Dirs of an
    older naming, without an owner lock, are left alone: nothing proves their creator is dead."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return 0
    mine = {t for p, t, _ in _OWNERS.values() if p == os.getpid()}
    dead: dict[str, bool] = {}
    removed = 0
    for entry in entries:
        m = _DIR_NAME.match(entry.name)
        if not m or not entry.name.startswith(_PREFIXES) or not entry.is_dir(follow_symlinks=False):
            continue
        token = m.group(1)
        if token in mine:
            continue
        if token not in dead:
            dead[token] = _owner_is_dead(root, token)
        if dead[token]:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed += 1
    for token, is_dead in dead.items():
        if is_dead:
            (root / f"rtlgen-owner-{token}.lock").unlink(missing_ok=True)
    return removed


def _owner_is_dead(root: Path, token: str) -> bool:
    try:
        fd = os.open(root / f"rtlgen-owner-{token}.lock", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False  # no owner file: not ours to judge
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing drops the lock we may have taken
    return True


__all__ = ["new_job_dir", "remove_stale_job_dirs"]
