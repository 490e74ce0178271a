"""What the agent reads out of model answers and how it judges a testbench run.

* ``split_answer``: the design (and, for self-generated tests, a ``tb`` module) out of a model response,
  with a clear problem string for no code, a wrong module name or a cut-off answer.
* ``verify``: lint with pyslang, then the one judge (``rtlgen.sim.judge``: the design cannot print, stop
  or reach its way to a pass), and the feedback text (exact tool messages, trimmed, with the referenced
  source lines numbered) for the next round.
* ``random_harness``: a generated testbench that drives the same seeded random inputs into any design with a
  given port list and prints the outputs every cycle, for clustering candidates by behaviour.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from rtlgen.llm.extract import extract_robust, split_modules
from rtlgen.sim.classify import FailureCategory as FC

_TB_NAMES = ("tb", "testbench", "test", "tb_top", "top_tb")
_CLOCKS = ("clk", "clock", "i_clk", "clk_i")
_RESETS = ("reset", "rst", "areset", "rst_n", "resetn", "reset_n", "arst_n", "aresetn", "i_rst", "rst_i")


@dataclass(frozen=True)
class Answer:
    """What one model response held."""

    design: str  # the design modules ("" if none)
    testbench: str | None  # a testbench module found in the answer, if testbenches are accepted
    modules: tuple[str, ...]  # names of every module found, in order
    truncated: bool  # the last module never reached endmodule (token limit, endless text)
    problem: str | None  # why this answer cannot be verified, for the verdict and the next prompt


def split_answer(response: str, top: str, *, accept_testbench: bool) -> Answer:
    """Design and optional testbench from a response; ``problem`` explains what is unusable."""
    extraction = extract_robust(response, top=top)
    modules = split_modules(extraction.code)
    names = tuple(n for n, _ in modules)
    tb_parts = [t for n, t in modules if n in _TB_NAMES and n != top] if accept_testbench else []
    design = "".join(t for n, t in modules if not (accept_testbench and n in _TB_NAMES and n != top))
    testbench = "".join(tb_parts) or None
    problem = None
    if not modules:
        problem = "no Verilog module was found in the answer; return the code in one ```verilog block"
    elif top not in names:
        problem = (f"the answer defines module(s) {', '.join(names)} but no module named `{top}`; "
                   f"the top module must be named `{top}`")
    elif extraction.truncated:
        problem = "the answer was cut off before `endmodule` (too long); return a shorter, complete module"
    elif names.count(top) > 1:
        problem = f"module `{top}` is defined {names.count(top)} times; return exactly one definition"
    return Answer(design=design, testbench=testbench, modules=names, truncated=extraction.truncated, problem=problem)


def _is_clock(name: str) -> bool:
    return name.lower() in _CLOCKS


def _reset_level(name: str) -> int | None:
    """1 for an active-high reset, 0 for active-low, None when ``name`` is not a reset."""
    low = name.lower()
    if low not in _RESETS:
        return None
    return 0 if low.endswith(("_n", "resetn")) else 1


def random_harness(top: str, ports, *, vectors: int = 64, seed: int = 1, reset_cycles: int = 2) -> str:
    """A testbench printing ``i out1 out2 ...`` (binary) per cycle under seeded random inputs.

    ``ports``: objects with ``name``, ``direction`` ("input"/"output"/...) and ``width`` (bits). A port named
    like a clock toggles; one named like a reset is asserted for the first ``reset_cycles`` vectors.
    """
    inputs = [p for p in ports if str(getattr(p.direction, "value", p.direction)).lower().startswith("in")
              and not str(getattr(p.direction, "value", p.direction)).lower().startswith("inout")]
    outputs = [p for p in ports if str(getattr(p.direction, "value", p.direction)).lower().startswith("out")]
    clock = next((p.name for p in inputs if _is_clock(p.name)), None)
    lines = ["`timescale 1ns/1ps", "module rtlgen_harness;", "  integer seed, i;"]
    lines += [f"  reg [{max(1, int(p.width)) - 1}:0] h_{p.name};" for p in inputs]
    lines += [f"  wire [{max(1, int(p.width)) - 1}:0] h_{p.name};" for p in outputs]
    conns = ", ".join(f".{p.name}(h_{p.name})" for p in [*inputs, *outputs])
    lines += [f"  {top} dut ({conns});", "  initial begin", f"    seed = {int(seed)};"]
    if clock:
        lines.append(f"    h_{clock} = 0;")
    lines.append(f"    for (i = 0; i < {int(vectors)}; i = i + 1) begin")
    for p in inputs:
        if p.name == clock:
            continue
        level = _reset_level(p.name)
        if level is not None:
            lines.append(f"      h_{p.name} = (i < {reset_cycles}) ? 1'b{level} : 1'b{1 - level};")
        else:
            words = (max(1, int(p.width)) + 31) // 32
            lines.append(f"      h_{p.name} = {{{', '.join(['$random(seed)'] * words)}}};")
    lines.append(f"      #5 h_{clock} = 1; #5 h_{clock} = 0;" if clock else "      #10;")
    fmt = " ".join(["%0d"] + ["%b"] * len(outputs))
    args = ", ".join(["i"] + [f"h_{p.name}" for p in outputs])
    lines += [f'      $display("{fmt}", {args});', "    end", "    $finish;", "  end", "endmodule"]
    return "\n".join(lines) + "\n"


# -- verification of one round -------------------------------------------------------------------
class Verdict(enum.StrEnum):
    """The agent's verdict on one round."""

    PASS = "pass"
    FAIL = "fail"  # compiled and ran; the test reported mismatches or a failure
    COMPILE_ERROR = "compile_error"
    RUNTIME_ERROR = "runtime_error"  # exited non-zero without a mismatch count ($fatal, crash)
    TIMEOUT = "timeout"
    KILLED = "killed"  # memory, cpu, output or file-size limit
    NO_CODE = "no_code"
    WRONG_MODULE = "wrong_module"  # no module with the top name, or it is defined twice
    TRUNCATED = "truncated"  # the answer stopped before endmodule
    NO_TESTBENCH = "no_testbench"  # the design compiles but no usable testbench exists
    FORBIDDEN = "forbidden"  # the design reaches outside itself ($finish, hierarchical names, file I/O, ...)


