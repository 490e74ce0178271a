"""Run a VerilogEval task end to end: samples in, results.jsonl + summary.json + report.md out, resumable.

    from rtlgen.evals.runner import EvalConfig, run_eval
    summary = run_eval(EvalConfig(task="verilogeval-v2-spec-to-rtl", model="golden", mode=Mode.STRICT))

Samples come from the references (``model="golden"``), a completions file, or a model backend
(generations are appended to ``generations.jsonl`` before any scoring, so a resumed run never
regenerates). Every judged sample is appended to ``results.jsonl`` the moment it finishes; a re-run
with the same ``out`` skips what is there (a torn last line from a kill is dropped) and re-judges a
sample whose code changed. Simulation goes through ``run_many`` (all cores, identical jobs once, the
on-disk result cache).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from rtlgen.config import help_
from rtlgen.errors import InputError
from rtlgen.evals import report as report_mod
from rtlgen.evals import strict as strict_mod
from rtlgen.evals.costs import cost_of, load_costs, save_costs
from rtlgen.evals.registry import EvalTask, get_task
from rtlgen.evals.results import Mode, Problem, Sample, SampleResult, Verdict
from rtlgen.evals.scoring import COMPILE_LIMITS, RUN_TIMEOUT_S, log_tail
from rtlgen.inputs import DATA_MAX, TEXT_MAX, check_int, check_seconds, read_input_text
from rtlgen.llm.base import ModelBackend, SamplingParams
from rtlgen.llm.prompts import MAX_SHOTS
from rtlgen.outdir import locked_out_dir
from rtlgen.registry import suggestion
from rtlgen.sandbox import (
    Job,
    JobResult,
    Limits,
    Sandbox,
    SandboxConfig,
    build_sandbox,
    default_cache_dir,
    run_many,
    tool_version,
)
from rtlgen.sim.classify import FailureCategory
from rtlgen.sim.judge import Bench, Judge, JudgeConfig, JudgeLimits, JudgeVerdict
from rtlgen.sim.judge.core import prewarm_checks

GOLDEN = "golden"
MAX_SAMPLES = 1000  # completions per problem; pass@k papers use at most a few hundred
MAX_PROBLEMS = 1_000_000  # --limit: more than any benchmark has
MAX_JOBS = 1024  # concurrent simulations


@dataclass(frozen=True)
class EvalConfig:
    task: str = field(metadata=help_("registry name, e.g. verilogeval-v2-spec-to-rtl"))
    mode: Mode = field(default=Mode.OFFICIAL, metadata=help_("official: upstream's rules; strict: forgery-proof"))
    model: str | None = field(default=None, metadata=help_("'golden' (references as samples) or a model spec for rtlgen.llm.registry"))
    completions: str | None = field(default=None, metadata=help_("JSONL of {task_id, completion: str | [str]}"))
    samples: int = field(default=1, metadata=help_("completions per problem (model and golden); n = 1 is greedy"))
    shots: int = field(default=0, metadata=help_("in-context examples (0-4) in the prompt"))
    out: str | None = field(default=None, metadata=help_("output dir; None: runs/<task>-<timestamp>"))
    jobs: int | None = field(default=None, metadata=help_("concurrent simulations; None: all cores"))
    data_dir: str | None = field(default=None, metadata=help_("None: $RTLGEN_VERILOGEVAL_DIR, then the user cache"))
    exclude_broken: bool = field(default=False, metadata=help_("drop problems whose reference fails on this iverilog"))
    problems: tuple[str, ...] = field(default=(), metadata=help_("only these task ids"))
    limit: int | None = field(default=None, metadata=help_("only the first N problems"))
    cache: bool = field(default=True, metadata=help_("use the sandbox result cache"))
    cache_dir: str | None = field(default=None, metadata=help_("None: rtlgen.sandbox.default_cache_dir()"))
    progress: bool = field(default=True, metadata=help_("tqdm bar on stderr"))
    timeout_s: float = field(default=RUN_TIMEOUT_S, metadata=help_("wall clock per simulation; upstream's `timeout 30`"))
    robust: bool = field(default=True, metadata=help_("also judge our robust extraction of each completion (not for golden)"))
    variant: str = field(default="upstream", metadata=help_("RTLLM: 'upstream' data as published, or 'fixed' (versioned patches, each with a reason)"))
    ppa: bool = field(default=False, metadata=help_("area, delay and ADP of passing samples against the reference (rtlgen.evals.ppa)"))
    executor: str | None = field(default=None, metadata=help_("where simulations run (rtlgen.sandbox.executor); None: $RTLGEN_EXECUTOR or local"))

    def __post_init__(self) -> None:
        sources = [x for x in (self.model, self.completions) if x]
        if len(sources) != 1:
            raise InputError("give exactly one of --model golden, --model SPEC or --completions FILE")
        check_int(self.samples, "--samples", maximum=MAX_SAMPLES)
        check_int(self.shots, "--shots", minimum=0, maximum=MAX_SHOTS)
        check_seconds(self.timeout_s, "timeout")
        if self.limit is not None:
            check_int(self.limit, "--limit", maximum=MAX_PROBLEMS)
        if self.jobs is not None:
            check_int(self.jobs, "--jobs", maximum=MAX_JOBS)
        object.__setattr__(self, "mode", Mode(self.mode))
        object.__setattr__(self, "problems", tuple(self.problems))


# -- inputs ------------------------------------------------------------------------------------
def read_jsonl(path: Path, *, what: str, max_bytes: int = DATA_MAX) -> list[tuple[int, dict]]:
    """(line number, object) for every non-blank line; a bad file or line is an InputError naming it
    (a FIFO or device, more than ``max_bytes``, binary or non-UTF-8 bytes, a line that is not an object)."""
    text = read_input_text(path, what, max_bytes)
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{path}:{lineno}: not a JSON object ({exc.msg}); fix or remove the line") from None
        except RecursionError:
            raise InputError(f"{path}:{lineno}: JSON nested too deeply; fix or remove the line") from None
        if not isinstance(obj, dict):
            raise InputError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
        rows.append((lineno, obj))
    return rows


def load_completions(path: str, known: Collection[str], task_ids: Collection[str] | None = None,
                     note: Callable[[str], None] | None = None) -> dict[str, list[str]]:
    """task_id -> completions for the ``known`` (selected) problems; malformed rows are InputErrors naming
    the file and line. Rows for other problems of the task (a file made for the whole task, run with
    --limit or --problems) are skipped and counted once through ``note``; with ``task_ids`` (every id of
    the task) a row whose id the task does not have is an InputError."""
    out: dict[str, list[str]] = {}
    skipped = 0
    rows = read_jsonl(Path(path), what="completions file")
    if not rows:
        raise InputError(f"completions file {path} has no rows; write one JSON object per line: "
                         '{"task_id": ..., "completion": ...}')
    for lineno, row in rows:
        tid, comp = row.get("task_id"), row.get("completion")
        if not isinstance(tid, str):
            raise InputError(f"{path}:{lineno}: missing string field 'task_id'")
        if tid not in known and task_ids is not None and tid not in task_ids:
            hint = suggestion(tid, task_ids, list_known=False)
            raise InputError(f"{path}:{lineno}: unknown task_id {tid!r} (this task has no such problem)"
                             + (f"; {hint}" if hint else ""))
        comps = [comp] if isinstance(comp, str) else comp
        if not isinstance(comps, list) or not all(isinstance(c, str) for c in comps):
            raise InputError(f"{path}:{lineno}: 'completion' must be a string or a list of strings")
        if tid not in known:
            skipped += 1
            continue
        out.setdefault(tid, []).extend(comps)
    if skipped and note is not None:
        note(f"rtlgen: note: {skipped} row(s) of {path} are for problems outside the selection "
             "(--problems/--limit/--exclude-broken) and were ignored")
    return out


def select_problems(problems: list[Problem], config: EvalConfig, broken: frozenset[str]) -> list[Problem]:
    by_id = {p.task_id: p for p in problems}
    if config.problems:
        unknown = [p for p in config.problems if p not in by_id]
        if unknown:
            hint = suggestion(unknown[0], by_id, list_known=False)
            raise InputError(f"unknown problem {unknown[0]!r} in --problems for {config.task}"
                             + (f"; {hint}" if hint else ""))
        problems = [by_id[p] for p in config.problems]
    problems = [replace(p, known_broken=p.task_id in broken) for p in problems]
    if config.exclude_broken:
        problems = [p for p in problems if not p.known_broken]
    return problems[: config.limit] if config.limit else problems


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def iverilog_info() -> tuple[str, int | None]:
    version = tool_version("iverilog")
    m = re.search(r"version (\d+)\.", version) or re.search(r"(\d+)\.\d+", version)
    return version, (int(m.group(1)) if m else None)


# -- samples -----------------------------------------------------------------------------------
def responses_to_samples(task: EvalTask, problem: Problem, responses: list[str], robust: bool = True
                         ) -> list[Sample]:
    samples = []
    for i, response in enumerate(responses):
        for ext in task.extract(problem, response)[: 2 if robust else 1]:
            samples.append(Sample(problem.task_id, i, ext.method, ext.code, truncated=ext.truncated, empty=ext.empty))
    return samples


def generate(config: EvalConfig, task: EvalTask, problems: list[Problem], data_dir: Path, out: Path,
             backend: ModelBackend | None) -> dict[str, list[str]]:
    """Responses per problem from ``generations.jsonl``, generating (and appending) only what is missing."""
    path = out / "generations.jsonl"
    have: dict[str, list[str]] = {}
    if path.exists():
        _repair_tail(path)
        for _, row in read_jsonl(path, what="generations file"):
            have[row["task_id"]] = row["responses"]
    todo = [p for p in problems if len(have.get(p.task_id, [])) < config.samples]
    if todo:
        if backend is None:
            from rtlgen.llm.registry import load_model

            backend = load_model(config.model)
        params = SamplingParams.greedy() if config.samples == 1 else SamplingParams.pass_at_k(n=config.samples)
        batch = 8  # problems per generate() call: saved after each, so an interrupt loses at most one batch
        for start in range(0, len(todo), batch):
            chunk = todo[start:start + batch]
            outs = backend.generate([task.prompt(p, data_dir, config.shots) for p in chunk], params)
            with path.open("a") as fh:
                for p, responses in zip(chunk, outs, strict=True):
                    have[p.task_id] = list(responses)
                    fh.write(json.dumps({"task_id": p.task_id, "responses": list(responses)}) + "\n")
                fh.flush()
    return {p.task_id: have[p.task_id][: config.samples] for p in problems}


def collect_samples(config: EvalConfig, task: EvalTask, problems: list[Problem], data_dir: Path, out: Path,
                    backend: ModelBackend | None) -> tuple[list[Sample], list[str]]:
    """(samples to judge, task ids with no completion)."""
    if config.model == GOLDEN:
        return [Sample(p.task_id, i, "golden", task.golden(p)) for p in problems
                for i in range(config.samples)], []
    if config.completions:
        given = load_completions(config.completions, {p.task_id for p in problems})  # checked once already: cheap
    else:
        given = generate(config, task, problems, data_dir, out, backend)
    samples = [s for p in problems for s in responses_to_samples(task, p, given.get(p.task_id, []), config.robust)]
    return samples, [p.task_id for p in problems if not given.get(p.task_id)]


# -- results file ------------------------------------------------------------------------------
def _repair_tail(path: Path) -> None:
    """Drop a torn last line (a kill mid-write) so that appends start on a fresh line."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


