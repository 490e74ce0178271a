"""Correct-by-construction problem families (CraftRTL): spec, reference and testbench from one seed.

    from rtlgen.datasets.families import FAMILIES, generate, split_instances
    inst = generate("fsm", seed=7, difficulty=3)          # a FamilyInstance
    verdict = Judge().judge(inst.solution, inst.bench())  # passes, by construction
    train, heldout = split_instances(0, 200, 50)          # disjoint by content hash

Families: truth tables and Karnaugh maps, finite-state machines from state tables (Moore and Mealy,
synchronous or asynchronous reset), counters and shift registers, arithmetic blocks, waveform-described
logic. The same (family, seed, difficulty) always gives the same text.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

from rtlgen.datasets.families.base import (
    MAX_DIFFICULTY,
    MIN_DIFFICULTY,
    Design,
    Direction,
    Family,
    FamilyInstance,
    Port,
    Stimulus,
    Timing,
    check_difficulty,
)
from rtlgen.datasets.families.render import reference_text, spec_text, testbench_text
from rtlgen.errors import InputError
from rtlgen.registry import Registry

FAMILIES: Registry[Family] = Registry("family", base=Family)
FAMILIES.add("truth_table", "rtlgen.datasets.families.truth_table:TRUTH_TABLE")
FAMILIES.add("kmap", "rtlgen.datasets.families.truth_table:KMAP")
FAMILIES.add("fsm", "rtlgen.datasets.families.fsm:FSM")
FAMILIES.add("counter", "rtlgen.datasets.families.counter:COUNTER")
FAMILIES.add("shift_register", "rtlgen.datasets.families.shift_register:SHIFT_REGISTER")
FAMILIES.add("arithmetic", "rtlgen.datasets.families.arithmetic:ARITHMETIC")
FAMILIES.add("waveform", "rtlgen.datasets.families.waveform:WAVEFORM")

DifficultyRange = int | tuple[int, int] | Sequence[int]
_STALE_DRAWS = 2000  # split_instances gives up after this many draws in a row without a new circuit


def generate(family: str, seed: int, difficulty: int) -> FamilyInstance:
    """The instance of ``family`` for ``seed`` at ``difficulty`` (1..5); the same arguments, the same text."""
    gen = FAMILIES.get(family)
    check_difficulty(difficulty)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InputError(f"seed must be an integer, not {seed!r}")
    rng = random.Random(f"rtlgen.families/{family}/{difficulty}/{seed}")  # str seeds are stable across runs
    design = gen.build(rng, difficulty)
    return FamilyInstance(id=f"{family}-d{difficulty}-s{seed}", family=family, difficulty=difficulty, seed=seed,
                          spec=spec_text(design), reference=reference_text(design),
                          testbench=testbench_text(design), ports=design.ports)


def difficulty_range(difficulty: DifficultyRange) -> tuple[int, int]:
    """``3`` or ``(1, 5)`` as an inclusive (low, high) pair, both checked."""
    if isinstance(difficulty, int):
        return check_difficulty(difficulty), difficulty
    pair = tuple(difficulty)
    if len(pair) != 2:
        raise InputError(f"a difficulty range is two integers (low, high), not {difficulty!r}")
    low, high = check_difficulty(pair[0]), check_difficulty(pair[1])
    if low > high:
        raise InputError(f"a difficulty range must have low <= high, not {difficulty!r}")
    return low, high


def iter_instances(seed: int, families: Sequence[str] | None = None,
                   difficulty: DifficultyRange = (MIN_DIFFICULTY, MAX_DIFFICULTY)):
    """An endless stream of instances, round-robin over ``families`` (all when None), each drawn at a
    difficulty from the range; instance seeds derive from ``seed`` so the stream is reproducible."""
    names = list(families) if families else FAMILIES.names()
    for name in names:
        FAMILIES.get(name)
    low, high = difficulty_range(difficulty)
    k = 0
    while True:
        for name in names:
            digest = hashlib.sha256(f"{seed}/{name}/{k}".encode()).digest()
            inst_seed = int.from_bytes(digest[:4], "big")
            yield generate(name, inst_seed, low + digest[4] % (high - low + 1))
        k += 1


def split_instances(seed: int, n_train: int, n_heldout: int, families: Sequence[str] | None = None,
                    difficulty: DifficultyRange = (MIN_DIFFICULTY, MAX_DIFFICULTY)
                    ) -> tuple[list[FamilyInstance], list[FamilyInstance]]:
    """``n_train`` and ``n_heldout`` instances sharing no content hash (no two share a reference,
    within or across the lists); raises InputError when the families cannot give that many distinct ones."""
    for label, n in (("n_train", n_train), ("n_heldout", n_heldout)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InputError(f"{label} must be a non-negative integer, not {n!r}")
    want = n_train + n_heldout
    seen: set[str] = set()
    picked: list[FamilyInstance] = []
    stale = 0  # draws since the last new circuit: small families (2-input truth tables) run out of them
    for inst in iter_instances(seed, families, difficulty):
        if len(picked) == want:
            break
        if stale >= _STALE_DRAWS:
            raise InputError(f"only {len(picked)} distinct instances (no new one in {stale} draws); ask for fewer "
                             "or widen the families or the difficulty range")
        stale += 1
        if inst.content_hash not in seen:
            seen.add(inst.content_hash)
            picked.append(inst)
            stale = 0
    # interleaved picks keep both lists balanced over families and difficulties
    heldout_idx = set(range(0, want, max(1, want // n_heldout)) if n_heldout else ())
    heldout_idx = set(sorted(heldout_idx)[:n_heldout])
    train = [p for i, p in enumerate(picked) if i not in heldout_idx]
    heldout = [p for i, p in enumerate(picked) if i in heldout_idx]
    return train, heldout


def __getattr__(name: str):
    """``Families`` (the pipeline stage) on first use: ``rtlgen.datasets.families:Families`` in the stage
    registry, without importing the pipeline's config machinery with every ``generate``."""
    if name == "Families":
        from rtlgen.datasets.families.stage import Families

        return Families
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FAMILIES", "Families", "Design", "Direction", "Family", "FamilyInstance", "Port", "Stimulus", "Timing",
           "difficulty_range", "generate", "iter_instances", "split_instances"]
