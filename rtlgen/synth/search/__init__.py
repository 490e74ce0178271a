"""Recipe search methods behind one interface, and ``optimize``: baseline, search, cec of the winner.

    from rtlgen.synth.search import optimize
    result = optimize(design, session, method="retrieval", budget=100, seed=0)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rtlgen.config import help_
from rtlgen.errors import InputError
from rtlgen.registry import Registry
from rtlgen.synth.abc_session import AbcSession
from rtlgen.synth.frontend import Design
from rtlgen.synth.prior import Prior
from rtlgen.synth.qor import EvalStatus, QoR
from rtlgen.synth.recipes import DEFAULT_LENGTH, RESYN2, from_actions
from rtlgen.synth.search.base import BudgetExhausted, Evaluator, SearchMethod

# name -> "module:Class", imported lazily
METHODS: Registry[type[SearchMethod]] = Registry("search method", {
    "random": "rtlgen.synth.search.random:RandomSearch",
    "greedy": "rtlgen.synth.search.greedy:GreedySearch",
    "anneal": "rtlgen.synth.search.anneal:AnnealSearch",
    "mcts": "rtlgen.synth.search.mcts:MctsSearch",
    "retrieval": "rtlgen.synth.search.retrieval:RetrievalSearch",
    "agent": "rtlgen.synth.search.agent:AgentSearch",
}, base=SearchMethod)


def get_method(name: str) -> type[SearchMethod]:
    return METHODS.get(name)


@dataclass(frozen=True)
class SearchResult:
    design: str
    method: str
    budget: int
    seed: int
    status: EvalStatus
    recipe: tuple[str, ...]
    qor: QoR | None
    resyn2: QoR
    equivalent: bool
    evaluations: int
    failures: int
    wall_s: float
    trace: tuple[float, ...] = ()  # best ADP ratio found after each evaluation (search-time)
    trace_s: tuple[float, ...] = ()  # seconds into the search at each evaluation

    @property
    def adp_ratio(self) -> float:
        return self.qor.adp / self.resyn2.adp if self.qor else float("inf")

    def to_json(self) -> dict:
        q = self.qor.to_json() if self.qor else {"area": None, "delay": None, "adp": None}
        return {"design": self.design, "method": self.method, "budget": self.budget, "seed": self.seed,
                "status": self.status.value, "recipe": list(self.recipe), "and_nodes": q.get("and_nodes"),
                "levels": q.get("levels"), "area": q["area"], "delay": q["delay"], "adp": q["adp"],
                "resyn2_adp": self.resyn2.adp, "adp_ratio": self.adp_ratio, "equivalent": self.equivalent,
                "evaluations": self.evaluations, "failures": self.failures, "wall_s": round(self.wall_s, 3),
                "trace": [round(x, 5) if x != float("inf") else None for x in self.trace],
                "trace_s": [round(x, 3) for x in self.trace_s]}


@dataclass(frozen=True)
class SearchConfig:
    """``rtlgen synth optimize`` options, loadable from YAML (``--config``) through ``rtlgen.config``."""

    method: str = field(default="retrieval", metadata=help_("random | greedy | anneal | mcts | retrieval | agent "
                                                            "(retrieval: best measured, benchmarks/abc_rl_preset.py)"))
    preset: str = field(default="default", metadata=help_("default (sky130hd) | abc-rl (ASAP7, ABC-RL's setting); "
                                                          "sets the library, length and prior unless given"))
    budget: int = field(default=100, metadata=help_("recipe evaluations (ABC-RL compares at equal budget)"))
    seed: int = field(default=0, metadata=help_("random seed of the search"))
    length: int | None = field(default=None, metadata=help_("recipe length (10 as ABC-RL, 20 as OpenABC-D); "
                                                            "empty: the preset's"))
    liberty: str | None = field(default=None, metadata=help_("liberty file (.lib or .lib.gz); empty: the preset's"))
    top: str | None = field(default=None, metadata=help_("top module of a Verilog design; empty: auto"))


def optimize(design: Design, session: AbcSession, *, method: str = "retrieval", budget: int = 100, seed: int = 0,
             length: int = DEFAULT_LENGTH, resyn2: QoR | None = None, prior: Prior | None = None,
             resume: bool = False) -> SearchResult:
    """Search ``budget`` recipe evaluations with ``method``; the best recipe's reported QoR is from a run
    from the start (reproducible with ``rtlgen synth qor --recipe``), and the recipe is cec-checked.

    ``prior`` (methods that use one): the policy prior fitted with the session's library (a preset's
    ``load_prior()``); None: the shipped sky130hd prior. ``resume``: evaluate recipes from snapshotted
    prefixes (cheaper, approximate; ``Evaluator``), for timing studies only.
    """
    if budget < 1:
        raise InputError(f"--budget must be a positive integer, not {budget!r}")
    cls = get_method(method)
    t0 = time.monotonic()
    resyn2 = resyn2 or session.evaluate(design, RESYN2)
    ev = Evaluator(session=session, design=design, budget=budget, reference_adp=resyn2.adp, resume=resume)
    searcher = cls(length=length, seed=seed, prior=prior) if cls.uses_prior else cls(length=length, seed=seed)
    searcher.run(ev)
    trace, trace_s = tuple(ev.best_trace()), tuple(ev.elapsed)
    if ev.best_qor is None:
        return SearchResult(design.name, method, budget, seed, EvalStatus.FAILED, (), None, resyn2, False,
                            ev.evaluations, ev.failures, time.monotonic() - t0, trace, trace_s)
    recipe = from_actions(ev.best_actions)
    # A resumed search scored recipes from snapshots: report what the recipe gives run from the start.
    qor = session.evaluate(design, recipe) if resume else ev.best_qor
    equivalent = session.cec(design, recipe)
    return SearchResult(design.name, method, budget, seed, EvalStatus.OK, recipe, qor, resyn2, equivalent,
                        ev.evaluations, ev.failures, time.monotonic() - t0, trace, trace_s)


__all__ = ["METHODS", "BudgetExhausted", "Evaluator", "SearchConfig", "SearchMethod", "SearchResult", "get_method",
           "optimize"]