def load_results(path: Path) -> dict[tuple[str, int, str], SampleResult]:
    if not path.exists():
        return {}
    _repair_tail(path)
    done = {}
    for lineno, row in read_jsonl(path, what="results file"):
        try:
            res = SampleResult.from_json(row)
        except ValueError as exc:
            raise InputError(f"{path}:{lineno}: not a result this evaluation wrote ({exc}); delete the line (its "
                             "sample is judged again) or use a new --out") from None
        done[res.key()] = res
    return done


def check_out_dir(out: Path, fingerprint: dict) -> None:
    """Refuse to mix runs: an existing config.json in ``out`` must describe the same evaluation. One that
    is unreadable or not rtlgen's is refused too when results sit next to it (they may be another run's)."""
    for name in ("config.json", "results.jsonl", "generations.jsonl", "summary.json", "report.md", "chart.png"):
        target = out / name  # each is read (a FIFO would block) or written by the run: all must be plain files
        if (target.exists() or target.is_symlink()) and not target.is_file():
            raise InputError(f"{target} is not a regular file, and this run reads or writes it; "
                             "pass a new --out or remove it")
    path = out / "config.json"
    if not path.exists():
        return
    old, why = None, ""
    try:
        data = json.loads(read_input_text(path, "", TEXT_MAX))
        old = data.get("fingerprint") if isinstance(data, dict) else None
        why = "" if isinstance(old, dict) else "no fingerprint object in it"
    except InputError as exc:
        why = str(exc).removeprefix(f"{path} ")
    except (ValueError, RecursionError) as exc:
        why = f"not JSON: {exc}"
    if why:
        if any((out / name).exists() for name in ("results.jsonl", "generations.jsonl")):
            raise InputError(f"{path} is not a config rtlgen wrote ({why}), so the results next to it cannot be "
                             "matched to this evaluation; pass a new --out or delete that directory")
        return  # nothing to mix: this run writes a fresh config.json
    if old != fingerprint:
        diff = sorted(k for k in fingerprint if old.get(k) != fingerprint[k])
        raise InputError(f"{out} holds a different evaluation (differs in: {', '.join(diff)}); "
                         "pass a new --out or delete that directory")


