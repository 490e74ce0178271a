"""Equivalence of generated RTL with a reference: a tri-state verdict that a policy cannot forge.

    ref = elaborate(reference_text)                       # once per reference (auto top unless given)
    res = compare(ref, elaborate(candidate_text, top=ref.top))
    res.status   # EquivStatus.EQUIVALENT / NOT_EQUIVALENT / UNKNOWN / ERROR, with res.reason

Method. Each side is screened (``rtlgen.synth.screen``: no `` `include ``, no file-reading system
tasks), then elaborated by Yosys in its own sandboxed job with the top picked explicitly
(``hierarchy -check -top``; the reference may use ``-auto-top``). That job writes the structure as
JSON right after ``proc -noopt; flatten``, before any pass that could merge a conflict away, and the
Python side refuses what a SAT encoding would turn into a vacuous proof: an input bit tied to a
constant or to another input, a bit with two drivers, an unflattened cell; ``check -assert``
refuses combinational loops. Ports (names, directions, widths, from that JSON) must match exactly,
else NOT_EQUIVALENT "port mismatch: ...". Then a second job builds ``miter -equiv -flatten
-ignore_gold_x`` of the two modules, which matches ports by name, checks that the miter has a
model at all, and proves ``trigger`` = 0 with Yosys ``sat``:

- combinational: ``sat -prove trigger 0 -enable_undef -set-def-inputs``;
- sequential (``$dff`` only, every flop on the same primary clock and edge in both designs):
  ``sat -tempinduct`` from an all-x initial state (``init`` values kept). First with the named
  registers of both sides exposed as outputs (``expose -dff``; only a proof counts, since the
  registers may differ while the outputs agree), then on the plain miter, at most ``max_induction``
  steps. A proof is EQUIVALENT, a base-case trace NOT_EQUIVALENT, an induction that does not close
  UNKNOWN. Latches, other clocking and inout ports are UNKNOWN; nothing stateful is ever guessed.

Measured on two cores (bwrap, Yosys 0.23): a small combinational check (elaborate the candidate, then
the miter job) takes about 0.1 s, a small sequential one 0.1-0.3 s; an 8-bit shift-and-add multiplier
against ``*`` takes 25 s and a 10-bit one times out (UNKNOWN): SAT is weak on multipliers (ABC's
``cec``/``dprove`` took 11-17 s on the same 8-bit miter: faster, not in another class).

Rules for x. Undriven bits become x (``setundef -undriven -undef``), and ``sat`` models x
(``-enable_undef``; without it Yosys reads a constant x as 0). An x in the candidate never equals a
defined reference bit; an x in the reference is a don't-care, as in VerilogEval's testbenches
(``ref !== (ref ^ dut ^ ref)``). A tool error is ERROR, a timeout UNKNOWN, each with the reason and
the side it is blamed on, so that a caller can tell a broken reference from a broken candidate.
Equivalence is of the netlists Yosys synthesises (``full_case``, ``initial`` on nets, delays follow
Yosys), which are also the netlists whose area and delay the reward measures.
"""

from __future__ import annotations

import enum
import json
import re
import time
from dataclasses import dataclass, field, replace

from rtlgen.errors import InputError
from rtlgen.sandbox import Job, JobResult, KilledBy, Limits, Sandbox, Step, default_sandbox, find_tool
from rtlgen.synth.screen import screen_verilog, uses_preprocessor

EQUIV_LIMITS = Limits(wall_s=60, cpu_s=120, memory_mb=4096, output_bytes=2_000_000, file_size_mb=64)
READ_FLAGS = "-sv -nodpi -noblackbox -noassert -noassume -norestrict"  # no DPI, no implicit blackboxes, no formal
EXPOSED_INDUCTION = 2  # with the registers compared too, a shared state encoding is 1-inductive
INTERNAL = "rtlgen_design"  # the top's name in the RTLIL a job hands back; one module per file
_TOP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_STATEFUL = re.compile(r"dff|dlatch|^\$_?(sr|ff)(_|$)|^\$_(SR|FF)_|^\$mem", re.I)
_LATCH = re.compile(r"dlatch|^\$_?sr(_|$)|^\$_SR_", re.I)
_TOOL_ERROR = re.compile(r"ERROR:.*")


