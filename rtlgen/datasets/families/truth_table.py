"""Truth tables and Karnaugh maps: a random Boolean function shown as a table or a map.

Difficulty sets the inputs (2 to 5 for tables, 3 or 4 for maps) and the outputs (1 to 3 for tables).
Every function depends on all its inputs and is not constant; the reference is a minimised sum of
products checked against the table in Python (``rtlgen.datasets.families.logic``).
"""

from __future__ import annotations

import random

from rtlgen.datasets.families.base import Design, Family, bits, inp, out
from rtlgen.datasets.families.logic import gray, random_function, sop_text
from rtlgen.datasets.families.render import para
from rtlgen.datasets.families.stimulus import combinational

_TABLE_INPUTS = {1: 2, 2: 3, 3: 3, 4: 4, 5: 5}
_TABLE_OUTPUTS = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3}
_NAME_SETS = (("a", "b", "c", "d", "e"), ("x1", "x2", "x3", "x4", "x5"), ("in0", "in1", "in2", "in3", "in4"))


def _assigns(tables: list[tuple[int, ...]], ins: list[str], outs: list[str]) -> str:
    return "\n".join(f"  assign {o} = {sop_text(t, ins)};" for o, t in zip(outs, tables, strict=True))


class TruthTable(Family):
    name = "truth_table"
    summary = "combinational logic from a truth table"

    def build(self, rng: random.Random, difficulty: int) -> Design:
        n, m = _TABLE_INPUTS[difficulty], _TABLE_OUTPUTS[difficulty]
        ins = list(rng.choice(_NAME_SETS)[:n])
        outs = ["out"] if m == 1 else [f"out{k}" for k in range(1, m + 1)]
        tables = [random_function(rng, n) for _ in outs]
        head = "  " + " ".join(ins) + " | " + " ".join(outs)
        rows = [head, "  " + "-" * (len(head) - 2)]
        for i in range(1 << n):
            left = " ".join(f"{int(b):<{len(name)}}" for b, name in zip(bits(n, i), ins, strict=True))
            right = " ".join(f"{t[i]:<{len(o)}}" for t, o in zip(tables, outs, strict=True))
            rows.append(f"  {left} | {right}".rstrip())
        description = (para("The module should implement the combinational circuit described by the truth "
                            "table below, where each row gives the outputs for one combination of the inputs.")
                       + "\n\n" + "\n".join(rows) + "\n")
        ports = tuple([inp(a) for a in ins] + [out(o) for o in outs])
        return Design(ports, description, _assigns(tables, ins, outs), combinational(rng, list(ports[:n])))


class KarnaughMap(Family):
    name = "kmap"
    summary = "combinational logic from a Karnaugh map"

    def build(self, rng: random.Random, difficulty: int) -> Design:
        n = 3 if difficulty <= 2 else 4
        ins = list(rng.choice(_NAME_SETS[:2])[:n])
        name = rng.choice(("out", "f", "y"))
        table = random_function(rng, n)
        col_bits = 1 if n == 3 else 2  # the first inputs index the columns, the rest the rows
        row_bits = n - col_bits
        cols, rows = gray(col_bits), gray(row_bits)
        col_label, row_label = "".join(ins[:col_bits]), "".join(ins[col_bits:])
        pad = " " * len(row_label)
        lines = [f"   {pad}  " + " " * 2 + col_label,
                 f"   {row_label}  " + "".join(f" {bits(col_bits, c):<3}" for c in cols)]
        for r in rows:
            cells = "".join(f"| {table[(c << row_bits) | r]} " for c in cols)
            lines.append(f"   {bits(row_bits, r):<{len(row_label)}} {cells}|")
        lines = [line.rstrip() for line in lines]
        description = (para(f"The module should implement the circuit described by the Karnaugh map below. "
                            f"The columns are indexed by {', '.join(ins[:col_bits])} and the rows by "
                            f"{', '.join(ins[col_bits:])}, both in Gray-code order; each cell is the value "
                            f"of {name}.") + "\n\n" + "\n".join(lines) + "\n")
        ports = (*(inp(a) for a in ins), out(name))
        return Design(ports, description, _assigns([table], ins, [name]), combinational(rng, list(ports[:n])))


TRUTH_TABLE = TruthTable()
KMAP = KarnaughMap()
