"""What each problem costs to judge, measured in earlier runs, so a run can start its longest jobs first.

No run finishes before its longest job, so that job must start at once (longest processing time first).
Each run records the slowest wall time it saw per problem in ``<cache>/costs/<task>.json``; a later run
orders by those, and by ``rtlgen.evals.scoring.estimated_cost`` for problems it has not seen.
"""

from __future__ import annotations

import json
from pathlib import Path

from rtlgen.evals.results import Problem, SampleResult
from rtlgen.evals.scoring import estimated_cost
from rtlgen.paths import atomic_write, cache_root


def cost_path(task: str) -> Path:
    return cache_root() / "costs" / f"{task}.json"


def load_costs(task: str) -> dict[str, float]:
    try:
        data = json.loads(cost_path(task).read_text())
    except (OSError, ValueError):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, (int, float))} if isinstance(data, dict) else {}


def cost_of(costs: dict[str, float], problem: Problem) -> float:
    return costs.get(problem.task_id) or estimated_cost(problem.task_id, problem.test)


def save_costs(task: str, results: list[SampleResult]) -> None:
    """Keep the slowest simulated wall time seen per problem in this run (cached and merged samples excluded)."""
    costs = load_costs(task)
    seen: dict[str, float] = {}
    for r in results:
        if r.wall_s > 0 and not r.cached and not r.merged:
            seen[r.task_id] = max(seen.get(r.task_id, 0.0), r.wall_s)
    if seen:
        costs.update(seen)
        atomic_write(cost_path(task), (json.dumps(costs, indent=0, sort_keys=True) + "\n").encode())