class EquivStatus(enum.StrEnum):
    EQUIVALENT = "equivalent"
    NOT_EQUIVALENT = "not_equivalent"
    UNKNOWN = "unknown"  # timeout, induction did not close, latches or other unsupported state
    ERROR = "error"  # a design was refused, does not elaborate, or a tool failed; see ``side``


class Side(enum.StrEnum):
    NONE = "none"
    CANDIDATE = "candidate"
    REFERENCE = "reference"


class ElabStatus(enum.StrEnum):
    OK = "ok"
    REFUSED = "refused"  # the screen refused the text; Yosys never saw it
    NO_TOP = "no_top"  # the expected top module is not defined
    ILL_FORMED = "ill_formed"  # several drivers, a loop, an unflattened cell
    FAILED = "failed"  # Yosys failed (syntax, elaboration) or was stopped by a limit other than time
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Port:
    name: str
    direction: str  # input, output, inout
    width: int


@dataclass(frozen=True)
class Elaboration:
    """One design as Yosys elaborated it: top, ports, state, and the netlist files a comparison needs."""

    status: ElabStatus
    reason: str = ""
    top: str = ""
    ports: tuple[Port, ...] = ()
    flops: int = 0  # $dff bits after async2sync/dffunmap
    clocks: tuple[str, ...] = ()  # "posedge clk" per distinct clock of those flops
    unsupported_state: tuple[str, ...] = ()  # latch or other stateful cell types; make a comparison UNKNOWN
    rtlil: bytes = field(default=b"", repr=False)  # the flattened module, renamed INTERNAL
    aig: bytes = field(default=b"", repr=False)  # the same netlist as AIGER (x read as 0), for QoR
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is ElabStatus.OK

    def to_json(self) -> dict:
        return {"status": self.status.value, "reason": self.reason, "top": self.top,
                "ports": [vars(p) for p in self.ports], "flops": self.flops, "clocks": list(self.clocks),
                "unsupported_state": list(self.unsupported_state), "seconds": self.seconds}


@dataclass(frozen=True)
class EquivResult:
    """A verdict with its reason; ``side`` names the design an ERROR or a refusal is blamed on."""

    status: EquivStatus
    reason: str
    method: str  # screen, elaborate, ports, structure, sat-comb, sat-tempinduct[-registers]
    side: Side = Side.NONE
    counterexample: tuple[tuple[str, str], ...] = ()  # (miter port, binary value): in_*, gold_*, gate_*
    seconds: float = 0.0

    @property
    def equivalent(self) -> bool:
        return self.status is EquivStatus.EQUIVALENT

    def to_json(self) -> dict:
        return {"status": self.status.value, "reason": self.reason, "method": self.method, "side": self.side.value,
                "counterexample": dict(self.counterexample), "seconds": self.seconds}


# -- Yosys scripts and jobs --------------------------------------------------------------------------
def elaborate_script(top: str | None, preprocess: bool) -> str:
    """Verilog -> checked, flattened RTLIL + AIGER; the structure JSON is written before any optimisation."""
    top_cmd = f"hierarchy -check -top {top}" if top else "hierarchy -check -auto-top"
    return "\n".join([
        f"read_verilog {READ_FLAGS}{'' if preprocess else ' -nopp'} design.sv",
        "tee -q -o modules.txt ls",  # tells a missing top from other elaboration errors
        top_cmd,
        "setattr -mod -unset keep_hierarchy",  # flatten everything; what stays a cell is refused
        "proc -noopt -norom",  # no opt_expr: it would silently drop one of two conflicting drivers
        "flatten",
        "hierarchy -check",
        "write_json structure.json",
        "setundef -undriven -undef",
        "check -assert",  # combinational loops
        "chformal -remove",
        "memory",
        "opt_clean",
        "async2sync",
        "dffunmap",
        f"rename -top {INTERNAL}",
        "write_rtlil design.il",
        "write_json netlist.json", ""])


