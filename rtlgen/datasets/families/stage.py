"""The ``families`` pipeline stage: correct-by-construction samples from the generators, no input needed.

    stages:
      - name: families
        options: {families: [fsm, counter], count: 200, seed: 0, difficulty: [2, 4]}

A source-like stage: ``process`` passes its input through and appends ``count`` instances of each
family (distinct by content hash), so it works first in a pipeline or after other sources. Each
instance becomes a ``Sample`` whose code is the reference renamed ``TopModule`` (a verified solution),
with the ``RefModule`` text as reference, the VerilogEval-style testbench, and the spec as its detailed
description; provenance source "families", license Apache-2.0 (the project's, as the generator's output).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from rtlgen.config import help_
from rtlgen.datasets.families import FAMILIES, difficulty_range, generate
from rtlgen.datasets.families.base import MAX_DIFFICULTY, MIN_DIFFICULTY, FamilyInstance
from rtlgen.datasets.sample import DescriptionLevel, Dropped, Provenance, Sample
from rtlgen.datasets.stage import Stage
from rtlgen.errors import InputError

SOURCE = "families"
LICENSE = "Apache-2.0"
_DRAWS_PER_INSTANCE = 20  # a small family (2-input truth tables) runs out of distinct circuits


@dataclass(frozen=True)
class FamiliesOptions:
    families: tuple[str, ...] = field(default=(), metadata=help_("family names to generate; empty: every family"))
    count: int = field(default=100, metadata=help_("distinct instances per family"))
    seed: int = field(default=0, metadata=help_("master seed; instance seeds derive from it"))
    difficulty: tuple[int, ...] = field(default=(MIN_DIFFICULTY, MAX_DIFFICULTY),
                                        metadata=help_("inclusive [low, high] difficulty range, 1 (easy) to 5"))

    def __post_init__(self) -> None:
        for name in self.families:
            FAMILIES.get(name)  # "unknown family 'fsn'; did you mean 'fsm'?"
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise InputError(f"families.count must be a non-negative integer, not {self.count!r}")
        difficulty_range(self.difficulty)


def to_sample(inst: FamilyInstance, stage: str = SOURCE) -> Sample:
    """The pipeline record of one instance (see the module docstring)."""
    return Sample(id=inst.id, code=inst.solution, top=inst.top,
                  descriptions={DescriptionLevel.DETAILED.value: inst.spec}, testbench=inst.testbench,
                  reference=inst.reference, provenance=Provenance(source=SOURCE, path=inst.id, license=LICENSE),
                  history=(stage,), meta={"family": inst.family, "difficulty": inst.difficulty, "seed": inst.seed,
                                          "content_hash": inst.content_hash, "ref_top": inst.ref_top})


def distinct_instances(family: str, count: int, seed: int, difficulty: Sequence[int] | int,
                       seen: set[str] | None = None) -> Iterator[FamilyInstance]:
    """Up to ``count`` instances of ``family`` whose content hashes are not in ``seen`` (updated)."""
    low, high = difficulty_range(difficulty)
    seen = set() if seen is None else seen
    made = 0
    for k in range(_DRAWS_PER_INSTANCE * count + 20):
        if made == count:
            return
        digest = hashlib.sha256(f"{seed}/{family}/{k}".encode()).digest()
        inst = generate(family, int.from_bytes(digest[:4], "big"), low + digest[4] % (high - low + 1))
        if inst.content_hash in seen:
            continue
        seen.add(inst.content_hash)
        made += 1
        yield inst


class Families(Stage):
    name = "families"
    Options = FamiliesOptions
    whole = True  # one call: pass the input through, then add the generated samples

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        return [*batch, *self.samples()]

    def samples(self) -> list[Sample]:
        """``count`` distinct instances of each family, as samples."""
        opts: FamiliesOptions = self.options
        names = list(opts.families) or FAMILIES.names()
        seen: set[str] = set()
        out: list[Sample] = []
        for name in names:
            out += [to_sample(i, self.name) for i in distinct_instances(name, opts.count, opts.seed,
                                                                        tuple(opts.difficulty), seen)]
        return out


__all__ = ["Families", "FamiliesOptions", "distinct_instances", "to_sample"]
