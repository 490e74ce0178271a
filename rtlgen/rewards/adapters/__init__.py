"""Thin adapters of rtlgen's rewards for other trainers: verl (``verl``) and OpenRLHF (``openrlhf``).

Both score through ``rtlgen.rewards.combined.CombinedReward`` (the one judge) with the row's ground
truth encoded by ``rtlgen.rewards.labels``; the reward's config is a YAML file (``CombinedConfig``)
named by the call or by ``$RTLGEN_REWARD_CONFIG``, else the defaults. ``reward_for`` keeps one reward
per config per process, so sandboxes and warm tool sessions are reused across calls.
"""

from __future__ import annotations

import os
from pathlib import Path

from rtlgen.rewards.base import Reward

CONFIG_ENV = "RTLGEN_REWARD_CONFIG"  # path of a CombinedConfig YAML for trainers that cannot pass arguments
_REWARDS: dict[str, Reward] = {}


def reward_for(config: str | os.PathLike | None = None) -> Reward:
    """The combined reward of the YAML at ``config`` (or ``$RTLGEN_REWARD_CONFIG``, or the defaults)."""
    from rtlgen.config import load_config
    from rtlgen.rewards.combined import CombinedConfig, CombinedReward

    path = str(config or os.environ.get(CONFIG_ENV) or "")
    if path not in _REWARDS:
        cfg = load_config(CombinedConfig, Path(path)) if path else CombinedConfig()
        _REWARDS[path] = CombinedReward(cfg)
    return _REWARDS[path]


__all__ = ["CONFIG_ENV", "reward_for"]
