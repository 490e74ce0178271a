"""The recipe agent: retrieval for a warm start, then Thompson sampling on a model fitted online.

The objective ``log(adp / resyn2)`` is modelled per design as additive in tied per-position action
values (``AgentSearch.basis``: action counts, counts in the second half, the last three actions and the
first). For a new design the agent:

1. retrieves its k nearest training designs (``rtlgen.synth.prior``) and sets the trust ``alpha`` from
   the distance to the nearest (ABC-RL's similarity threshold, ``similarity_alpha``);
2. evaluates the neighbours' best logged recipes (up to ``max_seeds``, fewer as alpha falls) and
   uniform random recipes up to ``n_init``, so that the online fit sees unbiased data too;
3. then, for every remaining evaluation, fits a Bayesian ridge regression on everything evaluated so
   far. Its prior mean is the neighbours' value model projected on the tied weights and scaled by
   trust (a design unlike every training design, alpha near 0, is searched on its own statistics: the
   retrieved models barely rank a held-out design's recipes). One weight vector is drawn from the
   posterior (Thompson sampling) and the unevaluated recipe it scores best is evaluated: the model's
   exact minimiser, else the best of random recipes and one- and two-step mutations of the best
   recipes so far; every ``local_every``-th pick only among mutations of the incumbents. A share
   ``explore`` of picks are uniform random recipes, more after ``patience`` evaluations without a gain,
   which hedges against a model that does not fit the design.

Budget is spent only on real evaluations; the model costs a few milliseconds per pick.

Measured (benchmarks/abc_rl_preset.py, budget 100): it beats random search on most designs but not all,
and retrieval-guided MCTS (``retrieval``) with the same prior does better on both presets, so
``retrieval`` stays the default and this method is kept as the online-model alternative. Why the
online model helps little: on the ASAP7 log a 60-recipe fit ranks held-out recipes of the same design
with Spearman ~0.25, and a neighbour's model ranks them with ~0.05.
"""

from __future__ import annotations

import math

import numpy as np

from rtlgen.synth.embedding import similarity_alpha
from rtlgen.synth.prior import TRAIN_LENGTH, Prior, load_prior
from rtlgen.synth.search.base import Evaluator, SearchMethod
from rtlgen.synth.search.mcts import N_ACTIONS

_START = N_ACTIONS  # "no previous action" row of a bigram table (the scorer takes one; the tied model's is zero)


