"""``POST /run_code``: SandboxFusion's request and response, for ``language: verilog``.

verl's sandbox-fusion reward (``verl.utils.reward_score.sandbox_fusion``) works against rtlgen by pointing
its ``sandbox_fusion_url`` at ``http://HOST:PORT/run_code``. Request fields are SandboxFusion's
``RunCodeRequest`` (code, language, compile_timeout, run_timeout, memory_limit_MB, stdin, files as base64,
fetch_files, args) plus one of ours, ``testbench``; the response is its ``RunCodeResponse`` (status
Success | Failed | SandboxError, message, compile_result and run_result with status Finished | Error |
TimeLimitExceeded, execution_time, return_code, stdout, stderr; executor_pod_name; files).

Two modes:

- No testbench: as SandboxFusion does, ``code`` (design and bench in one text) is compiled with
  ``iverilog -Wall -Winfloop -Wno-timescale -g2012 -s tb`` and run with ``vvp -n``, both in the sandbox.
  The output is the program's own: a design can print whatever an output check wants to see.
- With a testbench, ``code`` is the design only and the hardened judge decides: ``status`` is Success only
  for a pass, ``run_result.stdout`` is ``PASS`` or ``FAIL <category>: <reason>`` (a verl case whose
  expected output is ``PASS`` checks exactly that) and ``verdict`` holds the judge's full verdict. The
  testbench is the ``testbench`` field (a bench object as in ``/v1/judge``, SandboxFusion itself ignores
  it), or, so that an unmodified verl can send it, ``stdin`` holding ``{"rtlgen_testbench": {...}}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from rtlgen.sandbox import Job, JobResult, KilledBy, Limits, Step, StepResult, find_tool
from rtlgen.service.app import Service, check_keys, read_json, service_of
from rtlgen.service.limits import RequestError, timeout_from
from rtlgen.service.routes_judge import bench_from_json, judge_for, verdict_json
from rtlgen.sim.classify import FailureCategory
from rtlgen.sim.judge import Bench, JudgeVerdict

router = APIRouter()
REQUEST_KEYS = {"code", "language", "compile_timeout", "run_timeout", "memory_limit_MB", "stdin", "files",
                "fetch_files", "args", "testbench"}
STDIN_BENCH_KEY = "rtlgen_testbench"
_SOURCE = "main.sv"


def _response(status: str, message: str = "", compile_result: dict | None = None, run_result: dict | None = None,
              files: dict[str, str] | None = None, **extra) -> dict:
    return {"status": status, "message": message, "compile_result": compile_result, "run_result": run_result,
            "executor_pod_name": os.environ.get("HOSTNAME"), "files": files or {}, **extra}


def _command(step: StepResult | None) -> dict | None:
    if step is None:
        return None
    status = "TimeLimitExceeded" if step.killed_by is KilledBy.TIMEOUT else (
        "Error" if step.exit_code is None else "Finished")
    return {"status": status, "execution_time": step.wall_s, "return_code": step.exit_code,
            "stdout": step.stdout, "stderr": step.stderr}


def _overall(*results: dict | None) -> str:
    """SandboxFusion's ``parse_run_status``: Error -> SandboxError; timeout or non-zero -> Failed."""
    present = [r for r in results if r is not None]
    if any(r["status"] == "Error" for r in present):
        return "SandboxError"
    if any(r["status"] == "TimeLimitExceeded" or r["return_code"] not in (0, None) for r in present):
        return "Failed"
    return "Success"


def _files(value, fetch) -> tuple[dict[str, bytes], tuple[str, ...]]:
    if not isinstance(value, dict):
        raise RequestError(400, "files must be an object of path to base64 content")
    out = {}
    for name, text in value.items():
        if text is None:
            continue
        try:
            out[name] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise RequestError(400, f"files[{name!r}] is not base64") from None
    if not isinstance(fetch, list) or not all(isinstance(f, str) for f in fetch):
        raise RequestError(400, "fetch_files must be a list of paths")
    return out, tuple(fetch)


