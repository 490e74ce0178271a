"""The one judge: untrusted designs against trusted self-checking testbenches, in batches.

    from rtlgen.sim.judge import Bench, Judge
    judge = Judge()
    verdicts = judge.judge_many([(design_text, Bench({"tb.sv": tb, "ref.sv": ref}, top="tb",
                                                    dut_top="TopModule", reference_top="RefModule"))])

Per design, in order, each stage able to decide a failure without the next:
size cap and empty text; `` `include `` refused; the simulator's preprocessor in the sandbox; the
static check (``rtlgen.sim.judge.static``) of the preprocessed text in a bounded worker process;
the bench hardened once per batch with a fresh secret (``rtlgen.sim.judge.harden``); build and
simulate in the sandbox with the secret out of the design's reach (``rtlgen.sim.judge.jobs``); the
verdict read from the bench's tagged output only (``rtlgen.sim.judge.verdict``).

``Trust.NAIVE`` skips the static check and the hardening and reads every line of output, the design's
own prints included: forgeable, for comparing with harnesses that work that way; never the default.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rtlgen.errors import InputError, RtlgenError
from rtlgen.sandbox import (
    Job,
    JobResult,
    KilledBy,
    Sandbox,
    StepResult,
    default_sandbox,
    tool_version,
)
from rtlgen.sandbox.bounded import BoundedCallError, call_bounded, prewarm
from rtlgen.sim.classify import FailureCategory as FC
from rtlgen.sim.judge import static
from rtlgen.sim.judge.bench import Bench, BenchProtocol
from rtlgen.sim.judge.harden import HardenedBench, harden
from rtlgen.sim.judge.jobs import (
    JudgeLimits,
    SimulatorKind,
    preprocess_job,
    preprocess_output,
    preprocessing_is_identity,
    simulation_job,
)
from rtlgen.sim.judge.pipeline import run_pipeline
from rtlgen.sim.judge.verdict import JudgeVerdict, compile_category, decided, read_run

_INCLUDE = re.compile(r"`[ \t]*include\b")
_MODULE = re.compile(r"\b(module|macromodule)\b")


class Trust(enum.StrEnum):
    STRICT = "strict"  # hardened: only the bench's tagged output counts, the design is checked first
    NAIVE = "naive"  # every printed line counts, the design's too: forgeable; opt-in only


@dataclass(frozen=True)
class JudgeConfig:
    simulator: SimulatorKind = SimulatorKind.ICARUS  # the tool that compiles and simulates
    trust: Trust = Trust.STRICT  # see the module docstring; NAIVE only for comparisons with forgeable harnesses
    limits: JudgeLimits = field(default_factory=JudgeLimits)  # sandbox limits of every stage
    max_design_bytes: int = 1_000_000  # a design over this is judged too_large without running anything
    static_timeout_s: float = 20.0  # the static check's worker is killed past this (hostile parse)
    static_memory_mb: int = 2048  # ... or past this much memory
    workers: int | None = None  # concurrent jobs; None: all cores

    def __post_init__(self) -> None:
        object.__setattr__(self, "simulator", SimulatorKind(self.simulator))
        object.__setattr__(self, "trust", Trust(self.trust))
        if not 0 < self.max_design_bytes <= 100_000_000:
            raise InputError(f"max_design_bytes must be between 1 and 100000000, not {self.max_design_bytes!r}")


@dataclass
class _Item:
    design: str
    bench: Bench
    verdict: JudgeVerdict | None = None
    text: str = ""  # the design as compiled (preprocessed, in strict trust)


def prewarm_checks() -> None:
    """Start the static check's worker in the background (see ``bounded.prewarm``): a caller that builds a judge,
    or knows it soon will, takes the worker's start off its first check's path."""
    prewarm(static.__name__)


class Judge:
    """Judges designs; thread-safe; a batch shares one hardening (one secret) per distinct bench."""

    def __init__(self, config: JudgeConfig | None = None, sandbox: Sandbox | None = None) -> None:
        self.config = config or JudgeConfig()
        self.sandbox = sandbox or default_sandbox()
        self._tool = ""
        if self.config.trust is Trust.STRICT:
            prewarm_checks()


    @property
    def tool(self) -> str:
        if not self._tool:
            name = "iverilog" if self.config.simulator is SimulatorKind.ICARUS else "verilator"
            try:
                self._tool = f"{name} {tool_version(name)}".strip()
            except RtlgenError:
                self._tool = name
        return self._tool

    def judge(self, design: str, bench: Bench) -> JudgeVerdict:
        return self.judge_many([(design, bench)])[0]

    def judge_many(self, items: Sequence[tuple[str, Bench]], *, progress: bool | str = False,
                   on_result: Callable[[int, JudgeVerdict], None] | None = None,
                   costs: Sequence[float] | None = None) -> list[JudgeVerdict]:
        """Verdicts in the order of ``items``; ``on_result(index, verdict)`` as each is decided (calling thread).
        ``costs``: estimated simulation seconds per item (a cost model's), to start the longest first and to
        size the batches that share a sandbox start."""
        work = [_Item(d, b) for d, b in items]

        def decide(i: int, verdict: JudgeVerdict) -> None:
            work[i].verdict = verdict
            if on_result:
                on_result(i, verdict)

        for i, item in enumerate(work):
            early = self._screen(item)
            if early is not None:
                decide(i, early)
        run_pipeline(self, work, decide, progress, costs)
        return [item.verdict for item in work]  # type: ignore[misc]

    def screen(self, design: str, dut_top: str) -> JudgeVerdict | str:
        """Every stage before simulation for one design: a failing verdict, or the text to compile."""
        item = _Item(design, Bench({"none.sv": "module none; endmodule"}, top="none", dut_top=dut_top))
        verdict = self._screen(item)
        if verdict is not None or self.config.trust is not Trust.STRICT:
            return verdict or design
        if preprocessing_is_identity(self.config.simulator, design):
            item.text = design
            return self.checked(item, None) or item.text
        res = self.sandbox.run(preprocess_job(self.config.simulator, [design], self.config.limits))
        if not res.steps:
            return decided(FC.TOOL_MISSING, "the preprocessor did not run", **self.base_fields())
        item.text, included = preprocess_output(self.config.simulator, res, 0)
        return self.preprocessed(res.steps[0], included) or self.checked(item, None) or item.text

    # -- stages -------------------------------------------------------------------------------
    def base_fields(self) -> dict:
        """Fields every verdict of this judge carries (tool, trust)."""
        return {"tool": self.tool, "trust": self.config.trust.value}

    def _screen(self, item: _Item) -> JudgeVerdict | None:
        size = len(item.design.encode("utf-8", "replace"))
        if size > self.config.max_design_bytes:
            return decided(FC.TOO_LARGE, f"the design is {size} bytes, over the judge's cap of "
                           f"{self.config.max_design_bytes}", **self.base_fields())
        if not _MODULE.search(item.design):
            return decided(FC.EMPTY_CODE, "no module in the design", **self.base_fields())
        if self.config.trust is Trust.STRICT and _INCLUDE.search(item.design):
            return decided(FC.FORBIDDEN, "`include is not allowed in the design: put the text in the design itself",
                           **self.base_fields())
        return None

    def preprocessed(self, res: StepResult, included: list[str] | None = None) -> JudgeVerdict | None:
        """The verdict a preprocessing step decides (None: go on); ``included``: files it read besides the design."""
        if included:
            return decided(FC.FORBIDDEN, f"the design includes another file ({included[0][:80]}), through a macro "
                           "or a directive: put the text in the design itself", **self.base_fields())
        if res.killed_by is KilledBy.OUTPUT:
            return decided(FC.FORBIDDEN, "preprocessing the design produced more text than the cap (a macro bomb?)",
                           **self.base_fields())
        if res.killed_by is not KilledBy.NONE:
            return decided(FC.FORBIDDEN, f"preprocessing the design was stopped by the {res.killed_by.value} limit",
                           **self.base_fields())
        if res.exit_code != 0:
            log = (res.stdout + res.stderr)[-4000:]
            return decided(compile_category(log), "the design's preprocessor directives failed",
                           compile_log=log, **self.base_fields())
        return None

    def checked(self, item: _Item, ref_ports: tuple | None) -> JudgeVerdict | None:
        """The static check's verdict on ``item.text`` (None: go on and simulate)."""
        return self._static_verdict(self._static(item.text, item.bench.dut_top), ref_ports)

    def check_many(self, texts: list[tuple[str, Bench]], known: dict[Bench, tuple | None]
                   ) -> tuple[list[JudgeVerdict | None], dict[Bench, tuple | None]]:
        """(``checked`` of each (preprocessed text, bench), the reference ports this call computed): one bounded
        worker call for the lot, the ports of every bench not in ``known`` included. Should that call fail (a
        hostile text that runs past the time or memory bound, or crashes slang), each text and reference is
        checked again on its own, under the same bounds, so that only the text at fault is refused."""
        benches = list(dict.fromkeys(b for _, b in texts if b.reference_top is not None and b not in known))
        refs = [(b.port_reference or "\n".join(b.files.values()), b.reference_top) for b in benches]
        try:
            reports, ports = call_bounded(static.check_batch, [(t, b.dut_top) for t, b in texts], refs,
                                          timeout_s=self.config.static_timeout_s,
                                          memory_mb=self.config.static_memory_mb)
            new = dict(zip(benches, ports, strict=True))
        except BoundedCallError:
            new = self.reference_ports(set(benches))
            reports = [self._static(t, b.dut_top) for t, b in texts]
        ports_of = {**known, **new}
        return [self._static_verdict(r, ports_of.get(b)) for r, (_t, b) in zip(reports, texts, strict=True)], new

    def _static_verdict(self, report, ref_ports: tuple | None) -> JudgeVerdict | None:
        if isinstance(report, JudgeVerdict):
            return report
        problems = list(report.forbidden) + static.port_problems(report.ports, ref_ports)
        if problems:
            return decided(FC.FORBIDDEN, "; ".join(problems)[:400], **self.base_fields())
        if report.syntax_errors:
            return decided(FC.SYNTAX, "slang: " + ", ".join(report.syntax_errors[:5]), **self.base_fields())
        return None

    def _static(self, text: str, top: str):
        try:
            return call_bounded(static.check_design, text, top,
                                timeout_s=self.config.static_timeout_s, memory_mb=self.config.static_memory_mb)
        except BoundedCallError as exc:
            return decided(FC.FORBIDDEN, f"the static check could not finish ({exc.kind.value}): {exc}",
                           **self.base_fields())

    def reference_ports(self, benches: set[Bench]) -> dict[Bench, tuple | None]:
        out: dict[Bench, tuple | None] = {}
        for bench in benches:
            if bench.reference_top is None:
                continue
            try:
                out[bench] = call_bounded(static.reference_ports,
                                          bench.port_reference or "\n".join(bench.files.values()),
                                          bench.reference_top, timeout_s=self.config.static_timeout_s,
                                          memory_mb=self.config.static_memory_mb)
            except (BoundedCallError, RuntimeError):
                out[bench] = None
        return out

    def sim_job(self, item: _Item, hardened: HardenedBench | None) -> tuple[Job, int]:
        """The simulation job of one item (hardened bench in strict trust, the bench as given in naive)."""
        files = hardened.files if hardened else {f"bench_{n}": t for n, t in item.bench.files.items()}
        top = hardened.top if hardened else item.bench.top
        return simulation_job(self.config.simulator, files, top, item.text, self.config.limits,
                              private=hardened is not None, data_files=dict(item.bench.data_files),
                              timescale=item.bench.timescale)

    def verdict_of(self, res: JobResult, n_compile: int, item: _Item, hardened: HardenedBench | None) -> JudgeVerdict:
        protocol = hardened.protocol if hardened else item.bench.resolved_protocol()
        return read_run(res, n_compile=n_compile, protocol=protocol, tag=hardened.tag if hardened else None,
                        has_end=bool(hardened and hardened.has_end), tool=self.tool, trust=self.config.trust.value)

    def hardened_bench(self, bench: Bench) -> HardenedBench | JudgeVerdict:
        try:
            return harden(bench)
        except InputError as exc:
            return decided(FC.NO_VERDICT, f"the testbench cannot be judged: {exc}", **self.base_fields())


__all__ = ["BenchProtocol", "Judge", "JudgeConfig", "Trust"]
