"""Stages ``split`` (one sample per module) and ``close`` (each module's dependency closure from its repository).

``split`` outlines each file with pyslang in a bounded worker (``rtlgen.sandbox.bounded``: a macro
bomb or a parser crash costs that file only) behind slang's input-size cap, and cuts it into its
module, package and interface declarations. Each piece keeps the file's *preamble* (the text outside
every declaration: license header, `` `define ``, `` `timescale ``), so macros defined at file level
still work. A module's sample id is ``<file id>::<module>``.

``close`` (whole) looks up, within the same repository, the modules a module instantiates and the
packages and interfaces it uses, transitively, and records their code in ``deps`` (packages first). A
name defined in several files resolves to the one nearest the user's folder. Packages and interfaces
are then dropped as samples (``not_a_module``): they travel as dependencies.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from rtlgen.config import help_
from rtlgen.datasets.sample import Dropped, Sample
from rtlgen.datasets.stage import Stage
from rtlgen.sandbox.bounded import BoundedCallError, BoundedFailure, call_bounded
from rtlgen.sim.slang import MAX_SOURCE_BYTES

_DECLS = {"ModuleDeclaration": "module", "PackageDeclaration": "package", "InterfaceDeclaration": "interface"}


class SplitDrop(enum.StrEnum):
    TOO_LARGE = "too_large"  # over slang's input cap
    PARSE_TIMEOUT = "parse_timeout"  # slang ran past the time bound (a macro bomb)
    PARSE_MEMORY = "parse_memory"  # slang ran past the memory bound
    PARSE_CRASH = "parse_crash"  # slang crashed or gave up (nesting too deep)
    NO_MODULE = "no_module"  # nothing declared (a header, a list of defines)
    NOT_A_MODULE = "not_a_module"  # a package or interface: kept only as a dependency
    CLOSURE_TOO_LARGE = "closure_too_large"


@dataclass(frozen=True)
class SplitOptions:
    timeout_s: float = field(default=10.0, metadata=help_("wall-clock bound of one file's parse (slang's own)"))
    memory_mb: int = field(default=1024, metadata=help_("address-space bound of the parsing worker"))


def _outline_local(text: str) -> list[dict]:
    """Runs in the bounded worker: each top-level declaration's kind, name, span and referenced names."""
    import pyslang

    from rtlgen.sim.slang import _parse

    tree, _manager = _parse(text, "file.sv")
    kinds = pyslang.syntax.SyntaxKind
    root = tree.root
    members = [root] if root.kind.name in _DECLS else list(getattr(root, "members", []))
    inst, scoped, imp, iport = (kinds.HierarchyInstantiation, kinds.ScopedName, kinds.PackageImportItem,
                                kinds.InterfacePortHeader)
    out = []
    for m in members:
        kind = _DECLS.get(m.kind.name)
        if kind is None:
            continue
        start, end = m.sourceRange.start, m.sourceRange.end
        if start.buffer != end.buffer or not 0 <= start.offset < end.offset <= len(text):
            continue  # a declaration made by a macro: no span of its own in the file
        refs: set[str] = set()

        def visit(node, refs=refs):
            k = getattr(node, "kind", None)
            if k == inst:
                refs.add(node.type.valueText)
            elif k == imp:
                refs.add(node.package.valueText)
            elif k == scoped:
                refs.add(str(node.left).strip())
            elif k == iport:
                name = getattr(node, "nameOrKeyword", None)
                if name is not None:
                    refs.add(name.valueText)

        m.visit(visit)
        out.append({"kind": kind, "name": m.header.name.valueText, "start": start.offset, "end": end.offset,
                    "refs": sorted(r for r in refs if r and r.isidentifier())})
    return out