# The frontend's tail on the very netlist that is compared; x reads as 0 here, QoR only.
AIG_SCRIPT = "\n".join(["read_rtlil design.il", "setundef -zero", "techmap", "opt -fast", "dffunmap", "aigmap",
                        "opt_clean", "write_aiger -symbols -zinit design.aig", ""])


def miter_script(sequential: bool, max_induction: int, sat_timeout_s: int, expose_registers: bool = False) -> str:
    """Miter of the two RTLIL files (ports matched by name), a non-vacuity check, then the proof.

    With ``expose_registers`` the named registers of both designs become outputs first (``expose
    -dff``), so the miter also compares them: a stronger property, often 1-inductive when the two
    designs keep the same state under the same names. It can only prove; a failure means nothing.
    """
    common = f"-enable_undef -set-def-inputs -timeout {sat_timeout_s}"
    if sequential:
        sanity = f"sat -seq 1 -set-init-undef {common}"
        proof = f"sat -tempinduct -prove trigger 0 -set-init-undef -maxsteps {max_induction} {common} -show-ports"
    else:
        sanity = f"sat {common}"
        proof = f"sat -prove trigger 0 {common} -show-ports"
    return "\n".join([
        "read_rtlil gold.il", f"rename {INTERNAL} rtlgen_gold",
        "read_rtlil gate.il", f"rename {INTERNAL} rtlgen_gate",
        *(["expose -dff rtlgen_gold rtlgen_gate"] if expose_registers else []),
        "miter -equiv -flatten -make_outputs -ignore_gold_x rtlgen_gold rtlgen_gate rtlgen_miter",
        "hierarchy -top rtlgen_miter",
        f"tee -q -o sanity.log {sanity} rtlgen_miter",
        f"tee -q -o proof.log {proof} rtlgen_miter", ""])


def elaborate_job(text: str, top: str | None, limits: Limits = EQUIV_LIMITS, with_aig: bool = True) -> Job:
    script = elaborate_script(top, uses_preprocessor(text))
    yosys = find_tool("yosys")
    aig = (Step((yosys, "-q", "-s", "aig.ys"), check=False),) if with_aig else ()
    return Job(steps=(Step((yosys, "-q", "-s", "elab.ys")), *aig),
               files={"design.sv": text, "elab.ys": script, "aig.ys": AIG_SCRIPT}, limits=limits,
               outputs=("modules.txt", "structure.json", "netlist.json", "design.il", "design.aig"))


def miter_job(reference: Elaboration, candidate: Elaboration, sequential: bool, *, limits: Limits = EQUIV_LIMITS,
              max_induction: int = 8, sat_timeout_s: int = 30, expose_registers: bool = False) -> Job:
    return Job(steps=(Step((find_tool("yosys"), "-q", "-s", "miter.ys")),),
               files={"gold.il": reference.rtlil, "gate.il": candidate.rtlil,
                      "miter.ys": miter_script(sequential, max_induction, sat_timeout_s, expose_registers)},
               limits=limits, outputs=("sanity.log", "proof.log"))


