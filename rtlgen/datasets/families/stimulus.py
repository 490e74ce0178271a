"""Stimulus and reset helpers shared by the families: corner-then-random input vectors, and resets.

Combinational stimulus starts with the corners (all zeros, all ones, each input's extremes) and, where
the inputs hold few bits, every input combination; then random vectors. Clocked stimulus holds the reset
for the first cycles, then asserts it now and then (an asynchronous reset is asserted at a falling edge,
so a synchronous implementation shows a different output at the next rising edge), and pulses it
briefly between a falling and a rising edge, which an asynchronous reset obeys and a synchronous one
ignores).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

from rtlgen.datasets.families.base import Port, Stimulus, Timing, inp
from rtlgen.datasets.families.render import para

EXHAUSTIVE_BITS = 10  # up to this many input bits, every combination is driven


def corner_values(width: int) -> list[int]:
    top = (1 << width) - 1
    return sorted({0, 1, top, 1 << (width - 1), top >> 1, top - 1 if width > 1 else 0})


def combinational(rng: random.Random, inputs: list[Port], n_random: int = 120) -> Stimulus:
    """Corners, every combination when the inputs are narrow, then ``n_random`` random vectors."""
    total = sum(p.width for p in inputs)
    vectors: list[tuple[int, ...]] = [tuple(0 for _ in inputs), tuple((1 << p.width) - 1 for p in inputs)]
    if total <= EXHAUSTIVE_BITS:
        every = list(itertools.product(*(range(1 << p.width) for p in inputs)))
        rng.shuffle(every)
        vectors += every
    else:
        choices = [corner_values(p.width) for p in inputs]
        if math.prod(len(c) for c in choices) <= 200:
            corners = list(itertools.product(*choices))
            rng.shuffle(corners)
        else:  # too many to list: a sample of them
            corners = [tuple(rng.choice(c) for c in choices) for _ in range(200)]
        vectors += corners
    vectors += [tuple(rng.getrandbits(p.width) for p in inputs) for _ in range(n_random)]
    return Stimulus(Timing.COMBINATIONAL, tuple(p.name for p in inputs), tuple(vectors))


@dataclass(frozen=True)
class Reset:
    """A reset port: synchronous or asynchronous, active high or low (VerilogEval's names)."""

    asynchronous: bool
    active_high: bool = True

    @classmethod
    def draw(cls, rng: random.Random, difficulty: int) -> Reset:
        asynchronous = rng.random() < (0.2 if difficulty <= 2 else 0.5)
        active_high = difficulty < 3 or rng.random() < 0.6
        return cls(asynchronous, active_high)

    @property
    def name(self) -> str:
        return ("areset" if self.asynchronous else "reset") + ("" if self.active_high else "n")

    @property
    def port(self) -> Port:
        return inp(self.name)

    @property
    def asserted(self) -> int:
        return 1 if self.active_high else 0

    def condition(self) -> str:
        return self.name if self.active_high else f"!{self.name}"

    def always(self) -> str:
        """The header of the reference's sequential block."""
        if not self.asynchronous:
            return "always @(posedge clk)"
        return f"always @(posedge clk or {'posedge' if self.active_high else 'negedge'} {self.name})"

    def sentence(self, what: str) -> str:
        level = "high" if self.active_high else "low"
        kind = "asynchronous" if self.asynchronous else "synchronous"
        return para(f"Assume all sequential logic is triggered on the positive edge of the clock. The "
                    f"{self.name} input is an active-{level} {kind} reset that {what}.")


def clocked(rng: random.Random, reset: Reset | None, inputs: list[Port], cycles: int = 160,
            reset_rate: float = 1 / 24, hold: dict[str, float] | None = None,
            limits: dict[str, int] | None = None, runs: dict[str, int] | None = None,
            pulses: int | None = None, pulse_within: int | None = None) -> Stimulus:
    """Reset (when there is one) for two cycles, then random inputs with the reset now and then.

    ``hold``: for a 1-bit input, the chance it is 1 (an enable mostly on, a load rarely); ``limits``:
    an input's values stay below this bound (a load value the spec promises is in range), often at its
    ends; ``runs``: a 1-bit input that keeps its value for runs of about this many cycles, at most twice
    that (long runs of counting up, then down); ``pulses``: how many reset pulses (default: one per 20
    cycles, 6 to 12), all within the first ``pulse_within`` cycles."""
    hold, limits, runs = hold or {}, limits or {}, runs or {}
    last = {name: [rng.getrandbits(1), 0] for name in runs}  # value, cycles held
    driven = ([reset.name] if reset else []) + [p.name for p in inputs]

    def value(p: Port) -> int:
        if p.name in runs:
            state, length = last[p.name], runs[p.name]
            state[1] += 1
            if state[1] >= 2 * length or rng.random() < 1 / length:
                state[0], state[1] = 1 - state[0], 0
            return state[0]
        if p.name in hold:
            return int(rng.random() < hold[p.name])
        if p.name in limits:
            bound = limits[p.name]
            return rng.choice((0, 1, bound - 2, bound - 1)) if rng.random() < 0.4 else rng.randrange(bound)
        if p.width > 1 and rng.random() < 0.15:
            return rng.choice(corner_values(p.width))
        return rng.getrandbits(p.width)

    vectors = []
    for k in range(cycles):
        row = tuple(value(p) for p in inputs)
        if reset:
            on = k < 2 or rng.random() < reset_rate
            row = (reset.asserted if on else 1 - reset.asserted, *row)
        vectors.append(row)
    if not reset:
        return Stimulus(Timing.CLOCKED, tuple(driven), tuple(vectors))
    # reset pulses between edges, in cycles where the reset is off: they tell asynchronous from synchronous
    free = [k for k in range(2, min(cycles, pulse_within or cycles)) if vectors[k][0] != reset.asserted]
    count = max(6, min(12, cycles // 20)) if pulses is None else pulses
    at = frozenset(rng.sample(free, min(len(free), count)))
    # the first rising edge applies a synchronous reset: outputs before it are the reference's defaults
    return Stimulus(Timing.CLOCKED, tuple(driven), tuple(vectors), skip_edges=1,
                    pulse=(reset.name, reset.asserted), pulse_at=at)


__all__ = ["Reset", "clocked", "combinational", "corner_values"]
