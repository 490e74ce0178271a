"""Repair data: (broken code, exact tool message, fixed code) triples.

    stages:
      - repair_mutate: {per_sample: 4, operators: [drop_semicolon, flip_operator, wrong_edge]}
      - repair_from_runs: {eval_runs: [runs/verilogeval-v2-...], transcripts: [runs/agent/transcript.jsonl]}

``RepairMutate`` plants bugs in verified code (``rtlgen.datasets.mutate``) and keeps a mutant only when
the tools object: a syntactic mutant when ``iverilog -t null`` fails on it (its output is the message)
while the original compiles; a semantic one when it compiles and the hardened judge fails it against
the original's differential bench (the message is the judge's reason and the bench's first
mismatches). ``RepairFromRuns`` turns the project's own failures into triples (CraftRTL's targeted
repair): an eval run's failing sample with a passing sample of the same problem (``results.jsonl``,
code from ``generations.jsonl``, matched on ``code_sha``), and an agent transcript's failing round
with a later passing round. Each triple is a ``Sample`` whose ``code`` is the fixed code and whose
``meta["repair"]`` holds ``broken``, ``message``, ``operator`` or ``problem``, ``kind`` and ``source``.
"""

from __future__ import annotations

import enum
import hashlib
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rtlgen.config import help_
from rtlgen.datasets.augment import full_text
from rtlgen.datasets.difftb import DiffTbOptions, build_bench, read_ports
from rtlgen.datasets.mutate import Mutation, MutationKind, Operator, mutate
from rtlgen.datasets.sample import Dropped, Provenance, Sample
from rtlgen.datasets.stage import Stage
from rtlgen.errors import InputError, RtlgenError
from rtlgen.evals.results import SampleResult
from rtlgen.llm.extract import SPEC_TO_RTL, extract_robust, extract_upstream, split_modules
from rtlgen.sandbox import KilledBy, Limits, run_many, tool_version
from rtlgen.sim.icarus import icarus_syntax_job
from rtlgen.sim.judge import Judge, JudgeConfig, JudgeLimits


class RepairDrop(enum.StrEnum):
    """Why no triple came of a mutant or a run row (the keys counted in the build report)."""

    ORIGINAL_NOT_CLEAN = "original_not_clean"  # the original itself does not compile
    TOOL_SILENT = "tool_silent"  # a syntactic mutant the compiler accepts
    NO_PORTS = "no_ports"  # no differential bench for the original
    BENCH_UNUSABLE = "bench_unusable"  # the original fails its own bench
    JUDGE_PASSED = "judge_passed"  # a semantic mutant that behaves the same (an equivalent mutant)
    NOT_SIMULATED = "mutant_not_simulated"  # a semantic mutant that did not compile or run
    NO_CODE = "no_code"  # a run row whose code cannot be found


@dataclass(frozen=True)
class RepairMutateOptions:
    operators: tuple[Operator, ...] = field(default=tuple(Operator), metadata=help_("mutation operators to use"))
    per_sample: int = field(default=4, metadata=help_("mutants tried per sample (one operator each)"))
    seed: int = field(default=0, metadata=help_("with the sample id, picks operators and sites"))
    keep_original: bool = field(default=True, metadata=help_("pass the original samples on as well"))
    message_chars: int = field(default=2000, metadata=help_("a tool message is cut to its first this many chars"))
    compile_timeout_s: float = field(default=30.0, metadata=help_("wall clock of one iverilog run"))
    sim_timeout_s: float = field(default=30.0, metadata=help_("wall clock of one bench simulation"))
    difftb: DiffTbOptions = field(default_factory=DiffTbOptions, metadata=help_("bench for semantic mutants"))

    def __post_init__(self) -> None:
        if not self.operators:
            raise InputError("operators must name at least one mutation operator")
        if not 1 <= self.per_sample <= len(Operator) * 4:
            raise InputError(f"per_sample must be between 1 and {len(Operator) * 4}, not {self.per_sample!r}")
        if self.message_chars < 80:
            raise InputError(f"message_chars must be at least 80, not {self.message_chars!r}")


