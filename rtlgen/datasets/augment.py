"""Code-to-code augmentation (OriGen): the teacher writes each module again from its description, and a
rewrite is kept only when it is proved to match the original.

    stages:
      - augment: {teacher: "scripted:answers.yaml", rewrites: 1, equivalence: {bmc_depth: 20}}

Per sample: the original's ports (pyslang) give a differential testbench (``rtlgen.datasets.difftb``);
the original must pass its own bench (else the bench says nothing: ``bench_unusable``). The teacher gets
the detailed description (else the summary) and the port list, and answers ``rewrites`` times. Each
rewrite is judged by the hardened judge against the bench (``rejected_difftb`` unless 0 mismatches),
then, where both synthesise, checked by Yosys (``rtlgen.datasets.formal``: ``formal_comb`` or
``formal_bmc_N``; ``rejected_formal`` on a counterexample). A kept rewrite is a new sample
``<id>~aug<j>`` with ``meta.proved_by`` (``difftb`` and the formal proof, when there is one), the
bench and the renamed original as ``testbench``/``reference`` (top ``tb``, reference ``RefModule``),
and the teacher spec and prompt version. ``proof_fractions`` gives the benchmark its figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from rtlgen.config import help_
from rtlgen.datasets.describe import (
    DropReason,
    ask_teacher,
    check_teacher_spec,
    load_prompts,
    shared_teacher,
)
from rtlgen.datasets.difftb import DiffBench, DiffTbOptions, build_bench, is_input, read_ports
from rtlgen.datasets.formal import FormalOptions, FormalResult, check_formal, elaborate_reference
from rtlgen.datasets.sample import DescriptionLevel, Dropped, Sample
from rtlgen.datasets.stage import Stage, StageContext
from rtlgen.errors import InputError
from rtlgen.llm.base import SamplingParams
from rtlgen.llm.extract import extract_robust, split_modules
from rtlgen.sandbox import Sandbox, default_workers
from rtlgen.sim.judge import Judge, JudgeConfig, JudgeLimits, JudgeVerdict
from rtlgen.sim.judge.lexing import normalize
from rtlgen.synth.equivalence import EquivStatus

DIFFTB = "difftb"


@dataclass(frozen=True)
class AugmentOptions:
    teacher: str = field(default="", metadata=help_("model spec of the teacher, e.g. scripted:answers.yaml"))
    prompts: str = field(default="", metadata=help_("prompt file; empty: the bundled teacher_v1.yaml"))
    level: DescriptionLevel = field(default=DescriptionLevel.DETAILED,
                                    metadata=help_("description the teacher rewrites from (else the summary)"))
    rewrites: int = field(default=1, metadata=help_("rewrites asked per sample"))
    temperature: float = field(default=0.0, metadata=help_("teacher temperature; raise it with rewrites > 1"))
    max_new_tokens: int = field(default=2048, metadata=help_("token budget of one rewrite"))
    timeout_s: float = field(default=600.0, metadata=help_("a teacher call (one batch) past this drops its rewrites"))
    keep_original: bool = field(default=True, metadata=help_("pass the original samples on as well"))
    sim_timeout_s: float = field(default=30.0, metadata=help_("wall clock of one bench simulation"))
    difftb: DiffTbOptions = field(default_factory=DiffTbOptions, metadata=help_("differential testbench"))
    formal: bool = field(default=True, metadata=help_("also check equivalence with Yosys where both synthesise"))
    require_formal: bool = field(default=False, metadata=help_("keep only rewrites that a formal check proved"))
    equivalence: FormalOptions = field(default_factory=FormalOptions, metadata=help_("formal check settings"))

    def __post_init__(self) -> None:
        if not 1 <= self.rewrites <= 64:
            raise InputError(f"rewrites must be between 1 and 64, not {self.rewrites!r}")
        if self.timeout_s <= 0 or self.sim_timeout_s <= 0:
            raise InputError("timeout_s and sim_timeout_s must be positive numbers")
        if self.require_formal and not self.formal:
            raise InputError("require_formal needs formal: true")


@dataclass(frozen=True)
class RewriteCheck:
    """How one rewrite fared: the bench verdict, the formal result (None: not run), and the decision."""

    difftb: JudgeVerdict
    formal: FormalResult | None
    proved_by: tuple[str, ...]
    drop: DropReason | None  # None: kept
    detail: str = ""


def full_text(sample: Sample) -> str:
    """The sample's module with its dependency closure."""
    return "\n".join([sample.code, *sample.deps])


