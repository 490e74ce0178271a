"""The judge's verdict, and how it is read from a run: only the bench's own, tagged, output counts.

Each print of the hardened bench starts with the secret tag (``rtlgen.sim.judge.harden``); a *segment*
is what follows one tag up to the next tag or newline. The design cannot start a segment, and one
call of the bench prints atomically, so what the design prints can only add text to a segment, never
remove the bench's own words. The rules read segments, the end marker, the exit status and the
sandbox's kill reason (which the design cannot forge: ``rtlgen.sandbox.fused``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from rtlgen.sandbox import JobResult, KilledBy
from rtlgen.sim.classify import FailureCategory as FC
from rtlgen.sim.classify import classify_upstream
from rtlgen.sim.judge.bench import BenchProtocol

_MISMATCHES = re.compile(r"^\s*Mismatches: (\d+) in (\d+) samples\s*$")
_SILENT_FAIL = re.compile(r"\b(FAIL|FAILED|ERROR)\b")
_LINE_FAIL = re.compile(r"\b(fail|fails|failed|failure|failures|error)\b", re.I)
_LINE_PASS = re.compile(r"\bpass(ed)?\b", re.I)
_KILLED = {KilledBy.MEMORY: FC.KILLED_MEMORY, KilledBy.CPU: FC.KILLED_CPU, KilledBy.OUTPUT: FC.KILLED_OUTPUT,
           KilledBy.FILESIZE: FC.KILLED_FILESIZE, KilledBy.TIMEOUT: FC.TIMEOUT}
_LOG_TAIL = 4000


@dataclass(frozen=True)
class JudgeVerdict:
    """How one design was judged against one bench. JSON-serialisable with ``to_json``."""

    passed: bool
    category: FC  # FC.PASS when passed
    reason: str  # one line for people: the rule that decided
    mismatches: int | None = None  # from the bench's tagged verdict only (MISMATCH_COUNT benches)
    samples: int | None = None
    compiled: bool = False
    protocol: str = ""
    tool: str = ""  # simulator and version
    trust: str = "strict"  # "strict" (hardened) or "naive" (the design's own prints count; opt-in only)
    compile_log: str = ""  # tails of the tool output, for feedback to a model (tags removed)
    run_log: str = ""
    wall_s: float = 0.0
    cpu_s: float = 0.0
    cached: bool = False
    merged: bool = False  # the same program (comments and whitespace aside) as another design of the batch: its verdict

    @property
    def fraction_correct(self) -> float | None:
        """1 - M/N from a trusted mismatch count, for partial credit; None without one."""
        if self.mismatches is None or not self.samples:
            return None
        return max(0.0, 1.0 - self.mismatches / self.samples)

    def to_json(self) -> dict:
        return {**asdict(self), "category": self.category.value}


def decided(category: FC, reason: str, **kw) -> JudgeVerdict:
    """A failing verdict reached without simulating (static check, size cap, preprocessing)."""
    return JudgeVerdict(False, category, reason, **kw)


def segments(text: str, tag: str | None) -> list[str]:
    """What the bench said: tagged segments, or (naive trust) every line."""
    if tag is None:
        return text.splitlines()
    parts = text.split(tag)[1:]
    return [p.split("\n", 1)[0] for p in parts]


def _tail(text: str, tag: str | None) -> str:
    text = text[-_LOG_TAIL * 4:]
    if tag:
        text = text.replace(tag, "")
    return text[-_LOG_TAIL:]


def compile_category(log: str) -> FC:
    """The upstream letter for a compile failure (S, e, 0, w, m, c, p, C); never pass, r or R."""
    category = classify_upstream(log, code="")
    return category if category not in (FC.PASS, FC.MISMATCH, FC.RESET_MISMATCH, FC.TIMEOUT) else FC.COMPILE_OTHER


def read_run(result: JobResult, *, n_compile: int, protocol: BenchProtocol, tag: str | None, has_end: bool,
             tool: str, trust: str) -> JudgeVerdict:
    """The verdict of a judge job (``n_compile`` build steps, then the simulation)."""
    steps = result.steps
    comp, run = steps[:n_compile], steps[n_compile:]
    compile_log = "".join(s.stdout + s.stderr for s in comp)
    run_log = "".join(s.stdout + s.stderr for s in run)
    base = dict(protocol=protocol.value, tool=tool, trust=trust, compile_log=_tail(compile_log, tag),
                run_log=_tail(run_log, tag), wall_s=round(result.wall_s, 4), cpu_s=round(result.cpu_s, 4),
                cached=result.cached)
    if any(s.exit_code is None for s in steps):
        return JudgeVerdict(False, FC.TOOL_MISSING, "a tool could not be started", **base)
    killed = result.killed_by
    compiled = len(comp) == n_compile and all(s.ok for s in comp)
    if not compiled:
        if killed is not KilledBy.NONE:
            return JudgeVerdict(False, _KILLED[killed], f"the build was stopped by the {killed.value} limit", **base)
        return JudgeVerdict(False, compile_category(compile_log), "the design did not compile", **base)
    base["compiled"] = True
    if killed is not KilledBy.NONE:
        return JudgeVerdict(False, _KILLED[killed], f"the simulation was stopped by the {killed.value} limit", **base)
    said = segments(run[0].stdout if run else "", tag)
    if any(s.strip() == "TIMEOUT" for s in said):
        return JudgeVerdict(False, FC.TIMEOUT, "the testbench reported TIMEOUT", **base)
    exit_code = run[0].exit_code if run else None
    if exit_code != 0:
        fatal = "FATAL" in run_log
        return JudgeVerdict(False, FC.MISMATCH if fatal else FC.RUNTIME_ERROR,
                            f"the simulation exited with code {exit_code}" + (" ($fatal)" if fatal else ""), **base)
    end = (tag + "END") if tag else None
    if has_end and end is not None and end not in run[0].stdout:
        return JudgeVerdict(False, FC.NO_VERDICT, "the testbench never reached its own $finish", **base)
    said = [s for s in said if not (tag and s == "END")]
    return verdict_from_said(protocol, said, base)


def verdict_from_said(protocol: BenchProtocol, said: list[str], base: dict | None = None) -> JudgeVerdict:
    """The protocol's rule over what the bench said (a run that compiled, ended and exited 0)."""
    base = {"compiled": True, "protocol": protocol.value, **(base or {})}
    if protocol is BenchProtocol.MISMATCH_COUNT:
        counts = [m for s in said if (m := _MISMATCHES.match(s))]
        if len(counts) != 1:
            return JudgeVerdict(False, FC.NO_VERDICT, f"{len(counts)} verdict lines from the testbench (want 1)",
                                **base)
        mism, total = int(counts[0].group(1)), int(counts[0].group(2))
        if total <= 0:
            return JudgeVerdict(False, FC.NO_VERDICT, "the testbench compared no sample", mism, total, **base)
        if mism:
            return JudgeVerdict(False, FC.MISMATCH, f"{mism} mismatches in {total} samples", mism, total, **base)
        return JudgeVerdict(True, FC.PASS, f"0 mismatches in {total} samples", mism, total, **base)
    fail = _LINE_FAIL if protocol is BenchProtocol.PASS_LINE else _SILENT_FAIL
    bad = next((s for s in said if fail.search(s)), None)
    if bad is not None:
        return JudgeVerdict(False, FC.MISMATCH, f"the testbench reported a failure: {bad.strip()[:160]}", **base)
    if protocol is BenchProtocol.PASS_LINE and not any(_LINE_PASS.search(s) for s in said):
        return JudgeVerdict(False, FC.NO_VERDICT, "the testbench never said the design passed", **base)
    return JudgeVerdict(True, FC.PASS, "the testbench reported no failure" if protocol is BenchProtocol.SILENT
                        else "the testbench said the design passed", **base)
