"""Front end: a design file (.v/.sv, .aig, .blif, .bench) -> an AIGER file, once per content.

Verilog goes through Yosys (``hierarchy; proc; flatten; techmap; aigmap; write_aiger``), BLIF and
bench through yosys-abc (``read; strash; write_aiger``), both as sandboxed jobs. The result is cached
in the user cache under the hash of the input bytes, the top name and the tool's identity, so a
design is elaborated once however many recipes are tried on it.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtlgen.errors import InputError
from rtlgen.paths import atomic_write
from rtlgen.sandbox import Job, KilledBy, Limits, Sandbox, Step, default_sandbox, find_tool
from rtlgen.sandbox.tools import fingerprint
from rtlgen.synth.liberty import synth_cache_dir
from rtlgen.synth.qor import SynthError

SUFFIXES = (".v", ".sv", ".aig", ".blif", ".bench")  # each also as FILE.gz (OpenABC-D ships .bench.gz)
GZ_MAX_BYTES = 256 * 1024 * 1024  # what a .gz may unpack to: more is a gzip bomb, refused


def unpack(path: Path, data: bytes) -> tuple[Path, bytes]:
    """A ``FILE.EXT.gz`` as ``FILE.EXT`` and its unpacked bytes (capped); any other file as it is."""
    if path.suffix.lower() != ".gz":
        return path, data
    inner = path.with_suffix("")
    if inner.suffix.lower() not in SUFFIXES:
        raise InputError(f"{path}: a gzip of {inner.suffix or 'a file without extension'!r}; expected one of "
                         f"{', '.join(s + '.gz' for s in SUFFIXES)}")
    unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = unzip.decompress(data, GZ_MAX_BYTES)
    except zlib.error as exc:
        raise InputError(f"{path}: not a gzip file ({exc}); pass the file itself or a valid .gz") from None
    if unzip.unconsumed_tail:
        raise InputError(f"{path} unpacks to more than {GZ_MAX_BYTES >> 20} MiB; unpack and trim it first")
    if not unzip.eof:
        raise InputError(f"{path}: the gzip stream is truncated; download it again")
    return inner, out
FRONTEND_LIMITS = Limits(wall_s=120, cpu_s=240, memory_mb=4096, output_bytes=2_000_000)


@dataclass(frozen=True)
class Design:
    """A design as an AIGER file in the cache; ``digest`` names it everywhere downstream."""

    name: str  # file stem, for reports
    source: str  # the path the user gave
    digest: str  # content hash of the AIG bytes
    aig_path: Path  # cached AIGER file

    def aig_bytes(self) -> bytes:
        return self.aig_path.read_bytes()


def yosys_script(source_name: str, top: str | None, sv: bool) -> str:
    """Verilog -> AIGER; registers stay as AIGER latches (ABC's cec then compares their next-state logic)."""
    top_cmd = f"hierarchy -check -top {top}" if top else "hierarchy -check -auto-top"
    read = f"read_verilog {'-sv ' if sv else ''}{source_name}"
    return "\n".join([read, top_cmd, "proc", "flatten", "opt_clean", "techmap", "opt -fast", "async2sync",
                      "dffunmap", "aigmap", "opt_clean", "write_aiger -symbols -zinit design.aig", ""])


def frontend_job(path: Path, data: bytes, top: str | None, limits: Limits = FRONTEND_LIMITS) -> Job | None:
    """The job that turns ``data`` into ``design.aig``; None when the input already is AIGER."""
    suffix = path.suffix.lower()
    if suffix == ".aig":
        return None
    if suffix in (".v", ".sv"):
        name = "design" + suffix
        script = yosys_script(name, top, sv=True)
        step = Step((find_tool("yosys"), "-q", "-s", "script.ys"))
        return Job(steps=(step,), files={name: data, "script.ys": script}, limits=limits, outputs=("design.aig",))
    name = "design" + suffix
    cmd = f"read {name}; strash; write_aiger design.aig"
    return Job(steps=(Step((find_tool("yosys-abc"), "-q", cmd)),), files={name: data}, limits=limits,
               outputs=("design.aig",))


def load_design(path: str | Path, *, top: str | None = None, sandbox: Sandbox | None = None,
                limits: Limits = FRONTEND_LIMITS) -> Design:
    """Elaborate ``path`` to an AIG (cached by content); raises InputError or SynthError naming the file."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES + (".gz",):
        raise InputError(f"{path}: unknown design extension {path.suffix or '(none)'!r}; "
                         f"expected one of {', '.join(SUFFIXES)} (or any of them .gz)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read design {path}: {exc.strerror or exc}") from exc
    path, data = unpack(path, data)
    return design_from_bytes(path, data, top=top, sandbox=sandbox, limits=limits)


def design_from_bytes(path: Path, data: bytes, *, top: str | None = None, sandbox: Sandbox | None = None,
                      limits: Limits = FRONTEND_LIMITS) -> Design:
    """Like ``load_design`` for in-memory text (generated RTL); ``path`` gives the name and the format."""
    job = frontend_job(path, data, top, limits)
    if job is None:
        check_aiger(path, data)
        return _store(path, data)
    tool = job.steps[0].argv[0]
    key = hashlib.sha256(b"\0".join([path.suffix.encode(), (top or "").encode(), fingerprint(tool).encode(),
                                     job.files.get("script.ys", b""), data])).hexdigest()
    cached = synth_cache_dir() / "frontend" / f"{key[:32]}.aig"
    if cached.exists():
        return _store(path, cached.read_bytes())
    res = (sandbox or default_sandbox()).run(job)
    if res.killed_by is not KilledBy.NONE:
        raise SynthError(f"{path}: front end stopped by the {res.killed_by.value} limit; the design is too large "
                         "for the limits (raise them or simplify it)", res.killed_by)
    out = res.outputs.get("design.aig")
    if not res.ok or not out:
        err = " ".join((res.stderr + res.stdout).split())[-300:]
        raise InputError(f"{path}: front end failed (exit {res.exit_code}): {err or 'no AIG written'}")
    atomic_write(cached, out)
    return _store(path, out)


_AIGER_HEADER = re.compile(rb"aig((?: \d{1,15}){5,9})\r?\n")
MAX_AIG_VARIABLES = 100_000_000  # far above any benchmark circuit (EPFL's largest has ~1.2 M AND nodes)


def check_aiger(path: Path, data: bytes) -> None:
    """Refuse binary AIGER that ABC would choke on mid-session: a bad header, counts that disagree, a body cut
    short. Linear in the file: the AND section is ``2 A`` variable-length integers, each ending in a byte below
    0x80, after ``L + O + B + C`` lines."""
    m = _AIGER_HEADER.match(data)
    if m is None:
        raise InputError(f"design {path} is not a binary AIGER file (its first line must be 'aig M I L O A'); "
                         "convert it first")
    counts = [int(x) for x in m.group(1).split()]
    big, inputs, latches, outputs, ands = counts[:5]
    bad, constraints, justice, fairness = (counts[5:] + [0, 0, 0, 0])[:4]
    if big != inputs + latches + ands:
        raise InputError(f"design {path}: AIGER header says M = {big} but I + L + A = {inputs + latches + ands}; the file "
                         "is corrupt")
    if big > MAX_AIG_VARIABLES:
        raise InputError(f"design {path}: {big:,} AIGER variables is more than {MAX_AIG_VARIABLES:,}; split the design")
    if justice or fairness:
        raise InputError(f"design {path}: AIGER justice or fairness properties are not supported; drop them")
    body = np.frombuffer(data, dtype=np.uint8)[m.end():]
    lines = latches + outputs + bad + constraints
    if lines:
        newlines = np.flatnonzero(body == 0x0A)
        if len(newlines) < lines:
            raise InputError(f"design {path}: AIGER file ends inside its latch/output lines; the file is truncated")
        body = body[newlines[lines - 1] + 1:]
    if np.count_nonzero(body < 0x80) < 2 * ands:
        raise InputError(f"design {path}: AIGER file ends inside its AND section ({ands:,} AND gates declared); the file is "
                         "truncated")


def _store(path: Path, aig: bytes) -> Design:
    digest = hashlib.sha256(aig).hexdigest()[:24]
    target = synth_cache_dir() / "aig" / f"{digest}.aig"
    if not target.exists():
        atomic_write(target, aig)
    return Design(name=path.stem, source=str(path), digest=digest, aig_path=target)