def with_deps(candidate: str, deps: Sequence[str]) -> str:
    """``candidate`` plus the dependency modules it does not define itself."""
    have = {name for name, _ in split_modules(candidate)}
    extra = [d for d in deps if not {n for n, _ in split_modules(d)} <= have]
    return "\n".join([candidate, *extra])


def decide(verdict: JudgeVerdict, formal: FormalResult | None, require_formal: bool) -> RewriteCheck:
    """Keep a rewrite that passed the bench and that no formal check refuted."""
    if not verdict.passed:
        return RewriteCheck(verdict, formal, (), DropReason.REJECTED_DIFFTB, f"{verdict.category.value}: {verdict.reason}")
    if formal is not None and (formal.status is EquivStatus.NOT_EQUIVALENT or formal.rewrite_unsynthesisable):
        # a rewrite Yosys cannot build where the original builds (a memory bomb, a construct it refuses) is not
        # the same hardware, whatever a bench saw
        return RewriteCheck(verdict, formal, (DIFFTB,), DropReason.REJECTED_FORMAL, formal.reason)
    proof = formal.proof if formal is not None and formal.status is EquivStatus.EQUIVALENT else ""
    if require_formal and not proof:
        return RewriteCheck(verdict, formal, (DIFFTB,), DropReason.UNPROVED,
                            formal.reason if formal else "no formal check")
    return RewriteCheck(verdict, formal, (DIFFTB, proof) if proof else (DIFFTB,), None)


def verify_rewrites(items: Sequence[tuple[Sample, str, DiffBench]], options: AugmentOptions, judge: Judge,
                    sandbox: Sandbox, workers: int | None = None) -> list[RewriteCheck]:
    """Checks of ``(original, rewrite code, its bench)`` items: the judge in one batch, then Yosys
    (only for rewrites that passed the bench) on ``workers`` threads."""
    designs = [with_deps(code, s.deps) for s, code, _ in items]
    verdicts = judge.judge_many([(d, diff.bench) for d, (_, _, diff) in zip(designs, items, strict=True)])
    formals: list[FormalResult | None] = [None] * len(items)
    todo = [i for i, v in enumerate(verdicts) if v.passed] if options.formal else []
    refs: dict[str, object] = {}

    def run(i: int) -> FormalResult:
        s, _, diff = items[i]
        ref = refs.get(s.id) or elaborate_reference(full_text(s), s.top, options.equivalence, sandbox)
        refs[s.id] = ref
        return check_formal(ref, designs[i], top=s.top, resets=[p.name for p in diff.roles.resets],
                            options=options.equivalence, sandbox=sandbox)

    with ThreadPoolExecutor(max_workers=workers or default_workers()) as ex:
        for i, res in zip(todo, ex.map(run, todo), strict=True):
            formals[i] = res
    return [decide(v, f, options.require_formal) for v, f in zip(verdicts, formals, strict=True)]


def proof_fractions(samples: Iterable[Sample | Dropped]) -> dict[str, float]:
    """Among augmented samples (drops and other samples are skipped): how many there are, and the
    fraction proved by each check."""
    proofs = [tuple(s.meta.get("proved_by", ())) for s in samples
              if isinstance(s, Sample) and s.meta.get("augmented_from")]
    n = len(proofs)

    def frac(pred) -> float:
        return round(sum(1 for p in proofs if pred(p)) / n, 4) if n else 0.0

    return {"augmented": float(n), "difftb": frac(lambda p: DIFFTB in p),
            "formal_comb": frac(lambda p: "formal_comb" in p),
            "formal_bmc": frac(lambda p: any(x.startswith("formal_bmc_") for x in p)),
            "formal_any": frac(lambda p: any(x.startswith("formal_") for x in p)),
            "difftb_only": frac(lambda p: p == (DIFFTB,))}


def rewrite_code(answer: str, top: str) -> tuple[str, str]:
    """(code, "") from a teacher's answer, or ("", why it is garbage)."""
    ext = extract_robust(answer, top=top)
    if ext.empty:
        return "", "no Verilog in the answer"
    if ext.truncated:
        return "", "the answer's code is cut off"
    if top not in {name for name, _ in split_modules(ext.code)}:
        return "", f"the answer defines no module {top!r}"
    return ext.code, ""


