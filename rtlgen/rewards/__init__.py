"""Reward functions for RL fine-tuning (TRL convention: ``f(prompts, completions, **columns) -> list[float | None]``)."""

from rtlgen.rewards.area_delay import AreaDelayReward
from rtlgen.rewards.simulation import SimulationReward

REWARDS = {
    "area_delay": "rtlgen.rewards.area_delay:AreaDelayReward",
    "simulation": "rtlgen.rewards.simulation:SimulationReward",
}

__all__ = ["REWARDS", "AreaDelayReward", "SimulationReward"]