class Split(Stage):
    name = "split"
    Options = SplitOptions
    batch_size = 64

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        out: list[Sample | Dropped] = []
        for s in batch:
            out.extend(self._one(s))
        return out

    def _one(self, s: Sample) -> list[Sample | Dropped]:
        if len(s.code.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
            return [Dropped(s.id, self.name, SplitDrop.TOO_LARGE.value, f"over slang's {MAX_SOURCE_BYTES}-byte cap")]
        try:
            decls = call_bounded(_outline_local, s.code, timeout_s=self.options.timeout_s,
                                 memory_mb=self.options.memory_mb)
        except BoundedCallError as exc:
            reason = {BoundedFailure.TIMEOUT: SplitDrop.PARSE_TIMEOUT, BoundedFailure.MEMORY: SplitDrop.PARSE_MEMORY}.get(
                exc.kind, SplitDrop.PARSE_CRASH)
            return [Dropped(s.id, self.name, reason.value, " ".join(str(exc).split())[:200])]
        except Exception as exc:  # noqa: BLE001 - slang gave up on this text (RuntimeError, RemoteError)
            return [Dropped(s.id, self.name, SplitDrop.PARSE_CRASH.value, " ".join(str(exc).split())[:200])]
        if not decls:
            return [Dropped(s.id, self.name, SplitDrop.NO_MODULE.value, "no module, package or interface declared")]
        preamble = _preamble(s.code, decls)
        out: list[Sample | Dropped] = []
        seen: dict[str, int] = {}
        for d in decls:
            n = seen[d["name"]] = seen.get(d["name"], 0) + 1
            sid = f"{s.id}::{d['name']}" + (f"#{n}" if n > 1 else "")
            code = (preamble + "\n" if preamble.strip() else "") + s.code[d["start"]:d["end"]] + "\n"
            out.append(s.evolve(self.name, id=sid, code=code, top=d["name"],
                                meta={**s.meta, "split": {"kind": d["kind"], "file": s.id, "refs": d["refs"]}}))
        return out


def _preamble(text: str, decls: list[dict]) -> str:
    """``text`` without its declarations (directives, defines, comments that surround them)."""
    parts, pos = [], 0
    for d in sorted(decls, key=lambda d: d["start"]):
        parts.append(text[pos:d["start"]])
        pos = max(pos, d["end"])
    parts.append(text[pos:])
    return "".join(parts).strip("\n")


@dataclass(frozen=True)
class CloseOptions:
    max_deps: int = field(default=64, metadata=help_("most modules/packages in one closure; more is dropped"))
    max_bytes: int = field(default=MAX_SOURCE_BYTES, metadata=help_("largest module plus closure, in bytes"))
    keep_packages: bool = field(default=False, metadata=help_("keep packages and interfaces as samples too"))


class Close(Stage):
    name = "close"
    Options = CloseOptions
    whole = True

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        by_repo: dict[tuple[str, str], list[Sample]] = {}
        for s in batch:
            by_repo.setdefault((_repo(s), s.top), []).append(s)
        out: list[Sample | Dropped] = []
        for s in batch:
            facts = s.meta.get("split", {})
            if facts.get("kind", "module") != "module" and not self.options.keep_packages:
                out.append(Dropped(s.id, self.name, SplitDrop.NOT_A_MODULE.value, f"a {facts.get('kind')}"))
                continue
            out.append(self._close(s, by_repo))
        return out

    def _close(self, s: Sample, by_repo: dict[tuple[str, str], list[Sample]]) -> Sample | Dropped:
        repo, here = _repo(s), os.path.dirname(s.provenance.path)
        found: dict[str, Sample] = {}
        missing: set[str] = set()
        queue = list(s.meta.get("split", {}).get("refs", ()))
        while queue:
            name = queue.pop(0)
            if name in found or name == s.top:
                continue
            options = by_repo.get((repo, name))
            if not options:
                missing.add(name)
                continue
            dep = max(options, key=lambda o: (_shared_prefix(os.path.dirname(o.provenance.path), here), o.id))
            found[name] = dep
            if len(found) > self.options.max_deps:
                return Dropped(s.id, self.name, SplitDrop.CLOSURE_TOO_LARGE.value, f"over {self.options.max_deps} deps")
            queue.extend(dep.meta.get("split", {}).get("refs", ()))
        order = [d for d in found.values() if d.meta.get("split", {}).get("kind") == "package"]
        order.reverse()  # a package found later is usually imported by an earlier one
        order += [d for d in found.values() if d.meta.get("split", {}).get("kind") != "package"]
        deps = tuple(d.code for d in order)
        size = len(s.code) + sum(len(d) for d in deps)
        if size > self.options.max_bytes:
            return Dropped(s.id, self.name, SplitDrop.CLOSURE_TOO_LARGE.value, f"{size} bytes with its closure")
        return s.evolve(self.name, deps=deps, meta={**s.meta, "close": {"deps": [d.id for d in order],
                                                                         "missing": sorted(missing)}})


def _repo(s: Sample) -> str:
    return s.provenance.repo or s.provenance.source


def _shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a.split("/"), b.split("/"), strict=False):
        if x != y:
            break
        n += 1
    return n