def _plain_job(code: str, files: dict[str, bytes], fetch: tuple[str, ...], stdin: str | None,
               compile_s: float, run_s: float, memory_mb: int) -> Job:
    compile_argv = (find_tool("iverilog"), "-Wall", "-Winfloop", "-Wno-timescale", "-g2012", "-s", "tb", "-o",
                    "test.vvp", _SOURCE)
    steps = (Step(compile_argv, limits=Limits(wall_s=compile_s, cpu_s=compile_s, memory_mb=memory_mb)),
             Step((find_tool("vvp"), "-n", "test.vvp"), stdin=(stdin or "").encode("utf-8", "surrogatepass"),
                  limits=Limits(wall_s=run_s, cpu_s=run_s, memory_mb=memory_mb)))
    return Job(steps=steps, files={**files, _SOURCE: code.encode("utf-8", "surrogatepass")}, outputs=fetch, cacheable=False)


def _plain(service: Service, job: Job) -> dict:
    result: JobResult = service.shared.run(job)
    compiled = _command(result.steps[0])
    ran = _command(result.steps[1]) if len(result.steps) > 1 else None
    files = {name: base64.b64encode(data).decode() for name, data in result.outputs.items()}
    return _response(_overall(compiled, ran), "", compiled, ran, files)


def _judged(service: Service, code: str, bench: Bench, run_s: float, compile_s: float) -> dict:
    verdict: JudgeVerdict = judge_for(service, run_s, compile_s).judge(code, bench)
    compiled = {"status": "Finished", "execution_time": 0.0, "return_code": 0 if verdict.compiled else 1,
                "stdout": "", "stderr": verdict.compile_log}
    ran = None
    if verdict.compiled:
        timed_out = verdict.category is FailureCategory.TIMEOUT
        line = "PASS" if verdict.passed else f"FAIL {verdict.category.value}: {verdict.reason}"
        ran = {"status": "TimeLimitExceeded" if timed_out else "Finished", "execution_time": verdict.wall_s,
               "return_code": 0 if verdict.passed else 1, "stdout": line + "\n", "stderr": verdict.run_log}
    return _response("Success" if verdict.passed else "Failed", verdict.reason, compiled, ran,
                     verdict=verdict_json(verdict))


def _stdin_bench(stdin: str | None):
    """``{"rtlgen_testbench": {...}}`` in stdin: the bench of an unmodified SandboxFusion client."""
    if not stdin or not stdin.lstrip().startswith("{") or STDIN_BENCH_KEY not in stdin:
        return None
    try:
        data = json.loads(stdin)
    except (ValueError, RecursionError):  # not JSON, a 4300-digit integer, nested too deeply: plain stdin
        return None
    return data.get(STDIN_BENCH_KEY) if isinstance(data, dict) and set(data) == {STDIN_BENCH_KEY} else None


@router.post("/run_code")
async def run_code(request: Request):
    service = service_of(request)
    ceiling = service.config.max_limits
    data = await read_json(request)
    check_keys(data, REQUEST_KEYS, "the request", required=("code", "language"))
    if data["language"] != "verilog":
        raise RequestError(400, f"language {str(data['language'])[:40]!r} is not run here; rtlgen runs verilog")
    code, stdin = data["code"], data.get("stdin")
    if not isinstance(code, str) or (stdin is not None and not isinstance(stdin, str)):
        raise RequestError(400, "code and stdin must be text")
    compile_s = timeout_from(data.get("compile_timeout"), "compile_timeout", ceiling.wall_s, 10.0)
    run_s = timeout_from(data.get("run_timeout"), "run_timeout", ceiling.wall_s, 10.0)
    memory = data.get("memory_limit_MB", -1)
    if isinstance(memory, bool) or not isinstance(memory, int) or memory > ceiling.memory_mb:
        raise RequestError(422, f"memory_limit_MB must be an integer up to {ceiling.memory_mb}, not {memory!r}")
    memory_mb = memory if memory > 0 else min(4096, ceiling.memory_mb)
    bench_data = data.get("testbench") if data.get("testbench") is not None else _stdin_bench(stdin)
    service.queue.check_room(2)
    if bench_data is not None:
        bench = bench_from_json(bench_data, "testbench")
        return await run_in_threadpool(_judged, service, code, bench, run_s, compile_s)
    files, fetch = _files(data.get("files") or {}, data.get("fetch_files") or [])
    job = _plain_job(code, files, fetch, stdin, compile_s, run_s, memory_mb)  # bad file names: InputError, 400
    return await run_in_threadpool(_plain, service, job)


__all__ = ["REQUEST_KEYS", "STDIN_BENCH_KEY", "router"]
