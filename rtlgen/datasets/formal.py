"""Formal equivalence of a rewrite with its original, for the augmentation stage: a thin layer over
``rtlgen.synth.equivalence``.

    res = check_formal(original, rewrite, top="counter", resets=("rst",), options=FormalOptions(bmc_depth=20))
    res.status, res.proof        # EquivStatus.EQUIVALENT, "formal_bmc_20"

Both designs are elaborated by ``equivalence.elaborate`` (screened, sandboxed, refused when a SAT
encoding would be vacuous). Without flops on either side the check is ``equivalence.compare``: a SAT
miter over all inputs (proof ``formal_comb``). With flops it is a bounded check from reset: the same
miter (``-ignore_gold_x``: an x in the original is a don't-care), unrolled ``bmc_depth`` clock cycles
from an all-x state with ``sat -seq N``, once per combination of values of the reset inputs in the
first cycle (so the real reset, whichever its polarity, is asserted in one of them), every input free
afterwards (reset included). Every combination proven: EQUIVALENT with proof ``formal_bmc_N``, which
says "equal for N cycles after reset", not "equal forever". One counterexample: NOT_EQUIVALENT. A
solver timeout, latches, several clocks: UNKNOWN. A design Yosys cannot elaborate: ERROR, and the
caller falls back on the differential testbench alone.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rtlgen.config import help_
from rtlgen.errors import InputError
from rtlgen.sandbox import Job, JobResult, KilledBy, Limits, Sandbox, Step, default_sandbox, find_tool
from rtlgen.synth import equivalence as eq
from rtlgen.synth.equivalence import Elaboration, EquivStatus

COMB_PROOF = "formal_comb"
_TIMEOUT_LINE = "Interrupted SAT solver: TIMEOUT!"
_TOOL_ERROR = re.compile(r"ERROR:.*")


@dataclass(frozen=True)
class FormalOptions:
    bmc_depth: int = field(default=20, metadata=help_("clock cycles unrolled after reset by the bounded check"))
    sat_timeout_s: int = field(default=30, metadata=help_("solver time per SAT call; past it: unknown"))
    wall_s: float = field(default=120.0, metadata=help_("wall clock of one Yosys job"))
    max_resets: int = field(default=2, metadata=help_("reset inputs whose first-cycle values are all tried"))

    def __post_init__(self) -> None:
        if not 1 <= self.bmc_depth <= 1000:
            raise InputError(f"bmc_depth must be between 1 and 1000, not {self.bmc_depth!r}")
        if self.sat_timeout_s <= 0 or self.wall_s <= 0:
            raise InputError("sat_timeout_s and wall_s must be positive numbers")

    def limits(self) -> Limits:
        return Limits(wall_s=self.wall_s, cpu_s=self.wall_s * 2, memory_mb=4096, output_bytes=4_000_000,
                      file_size_mb=64)


@dataclass(frozen=True)
class FormalResult:
    status: EquivStatus
    reason: str
    proof: str = ""  # "formal_comb" or "formal_bmc_<N>" when EQUIVALENT
    seconds: float = 0.0
    rewrite_unsynthesisable: bool = False  # the original synthesises and the rewrite does not

    def to_json(self) -> dict:
        return {"status": self.status.value, "reason": self.reason, "proof": self.proof, "seconds": self.seconds}


def bmc_script(depth: int, combos: Sequence[dict[str, int]], sat_timeout_s: int) -> str:
    """Miter of gold.il and gate.il; a non-vacuity check; one bounded proof per reset combination."""
    common = f"-set-init-undef -enable_undef -set-def-inputs -timeout {sat_timeout_s}"
    lines = ["read_rtlil gold.il", f"rename {eq.INTERNAL} rtlgen_gold", "read_rtlil gate.il",
             f"rename {eq.INTERNAL} rtlgen_gate",
             "miter -equiv -flatten -make_outputs -ignore_gold_x rtlgen_gold rtlgen_gate rtlgen_miter",
             "hierarchy -top rtlgen_miter", f"tee -q -o sanity.log sat -seq 1 {common} rtlgen_miter"]
    for i, combo in enumerate(combos):
        sets = " ".join(f"-set-at 1 in_{name} {value}" for name, value in combo.items())
        lines.append(f"tee -q -o bmc{i}.log sat -seq {depth} {sets} -prove trigger 0 {common} rtlgen_miter")
    return "\n".join(lines) + "\n"


def reset_combos(resets: Sequence[str]) -> list[dict[str, int]]:
    return [dict(zip(resets, values, strict=True)) for values in itertools.product((0, 1), repeat=len(resets))]


def bmc_verdict(res: JobResult, n: int, depth: int) -> FormalResult:
    """The verdict of a ``bmc_script`` job with ``n`` proofs (Yosys 0.23's own verdict lines)."""
    logs = [res.outputs.get(f"bmc{i}.log", b"").decode(errors="replace") for i in range(n)]
    sanity = {ln.strip() for ln in res.outputs.get("sanity.log", b"").decode(errors="replace").splitlines()}
    lines = [{ln.strip() for ln in log.splitlines()} for log in logs]
    if res.killed_by is KilledBy.TIMEOUT or any(_TIMEOUT_LINE in s for s in [sanity, *lines]):
        return FormalResult(EquivStatus.UNKNOWN, "the bounded check timed out")
    for i, found in enumerate(lines):
        if eq.COMB_FAILED in found:
            return FormalResult(EquivStatus.NOT_EQUIVALENT, f"outputs differ within {depth} cycles "
                                f"(reset combination {i} in the first cycle)")
    if not res.ok or not all(logs):
        errors = _TOOL_ERROR.findall(res.stderr + res.stdout)
        return FormalResult(EquivStatus.ERROR, f"bounded check failed: {(errors[-1] if errors else 'no log')[:300]}")
    if eq.SAT_MODEL not in sanity:
        return FormalResult(EquivStatus.ERROR, "the miter has no model at all (contradictory constraints)")
    if all(eq.COMB_PROVEN in found for found in lines):
        return FormalResult(EquivStatus.EQUIVALENT, f"equal for {depth} cycles after every reset combination",
                            f"formal_bmc_{depth}")
    return FormalResult(EquivStatus.ERROR, "no verdict in the SAT logs")


def _sequential_precheck(ref: Elaboration, cand: Elaboration) -> FormalResult | None:
    mismatch = eq.port_mismatch(ref.ports, cand.ports)
    if mismatch:
        return FormalResult(EquivStatus.NOT_EQUIVALENT, f"port mismatch: {mismatch}")
    if any(p.direction == "inout" for p in ref.ports):
        return FormalResult(EquivStatus.UNKNOWN, "inout ports are not compared")
    state = ref.unsupported_state + cand.unsupported_state
    if state:
        return FormalResult(EquivStatus.UNKNOWN, f"latches or other unsupported state ({', '.join(state)})")
    clocks = set(ref.clocks) | set(cand.clocks)
    if len(clocks) > 1 or any("<internal net>" in c for c in clocks):
        return FormalResult(EquivStatus.UNKNOWN, f"not one primary clock: {sorted(clocks)}")
    return None


def check_formal(reference: str | Elaboration, candidate: str, *, top: str, resets: Sequence[str] = (),
                 options: FormalOptions | None = None, sandbox: Sandbox | None = None) -> FormalResult:
    """Equivalence of ``candidate`` with ``reference`` (text, or its elaboration with ``top``)."""
    opts = options or FormalOptions()
    box = sandbox or default_sandbox()
    start = time.monotonic()
    limits = opts.limits()
    ref = reference if isinstance(reference, Elaboration) else eq.elaborate(reference, top=top, sandbox=box,
                                                                           limits=limits, with_aig=False)
    if not ref.ok:
        return FormalResult(EquivStatus.ERROR, f"the original does not synthesise: {ref.reason[:200]}")
    cand = eq.elaborate(candidate, top=top, sandbox=box, limits=limits, with_aig=False)
    if not cand.ok:
        status = EquivStatus.NOT_EQUIVALENT if cand.status is eq.ElabStatus.NO_TOP else EquivStatus.ERROR
        return FormalResult(status, f"the rewrite does not synthesise: {cand.reason[:200]}",
                            rewrite_unsynthesisable=True)
    if not (ref.flops or cand.flops):
        res = eq.compare(ref, cand, sandbox=box, limits=limits, sat_timeout_s=opts.sat_timeout_s)
        return FormalResult(res.status, res.reason, COMB_PROOF if res.equivalent else "",
                            round(time.monotonic() - start, 3))
    verdict = _sequential_precheck(ref, cand)
    if verdict is None:
        names = {p.name for p in ref.ports if p.direction == "input"}
        combos = reset_combos([r for r in resets if r in names][:opts.max_resets])
        job = Job(steps=(Step((find_tool("yosys"), "-q", "-s", "bmc.ys")),),
                  files={"gold.il": ref.rtlil, "gate.il": cand.rtlil,
                         "bmc.ys": bmc_script(opts.bmc_depth, combos, opts.sat_timeout_s)},
                  limits=limits, outputs=("sanity.log", *(f"bmc{i}.log" for i in range(len(combos)))))
        verdict = bmc_verdict(box.run(job), len(combos), opts.bmc_depth)
    return FormalResult(verdict.status, verdict.reason, verdict.proof, round(time.monotonic() - start, 3))


def elaborate_reference(text: str, top: str, options: FormalOptions | None = None,
                        sandbox: Sandbox | None = None) -> Elaboration:
    """The original's elaboration, to share between the checks of several rewrites."""
    opts = options or FormalOptions()
    return eq.elaborate(text, top=top, sandbox=sandbox or default_sandbox(), limits=opts.limits(), with_aig=False)
