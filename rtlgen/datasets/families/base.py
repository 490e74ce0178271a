"""What a correct-by-construction family is and what it yields.

A family (``Family``) turns a seeded ``random.Random`` and a difficulty (1 = easiest .. 5) into a
``Design``: the ports, the behaviour in words (the part of the spec after the interface list), the
reference module's body and the stimulus its testbench drives. ``rtlgen.datasets.families.generate``
renders a ``Design`` into a ``FamilyInstance``: a VerilogEval-style spec naming ``TopModule``, a
``RefModule`` reference and a VerilogEval v2 testbench, all from the same facts, so the reference passes
its testbench by construction (``tests/test_datasets_families.py`` proves it through the judge).
"""

from __future__ import annotations

import abc
import enum
import hashlib
import random
import re
from dataclasses import dataclass
from typing import ClassVar

from rtlgen.errors import InputError

MIN_DIFFICULTY, MAX_DIFFICULTY = 1, 5
REF_TOP, DUT_TOP, TB_TOP = "RefModule", "TopModule", "tb"


class Direction(enum.StrEnum):
    INPUT = "input"
    OUTPUT = "output"


class Timing(enum.StrEnum):
    """How the testbench drives and samples (both compare every output at every clock edge)."""

    COMBINATIONAL = "combinational"  # inputs change at both edges of the bench's clock; no clock port
    CLOCKED = "clocked"  # the design has a clock port; inputs change at falling edges only


@dataclass(frozen=True)
class Port:
    name: str
    direction: Direction
    width: int = 1
    signed: bool = False  # only said in the spec; the port itself is declared unsigned, as VerilogEval does

    def range(self) -> str:
        return f"[{self.width - 1}:0] " if self.width > 1 else ""


def inp(name: str, width: int = 1) -> Port:
    return Port(name, Direction.INPUT, width)


def out(name: str, width: int = 1) -> Port:
    return Port(name, Direction.OUTPUT, width)


@dataclass(frozen=True)
class Stimulus:
    """What the testbench applies: ``vectors[k]`` holds one value per driven input (``driven`` order), the
    first at time 0 and the next at each following edge the timing allows."""

    timing: Timing
    driven: tuple[str, ...]
    vectors: tuple[tuple[int, ...], ...]
    clock: str = "clk"
    skip_edges: int = 0  # clock edges not compared at the start (before the first reset has taken effect)
    # (input, asserted level): a short pulse of it between a falling and the next rising edge, after the
    # vectors whose indices are in ``pulse_at``; an asynchronous reset acts on it, a synchronous one must not
    pulse: tuple[str, int] | None = None
    pulse_at: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Design:
    """A family's answer for one seed and difficulty, before rendering."""

    ports: tuple[Port, ...]
    description: str  # the spec after the interface list (prose, tables)
    body: str  # the reference module's body, between its header and ``endmodule``
    stimulus: Stimulus
    regs: frozenset[str] = frozenset()  # outputs the body assigns procedurally (declared ``output reg``)


@dataclass(frozen=True)
class FamilyInstance:
    """One generated problem: spec, reference and testbench, consistent by construction."""

    id: str
    family: str
    difficulty: int
    seed: int
    spec: str
    reference: str
    testbench: str
    top: str = DUT_TOP
    ref_top: str = REF_TOP
    ports: tuple[Port, ...] = ()

    @property
    def solution(self) -> str:
        """The reference as a ``TopModule`` solution (what SFT trains on)."""
        return re.sub(rf"\bmodule\s+{self.ref_top}\b", f"module {self.top}", self.reference, count=1)

    @property
    def content_hash(self) -> str:
        """Identity of the problem's answer: the reference with whitespace collapsed (two seeds that draw
        the same circuit share it, whatever the spec's wording)."""
        return hashlib.sha256(" ".join(self.reference.split()).encode()).hexdigest()

    def bench(self):
        """The judge's trusted ``Bench`` for this instance."""
        from rtlgen.sim.judge import Bench, BenchProtocol

        return Bench({"test.sv": self.testbench, "ref.sv": self.reference}, top=TB_TOP, dut_top=self.top,
                     reference_top=self.ref_top, protocol=BenchProtocol.MISMATCH_COUNT, name=self.id,
                     port_reference=self.reference)  # the judge reads the ports from this, not the long bench


class Family(abc.ABC):
    """A generator of designs of one kind; ``build`` must depend only on ``rng`` and ``difficulty``."""

    name: ClassVar[str]
    summary: ClassVar[str] = ""

    @abc.abstractmethod
    def build(self, rng: random.Random, difficulty: int) -> Design:
        """A design drawn from ``rng`` at ``difficulty`` (``MIN_DIFFICULTY`` .. ``MAX_DIFFICULTY``)."""


def check_difficulty(difficulty: object) -> int:
    if isinstance(difficulty, bool) or not isinstance(difficulty, int) or \
            not MIN_DIFFICULTY <= difficulty <= MAX_DIFFICULTY:
        raise InputError(f"difficulty must be an integer from {MIN_DIFFICULTY} to {MAX_DIFFICULTY}, "
                         f"not {difficulty!r}")
    return difficulty


def sized(width: int, value: int) -> str:
    """``value`` as a sized Verilog literal (``4'd9``)."""
    return f"{width}'d{value & ((1 << width) - 1)}"


def bits(width: int, value: int) -> str:
    """``value`` as ``width`` binary digits."""
    return format(value & ((1 << width) - 1), f"0{width}b")
