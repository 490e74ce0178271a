"""Reward functions for RL fine-tuning (TRL convention: ``f(prompts, completions, **columns) -> list[float | None]``)."""

from rtlgen.rewards.area_delay import AreaDelayReward

REWARDS = {"area_delay": "rtlgen.rewards.area_delay:AreaDelayReward"}

__all__ = ["REWARDS", "AreaDelayReward"]