# -- elaboration -----------------------------------------------------------------------------------
def elaborate(text: str, *, top: str | None = None, sandbox: Sandbox | None = None,
              limits: Limits = EQUIV_LIMITS, with_aig: bool = True) -> Elaboration:
    """Screen and elaborate ``text``; every failure is a status, never an exception (bad ``top``: InputError).
    ``with_aig`` also writes the AIG for QoR (a second, cheap Yosys step)."""
    if top is not None and not _TOP_NAME.match(top):
        raise InputError(f"top must be a plain Verilog identifier, not {top!r}")
    start = time.monotonic()
    refusal = screen_verilog(text)
    if refusal:
        return Elaboration(ElabStatus.REFUSED, refusal)
    res = (sandbox or default_sandbox()).run(elaborate_job(text, top, limits, with_aig))
    seconds = round(time.monotonic() - start, 3)
    try:
        failure = _job_failure(res, top)
        if failure is not None:
            return Elaboration(failure[0], failure[1], seconds=seconds)
        return _analyse(res, seconds)
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # JSON cut short or not as Yosys 0.23 writes it
        return Elaboration(ElabStatus.FAILED, f"unreadable Yosys output: {exc}", seconds=seconds)


def _job_failure(res: JobResult, top: str | None) -> tuple[ElabStatus, str] | None:
    first = res.steps[0]  # the second step only writes the AIG for QoR; its failure leaves ``aig`` empty
    if first.killed_by is KilledBy.TIMEOUT:
        return ElabStatus.TIMEOUT, f"Yosys timed out after {first.wall_s:.0f} s"
    if first.killed_by is not KilledBy.NONE:
        return ElabStatus.FAILED, f"Yosys stopped by the {first.killed_by.value} limit"
    if first.ok and "design.il" in res.outputs:
        return None
    log = first.stderr + first.stdout
    modules = _listed_modules(res.outputs.get("modules.txt", b"").decode(errors="replace"))
    if top and "modules.txt" in res.outputs and top not in modules:
        return ElabStatus.NO_TOP, f"no module '{top}' (defines: {', '.join(sorted(modules)[:8]) or 'none'})"
    if "found logic loop" in log:
        return ElabStatus.ILL_FORMED, "combinational loop"
    if "structure.json" in res.outputs:  # it failed after the structure was written: say what is wrong
        problems = _structure_problems(_top_module(json.loads(res.outputs["structure.json"])))
        if problems:
            return ElabStatus.ILL_FORMED, "; ".join(problems[:3])
    errors = _TOOL_ERROR.findall(log)
    detail = errors[-1] if errors else " ".join(log.split())[-300:] or f"exit {first.exit_code}, no netlist written"
    return ElabStatus.FAILED, f"Yosys failed: {detail[:300]}"


def _listed_modules(text: str) -> set[str]:
    return {ln.strip().lstrip("\\") for ln in text.splitlines() if ln.startswith("  ") and ln.strip()}


def _top_module(doc: dict) -> tuple[str, dict]:
    """The module marked top (after flattening it is the only one that matters)."""
    mods = doc["modules"]
    tops = [name for name, mod in mods.items() if _attr_true(mod.get("attributes", {}).get("top"))]
    if len(tops) != 1 and len(mods) == 1:
        tops = list(mods)
    if len(tops) != 1:
        raise ValueError(f"expected one top module, found {', '.join(mods) or 'none'}")
    return tops[0], mods[tops[0]]


def _attr_true(value) -> bool:
    return value is not None and str(value).strip("0") != ""


def _analyse(res: JobResult, seconds: float) -> Elaboration:
    top, mod = _top_module(json.loads(res.outputs["structure.json"]))
    if not _TOP_NAME.match(top):
        return Elaboration(ElabStatus.FAILED, f"top module {top!r} is not a plain identifier", seconds=seconds)
    problems = _structure_problems((top, mod))
    if problems:
        return Elaboration(ElabStatus.ILL_FORMED, "; ".join(problems[:3]), top=top, seconds=seconds)
    ports = tuple(Port(n, p["direction"], len(p["bits"])) for n, p in mod["ports"].items())
    _, net = _top_module(json.loads(res.outputs["netlist.json"]))
    flops, clocks, other = _state(net)
    if other:  # async2sync turned latches into $ff; name them as the designer wrote them
        other = tuple(sorted(set(other) | {c["type"] for c in mod["cells"].values() if _LATCH.search(c["type"])}))
    return Elaboration(ElabStatus.OK, top=top, ports=ports, flops=flops, clocks=clocks, unsupported_state=other,
                       rtlil=res.outputs["design.il"], aig=res.outputs.get("design.aig", b""), seconds=seconds)