@dataclass(frozen=True)
class Check:
    """Everything one round's verification found."""

    verdict: Verdict
    category: str  # VerilogEval failure category (rtlgen.sim.classify) or the verdict when nothing ran
    passed: bool
    compiled: bool
    reason: str  # one line for people
    feedback: str  # what the model is shown next round: exact tool messages, trimmed, with source lines
    tool_results: dict = field(default_factory=dict)
    mismatch_fraction: float = 1.0


def check_answer_problem(problem: str) -> Check:
    """A round whose answer could not be verified at all (no code, wrong module, cut off)."""
    verdict = (Verdict.NO_CODE if problem.startswith("no Verilog") else
               Verdict.TRUNCATED if "cut off" in problem else Verdict.WRONG_MODULE)
    return Check(verdict, verdict.value, False, False, problem, f"Problem with your answer: {problem}.",
                 {"answer_problem": problem})


def design_ports(design: str, top: str):
    """Ports of ``top`` via pyslang, or None when it cannot be elaborated."""
    from rtlgen.errors import InputError
    from rtlgen.sim.slang import module_ports

    try:
        return module_ports(design, top) or None
    except (InputError, RuntimeError, ValueError):
        return None


def _trim(text: str, chars: int, lines: int = 40) -> str:
    kept = text.strip().splitlines()
    out = "\n".join(kept[:lines]) + (f"\n... ({len(kept) - lines} more lines)" if len(kept) > lines else "")
    return out if len(out) <= chars else out[:chars] + "\n... (trimmed)"


_LOCATION = re.compile(r"^([\w./-]+\.s?v):(\d+):", re.M)


def _source_lines(log: str, sources: dict[str, str], limit: int = 8) -> str:
    """The source lines a log points at, numbered, so the model sees what line N is."""
    shown, out = set(), []
    for name, num in _LOCATION.findall(log):
        key = (name, int(num))
        if key in shown or name not in sources or len(shown) >= limit:
            continue
        shown.add(key)
        lines = sources[name].splitlines()
        if 0 < key[1] <= len(lines):
            out.append(f"{name}:{key[1]:>4} | {lines[key[1] - 1]}")
    return "\n".join(out)


def _lint(design: str) -> list[str]:
    from rtlgen.sim.slang import parse_diagnostics

    try:
        return [f"design.sv:{d}" for d in parse_diagnostics(design, "design.sv") if d.severity in ("error", "fatal")]
    except Exception as exc:  # noqa: BLE001 - a pyslang crash on hostile text must not end the run
        return [f"pyslang could not check the design: {type(exc).__name__}"]


