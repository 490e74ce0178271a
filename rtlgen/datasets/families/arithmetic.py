"""Arithmetic blocks with given widths: adders, subtractors, comparators, multipliers, multiplexers and a
small ALU, with carry, borrow and signed-overflow outputs.

Difficulty widens the operands (2-4 bits at 1, up to 24 at 5) and adds features: carries at 2, signed
operation and overflow at 3, multiplexers whose select can exceed the inputs and the ALU at 4.
"""

from __future__ import annotations

import random
from enum import StrEnum

from rtlgen.datasets.families.base import Design, Family, Port, inp, out, sized
from rtlgen.datasets.families.render import a_n, para
from rtlgen.datasets.families.stimulus import combinational

_WIDTH = {1: (2, 4), 2: (4, 8), 3: (6, 12), 4: (8, 16), 5: (12, 24)}


class Kind(StrEnum):
    ADDER = "adder"
    SUBTRACTOR = "subtractor"
    COMPARATOR = "comparator"
    MULTIPLIER = "multiplier"
    MUX = "mux"
    ALU = "alu"


_ALU_OPS = {"a + b": "the sum of a and b", "a - b": "the difference a minus b", "a & b": "the bitwise AND of a and b",
            "a | b": "the bitwise OR of a and b", "a ^ b": "the bitwise XOR of a and b",
            "~(a & b)": "the bitwise NAND of a and b"}


class Arithmetic(Family):
    name = "arithmetic"
    summary = "an adder, subtractor, comparator, multiplier, multiplexer or ALU of given widths"

    def build(self, rng: random.Random, difficulty: int) -> Design:
        kinds = [Kind.ADDER, Kind.SUBTRACTOR, Kind.COMPARATOR, Kind.MULTIPLIER, Kind.MUX]
        kind = rng.choice(kinds + ([Kind.ALU] if difficulty >= 4 else []))
        w = rng.randint(*_WIDTH[difficulty])
        if kind is Kind.MULTIPLIER:
            w = min(w, 16)
        build = {Kind.ADDER: _adder, Kind.SUBTRACTOR: _subtractor, Kind.COMPARATOR: _comparator,
                 Kind.MULTIPLIER: _multiplier, Kind.MUX: _mux, Kind.ALU: _alu}[kind]
        ports, words, body, regs = build(rng, difficulty, w)
        description = "\n\n".join(para(p) for p in words) + "\n"
        inputs = [p for p in ports if p.direction.value == "input"]
        return Design(tuple(ports), description, body, combinational(rng, inputs), regs=frozenset(regs))


Built = tuple[list[Port], list[str], str, set[str]]


def _signed_words(w: int) -> str:
    return (f"The inputs a and b are {w}-bit two's complement numbers, from {-(1 << (w - 1))} to "
            f"{(1 << (w - 1)) - 1}.")


def _adder(rng: random.Random, d: int, w: int) -> Built:
    cin = d >= 2 and rng.random() < 0.5
    cout = d >= 2 and rng.random() < 0.7
    ovf = d >= 3 and rng.random() < 0.6
    ports = [inp("a", w), inp("b", w)] + ([inp("cin")] if cin else []) + [out("sum", w)]
    ports += ([out("cout")] if cout else []) + ([out("overflow")] if ovf else [])
    plus = " + cin" if cin else ""
    words = [f"The module should implement {a_n(w)} {w}-bit adder: sum is the low {w} bits of a + b{plus}"
             + (", and cout is the carry out of the most significant bit." if cout else
                ", and any carry out is discarded.")]
    lines = [f"  assign {{cout, sum}} = a + b{plus};" if cout else f"  assign sum = a + b{plus};"]
    if ovf:
        words.append(_signed_words(w) + " The output overflow is 1 when the signed result does not fit in "
                     f"{w} bits, that is when a and b have the same sign and sum has the other sign.")
        lines.append(f"  assign overflow = (a[{w - 1}] == b[{w - 1}]) && (sum[{w - 1}] != a[{w - 1}]);")
    return ports, words, "\n".join(lines), set()