# -- judging -----------------------------------------------------------------------------------
@dataclass
class _Pending:
    sample: Sample
    problem: Problem
    job: Job


def _record(sample: Sample, mode: Mode, verdict: Verdict, result: JobResult | JudgeVerdict | None) -> SampleResult:
    category = verdict.category
    if not verdict.passed and sample.empty:
        category = FailureCategory.EMPTY_CODE.value
    elif not verdict.passed and sample.truncated and category not in (FailureCategory.MISMATCH.value, "r"):
        category = FailureCategory.TRUNCATED_CODE.value
    if isinstance(result, JudgeVerdict):
        tail = (result.compile_log + result.run_log)[-600:] if not verdict.passed else ""
    else:
        tail = log_tail(result) if result and not verdict.passed else ""
    return SampleResult(
        task_id=sample.task_id, sample=sample.index, extraction=sample.extraction, mode=mode.value,
        passed=verdict.passed, category=category, code_sha=_sha(sample.code), mismatches=verdict.mismatches,
        samples=verdict.samples, detail=verdict.detail, wall_s=round(result.wall_s, 4) if result else 0.0,
        cpu_s=round(result.cpu_s, 4) if result else 0.0, cached=bool(result and result.cached), log_tail=tail,
        merged=bool(isinstance(result, JudgeVerdict) and result.merged))


