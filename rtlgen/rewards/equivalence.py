"""Equivalence reward: is generated RTL functionally equivalent to the row's reference? (Yosys SAT, bounded)

    reward = EquivalenceReward(EquivalenceConfig(unknown_value=0.0))
    reward(prompts, completions, reference=[ref, ...], top=["TopModule", ...])   # -> [1.0 | 0.0 | None]

The check is ``rtlgen.synth.equivalence`` (screened text, explicit tops, ports matched by name, a
miter proven by ``sat``; temporal induction for flops): the reference is elaborated once per distinct
text (its own top, or ``reference_top``), the candidate with the row's ``top``. Every Yosys job and the
SAT proof are bounded by ``timeout_s``. EQUIVALENT earns ``equivalent_value``, NOT_EQUIVALENT and a
candidate's ERROR (refused, does not elaborate, several drivers) ``not_equivalent_value``, UNKNOWN (a
timeout, an induction that did not close, latches) ``unknown_value``, which must stay below
``equivalent_value``: an unproven design is never a pass. A row without a reference, or whose
reference is broken, is ``None`` with the reason logged. Candidates first pass the screen
(``rtlgen.rewards.screen``), so a forging design earns ``not_equivalent_value``.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from rtlgen.config import help_
from rtlgen.errors import InputError, RtlgenError
from rtlgen.rewards.base import Reward, RowResult, config_of, unscored
from rtlgen.rewards.completions import completion_code
from rtlgen.rewards.screen import JudgeSettings, Screen, build_judge, printing
from rtlgen.sandbox import Limits, Sandbox, default_sandbox
from rtlgen.sim.judge import Judge
from rtlgen.synth.equivalence import Elaboration, EquivResult, EquivStatus, Side, compare, elaborate


class EquivCategory(enum.StrEnum):
    NO_CODE = "no_code"
    NO_REFERENCE = "no_reference"
    BAD_REFERENCE = "bad_reference"


@dataclass(frozen=True)
class EquivalenceConfig:
    reference_column: str = field(default="reference", metadata=help_("column with the reference Verilog"))
    top_column: str | None = field(default="top", metadata=help_("column naming the candidate's module"))
    top: str = field(default="TopModule", metadata=help_("candidate module when the row does not name one"))
    reference_top: str | None = field(default=None, metadata=help_("reference module; null: Yosys's auto-top"))
    equivalent_value: float = field(default=1.0, metadata=help_("reward for a proven-equivalent design"))
    not_equivalent_value: float = field(default=0.0, metadata=help_("not equivalent, or the candidate fails"))
    unknown_value: float = field(default=0.0, metadata=help_(
        "timeout, open induction, latches: must be below equivalent_value (never a pass)"))
    timeout_s: float = field(default=30.0, metadata=help_("wall clock of each Yosys job; SAT gets half"))
    max_induction: int = field(default=8, metadata=help_("temporal induction depth for sequential designs"))
    workers: int = field(default=2, metadata=help_("rows checked at once"))
    screen: bool = field(default=True, metadata=help_("judge's screen and no-prints rule first"))
    judge: JudgeSettings = field(default_factory=JudgeSettings, metadata=help_("sandbox settings"))

    def __post_init__(self) -> None:
        if self.unknown_value >= self.equivalent_value:
            raise InputError(f"unknown_value must be below equivalent_value ({self.equivalent_value}), "
                             f"not {self.unknown_value!r}: an unproven design is never a pass")
        if self.timeout_s <= 0 or self.max_induction < 1 or self.workers < 1:
            raise InputError("timeout_s must be positive and max_induction, workers at least 1")


class EquivalenceReward(Reward):
    """Picklable TRL reward; sandbox, judge and reference elaborations are per process."""

    __name__ = "equivalence"

    def __init__(self, config: EquivalenceConfig | Mapping[str, Any] | None = None, **options: Any) -> None:
        super().__init__()
        self.config = config_of(EquivalenceConfig, config, options)
        self.unsafe = self.config.judge.unsafe
        self.last_equivalence: list[EquivResult | None] = []
        self._judge: Judge | None = None
        self._box: Sandbox | None = None
        self._refs: dict[str, Elaboration] | None = None

    def _transient(self) -> tuple[str, ...]:
        return ("_judge", "_box", "_refs")

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "last_equivalence": []}

    def required_columns(self) -> tuple[str, ...]:
        return (self.config.reference_column,)

    def tools(self) -> tuple[str, ...]:
        return ("yosys", "iverilog") if self.config.screen else ("yosys",)

    def _sandbox(self) -> Sandbox:
        if self._box is None:
            self._box = default_sandbox(self.config.judge.cache_dir, unsafe=self.unsafe)
        return self._box

    def _limits(self) -> Limits:
        t = self.config.timeout_s
        return Limits(wall_s=t, cpu_s=t * 2, memory_mb=4096, output_bytes=2_000_000, file_size_mb=64)

    def _reference(self, text: str) -> Elaboration:
        refs = self._refs if self._refs is not None else {}
        self._refs = refs
        key = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
        if key not in refs:
            refs[key] = elaborate(text, top=self.config.reference_top, sandbox=self._sandbox(), limits=self._limits(),
                                  with_aig=False)
        return refs[key]

    def value(self, result: EquivResult) -> float:
        cfg = self.config
        if result.status is EquivStatus.EQUIVALENT:
            return cfg.equivalent_value
        return cfg.unknown_value if result.status is EquivStatus.UNKNOWN else cfg.not_equivalent_value

    def check(self, code: str, top: str, reference: str) -> tuple[RowResult, EquivResult | None]:
        """One candidate against one reference (the reference is elaborated once per process)."""
        ref = self._reference(reference)
        if not ref.ok:
            return unscored(f"reference {ref.status.value}: {ref.reason}", EquivCategory.BAD_REFERENCE.value), None
        cand = elaborate(code, top=top, sandbox=self._sandbox(), limits=self._limits(), with_aig=False)
        result = compare(ref, cand, sandbox=self._sandbox(), limits=self._limits(),
                         max_induction=self.config.max_induction,
                         sat_timeout_s=max(1, int(self.config.timeout_s // 2)))
        if result.status is EquivStatus.ERROR and result.side is Side.REFERENCE:
            return unscored(result.reason, EquivCategory.BAD_REFERENCE.value), result
        return RowResult(self.value(result), result.status.value, result.reason), result

    def _safe_check(self, code: str, top: str, reference: str) -> tuple[RowResult, EquivResult | None]:
        try:
            return self.check(code, top, reference)
        except RtlgenError as exc:  # a bad top name, a tool gone: this row, not the batch
            return unscored(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, "error"), None

    def score_rows(self, completions: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        cfg, fail = self.config, self.config.not_equivalent_value
        results: list[RowResult | None] = [None] * len(completions)
        todo: list[tuple[int, str, str, str]] = []
        for i, (completion, row) in enumerate(zip(completions, rows, strict=True)):
            ref = row.get(cfg.reference_column)
            top = row.get(cfg.top_column) if cfg.top_column else None
            top = top if isinstance(top, str) and top else cfg.top
            extraction = completion_code(completion, top)
            if not ref or not isinstance(ref, str):
                results[i] = unscored(f"no reference in column {cfg.reference_column!r}",
                                      EquivCategory.NO_REFERENCE.value)
            elif extraction.empty or extraction.truncated:
                results[i] = RowResult(fail, EquivCategory.NO_CODE.value, "no complete module")
            elif (found := printing(extraction.code)) is not None:
                results[i] = RowResult(fail, found.category, found.reason)
            else:
                todo.append((i, extraction.code, top, ref))
        if cfg.screen and todo:
            if self._judge is None:
                self._judge = build_judge(cfg.judge)
            screened = Screen(self._judge).many([(code, top) for _, code, top, _ in todo])
            for (i, *_), found in zip(todo, screened, strict=True):
                if not found.ok:
                    results[i] = RowResult(fail, found.category, found.reason)
            todo = [t for t, found in zip(todo, screened, strict=True) if found.ok]
        for ref in dict.fromkeys(t[3] for t in todo):  # each reference once, before the rows share it
            self._reference(ref)
        equivalence: list[EquivResult | None] = [None] * len(completions)
        with ThreadPoolExecutor(max_workers=cfg.workers) as pool:
            done = list(pool.map(lambda t: self._safe_check(t[1], t[2], t[3]), todo))
        for (i, *_), (row_result, eq) in zip(todo, done, strict=True):
            results[i], equivalence[i] = row_result, eq
        self.last_equivalence = equivalence
        return results  # type: ignore[return-value]


__all__ = ["EquivCategory", "EquivalenceConfig", "EquivalenceReward"]
