"""Reward functions for RL fine-tuning (TRL convention: ``f(prompts, completions, **columns) -> list[float | None]``).

Every reward judges through the one judge (``rtlgen.sim.judge``) or the synthesis room's checks, never
raises on a row (``None`` with the reason logged), is picklable, logs per-category counts through
TRL's ``log_metric``/``log_extra``, and has an async form (``AsyncReward``). ``check_columns`` says
before training what a dataset lacks. Adapters for verl and OpenRLHF are in ``rtlgen.rewards.adapters``.
"""

from rtlgen.registry import Registry
from rtlgen.rewards.area_delay import AreaDelayReward
from rtlgen.rewards.base import AsyncReward, Reward, RowResult, check_columns
from rtlgen.rewards.combined import CombinedConfig, CombinedReward, Component
from rtlgen.rewards.equivalence import EquivalenceConfig, EquivalenceReward
from rtlgen.rewards.format import FormatConfig, FormatReward, TagMode
from rtlgen.rewards.lint import LintConfig, LintReward
from rtlgen.rewards.shaping import ShapingConfig
from rtlgen.rewards.simulation import SimulationConfig, SimulationReward

REWARDS: Registry[type[Reward]] = Registry("reward", {
    "area_delay": "rtlgen.rewards.area_delay:AreaDelayReward",
    "combined": "rtlgen.rewards.combined:CombinedReward",
    "equivalence": "rtlgen.rewards.equivalence:EquivalenceReward",
    "format": "rtlgen.rewards.format:FormatReward",
    "lint": "rtlgen.rewards.lint:LintReward",
    "simulation": "rtlgen.rewards.simulation:SimulationReward",
}, base=Reward)

__all__ = ["REWARDS", "AreaDelayReward", "AsyncReward", "CombinedConfig", "CombinedReward", "Component",
           "EquivalenceConfig", "EquivalenceReward", "FormatConfig", "FormatReward", "LintConfig", "LintReward",
           "Reward", "RowResult", "ShapingConfig", "SimulationConfig", "SimulationReward", "TagMode", "check_columns"]
