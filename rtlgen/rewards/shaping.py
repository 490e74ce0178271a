"""Training-time shaping of dense (partial-credit) rewards: Clip and Delta.

From "On Designing Effective RL Reward at Training Time for LLM Reasoning" (Gao et al., 2024): dense
rewards given at every step let a policy farm them (more steps, more partial credit) instead of
solving the task. Two fixes, each switchable here and applied only to the *dense* part of a reward
(``rtlgen.rewards.combined`` keeps the outcome, a pass, out of it):

- **clip**: ``r -> min(r - threshold, 0)``. Every dense reward becomes a penalty or nothing, so
  repeating partial credit can never add up to more than zero; only the outcome is positive.
- **delta**: over the consecutive attempts of one episode, ``r_t -> r_t - r_{t+1}`` (the last keeps its
  own). The sum telescopes to the first attempt's reward, so a long chain of attempts earns no more
  than a short one, while each attempt still sees whether it improved on the next.

Both together apply clip first. An episode is the rows that share an id (``episode_column`` in the
combined reward: an agent's or ITERTL's attempts at one problem, in order); a row without one is an
episode of its own, where delta changes nothing. ``None`` values pass through and are skipped.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from rtlgen.config import help_


@dataclass(frozen=True)
class ShapingConfig:
    clip: bool = field(default=False, metadata=help_("dense reward -> min(r - clip_threshold, 0)"))
    clip_threshold: float = field(default=0.5, metadata=help_("subtracted before clipping at 0"))
    delta: bool = field(default=False, metadata=help_("dense reward -> r_t - r_(t+1) within an episode"))

    @property
    def active(self) -> bool:
        return self.clip or self.delta


def clip(values: Sequence[float | None], threshold: float) -> list[float | None]:
    return [None if v is None else min(v - threshold, 0.0) for v in values]


def delta(values: Sequence[float | None]) -> list[float | None]:
    """``r_t - r_(t+1)`` over the non-None values in order; the last keeps its own; the sum is the first."""
    out: list[float | None] = list(values)
    scored = [i for i, v in enumerate(values) if v is not None]
    for here, nxt in zip(scored, scored[1:], strict=False):
        out[here] = values[here] - values[nxt]  # type: ignore[operator]
    return out


def shape(values: Sequence[float | None], config: ShapingConfig) -> list[float | None]:
    """One episode's consecutive dense rewards, shaped as ``config`` says."""
    out = list(values)
    if config.clip:
        out = clip(out, config.clip_threshold)
    if config.delta:
        out = delta(out)
    return out


def shape_episodes(values: Sequence[float | None], episodes: Sequence[Hashable | None],
                   config: ShapingConfig) -> list[float | None]:
    """``shape`` within each episode (rows sharing an id, in row order); None ids are single-row episodes."""
    out: list[float | None] = list(values)
    groups: dict[Hashable, list[int]] = {}
    for i, ep in enumerate(episodes):
        groups.setdefault(("row", i) if ep is None else ("ep", ep), []).append(i)
    for rows in groups.values():
        for i, v in zip(rows, shape([values[i] for i in rows], config), strict=True):
            out[i] = v
    return out


__all__ = ["ShapingConfig", "clip", "delta", "shape", "shape_episodes"]