def _stable_seed(seed: int, sample_id: str) -> int:
    return seed ^ int.from_bytes(hashlib.sha256(sample_id.encode()).digest()[:8], "big")


def mutant_id(s: Sample, m: Mutation) -> str:
    """Stable and unique: the operator and a hash of the mutant's text."""
    return f"{s.id}~{m.operator.value}-{hashlib.sha256(m.code.encode()).hexdigest()[:8]}"


def _triple(s: Sample, m: Mutation, message: str, tool: str, **extra) -> Sample:
    repair = {"broken": m.code, "message": message, "operator": m.operator.value, "kind": m.kind.value,
              "line": m.line, "source": "mutation", "tool": tool}
    return s.evolve("repair_mutate", id=mutant_id(s, m), meta={**s.meta, "repair": repair}, **extra)


class RepairMutate(Stage):
    """Mutants of each sample that the tools reject, as repair triples."""

    name = "repair_mutate"
    Options = RepairMutateOptions
    batch_size = 32

    def mutants(self, s: Sample) -> list[Mutation]:
        rng = random.Random(_stable_seed(self.options.seed, s.id))
        ops = list(self.options.operators)
        rng.shuffle(ops)
        out = []
        for op in (ops * 4)[: self.options.per_sample * 2]:  # an operator without a site yields nothing
            if len(out) >= self.options.per_sample:
                break
            m = mutate(s.code, op, rng)
            if m is not None and m.code not in {x.code for x in out}:
                out.append(m)
        return out

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        opts = self.options
        out: list[Sample | Dropped] = [s.evolve(self.name) for s in batch] if opts.keep_original else []
        plans = [(s, self.mutants(s)) for s in batch]
        out += self._syntactic([(s, [m for m in ms if m.kind is MutationKind.SYNTACTIC]) for s, ms in plans])
        out += self._semantic([(s, [m for m in ms if m.kind is MutationKind.SEMANTIC]) for s, ms in plans])
        return out

    def _message(self, text: str) -> str:
        return text.strip()[: self.options.message_chars]

    def _syntactic(self, plans) -> list[Sample | Dropped]:
        limits = Limits(wall_s=self.options.compile_timeout_s)
        jobs, where = [], []
        for s, ms in plans:
            if not ms:
                continue
            deps = {"deps.sv": "\n".join(s.deps)} if s.deps else {}
            for m in [None, *ms]:
                jobs.append(icarus_syntax_job({"design.sv": m.code if m else s.code, **deps}, limits=limits))
                where.append((s, m))
        results = run_many(self.ctx.get_sandbox(), jobs, workers=self.ctx.workers)
        out: list[Sample | Dropped] = []
        tool = _tool("iverilog")
        clean: dict[str, bool] = {}
        for (s, m), res in zip(where, results, strict=True):
            if m is None:
                clean[s.id] = res.ok
                if not res.ok:
                    out.append(Dropped(f"{s.id}~mut", self.name, RepairDrop.ORIGINAL_NOT_CLEAN.value, "the original does not compile"))
                continue
            if not clean[s.id]:
                continue
            message = self._message(res.stderr + res.stdout)
            if res.ok or not message or res.killed_by is not KilledBy.NONE:
                out.append(Dropped(mutant_id(s, m), self.name, RepairDrop.TOOL_SILENT.value, m.description))
            else:
                out.append(_triple(s, m, message, tool))
        return out

    def _semantic(self, plans) -> list[Sample | Dropped]:
        judge = Judge(JudgeConfig(limits=JudgeLimits(run_wall_s=self.options.sim_timeout_s), workers=self.ctx.workers),
                      sandbox=self.ctx.get_sandbox())
        items, where, out = [], [], []
        benches = {}
        for s, ms in plans:
            if not ms:
                continue
            ports = read_ports(full_text(s), s.top) if s.top else None
            try:
                diff = build_bench(full_text(s), s.top, ports, self.options.difftb, name=s.id) if ports else None
            except InputError:
                diff = None
            if diff is None:
                out.append(Dropped(f"{s.id}~mut", self.name, RepairDrop.NO_PORTS.value, f"no bench for {s.top or '(no top)'}"))
                continue
            benches[s.id] = diff
            deps = "\n".join(s.deps)
            for m in [None, *ms]:
                items.append(((m.code if m else s.code) + "\n" + deps, diff.bench))
                where.append((s, m))
        verdicts = judge.judge_many(items)
        ok: dict[str, bool] = {}
        for (s, m), v in zip(where, verdicts, strict=True):
            if m is None:
                ok[s.id] = v.passed
                if not v.passed:
                    out.append(Dropped(f"{s.id}~mut", self.name, RepairDrop.BENCH_UNUSABLE.value, v.reason[:200]))
                continue
            if not ok[s.id]:
                continue
            if v.passed or not v.compiled or not v.mismatches:
                why = (RepairDrop.JUDGE_PASSED if v.passed else RepairDrop.NOT_SIMULATED).value
                out.append(Dropped(mutant_id(s, m), self.name, why, f"{m.description}: {v.reason}"))
                continue
            lines = [ln for ln in v.run_log.splitlines() if ln.startswith("Mismatch")]
            message = self._message(f"{v.reason}\n" + "\n".join(lines))
            diff = benches[s.id]
            out.append(_triple(s, m, message, judge.tool,
                               testbench=diff.testbench, reference=diff.reference))
        return out


