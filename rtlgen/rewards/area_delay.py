"""Area-delay reward: ADP of generated RTL relative to a reference design under the same flow.

    reward = AreaDelayReward(reference_column="reference")      # picklable; sessions open lazily
    reward(prompts, completions, reference=[ref_verilog, ...])  # -> [ref_adp / cand_adp | failure | None]
    reward.last_details                                         # per row: value, reason, equivalence verdict

Reference and candidate are elaborated by ``rtlgen.synth.equivalence`` (screened text, explicit top:
``top`` or the reference's own), and the AIG of that same checked netlist goes through the same recipe
(resyn2 by default) and ``map; topo; stime`` with the same liberty. A row where either side holds
state (flip-flops, latches) is scored with ``rtlgen.synth.ppa`` instead, both sides alike: registers
mapped to liberty cells, the logic between them through the same recipe and mapping, ADP = total
area x the longest logic path. A row never mixes the flows: without registers they agree exactly on
77 of the 82 combinational VerilogEval references whose AIG both reach, and differ by up to 48% in
area on the other five (the elaborations differ: ROMs, ``proc -noopt``). A reference whose AIG flow
fails is scored with its PPA rather than not at all. A value above 1 means the candidate is
smaller/faster than the reference. With ``require_equivalence`` (the default) only an EQUIVALENT
verdict is scored: NOT_EQUIVALENT, UNKNOWN (a timeout, an induction that did not close, latches) and a
candidate's ERROR all give ``failure_value`` (default 0.0, below every valid reward), as does a
candidate that does not synthesise. ``None`` means the row cannot be scored (no reference,
or a reference that is refused or broken); the reason is logged. A row never raises.

Functional gate: a row that carries a testbench (``testbench_column``, e.g. the datasets' RL export) is
first judged by the one judge through ``SimulationReward`` (same columns, strict); a candidate that does
not pass its testbench gets ``failure_value`` without synthesis: no area-delay credit for a wrong design;
one the judge could not run (the sandbox vanished) is ``None``. ``score_rows`` gives the shared
``RowResult`` (category: the equivalence status, or unscored/unchecked) for ``rtlgen.rewards.combined``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtlgen.errors import RtlgenError
from rtlgen.rewards.base import Reward, RowResult
from rtlgen.rewards.completions import completion_code, completion_text
from rtlgen.sandbox import Limits
from rtlgen.synth.equivalence import Elaboration, EquivResult, EquivStatus, Side, compare, elaborate
from rtlgen.synth.frontend import design_from_bytes
from rtlgen.synth.ppa import PPA, ppa_of
from rtlgen.synth.qor import QoR
from rtlgen.synth.recipes import parse_recipe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowScore:
    """One row's reward and why; ``equivalence`` is None when no check ran."""

    value: float | None
    reason: str
    equivalence: EquivResult | None = None

    @property
    def status(self) -> str:
        """The equivalence status, or 'unscored'/'unchecked' when there is none (for counting)."""
        if self.equivalence is not None:
            return self.equivalence.status.value
        return "unscored" if self.value is None else "unchecked"

    def to_json(self) -> dict:
        return {"value": self.value, "reason": self.reason, "status": self.status,
                "equivalence": self.equivalence.to_json() if self.equivalence else None}


@dataclass(frozen=True)
class _Reference:
    elab: Elaboration
    qor: QoR | None  # None when the reference's PPA is used instead (it has state, or the AIG flow failed)
    problem: str  # why the reference cannot be used; "" when it can
    text: str = ""  # the reference Verilog, for its PPA when a row needs it


def _stateful(elab: Elaboration) -> bool:
    return bool(elab.flops or elab.unsupported_state)


