"""The search interface: an evaluator that counts the budget, a method base class, the result.

Budget is counted in recipe evaluations (one ABC run of a recipe through ``map; topo; stime``);
repeating an already evaluated recipe is answered from memory and not charged. Objectives are
ADP ratios to resyn2 on the same design, so methods see numbers near 1 whatever the design size.

Every evaluation runs the recipe from the design itself, as the reported result is run: the search
optimises exactly the figure it reports. Resuming from a snapshotted prefix (``resume=True``) is
10-15% cheaper but not the same function: the AIGER round trip renumbers nodes, and on the ASAP7
validation designs 3-34% of a retrieval run's resumed evaluations differed from the run from the start,
by up to 9% ADP; the best resumed figure of a search could then be one the recipe does not give.
"""

from __future__ import annotations

import abc
import contextlib
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from rtlgen.synth.abc_session import AbcSession
from rtlgen.synth.frontend import Design
from rtlgen.synth.qor import QoR, SynthError
from rtlgen.synth.recipes import ACTIONS, DEFAULT_LENGTH, from_actions


class BudgetExhausted(Exception):
    """Raised by the evaluator when the method asks for one evaluation too many."""


@dataclass
class Evaluator:
    """Evaluates action sequences on one design, tracks the best, enforces the budget."""

    session: AbcSession
    design: Design
    budget: int
    reference_adp: float  # resyn2's ADP: objectives are adp / reference_adp
    resume: bool = False  # start recipes from snapshotted prefixes (cheaper, approximate: see the module doc)
    evaluations: int = 0
    failures: int = 0
    best_actions: tuple[int, ...] = ()
    best_qor: QoR | None = None
    history: list[tuple[tuple[int, ...], float]] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)  # seconds since the evaluator was made, per history entry
    _t0: float = field(default_factory=time.monotonic)
    _memo: dict[tuple[int, ...], float] = field(default_factory=dict)

    @property
    def remaining(self) -> int:
        return self.budget - self.evaluations

    @property
    def best_ratio(self) -> float:
        return self.best_qor.adp / self.reference_adp if self.best_qor else math.inf

    def __call__(self, actions: Sequence[int], keep_prefix: int | None = None) -> float:
        """ADP ratio of the recipe (inf when ABC failed on it); with ``resume``, snapshots the prefix of length
        keep_prefix (a hint of the method: the prefix it will extend next)."""
        key = tuple(int(a) for a in actions)
        if key in self._memo:
            return self._memo[key]
        if self.evaluations >= self.budget:
            raise BudgetExhausted
        self.evaluations += 1
        keep = ((len(key),) + ((keep_prefix,) if keep_prefix else ())) if self.resume else ()
        try:
            qor = self.session.evaluate(self.design, from_actions(key), keep_prefixes=keep,
                                        reuse_snapshots=self.resume)
        except SynthError:
            self.failures += 1
            ratio = math.inf
        else:
            ratio = qor.adp / self.reference_adp
            if self.best_qor is None or qor.adp < self.best_qor.adp:
                self.best_qor, self.best_actions = qor, key
        self._memo[key] = ratio
        self.history.append((key, ratio))
        self.elapsed.append(time.monotonic() - self._t0)
        return ratio

    @contextlib.contextmanager
    def capped(self, evaluations: int) -> Iterator[None]:
        """Within the block the budget ends after ``evaluations`` in all (the phase's BudgetExhausted is
        swallowed); after it, the full budget again."""
        full, self.budget = self.budget, min(self.budget, evaluations)
        try:
            yield
        except BudgetExhausted:
            pass
        finally:
            self.budget = full

    def best_trace(self) -> list[float]:
        """Best ADP ratio found after each evaluation (what iso-QoR comparisons read)."""
        out, best = [], math.inf
        for _, ratio in self.history:
            best = min(best, ratio)
            out.append(best)
        return out


class SearchMethod(abc.ABC):
    """A recipe search; subclasses fill ``search`` and call the evaluator until it raises BudgetExhausted."""

    name: ClassVar[str] = ""
    uses_prior: ClassVar[bool] = False  # True: the constructor takes ``prior=`` (a rtlgen.synth.prior.Prior)

    def __init__(self, length: int = DEFAULT_LENGTH, seed: int = 0) -> None:
        self.length = length
        self.rng = random.Random(seed)
        self.seed = seed

    def random_actions(self, n: int | None = None) -> list[int]:
        return [self.rng.randrange(len(ACTIONS)) for _ in range(self.length if n is None else n)]

    def run(self, evaluator: Evaluator) -> None:
        """Search until the budget is spent (or the method has nothing left to try)."""
        try:
            self.search(evaluator)
        except BudgetExhausted:
            pass

    @abc.abstractmethod
    def search(self, ev: Evaluator) -> None:
        ...