def _structure_problems(named: tuple[str, dict]) -> list[str]:
    """What would make the SAT encoding of this module a relation rather than a function."""
    _, mod = named
    problems: list[str] = []
    owner: dict[int, str] = {}  # bit -> the one thing that drives it (an input port bit or a cell output)

    def claim(bit, who: str, constant: str, twice: str) -> None:
        if not isinstance(bit, int):
            problems.append(constant.format(bit=bit))
        elif bit in owner:
            problems.append(twice.format(other=owner[bit]))
        else:
            owner[bit] = who

    for pname, port in mod.get("ports", {}).items():
        if port["direction"] != "input":
            continue
        for i, bit in enumerate(port["bits"]):
            claim(bit, f"{pname}[{i}]", f"input {pname}[{i}] is driven to {{bit}} inside the design",
                  f"inputs {{other}} and {pname}[{i}] are tied together")
    for cell in mod.get("cells", {}).values():
        ctype = cell["type"]
        if not ctype.startswith("$"):
            problems.append(f"cell of module '{ctype}' is not flattened (blackbox or missing body)")
            continue
        for pin, direction in cell.get("port_directions", {}).items():
            if direction == "input":
                continue
            for bit in cell["connections"].get(pin, []):
                claim(bit, f"{ctype} output", f"a {ctype} output is tied to the constant {{bit}} (several drivers)",
                      f"{{other}} has several drivers (also a {ctype})")
    return sorted(set(problems), key=problems.index)


def _state(mod: dict) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    """(flop bits, their clocks as 'posedge <port bit>', other stateful cell types) of the final netlist."""
    inputs = {}
    for pname, port in mod["ports"].items():
        if port["direction"] == "input":
            for i, bit in enumerate(port["bits"]):
                inputs[bit] = pname if len(port["bits"]) == 1 else f"{pname}[{i}]"
    flops, clocks, other = 0, set(), set()
    for cell in mod["cells"].values():
        ctype = cell["type"]
        if ctype == "$dff":
            flops += len(cell["connections"]["Q"])
            clk = cell["connections"]["CLK"][0]
            edge = "posedge" if _attr_true(cell["parameters"].get("CLK_POLARITY", "1")) else "negedge"
            clocks.add(f"{edge} {inputs[clk]}" if clk in inputs else f"{edge} <internal net>")
        elif _STATEFUL.search(ctype):
            other.add(ctype)
    return flops, tuple(sorted(clocks)), tuple(sorted(other))


# -- comparison ----------------------------------------------------------------------------------
def port_mismatch(reference: tuple[Port, ...], candidate: tuple[Port, ...]) -> str | None:
    """'missing output y; extra input c; a: width 8 vs 4', or None when names, directions and widths agree."""
    ref, cand = {p.name: p for p in reference}, {p.name: p for p in candidate}
    diffs = [f"missing {ref[n].direction} {n}" for n in ref if n not in cand]
    diffs += [f"extra {cand[n].direction} {n}" for n in cand if n not in ref]
    for n in ref.keys() & cand.keys():
        r, c = ref[n], cand[n]
        if r.direction != c.direction:
            diffs.append(f"{n}: {c.direction} where the reference has {r.direction}")
        elif r.width != c.width:
            diffs.append(f"{n}: width {c.width} where the reference has {r.width}")
    return "; ".join(sorted(diffs)) or None


