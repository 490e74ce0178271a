"""The judge's static check of a design: what it may not contain, checked on the exact text compiled.

The text checked here is the design after the simulator's own preprocessor (``rtlgen.sim.judge.
preprocess``): macros, conditional compilation on the tool's predefined macros and every other
directive are already resolved, so slang sees the bytes the simulator will compile. Rules:

* no directive but `` `timescale `` and `` `default_nettype `` survives preprocessing;
* system tasks and functions only from ``ALLOWED_SYSTEM_NAMES``: formatting, maths, types. Nothing that
  ends or stops the simulation, touches files, the host or plusargs, reads or changes state the bench
  shares (``$random`` and friends draw from the bench's global random stream; ``$time`` lets a design
  replay memorised answers; ``$timeformat`` and ``$monitor`` are global), or runs C (Verilator's ``$c``);
* no ``$root``/``$unit``, ``bind``, configs, DPI, ``final`` blocks, ``force``/``release``, ``defparam``,
  programs, classes, checkers;
* no dotted name whose first part the design does not declare, no call or ``disable`` of a name it
  does not declare (Verilog resolves those upward, into the bench), no instance of a module it does
  not define (``RefModule``);
* the top module's port directions agree with the reference's, when there is one, and no ``inout``:
  a design that drives its inputs could drive the reference's inputs to x and make every bit a don't-care.

``check_design`` runs pyslang, so callers run it in a bounded worker (``rtlgen.sandbox.bounded``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rtlgen.sim.judge.lexing import skip_trivia

ALLOWED_SYSTEM_NAMES = frozenset("""
$display $displayb $displayh $displayo $write $writeb $writeh $writeo $strobe $strobeb $strobeh $strobeo
$sformat $sformatf $swrite $info $warning $error
$signed $unsigned $clog2 $bits $size $high $low $left $right $increment $dimensions $unpacked_dimensions
$countones $countbits $onehot $onehot0 $isunknown
$rtoi $itor $realtobits $bitstoreal $shortrealtobits $bitstoshortreal $cast $typename
$ln $log10 $exp $sqrt $pow $floor $ceil $sin $cos $tan $asin $acos $atan $atan2 $hypot $sinh $cosh $tanh
$past $rose $fell $stable $changed
""".split())
ALLOWED_DIRECTIVES = frozenset({"timescale", "default_nettype"})
_FORBIDDEN_KINDS = {
    "RootScope": "$root", "UnitScope": "$unit", "BindDirective": "bind", "DPIImport": "DPI import",
    "DPIExport": "DPI export", "ConfigDeclaration": "config", "FinalBlock": "final block",
    "ProceduralForceStatement": "force", "ProceduralReleaseStatement": "release", "DefParam": "defparam",
    "ProgramDeclaration": "program", "ClassDeclaration": "class", "CheckerDeclaration": "checker",
}
_HEADER_KINDS = {"ModuleHeader", "PackageHeader", "InterfaceHeader", "ProgramHeader"}


@dataclass(frozen=True)
class PortInfo:
    name: str
    direction: str  # "In", "Out", "InOut", "Ref"
    width: int


@dataclass(frozen=True)
class StaticReport:
    syntax_errors: tuple[str, ...]  # slang parse errors: what slang cannot parse, it cannot vouch for
    forbidden: tuple[str, ...]  # why the design may not be simulated
    modules: tuple[str, ...]  # modules the design defines
    ports: tuple[PortInfo, ...] | None  # of the top module, when it elaborates

    @property
    def ok(self) -> bool:
        return not self.syntax_errors and not self.forbidden


def directives(text: str) -> list[str]:
    """Names of the compiler directives in ``text`` outside comments and strings (one linear scan)."""
    found: list[str] = []
    i, n = 0, len(text)
    while i < n:
        skipped = skip_trivia(text, i)
        if skipped is not None:
            i = skipped
        elif text[i] == "`":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            found.append(text[i + 1:j] or "`")
            i = j
        else:
            i += 1
    return found


def _walk(tree) -> tuple[set[str], set[str], list[tuple[str, str]], list[str], list[str], list[str]]:
    """(declared names, defined modules, [(instantiated type, text)], dotted leftmost names, forbidden, calls)."""
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
        elif name == "TypedefDeclaration":
            declared.add(node.name.valueText)
        elif name == "UdpDeclaration":
            modules.add(node.name.valueText)
        elif kind == sk.GenerateBlock and node.beginName is not None:
            declared.add(node.beginName.name.valueText)
        elif kind == sk.FunctionPrototype and getattr(node.name, "kind", None) == sk.IdentifierName:
            declared.add(node.name.identifier.valueText)
        elif kind == sk.InvocationExpression and getattr(node.left, "kind", None) == sk.IdentifierName:
            calls.append(node.left.identifier.valueText)
        elif kind == sk.ExpressionStatement and getattr(node.expr, "kind", None) == sk.IdentifierName:
            calls.append(node.expr.identifier.valueText)  # a task enable without parentheses
        elif name == "DisableStatement" and getattr(node.name, "kind", None) == sk.IdentifierName:
            calls.append(node.name.identifier.valueText)
        elif kind == sk.HierarchyInstantiation:
            insts.append((node.type.valueText, str(node).strip()[:80]))
        elif kind == sk.ScopedName:
            left = node
            while getattr(left, "kind", None) == sk.ScopedName:
                left = left.left
            if getattr(left, "kind", None) not in (sk.RootScope, sk.UnitScope):
                dotted.append(left.getFirstToken().valueText)
            else:
                forbidden.append(_FORBIDDEN_KINDS[left.kind.name])
            return False  # inner ScopedNames share the same leftmost part
        elif kind == sk.SystemName:
            forbidden.append(node.systemIdentifier.valueText)
        if name in _FORBIDDEN_KINDS:
            forbidden.append(_FORBIDDEN_KINDS[name])
        return True

    tree.root.visit(visit)
    return declared, modules, insts, dotted, forbidden, calls


def _top_ports(tree, top: str) -> tuple[PortInfo, ...] | None:
    import pyslang

    options = pyslang.ast.CompilationOptions()
    options.topModules = {top}
    comp = pyslang.ast.Compilation(pyslang.Bag([options]))
    comp.addSyntaxTree(tree)
    for inst in comp.getRoot().topInstances:
        if inst.name == top:
            return tuple(PortInfo(p.name, p.direction.name, int(p.type.bitWidth))
                         for p in inst.body.portList if hasattr(p, "direction"))
    return None


def check_design(text: str, top: str | None = None) -> StaticReport:
    """Why ``text`` (preprocessed) may not be simulated under the judge; ``top``: report its ports too."""
    import pyslang

    problems: list[str] = []
    for name in dict.fromkeys(directives(text)):
        if name not in ALLOWED_DIRECTIVES:
            problems.append(f"compiler directive `{name} is not allowed in the design")
    options = pyslang.parsing.PreprocessorOptions()
    options.maxIncludeDepth = 0
    manager = pyslang.SourceManager()
    try:
        tree = pyslang.syntax.SyntaxTree.fromText(text, manager, "design.sv", "", pyslang.Bag([options]))
    except RuntimeError as exc:
        return StaticReport((f"slang gave up: {exc or 'nesting too deep'}",), tuple(problems), (), None)
    errors = tuple(str(d.code).removeprefix("DiagCode(").rstrip(")") for d in tree.diagnostics if d.isError())
    declared, modules, insts, dotted, forbidden, calls = _walk(tree)
    for sysname in forbidden:
        if sysname.startswith("$") and sysname in ALLOWED_SYSTEM_NAMES:
            continue
        problems.append(f"{sysname} is not allowed in the design")
    for name in calls:
        if name not in declared:
            problems.append(f"call or disable of '{name}', which the design does not declare (it would resolve upward)")
    for name in dotted:
        if name not in declared:
            problems.append(f"hierarchical reference through '{name}', which the design does not declare")
    for type_name, snippet in insts:
        if type_name not in modules:
            problems.append(f"instance of module '{type_name}', which the design does not define: {snippet}")
    ports = None
    if top and top in modules and not errors:
        try:
            ports = _top_ports(tree, top)
        except RuntimeError:
            ports = None
    return StaticReport(errors, tuple(dict.fromkeys(problems)), tuple(sorted(modules)), ports)


def port_problems(ports: tuple[PortInfo, ...] | None, reference: tuple[PortInfo, ...] | None) -> list[str]:
    """Directions that disagree with the reference's, and any inout (see the module docstring)."""
    if ports is None:
        return []
    problems = [f"port '{p.name}' is inout; the judge accepts only inputs and outputs" for p in ports
                if p.direction in ("InOut", "Ref")]
    if reference is not None:
        want = {p.name: p.direction for p in reference}
        problems += [f"port '{p.name}' is {p.direction.lower()}put here but {want[p.name].lower()}put in the "
                     "reference" for p in ports if p.name in want and want[p.name] != p.direction]
    return problems


def check_batch(designs: list[tuple[str, str | None]], references: list[tuple[str, str]]
                ) -> tuple[list[StaticReport], list[tuple[PortInfo, ...] | None]]:
    """``check_design`` of each (text, top) and ``reference_ports`` of each (text, top) in one call, so that one
    bounded worker serves a whole batch (its start and each round trip cost more than slang's own work)."""
    ports = []
    for text, top in references:
        try:
            ports.append(reference_ports(text, top))
        except RuntimeError:
            ports.append(None)
    return [check_design(text, top) for text, top in designs], ports


def reference_ports(text: str, top: str) -> tuple[PortInfo, ...] | None:
    """Ports of a trusted reference module (its text may hold other modules and a testbench)."""
    import pyslang

    options = pyslang.parsing.PreprocessorOptions()
    options.maxIncludeDepth = 0
    tree = pyslang.syntax.SyntaxTree.fromText(text, pyslang.SourceManager(), "ref.sv", "", pyslang.Bag([options]))
    try:
        return _top_ports(tree, top)
    except RuntimeError:
        return None