def _subtractor(rng: random.Random, d: int, w: int) -> Built:
    borrow = d >= 2 and rng.random() < 0.7
    ovf = d >= 3 and rng.random() < 0.6
    ports = [inp("a", w), inp("b", w), out("diff", w)] + ([out("borrow")] if borrow else [])
    ports += [out("overflow")] if ovf else []
    words = [f"The module should implement {a_n(w)} {w}-bit subtractor: diff is the low {w} bits of a - b"
             + (", and borrow is 1 when a is less than b as unsigned numbers." if borrow else ".")]
    lines = ["  assign {borrow, diff} = {1'b0, a} - {1'b0, b};" if borrow else "  assign diff = a - b;"]
    if ovf:
        words.append(_signed_words(w) + " The output overflow is 1 when the signed difference does not fit in "
                     f"{w} bits, that is when a and b have different signs and diff has the sign of b.")
        lines.append(f"  assign overflow = (a[{w - 1}] != b[{w - 1}]) && (diff[{w - 1}] != a[{w - 1}]);")
    return ports, words, "\n".join(lines), set()


def _comparator(rng: random.Random, d: int, w: int) -> Built:
    signed = d >= 3 and rng.random() < 0.5
    names = ["eq"] if d == 1 and rng.random() < 0.5 else rng.choice([["eq", "lt", "gt"], ["lt", "gt"],
                                                                      ["eq", "lt"], ["eq", "gt", "lt", "ge"]])
    ports = [inp("a", w), inp("b", w)] + [out(n) for n in names]
    what = {"eq": "eq is 1 when a equals b", "lt": "lt is 1 when a is less than b",
            "gt": "gt is 1 when a is greater than b", "ge": "ge is 1 when a is greater than or equal to b"}
    op = {"eq": "==", "lt": "<", "gt": ">", "ge": ">="}
    words = [f"The module should implement {a_n(w)} {w}-bit {'signed' if signed else 'unsigned'} comparator: "
             + "; ".join(what[n] for n in names) + "."]
    if signed:
        words.append(_signed_words(w))
    x, y = ("$signed(a)", "$signed(b)") if signed else ("a", "b")
    lines = [f"  assign {n} = {x} {op[n]} {y};" if n != "eq" else "  assign eq = a == b;" for n in names]
    return ports, words, "\n".join(lines), set()


def _multiplier(rng: random.Random, d: int, w: int) -> Built:
    signed = d >= 3 and rng.random() < 0.5
    ports = [inp("a", w), inp("b", w), out("p", 2 * w)]
    words = [f"The module should implement {a_n(w)} {w}-bit by {w}-bit {'signed' if signed else 'unsigned'} "
             f"multiplier: p is the full {2 * w}-bit product of a and b."]
    if signed:
        words.append(_signed_words(w) + f" The product p is a {2 * w}-bit two's complement number.")
    body = "  assign p = $signed(a) * $signed(b);" if signed else "  assign p = a * b;"
    return ports, words, body, set()


def _mux(rng: random.Random, d: int, w: int) -> Built:
    n = {1: 2, 2: 4, 3: rng.choice([4, 8])}.get(d) or rng.choice([3, 5, 6, 7, 8])
    w = min(w, 8 if d < 5 else 16)
    sw = max(1, (n - 1).bit_length())
    ports = [inp(f"in{k}", w) for k in range(n)] + [inp("sel", sw), out("out", w)]
    words = [f"The module should implement {a_n(w)} {w}-bit wide {n}-to-1 multiplexer: out is in0 when sel is 0, "
             f"in1 when sel is 1, and so on up to in{n - 1} when sel is {n - 1}."]
    if n < 1 << sw:
        words[0] += " For any other value of sel, out is 0."
    if n == 2:
        return ports, words, "  assign out = sel ? in1 : in0;", set()
    lines = ["  always @(*) begin", "    case (sel)"]
    lines += [f"      {sized(sw, k)}: out = in{k};" for k in range(n)]
    lines += [f"      default: out = {sized(w, 0)};", "    endcase", "  end"]
    return ports, words, "\n".join(lines), {"out"}


def _alu(rng: random.Random, d: int, w: int) -> Built:
    ops = rng.sample(list(_ALU_OPS), 4)
    ports = [inp("a", w), inp("b", w), inp("op", 2), out("result", w), out("zero")]
    cases = "; ".join(f"{_ALU_OPS[o]} when op is {k}" for k, o in enumerate(ops))
    words = [f"The module should implement {a_n(w)} {w}-bit ALU. The output result is {cases}; sums and "
             f"differences keep their low {w} bits. The output zero is 1 when result is 0."]
    lines = ["  always @(*) begin", "    case (op)"]
    lines += [f"      2'd{k}: result = {o};" for k, o in enumerate(ops)]
    lines += ["    endcase", "  end", "", "  assign zero = (result == " + sized(w, 0) + ");"]
    return ports, words, "\n".join(lines), {"result"}


ARITHMETIC = Arithmetic()
