"""Simulation layer: Icarus, Verilator, pyslang and cocotb, all run through ``rtlgen.sandbox``.

    from rtlgen.sim import get_simulator, syntax_check, parse_diagnostics
    res = get_simulator("icarus").run({"design.sv": dut, "tb.sv": tb}, top="tb")
    res.status, res.category, res.stdout

Simulators build jobs (``build_job``) and read results (``parse``); batches go through
``rtlgen.sandbox.run_many``. ``classify`` holds the VerilogEval v2 failure taxonomy.
"""

from rtlgen.sim.base import SIMULATORS, Simulator, get_simulator, sim_result
from rtlgen.sim.classify import FailureCategory, classify, classify_upstream
from rtlgen.sim.icarus import IcarusSimulator, icarus_syntax_job, syntax_check
from rtlgen.sim.result import SimResult, SimStatus
from rtlgen.sim.slang import Diagnostic, Port, module_names, module_ports, parse_diagnostics
from rtlgen.sim.verilator import VerilatorSimulator

__all__ = [
    "SIMULATORS", "Diagnostic", "FailureCategory", "IcarusSimulator", "Port", "SimResult", "SimStatus", "Simulator",
    "VerilatorSimulator", "classify", "classify_upstream", "get_simulator", "icarus_syntax_job", "module_names",
    "module_ports", "parse_diagnostics", "sim_result", "syntax_check",
]