def compare(reference: Elaboration, candidate: Elaboration, *, sandbox: Sandbox | None = None,
            limits: Limits = EQUIV_LIMITS, max_induction: int = 8, sat_timeout_s: int = 30) -> EquivResult:
    """The verdict for two elaborations; runs the miter job only when everything before it passed."""
    start = time.monotonic()
    sandbox = sandbox or default_sandbox()
    verdict = _precheck(reference, candidate)
    sequential = bool(reference.flops or candidate.flops)
    for expose in ((True, False) if sequential else (False,)):
        if verdict is not None:
            break
        depth = min(max_induction, EXPOSED_INDUCTION) if expose else max_induction
        job = miter_job(reference, candidate, sequential, limits=limits, max_induction=depth,
                        sat_timeout_s=sat_timeout_s, expose_registers=expose)
        verdict = _verdict(sandbox.run(job), sequential, depth)
        if expose:  # the strengthened property can only prove
            verdict = replace(verdict, method="sat-tempinduct-registers") if verdict.equivalent else None
    return replace(verdict, seconds=round(time.monotonic() - start + candidate.seconds, 3))


def _precheck(ref: Elaboration, cand: Elaboration) -> EquivResult | None:
    for side, elab in ((Side.REFERENCE, ref), (Side.CANDIDATE, cand)):
        if elab.status is ElabStatus.OK:
            continue
        if side is Side.CANDIDATE and elab.status is ElabStatus.NO_TOP:
            return EquivResult(EquivStatus.NOT_EQUIVALENT, f"port mismatch: {elab.reason}", "elaborate", side)
        status = EquivStatus.UNKNOWN if elab.status is ElabStatus.TIMEOUT else EquivStatus.ERROR
        method = "screen" if elab.status is ElabStatus.REFUSED else "elaborate"
        return EquivResult(status, f"{side.value} {elab.status.value}: {elab.reason}", method, side)
    mismatch = port_mismatch(ref.ports, cand.ports)
    if mismatch:
        return EquivResult(EquivStatus.NOT_EQUIVALENT, f"port mismatch: {mismatch}", "ports", Side.CANDIDATE)
    if any(p.direction == "inout" for p in ref.ports):
        return EquivResult(EquivStatus.UNKNOWN, "inout ports are not compared", "ports")
    for side, elab in ((Side.REFERENCE, ref), (Side.CANDIDATE, cand)):
        if elab.unsupported_state:
            return EquivResult(EquivStatus.UNKNOWN, f"{side.value} has latches or other state this check does not "
                               f"compare ({', '.join(elab.unsupported_state)})", "structure", side)
    clocks = set(ref.clocks) | set(cand.clocks)
    if len(clocks) > 1 or any("<internal net>" in c for c in clocks):
        return EquivResult(EquivStatus.UNKNOWN, f"clocking differs or is not one primary clock: reference "
                           f"{list(ref.clocks)}, candidate {list(cand.clocks)}", "structure")
    return None


# Yosys 0.23's own verdict lines (sat.cc), matched as whole lines: port names cannot forge them.
SAT_TIMEOUT = "Interrupted SAT solver: TIMEOUT!"
SAT_MODEL, SAT_NO_MODEL = "SAT solving finished - model found:", "SAT solving finished - no model found."
COMB_PROVEN, COMB_FAILED = "SAT proof finished - no model found: SUCCESS!", "SAT proof finished - model found: FAIL!"
SEQ_PROVEN = "Induction step proven: SUCCESS!"
SEQ_FAILED = "SAT temporal induction proof finished - model found for base case: FAIL!"
SEQ_OPEN = "Reached maximum number of time steps -> proof failed."


