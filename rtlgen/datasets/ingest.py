"""Stage ``ingest``: read each listed file under caps, inline its includes from its own repository, check its license.

Input: the stubs and records of ``rtlgen.datasets.sources``. Output: one sample per file with its text,
or a drop with one of ``IngestDrop``'s reasons. A file is read only when its real path lies inside its
source tree (a symlink pointing out is refused unread), only when it is a regular file, and never past
``max_bytes`` (a 100 MB file costs one ``stat``). `` `include "x" `` is replaced by the text of ``x``
found in the including file's folder or elsewhere in the same repository (nearest folder first), with
the same checks, a depth limit, loop detection and a cap on the expanded size.
"""

from __future__ import annotations

import enum
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rtlgen.config import help_
from rtlgen.datasets.licenses import LicensePolicy, LicenseVerdict, spdx_from_header
from rtlgen.datasets.sample import Dropped, Sample
from rtlgen.datasets.sources import walk_files
from rtlgen.datasets.stage import Stage

_INCLUDE = re.compile(r'^[ \t]*`include[ \t]+["<]([^">\n]{1,400})[">]', re.MULTILINE)
_HEADER_SUFFIXES = (".v", ".sv", ".vh", ".svh", ".h", ".inc", ".svi", ".pkg", ".vinc")
_SNIFF = 8192  # bytes looked at for a NUL: text files have none


class IngestDrop(enum.StrEnum):
    KIND_EXCLUDED = "kind_excluded"  # a manifest row of a kind the source does not take (testbench, include)
    BAD_RECORD = "bad_record"  # a JSONL/dataset row without text code
    SYMLINK_ESCAPE = "symlink_escape"  # a link pointing out of the source tree
    NOT_A_FILE = "not_a_file"  # a FIFO, device, folder or vanished file
    TOO_LARGE = "too_large"  # over max_bytes, before or after includes
    BINARY = "binary"  # holds NUL bytes
    NOT_UTF8 = "not_utf8"
    EMPTY = "empty"
    INCLUDE_MISSING = "include_missing"
    INCLUDE_LOOP = "include_loop"
    INCLUDE_DEPTH = "include_depth"
    LICENSE_RESTRICTED = "license_restricted"
    LICENSE_UNKNOWN = "license_unknown"


@dataclass(frozen=True)
class IngestOptions:
    max_bytes: int = field(default=1_000_000, metadata=help_(
        "largest file (and expanded file) taken; slang's own input cap is 1 MB"))
    include_depth: int = field(default=16, metadata=help_("deepest chain of nested includes"))
    drop_missing_includes: bool = field(default=True, metadata=help_(
        "drop a file whose include is not in its repository (it cannot compile); false keeps the include line"))
    licenses: LicensePolicy = field(default_factory=LicensePolicy, metadata=help_("which licenses are accepted"))


