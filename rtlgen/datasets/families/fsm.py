"""Finite-state machines from state tables: Moore or Mealy, synchronous or asynchronous reset.

Difficulty sets the number of states (2 to 8), the input width (1 bit, then 2), the output width, and
how often the machine is Mealy or has an active-low reset. Every state is reachable from the reset state
(a spanning tree of transitions is laid first), so the testbench's random walk visits the whole table,
and no two states are equivalent, so every row of the table matters.
"""

from __future__ import annotations

import random

from rtlgen.datasets.families.base import Design, Family, bits, inp, out, sized
from rtlgen.datasets.families.render import para
from rtlgen.datasets.families.stimulus import Reset, clocked

_STATES = {1: (2, 3), 2: (3, 4), 3: (4, 5), 4: (5, 6), 5: (6, 8)}
_NAMES = "ABCDEFGH"


def _transitions(rng: random.Random, n: int, n_in: int) -> list[list[int]]:
    """``nxt[s][x]``: every state reachable from state 0."""
    nxt = [[rng.randrange(n) for _ in range(n_in)] for _ in range(n)]
    taken: set[tuple[int, int]] = set()
    for s in range(1, n):
        free = [(p, x) for p in range(s) for x in range(n_in) if (p, x) not in taken]
        p, x = rng.choice(free)
        nxt[p][x] = s
        taken.add((p, x))
    return nxt


def _minimal(nxt: list[list[int]], outs: list[list[int]]) -> bool:
    """No two states equivalent (Moore's partition refinement): every state row of the table matters."""
    cls = [tuple(row) for row in outs]
    while True:
        ids = {c: k for k, c in enumerate(dict.fromkeys(cls))}
        finer = [(ids[cls[s]], tuple(ids[cls[t]] for t in nxt[s])) for s in range(len(nxt))]
        if len(set(finer)) == len(set(cls)):
            return len(set(cls)) == len(nxt)
        cls = finer


def _outputs(rng: random.Random, rows: int, cols: int, width: int) -> list[list[int]]:
    while True:
        outs = [[rng.getrandbits(width) for _ in range(cols)] for _ in range(rows)]
        if len({v for row in outs for v in row}) > 1:
            return outs


class StateMachine(Family):
    name = "fsm"
    summary = "a Moore or Mealy state machine from its state table"

    def build(self, rng: random.Random, difficulty: int) -> Design:
        n = rng.randint(*_STATES[difficulty])
        in_w = 1 if difficulty <= 3 else 2
        out_w = 2 if difficulty == 5 and rng.random() < 0.5 else 1
        mealy = rng.random() < (0.2 + 0.15 * difficulty)
        reset = Reset.draw(rng, difficulty)
        x, z = rng.choice((("x", "z"), ("in", "out"), ("w", "y")))
        n_in = 1 << in_w
        for _ in range(200):  # redraw machines with equivalent states (a smaller machine in disguise)
            nxt = _transitions(rng, n, n_in)
            outs = _outputs(rng, n, n_in if mealy else 1, out_w)
            if _minimal(nxt, outs):
                break
        names = _NAMES[:n]
        sw = max(1, (n - 1).bit_length())

        def val(v: int) -> str:
            return bits(out_w, v)

        heads = [f"{x}={bits(in_w, c)}" for c in range(n_in)]
        if mealy:
            rows = [["State", *heads], *[[names[s], *(f"{names[nxt[s][c]]}, {val(outs[s][c])}"
                                                      for c in range(n_in))] for s in range(n)]]
            caption = (f"Each cell gives the next state and the value of {z} for the current state (row) "
                       f"and the value of {x} (column); {z} depends on the current state and {x}, as in a "
                       "Mealy machine.")
        else:
            rows = [["State", *(f"next ({h})" for h in heads), z],
                    *[[names[s], *(names[nxt[s][c]] for c in range(n_in)), val(outs[s][0])] for s in range(n)]]
            caption = (f"Each row gives the next state for each value of {x} and the value of {z} in that "
                       f"state; {z} depends on the current state only, as in a Moore machine.")
        widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
        table = "\n".join("  " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                          for r in rows)
        description = "\n\n".join([
            para(f"The module should implement a {'Mealy' if mealy else 'Moore'} state machine with the "
                 f"{n} states {', '.join(names)} and the state transition table below. {caption} You may "
                 "choose any state encoding."),
            table,
            reset.sentence(f"puts the state machine in state {names[0]}"),
        ]) + "\n"
        ports = (inp("clk"), reset.port, inp(x, in_w), out(z, out_w))
        body = _body(names, nxt, outs, mealy, reset, x, z, in_w, out_w, sw)
        stim = clocked(rng, reset, [inp(x, in_w)], cycles=40 * n + 60)
        return Design(ports, description, body, stim, regs=frozenset({z}))


def _body(names: str, nxt: list[list[int]], outs: list[list[int]], mealy: bool, reset: Reset,
          x: str, z: str, in_w: int, out_w: int, sw: int) -> str:
    n, n_in = len(names), 1 << in_w
    params = ", ".join(f"{s} = {sized(sw, i)}" for i, s in enumerate(names))
    lines = [f"  localparam [{sw - 1}:0] {params};", f"  reg [{sw - 1}:0] state, next_state;", "",
             "  always @(*) begin", f"    next_state = {names[0]};", f"    {z} = {sized(out_w, 0)};",
             "    case (state)"]
    for s in range(n):
        if mealy:
            lines.append(f"      {names[s]}: begin")
            lines.append(f"        case ({x})")
            for c in range(n_in):
                lines.append(f"          {sized(in_w, c)}: begin next_state = {names[nxt[s][c]]}; "
                             f"{z} = {out_w}'b{bits(out_w, outs[s][c])}; end")
            lines += ["        endcase", "      end"]
        else:
            targets = " ".join(f"{sized(in_w, c)}: next_state = {names[nxt[s][c]]};" for c in range(n_in))
            lines.append(f"      {names[s]}: begin {z} = {out_w}'b{bits(out_w, outs[s][0])}; "
                         f"case ({x}) {targets} endcase end")
    lines += ["    endcase", "  end", "", f"  {reset.always()} begin",
              f"    if ({reset.condition()}) state <= {names[0]};", "    else state <= next_state;", "  end"]
    return "\n".join(lines)


FSM = StateMachine()
