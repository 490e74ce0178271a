"""Shift registers with parameters: width, direction (left, right, or a ``dir`` input), shift or
rotate, serial input and output, enable, parallel load.

Difficulty adds features: 1 is a serial-in shift register; 2 an enable and a serial output; 3 a
parallel load and rotation; 4 a direction input and an active-low reset; 5 wider registers with all of
it. Priority is always reset, then load, then enable, as the spec says.
"""

from __future__ import annotations

import random
from enum import StrEnum

from rtlgen.datasets.families.base import Design, Family, inp, out, sized
from rtlgen.datasets.families.render import a_n, para
from rtlgen.datasets.families.stimulus import Reset, clocked

_WIDTH = {1: (3, 8), 2: (4, 8), 3: (4, 8), 4: (6, 12), 5: (8, 16)}


class Way(StrEnum):
    LEFT = "left"  # toward the most significant bit
    RIGHT = "right"
    INPUT = "input"  # a ``dir`` input: 1 shifts left, 0 right


class ShiftRegister(Family):
    name = "shift_register"
    summary = "a shift register with a given width, direction, enable and load"

    def build(self, rng: random.Random, difficulty: int) -> Design:
        w = rng.randint(*_WIDTH[difficulty])
        way = rng.choice([Way.LEFT, Way.RIGHT] + ([Way.INPUT] if difficulty >= 4 else []))
        rotate = difficulty >= 3 and rng.random() < 0.35
        ena = difficulty >= 2 and rng.random() < 0.7
        sout = difficulty >= 2 and not rotate and way is not Way.INPUT and rng.random() < 0.5
        load = difficulty >= 3 and (rotate or rng.random() < 0.6)  # a rotator needs a load to hold data
        reset = Reset.draw(rng, difficulty)

        driven = []
        if ena:
            driven.append(inp("ena"))
        if load:
            driven += [inp("load"), inp("data", w)]
        if way is Way.INPUT:
            driven.append(inp("dir"))
        if not rotate:
            driven.append(inp("sin"))
        ports = [inp("clk"), reset.port, *driven, out("q", w)] + ([out("sout")] if sout else [])

        words = [f"The module should implement {a_n(w)} {w}-bit {'rotator' if rotate else 'shift register'} with "
                 "output q."]
        left = f"shifts left (toward q[{w - 1}]) by one bit"
        right = "shifts right (toward q[0]) by one bit"
        if rotate:
            left, right = left.replace("shifts", "rotates"), right.replace("shifts", "rotates")
            enter_l, enter_r = f"the bit leaving q[{w - 1}] enters q[0]", f"the bit leaving q[0] enters q[{w - 1}]"
        else:
            enter_l, enter_r = "the serial input sin enters q[0]", f"the serial input sin enters q[{w - 1}]"
        fill = {Way.LEFT: f"{enter_l}.", Way.RIGHT: f"{enter_r}.",
                Way.INPUT: f"{enter_l} when moving left, and {enter_r} when moving right."}[way]
        if not rotate:
            fill = fill[:-1] + "; the bit shifted out is discarded."
        if way is Way.INPUT:
            words.append(f"On each clock edge it {left} when the input dir is 1, and {right} when dir is 0;")
        else:
            words.append(f"On each clock edge it {left if way is Way.LEFT else right};")
        words.append(fill)
        if ena:
            words.append("It only changes when the enable input ena is 1; when ena is 0 it holds its value.")
        if load:
            words.append(f"When the input load is 1, q takes the value of data at the next clock edge instead"
                         f"{', whatever ena is' if ena else ''}.")
        if sout:
            msb = way is Way.LEFT
            words.append(f"The output sout is the bit that the next shift will discard, q[{w - 1 if msb else 0}].")
        description = "\n\n".join([para(" ".join(words)), reset.sentence("sets q to 0")]) + "\n"
        body = _body(w, way, rotate, ena, load, sout, reset)
        stim = clocked(rng, reset, driven, cycles=8 * w + 120, reset_rate=1 / 40,
                       hold={"ena": 0.8, "load": 0.12 if rotate else 0.06})
        return Design(tuple(ports), description, body, stim, regs=frozenset({"q"}))


def _body(w: int, way: Way, rotate: bool, ena: bool, load: bool, sout: bool, reset: Reset) -> str:
    top = w - 1
    enter_left = f"q[{top}]" if rotate else "sin"
    left = f"q <= {{q[{top - 1}:0], {enter_left}}};"
    right = f"q <= {{{'q[0]' if rotate else 'sin'}, q[{top}:1]}};"
    step = {Way.LEFT: [left], Way.RIGHT: [right], Way.INPUT: [f"if (dir) {left}", f"else {right}"]}[way]
    lines = [f"  {reset.always()} begin", f"    if ({reset.condition()}) q <= {sized(w, 0)};"]
    if load:
        lines.append("    else if (load) q <= data;")
    if ena:
        lines += ["    else if (ena) begin", *(f"      {s}" for s in step), "    end"]
    elif len(step) == 1:
        lines.append(f"    else {step[0]}")
    else:
        lines += ["    else begin", *(f"      {s}" for s in step), "    end"]
    lines.append("  end")
    if sout:
        lines += ["", f"  assign sout = q[{top if way is Way.LEFT else 0}];"]
    return "\n".join(lines)


SHIFT_REGISTER = ShiftRegister()
