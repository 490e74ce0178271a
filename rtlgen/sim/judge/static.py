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
  programs, classes, checkers, extern modules;
* no dotted name whose first part, and no call or ``disable`` of a name, that the design does not declare
  in a scope around the use (Verilog resolves those upward through the instance tree, into the bench):
  scopes as the simulator sees them, so a decoy declared elsewhere (another module, another function's
  argument) does not count, and a call counts only a task or function of its name (Icarus passes over a
  variable of the name and reaches the bench's task; the scope model is ``rtlgen.sim.judge.scopes``); no
  instance of a module it does not define (``RefModule``);
* the top module's port directions agree with the reference's, when there is one, and no ``inout``:
  a design that drives its inputs could drive the reference's inputs to x and make every bit a don't-care.

``check_design`` runs pyslang, so callers run it in a bounded worker (``rtlgen.sandbox.bounded``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rtlgen.sim.judge.lexing import skip_trivia
from rtlgen.sim.judge.scopes import AS_WHAT, CALL, DISABLE, DOTTED, PACKAGED, SCOPE_KINDS, Kind, Scopes, generate_item

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
    "ExternModuleDecl": "extern module", "ExternUdpDecl": "extern primitive",
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
        elif text[i] == "\\":  # an escaped identifier runs to white space: \q" is a name, not a string's start
            while i < n and not text[i].isspace():
                i += 1
        elif text[i] == "`":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            found.append(text[i + 1:j] or "`")
            i = j
        else:
            i += 1
    return found


@dataclass
class _Walk:
    scopes: Scopes = field(default_factory=Scopes)
    modules: set[str] = field(default_factory=set)
    insts: list[tuple[str, str]] = field(default_factory=list)  # (instantiated type, text)
    uses: list[tuple[int, str, frozenset[Kind], int, str]] = field(default_factory=list)  # scope, name, kinds, at, why
    forbidden: list[str] = field(default_factory=list)


def _walk(tree) -> _Walk:
    """One preorder pass over the syntax tree. Nodes come in source order, so the open scopes are a stack:
    a scope is closed when a node starts at or after its end."""
    from pyslang import syntax

    sk = syntax.SyntaxKind
    out = _Walk()
    stack: list[tuple[int, int]] = [(0, 1 << 62)]  # (scope, end offset)

    def call(name: str, kinds: frozenset[Kind], what: str, at: int) -> None:
        out.uses.append((stack[-1][0], name, kinds, at, f"{what} '{name}', which the design does not declare"
                         f"{AS_WHAT[kinds]} in a scope around it (it would resolve upward, into the bench)"))

    def visit(node) -> bool:
        if not isinstance(node, syntax.SyntaxNode):
            return True  # a token
        kind = node.kind
        name = kind.name
        start = node.sourceRange.start.offset
        while start >= stack[-1][1]:
            stack.pop()
        here = stack[-1][0]
        if generate_item(node):
            here = out.scopes.open(here)
            out.scopes.generated.add(here)
            stack.append((here, node.sourceRange.end.offset))
        # a block's label and a task's name belong to the scope around the one their parent opened
        owner = out.scopes.parent[here] if here and getattr(node.parent, "kind", sk.Unknown).name in SCOPE_KINDS else here
        if name in SCOPE_KINDS:
            stack.append((out.scopes.open(here), node.sourceRange.end.offset))
        elif name in _HEADER_KINDS:
            out.modules.add(node.name.valueText)
            package = name == "PackageHeader"
            out.scopes.declare(0, node.name.valueText, Kind.PACKAGE if package else Kind.MODULE)
            if package:
                out.scopes.packages[node.name.valueText] = here
        elif name == "PackageImportItem":
            out.scopes.imports[here].append((node.package.valueText, node.item.valueText, start))
        elif kind in (sk.NamedBlockClause, sk.NamedLabel):
            if getattr(node.parent, "kind", None) == sk.GenerateBlock:  # seen from outside its if/case/for
                while owner in out.scopes.generated:
                    owner = out.scopes.parent[owner]
                if not len(node.parent.members):  # Verilator drops an empty generate block: no scope to find
                    return True
            out.scopes.declare(owner, node.name.valueText, Kind.BLOCK)
        elif kind == sk.FunctionPrototype and getattr(node.name, "kind", None) == sk.IdentifierName:
            out.scopes.declare(owner, node.name.identifier.valueText, Kind.SUBROUTINE)
        elif kind in (sk.Declarator, sk.InstanceName) or name == "TypedefDeclaration":
            if getattr(node.parent, "kind", None) != sk.StructUnionMember:  # a field names no scope: s.stim is s's
                out.scopes.declare(here, node.name.valueText, Kind.OTHER)
        elif name == "UdpDeclaration":
            out.modules.add(node.name.valueText)
        elif kind == sk.InvocationExpression and getattr(node.left, "kind", None) == sk.IdentifierName:
            call(node.left.identifier.valueText, CALL, "call of", start)
        elif kind == sk.ExpressionStatement and getattr(node.expr, "kind", None) == sk.IdentifierName:
            call(node.expr.identifier.valueText, CALL, "call of", start)  # a task enable without parentheses
        elif name == "DisableStatement" and getattr(node.name, "kind", None) == sk.IdentifierName:
            call(node.name.identifier.valueText, DISABLE, "disable of", start)
        elif kind == sk.HierarchyInstantiation:
            out.insts.append((node.type.valueText, str(node).strip()[:80]))
        elif kind == sk.ScopedName:
            left, separator = node, None
            while getattr(left, "kind", None) == sk.ScopedName:
                left, separator = left.left, left.separator.kind.name
            if getattr(left, "kind", None) not in (sk.RootScope, sk.UnitScope):
                packaged = separator == "DoubleColon"
                call(left.getFirstToken().valueText, PACKAGED if packaged else DOTTED,
                     "reference to package" if packaged else "hierarchical reference through", start)
            else:
                out.forbidden.append(_FORBIDDEN_KINDS[left.kind.name])
            return False  # inner ScopedNames share the same leftmost part
        elif kind == sk.MemberAccessExpression:  # (a).b: Verilator reads it as the dotted name a.b
            left = node.left
            while getattr(left, "kind", None) == sk.ParenthesizedExpression:
                left = left.expression
            if getattr(left, "kind", None) in (sk.IdentifierName, sk.IdentifierSelectName):
                call(left.getFirstToken().valueText, DOTTED, "hierarchical reference through", start)
        elif kind == sk.SystemName:
            out.forbidden.append(node.systemIdentifier.valueText)
        if name in _FORBIDDEN_KINDS:
            out.forbidden.append(_FORBIDDEN_KINDS[name])
        return True

    tree.root.visit(visit)
    return out


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
    walk = _walk(tree)
    for sysname in walk.forbidden:
        if sysname.startswith("$") and sysname in ALLOWED_SYSTEM_NAMES:
            continue
        problems.append(f"{sysname} is not allowed in the design")
    problems += [why for scope, name, kinds, at, why in walk.uses if not walk.scopes.resolves(scope, name, kinds, at)]
    for type_name, snippet in walk.insts:
        if type_name not in walk.modules:
            problems.append(f"instance of module '{type_name}', which the design does not define: {snippet}")
    ports = None
    if top and top in walk.modules and not errors:
        try:
            ports = _top_ports(tree, top)
        except RuntimeError:
            ports = None
    return StaticReport(errors, tuple(dict.fromkeys(problems)), tuple(sorted(walk.modules)), ports)


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
