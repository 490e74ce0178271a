"""The lexical scopes of a design, as the simulator resolves a name in them (``static``'s scope rules).

A call, a ``disable`` or a dotted name that no scope around its use declares is looked up upward, through the
instance tree, into the bench: ``static.check_design`` refuses it. ``Scopes`` records what each scope declares
(by ``Kind``: Icarus looks a call up among tasks and functions only) and which packages it imports;
``resolves`` answers for one use. ``generate_item`` says which syntax nodes are generate items (genblkN).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Kind(enum.Enum):
    """What a declared name is, as far as resolving a call or a dotted name needs to know."""

    SUBROUTINE = "subroutine"  # a task or a function
    BLOCK = "block"  # a named block, a labelled statement or generate block
    OTHER = "other"  # a variable, net, parameter, instance or type
    MODULE = "module"  # a module or interface definition: no lookup from inside the design reaches one by name
    PACKAGE = "package"  # the only thing a name::... reference may start with


CALL = frozenset({Kind.SUBROUTINE})
DISABLE = frozenset({Kind.SUBROUTINE, Kind.BLOCK})
DOTTED = frozenset({Kind.SUBROUTINE, Kind.BLOCK, Kind.OTHER})
PACKAGED = frozenset({Kind.PACKAGE})
AS_WHAT = {CALL: " as a task or function", DISABLE: " as a block, task or function", DOTTED: "",
           PACKAGED: " as a package"}  # how a refusal names what the use looks for
# nodes that open a lexical scope; their names (a module's, a task's, a block's) belong to the scope around them
SCOPE_KINDS = {"ModuleDeclaration", "InterfaceDeclaration", "PackageDeclaration", "FunctionDeclaration",
                "TaskDeclaration", "SequentialBlockStatement", "ParallelBlockStatement", "GenerateBlock",
                "ForLoopStatement", "ForeachLoopStatement"}  # a loop's own variables live in the loop
# each item of a generate if/case/for is a scope of its own (genblkN), with or without begin/end
_GENERATES = {"IfGenerate", "LoopGenerate"}
_GENERATE_CLAUSES = {"ElseClause": "IfGenerate", "StandardCaseItem": "CaseGenerate", "DefaultCaseItem": "CaseGenerate"}


def generate_item(node) -> bool:
    """Whether ``node`` is an item of a generate if/case/for: a scope of its own, with or without begin/end."""
    parent = node.parent
    if parent is None:
        return False
    kind = parent.kind.name
    if kind in _GENERATES:
        return True
    outer = _GENERATE_CLAUSES.get(kind)
    return outer is not None and parent.parent is not None and parent.parent.kind.name == outer


@dataclass
class Scopes:
    """The design's lexical scopes: scope 0 is the compilation unit (modules, packages and what they declare:
    nothing there can reach the bench), every other one a module, task, function, block or generate block."""

    parent: list[int] = field(default_factory=lambda: [-1])
    names: list[dict[str, set[Kind]]] = field(default_factory=lambda: [{}])
    imports: list[list[tuple[str, str, int]]] = field(default_factory=lambda: [[]])  # (package, item or "*", offset)
    packages: dict[str, int] = field(default_factory=dict)  # package name -> its scope
    generated: set[int] = field(default_factory=set)  # scopes of generate items (genblkN)

    def open(self, parent: int) -> int:
        self.parent.append(parent)
        self.names.append({})
        self.imports.append([])
        return len(self.parent) - 1

    def declare(self, scope: int, name: str, kind: Kind) -> None:
        self.names[scope].setdefault(name, set()).add(kind)

    def _declares(self, scope: int, name: str, kinds: frozenset[Kind]) -> bool:
        return bool(self.names[scope].get(name, set()) & kinds)

    def resolves(self, scope: int, name: str, kinds: frozenset[Kind], at: int) -> bool:
        """Whether ``name``, used at offset ``at``, is declared as one of ``kinds`` in ``scope`` or a scope around
        it, or imported there from a package that declares it. As Icarus resolves: a call looks for a task or
        function (a variable of the task's name does not stop it reaching the bench's task); an import counts
        only before the use, a wildcard one only in a scope that declares nothing of the name and never at
        compilation-unit level (Icarus 11 does not apply those inside modules)."""
        while scope >= 0:
            if self._declares(scope, name, kinds):
                return True
            declared_here = name in self.names[scope]
            for package, item, offset in self.imports[scope]:
                wildcard = item == "*"
                if offset < at and item in ("*", name) and package in self.packages \
                        and not (wildcard and (declared_here or scope == 0)) \
                        and self._declares(self.packages[package], name, kinds):
                    return True
            scope = self.parent[scope]
        return False


__all__ = ["AS_WHAT", "CALL", "DISABLE", "DOTTED", "Kind", "PACKAGED", "SCOPE_KINDS", "Scopes", "generate_item"]
