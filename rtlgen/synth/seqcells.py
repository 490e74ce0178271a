"""Latches for the PPA flow: the liberty's plain D-latch cells and a Yosys techmap onto them.

    cells = latch_cells(liberty)      # {"P": LatchCell(...), "N": ...}: smallest latch per enable polarity
    text = latch_techmap(cells)       # Verilog for ``techmap -map``: $_DLATCH_P_/$_DLATCH_N_ -> those cells

Yosys 0.23's ``dfflibmap`` maps flip-flops only, so a latch would stay an internal cell without area.
The flow first lets ``dfflegalize`` turn every latch into a plain ``$_DLATCH_[PN]_`` of a polarity the
library has (resets and a missing polarity become logic), then maps those with this techmap. Only
cells with exactly one data and one enable input, no clear/preset and an output that is the latch
state (``function : "IQ"``) are used; ``dont_use`` cells are skipped, and so are sky130's ``lpflow_``
power-management cells (an input-isolation latch among them), which OpenLane keeps out of synthesis. The liberty is a trusted
configuration file, read here with a few patterns rather than a full parser, once per file version.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

_CELL = re.compile(r"\bcell\s*\(\s*\"?([A-Za-z0-9_$]+)\"?\s*\)\s*\{")
_LATCH = re.compile(r"\blatch\s*\(\s*\"?(\w+)\"?\s*,?[^)]*\)\s*\{([^}]*)\}")
_PIN = re.compile(r"\bpin\s*\(\s*\"?(\w+)\"?\s*\)\s*\{")
_ATTR = r"\b{}\s*:\s*\"?([^\";]+?)\"?\s*;"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


@dataclass(frozen=True)
class LatchCell:
    """A plain D latch of the library: ``enable`` pin (active high for P, low for N), ``data`` pin, output ``q``."""

    name: str
    polarity: str  # "P" or "N"
    enable: str
    data: str
    q: str
    area: float


def _attr(name: str, text: str) -> str | None:
    m = re.search(_ATTR.format(name), text)
    return m.group(1).strip() if m else None


def _enable(expr: str) -> tuple[str, str] | None:
    """'GATE' -> ('P', 'GATE'); '!GATE_N' or "GATE_N'" -> ('N', 'GATE_N'); anything else None."""
    expr = expr.replace(" ", "")
    if _NAME.match(expr):
        return "P", expr
    m = re.fullmatch(r"!(\w+)|(\w+)'", expr)
    if m:
        return "N", m.group(1) or m.group(2)
    return None


def _parse_cell(name: str, body: str) -> LatchCell | None:
    latch = _LATCH.search(body)
    if latch is None or _attr("dont_use", body) == "true" or "lpflow" in name:
        return None
    state, attrs = latch.group(1), latch.group(2)
    if _attr("clear", attrs) or _attr("preset", attrs):
        return None
    enable, data, area = _enable(_attr("enable", attrs) or ""), _attr("data_in", attrs), _attr("area", body)
    if enable is None or data is None or not _NAME.match(data) or area is None:
        return None
    pins = list(_PIN.finditer(body))
    inputs, q = set(), None
    for i, pin in enumerate(pins):
        text = body[pin.end():pins[i + 1].start() if i + 1 < len(pins) else len(body)]
        direction = _attr("direction", text)
        if direction == "input":
            inputs.add(pin.group(1))
        elif direction == "output" and q is None and (_attr("function", text) or "").replace(" ", "") == state:
            q = pin.group(1)
    if q is None or inputs != {enable[1], data}:
        return None
    try:
        return LatchCell(name, enable[0], enable[1], data, q, float(area))
    except ValueError:
        return None


@functools.lru_cache(maxsize=8)
def _cells_of(path: str, _version: tuple[int, int]) -> tuple[LatchCell, ...]:
    text = Path(path).read_text(errors="replace")
    starts = list(_CELL.finditer(text))
    found = []
    for i, m in enumerate(starts):
        body = text[m.end():starts[i + 1].start() if i + 1 < len(starts) else len(text)]
        if "latch" in body:
            cell = _parse_cell(m.group(1), body)
            if cell is not None:
                found.append(cell)
    return tuple(found)


def latch_cells(liberty: str | os.PathLike) -> dict[str, LatchCell]:
    """The smallest plain latch per enable polarity ("P", "N") in an uncompressed liberty file."""
    st = os.stat(liberty)
    best: dict[str, LatchCell] = {}
    for cell in _cells_of(str(liberty), (st.st_size, st.st_mtime_ns)):
        if cell.polarity not in best or (cell.area, cell.name) < (best[cell.polarity].area, best[cell.polarity].name):
            best[cell.polarity] = cell
    return best


def latch_techmap(cells: dict[str, LatchCell]) -> str:
    """``techmap -map`` text replacing ``$_DLATCH_P_``/``$_DLATCH_N_`` by the given cells."""
    out = []
    for pol in sorted(cells):
        c = cells[pol]
        out.append(f"module \\$_DLATCH_{pol}_ (input E, input D, output Q);\n"
                   f"  \\{c.name} _TECHMAP_REPLACE_ (.{c.enable}(E), .{c.data}(D), .{c.q}(Q));\nendmodule\n")
    return "".join(out)


def legalize_args(cells: dict[str, LatchCell]) -> str:
    """``dfflegalize`` cell arguments for the polarities the library has (no init values: latches have none)."""
    return " ".join(f"-cell $_DLATCH_{pol}_ x" for pol in sorted(cells))
