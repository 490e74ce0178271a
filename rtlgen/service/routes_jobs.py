"""``POST /v1/jobs``: run a batch of sandbox jobs (``Job.to_json``) and answer every one.

    {"jobs": [{"id": "4f1c...", "job": {...}}, ...]}
      -> {"results": [{"id": "4f1c...", "result": {...JobResult.to_json()...}, "cached": false, "source": "run"}]}

The whole batch is checked before anything runs (fields, limits, mounts, sizes: a 4xx naming the job and
the field), then admitted at once or refused with 429. Jobs run in the service's pool whether or not the
client stays connected; the ``id`` (chosen by the client, stable across its retries) lets a retry attach to
the run in progress or be answered from the result store (``source``: run, attached, replayed).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

from fastapi import APIRouter, Request

from rtlgen.errors import InputError
from rtlgen.sandbox.job import Job
from rtlgen.service.app import check_keys, read_job_id, read_json, service_of
from rtlgen.service.limits import RequestError, check_job

router = APIRouter()


def _awaitable(fut: Future) -> asyncio.Future:
    """An asyncio view of ``fut`` whose cancellation (a client gone) never cancels the job itself."""
    loop = asyncio.get_running_loop()
    view = loop.create_future()

    def copy(done: Future) -> None:
        def settle() -> None:
            if view.done():
                return
            if done.exception() is not None:
                view.set_exception(done.exception())
            else:
                view.set_result(done.result())

        loop.call_soon_threadsafe(settle)

    fut.add_done_callback(copy)
    return view


@router.post("/v1/jobs")
async def run_jobs(request: Request):
    service = service_of(request)
    config = service.config
    data = await read_json(request)
    check_keys(data, {"jobs"}, "the request", required=("jobs",))
    rows = data["jobs"]
    if not isinstance(rows, list) or not rows:
        raise RequestError(400, "jobs must be a non-empty list")
    if len(rows) > config.max_jobs_per_request:
        raise RequestError(413, f"{len(rows)} jobs in one request; this server takes at most "
                                f"{config.max_jobs_per_request}: send smaller batches")
    items: list[tuple[str | None, Job]] = []
    for n, row in enumerate(rows):
        where = f"jobs[{n}]"
        if not isinstance(row, dict):
            raise RequestError(400, f"{where} must be an object with 'job' (and optionally 'id')")
        check_keys(row, {"id", "job"}, where, required=("job",))
        try:
            job = Job.from_json(row["job"])
        except InputError as exc:
            raise RequestError(400, f"{where}: {exc}") from None
        check_job(job, config, where)
        items.append((read_job_id(row.get("id"), where), job))
    planned = service.queue.submit_batch(items)
    results = await asyncio.gather(*(_awaitable(fut) for fut, _source in planned))
    return {"results": [
        {"id": job_id, "result": res.to_json(), "cached": res.cached, "source": source.value,
         "attempts": getattr(res, "attempts", 1)}  # > 1: forwarded to a worker that died, then to another
        for (job_id, _job), (_fut, source), res in zip(items, planned, results, strict=True)
    ]}
