"""Verilator: ``--lint-only`` and ``--binary`` build + run, as sandbox jobs.

    from rtlgen.sim.verilator import VerilatorSimulator
    res = VerilatorSimulator().run({"design.sv": dut, "tb.sv": tb}, top="tb")   # ~5 s: a C++ build

The build is ``verilator --binary -j 1 -Wno-fatal --top-module TOP -Mdir obj_dir -o Vsim FILES``
(``--binary`` implies ``--main --exe --build --timing``), then ``./obj_dir/Vsim``. ``-j 1``: the
pool already keeps every core busy with one job each.

ccache, and why it is off by default: a compiler cache shared by jobs is a channel between them.
Mounted writable, untrusted job A can plant an object under the hash key of a file job B will
compile (the Verilator runtime, compiled by every job, is the obvious target) and so run code in B or
forge B's result. A per-job cache is safe but never hits. So ``ccache_dir`` is opt-in and read-only
to jobs (``CCACHE_READONLY``): only ``warm_ccache`` (a trusted design we ship, run with the cache
writable) fills it, with the Verilator runtime objects that every later build then reuses.
``ccache_writable=True`` restores the shared writable cache for trusted code only.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from rtlgen.errors import InputError, ToolMissingError
from rtlgen.sandbox import Job, JobResult, Limits, Sandbox, Step, default_sandbox, find_tool, has_tool
from rtlgen.sandbox.tools import fingerprint
from rtlgen.sim.base import Simulator, Sources, check_sources, compile_units, sim_result
from rtlgen.sim.result import SimResult

DEFAULT_FLAGS = ("-j", "1", "-Wno-fatal")
BUILD_LIMITS = Limits(wall_s=300, cpu_s=300)  # a C++ build of a small design takes 5-15 s on one core
OBJ_DIR = "obj_dir"
BINARY = "Vsim"
# Two trusted designs: with and without delays, since Verilator compiles its runtime differently
# (coroutines, verilated_timing.o) when the design needs timing.
_WARM_DESIGNS = (
    "module warm; initial begin #1 $display(\"warm\"); $finish; end endmodule\n",
    "module warm; initial begin $display(\"warm\"); $finish; end endmodule\n",
)
class VerilatorSimulator(Simulator):
    name = "verilator"

    def __init__(self, flags: Sequence[str] = DEFAULT_FLAGS, extra_flags: Sequence[str] = (),
                 plusargs: Sequence[str] = (), limits: Limits | None = None,
                 build_limits: Limits | None = BUILD_LIMITS, ccache_dir: str | None = None,
                 ccache_writable: bool = False) -> None:
        super().__init__(limits)
        self.flags = tuple(flags)  # -j 1: one core per job; -Wno-fatal: warnings never stop the build
        self.extra_flags = tuple(extra_flags)  # e.g. -DNAME=1, --timing, -Wall
        self.plusargs = tuple(plusargs)  # +args for the simulation binary
        self.build_limits = build_limits  # the build needs far more than a simulation
        self.ccache_dir = ccache_dir  # None: no compiler cache (see the module docstring)
        self.ccache_writable = ccache_writable  # True only for trusted code: a shared writable cache is a channel

    def env_and_paths(self) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]:
        env = {"OBJCACHE": ""}
        if not self.ccache_dir:
            return env, (), ()
        if not has_tool("ccache"):
            raise ToolMissingError("ccache_dir was given but ccache is not installed: apt-get install ccache")
        os.makedirs(self.ccache_dir, exist_ok=True)
        env.update(OBJCACHE=find_tool("ccache"), CCACHE_DIR=self.ccache_dir, CCACHE_TEMPDIR="/tmp",
                   CCACHE_NOHASHDIR="1", CCACHE_UMASK="022")
        if self.ccache_writable:
            os.chmod(self.ccache_dir, 0o777)  # jobs run as changing private uids: each must write where others did
            env["CCACHE_UMASK"] = "000"
            return env, (), (self.ccache_dir,)
        env["CCACHE_READONLY"] = "1"
        return env, (self.ccache_dir,), ()

    def build_argv(self, units: list[str], top: str) -> tuple[str, ...]:
        return (find_tool("verilator"), "--binary", *self.flags, *self.extra_flags, "--top-module", top,
                "-Mdir", OBJ_DIR, "-o", BINARY, *units)

    def build_job(self, sources: Sources, top: str, *, limits: Limits | None = None) -> Job:
        files = check_sources(sources, top)
        env, ro, rw = self.env_and_paths()
        steps = (Step(self.build_argv(compile_units(files), top), limits=self.build_limits),
                 Step((f"./{OBJ_DIR}/{BINARY}", *self.plusargs)))
        return Job(steps=steps, files=files, limits=self._limits(limits), env=env, ro_paths=ro, rw_paths=rw)

    def warm_ccache(self, sandbox: Sandbox | None = None) -> SimResult | None:
        """Fill ``ccache_dir`` with the Verilator runtime objects by building a design we trust.
        None when it was already warmed for this verilator and these flags (a stamp file says so)."""
        if not self.ccache_dir:
            raise InputError("warm_ccache needs a ccache_dir: VerilatorSimulator(ccache_dir=...)")
        stamp = os.path.join(self.ccache_dir, ".rtlgen-warm-" + hashlib.sha256(
            (fingerprint(find_tool("verilator")) + repr(self.flags)).encode()).hexdigest()[:16])
        if os.path.exists(stamp):
            return None
        trusted = VerilatorSimulator(self.flags, build_limits=self.build_limits, ccache_dir=self.ccache_dir,
                                     ccache_writable=True)
        try:
            for design in _WARM_DESIGNS:
                job = trusted.build_job({"warm.sv": design}, "warm")
                result = (sandbox or default_sandbox()).run(Job(
                    steps=job.steps, files=job.files, limits=job.limits, env=job.env, rw_paths=job.rw_paths,
                    cacheable=False))
                if not result.ok:
                    break
        finally:
            _seal(self.ccache_dir)
        if result.ok:
            Path(stamp).touch()

        return trusted.parse(result)


def _seal(path: str) -> None:
    """Give the warmed cache back to us and make it read-only for every other uid (a job uid recurs)."""
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(root, name)
            os.lchown(full, os.geteuid(), os.getegid())
            if not os.path.islink(full):
                os.chmod(full, 0o755 if name in dirs else 0o644)
    os.chmod(path, 0o755)


LINT_FLAGS = ("-Wall", "-Wno-fatal")  # report every warning, fail only on errors


def lint_job(sources: Sources, *, top: str | None = None, flags: Sequence[str] = LINT_FLAGS,
             limits: Limits | None = None) -> Job:
    """``verilator --lint-only``: parse, elaborate and warn; nothing is built."""
    files = check_sources(sources, top)
    argv = (find_tool("verilator"), "--lint-only", *flags, *(("--top-module", top) if top else ()),
            *compile_units(files))
    return Job(steps=(Step(argv),), files=files, limits=limits or Limits(wall_s=60))


def parse_lint(result: JobResult, *, code: str | None = None) -> SimResult:
    return sim_result("verilator-lint", result, n_compile=1, argv=tuple(s.argv for s in result.steps), code=code,
                      compile_only=True)


def lint(sources: Sources, *, sandbox: Sandbox | None = None, top: str | None = None,
         flags: Sequence[str] = LINT_FLAGS) -> SimResult:
    """Verilator's opinion of the sources; ``compiled`` is False on any error (warnings are in the log)."""
    return parse_lint((sandbox or default_sandbox()).run(lint_job(sources, top=top, flags=flags)))