class _Refused(Exception):
    def __init__(self, reason: IngestDrop, detail: str = "") -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def read_inside(path: Path, root: Path, cap: int) -> bytes:
    """The bytes of ``path`` if its real path is a regular file inside ``root`` and at most ``cap`` bytes."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    if not real.startswith(top + os.sep):
        raise _Refused(IngestDrop.SYMLINK_ESCAPE, "resolves outside its source tree; not read")
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise _Refused(IngestDrop.NOT_A_FILE, exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Refused(IngestDrop.NOT_A_FILE, "not a regular file")
        if st.st_size > cap:
            raise _Refused(IngestDrop.TOO_LARGE, f"{st.st_size} bytes, over max_bytes={cap}")
        chunks, left = [], cap + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > cap:  # it grew since the stat
        raise _Refused(IngestDrop.TOO_LARGE, f"over max_bytes={cap}")
    return data


def decode(data: bytes) -> str:
    if b"\0" in data[:_SNIFF] or b"\0" in data:
        raise _Refused(IngestDrop.BINARY, "holds NUL bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Refused(IngestDrop.NOT_UTF8, f"byte {exc.start} is not UTF-8") from None


class Ingest(Stage):
    name = "ingest"
    Options = IngestOptions
    batch_size = 128

    def __init__(self, options: IngestOptions, ctx) -> None:
        super().__init__(options, ctx)
        self._trees: dict[str, dict[str, list[str]]] = {}  # repo root -> file name -> relative paths

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        return [self._one(s) for s in batch]

    def _one(self, stub: Sample) -> Sample | Dropped:
        facts = dict(stub.meta.get("ingest", {}))
        try:
            if facts.get("excluded"):
                raise _Refused(IngestDrop.KIND_EXCLUDED, f"kind {facts.get('kind')!r}")
            if facts.get("bad"):
                raise _Refused(IngestDrop.BAD_RECORD, str(facts["bad"]))
            includes: list[str] = []
            if "file" in facts:
                root = Path(facts["root"])
                path = Path(facts["file"])
                text = decode(read_inside(path, root, self.options.max_bytes))
                text = self._expand(text, path, root, [os.path.realpath(path)], includes, [len(text)])
            else:
                text = stub.code
                if len(text.encode("utf-8", "surrogatepass")) > self.options.max_bytes:
                    raise _Refused(IngestDrop.TOO_LARGE, f"over max_bytes={self.options.max_bytes}")
                if "\0" in text:
                    raise _Refused(IngestDrop.BINARY, "holds NUL characters")
            if not text.strip():
                raise _Refused(IngestDrop.EMPTY, "no text")
            license = spdx_from_header(text) or stub.provenance.license
            verdict = self.options.licenses.judge(license)
            if not self.options.licenses.accepts(license):
                reason = IngestDrop.LICENSE_UNKNOWN if verdict is LicenseVerdict.UNKNOWN else IngestDrop.LICENSE_RESTRICTED
                raise _Refused(reason, license or "no license found")
        except _Refused as exc:
            return Dropped(stub.id, self.name, exc.reason.value, exc.detail)
        prov = stub.provenance.__class__(**{**stub.provenance.__dict__, "license": license})
        meta = {k: v for k, v in stub.meta.items() if k != "ingest"}
        meta["ingest"] = {"bytes": len(text.encode("utf-8", "surrogatepass")), "includes": includes,
                          "license_class": verdict.value, **({"kind": facts["kind"]} if facts.get("kind") else {})}
        return stub.evolve(self.name, code=text, provenance=prov, meta=meta)

    # -- includes ------------------------------------------------------------------------------------------
    def _expand(self, text: str, path: Path, root: Path, stack: list[str], found: list[str], size: list[int]) -> str:
        if not _INCLUDE.search(text):
            return text
        if len(stack) > self.options.include_depth:
            raise _Refused(IngestDrop.INCLUDE_DEPTH, f"includes nested deeper than {self.options.include_depth}")

        def inline(m: re.Match) -> str:
            name = m.group(1).strip()
            target = self._resolve(name, path, root)
            if target is None:
                if self.options.drop_missing_includes:
                    raise _Refused(IngestDrop.INCLUDE_MISSING, f"`include \"{name}\" is not in the repository")
                return m.group(0)
            real = os.path.realpath(target)
            if real in stack:
                raise _Refused(IngestDrop.INCLUDE_LOOP, f"`include \"{name}\" includes itself")
            body = decode(read_inside(target, root, self.options.max_bytes))
            size[0] += len(body)
            if size[0] > self.options.max_bytes:
                raise _Refused(IngestDrop.TOO_LARGE, f"over max_bytes={self.options.max_bytes} with its includes")
            found.append(os.path.relpath(real, os.path.realpath(root)))
            inner = self._expand(body, target, root, [*stack, real], found, size)
            return f"// rtlgen: begin `include \"{name}\"\n{inner}\n// rtlgen: end `include \"{name}\"\n"

        return _INCLUDE.sub(inline, text)

    def _resolve(self, name: str, including: Path, root: Path) -> Path | None:
        """``name`` next to the including file, else the repository file whose path ends with it, in the
        folder nearest the including file; None when there is none inside ``root``."""
        if os.path.isabs(name) or ".." in Path(name).parts:
            return None
        beside = including.parent / name
        top = os.path.realpath(root)
        if beside.is_file() and os.path.realpath(beside).startswith(top + os.sep):
            return beside
        tree = self._trees.get(str(root))
        if tree is None:
            tree = {}
            for rel in walk_files(root, _HEADER_SUFFIXES):
                tree.setdefault(os.path.basename(rel), []).append(rel)
            self._trees[str(root)] = tree
        here = os.path.relpath(including.parent, root).split(os.sep)
        candidates = [r for r in tree.get(os.path.basename(name), []) if ("/" + r).endswith("/" + name)]
        if not candidates:
            return None
        best = max(candidates, key=lambda r: (_common(r.split(os.sep)[:-1], here), -len(r), r))
        return root / best


def _common(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