class AreaDelayReward(Reward):
    """Picklable TRL reward; one warm ABC session per process, opened on first use."""

    __name__ = "area_delay"  # TRL names reward columns after this

    def __init__(self, reference_column: str = "reference", *, liberty: str | None = None, recipe: str = "resyn2",
                 top: str | None = None, require_equivalence: bool = True, failure_value: float = 0.0,
                 timeout_s: float = 60.0, max_induction: int = 8, unsafe: bool = False,
                 testbench_column: str | None = "testbench", tb_top: str = "tb",
                 sim_reference_column: str | None = None, top_column: str | None = None) -> None:
        super().__init__()
        self.reference_column = reference_column  # dataset column holding the reference Verilog
        self.liberty = liberty  # None: shipped sky130hd typical
        self.recipe = parse_recipe(recipe)  # same flow for candidate and reference
        self.top = top  # None: the reference's top as Yosys finds it; the candidate must define it
        self.top_column = top_column  # a column naming the candidate's module (RL export: reference is RefModule)
        self.require_equivalence = require_equivalence  # only an EQUIVALENT verdict is scored
        self.failure_value = failure_value  # reward when synthesis fails or equivalence is not proven
        self.timeout_s = timeout_s  # per Yosys job and per ABC request; the SAT proof gets half
        self.max_induction = max_induction  # temporal induction depth for sequential designs
        self.unsafe = unsafe  # run tools without bwrap (trusted code only)
        self.testbench_column = testbench_column  # rows with a testbench must pass it first (None: no gate)
        self.tb_top = tb_top  # the testbench's top module
        self.sim_reference_column = sim_reference_column  # a module the testbench instantiates (e.g. RefModule)
        self.last_details: list[dict] = []  # RowScore.to_json() of the last call, one per row
        self._gate = None
        self._box = None
        self._session = None
        self._refs: dict[str, _Reference] = {}
        self._ref_ppa: dict[str, PPA] = {}

    def required_columns(self) -> tuple[str, ...]:
        return (self.reference_column,)

    def tools(self) -> tuple[str, ...]:
        return ("yosys", "yosys-abc")

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state["_session"] = None  # a live process does not travel
        state["_gate"] = None
        state["_box"] = None
        state["_refs"] = {}
        state["_ref_ppa"] = {}
        state["last_details"] = []
        return state

    def _abc(self):
        if self._session is None:
            from rtlgen.synth.abc_session import AbcSession

            self._session = AbcSession(self.liberty, sandbox=self._sandbox(), request_timeout_s=self.timeout_s)
        return self._session

    def _sandbox(self):
        if self._box is None:
            from rtlgen.sandbox import default_sandbox

            self._box = default_sandbox(unsafe=self.unsafe)
        return self._box

    def _limits(self) -> Limits:
        return Limits(wall_s=self.timeout_s, cpu_s=self.timeout_s * 2, memory_mb=4096, output_bytes=2_000_000)

    def _elaborate(self, text: str, top: str | None) -> Elaboration:
        return elaborate(text, top=top, sandbox=self._sandbox(), limits=self._limits())

    def _qor(self, elab: Elaboration, name: str) -> QoR:
        if not elab.aig:
            raise RtlgenError(f"{name}: no AIG was written for the elaborated netlist")
        design = design_from_bytes(Path(f"{name}.aig"), elab.aig)
        return self._abc().evaluate(design, self.recipe)

    def _ppa(self, text: str, top: str) -> PPA:
        return ppa_of(text, top=top, liberty=self.liberty, recipe=self.recipe,
                      sandbox=self._sandbox(), timeout_s=self.timeout_s)

    def _reference(self, text: str) -> _Reference:
        key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        if key not in self._refs:
            elab = self._elaborate(text, self.top)
            ref = _Reference(elab, None, f"reference {elab.status.value}: {elab.reason}" if not elab.ok else "", text)
            qor = None
            if elab.ok and not _stateful(elab):
                try:
                    qor = self._qor(elab, "reference")
                    ref = _Reference(elab, qor, "" if qor.adp > 0 else "reference has zero area-delay product", text)
                except RtlgenError as exc:  # the PPA flow gives the same figures where this works; try it
                    log.info("area_delay: reference QoR failed (%s); using its PPA", exc)
            if elab.ok and qor is None:
                ppa = self._reference_ppa(ref)
                ref = _Reference(elab, None, "" if ppa.ok and ppa.adp > 0 else _ppa_problem("reference", ppa), text)
            self._refs[key] = ref
        return self._refs[key]

    def _reference_ppa(self, ref: _Reference) -> PPA:
        key = hashlib.sha256(ref.text.encode("utf-8", "surrogatepass")).hexdigest()
        if key not in self._ref_ppa:
            self._ref_ppa[key] = self._ppa(ref.text, ref.elab.top)
        return self._ref_ppa[key]

    def _score_ppa(self, ref: _Reference, candidate: str, verdict: EquivResult | None,
                   cand_top: str | None = None) -> RowScore:
        """A row with state: both sides through the PPA flow (the reference's PPA is cached)."""
        ref_ppa = self._reference_ppa(ref)
        if not ref_ppa.ok or ref_ppa.adp <= 0:
            return RowScore(None, _ppa_problem("reference", ref_ppa), verdict)
        cand = self._ppa(candidate, cand_top or ref.elab.top)
        if not cand.ok or cand.adp <= 0:
            return RowScore(self.failure_value, _ppa_problem("candidate", cand), verdict)
        return RowScore(ref_ppa.adp / cand.adp, "scored (sequential PPA)", verdict)

    def score_row(self, candidate: str, reference: str | None, cand_top: str | None = None) -> RowScore:
        """The reward of one candidate (Verilog text) against one reference, with its reason; the candidate's
        module is ``cand_top`` (the row's ``top``) or else the reference's own top."""
        if not reference:
            return RowScore(None, "no reference")
        ref = self._reference(reference)
        if ref.problem:
            return RowScore(None, ref.problem)
        cand = self._elaborate(candidate, cand_top or ref.elab.top)
        verdict = None
        if self.require_equivalence:
            verdict = compare(ref.elab, cand, sandbox=self._sandbox(), limits=self._limits(),
                              max_induction=self.max_induction, sat_timeout_s=max(1, int(self.timeout_s // 2)))
            if verdict.status is not EquivStatus.EQUIVALENT:
                if verdict.side is Side.REFERENCE:
                    return RowScore(None, verdict.reason, verdict)
                return RowScore(self.failure_value, verdict.reason, verdict)
        elif not cand.ok:
            return RowScore(self.failure_value, f"candidate {cand.status.value}: {cand.reason}")
        if ref.qor is None or _stateful(cand):
            return self._score_ppa(ref, candidate, verdict, cand_top)
        try:
            qor = self._qor(cand, "candidate")
        except RtlgenError as exc:
            return RowScore(self.failure_value, f"candidate QoR failed: {exc}", verdict)
        if qor.adp <= 0:
            return RowScore(self.failure_value, "candidate has zero area-delay product", verdict)
        return RowScore(ref.qor.adp / qor.adp, "scored", verdict)

    def score(self, candidate: str, reference: str) -> float | None:
        """ref ADP / candidate ADP, ``failure_value``, or None when the reference cannot be used."""
        return self.score_row(candidate, reference).value

    def _functional(self, completions: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> list[str | None]:
        """Per row: None when it may be scored, else why not (it fails its testbench, or was not judged)."""
        if not self.testbench_column or not any(r.get(self.testbench_column) for r in rows):
            return [None] * len(completions)
        if self._gate is None:
            from rtlgen.rewards.simulation import SimulationReward

            self._gate = SimulationReward(self.testbench_column, self.sim_reference_column, top=self.top or "TopModule",
                                          tb_top=self.tb_top, shaped=False, unsafe=self.unsafe)
        judged = self._gate.results(completions, rows)  # never raises: a failed batch is None rows
        return [None if not row.get(self.testbench_column) or r.value == self._gate.pass_value
                else f"fails its testbench ({r.category})" if r.value is not None
                else f"not judged: {r.reason}" for r, row in zip(judged, rows, strict=True)]

    def score_rows(self, completions: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        gate = self._functional(completions, rows)
        scores: list[RowScore] = []
        for completion, row, failed in zip(completions, rows, gate, strict=True):
            ref = row.get(self.reference_column)
            if failed and ref:
                value = None if failed.startswith("not judged") else self.failure_value
                scores.append(RowScore(value, failed))
            else:
                named = row.get(self.top_column) if self.top_column else None
                scores.append(self._safe_row(completion, ref if isinstance(ref, str) else None,
                                             named if isinstance(named, str) and named else None))
        self.last_details = [r.to_json() for r in scores]
        return [RowResult(r.value, r.status, r.reason) for r in scores]

    def _safe_row(self, completion, reference: str | None, cand_top: str | None = None) -> RowScore:
        try:
            top = cand_top or self.top or (self._reference(reference).elab.top if reference else "") or "TopModule"
            code = completion_code(completion, top).code or completion_text(completion)
            row = self.score_row(code, reference, cand_top)
        except RtlgenError as exc:  # a tool or the sandbox missing, a bad top: the row, not the trainer
            log.warning("area_delay: row not scored: %s", exc)
            return RowScore(None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        except Exception as exc:  # a reward worker must never take down the trainer
            log.exception("area_delay: row could not be scored")
            return RowScore(None, f"internal error: {type(exc).__name__}: {exc}")
        if row.value is None and reference:
            log.warning("area_delay: row not scored: %s", row.reason)
        elif row.equivalence is not None and not row.equivalence.equivalent:
            log.debug("area_delay: %s: %s", row.equivalence.status.value, row.reason)
        return row

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def _ppa_problem(side: str, ppa: PPA) -> str:
    if not ppa.ok:
        return f"{side} PPA {ppa.status.value}: {ppa.reason}"
    return f"{side} has zero area-delay product"
