"""Official VerilogEval scoring: the upstream pass rules, bug for bug, on results from the sandbox.

v2 (``Makefile.in`` + ``scripts/sv-iv-analyze``): compile and run are logged to one file (``timeout 30``
appends ``TIMEOUT`` on exit 124); the log is read line by line: the first line with one of the named
strings decides the category; otherwise an unbound wire/reg makes ``p``, any other line containing
``error`` makes ``C``, and only then a line exactly ``Mismatches: 0 in N samples`` makes a pass (a
later non-zero Mismatches line does not undo it: upstream's bug, kept here, defeated in strict mode).
With no verdict, ``posedge reset``-style lines in the sample make ``r``, else ``R``.

v1 (``verilog_eval/execution.py``): ``test + prompt + completion`` in one file; stderr of compile
and run together must be empty, and the first ``Mismatches: X in Y samples`` on stdout must have X = 0.
"""

from __future__ import annotations

import re

from rtlgen.evals.results import Verdict
from rtlgen.sandbox import Job, JobResult, KilledBy, Limits
from rtlgen.sim.classify import FailureCategory as FC
from rtlgen.sim.classify import classify_upstream
from rtlgen.sim.icarus import IcarusSimulator
from rtlgen.sim.verdict import mismatch_counts

RUN_TIMEOUT_S = 30.0  # upstream's `timeout 30`
COMPILE_LIMITS = Limits(wall_s=60.0, cpu_s=60.0)
RUN_LIMITS = Limits(wall_s=RUN_TIMEOUT_S, cpu_s=RUN_TIMEOUT_S + 5)
_V1_MISMATCH = re.compile(r"Mismatches: ([0-9]*) in ([0-9]*) samples")
_KILLED = {KilledBy.MEMORY: "killed_memory", KilledBy.CPU: "killed_cpu", KilledBy.OUTPUT: "killed_output",
           KilledBy.FILESIZE: "killed_filesize"}


# Measured simulation seconds of the slowest HDLBits problems (2-core box, iverilog 11), keyed by the name
# without the ProbNNN_ prefix; only used to start long jobs first so they do not trail the batch.
SLOW_PROBLEMS = {"conwaylife": 5.8, "count_clock": 1.8, "lfsr32": 1.5, "countbcd": 0.5, "rule90": 0.4,
                 "always_nolatches": 0.3, "rule110": 0.3, "mux256to1v": 0.3, "popcount255": 0.2}


def estimated_cost(task_id: str, test: str) -> float:
    """Rough seconds a sample of this problem simulates: the known slow ones, else from the stimulus length."""
    name = re.sub(r"^Prob\d+_", "", task_id)
    if name in SLOW_PROBLEMS:
        return SLOW_PROBLEMS[name]
    return 0.05 + sum(int(n) for n in re.findall(r"repeat\s*\(\s*(\d+)\s*\)", test)) * 5e-6


def icarus_job(files: dict[str, str], top: str) -> Job:
    """Compile ``files`` (in dict order) with VerilogEval's iverilog flags, then run the result with ``vvp -n``."""
    sim = IcarusSimulator(limits=RUN_LIMITS, compile_limits=COMPILE_LIMITS)
    return sim.build_job(files, top)


def split_logs(result: JobResult) -> tuple[str, str, str, str]:
    """(compile stdout, compile stderr, run stdout, run stderr); run parts are empty when it never ran."""
    comp = result.steps[0]
    run = result.steps[1] if len(result.steps) > 1 else None
    return comp.stdout, comp.stderr, (run.stdout if run else ""), (run.stderr if run else "")


def combined_log(result: JobResult) -> str:
    """The one log upstream's Makefile writes: compile output, run output, TIMEOUT on a wall-clock kill."""
    parts = [p if not p or p.endswith("\n") else p + "\n" for p in split_logs(result)]
    log = "".join(parts)
    if len(result.steps) > 1 and result.steps[1].killed_by is KilledBy.TIMEOUT:
        log += "TIMEOUT\n"
    return log


def killed_category(result: JobResult) -> str | None:
    """rtlgen's category for a sandbox kill other than the wall clock (upstream has none for these)."""
    return _KILLED.get(result.killed_by)


def classify_v2_log(log: str, sample_code: str) -> str:
    """sv-iv-analyze's category for one sample: "pass" or an upstream letter (``rtlgen.sim.classify``)."""
    return classify_upstream(log, code=sample_code).value


def verdict_v2(result: JobResult, sample_code: str) -> Verdict:
    """Official v2 verdict for a sample simulated by ``icarus_job`` (sample, test, ref)."""
    killed = killed_category(result)
    log = combined_log(result)
    mism, total = mismatch_counts(log) or (None, None)
    if killed:
        return Verdict(False, killed, mism, total, f"sandbox stopped the run ({result.killed_by.value})")
    category = classify_v2_log(log, sample_code)
    passed = category == FC.PASS.value
    return Verdict(passed, category, mism, total, "sv-iv-analyze rules on the combined log")


def verdict_v1(result: JobResult) -> Verdict:
    """Official v1 verdict (execution.py) for ``iverilog ...; vvp -n`` on the one concatenated file."""
    c_out, c_err, r_out, r_err = split_logs(result)
    out, err = c_out + r_out, c_err + r_err
    if result.killed_by is KilledBy.TIMEOUT:
        return Verdict(False, FC.TIMEOUT.value, detail="timed out")
    killed = killed_category(result)
    if killed:
        return Verdict(False, killed, detail=f"sandbox stopped the run ({result.killed_by.value})")
    m = _V1_MISMATCH.search(out)
    mism, total = (int(m.group(1) or 0), int(m.group(2) or 0)) if m else (None, None)
    if "syntax error" in err:
        return Verdict(False, FC.SYNTAX.value, mism, total, "failed: syntax error.")
    if err:
        return Verdict(False, FC.COMPILE_OTHER.value, mism, total, "failed: compile error.")
    if m is None:
        return Verdict(False, FC.RUNTIME_ERROR.value, detail="failed: info string not matched.")
    if mism == 0:
        return Verdict(True, FC.PASS.value, mism, total, "passed")
    return Verdict(False, FC.MISMATCH.value, mism, total, f"failed: {mism} out of {total} samples.")


def log_tail(result: JobResult, limit: int = 600) -> str:
    log = combined_log(result)
    return log[-limit:]
