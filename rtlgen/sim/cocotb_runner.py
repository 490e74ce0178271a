"""Run a cocotb (Python) testbench on Icarus, inside the sandbox.

cocotb's own runner (``cocotb_tools.runner``) starts processes itself; here the same two commands
are built as sandbox steps instead: ``iverilog -o sim.vvp -s TOP -g2012 -f cmds.f FILES`` and
``vvp -M <cocotb libs> -m <cocotb libs>/libcocotbvpi_icarus.so sim.vvp -none``, with the environment cocotb's runner
would set. The Python prefix and the venv are shown read-only inside the job (``ro_paths``).

    from rtlgen.sim.cocotb_runner import run_cocotb
    res = run_cocotb({"counter.v": rtl}, top="counter", test_module="test_counter", test_source=py)
    print(res.passed, res.tests, res.failed)

Verdict: from cocotb's results XML (JUnit), not the exit code: vvp exits 0 when tests fail. The
XML's name is a fresh secret of each run, given to cocotb in its environment (which the design cannot
read: no ``/proc``, no ``$getenv``); only that file is read back, a regular file, never through a
link, so a design that could write files still could not write or replace the verdict. Designs go
through the judge first (``rtlgen.sim.judge.cocotb``), which refuses file I/O and every way out.
"""

from __future__ import annotations

import os
import secrets
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace

from rtlgen.errors import InputError
from rtlgen.sandbox import Job, JobResult, Limits, Sandbox, Step, default_sandbox, find_tool
from rtlgen.sim.base import Sources, check_sources, compile_units, sim_result
from rtlgen.sim.result import SimResult

_MODULE_NAME_OK = str.isidentifier


@dataclass(frozen=True)
class CocotbResult:
    sim: SimResult  # the run; ``sim.category`` uses the verdict below
    tests: int  # testcases in the results XML (0: no XML, cocotb never got to run)
    failed: int  # failed or errored testcases
    results_found: bool  # the results XML was produced and parsed

    @property
    def passed(self) -> bool:
        return self.results_found and self.tests > 0 and self.failed == 0


def _cocotb_paths() -> tuple[str, str, str, str]:
    """(libs dir, libpython, GPI entry point, python exe) of the cocotb installed with rtlgen."""
    try:
        import cocotb_tools.config as config
        import find_libpython
    except ImportError as exc:
        raise InputError("cocotb is not installed: pip install 'rtlgen[sim]' (cocotb>=2.1)") from exc
    libpython = find_libpython.find_libpython()
    if not libpython:
        raise InputError("libpython not found, which cocotb needs: use a Python built with --enable-shared")
    return str(config.libs_dir), libpython, config.pygpi_entry_point(), sys.executable


def cocotb_job(sources: Sources, top: str, test_module: str, test_source: str, *,
               timescale: tuple[str, str] = ("1ns", "1ps"), limits: Limits | None = None,
               extra_env: dict[str, str] | None = None) -> tuple[Job, str]:
    """(job, results XML name). ``test_source`` is the Python text of module ``test_module``."""
    if not _MODULE_NAME_OK(test_module):
        raise InputError(f"test module name must be a Python identifier, not {test_module!r}")
    files = check_sources(sources, top)
    units = compile_units(files)
    libs, libpython, entry, python = _cocotb_paths()
    files[f"{test_module}.py"] = test_source.encode()
    files["cmds.f"] = "+timescale+{}/{}\n".format(*timescale).encode()
    results = f"results-{secrets.token_hex(16)}.xml"
    env = {
        "COCOTB_TEST_MODULES": test_module, "COCOTB_TOPLEVEL": top, "TOPLEVEL_LANG": "verilog",
        "COCOTB_RESULTS_FILE": results, "PYGPI_PYTHON_BIN": python, "LIBPYTHON_LOC": libpython,
        "GPI_USERS": f"{libpython};{entry}", "PYTHONPATH": os.pathsep.join(["/job", *[p for p in sys.path if p]]),
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", **(extra_env or {}),
    }
    steps = (
        Step((find_tool("iverilog"), "-o", "sim.vvp", "-s", top, "-g2012", "-f", "cmds.f", *units)),
        Step((find_tool("vvp"), "-M", libs, "-m", os.path.join(libs, "libcocotbvpi_icarus.so"), "sim.vvp", "-none")),
    )
    ro = tuple(sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}))
    job = Job(steps=steps, files=files, limits=limits or Limits(wall_s=60), outputs=(results,), env=env, cacheable=False,
              ro_paths=ro)
    return job, results


def parse_results_xml(data: bytes) -> tuple[int, int]:
    """(testcases, failed) from cocotb's JUnit XML; raises ValueError on anything malformed."""
    try:
        root = ET.fromstring(data)  # expat >= 2.4 refuses entity-expansion bombs
    except ET.ParseError as exc:
        raise ValueError(f"results XML does not parse: {exc}") from exc
    cases = root.findall(".//testcase")
    failed = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
    return len(cases), failed


def parse_cocotb(result: JobResult, results_name: str) -> CocotbResult:
    data = result.outputs.get(results_name)
    tests = failed = 0
    found = False
    if data is not None:
        try:
            tests, failed = parse_results_xml(data)
            found = True
        except ValueError:
            found = False
    verdict = found and tests > 0 and failed == 0
    sim = sim_result("cocotb-icarus", result, n_compile=1, argv=tuple(s.argv for s in result.steps),
                     passed=verdict if result.killed_by.value == "none" else None)
    return CocotbResult(sim=sim, tests=tests, failed=failed, results_found=found)


def run_cocotb(sources: Sources, top: str, test_module: str, test_source: str, *, sandbox: Sandbox | None = None,
               timescale: tuple[str, str] = ("1ns", "1ps"), limits: Limits | None = None) -> CocotbResult:
    job, results = cocotb_job(sources, top, test_module, test_source, timescale=timescale, limits=limits)
    res = parse_cocotb((sandbox or default_sandbox()).run(job), results)
    return replace(res, sim=replace(res.sim, argv=tuple(s.argv for s in job.steps)))
