"""What the judge is given as trusted: a testbench (and optional reference), and how it reports.

A ``Bench`` is trusted text: the testbench sources, its top module, the design's expected top module
and, when the bench compares against a reference module, that module's name. ``BenchProtocol`` says
how the bench tells pass from fail; ``AUTO`` reads it from the bench text.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rtlgen.errors import InputError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


class BenchProtocol(enum.StrEnum):
    """How a self-checking testbench reports (only its own, tagged, output is read)."""

    AUTO = "auto"  # MISMATCH_COUNT if the bench prints "Mismatches:", else PASS_LINE if it prints "pass", else SILENT
    MISMATCH_COUNT = "mismatch_count"  # VerilogEval: exactly one "Mismatches: M in N samples" with M = 0 < N
    PASS_LINE = "pass_line"  # RTLLM: a line saying "Pass"/"Passed", and none saying fail or error
    SILENT = "silent"  # silent on success; FAIL/FAILED/ERROR or $error/$fatal on failure


@dataclass(frozen=True, eq=False)
class Bench:
    """A trusted, self-checking testbench for one design."""

    files: Mapping[str, str]  # testbench (and reference) sources, compiled before the design, in this order
    top: str = "tb"  # the testbench's top module
    dut_top: str = "TopModule"  # the module the design must define
    reference_top: str | None = None  # a reference module in ``files`` the design's ports must agree with
    protocol: BenchProtocol = BenchProtocol.AUTO
    name: str = ""  # for reports (a problem id)
    data_files: Mapping[str, str] = field(default_factory=dict)  # not compiled: files the bench reads at run time
    port_reference: str = ""  # text holding ``reference_top`` when it is not among ``files`` (never compiled)
    timescale: str | None = None  # default timescale for files without one, e.g. "1ns/1ns" (VCS's -timescale)

    def __post_init__(self) -> None:
        if not self.files:
            raise InputError("a bench needs at least one testbench file")
        for label, value in (("testbench top", self.top), ("design top", self.dut_top)):
            if not _IDENT.match(value or ""):
                raise InputError(f"{label} must be a plain Verilog identifier, not {value!r}")
        if self.reference_top is not None and not _IDENT.match(self.reference_top):
            raise InputError(f"reference top must be a plain Verilog identifier, not {self.reference_top!r}")
        object.__setattr__(self, "files", dict(self.files))
        object.__setattr__(self, "data_files", dict(self.data_files))
        for kind, files in (("bench file", self.files), ("bench data file", self.data_files)):
            for name, text in files.items():
                if not isinstance(name, str) or not isinstance(text, str):
                    raise InputError(f"{kind} {str(name)[:40]!r} must be text, not {type(text).__name__}")
        if self.timescale is not None and not re.fullmatch(r"\d+(s|ms|us|ns|ps|fs)/\d+(s|ms|us|ns|ps|fs)",
                                                           self.timescale):
            raise InputError(f"timescale must look like 1ns/1ps, not {self.timescale!r}")
        object.__setattr__(self, "protocol", BenchProtocol(self.protocol))

    def resolved_protocol(self) -> BenchProtocol:
        if self.protocol is not BenchProtocol.AUTO:
            return self.protocol
        text = "\n".join(self.files.values())
        if re.search(r'\$display\s*\(\s*"Mismatches: ', text):
            return BenchProtocol.MISMATCH_COUNT
        if re.search(r'"[^"\n]*\bpass(ed)?\b[^"\n]*"', text, re.I):
            return BenchProtocol.PASS_LINE
        return BenchProtocol.SILENT

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bench) and self.digest() == other.digest()

    def __hash__(self) -> int:
        return hash(self.digest())

    def digest(self) -> str:
        """Content identity (a batch hardens each distinct bench once)."""
        cached = self.__dict__.get("_digest")
        if cached:
            return cached
        h = hashlib.sha256()
        for name, text in self.files.items():
            h.update(name.encode("utf-8", "surrogatepass") + b"\0" + text.encode("utf-8", "surrogatepass") + b"\0")
        for name, text in sorted(self.data_files.items()):
            h.update(b"data\0" + name.encode("utf-8", "surrogatepass") + b"\0" + text.encode("utf-8", "surrogatepass") + b"\0")
        h.update(f"{self.top}\0{self.dut_top}\0{self.reference_top}\0{self.protocol.value}\0{self.timescale}\0"
                 f"{self.port_reference}".encode())
        object.__setattr__(self, "_digest", h.hexdigest())
        return self.__dict__["_digest"]