class Augment(Stage):
    """Adds teacher rewrites proved equal to their originals."""

    name = "augment"
    Options = AugmentOptions
    batch_size = 16

    def __init__(self, options: AugmentOptions, ctx: StageContext) -> None:
        super().__init__(options, ctx)
        check_teacher_spec(options.teacher)
        self.prompts = load_prompts(options.prompts)
        self._judge: Judge | None = None

    def judge(self) -> Judge:
        if self._judge is None:
            limits = JudgeLimits(run_wall_s=self.options.sim_timeout_s)
            self._judge = Judge(JudgeConfig(limits=limits, workers=self.ctx.workers), sandbox=self.ctx.get_sandbox())
        return self._judge

    def _prepare(self, s: Sample) -> DiffBench | Dropped:
        aug = f"{s.id}~aug"
        if not (s.descriptions.get(self.options.level.value) or s.descriptions.get(DescriptionLevel.SUMMARY.value)):
            return Dropped(aug, self.name, DropReason.NO_DESCRIPTION.value, f"no {self.options.level.value} description")
        ports = read_ports(full_text(s), s.top) if s.top else None
        if ports is None:
            return Dropped(aug, self.name, DropReason.NO_PORTS.value, f"cannot read the ports of {s.top or '(no top)'}")
        try:
            return build_bench(full_text(s), s.top, ports, self.options.difftb, name=s.id)
        except InputError as exc:
            return Dropped(aug, self.name, DropReason.NO_PORTS.value, str(exc))

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        opts = self.options
        out: list[Sample | Dropped] = [s.evolve(self.name) for s in batch] if opts.keep_original else []
        ready: list[tuple[Sample, DiffBench]] = []
        for s in batch:
            prep = self._prepare(s)
            (out.append(prep) if isinstance(prep, Dropped) else ready.append((s, prep)))
        # the original against its own bench: a bench it fails (races, x) can vouch for nothing
        selves = self.judge().judge_many([(full_text(s), d.bench) for s, d in ready])
        usable = []
        for (s, d), v in zip(ready, selves, strict=True):
            if v.passed:
                usable.append((s, d))
            else:
                out.append(Dropped(f"{s.id}~aug", self.name, DropReason.BENCH_UNUSABLE.value, v.reason[:200]))
        if not usable:
            return out
        level = opts.level.value
        prompts = [self.prompts.messages(self.prompts.rewrite, top=s.top, ports=_port_list(d),
                                         description=s.descriptions.get(level) or s.descriptions[DescriptionLevel.SUMMARY.value])
                   for s, d in usable]
        params = SamplingParams(temperature=opts.temperature, max_new_tokens=opts.max_new_tokens, n=opts.rewrites)
        reply = ask_teacher(shared_teacher(self.ctx, opts.teacher), prompts, params, opts.timeout_s)
        if reply.answers is None:
            return out + [Dropped(f"{s.id}~aug", self.name, reply.failure.value, reply.detail) for s, _ in usable]
        items, ids = [], []
        for (s, d), answers in zip(usable, reply.answers, strict=True):
            for j, answer in enumerate(answers):
                aug_id = f"{s.id}~aug{j}"
                code, why = rewrite_code(answer, s.top)
                if why:
                    out.append(Dropped(aug_id, self.name, DropReason.TEACHER_GARBAGE.value, why))
                elif normalize(code) == normalize(s.code):
                    out.append(Dropped(aug_id, self.name, DropReason.COPY.value, "the teacher copied the original"))
                else:
                    items.append((s, code, d))
                    ids.append(aug_id)
        checks = verify_rewrites(items, opts, self.judge(), self.ctx.get_sandbox(), self.ctx.workers)
        for aug_id, (s, code, d), check in zip(ids, items, checks, strict=True):
            if check.drop is not None:
                out.append(Dropped(aug_id, self.name, check.drop.value, check.detail[:300]))
                continue
            facts = {"augmented_from": s.id, "proved_by": list(check.proved_by), "teacher": opts.teacher,
                     "prompt_version": self.prompts.version, "description_level": level,
                     "difftb": {"mismatches": check.difftb.mismatches, "samples": check.difftb.samples},
                     "formal": check.formal.to_json() if check.formal else None,
                     "bench_top": "tb", "reference_top": d.bench.reference_top,
                     self.name: {"teacher": opts.teacher, "prompt_version": self.prompts.version}}
            out.append(s.evolve(self.name, id=aug_id, code=code, testbench=d.testbench, reference=d.reference,
                                meta={**s.meta, **facts}))
        return out


def _port_list(diff: DiffBench) -> str:
    return "\n".join(f"- {'input' if is_input(p.direction) else 'output'} {p.name}: {p.width} bit"
                     f"{'s' if p.width > 1 else ''}" for p in diff.ports)