def _feedback(sim, lint: list[str], reason: str, sources: dict[str, str], chars: int) -> str:
    parts = [f"Verdict: {reason}."]
    if lint:
        parts.append("pyslang (lint) errors:\n" + _trim("\n".join(lint), chars // 3))
    if sim.compile_log.strip():
        parts.append("iverilog (compiler) output:\n" + _trim(sim.compile_log, chars // 2))
    if sim.run_log.strip():
        parts.append("vvp (simulation) output:\n" + _trim(sim.run_log, chars // 2))
    where = _source_lines(sim.compile_log + sim.run_log, sources)
    if where:
        parts.append("Source lines referenced above:\n" + where)
    return "\n\n".join(parts)


_CATEGORY_VERDICTS = {FC.PASS: Verdict.PASS, FC.TIMEOUT: Verdict.TIMEOUT, FC.RUNTIME_ERROR: Verdict.RUNTIME_ERROR,
                      FC.FORBIDDEN: Verdict.FORBIDDEN, FC.MISMATCH: Verdict.FAIL, FC.RESET_MISMATCH: Verdict.FAIL,
                      FC.NO_VERDICT: Verdict.FAIL, FC.EMPTY_CODE: Verdict.NO_CODE, FC.TOOL_MISSING: Verdict.COMPILE_ERROR,
                      FC.KILLED_MEMORY: Verdict.KILLED, FC.KILLED_CPU: Verdict.KILLED, FC.KILLED_OUTPUT: Verdict.KILLED,
                      FC.KILLED_FILESIZE: Verdict.KILLED, FC.TOO_LARGE: Verdict.KILLED}


def verify(sandbox, design: str, testbench: str | None, top: str, tb_top: str | None, chars: int, limits) -> Check:
    """Lint the design, then judge it against the testbench (``rtlgen.sim.judge``).

    Without a testbench only the Icarus syntax check runs (verdict NO_TESTBENCH when it compiles).
    """
    from rtlgen.sim.icarus import syntax_check
    from rtlgen.sim.judge import Bench, Judge, JudgeConfig, JudgeLimits

    lint = _lint(design)
    sources = {"design.sv": design} if testbench is None else {"design.sv": design, "tb.sv": testbench}
    if testbench is None or tb_top is None:
        sim = syntax_check(sources, sandbox=sandbox, top=top, limits=limits)
        verdict = Verdict.NO_TESTBENCH if sim.compiled else Verdict.COMPILE_ERROR
        reason = "no usable testbench" if sim.compiled else "the design does not compile"
        return Check(verdict, sim.category.value if not sim.compiled else verdict.value, False, sim.compiled, reason,
                     _feedback(sim, lint, reason, sources, chars), {"lint": lint, "syntax": sim.to_json()})
    judge = Judge(JudgeConfig(limits=JudgeLimits(run_wall_s=limits.wall_s)), sandbox=sandbox)
    result = judge.judge(design, Bench({"tb.sv": testbench}, top=tb_top, dut_top=top))
    verdict = _CATEGORY_VERDICTS.get(result.category, Verdict.COMPILE_ERROR)
    fraction = 0.0 if result.passed else 1.0 - (result.fraction_correct or 0.0)
    return Check(verdict, result.category.value, result.passed, result.compiled, result.reason,
                 _feedback(result, lint, result.reason, sources, chars), {"lint": lint, "judge": result.to_json()},
                 fraction)


def harness_trace(sandbox, design: str, top: str, ports, *, vectors: int, seed: int, limits) -> str | None:
    """The output trace of ``design`` under the shared random harness, or None if it did not run cleanly."""
    from rtlgen.sim.base import get_simulator

    if not ports:
        return None
    harness = random_harness(top, ports, vectors=vectors, seed=seed)
    sim = get_simulator("icarus").run({"design.sv": design, "harness.sv": harness}, "rtlgen_harness",
                                      sandbox=sandbox, limits=limits)
    return sim.run_log if sim.ok else None


def verify_cocotb(sandbox, design: str, top: str, test_module: str, test_source: str, chars: int, limits) -> Check:
    """Lint, then the judge's checks and a given cocotb test (``rtlgen.sim.judge.cocotb``); its results decide."""
    from rtlgen.sim.judge import Judge
    from rtlgen.sim.judge.cocotb import judge_cocotb

    lint = _lint(design)
    result, _run = judge_cocotb(Judge(sandbox=sandbox), design, top, test_module, test_source, limits=limits)
    verdict = _CATEGORY_VERDICTS.get(result.category, Verdict.COMPILE_ERROR)
    fraction = 0.0 if result.passed else (result.mismatches / result.samples if result.samples else 1.0)
    return Check(verdict, result.category.value, result.passed, result.compiled, result.reason,
                 _feedback(result, lint, result.reason, {"design.sv": design}, chars),
                 {"lint": lint, "judge": result.to_json()}, fraction)
