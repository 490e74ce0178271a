"""``POST /v1/judge``: completions judged against trusted testbenches by the hardened judge.

    {"items": [{"design": "module TopModule(...); ... endmodule",
                "bench": {"files": {"tb.sv": "..."}, "top": "tb", "dut_top": "TopModule",
                          "reference_top": "RefModule"}}],
     "timeout_s": 30}
      -> {"verdicts": [{"passed": false, "category": "R", "reason": "...", "mismatches": 3, "samples": 20,
                        "fraction_correct": 0.85, ...}]}

Only the bench's own tagged output decides (``Trust.STRICT``): a design cannot print, stop or reach its way
to a pass. The judge's jobs go through the service's queue like every other job.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from rtlgen.errors import InputError
from rtlgen.service.app import Service, check_keys, read_json, service_of
from rtlgen.service.limits import RequestError, timeout_from
from rtlgen.sim.judge import Bench, Judge, JudgeConfig, JudgeLimits, JudgeVerdict, Trust
from rtlgen.sim.judge.bench import BenchProtocol

router = APIRouter()
BENCH_KEYS = {"files", "top", "dut_top", "reference_top", "protocol", "name", "data_files", "timescale"}


def _texts(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise RequestError(400, f"{where} must be an object of file name to text")
    return value


def bench_from_json(data: Any, where: str) -> Bench:
    """A ``Bench`` from its JSON form (``files`` required; the other fields as in ``Bench``)."""
    if not isinstance(data, dict):
        raise RequestError(400, f"{where} must be an object with 'files' (and top, dut_top, ...)")
    check_keys(data, BENCH_KEYS, where, required=("files",))
    for key in ("top", "dut_top", "reference_top", "name", "timescale", "protocol"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise RequestError(400, f"{where}.{key} must be a string")
    try:
        return Bench(files=_texts(data["files"], f"{where}.files"), top=data.get("top") or "tb",
                     dut_top=data.get("dut_top") or "TopModule", reference_top=data.get("reference_top"),
                     protocol=BenchProtocol(data.get("protocol") or "auto"), name=data.get("name") or "",
                     data_files=_texts(data.get("data_files") or {}, f"{where}.data_files"),
                     timescale=data.get("timescale"))
    except ValueError:
        raise RequestError(400, f"{where}.protocol must be one of {', '.join(p.value for p in BenchProtocol)}") \
            from None
    except InputError as exc:
        raise RequestError(400, f"{where}: {exc}") from None


def judge_for(service: Service, run_wall_s: float, compile_wall_s: float = 60.0) -> Judge:
    """A strict judge whose jobs run in the service's pool (cheap: the sandbox is shared)."""
    limits = JudgeLimits(run_wall_s=run_wall_s, compile_wall_s=compile_wall_s)
    return Judge(JudgeConfig(trust=Trust.STRICT, limits=limits, workers=service.config.thread_workers),
                 sandbox=service.shared)


def verdict_json(verdict: JudgeVerdict) -> dict:
    return {**verdict.to_json(), "fraction_correct": verdict.fraction_correct}


@router.post("/v1/judge")
async def judge(request: Request):
    service = service_of(request)
    data = await read_json(request)
    check_keys(data, {"items", "timeout_s"}, "the request", required=("items",))
    items = data["items"]
    if not isinstance(items, list) or not items:
        raise RequestError(400, "items must be a non-empty list of {design, bench}")
    if len(items) > service.config.max_items_per_request:
        raise RequestError(413, f"{len(items)} items in one request; this server takes at most "
                                f"{service.config.max_items_per_request}")
    timeout = timeout_from(data.get("timeout_s"), "timeout_s", service.config.max_limits.wall_s, 30.0)
    work = []
    for n, item in enumerate(items):
        where = f"items[{n}]"
        if not isinstance(item, dict):
            raise RequestError(400, f"{where} must be an object with 'design' and 'bench'")
        check_keys(item, {"design", "bench"}, where, required=("design", "bench"))
        if not isinstance(item["design"], str):
            raise RequestError(400, f"{where}.design must be text")
        work.append((item["design"], bench_from_json(item["bench"], f"{where}.bench")))
    service.queue.check_room(2 * len(work))  # about two jobs per design: preprocess, simulate
    verdicts = await run_in_threadpool(judge_for(service, timeout).judge_many, work)
    return {"verdicts": [verdict_json(v) for v in verdicts]}


__all__ = ["BENCH_KEYS", "bench_from_json", "judge_for", "router", "verdict_json"]
