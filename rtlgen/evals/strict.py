"""Strict scoring: the code under test is hostile and must not be able to forge a pass.

Three layers, each enough against some forgery, together against all we know of:

1. Static check of the DUT with pyslang (``check_dut``): no system task outside a whitelist (so no
   ``$finish``/``$stop``/``$fatal``, ``$system``, file I/O, ``$readmem``), no ``$root``/``$unit``,
   no dotted name whose first part is not declared in the sample (``tb.x``, ``good1.q`` reached by
   upward lookup), no call of a task or function the sample does not declare (Verilog resolves an
   undotted call upward, so ``clear_errors();`` would reach a task of the bench), no instance of a
   module the sample does not define (``RefModule``), no ``bind``, DPI or ``include``.
2. The testbench is rewritten per run (``harden_bench``): every module it defines gets a random
   suffix (the DUT cannot name ``tb``/``RefModule``/``stimulus_gen``), its verdict line carries a
   second, secret tag (``%m`` leaks the module suffix, never the tag), and its own ``$finish`` prints a
   tagged end marker. The DUT file is compiled last, so its directives cannot touch the bench.
3. The verdict (``verdict_strict``) trusts only the tagged lines: exactly one verdict with 0
   mismatches in more than 0 samples, the end marker seen, no tagged TIMEOUT, no sandbox kill.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from rtlgen.errors import InputError
from rtlgen.evals.results import EvalCategory, Verdict
from rtlgen.evals.scoring import classify_v2_log, combined_log, icarus_job, killed_category, split_logs
from rtlgen.sandbox import Job, JobResult, KilledBy
from rtlgen.sim.classify import FailureCategory as FC

# System tasks and functions a DUT may use: formatting, maths, types, time and randomness; none of
# them ends the simulation, touches files or the host, or reaches other scopes.
ALLOWED_SYSTEM_NAMES = frozenset("""
$display $displayb $displayh $displayo $write $writeb $writeh $writeo $strobe $strobeb $strobeh $strobeo
$monitor $monitorb $monitorh $monitoro $monitoron $monitoroff $sformat $sformatf $swrite $info $warning $error
$signed $unsigned $clog2 $bits $size $high $low $left $right $increment $dimensions $unpacked_dimensions
$countones $countbits $onehot $onehot0 $isunknown $random $urandom $urandom_range $dist_uniform
$time $stime $realtime $rtoi $itor $realtobits $bitstoreal $shortrealtobits $bitstoshortreal $cast $typename
$ln $log10 $exp $sqrt $pow $floor $ceil $sin $cos $tan $asin $acos $atan $atan2 $hypot $sinh $cosh $tanh
$past $rose $fell $stable $changed $timeformat $printtimescale
""".split())
_FORBIDDEN_KINDS = {"RootScope": "$root", "UnitScope": "$unit", "BindDirective": "bind",
                    "DPIImport": "DPI import", "DPIExport": "DPI export", "ConfigDeclaration": "config"}
_HEADER_KINDS = {"ModuleHeader", "PackageHeader", "InterfaceHeader", "ProgramHeader"}
_DIRECTIVE = re.compile(r"`\s*(include|line|resetall|begin_keywords|pragma|protect)\b")
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


@dataclass(frozen=True)
class Hardened:
    """A testbench rewritten for one run; ``tag`` is secret, ``suffix`` is not (``%m`` prints it)."""

    files: dict[str, str]  # bench files, compiled before the DUT
    top: str  # the renamed testbench top
    tag: str


def _names(tree) -> tuple[set[str], set[str], list[tuple[str, str]], list[str]]:
    """(declared names, defined module names, [(instantiated type, text)], references to check).

    References are leftmost parts of dotted names, ``"\0" + name`` for forbidden constructs and
    ``"\1" + name`` for calls of undotted subroutine names."""
    from pyslang import syntax

    sk = syntax.SyntaxKind
    declared: set[str] = set()
    modules: set[str] = set()
    insts: list[tuple[str, str]] = []
    dotted: list[str] = []
    forbidden: list[str] = []
    calls: list[str] = []

    def visit(node) -> bool:
        kind = getattr(node, "kind", None)
        if kind is None:
            return True
        name = kind.name
        if name in _HEADER_KINDS:
            modules.add(node.name.valueText)
            declared.add(node.name.valueText)
        elif kind in (sk.Declarator, sk.InstanceName, sk.NamedBlockClause):
            declared.add(node.name.valueText)
        elif kind == sk.GenerateBlock and node.beginName is not None:
            declared.add(node.beginName.name.valueText)
        elif kind == sk.FunctionPrototype and getattr(node.name, "kind", None) == sk.IdentifierName:
            declared.add(node.name.identifier.valueText)
        elif kind == sk.InvocationExpression and getattr(node.left, "kind", None) == sk.IdentifierName:
            calls.append(node.left.identifier.valueText)
        elif kind == sk.ExpressionStatement and getattr(node.expr, "kind", None) == sk.IdentifierName:
            calls.append(node.expr.identifier.valueText)  # a task enable without parentheses
        elif kind == sk.HierarchyInstantiation:
            insts.append((node.type.valueText, str(node).strip()[:80]))
        elif kind == sk.ScopedName:
            left = node
            while getattr(left, "kind", None) == sk.ScopedName:
                left = left.left
            first = left.getFirstToken()
            if getattr(left, "kind", None) not in (sk.RootScope, sk.UnitScope):
                dotted.append(first.valueText)
            return False  # inner ScopedNames share the same leftmost part
        elif kind == sk.SystemName:
            forbidden.append(node.systemIdentifier.valueText)
        if name in _FORBIDDEN_KINDS:
            forbidden.append(_FORBIDDEN_KINDS[name])
        return True

    tree.root.visit(visit)
    return declared, modules, insts, dotted + ["\0" + f for f in forbidden] + ["\1" + c for c in calls]


@dataclass(frozen=True)
class DutCheck:
    syntax_errors: tuple[str, ...]  # slang parse errors: what slang cannot parse, it cannot vouch for
    forbidden: tuple[str, ...]  # references that leave the design

    @property
    def ok(self) -> bool:
        return not self.syntax_errors and not self.forbidden


def check_dut(source: str) -> DutCheck:
    """Parse ``source`` with slang and list why it may not be simulated in strict mode."""
    from pyslang import syntax

    tree = syntax.SyntaxTree.fromText(source)
    errors = tuple(str(d.code).removeprefix("DiagCode(").rstrip(")") for d in tree.diagnostics if d.isError())
    problems: list[str] = []
    stripped = _COMMENTS.sub(" ", source)
    for m in _DIRECTIVE.finditer(stripped):
        problems.append(f"compiler directive `{m.group(1)} is not allowed in the design")
    declared, modules, insts, refs = _names(tree)
    for ref in refs:
        if ref.startswith("\0"):
            sysname = ref[1:]
            if sysname.startswith("$") and sysname in ALLOWED_SYSTEM_NAMES:
                continue
            problems.append(f"{sysname} is not allowed in the design")
        elif ref.startswith("\1"):
            if ref[1:] not in declared:
                problems.append(f"call of '{ref[1:]}', which the design does not declare (it would resolve upward)")
        elif ref not in declared:
            problems.append(f"hierarchical reference through '{ref}', which the design does not declare")
    for type_name, text in insts:
        if type_name not in modules:
            problems.append(f"instance of module '{type_name}', which the design does not define: {text}")
    return DutCheck(syntax_errors=errors, forbidden=tuple(dict.fromkeys(problems)))


def _bench_names(bench: dict[str, str], dut_top: str) -> set[str]:
    """Modules the bench defines, and the instance names it gives them (upward lookups reach those)."""
    modules = {n for text in bench.values() for n in re.findall(r"^\s*module\s+(\w+)", text, re.M)} - {dut_top}
    instances: set[str] = set()
    for text in bench.values():
        for mod in modules | {dut_top}:
            instances.update(re.findall(rf"\b{re.escape(mod)}\s+(\w+)\s*\(", text))
    return modules | instances


def harden_bench(bench: dict[str, str], dut_top: str, tb_top: str = "tb") -> Hardened:
    """Rename the bench's modules, tag its verdict and end; raises InputError for a bench not shaped like upstream's."""
    suffix, tag = secrets.token_hex(6), secrets.token_hex(12)
    names = _bench_names(bench, dut_top)
    rename = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names))) + r")\b") if names else None
    out: dict[str, str] = {}
    verdicts = ends = 0
    for fname, text in bench.items():
        if rename:
            text = rename.sub(lambda m: f"{m.group(1)}_{suffix}", text)
        text, n = re.subn(r'\$display\("Mismatches: ', f'$display("RTLGEN-VERDICT-{tag} Mismatches: ', text)
        verdicts += n
        text, n = re.subn(r"\$finish\s*;", f'begin $display("RTLGEN-END-{tag}"); $finish; end', text)
        ends += n
        text = text.replace('$display("TIMEOUT")', f'$display("TIMEOUT RTLGEN-TIMEOUT-{tag}")')
        out["bench_" + fname] = text
    if verdicts != 1 or ends < 1 or tb_top not in names:
        raise InputError(f"testbench not shaped like VerilogEval's (verdict lines {verdicts}, $finish {ends}, "
                         f"top {tb_top!r}); strict mode cannot score it")
    return Hardened(files=out, top=f"{tb_top}_{suffix}", tag=tag)


def strict_job(hardened: Hardened, dut_source: str) -> Job:
    """Bench first, the DUT last (its directives and unterminated text cannot reach the bench)."""
    return icarus_job({**hardened.files, "dut.sv": dut_source}, hardened.top)


def verdict_strict(result: JobResult, hardened: Hardened) -> Verdict:
    """Pass only on the bench's own tagged verdict: 0 mismatches in > 0 samples, tagged end seen, no kill."""
    killed = killed_category(result)
    if killed:
        return Verdict(False, killed, detail=f"sandbox stopped the run ({result.killed_by.value})")
    if result.killed_by is KilledBy.TIMEOUT:
        return Verdict(False, FC.TIMEOUT.value, detail="wall-clock timeout")
    c_out, c_err, r_out, _ = split_logs(result)
    if len(result.steps) < 2 or result.steps[0].exit_code != 0:
        category = classify_v2_log(c_out + c_err, "")
        return Verdict(False, category if category not in ("pass", "R", "r") else "C", detail="compile failed")
    tag = re.escape(hardened.tag)
    verdicts = re.findall(rf"RTLGEN-VERDICT-{tag} Mismatches: (\d+) in (\d+) samples", r_out)
    ended = re.search(rf"RTLGEN-END-{tag}", r_out) is not None
    if re.search(rf"RTLGEN-TIMEOUT-{tag}", r_out):
        return Verdict(False, FC.TIMEOUT.value, detail="testbench TIMEOUT")
    if len(verdicts) != 1 or not ended:
        return Verdict(False, EvalCategory.NO_VERDICT.value,
                       detail=f"tagged verdicts {len(verdicts)}, testbench end {'seen' if ended else 'not seen'}")
    mism, total = int(verdicts[0][0]), int(verdicts[0][1])
    if total <= 0:
        return Verdict(False, EvalCategory.NO_VERDICT.value, mism, total, "no sample was compared")
    if mism:
        return Verdict(False, FC.MISMATCH.value, mism, total, f"{mism} mismatches in {total} samples")
    return Verdict(True, FC.PASS.value, mism, total, "tagged verdict: 0 mismatches")


def static_verdict(check: DutCheck) -> Verdict | None:
    """The verdict a failed static check decides without simulating (None: go on and simulate)."""
    if check.forbidden:
        return Verdict(False, EvalCategory.FORBIDDEN.value, detail="; ".join(check.forbidden)[:300])
    if check.syntax_errors:
        return Verdict(False, FC.SYNTAX.value, detail="slang: " + ", ".join(check.syntax_errors[:5]))
    return None


__all__ = ["ALLOWED_SYSTEM_NAMES", "Hardened", "check_dut", "combined_log", "static_verdict", "DutCheck", "harden_bench",
           "strict_job", "verdict_strict"]