# Triangular solves by substitution: np.linalg.solve on a ~100x100 system goes through multi-threaded
# OpenBLAS, which on a loaded 2-core machine costs ~0.1 s a call instead of ~0.1 ms.
def _forward(low: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros_like(b)
    for i in range(len(b)):
        out[i] = (b[i] - low[i, :i] @ out[:i]) / low[i, i]
    return out


def _back(up: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros_like(b)
    for i in range(len(b) - 1, -1, -1):
        out[i] = (b[i] - up[i, i + 1:] @ out[i + 1:]) / up[i, i]
    return out


class AgentSearch(SearchMethod):
    name = "agent"
    uses_prior = True
    k = 3  # neighbours retrieved
    n_init = 10  # neighbour recipes + uniform random recipes evaluated before the model picks
    max_seeds = 6  # neighbour recipes tried at alpha >= 0.5
    lam = 10.0  # ridge precision around the prior mean (best of 4/10/25 in leave-out tests on the ASAP7 log)
    sigma2_floor = 2e-4  # observation-noise floor on log ADP ratios
    local_every = 3  # every third pick is a mutation of an incumbent
    pool_random = 300
    explore = 0.15  # share of picks that are uniform random recipes (unbiased data, and a hedge on the model)
    patience, explore_stuck = 15, 0.5  # after this many evaluations without a gain, explore this much

    def __init__(self, length: int = 10, seed: int = 0, prior: Prior | None = None) -> None:
        super().__init__(length=length, seed=seed)
        self.model = prior or load_prior()
        self.np_rng = np.random.default_rng(seed)
        self.alpha = 0.0
        self.neighbours: list[tuple[str, float]] = []
        self._basis = self.basis(length)

    # -- prior ------------------------------------------------------------------------------
    def _prior_mean(self, ev: Evaluator) -> tuple[np.ndarray, list[list[int]]]:
        """Prior mean of the online weights for this design, and neighbour recipes to seed with."""
        m = self.model
        nbrs = m.neighbours(ev.design, self.k)
        self.neighbours = [(m.names[i], d) for i, d in nbrs]
        self.alpha = similarity_alpha(nbrs[0][1], m.d0)
        sim = np.array([math.exp(-d / m.d0) for _, d in nbrs])
        sim /= sim.sum()
        idx = [i for i, _ in nbrs]
        pos_map = [min(i * TRAIN_LENGTH // self.length, TRAIN_LENGTH - 1) for i in range(self.length)]
        w_pos = np.tensordot(sim, m.w_pos[idx], axes=1)[pos_map]
        # Only the neighbours' own models, scaled by trust: the global model predicts a held-out training
        # design's recipe ranking with Spearman ~0.05 (ASAP7 log), no better than nothing.
        w0 = min(1.0, 1.5 * self.alpha) * np.linalg.lstsq(self._basis, w_pos.ravel(), rcond=None)[0]
        n_seeds = max(1, round(self.max_seeds * min(1.0, 2 * self.alpha)))
        ranked = sorted((float(r), tuple(int(a) for a in rec)) for i in idx
                        for rec, r in zip(m.top[i], m.top_ratio[i], strict=False))
        seeds: list[list[int]] = []
        for _, rec in ranked:
            recipe = list(rec[:self.length]) + self.random_actions(max(0, self.length - len(rec)))
            if recipe not in seeds:
                seeds.append(recipe)
            if len(seeds) >= n_seeds:
                break
        return w0, seeds

    # -- model ------------------------------------------------------------------------------
    @staticmethod
    def basis(length: int) -> np.ndarray:
        """(length * 7, F) map from the tied online weights to per-position action values: action counts,
        counts in the second half, the last three positions and the first one (F = 42). Fewer weights than a
        free position x action table predict held-out recipes better (Spearman 0.25 against 0.18 at 60)."""
        groups = [range(length), range(length // 2, length), [length - 1], [length - 2], [length - 3], [0]]
        out = np.zeros((length * N_ACTIONS, len(groups) * N_ACTIONS))
        for g, positions in enumerate(groups):
            for pos in positions:
                if 0 <= pos < length:
                    out[pos * N_ACTIONS + np.arange(N_ACTIONS), g * N_ACTIONS + np.arange(N_ACTIONS)] = 1
        return out

    def _features(self, recipes: np.ndarray) -> np.ndarray:
        return self._basis[np.arange(self.length) * N_ACTIONS + recipes].sum(axis=1)

    def _posterior_sample(self, ev: Evaluator, w0: np.ndarray) -> np.ndarray:
        recipes = np.array([k for k, _ in ev.history])
        y = np.array([r for _, r in ev.history])
        finite = np.isfinite(y) & (y > 0)
        y = np.where(finite, np.log(np.where(finite, y, 1.0)), 0.0)
        y[~finite] = y[finite].max() + 0.1 if finite.any() else 0.0  # failed recipes: worse than any seen
        x = self._features(recipes)
        yc = y - y.mean()
        a = np.einsum("ij,ik->jk", x, x) + self.lam * np.eye(x.shape[1])  # einsum: no threaded BLAS (see _forward)
        chol = np.linalg.cholesky(a)
        mu = _back(chol.T, _forward(chol, np.einsum("ij,i->j", x, yc) + self.lam * w0))
        resid = yc - np.einsum("ij,j->i", x, mu)
        # The in-sample residual shrinks as weights are fitted and would make the draws greedy on a
        # misspecified model; half the spread of the observed objective keeps them exploring.
        sigma2 = max(self.sigma2_floor, float(resid @ resid) / max(len(y) - 1, 1), 0.5 * float(yc @ yc) / len(y))
        z = self.np_rng.standard_normal(len(mu))
        return mu + math.sqrt(sigma2) * _back(chol.T, z)  # cov = sigma2 A^-1

    def _split(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (self._basis @ w).reshape(self.length, N_ACTIONS), np.zeros((N_ACTIONS + 1, N_ACTIONS))

    def _scores(self, recipes: np.ndarray, wp: np.ndarray, wb: np.ndarray) -> np.ndarray:
        prev = np.concatenate([np.full((len(recipes), 1), _START), recipes[:, :-1]], axis=1)
        return wp[np.arange(self.length), recipes].sum(axis=1) + wb[prev, recipes].sum(axis=1)

    def _viterbi(self, wp: np.ndarray, wb: np.ndarray) -> list[int]:
        cost = wb[_START] + wp[0]
        back = []
        for pos in range(1, self.length):
            total = cost[:, None] + wb[:N_ACTIONS] + wp[pos][None, :]
            back.append(total.argmin(axis=0))
            cost = total.min(axis=0)
        out = [int(cost.argmin())]
        for b in reversed(back):
            out.append(int(b[out[-1]]))
        return out[::-1]

    # -- candidates -------------------------------------------------------------------------
    def _mutants(self, recipe, n: int) -> np.ndarray:
        """n copies of ``recipe`` with one position changed (a third of them two)."""
        out = np.tile(np.asarray(recipe, dtype=np.int64), (n, 1))
        rows = np.arange(n)
        for share in (1.0, 1 / 3):
            hit = rows[self.np_rng.random(n) < share]
            pos = self.np_rng.integers(0, self.length, len(hit))
            out[hit, pos] = (out[hit, pos] + self.np_rng.integers(1, N_ACTIONS, len(hit))) % N_ACTIONS
        return out

    def _pick(self, ev: Evaluator, w: np.ndarray, local: bool) -> list[int]:
        wp, wb = self._split(w)
        seen = {k for k, _ in ev.history}
        incumbents = [k for k, r in sorted(ev.history, key=lambda kr: kr[1])[:4]]
        pool = [self._mutants(inc, 60) for inc in incumbents]
        if not local:
            best = tuple(self._viterbi(wp, wb))
            if best not in seen:
                return list(best)
            pool += [self._mutants(best, 100), self.np_rng.integers(0, N_ACTIONS, (self.pool_random, self.length))]
        cand = np.concatenate(pool)
        fresh = np.array([tuple(int(a) for a in row) not in seen for row in cand])
        if not fresh.any():
            return self.random_actions()
        cand = cand[fresh]
        return [int(a) for a in cand[int(self._scores(cand, wp, wb).argmin())]]

    def search(self, ev: Evaluator) -> None:
        w0, seeds = self._prior_mean(ev)
        for recipe in seeds:
            ev(recipe)
        while ev.evaluations < min(self.n_init, ev.budget):
            ev(self.random_actions())
        step, last_gain, best = 0, ev.evaluations, ev.best_ratio
        while ev.evaluations < ev.budget:
            step += 1
            stuck = ev.evaluations - last_gain >= self.patience
            if self.rng.random() < (self.explore_stuck if stuck else self.explore):
                ev(self.random_actions())
            else:
                w = self._posterior_sample(ev, w0)
                ev(self._pick(ev, w, local=step % self.local_every == 0), keep_prefix=self.length // 2)
            if ev.best_ratio < best:
                best, last_gain = ev.best_ratio, ev.evaluations
