"""Waveform-described logic, as VerilogEval's "read the simulation waveforms" problems: a table of timed
input and output values from which the circuit must be inferred.

Difficulty 1 to 3: a combinational function of 2, 3 or 4 inputs; 4 and 5: the same function registered
on the rising edge of ``clk`` (3 or 4 inputs). The waveform drives every input combination at least once
(before a rising edge, when registered), so the table determines the function; the reference is its
minimised sum of products, and the testbench drives random stimulus, not only the waveform's.
"""

from __future__ import annotations

import random

from rtlgen.datasets.families.base import Design, Family, Stimulus, Timing, inp, out
from rtlgen.datasets.families.logic import random_function, sop_text
from rtlgen.datasets.families.render import para
from rtlgen.datasets.families.stimulus import combinational

_INPUTS = {1: 2, 2: 3, 3: 4, 4: 3, 5: 4}
_NAMES = (("a", "b", "c", "d"), ("x", "y", "z", "w"), ("p", "q", "r", "s"))


def _sequence(rng: random.Random, n: int) -> list[int]:
    """Every combination of ``n`` inputs at least once, some held or repeated, starting from 0."""
    every = list(range(1 << n))
    rng.shuffle(every)
    seq = [0]
    for v in every + [rng.randrange(1 << n) for _ in range(rng.randint(1, 3))]:
        seq += [v] * rng.choice((1, 1, 2))
    return seq


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(header)]
    lines = [header, *rows]
    return "\n".join("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines)


class Waveform(Family):
    name = "waveform"
    summary = "logic inferred from a table of simulation waveforms"

    def build(self, rng: random.Random, difficulty: int) -> Design:
        n = _INPUTS[difficulty]
        registered = difficulty >= 4
        names = list(rng.choice(_NAMES[::2] if registered else _NAMES)[:n])  # "x" is the unknown value there
        o = "out" if "q" in names else rng.choice(("q", "out", "f"))
        table = random_function(rng, n)
        expr = sop_text(table, names)
        seq = _sequence(rng, n)

        def ins(v: int) -> list[str]:
            return [str(v >> (n - 1 - k) & 1) for k in range(n)]

        if registered:
            rows, q = [], "x"
            for k in range(2 * len(seq) + 1):  # inputs change at falling edges, q at rising edges
                v = seq[min(k // 2, len(seq) - 1)]
                if k % 2:
                    q = str(table[seq[k // 2]])
                rows.append([f"{5 * k}ns", str(k % 2), *ins(v), q])
            header = ["time", "clk", *names, o]
            what = (f"The module should implement a sequential circuit: {o} changes only on the rising edge of "
                    f"clk. Read the simulation waveforms below to determine what the circuit does, then "
                    f"implement it. Each row gives the values just after any change at that time; x is an "
                    f"unknown value.")
            body = f"  always @(posedge clk)\n    {o} <= {expr};"
            ports = (inp("clk"), *(inp(a) for a in names), out(o))
            every = [v for _ in range(2) for v in rng.sample(range(1 << n), 1 << n)]  # each input twice
            vectors = [tuple(int(b) for b in ins(v)) for v in every + [rng.randrange(1 << n) for _ in range(60)]]
            stim = Stimulus(Timing.CLOCKED, tuple(names), tuple(vectors))
            regs = frozenset({o})
        else:
            rows = [[f"{5 * k}ns", *ins(v), str(table[v])] for k, v in enumerate(seq)]
            header = ["time", *names, o]
            what = ("The module should implement a combinational circuit. Read the simulation waveforms below "
                    "to determine what the circuit does, then implement it.")
            body = f"  assign {o} = {expr};"
            ports = (*(inp(a) for a in names), out(o))
            stim = combinational(rng, [inp(a) for a in names], n_random=60)
            regs = frozenset()
        description = para(what) + "\n\n" + _table(header, rows) + "\n"
        return Design(ports, description, body, stim, regs=regs)


WAVEFORM = Waveform()
