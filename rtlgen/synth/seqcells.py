"""Sequential cells of a liberty file: what the PPA flow needs to know about flip-flops and latches.

    lib = sequential_cells(liberty)     # once per file version (cached)
    lib.latches                         # {"P": LatchCell, "N": LatchCell}: smallest plain D latch per polarity
    lib.clock_pins                      # clock and latch-enable pin names: not timed as data
    latch_techmap(lib.latches)          # Verilog for ``techmap -map``: $_DLATCH_P_/$_DLATCH_N_ -> those cells

Yosys 0.23's ``dfflibmap`` maps flip-flops only, so the flow first lets ``dfflegalize`` turn every
latch into a plain ``$_DLATCH_[PN]_`` of a polarity the library has (resets and a missing polarity
become logic), then maps those with ``latch_techmap``. Only cells with exactly one data and one
enable input, no clear/preset and an output that is the latch state are used. ``dont_use`` cells are
skipped, and so are sky130's ``lpflow_`` power-management cells (an input-isolation latch among them),
which OpenLane keeps out of synthesis.

``clock_pins`` names every pin that appears in a ``clocked_on`` or ``enable`` of an ``ff``/``latch`` group
and in no ``next_state``/``data_in``: the flow cuts registers out of the logic and drops only those pins.
Async ``clear``/``preset`` pins stay outputs of the cut, so the logic driving them is counted and timed: a
design could otherwise compute its whole function into the set/reset pins of flops whose set or reset is
always active and have that logic measured as free. The liberty is a trusted configuration file, read here with a
few patterns rather than a full parser.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

# Literal prefixes (no leading \b) keep the scan of a 40 MB library fast; the character before a match is
# checked in Python instead, so that ``test_cell (`` or ``diff (`` is not taken for a group.
_CELL = re.compile(r"cell\s*\(\s*\"?([A-Za-z0-9_$]+)\"?\s*\)\s*\{")
_FF = re.compile(r"ff\s*\(\s*\"?(\w+)\"?\s*,?[^)]*\)\s*\{([^}]*)\}")
_LATCH = re.compile(r"latch\s*\(\s*\"?(\w+)\"?\s*,?[^)]*\)\s*\{([^}]*)\}")
_PIN = re.compile(r"\bpin\s*\(\s*\"?(\w+)\"?\s*\)\s*\{")
_ATTR = r"\b{}\s*:\s*\"?([^\";]+?)\"?\s*;"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CLOCK_ATTRS = ("clocked_on", "enable")
_DATA_ATTRS = ("next_state", "data_in")


@dataclass(frozen=True)
class LatchCell:
    """A plain D latch: ``enable`` pin (active high for P, low for N), ``data`` pin, output ``q``."""

    name: str
    polarity: str  # "P" or "N"
    enable: str
    data: str
    q: str
    area: float


@dataclass(frozen=True)
class SequentialCells:
    latches: dict[str, LatchCell]  # plain latch per polarity, smallest area first
    latch_names: frozenset[str]  # every cell with a latch group (to count latch bits apart from flops)
    register_names: frozenset[str]  # every cell with an ff or latch group
    clock_pins: frozenset[str]  # clock/enable pins of any ff or latch cell (async set/reset pins are not among them)


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


def _pins(body: str) -> tuple[set[str], dict[str, str]]:
    """(input pin names, {output pin: its function}) of one cell body."""
    found = list(_PIN.finditer(body))
    inputs, outputs = set(), {}
    for i, pin in enumerate(found):
        text = body[pin.end():found[i + 1].start() if i + 1 < len(found) else len(body)]
        direction = _attr("direction", text)
        if direction == "input":
            inputs.add(pin.group(1))
        elif direction == "output":
            outputs[pin.group(1)] = (_attr("function", text) or "").replace(" ", "")
    return inputs, outputs


def _plain_latch(name: str, body: str, state: str, attrs: str) -> LatchCell | None:
    if _attr("dont_use", body) == "true" or "lpflow" in name or _attr("clear", attrs) or _attr("preset", attrs):
        return None
    enable, data, area = _enable(_attr("enable", attrs) or ""), _attr("data_in", attrs), _attr("area", body)
    if enable is None or data is None or not _NAME.match(data) or area is None:
        return None
    inputs, outputs = _pins(body)
    q = next((pin for pin, fn in outputs.items() if fn == state), None)
    if q is None or inputs != {enable[1], data}:
        return None
    try:
        return LatchCell(name, enable[0], enable[1], data, q, float(area))
    except ValueError:
        return None


def _groups(pattern: re.Pattern, text: str):
    for m in pattern.finditer(text):
        if m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_"):
            yield m


@functools.lru_cache(maxsize=8)
def _scan(path: str, _version: tuple[int, int]) -> SequentialCells:
    text = Path(path).read_text(errors="replace")
    cells = list(_groups(_CELL, text))
    starts = [m.start() for m in cells]
    states: dict[int, tuple[str, re.Match]] = {}  # cell index -> its first ff/latch group
    control, data = set(), set()
    for kind, pattern in (("ff", _FF), ("latch", _LATCH)):
        for g in _groups(pattern, text):
            i = bisect.bisect_right(starts, g.start()) - 1
            if i >= 0 and (i not in states or g.start() < states[i][1].start()):
                states[i] = (kind, g)
            for attr in _CLOCK_ATTRS:
                control.update(_WORD.findall(_attr(attr, g.group(2)) or ""))
            for attr in _DATA_ATTRS:
                data.update(_WORD.findall(_attr(attr, g.group(2)) or ""))
    latches: dict[str, LatchCell] = {}
    latch_names = set()
    for i, (kind, g) in states.items():
        if kind != "latch":
            continue
        name = cells[i].group(1)
        latch_names.add(name)
        body = text[cells[i].end():starts[i + 1] if i + 1 < len(starts) else len(text)]
        cell = _plain_latch(name, body, g.group(1), g.group(2))
        best = latches.get(cell.polarity) if cell else None
        if cell and (best is None or (cell.area, cell.name) < (best.area, best.name)):
            latches[cell.polarity] = cell
    registers = frozenset(cells[i].group(1) for i in states)
    return SequentialCells(latches, frozenset(latch_names), registers, frozenset(control - data))


def sequential_cells(liberty: str | os.PathLike) -> SequentialCells:
    """What an uncompressed liberty file offers for registers (cached per file size and mtime)."""
    st = os.stat(liberty)
    return _scan(str(liberty), (st.st_size, st.st_mtime_ns))


def latch_techmap(cells: dict[str, LatchCell]) -> str:
    """``techmap -map`` text replacing ``$_DLATCH_P_``/``$_DLATCH_N_`` by the given cells."""
    out = []
    for pol in sorted(cells):
        c = cells[pol]
        out.append(f"module \\$_DLATCH_{pol}_ (input E, input D, output Q);\n"
                   f"  \\{c.name} _TECHMAP_REPLACE_ (.{c.enable}(E), .{c.data}(D), .{c.q}(Q));\nendmodule\n")
    return "".join(out)


def legalize_args(cells: dict[str, LatchCell]) -> str:
    """``dfflegalize`` cell arguments for the latch polarities the library has (latches take no init value)."""
    return " ".join(f"-cell $_DLATCH_{pol}_ x" for pol in sorted(cells))
