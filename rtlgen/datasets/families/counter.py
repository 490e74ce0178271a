"""Counters with parameters: width, modulus, direction (up, down, or an ``up`` input), enable, load,
reset value, terminal-count output.

Difficulty adds features: 1 is a free-running binary up counter; 2 a modulus and an enable; 3 a down
or up/down counter and an active-low reset; 4 a synchronous load and a reset value; 5 wider counters
and a terminal-count output. The testbench runs long enough to wrap the counter, keeps the reset rare,
and only loads values below the modulus (the spec promises it).
"""

from __future__ import annotations

import random
from enum import StrEnum

from rtlgen.datasets.families.base import Design, Family, inp, out, sized
from rtlgen.datasets.families.render import a_n, para
from rtlgen.datasets.families.stimulus import Reset, clocked

_WIDTH = {1: (2, 6), 2: (3, 5), 3: (4, 6), 4: (4, 7), 5: (6, 8)}


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    UPDOWN = "updown"  # an ``up`` input chooses


class Counter(Family):
    name = "counter"
    summary = "a counter with a given width, modulus, direction, enable and load"

    def build(self, rng: random.Random, difficulty: int) -> Design:
        w = rng.randint(*_WIDTH[difficulty])
        full = difficulty == 1 or rng.random() < 0.35
        m = 1 << w if full else rng.randint(max(3, (1 << (w - 1)) + 1), (1 << w) - 1)
        direction = Direction.UP if difficulty <= 1 else rng.choice(
            [Direction.UP, Direction.DOWN] + ([Direction.UPDOWN] if difficulty >= 3 else []))
        ena = difficulty >= 2 and rng.random() < 0.7
        load = difficulty >= 4 and rng.random() < 0.6
        tc = difficulty >= 5 and direction is not Direction.UPDOWN and rng.random() < 0.6
        start = rng.randrange(m) if difficulty >= 4 and rng.random() < 0.5 else 0
        reset = Reset.draw(rng, difficulty)

        ports = [inp("clk"), reset.port]
        driven = []
        if ena:
            driven.append(inp("ena"))
        if load:
            driven += [inp("load"), inp("data", w)]
        if direction is Direction.UPDOWN:
            driven.append(inp("up"))
        ports += driven + [out("q", w)] + ([out("tc")] if tc else [])

        words = [f"The module should implement {a_n(w)} {w}-bit counter with output q."]
        if direction is Direction.UP:
            words.append(f"It counts up from 0 to {m - 1} and then wraps around to 0, a period of {m} cycles.")
        elif direction is Direction.DOWN:
            words.append(f"It counts down from {m - 1} to 0 and then wraps around to {m - 1}, a period of {m} "
                         "cycles.")
        else:
            words.append(f"It counts modulo {m}: when the input up is 1 it counts up, wrapping from {m - 1} to 0; "
                         f"when up is 0 it counts down, wrapping from 0 to {m - 1}.")
        if ena:
            words.append("The counter only changes when the enable input ena is 1; when ena is 0 it holds its "
                         "value.")
        if load:
            words.append(f"When the input load is 1, the counter takes the value of data at the next clock edge"
                         f"{', whatever ena is' if ena else ''}; data is always less than {m}.")
        if tc:
            end = m - 1 if direction is Direction.UP else 0
            words.append(f"The output tc is 1 exactly when q is {end}, combinationally.")
        description = "\n\n".join([para(" ".join(words)), reset.sentence(f"sets q to {start}")]) + "\n"

        body = _body(w, m, direction, ena, load, tc, start, reset)
        ena_rate = 0.85 if ena else 1.0
        laps = 4.0 if direction is Direction.UPDOWN else 2.0  # an up/down counter must wrap both ways
        cycles = min(1400, int(laps * m / ena_rate) + 150)
        stim = clocked(rng, reset, driven, cycles=cycles, reset_rate=min(1 / 24, 1 / (8 * m)),
                       hold={"ena": ena_rate, "load": 0.03}, limits={"data": m}, runs={"up": m},
                       pulses=4, pulse_within=100)  # later pulses would stop a wide counter from wrapping
        return Design(tuple(ports), description, body, stim, regs=frozenset({"q"}))


def _body(w: int, m: int, direction: Direction, ena: bool, load: bool, tc: bool, start: int,
          reset: Reset) -> str:
    up = f"q <= (q == {sized(w, m - 1)}) ? {sized(w, 0)} : q + 1'b1;"
    down = f"q <= (q == {sized(w, 0)}) ? {sized(w, m - 1)} : q - 1'b1;"
    if m == 1 << w:  # a full-range counter wraps by itself
        up, down = "q <= q + 1'b1;", "q <= q - 1'b1;"
    step = {Direction.UP: [up], Direction.DOWN: [down],
            Direction.UPDOWN: [f"if (up) {up}", f"else {down}"]}[direction]
    lines = [f"  {reset.always()} begin", f"    if ({reset.condition()}) q <= {sized(w, start)};"]
    if load:
        lines.append("    else if (load) q <= data;")
    if ena:
        lines.append("    else if (ena) begin")
        lines += [f"      {s}" for s in step]
        lines.append("    end")
    elif len(step) == 1:
        lines.append(f"    else {step[0]}")
    else:
        lines += ["    else begin", *(f"      {s}" for s in step), "    end"]
    lines.append("  end")
    if tc:
        end = m - 1 if direction is Direction.UP else 0
        lines += ["", f"  assign tc = (q == {sized(w, end)});"]
    return "\n".join(lines)


COUNTER = Counter()
