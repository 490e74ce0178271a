"""Area-delay reward: ADP of generated RTL relative to a reference design under the same flow.

    reward = AreaDelayReward(reference_column="reference")      # picklable; sessions open lazily
    reward(prompts, completions, reference=[ref_verilog, ...])  # -> [ref_adp / cand_adp | failure | None]

Both candidate and reference go through the same front end (Yosys -> AIG), the same recipe (resyn2
by default) and ``map; topo; stime`` with the same liberty. A value above 1 means the candidate is
smaller/faster than the reference. ``failure_value`` (default 0.0, below every valid reward) is
returned when the candidate does not synthesise or, with ``require_equivalence``, when ABC ``cec``
does not prove it equivalent to the reference (ports matched by name). ``None`` means no reference.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rtlgen.errors import RtlgenError
from rtlgen.rewards.completions import completion_code, completion_text
from rtlgen.sandbox import Limits
from rtlgen.synth.frontend import Design, design_from_bytes
from rtlgen.synth.qor import QoR
from rtlgen.synth.recipes import parse_recipe


class AreaDelayReward:
    """Picklable TRL reward; one warm ABC session per process, opened on first use."""

    __name__ = "area_delay"  # TRL names reward columns after this

    def __init__(self, reference_column: str = "reference", *, liberty: str | None = None, recipe: str = "resyn2",
                 top: str | None = None, require_equivalence: bool = True, failure_value: float = 0.0,
                 timeout_s: float = 60.0, unsafe: bool = False) -> None:
        self.reference_column = reference_column  # dataset column holding the reference Verilog
        self.liberty = liberty  # None: shipped sky130hd typical
        self.recipe = parse_recipe(recipe)  # same flow for candidate and reference
        self.top = top  # None: Yosys picks the top module
        self.require_equivalence = require_equivalence  # cec against the reference or failure_value
        self.failure_value = failure_value  # reward when synthesis fails or is not equivalent
        self.timeout_s = timeout_s  # per front-end job and per ABC request
        self.unsafe = unsafe  # run tools without bwrap (trusted code only)
        self._session = None
        self._refs: dict[str, tuple[Design, QoR]] = {}

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_session"] = None  # a live process does not travel
        state["_refs"] = {}
        return state

    def _abc(self):
        if self._session is None:
            from rtlgen.sandbox import default_sandbox
            from rtlgen.synth.abc_session import AbcSession

            self._session = AbcSession(self.liberty, sandbox=default_sandbox(unsafe=self.unsafe),
                                       request_timeout_s=self.timeout_s)
        return self._session

    def _design(self, text: str, name: str) -> Design:
        from rtlgen.sandbox import default_sandbox

        limits = Limits(wall_s=self.timeout_s, cpu_s=self.timeout_s * 2, memory_mb=4096)
        return design_from_bytes(Path(name + ".sv"), text.encode(), top=self.top,
                                 sandbox=default_sandbox(unsafe=self.unsafe), limits=limits)

    def _reference(self, text: str) -> tuple[Design, QoR]:
        key = hashlib.sha256(text.encode()).hexdigest()
        if key not in self._refs:
            design = self._design(text, "reference")
            self._refs[key] = (design, self._abc().evaluate(design, self.recipe))
        return self._refs[key]

    def score(self, candidate: str, reference: str) -> float:
        """ref ADP / candidate ADP, or ``failure_value``. A broken reference raises (it is the data's fault)."""
        ref_design, ref_qor = self._reference(reference)
        try:
            cand = self._design(candidate, "candidate")
            qor = self._abc().evaluate(cand, self.recipe)
            if self.require_equivalence and not self._abc().cec_files(cand.aig_path, ref_design.aig_path):
                return self.failure_value
        except RtlgenError:
            return self.failure_value
        if qor.adp <= 0:
            return self.failure_value
        return ref_qor.adp / qor.adp

    def __call__(self, prompts: list, completions: list, **columns) -> list[float | None]:
        refs = columns.get(self.reference_column) or [None] * len(completions)
        out: list[float | None] = []
        for completion, ref in zip(completions, refs, strict=False):
            out.append(None if not ref else self.score(completion_code(completion, self.top or 'TopModule').code or completion_text(completion), ref))
        return out

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
