"""``POST /v1/reward`` (also ``/get_reward``): OpenRLHF's remote reward shape, scored by the hardened judge.

    {"query": ["<prompt><completion>", ...], "prompts": ["<prompt>", ...],
     "labels": ["{\\"testbench\\": \\"...\\", \\"top\\": \\"TopModule\\", \\"reference\\": \\"...\\"}", ...]}
      -> {"rewards": [1.0, 0.35, 0.0], "scores": [...], "extra_logs": {"passed": [1, 0, 0]},
          "categories": ["pass", "R", "S"], "reasons": [...]}

Point OpenRLHF at it with ``--remote_rm_url http://HOST:PORT/get_reward`` and ``--label_key`` naming a
column that holds, per row, a JSON object (or its text) with ``testbench`` and optionally ``top`` (the
module to define, default TopModule) and ``reference`` (a RefModule the bench instantiates). The
completion is the query with its prompt cut off. Scores come from ``SimulationReward``: 1 for a pass,
partial credit from the bench's own tagged mismatch count, 0 for everything else (a design that prints
included); its judge runs in the service's pool.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from rtlgen.rewards.simulation import SimulationReward
from rtlgen.service.app import check_keys, read_json, service_of
from rtlgen.service.limits import RequestError
from rtlgen.service.routes_judge import judge_for
from rtlgen.sim.judge import Judge

router = APIRouter()
LABEL_KEYS = {"testbench", "top", "reference"}


class ServiceReward(SimulationReward):
    """``SimulationReward`` whose judge is the service's (jobs through the shared queue)."""

    def __init__(self, judge: Judge) -> None:
        super().__init__("testbench", "reference", top_column="top")
        self._service_judge = judge

    def judge(self) -> Judge:
        return self._service_judge


def _label(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise RequestError(400, f"{where} is not a JSON object: {exc.msg}") from None
        except RecursionError:
            raise RequestError(400, f"{where} is nested too deeply; send a flat JSON object") from None
        except ValueError as exc:  # an integer of more than 4300 digits
            raise RequestError(400, f"{where} holds a value JSON cannot read here: {str(exc)[:120]}") from None
    if not isinstance(value, dict):
        raise RequestError(400, f"{where} must be a JSON object with 'testbench' (and top, reference)")
    check_keys(value, LABEL_KEYS, where, required=("testbench",))
    if not all(isinstance(v, str) for v in value.values()):
        raise RequestError(400, f"{where}: testbench, top and reference must be text")
    return value


def _strings(data: dict, key: str) -> list[str]:
    values = data[key]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RequestError(400, f"{key} must be a list of strings")
    return values


@router.post("/v1/reward")
@router.post("/get_reward")
async def reward(request: Request):
    service = service_of(request)
    data = await read_json(request)
    check_keys(data, {"query", "prompts", "labels"}, "the request", required=("query", "labels"))
    queries = _strings(data, "query")
    prompts = _strings(data, "prompts") if "prompts" in data else [""] * len(queries)
    labels = data["labels"]
    if not isinstance(labels, list) or not (len(queries) == len(prompts) == len(labels)):
        raise RequestError(400, f"query, prompts and labels must be lists of one length, not {len(queries)}, "
                                f"{len(prompts)} and {len(labels) if isinstance(labels, list) else 'not a list'}")
    if len(queries) > service.config.max_items_per_request:
        raise RequestError(413, f"{len(queries)} completions in one request; this server takes at most "
                                f"{service.config.max_items_per_request}")
    rows = [_label(label, f"labels[{n}]") for n, label in enumerate(labels)]
    completions = [q[len(p):] if p and q.startswith(p) else q for q, p in zip(queries, prompts, strict=True)]
    service.queue.check_room(2 * len(completions))
    scorer = ServiceReward(judge_for(service, 30.0))
    results = await run_in_threadpool(scorer.results, completions, rows)
    rewards = [r.value if r.value is not None else scorer.failure_value for r in results]
    return {"rewards": rewards, "scores": rewards,
            "extra_logs": {"passed": [1.0 if r.category == "pass" else 0.0 for r in results]},
            "categories": [r.category for r in results], "reasons": [r.reason for r in results]}


__all__ = ["LABEL_KEYS", "ServiceReward", "router"]
