"""Build the command that confines a process: prlimit, bubblewrap, and a private unprivileged uid.

Only argv is produced here; ``rtlgen.sandbox.runner`` runs it. The confined process sees a
read-only minimal root (``/usr`` and the usual links), the job dir at ``/job`` as its only writable
path besides a size-limited tmpfs at ``/tmp``, no network, no host environment and no capabilities.

As root, bwrap sets up the mounts itself (so read-only paths under ``/root`` can be shown) and the
command is started through ``setpriv`` as a private uid with every capability dropped and
no_new_privs set: RLIMIT_NPROC is then enforced, which it never is for uid 0. As an ordinary user,
bwrap makes a user namespace and the user's own uid is the limit's subject.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import PurePosixPath

from rtlgen.sandbox.job import Limits

JOB_MOUNT = "/job"
_NAMESPACES_AS_ROOT = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]


def prlimit_prefix(limits: Limits) -> list[str]:
    prlimit = shutil.which("prlimit") or "/usr/bin/prlimit"
    mem = limits.memory_mb * 1024 * 1024
    fsize = limits.file_size_mb * 1024 * 1024
    cpu = max(1, int(limits.cpu_s))
    return [
        prlimit, f"--as={mem}", f"--cpu={cpu}:{cpu + 1}", f"--fsize={fsize}",
        f"--nofile={limits.open_files}", f"--nproc={limits.processes}", "--core=0", "--",
    ]


def _parents(path: str) -> list[str]:
    parts = PurePosixPath(path).parents
    return [str(p) for p in reversed(parts) if str(p) not in ("/", "/usr")]


def confine_argv(bwrap: str, job_dir: str, uid: int, *, ro_paths: tuple[str, ...] = (),
                 rw_paths: tuple[str, ...] = (), env: Mapping[str, str] | None = None, tmp_mb: int = 256) -> list[str]:
    """bwrap options + inner privilege drop, ending so that the job's argv can be appended."""
    as_root = os.geteuid() == 0
    argv = [bwrap]
    if as_root:
        argv += _NAMESPACES_AS_ROOT + ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                                       "--cap-add", "CAP_SETPCAP"]
    else:
        argv += ["--unshare-all", "--cap-drop", "ALL"]
    argv += ["--die-with-parent", "--new-session", "--clearenv",
             "--ro-bind", "/usr", "/usr",
             "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
             "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64"]
    if os.path.exists("/etc/ld.so.cache"):
        argv += ["--perms", "0755", "--dir", "/etc", "--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--bind", job_dir, JOB_MOUNT,
             "--perms", "1777", "--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    made: set[str] = set()
    for path, flag in [(p, "--ro-bind") for p in ro_paths] + [(p, "--bind") for p in rw_paths]:
        for parent in _parents(path):
            if parent not in made:
                argv += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        argv += [flag, path, path]
    argv += ["--chdir", JOB_MOUNT, "--remount-ro", "/"]
    full_env = {"HOME": JOB_MOUNT, "TMPDIR": "/tmp", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **(env or {})}
    for key, value in full_env.items():
        argv += ["--setenv", key, value]
    argv.append("--")
    if as_root:
        setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
        argv += [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--bounding-set=-all",
                 "--inh-caps=-all", "--no-new-privs", "--"]
    return argv
