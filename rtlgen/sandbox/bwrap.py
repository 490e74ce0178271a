"""Build the command that confines a process: prlimit, bubblewrap, and a private unprivileged uid.

Only argv is produced here; ``rtlgen.sandbox.runner`` runs it. The confined process sees a
read-only minimal root (``/usr`` and the usual links), the job dir at ``/job`` as its only writable
path besides a size-limited tmpfs at ``/tmp``, no network, no host environment and no capabilities.

As root, bwrap sets up the mounts itself (so read-only paths under ``/root`` can be shown) and the
command is started through ``setpriv`` as a private uid with every capability dropped and
no_new_privs set: RLIMIT_NPROC is then enforced, which it never is for uid 0. As an ordinary user,
bwrap makes a user namespace and the user's own uid is the limit's subject.

What a job cannot see: ``/proc`` is not mounted (no ``/proc/self/mem``, no other process's fds,
environment or command line), except for tools that cannot start without it (``NEEDS_PROC``:
Yosys finds its data through ``/proc/self/exe``); ``/etc`` is a synthetic folder written by rtlgen
(``passwd``, ``group``, ``hosts``, ``hostname``, ``nsswitch.conf``) plus the loader's cache, which
only indexes ``/usr/lib``, already visible: an `` `include `` or ``$readmemh`` of a host path in
``/etc`` finds nothing of the host.

``driver=True`` (the fused multi-step driver, as root only) starts the command as uid 0 inside the
sandbox with just the capabilities it needs to start each step as a private uid, feed it a program
and stop it (see ``rtlgen.sandbox.fused``); the steps themselves drop every capability.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from rtlgen.sandbox.job import Limits

JOB_MOUNT = "/job"
HELPER_INSIDE = "/run/rtlgen-step"  # the native step starter (``rtlgen.sandbox.native``)
_NAMESPACES_AS_ROOT = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
NEEDS_PROC = frozenset({"yosys"})  # tools that exit without /proc/self/exe
# The fused driver (trusted bash) keeps these to start steps as private uids (SETUID/SETGID/SETPCAP), read
# a private program into a pipe and mark a binary execute-only (DAC_OVERRIDE/FOWNER), and stop a step's
# processes (KILL). Every step drops all of them with setpriv.
_DRIVER_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL")
_ETC_VERSION = "2"
_ETC_FILES = {
    "passwd": "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    "group": "nogroup:x:65534:\n",
    "hosts": "127.0.0.1 localhost\n",
    "hostname": "sandbox\n",
    "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
    "ld.so.cache": "",  # placeholder: the host's loader cache is bound over it (an index of /usr/lib)
}


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


@functools.cache
def synthetic_etc(root: str) -> str:
    """A read-only folder of rtlgen's own /etc files under ``root``, made once per process and version."""
    target = Path(root) / f"rtlgen-etc-v{_ETC_VERSION}-{os.geteuid()}"
    if not (target / "passwd").exists():
        Path(root).mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".rtlgen-etc-", dir=root))
        for name, text in _ETC_FILES.items():
            (tmp / name).write_text(text)
            (tmp / name).chmod(0o644)
        tmp.chmod(0o755)
        try:
            tmp.rename(target)
        except OSError:  # another process made it first
            shutil.rmtree(tmp, ignore_errors=True)
    return str(target)


def needs_proc(argvs) -> bool:
    return any(os.path.basename(argv[0]) in NEEDS_PROC for argv in argvs)


def confine_argv(bwrap: str, job_dir: str, uid: int, *, ro_paths: tuple[str, ...] = (),
                 rw_paths: tuple[str, ...] = (), env: Mapping[str, str] | None = None, tmp_mb: int = 256,
                 proc: bool = False, driver: bool = False, helper: str | None = None) -> list[str]:
    """bwrap options + inner privilege drop, ending so that the job's argv can be appended.

    ``proc``: mount /proc (only for ``NEEDS_PROC`` tools). ``driver``: as root, start the command as uid 0
    with the fused driver's capabilities instead of dropping to ``uid`` (the driver drops per step).
    ``helper``: the native step starter, shown read-only at ``rtlgen.sandbox.native.INSIDE``."""
    as_root = os.geteuid() == 0
    argv = [bwrap]
    if as_root:
        caps = _DRIVER_CAPS if driver else ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")
        argv += _NAMESPACES_AS_ROOT + ["--cap-drop", "ALL"] + [a for c in caps for a in ("--cap-add", c)]
    else:
        argv += ["--unshare-all", "--cap-drop", "ALL"]
    argv += ["--die-with-parent", "--new-session", "--clearenv",
             "--ro-bind", "/usr", "/usr",
             "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
             "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
             "--ro-bind", synthetic_etc(os.path.dirname(job_dir)), "/etc"]
    if os.path.exists("/etc/ld.so.cache"):
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    if proc:
        argv += ["--proc", "/proc"]
    if helper is not None:
        argv += ["--ro-bind", helper, HELPER_INSIDE]
    argv += ["--dev", "/dev",
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
    if as_root and not driver:
        argv += drop_privileges_argv(uid)
    return argv


def drop_privileges_argv(uid: int) -> list[str]:
    """``setpriv`` prefix: become ``uid`` with no capabilities, no groups and no_new_privs."""
    setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--bounding-set=-all",
            "--inh-caps=-all", "--no-new-privs", "--"]
