"""Simulated annealing over recipes: mutate one position (or swap two), Metropolis on log ADP ratio.

The temperature falls geometrically from ``t0`` to ``t1`` over the budget; log ratios near 0.01-0.1
separate good from bad recipes, which sets the scale of both.
"""

from __future__ import annotations

import math

from rtlgen.synth.recipes import ACTIONS
from rtlgen.synth.search.base import Evaluator, SearchMethod


class AnnealSearch(SearchMethod):
    name = "anneal"
    t0 = 0.05  # accept a 5 % worse recipe with probability 1/e at the start
    t1 = 0.002  # nearly greedy at the end

    def search(self, ev: Evaluator) -> None:
        cur = self.random_actions()
        cur_cost = math.log(ev(cur))
        steps = max(ev.budget - 1, 1)
        for _k in range(10 * ev.budget):
            temp = self.t0 * (self.t1 / self.t0) ** (min(ev.evaluations, steps) / steps)
            cand, first = self._neighbour(cur)
            cost = math.log(ev(cand, keep_prefix=first))
            if cost <= cur_cost or self.rng.random() < math.exp(-(cost - cur_cost) / temp):
                cur, cur_cost = cand, cost

    def _neighbour(self, recipe: list[int]) -> tuple[list[int], int]:
        cand = list(recipe)
        if self.rng.random() < 0.8:
            i = self.rng.randrange(len(cand))
            cand[i] = self.rng.choice([a for a in range(len(ACTIONS)) if a != cand[i]])
            return cand, i
        i, j = sorted(self.rng.sample(range(len(cand)), 2))
        cand[i], cand[j] = cand[j], cand[i]
        return cand, i
