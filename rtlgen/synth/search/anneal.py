"""Simulated annealing over recipes: mutate one position (or swap two), Metropolis on log ADP ratio.

The temperature falls geometrically from ``t0`` to ``t1`` over the budget; log ratios near 0.01-0.1
separate good from bad recipes, which sets the scale of both. ``anneal`` is also the refinement phase
of the retrieval agent, started from its tree search's best recipe at a lower ``t0``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from rtlgen.synth.recipes import ACTIONS
from rtlgen.synth.search.base import Evaluator, SearchMethod

T0 = 0.05  # accept a 5 % worse recipe with probability 1/e at the start
T1 = 0.002  # nearly greedy at the end


def anneal(ev: Evaluator, rng: random.Random, start: Sequence[int], t0: float = T0, t1: float = T1) -> None:
    """Anneal from ``start`` until the evaluator's budget is spent (it raises BudgetExhausted)."""
    first = ev.evaluations
    cur = list(start)
    cur_cost = math.log(ev(cur))
    steps = max(ev.budget - first - 1, 1)
    for _k in range(10 * ev.budget):
        temp = t0 * (t1 / t0) ** (min(ev.evaluations - first, steps) / steps)
        cand, changed = neighbour(cur, rng)
        cost = math.log(ev(cand, keep_prefix=changed))
        if cost <= cur_cost or rng.random() < math.exp(-(cost - cur_cost) / temp):
            cur, cur_cost = cand, cost


def neighbour(recipe: list[int], rng: random.Random) -> tuple[list[int], int]:
    """The recipe with one position changed (80 %) or two swapped, and the first position that differs."""
    cand = list(recipe)
    if rng.random() < 0.8:
        i = rng.randrange(len(cand))
        cand[i] = rng.choice([a for a in range(len(ACTIONS)) if a != cand[i]])
        return cand, i
    i, j = sorted(rng.sample(range(len(cand)), 2))
    cand[i], cand[j] = cand[j], cand[i]
    return cand, i


class AnnealSearch(SearchMethod):
    name = "anneal"

    def search(self, ev: Evaluator) -> None:
        anneal(ev, self.rng, self.random_actions())