def plan(task: EvalTask, mode: Mode, samples: list[Sample], problems: dict[str, Problem], timeout_s: float
         ) -> tuple[list[_Pending], list[SampleResult], list[tuple[Sample, Bench]]]:
    """Official jobs to run, results decided without simulation (empty robust code), and strict items for the judge."""
    pending: list[_Pending] = []
    decided: list[SampleResult] = []
    judged: list[tuple[Sample, Bench]] = []
    benches: dict[str, Bench] = {}
    for s in samples:
        p = problems[s.task_id]
        if s.extraction == "robust" and s.empty:
            decided.append(_record(s, mode, Verdict(False, FailureCategory.EMPTY_CODE.value, detail="no code"), None))
            continue
        if mode is Mode.OFFICIAL:
            pending.append(_Pending(s, p, _timed(task.official_job(p, s.code), timeout_s)))
            continue
        if p.task_id not in benches:
            benches[p.task_id] = strict_mod.bench_for(task, p)
        judged.append((s, benches[p.task_id]))
    return pending, decided, judged


def _timed(job: Job, timeout_s: float) -> Job:
    if timeout_s == RUN_TIMEOUT_S:
        return job
    return job.with_limits(Limits(wall_s=timeout_s, cpu_s=timeout_s + 5))


def judge(task: EvalTask, mode: Mode, pending: _Pending, result: JobResult) -> SampleResult:
    """The official verdict of one simulated sample (strict samples go to ``rtlgen.sim.judge``)."""
    verdict = task.official_verdict(pending.problem, pending.sample.code, result)
    return _record(pending.sample, mode, verdict, result)


def make_sandbox(config: EvalConfig) -> Sandbox:
    cache_dir = (config.cache_dir or default_cache_dir()) if config.cache else None
    return build_sandbox(SandboxConfig(executor=config.executor, cache_dir=cache_dir))


def make_judge(config: EvalConfig, sandbox: Sandbox) -> Judge:
    limits = JudgeLimits(run_wall_s=config.timeout_s, compile_wall_s=COMPILE_LIMITS.wall_s)
    return Judge(JudgeConfig(limits=limits, workers=config.jobs), sandbox=sandbox)


# -- the run -----------------------------------------------------------------------------------
def default_out(task: str) -> Path:
    return Path("runs") / f"{task}-{time.strftime('%Y%m%d-%H%M%S')}"


