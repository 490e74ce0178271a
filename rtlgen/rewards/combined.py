"""Combined reward: weighted components, gated on the testbench, with optional training-time shaping.

    config = load_config(CombinedConfig, "reward.yaml")       # rtlgen.config: defaults, YAML, overrides
    reward = CombinedReward(config)
    reward(prompts, completions, testbench=[...], reference=[...], top=[...], log_metric=..., log_extra=...)

Components (``Component``): simulation (``rtlgen.rewards.simulation``), format, lint, equivalence and
area-delay, each with its own config section and a weight (0 switches it off). The row's value is
``sum(weight * value)`` over the components that apply to it (``None`` when none does).

Gate: a component listed in ``gated`` earns credit only when the design passes its testbench; a
design that fails gets that component's failure value without running it (no synthesis, equivalence
or lint credit for a wrong design). A row without a testbench cannot pass, so its gated components do
not apply (``None``) unless ``score_ungated_rows``. Forging designs fail the judge and the screen
(``rtlgen.rewards.screen``) and so earn the failure value in every component and here.

Shaping (``rtlgen.rewards.shaping``): the *outcome*, the simulation weight times its pass value on a
pass, is kept; the rest (partial credit and every other component) is the *dense* part, shaped by
clip and/or delta within each episode (``episode_column``). Per-component and combined category counts
are logged through TRL's ``log_metric``/``log_extra``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rtlgen.config import help_
from rtlgen.rewards.base import Reward, RowResult, config_of
from rtlgen.rewards.equivalence import EquivalenceConfig, EquivalenceReward
from rtlgen.rewards.format import FormatConfig, FormatReward
from rtlgen.rewards.lint import LintConfig, LintReward
from rtlgen.rewards.metrics import log_rows
from rtlgen.rewards.screen import JudgeSettings
from rtlgen.rewards.shaping import ShapingConfig, shape_episodes
from rtlgen.rewards.simulation import SimulationConfig, SimulationReward


class Component(enum.StrEnum):
    SIMULATION = "simulation"
    FORMAT = "format"
    LINT = "lint"
    EQUIVALENCE = "equivalence"
    AREA_DELAY = "area_delay"


@dataclass(frozen=True)
class Weights:
    simulation: float = field(default=1.0, metadata=help_("weight of the testbench reward"))
    format: float = field(default=0.1, metadata=help_("weight of the format reward"))
    lint: float = field(default=0.1, metadata=help_("weight of the lint reward"))
    equivalence: float = field(default=0.0, metadata=help_("weight of the equivalence reward (Yosys SAT)"))
    area_delay: float = field(default=0.0, metadata=help_("weight of the area-delay reward (synthesis)"))

    def of(self, component: Component) -> float:
        return float(getattr(self, component.value))


@dataclass(frozen=True)
class AreaDelayConfig:
    reference_column: str = field(default="reference", metadata=help_("column with the reference Verilog"))
    top_column: str | None = field(default="top", metadata=help_("column naming the candidate's module"))
    recipe: str = field(default="resyn2", metadata=help_("ABC recipe for both sides"))
    liberty: str | None = field(default=None, metadata=help_("liberty file; null: shipped sky130hd"))
    failure_value: float = field(default=0.0, metadata=help_("no synthesis or no equivalence proof"))
    timeout_s: float = field(default=60.0, metadata=help_("per Yosys job and ABC request"))


@dataclass(frozen=True)
class CombinedConfig:
    weights: Weights = field(default_factory=Weights, metadata=help_("weight per component; 0 switches it off"))
    gated: tuple[Component, ...] = field(
        default=(Component.LINT, Component.EQUIVALENCE, Component.AREA_DELAY),
        metadata=help_("components that earn credit only when the design passes its testbench"))
    score_ungated_rows: bool = field(default=False, metadata=help_(
        "rows without a testbench: score gated components anyway (false: they do not apply)"))
    shaping: ShapingConfig = field(default_factory=ShapingConfig, metadata=help_("clip / delta of the dense part"))
    episode_column: str | None = field(default=None, metadata=help_(
        "column grouping consecutive attempts for delta shaping; null: each row is its own episode"))
    judge: JudgeSettings = field(default_factory=JudgeSettings, metadata=help_(
        "sandbox and judge settings for every component (overrides theirs)"))
    simulation: SimulationConfig = field(default_factory=SimulationConfig, metadata=help_("simulation reward"))
    format: FormatConfig = field(default_factory=FormatConfig, metadata=help_("format reward"))
    lint: LintConfig = field(default_factory=LintConfig, metadata=help_("lint reward"))
    equivalence: EquivalenceConfig = field(default_factory=EquivalenceConfig, metadata=help_("equivalence reward"))
    area_delay: AreaDelayConfig = field(default_factory=AreaDelayConfig, metadata=help_("area-delay reward"))


def build_component(component: Component, config: CombinedConfig) -> Reward:
    judge = config.judge
    if component is Component.SIMULATION:
        return SimulationReward.from_config(replace(config.simulation, judge=judge))
    if component is Component.FORMAT:
        return FormatReward(replace(config.format, judge=judge))
    if component is Component.LINT:
        return LintReward(replace(config.lint, judge=judge))
    if component is Component.EQUIVALENCE:
        return EquivalenceReward(replace(config.equivalence, judge=judge))
    from rtlgen.rewards.area_delay import AreaDelayReward

    a = config.area_delay
    return AreaDelayReward(a.reference_column, liberty=a.liberty, recipe=a.recipe, failure_value=a.failure_value,
                           timeout_s=a.timeout_s, unsafe=judge.unsafe, testbench_column=None, top_column=a.top_column)


def failure_value(component: Component, reward: Reward) -> float:
    cfg = getattr(reward, "config", None)
    if isinstance(cfg, EquivalenceConfig):
        return cfg.not_equivalent_value
    return float(getattr(cfg, "failure_value", getattr(reward, "failure_value", 0.0)))


FORGERY = frozenset({"forbidden", "prints"})  # simulation categories that mark an attempt to forge a verdict


class CombinedReward(Reward):
    """Picklable TRL reward over picklable components (each creates its tools lazily per process)."""

    __name__ = "rtlgen"

    def __init__(self, config: CombinedConfig | Mapping[str, Any] | None = None, **options: Any) -> None:
        super().__init__()
        self.config = config_of(CombinedConfig, config, options)
        self.unsafe = self.config.judge.unsafe
        w = self.config.weights
        needed = [c for c in Component if w.of(c) != 0]
        if any(c in self.config.gated for c in needed) and Component.SIMULATION not in needed:
            needed.insert(0, Component.SIMULATION)  # the gate needs the verdict even when it earns nothing
        self.components: dict[Component, Reward] = {c: build_component(c, self.config) for c in needed}
        self.last_components: dict[Component, list[RowResult | None]] = {}

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "last_components": {}}

    def required_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(col for r in self.components.values() for col in r.required_columns()))

    def tools(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for r in self.components.values() for t in r.tools()))

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        values = super().__call__(prompts, completions, **kwargs)
        for component, rows in self.last_components.items():
            log_rows(component.value, [r or RowResult(None, "not_run") for r in rows],
                     log_metric=kwargs.get("log_metric"), log_extra=kwargs.get("log_extra"))
        return values

    def score_rows(self, completions: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        n, cfg = len(completions), self.config
        found: dict[Component, list[RowResult | None]] = {}
        sim = self.components.get(Component.SIMULATION)
        passed = [False] * n
        has_bench = [True] * n
        if sim is not None:
            found[Component.SIMULATION] = list(sim.results(completions, rows))
            passed = [r.value is not None and r.category == "pass" for r in found[Component.SIMULATION]]
            has_bench = [r.category != "no_testbench" for r in found[Component.SIMULATION]]
        for component, reward in self.components.items():
            if component is Component.SIMULATION:
                continue
            if component not in cfg.gated:
                found[component] = list(reward.results(completions, rows))
                continue
            run = [i for i in range(n) if passed[i] or (not has_bench[i] and cfg.score_ungated_rows)]
            out: list[RowResult | None] = [
                RowResult(failure_value(component, reward), "gated", "fails its testbench") if has_bench[i]
                else RowResult(None, "gated", "no testbench to pass") for i in range(n)]
            if run:
                for i, r in zip(run, reward.results([completions[i] for i in run], [rows[i] for i in run]),
                                strict=True):
                    out[i] = r
            found[component] = out
        if sim is not None:
            self._refuse_forgers(found, [r is not None and r.category in FORGERY for r in found[Component.SIMULATION]])
        self.last_components = found
        return self._combine(found, passed, rows)

    def _refuse_forgers(self, found: dict[Component, list[RowResult | None]], forged: list[bool]) -> None:
        """A design the judge refused as an attempt to forge (or one that prints) earns every component's
        failure value: no format or lint credit for a well-formatted forgery."""
        for component, rows in found.items():
            if component is Component.SIMULATION:
                continue
            value = failure_value(component, self.components[component])
            for i, bad in enumerate(forged):
                if bad:
                    rows[i] = RowResult(value, "forbidden", "the judge refused the design as a forgery attempt")

    def _combine(self, found: dict[Component, list[RowResult | None]], passed: list[bool],
                 rows: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        cfg, w = self.config, self.config.weights
        sim = self.components.get(Component.SIMULATION)
        pass_credit = w.simulation * sim.pass_value if isinstance(sim, SimulationReward) else 0.0
        totals: list[float | None] = []
        outcomes: list[float] = []
        for i in range(len(passed)):
            parts = [(c, rs[i]) for c, rs in found.items() if rs[i] is not None and rs[i].value is not None]
            totals.append(sum(w.of(c) * r.value for c, r in parts) if parts else None)  # type: ignore[misc]
            outcomes.append(pass_credit if passed[i] else 0.0)
        if cfg.shaping.active:
            episodes = [rows[i].get(cfg.episode_column) if cfg.episode_column else None for i in range(len(rows))]
            dense = [None if t is None else t - o for t, o in zip(totals, outcomes, strict=True)]
            shaped = shape_episodes(dense, [e if isinstance(e, (str, int)) else None for e in episodes], cfg.shaping)
            totals = [None if d is None else o + d for d, o in zip(shaped, outcomes, strict=True)]
        results = []
        for i, total in enumerate(totals):
            cats = {c: rs[i] for c, rs in found.items() if rs[i] is not None}
            head = cats.get(Component.SIMULATION) or next(iter(cats.values()), None)
            reason = "; ".join(f"{c.value}: {r.category}" + (f" ({r.reason[:80]})" if r.reason else "")
                               for c, r in cats.items())
            results.append(RowResult(total, head.category if head else "unscored", reason))
        return results


__all__ = ["AreaDelayConfig", "CombinedConfig", "CombinedReward", "Component", "Weights", "build_component"]
