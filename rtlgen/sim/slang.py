"""pyslang in-process: parse + elaborate diagnostics, module names and ports, no process started.

About a millisecond for a small module, so the agent can check every draft before simulating::

    from rtlgen.sim.slang import parse_diagnostics, module_names, module_ports
    for d in parse_diagnostics(text):
        print(f"{d.line}:{d.column}: {d.severity}: {d.message}")

Safe on untrusted text: slang only parses and elaborates and nothing is run. Left alone, slang
*would* read any host file named by `` `include "/etc/passwd" `` in-process and quote it back in its
diagnostics, so the preprocessor runs with ``maxIncludeDepth = 0``: an include is an error and the
file is never opened. Each call uses a fresh SourceManager (the global default one only grows).
Elaboration of a hostile design is bounded by slang's own limits (``maxGenerateSteps``, ...), and
nesting past the parser's depth limit comes back as one "fatal" diagnostic, not an exception.
Not bounded: nested macro expansion (`` `define A(x) x x `` applied 30 deep) grows exponentially in
time and memory in this process; callers facing adversarial text at scale should cap input size or
use the sandboxed ``rtlgen.sim.icarus.syntax_check`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtlgen.errors import InputError

_MAX_DIAGNOSTICS = 50  # a model never needs more, and a broken file can produce thousands


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error", "warning", "note", "fatal", "ignored"
    line: int  # 1-based; 0 when slang gives no location
    column: int  # 1-based
    message: str  # slang's text for it, one line, e.g. "use of undeclared identifier 'b'"
    code: str  # slang's diagnostic name, e.g. "UndeclaredIdentifier"

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class Port:
    name: str
    direction: str  # "input", "output", "inout", "ref"
    width: int  # bits, with parameters at their defaults


def _pyslang():
    try:
        import pyslang
    except ImportError as exc:  # a core dependency, but say what to do when it is missing
        raise InputError("pyslang is not installed: pip install pyslang") from exc
    return pyslang


INCLUDE_MESSAGE = "`include is not allowed: put the included text in the file itself"


def _parse(text: str, filename: str):
    pyslang = _pyslang()
    options = pyslang.parsing.PreprocessorOptions()
    options.maxIncludeDepth = 0  # never open a file named by `include (see the module docstring)
    manager = pyslang.SourceManager()  # the caller must keep it alive as long as the tree: it owns the text
    try:
        return pyslang.syntax.SyntaxTree.fromText(text, manager, filename, "", pyslang.Bag([options])), manager
    except RuntimeError as exc:
        raise RuntimeError(str(exc) or "nesting deeper than slang's limit") from exc


def _compile(text: str, filename: str, top: str | None = None):
    pyslang = _pyslang()
    tree, manager = _parse(text, filename)
    if top is None:
        comp = pyslang.ast.Compilation()
    else:
        options = pyslang.ast.CompilationOptions()
        options.topModules = {top}
        comp = pyslang.ast.Compilation(pyslang.Bag([options]))
    comp.addSyntaxTree(tree)
    return tree, comp, manager


def parse_diagnostics(text: str, filename: str = "design.sv", *, limit: int = _MAX_DIAGNOSTICS) -> list[Diagnostic]:
    """Syntax and elaboration diagnostics of ``text`` in source order (warnings included)."""
    pyslang = _pyslang()
    try:
        tree, comp, sm = _compile(text, filename)
    except RuntimeError as exc:  # slang gives up on pathological input (nesting past its depth limit)
        return [Diagnostic("fatal", 0, 0, f"slang could not parse this text: {exc or 'nesting too deep'}",
                           "ParseAborted")]
    engine = pyslang.DiagnosticEngine(sm)
    out: list[Diagnostic] = []
    for diag in comp.getAllDiagnostics():
        severity = engine.getSeverity(diag.code, diag.location)
        sev = severity.name.lower()
        if sev == "ignored":
            continue
        loc = diag.location
        try:
            line, column = sm.getLineNumber(loc), sm.getColumnNumber(loc)
        except Exception:  # a diagnostic with no location (slang gives NoLocation)
            line = column = 0
        code = _code_name(diag.code)
        message = INCLUDE_MESSAGE if code == "ExceededMaxIncludeDepth" else " ".join(engine.formatMessage(diag).split())
        out.append(Diagnostic(sev, int(line), int(column), message, code))
        if len(out) >= limit:
            break
    return out


def _code_name(code) -> str:
    text = str(code)  # "DiagCode(UndeclaredIdentifier)"
    return text[text.find("(") + 1:text.rfind(")")] if "(" in text else text


def errors(text: str, filename: str = "design.sv") -> list[Diagnostic]:
    return [d for d in parse_diagnostics(text, filename) if d.severity in ("error", "fatal")]


def module_names(text: str) -> list[str]:
    """Names of the modules declared in ``text``, in order (syntax only: works on broken designs)."""
    pyslang = _pyslang()
    try:
        tree, _manager = _parse(text, "design.sv")
    except RuntimeError as exc:
        raise InputError(f"slang could not parse the design: {exc}") from exc
    kind = pyslang.syntax.SyntaxKind.ModuleDeclaration
    root = tree.root  # a lone module parses as the root itself, several as a CompilationUnit
    members = [root] if root.kind == kind else list(getattr(root, "members", []))
    return [m.header.name.valueText for m in members if m.kind == kind]


def module_ports(text: str, module: str) -> list[Port]:
    """Ports of ``module`` in declaration order, widths elaborated with default parameters."""
    if module not in module_names(text):
        raise InputError(f"module {module!r} is not declared in the given text; found: "
                         f"{', '.join(module_names(text)) or 'no modules'}")
    _tree, comp, _manager = _compile(text, "design.sv", top=module)
    for inst in comp.getRoot().topInstances:
        if inst.name == module:
            return [Port(p.name, _DIRECTIONS.get(p.direction.name, p.direction.name.lower()), int(p.type.bitWidth))
                    for p in inst.body.portList if hasattr(p, "direction")]
    raise InputError(f"module {module!r} could not be elaborated as a top module (see parse_diagnostics)")


_DIRECTIONS = {"In": "input", "Out": "output", "InOut": "inout", "Ref": "ref"}
