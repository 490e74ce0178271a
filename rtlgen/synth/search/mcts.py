"""Monte-Carlo tree search over recipe prefixes (PUCT), the base of the retrieval-guided agent.

A node is a prefix; an iteration selects down the tree, expands one new action, completes the recipe
with the rollout policy and evaluates it (one budget unit; with ``Evaluator.resume`` later rollouts
through the node start from its snapshotted AIG). Rewards are -log(adp / resyn2_adp), min-max
normalised over what has been seen; a node's value mixes its mean and its best (single-player search
cares about the best recipe). Plain MCTS uses a uniform prior; subclasses supply ``prior``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rtlgen.synth.recipes import ACTIONS
from rtlgen.synth.search.base import Evaluator, SearchMethod

N_ACTIONS = len(ACTIONS)


@dataclass
class Node:
    depth: int
    visits: int = 0
    total: float = 0.0
    best: float = -math.inf
    children: dict[int, Node] = field(default_factory=dict)


class MctsSearch(SearchMethod):
    name = "mcts"
    c_puct = 1.0  # exploration weight on normalised rewards
    widen = 2.0  # progressive widening: a node may have ceil(widen * sqrt(visits + 1)) children
    best_weight = 0.5  # node value = (1 - w) mean + w best

    def prior(self, depth: int, prev: int) -> np.ndarray:
        """P(action | position, previous action); uniform for plain MCTS."""
        return np.full(N_ACTIONS, 1.0 / N_ACTIONS)

    def seeds(self, ev: Evaluator) -> list[list[int]]:
        """Recipes evaluated first and fed into the tree (none for plain MCTS)."""
        return []

    def search(self, ev: Evaluator) -> None:
        self.root = Node(depth=0)
        self._lo, self._hi = math.inf, -math.inf
        for recipe in self.seeds(ev):
            self._backup(self._path_of(recipe), self._reward(ev(recipe)))
        for _ in range(20 * ev.budget):
            path, actions = self._select()
            rollout = actions + self._rollout(actions)
            reward = self._reward(ev(rollout, keep_prefix=len(actions)))
            self._backup(path, reward)

    # -- tree -------------------------------------------------------------------------------
    def _path_of(self, recipe: list[int]) -> list[Node]:
        node, path = self.root, [self.root]
        for a in recipe:
            node = node.children.setdefault(a, Node(depth=node.depth + 1))
            path.append(node)
        return path

    def _select(self) -> tuple[list[Node], list[int]]:
        node, path, actions = self.root, [self.root], []
        while node.depth < self.length:
            prev = actions[-1] if actions else N_ACTIONS
            p = self.prior(node.depth, prev)
            untried = [a for a in range(N_ACTIONS) if a not in node.children]
            if untried and len(node.children) < math.ceil(self.widen * math.sqrt(node.visits + 1)):
                weights = p[untried] / p[untried].sum()
                a = int(self.rng.choices(untried, weights=list(weights))[0])
                child = node.children[a] = Node(depth=node.depth + 1)
                return path + [child], actions + [a]
            a = max(node.children, key=lambda b: self._score(node, node.children[b], p[b]))
            node = node.children[a]
            path.append(node)
            actions.append(a)
        return path, actions

    def _score(self, parent: Node, child: Node, p: float) -> float:
        if child.visits == 0:
            q = 0.0
        else:
            q = (1 - self.best_weight) * self._norm(child.total / child.visits) + self.best_weight * self._norm(child.best)
        return q + self.c_puct * p * math.sqrt(parent.visits) / (1 + child.visits)

    def _rollout(self, actions: list[int]) -> list[int]:
        out, prev = [], actions[-1] if actions else N_ACTIONS
        for depth in range(len(actions), self.length):
            p = self.prior(depth, prev)
            prev = int(self.rng.choices(range(N_ACTIONS), weights=list(p))[0])
            out.append(prev)
        return out

    # -- values -----------------------------------------------------------------------------
    def _reward(self, ratio: float) -> float:
        r = -math.log(ratio) if math.isfinite(ratio) and ratio > 0 else -1.0
        self._lo, self._hi = min(self._lo, r), max(self._hi, r)
        return r

    def _norm(self, r: float) -> float:
        span = self._hi - self._lo
        return 0.5 if span <= 0 else (r - self._lo) / span

    @staticmethod
    def _backup(path: list[Node], reward: float) -> None:
        for node in path:
            node.visits += 1
            node.total += reward
            node.best = max(node.best, reward)