def _verdict(res: JobResult, sequential: bool, max_induction: int) -> EquivResult:
    method = "sat-tempinduct" if sequential else "sat-comb"
    sanity_log = res.outputs.get("sanity.log", b"").decode(errors="replace")
    proof_log = res.outputs.get("proof.log", b"").decode(errors="replace")
    sanity = {ln.strip() for ln in sanity_log.splitlines()}
    proof = {ln.strip() for ln in proof_log.splitlines()}
    if SAT_TIMEOUT in sanity | proof or res.killed_by is KilledBy.TIMEOUT:
        return EquivResult(EquivStatus.UNKNOWN, "the SAT proof timed out", method)
    if res.killed_by is not KilledBy.NONE:
        return EquivResult(EquivStatus.ERROR, f"miter job stopped by the {res.killed_by.value} limit", method)
    if not res.ok or not proof_log:
        errors = _TOOL_ERROR.findall(res.stderr + res.stdout)
        return EquivResult(EquivStatus.ERROR, f"miter failed: {(errors[-1] if errors else 'no proof log')[:300]}",
                           method)
    if SAT_MODEL not in sanity or SAT_NO_MODEL in sanity:
        return EquivResult(EquivStatus.ERROR, "the miter has no model at all (contradictory constraints)", method)
    proven, failed = (SEQ_PROVEN, SEQ_FAILED) if sequential else (COMB_PROVEN, COMB_FAILED)
    if proven in proof and failed not in proof:
        how = f"proven by temporal induction (at most {max_induction} steps)" if sequential else "miter proven unsat"
        return EquivResult(EquivStatus.EQUIVALENT, how, method)
    if failed in proof:
        cex = _counterexample(proof_log, failed)
        shown = ", ".join(f"{k}={v}" for k, v in cex if k != "trigger")[:240]
        steps = max((len(v.split(",")) for k, v in cex if k.startswith("in_")), default=1)
        when = f" after {steps} steps from the all-x initial state" if sequential else ""
        return EquivResult(EquivStatus.NOT_EQUIVALENT, f"outputs differ{when}: {shown}", method,
                           Side.CANDIDATE, cex)
    if sequential and SEQ_OPEN in proof:
        return EquivResult(EquivStatus.UNKNOWN, f"temporal induction did not close within {max_induction} steps",
                           method)
    return EquivResult(EquivStatus.ERROR, f"no verdict in the SAT log: {' '.join(proof_log.split())[-200:]}", method)


_ROW = re.compile(r"^\s+(?:(\d+)\s+)?\\(\S+)\s+\S+\s+\S+\s+([01xz]+)\s*$")


def _counterexample(log: str, verdict: str = "") -> tuple[tuple[str, str], ...]:
    """(signal, binary) rows of ``-show-ports`` after the ``verdict`` line (failed induction steps print models
    before it); for a trace, inputs step by step ("1,0,1") and the outputs of the last step."""
    rows: dict[str, list[str]] = {}
    for line in log[max(log.rfind(verdict), 0) if verdict else 0:].splitlines():
        m = _ROW.match(line)
        if m:
            rows.setdefault(m.group(2), []).append(m.group(3))
    return tuple((name, ",".join(vals) if name.startswith("in_") else vals[-1]) for name, vals in sorted(rows.items()))


def check_equivalence(candidate: str, reference: str | Elaboration, *, top: str | None = None,
                      sandbox: Sandbox | None = None, limits: Limits = EQUIV_LIMITS, max_induction: int = 8,
                      sat_timeout_s: int = 30) -> EquivResult:
    """Elaborate what is not elaborated yet and compare; the candidate's top is the reference's."""
    sandbox = sandbox or default_sandbox()
    ref = reference if isinstance(reference, Elaboration) else elaborate(reference, top=top, sandbox=sandbox,
                                                                        limits=limits)
    if not ref.ok:
        return _precheck(ref, ref) or EquivResult(EquivStatus.ERROR, "reference did not elaborate", "elaborate",
                                                  Side.REFERENCE)
    cand = elaborate(candidate, top=top or ref.top, sandbox=sandbox, limits=limits, with_aig=False)
    return compare(ref, cand, sandbox=sandbox, limits=limits, max_induction=max_induction,
                   sat_timeout_s=sat_timeout_s)
