"""pyslang checks: parse + elaborate diagnostics, module names and ports, in a bounded worker process.

About a millisecond of slang for a small module, plus ~0.1 ms to reach a warm worker (the first
call in a process starts one, ~0.3 s), so the agent can check every draft before simulating::

    from rtlgen.sim.slang import parse_diagnostics, module_names, module_ports
    for d in parse_diagnostics(text):
        print(f"{d.line}:{d.column}: {d.severity}: {d.message}")

Safe on untrusted text. Nothing is run: slang only parses and elaborates. Left alone, slang *would*
read any host file named by `` `include "/etc/passwd" `` and quote it back in its diagnostics, so the
preprocessor runs with ``maxIncludeDepth = 0``: an include is an error and the file is never opened.
Each call uses a fresh SourceManager (the global default one only grows). Elaboration is bounded by
slang's own limits (``maxGenerateSteps``, ...), and nesting past the parser's depth limit comes back
as one "fatal" diagnostic. What slang does *not* bound, nested macro expansion (`` `define A(x) x x ``
applied 30 deep grows exponentially) and C-stack depth in elaboration (it segfaults), is why every
call runs in ``rtlgen.sandbox.bounded.call_bounded``: at most ``TIMEOUT_S`` seconds and ``MEMORY_MB``
MiB, and a crash costs that call only. Text over ``MAX_SOURCE_BYTES`` is refused without parsing. A
call that does not finish gives one "fatal" ``ParseAborted`` diagnostic (``parse_diagnostics``) or
an ``InputError`` (``module_names``, ``module_ports``) with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtlgen.errors import InputError
from rtlgen.sandbox.bounded import BoundedCallError, BoundedFailure, call_bounded

_MAX_DIAGNOSTICS = 50  # a model never needs more, and a broken file can produce thousands
MAX_SOURCE_BYTES = 1_000_000  # real designs are a few kB, a whole benchmark's testbench ~100 kB; more is a bomb
TIMEOUT_S = 10.0  # a 1 MB design parses and elaborates in well under a second
MEMORY_MB = 1024  # the same 1 MB design needs ~100 MB; a macro bomb hits this within seconds


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
    reason = _refusal(text)
    if reason is None:
        try:
            return call_bounded(_parse_diagnostics_local, text, filename, limit, timeout_s=TIMEOUT_S,
                                memory_mb=MEMORY_MB)
        except BoundedCallError as exc:
            reason = _failure_reason(exc)
    return [Diagnostic("fatal", 0, 0, f"slang could not parse this text: {reason}", "ParseAborted")]


def _parse_diagnostics_local(text: str, filename: str, limit: int) -> list[Diagnostic]:
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
    return _bounded(_module_names_local, text)


def module_ports(text: str, module: str) -> list[Port]:
    """Ports of ``module`` in declaration order, widths elaborated with default parameters."""
    return _bounded(_module_ports_local, text, module)


def _bounded(fn, text: str, *args):
    """``fn(text, *args)`` in a bounded worker; any way it fails to finish is an ``InputError``."""
    reason = _refusal(text)
    if reason is None:
        try:
            return call_bounded(fn, text, *args, timeout_s=TIMEOUT_S, memory_mb=MEMORY_MB)
        except BoundedCallError as exc:
            reason = _failure_reason(exc)
    raise InputError(f"slang could not parse the design: {reason}")


def _refusal(text: str) -> str | None:
    """Why ``text`` is not even handed to slang, or None."""
    size = len(text) if len(text) > MAX_SOURCE_BYTES else len(text.encode("utf-8", "replace"))
    if size > MAX_SOURCE_BYTES:
        return f"it is over {MAX_SOURCE_BYTES} bytes (MAX_SOURCE_BYTES), far more than any design; not parsed"
    return None


def _failure_reason(exc: BoundedCallError) -> str:
    if exc.kind is BoundedFailure.TIMEOUT:
        return f"slang took longer than {TIMEOUT_S:g} s on it (a macro expansion bomb?)"
    if exc.kind is BoundedFailure.MEMORY:
        return f"slang needed more than {MEMORY_MB} MiB for it (a macro expansion bomb?)"
    if exc.kind is BoundedFailure.CRASH:
        return f"slang crashed on it (nesting too deep?): {exc}"
    return str(exc)


def _module_names_local(text: str) -> list[str]:
    pyslang = _pyslang()
    try:
        tree, _manager = _parse(text, "design.sv")
    except RuntimeError as exc:
        raise InputError(f"slang could not parse the design: {exc}") from exc
    kind = pyslang.syntax.SyntaxKind.ModuleDeclaration
    root = tree.root  # a lone module parses as the root itself, several as a CompilationUnit
    members = [root] if root.kind == kind else list(getattr(root, "members", []))
    return [m.header.name.valueText for m in members if m.kind == kind]


def _module_ports_local(text: str, module: str) -> list[Port]:
    names = _module_names_local(text)
    if module not in names:
        raise InputError(f"module {module!r} is not declared in the given text; found: "
                         f"{', '.join(names) or 'no modules'}")
    _tree, comp, _manager = _compile(text, "design.sv", top=module)
    for inst in comp.getRoot().topInstances:
        if inst.name == module:
            return [Port(p.name, _DIRECTIONS.get(p.direction.name, p.direction.name.lower()), int(p.type.bitWidth))
                    for p in inst.body.portList if hasattr(p, "direction")]
    raise InputError(f"module {module!r} could not be elaborated as a top module (see parse_diagnostics)")


_DIRECTIONS = {"In": "input", "Out": "output", "InOut": "inout", "Ref": "ref"}
