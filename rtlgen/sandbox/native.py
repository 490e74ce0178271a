"""The native step starter of the fused driver: built once from ``native/step.c``, used when it can be.

Per step, the bash driver would otherwise fork a subshell for the limits, a watchdog subshell, and exec
``setpriv`` (plus ``chmod`` and ``cat`` for a fed program): about ten milliseconds of CPU a job on a small
machine, a third of a small VerilogEval job's own cost. ``rtlgen-step`` does the same in one exec (see its
source for the contract). It is compiled with the host's C compiler into the cache
(``<cache>/bin/rtlgen-step-<source hash>-<machine>``), statically when the C library allows, and bound
read-only into each sandbox at ``INSIDE``. Without a compiler, or with ``$RTLGEN_NATIVE_STEP=0``, the driver
keeps its bash form; both forms give the same results (``tests/test_sandbox_native.py`` runs the sandbox's
tests through both).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

from rtlgen.paths import cache_root
from rtlgen.sandbox.bwrap import HELPER_INSIDE as INSIDE

SOURCE = Path(__file__).with_name("native") / "step.c"
ENV_SWITCH = "RTLGEN_NATIVE_STEP"
_log = logging.getLogger(__name__)


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def step_helper() -> str | None:
    """The host path of the built starter, or None (switched off, not root, or no compiler)."""
    if not enabled() or os.geteuid() != 0:
        return None
    return _built()


@functools.cache
def _built() -> str | None:
    """Once per process: the source is read, hashed and, if no build of it is in the cache, compiled."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    target = cache_root() / "bin" / f"rtlgen-step-{digest}-{platform.machine()}"
    if os.access(target, os.X_OK):
        return str(target)
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        _log.warning("no C compiler: the sandbox driver starts steps with bash and setpriv (slower; install gcc)")
        return None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".rtlgen-step-")
        os.close(fd)
    except OSError as exc:  # a read-only home (a container): the bash form
        _log.warning("cannot build %s in %s (%s): the sandbox driver uses bash and setpriv", SOURCE.name,
                     target.parent, exc)
        return None
    try:
        for static in (["-static"], []):  # static starts faster; not every C library ships libc.a
            done = subprocess.run([cc, "-O2", *static, "-o", tmp, str(SOURCE)], capture_output=True, timeout=120,
                                  check=False)
            if done.returncode == 0:
                os.chmod(tmp, 0o755)
                os.replace(tmp, target)  # another process building it at the same time wins or loses whole
                return str(target)
        _log.warning("could not build %s (%s): the sandbox driver uses bash and setpriv", SOURCE.name,
                     done.stderr.decode(errors="replace").strip().splitlines()[-1:] or "no message")
        return None
    except (OSError, subprocess.SubprocessError) as exc:
        _log.warning("could not build %s (%s): the sandbox driver uses bash and setpriv", SOURCE.name, exc)
        return None
    finally:
        Path(tmp).unlink(missing_ok=True)


__all__ = ["ENV_SWITCH", "INSIDE", "SOURCE", "enabled", "step_helper"]