def _tool(name: str) -> str:
    try:
        return f"{name} {tool_version(name)}".strip()
    except RtlgenError:
        return name


@dataclass(frozen=True)
class RepairFromRunsOptions:
    eval_runs: tuple[str, ...] = field(default=(), metadata=help_("eval output dirs (results.jsonl, generations.jsonl)"))
    transcripts: tuple[str, ...] = field(default=(), metadata=help_("agent transcript.jsonl files"))
    keep_input: bool = field(default=True, metadata=help_("pass the stage's input samples on as well"))
    message_chars: int = field(default=2000, metadata=help_("a tool message is cut to its first this many chars"))

    def __post_init__(self) -> None:
        if not self.eval_runs and not self.transcripts:
            raise InputError("repair_from_runs needs eval_runs or transcripts")
        for p in self.eval_runs:
            if not (Path(p) / "results.jsonl").is_file():
                raise InputError(f"eval run {p} has no results.jsonl; give an 'rtlgen eval' output dir")
        for p in self.transcripts:
            if not Path(p).is_file():
                raise InputError(f"transcript {p} does not exist; give an agent transcript.jsonl")


class RepairFromRuns(Stage):
    """Failing-then-passing pairs from eval runs and agent transcripts, as repair triples."""

    name = "repair_from_runs"
    Options = RepairFromRunsOptions
    whole = True

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        out: list[Sample | Dropped] = [s.evolve(self.name) for s in batch] if self.options.keep_input else []
        for run in self.options.eval_runs:
            out += eval_run_triples(Path(run), self.name, self.options.message_chars)
        for path in self.options.transcripts:
            out += transcript_triples(Path(path), self.name, self.options.message_chars)
        return out


# -- the project's own runs -----------------------------------------------------------------------------
def _jsonl(path: Path) -> list[dict]:
    """Rows of a JSONL file; a torn or foreign line is skipped (a killed run leaves one)."""
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _top_of(code: str) -> str:
    names = [n for n, _ in split_modules(code)]
    return "TopModule" if "TopModule" in names else (names[0] if names else "")


def _run_triple(sid: str, stage: str, broken: str, fixed: str, message: str, origin: Path, **facts) -> Sample:
    repair = {"broken": broken, "message": message, "kind": "run", **facts}
    return Sample(id=sid, code=fixed, top=_top_of(fixed), provenance=Provenance(source=str(origin)),
                  history=(stage,), meta={"repair": repair})


