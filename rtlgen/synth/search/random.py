"""Random search: uniformly random recipes of the configured length, best one kept."""

from __future__ import annotations

from rtlgen.synth.search.base import Evaluator, SearchMethod


class RandomSearch(SearchMethod):
    name = "random"

    def search(self, ev: Evaluator) -> None:
        misses = 0
        while misses < 1000:  # memo hits are free; stop if the space is exhausted
            before = ev.evaluations
            ev(self.random_actions())
            misses = 0 if ev.evaluations > before else misses + 1
