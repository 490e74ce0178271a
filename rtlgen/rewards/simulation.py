"""Simulation reward: does generated RTL pass the row's testbench? For RL with TRL (GRPO and friends).

    reward = SimulationReward(testbench_column="testbench", reference_column="reference")
    reward(prompts, completions, testbench=[tb, ...], reference=[ref, ...])  # -> [1.0 | shaped | 0.0 | None]
    SimulationReward.from_config(load_config(SimulationConfig, "sim.yaml"))

Each completion is cut down to Verilog with ``rtlgen.rewards.completions.completion_code`` and judged
by the one judge (``rtlgen.sim.judge``) against the row's testbench (and reference module, for
VerilogEval-style rows whose testbench instantiates ``RefModule``), all rows of a call as one batch
(``Judge.judge_many``): designs that are the same program for one bench simulate once, and their
verdicts say ``merged``. The design cannot print, stop, reach or instantiate its way to a pass: that
is the judge's guarantee, and what makes the reward safe to optimise.

Values: ``pass_value`` on a pass; with ``shaped``, a failing run whose bench reported a *tagged*
``Mismatches: M in N samples`` earns ``shaped_max * (1 - M/N)`` (only under strict trust: a naive
verdict's count may be the design's own print, so it earns no partial credit); ``failure_value`` for
no code, forbidden constructs, compile errors, crashes, sandbox kills and designs that print
(``rtlgen.rewards.screen``: a forging attempt earns the failure value, not partial credit); ``None``
for a row without a testbench (TRL then ignores this reward for that row). ``last_categories`` and
``last_verdicts`` hold each row's judge category and verdict of the last call.

``trust="naive"`` reads every printed line, the design's own included (a design that prints
``Mismatches: 0 in 16 samples`` passes): only for reproducing harnesses that score that way, never for
training.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rtlgen.config import help_
from rtlgen.errors import InputError
from rtlgen.rewards.base import Reward, RowResult, unscored
from rtlgen.rewards.completions import completion_code
from rtlgen.rewards.screen import JudgeSettings, Screen, build_judge, printing, uses_macros
from rtlgen.sim.judge import Bench, Judge, JudgeVerdict, Trust


@dataclass(frozen=True)
class SimulationConfig:
    testbench_column: str = field(default="testbench", metadata=help_("column with the self-checking testbench"))
    reference_column: str | None = field(default="reference", metadata=help_(
        "column with a reference module the testbench instantiates (RefModule); null: none"))
    top_column: str | None = field(default="top", metadata=help_("column naming the module to define; null: top"))
    top: str = field(default="TopModule", metadata=help_("module the completion must define, without top_column"))
    tb_top: str = field(default="tb", metadata=help_("top-level module of the testbench"))
    reference_top: str = field(default="RefModule", metadata=help_("module name of the reference"))
    pass_value: float = field(default=1.0, metadata=help_("reward for a passing design"))
    shaped: bool = field(default=True, metadata=help_("partial credit from the bench's tagged mismatch count"))
    shaped_max: float = field(default=0.5, metadata=help_("best partial credit; below pass_value so passing wins"))
    failure_value: float = field(default=0.0, metadata=help_("no code, forbidden, compile error, crash, prints"))
    forbid_prints: bool = field(default=True, metadata=help_(
        "a design with $display & co earns failure_value: synthesisable RTL prints nothing, and a policy must not "
        "learn to print verdicts even where the judge ignores them"))
    judge: JudgeSettings = field(default_factory=JudgeSettings, metadata=help_("sandbox and judge settings"))


class SimulationReward(Reward):
    """Picklable TRL reward; the sandbox and judge are created lazily in each process."""

    __name__ = "simulation"  # TRL names reward columns after this

    def __init__(self, testbench_column: str = "testbench", reference_column: str | None = "reference", *,
                 top: str = "TopModule", tb_top: str = "tb", reference_top: str = "RefModule",
                 pass_value: float = 1.0, shaped: bool = True, shaped_max: float = 0.5, failure_value: float = 0.0,
                 timeout_s: float = 30.0, cache_dir: str | None = None, workers: int | None = None,
                 unsafe: bool = False, trust: str | Trust = Trust.STRICT, top_column: str | None = "top",
                 forbid_prints: bool = True) -> None:
        super().__init__()
        self.testbench_column = testbench_column  # dataset column with the self-checking testbench
        self.reference_column = reference_column  # optional column with a reference module the tb instantiates
        self.top_column = top_column  # optional column naming the module to define (the datasets' RL export)
        self.top = top  # module name the completion must define, when the row does not say
        self.tb_top = tb_top  # top-level module of the testbench
        self.reference_top = reference_top  # module name of the reference, when a row has one
        self.pass_value = pass_value  # reward for a passing design
        self.shaped = shaped  # partial credit from the bench's own (tagged) mismatch fraction
        self.shaped_max = shaped_max  # best partial credit, kept below pass_value so passing always wins
        self.failure_value = failure_value  # no code, forbidden, compile error, crash, sandbox kill, prints
        self.forbid_prints = forbid_prints  # see rtlgen.rewards.screen
        self.unsafe = unsafe  # run without bwrap (trusted code only)
        self.settings = JudgeSettings(timeout_s=timeout_s, workers=workers, cache_dir=cache_dir, unsafe=unsafe,
                                      trust=trust)
        self.trust = self.settings.trust  # STRICT (the default) or NAIVE (forgeable; see the module docstring)
        self.last_categories: list[str | None] = []
        self.last_verdicts: list[JudgeVerdict | None] = []
        self._judge: Judge | None = None

    @classmethod
    def from_config(cls, config: SimulationConfig) -> SimulationReward:
        s = config.judge
        return cls(config.testbench_column, config.reference_column, top=config.top, tb_top=config.tb_top,
                   reference_top=config.reference_top, pass_value=config.pass_value, shaped=config.shaped,
                   shaped_max=config.shaped_max, failure_value=config.failure_value, timeout_s=s.timeout_s,
                   cache_dir=s.cache_dir, workers=s.workers, unsafe=s.unsafe, trust=s.trust,
                   top_column=config.top_column, forbid_prints=config.forbid_prints)

    def _transient(self) -> tuple[str, ...]:
        return ("_judge",)

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "last_categories": [], "last_verdicts": []}

    def required_columns(self) -> tuple[str, ...]:
        return (self.testbench_column,)

    def tools(self) -> tuple[str, ...]:
        return ("iverilog", "vvp")

    def judge(self) -> Judge:
        if self._judge is None:
            self._judge = build_judge(self.settings)
        return self._judge

    def score(self, verdict: JudgeVerdict) -> float:
        """Pass, partial credit from a trusted (tagged) mismatch count, or failure."""
        if verdict.passed:
            return self.pass_value
        fraction = verdict.fraction_correct
        if self.shaped and fraction is not None and verdict.trust == Trust.STRICT.value:
            return self.shaped_max * fraction
        return self.failure_value

    def row_top(self, row: Mapping[str, Any]) -> str:
        named = row.get(self.top_column) if self.top_column else None
        return named if isinstance(named, str) and named else self.top

    def _prints(self, code: str, top: str) -> RowResult | None:
        if not self.forbid_prints:
            return None
        found = printing(code)
        if found is None and uses_macros(code):  # the text compiled may differ: screen what the simulator reads
            found = Screen(self.judge()).one(code, top)
            found = None if found.ok else found
        return RowResult(self.failure_value, found.category, found.reason) if found else None

    def score_rows(self, completions: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        results: list[RowResult | None] = [None] * len(completions)
        verdicts: list[JudgeVerdict | None] = [None] * len(completions)
        items, where = [], []
        for i, (completion, row) in enumerate(zip(completions, rows, strict=True)):
            bench = row.get(self.testbench_column)
            if not bench or not isinstance(bench, str):
                results[i] = unscored(f"no testbench in column {self.testbench_column!r}", "no_testbench")
                continue
            top = self.row_top(row)
            extraction = completion_code(completion, top)
            if extraction.empty or extraction.truncated:
                what = "empty" if extraction.empty else "truncated"
                results[i] = RowResult(self.failure_value, what, extraction.reason or f"{what} code")
                continue
            results[i] = self._prints(extraction.code, top)
            if results[i] is not None:
                continue
            files = {"tb.sv": bench}
            ref = row.get(self.reference_column) if self.reference_column else None
            if ref:
                files["ref.sv"] = ref
            try:  # a bad row (a reference that is no text, a top that is no name) is that row's, not the batch's
                items.append((extraction.code, Bench(files, top=self.tb_top, dut_top=top,
                                                     reference_top=self.reference_top if ref else None)))
            except InputError as exc:
                results[i] = unscored(f"bad row: {exc}", "bad_row")
                continue
            where.append(i)
        for i, verdict in zip(where, self.judge().judge_many(items) if items else [], strict=True):
            verdicts[i] = verdict
            results[i] = RowResult(self.score(verdict), verdict.category.value, verdict.reason)
        self.last_verdicts = verdicts
        self.last_categories = [None if r is None or r.value is None and r.category == "no_testbench"
                                else r.category for r in results]
        return results  # type: ignore[return-value]