def _eval_code(row: SampleResult, responses: list) -> str | None:
    """The code a results row judged, found again in its response by ``code_sha``."""
    if not 0 <= row.sample < len(responses) or not isinstance(responses[row.sample], str):
        return None
    resp = responses[row.sample]
    for code in (extract_robust(resp).code, extract_upstream(SPEC_TO_RTL, resp).code, resp):
        if _sha(code) == row.code_sha:
            return code
    return None


def eval_run_triples(run: Path, stage: str, chars: int) -> list[Sample | Dropped]:
    """Each failing sample of a problem with a passing one (the next later one, else the first)."""
    rows = [SampleResult.from_json(r) for r in _jsonl(run / "results.jsonl") if {"task_id", "sample"} <= r.keys()]
    gens = run / "generations.jsonl"
    responses = {r["task_id"]: r.get("responses") or [] for r in _jsonl(gens)} if gens.is_file() else {}
    out: list[Sample | Dropped] = []
    seen: set[tuple[str, str]] = set()
    for task in dict.fromkeys(r.task_id for r in rows):
        mine = sorted((r for r in rows if r.task_id == task), key=lambda r: r.sample)
        passes = [r for r in mine if r.passed]
        for bad in (r for r in mine if not r.passed and r.category not in ("missing", "empty")):
            if not passes or (task, bad.code_sha) in seen:
                continue
            good = next((r for r in passes if r.sample > bad.sample), passes[0])
            sid = f"{run.name}:{task}:{bad.sample}->{good.sample}"
            broken, fixed = _eval_code(bad, responses.get(task, [])), _eval_code(good, responses.get(task, []))
            if broken is None or fixed is None:
                out.append(Dropped(sid, stage, RepairDrop.NO_CODE.value, "code not in generations.jsonl"))
                continue
            seen.add((task, bad.code_sha))
            message = f"{bad.detail}\n{bad.log_tail}".strip()[:chars]
            out.append(_run_triple(sid, stage, broken, fixed, message, run, source="eval", problem=task,
                                   category=bad.category))
    return out


def _transcript_message(row: dict, chars: int) -> str:
    """The reason, the lint lines and the tool logs of one verification, as the agent saw them."""
    tools = row.get("tool_results") if isinstance(row.get("tool_results"), dict) else {}
    parts = [str(row.get("reason") or "")]
    parts += [str(x) for x in tools.get("lint") or [] if isinstance(tools.get("lint"), list)]
    for key in ("syntax", "judge"):
        res = tools.get(key)
        if isinstance(res, dict):
            parts += [str(res.get("compile_log") or ""), str(res.get("run_log") or "")]
    return "\n".join(p.strip() for p in parts if p and p.strip())[:chars]


def transcript_triples(path: Path, stage: str, chars: int) -> list[Sample | Dropped]:
    """Each failing design round with a later passing round (same candidate, else the first that passed)."""
    designs = [r for r in _jsonl(path) if r.get("kind") == "design" and isinstance(r.get("response"), str)]
    passes = [r for r in designs if r.get("passed") is True]
    out: list[Sample | Dropped] = []
    for bad in (r for r in designs if r.get("passed") is not True):
        later = [r for r in passes if r.get("candidate") == bad.get("candidate")
                 and (r.get("round") or 0) > (bad.get("round") or 0)]
        good = (later or passes or [None])[0]
        if good is None:
            continue
        sid = f"{path.parent.name}/{path.stem}:{bad.get('candidate')}.{bad.get('round')}"
        broken, fixed = extract_robust(bad["response"]).code, extract_robust(good["response"]).code
        if not broken.strip() or not fixed.strip():
            out.append(Dropped(sid, stage, RepairDrop.NO_CODE.value, "no Verilog in the failing or passing answer"))
            continue
        out.append(_run_triple(sid, stage, broken, fixed, _transcript_message(bad, chars), path, source="transcript",
                               category=str(bad.get("category") or "")))
    return out