def _simulate(task: EvalTask, config: EvalConfig, pending: list, judged: list, decided: list, problems_by_id: dict,
              sb: Sandbox, results_path: Path, done: dict) -> None:
    """Run the official jobs and the judge's batch, appending each result to ``results_path`` as it arrives."""
    with results_path.open("a") as fh:
        def write(res: SampleResult) -> None:
            done[res.key()] = res
            fh.write(json.dumps(res.to_json()) + "\n")
            fh.flush()

        for res in decided:
            write(res)
        # longest first (costs measured by earlier runs), so a slow problem does not run alone at the end
        costs = load_costs(task.name)
        pending.sort(key=lambda x: -cost_of(costs, x.problem))
        run_many(sb, [p.job for p in pending], workers=config.jobs,
                 progress=config.task if config.progress else False,
                 on_result=lambda i, r: write(judge(task, config.mode, pending[i], r)))
        judged.sort(key=lambda x: -cost_of(costs, problems_by_id[x[0].task_id]))
        make_judge(config, sb).judge_many(
            [(task.dut_source(problems_by_id[s.task_id], s.code), bench) for s, bench in judged],
            progress=config.task if config.progress else False,
            on_result=lambda i, v: write(_record(judged[i][0], config.mode, strict_mod.to_verdict(v), v)),
            costs=[cost_of(costs, problems_by_id[s.task_id]) for s, _ in judged])


def run_eval(config: EvalConfig, *, backend: ModelBackend | None = None, sandbox: Sandbox | None = None) -> dict:
    """Judge every sample of ``config`` (resuming from ``config.out``); returns the summary dict.

    The output directory is locked for the whole run: a second run into it at the same time is refused."""
    get_task(config.task)  # an unknown name fails before the default out (named after it) is made
    if not config.out:
        config = replace(config, out=str(default_out(config.task)))
    with locked_out_dir(Path(config.out)):
        return _run_eval(config, backend=backend, sandbox=sandbox)


def task_variant(task: EvalTask, variant: str) -> EvalTask:
    """The task with its data variant applied (only RTLLM has a ``fixed`` one)."""
    if variant == "upstream":
        return task
    if not hasattr(task, "with_variant"):
        raise InputError(f"--variant {variant} applies to RTLLM tasks only, not {task.name}")
    return task.with_variant(variant)


def _run_eval(config: EvalConfig, *, backend: ModelBackend | None, sandbox: Sandbox | None) -> dict:
    t0 = time.monotonic()
    if config.mode is Mode.STRICT:
        prewarm_checks()  # the check worker starts while the task loads
    task = task_variant(get_task(config.task), config.variant)
    data_dir = task.resolve_data(config.data_dir)
    version, major = iverilog_info()
    broken = task.known_broken(major)
    everything = task.load(data_dir)
    problems = select_problems(everything, config, broken)
    out = Path(config.out)
    fingerprint = {"task": task.name, "task_version": task.VERSION, "mode": config.mode.value,
                   "source": config.completions and os.path.abspath(config.completions) or config.model,
                   "samples": config.samples, "shots": config.shots, "iverilog": version, "timeout_s": config.timeout_s,
                   "robust": config.robust, "variant": config.variant}
    if config.completions:  # bad input fails before anything is written to out
        load_completions(config.completions, {p.task_id for p in problems}, {p.task_id for p in everything},
                         note=(lambda msg: print(msg, file=sys.stderr)) if config.progress else None)
    check_out_dir(out, fingerprint)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(
        {"fingerprint": fingerprint, "config": {**asdict(config), "mode": config.mode.value},
         "data_dir": str(data_dir), "out": str(out)}, indent=2) + "\n")
    samples, missing = collect_samples(config, task, problems, data_dir, out, backend)
    problems_by_id = {p.task_id: p for p in problems}
    results_path = out / "results.jsonl"
    done = load_results(results_path)
    todo = [s for s in samples if (r := done.get((s.task_id, s.index, s.extraction))) is None
            or r.code_sha != _sha(s.code)]
    pending, decided, judged = plan(task, config.mode, todo, {p.task_id: p for p in problems}, config.timeout_s)
    sb = sandbox or make_sandbox(config)
    try:
        _simulate(task, config, pending, judged, decided, problems_by_id, sb, results_path, done)
    finally:
        if sandbox is None:
            sb.close()  # a Ray executor's actors, a remote client's connections
    current = [done[(s.task_id, s.index, s.extraction)] for s in samples]
    save_costs(task.name, current)
    summary = report_mod.summarize(
        task=task, config=config, problems=problems, results=current, missing=missing, iverilog=version,
        excluded=sorted(broken) if config.exclude_broken else [], wall_s=time.monotonic() - t0, out=out)
    if config.ppa:
        from rtlgen.evals import ppa as ppa_mod

        summary["ppa"] = ppa_mod.measure(task, problems_by_id, samples, done, out, workers=config.jobs)
    report_mod.write_outputs(out, summary, current)
    return summary


__all__ = ["GOLDEN", "EvalConfig", "Mode", "load_completions", "run_eval"]
