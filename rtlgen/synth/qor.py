"""Quality-of-results: the metrics dataclass and the patterns that read them from ABC's output.

Patterns key on ``and =``/``lev =`` (``print_stats``) and ``Area =``/``Delay =`` (``stime``)
rather than on token positions, which differ between ABC builds; colour escapes are stripped first.
"""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass

from rtlgen.errors import RtlgenError
from rtlgen.sandbox import KilledBy

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_AND = re.compile(r"\band\s*=\s*(\d+)")
_LEV = re.compile(r"\blev\s*=\s*(\d+)")
_AREA = re.compile(r"\bArea\s*=\s*([-+0-9.eE]+)")
_DELAY = re.compile(r"\bDelay\s*=\s*([-+0-9.eE]+)\s*(ps|ns)?")


class SynthError(RtlgenError):
    """ABC or Yosys failed on a design (bad input, a limit hit, unparsable output)."""

    exit_code = 4

    def __init__(self, message: str, killed_by: KilledBy = KilledBy.NONE) -> None:
        super().__init__(message)
        self.killed_by = killed_by


class EvalStatus(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"  # ABC error or unparsable output
    TIMEOUT = "timeout"  # a request deadline or a limit; the session was restarted


@dataclass(frozen=True)
class QoR:
    """AIG size after the recipe, and mapped area/delay after ``map; topo; stime``."""

    and_nodes: int
    levels: int
    area: float  # liberty area units (um^2 for sky130)
    delay: float  # ps as ABC's stime prints it

    @property
    def adp(self) -> float:
        return self.area * self.delay

    def to_json(self) -> dict:
        return {**asdict(self), "adp": self.adp}


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


# A read that fails leaves the previous design loaded in a warm session: every failure marker must be here, or
# a session would report the last design's figures ("Reading AIG from file has failed", "Empty network"). A
# command whose options ABC could not parse prints its usage and is skipped: the recipe did not run as written.
_ABC_ERRORS = ("unknown option", "usage: ", "Error: ", "** cmd error", "Cannot open", "has failed", "does not exist",
               "Empty network")  # most telling first: a failed command also ends ABC's script with "** cmd error"


def abc_error(out: str) -> str | None:
    """The first line of ABC's output that says a command failed, or None."""
    for marker in _ABC_ERRORS:
        if marker in out:
            line = next((ln for ln in out.splitlines() if marker in ln), marker).strip()[:200]
            if marker == "usage: ":
                command = line.removeprefix("usage: ").split()[0]
                return f"'{command}' was given options it does not take ({line}); see yosys-abc -c '{command} -h'"
            return line
    return None


def parse_stats(text: str) -> tuple[int, int]:
    """(and nodes, levels) from the last ``print_stats`` line in ``text``."""
    text = strip_ansi(text)
    ands, levs = _AND.findall(text), _LEV.findall(text)
    if not ands or not levs:
        raise SynthError(f"no 'and =' / 'lev =' in ABC output: {_tail(text)}")
    return int(ands[-1]), int(levs[-1])


def parse_stime(text: str) -> tuple[float, float]:
    """(area, delay in ps) from the last ``stime`` line in ``text``."""
    text = strip_ansi(text)
    areas, delays = _AREA.findall(text), _DELAY.findall(text)
    if not areas or not delays:
        raise SynthError(f"no 'Area =' / 'Delay =' in ABC output (did map fail?): {_tail(text)}")
    value, unit = delays[-1]
    delay = float(value) * (1000.0 if unit == "ns" else 1.0)
    return float(areas[-1]), delay


def parse_qor(text: str) -> QoR:
    ands, levels = parse_stats(text)
    area, delay = parse_stime(text)
    return QoR(and_nodes=ands, levels=levels, area=area, delay=delay)


def _tail(text: str, n: int = 300) -> str:
    return " ".join(text.split())[-n:]
