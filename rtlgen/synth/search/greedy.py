"""Greedy construction, then first-improvement local search with the rest of the budget.

Step i tries every action appended to the best prefix so far; the recipe's ADP after mapping decides.
Once the recipe has its length, single-position changes of the best recipe are tried in random order.
"""

from __future__ import annotations

from rtlgen.synth.recipes import ACTIONS
from rtlgen.synth.search.base import Evaluator, SearchMethod


class GreedySearch(SearchMethod):
    name = "greedy"

    def search(self, ev: Evaluator) -> None:
        prefix: list[int] = []
        while len(prefix) < self.length:
            scores = {a: ev(prefix + [a], keep_prefix=len(prefix) + 1) for a in range(len(ACTIONS))}
            prefix.append(min(scores, key=scores.get))
        best, best_score = prefix, ev(prefix)
        while True:
            moves = [(i, a) for i in range(self.length) for a in range(len(ACTIONS)) if a != best[i]]
            self.rng.shuffle(moves)
            improved = False
            for i, a in moves:
                cand = best[:i] + [a] + best[i + 1:]
                score = ev(cand, keep_prefix=i)
                if score < best_score:
                    best, best_score, improved = cand, score, True
                    break
            if not improved:
                return
