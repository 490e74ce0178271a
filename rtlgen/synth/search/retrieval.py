"""Retrieval-guided agent (after ABC-RL): MCTS whose prior comes from the nearest training designs.

The design is embedded (``rtlgen.synth.embedding``) and its k nearest training designs retrieved from
the shipped prior. Their per-position action-value models, weighted by similarity and mixed with the
global model, give a policy ``pi(a | position, previous action)``; the similarity sets alpha
(``similarity_alpha``, ABC-RL's 1 - sigmoid(100 (d - 0.007)) on a rescaled distance) and MCTS uses
``pi ** alpha`` (alpha 0: plain MCTS). The neighbours' best logged recipes are evaluated first and
seed the tree, fewer of them when the design is far from every training design.

Below ``min_alpha`` (0.5: the nearest training design is farther than training designs typically are
from each other) the prior is not used at all: no seeds, a uniform policy, i.e. plain MCTS. Measured in
the abc-rl preset (``benchmarks/abc_rl_preset.py``, 6 seeds, every evaluation run from the design): on
c432 and sin (alpha 0.32 and 0.29) the neighbours' recipes and policy made the search worse than random,
while plain MCTS beat random there.

The tree search gets the first ``refine_after`` share of the budget; the rest anneals
(``rtlgen.synth.search.anneal``, from ``refine_t0`` down, with shift moves) from the best recipe the tree
found. In the abc-rl preset the tree's best at half budget was ahead of annealing's, and annealing's
low-temperature second half gained more than the tree's. Together (6 seeds, 9 designs) they beat MCTS
alone on 8 of 9 designs (c499: every method reaches the same floor) and annealing alone on all 9:
validation geomean 0.804, against 0.823 for the tree search alone and 0.826 for annealing alone.
Neighbouring settings measured the same way: tree for 30% of the budget 0.813, for 70% 0.814, shift share 0.4 0.813,
refinement from t0 0.003 0.809, changes weighted toward the recipe's end (weight 1 + 0.5 i; late changes
improved 10-20% of the time, early ones 0-4%) with 5% swaps 0.806, and each refinement step evaluating
the best of 10 neighbours by a Gaussian-process mean (Hamming kernel, fitted on the design's evaluations so
far; its rank correlation with the next candidate's outcome is about 0.2) 0.806; a return to the
best recipe after 12 evaluations without a new best 0.803; and a steady-state genetic refinement instead of
annealing (the tree's 8 best recipes as population, tournament of two, one-point crossover half the time, the
annealing moves as mutation) 0.815. Differences under ~0.01 are within seed noise.

Why no prior closes the rest of the gap to ABC-RL's 20.9% (``benchmarks/recipe_transfer.py``: 1,200 common
random recipes on each of the 19 training designs under 4,000 AND nodes, ASAP7): two designs rank the same
recipes with a mean Spearman correlation of 0.03 (0.03 also for each design and its nearest neighbour by the
embedding), and, leaving a design out, the best of 20 recipes taken from the others (a greedy portfolio, the
nearest design's best 20, or the best of designs that rank 10 probe recipes alike) is 0.792-0.799 against
0.800 for 20 random ones. Within a design most of the log-ADP variance is mapped delay (5-17x that of area),
which AIG levels do not predict (Spearman -0.12 to 0.43), and a one-step change keeps only part of a recipe's
value (Pearson 0.19-0.69). A Thompson-sampled ridge on action counts (7 weights; at 60
recipes it ranks held-out ones with Spearman 0.27, level with 70-126-weight models' 0.22-0.28) in place of the tree search, then the same annealing, reached c432 0.702,
apex6 0.930 and table3 0.821 (3 seeds) against 0.668, 0.912 and 0.810: worse.

The prior must come from the session's library: ``optimize(..., prior=get_preset(name).load_prior())``
(``prior_asap7.npz`` for the ``abc-rl`` preset; the shipped sky130hd one otherwise).
"""

from __future__ import annotations

import numpy as np

from rtlgen.synth.embedding import similarity_alpha
from rtlgen.synth.prior import TRAIN_LENGTH, Prior, load_prior
from rtlgen.synth.search.anneal import anneal
from rtlgen.synth.search.base import Evaluator
from rtlgen.synth.search.mcts import N_ACTIONS, MctsSearch


class RetrievalSearch(MctsSearch):
    name = "retrieval"
    uses_prior = True
    k = 3  # neighbours retrieved
    tau = 0.01  # softmax temperature on predicted log ADP ratios
    max_seeds = 12  # neighbour recipes tried first when alpha is high
    min_alpha = 0.5  # less similar than this: the prior does not apply, search without it
    refine_after = 0.5  # share of the budget for the tree search; the rest anneals from its best recipe
    refine_t0 = 0.01  # starting temperature of that refinement (AnnealSearch starts at 0.05)
    refine_shift = 0.2  # share of shift moves in it (rtlgen.synth.search.anneal.neighbour)

    def __init__(self, length: int = 10, seed: int = 0, prior: Prior | None = None) -> None:
        super().__init__(length=length, seed=seed)
        self.model = prior or load_prior()
        self.alpha = 0.0
        self.neighbours: list[tuple[str, float]] = []

    def search(self, ev: Evaluator) -> None:
        with ev.capped(max(1, round(self.refine_after * ev.budget))):
            super().search(ev)
        anneal(ev, self.rng, ev.best_actions or self.random_actions(), t0=self.refine_t0, shift=self.refine_shift)

    def seeds(self, ev: Evaluator) -> list[list[int]]:
        nbrs = self.model.neighbours(ev.design, self.k)
        self.neighbours = [(self.model.names[i], d) for i, d in nbrs]
        self.alpha = similarity_alpha(nbrs[0][1], self.model.d0)
        if self.alpha < self.min_alpha:
            self.alpha = 0.0  # prior() is then uniform: plain MCTS
            return []
        sim = np.array([np.exp(-d / self.model.d0) for _, d in nbrs])
        sim /= sim.sum()
        w_pos = 0.5 * self.model.g_pos + 0.5 * np.tensordot(sim, self.model.w_pos[[i for i, _ in nbrs]], axes=1)
        w_bi = 0.5 * self.model.g_bi + 0.5 * np.tensordot(sim, self.model.w_bi[[i for i, _ in nbrs]], axes=1)
        self._logits_pos, self._logits_bi = -w_pos / self.tau, -w_bi / self.tau
        n_seeds = max(1, round(self.max_seeds * min(1.0, 2 * self.alpha)))
        ranked = sorted(((float(r), tuple(int(a) for a in rec)) for i, _ in nbrs
                         for rec, r in zip(self.model.top[i], self.model.top_ratio[i], strict=False)))
        out: list[list[int]] = []
        for _, rec in ranked:
            recipe = self._fit_length(list(rec))
            if recipe not in out:
                out.append(recipe)
            if len(out) >= n_seeds:
                break
        return out

    def _fit_length(self, recipe: list[int]) -> list[int]:
        if len(recipe) >= self.length:
            return recipe[:self.length]
        return recipe + self._rollout(recipe)

    def prior(self, depth: int, prev: int) -> np.ndarray:
        if not hasattr(self, "_logits_pos"):
            return np.full(N_ACTIONS, 1.0 / N_ACTIONS)
        pos = min(depth * TRAIN_LENGTH // self.length, TRAIN_LENGTH - 1)
        logits = self.alpha * (self._logits_pos[pos] + self._logits_bi[prev])  # softmax(l) ** alpha, renormalised
        p = np.exp(logits - logits.max())
        return p / p.sum()
