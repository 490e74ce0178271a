"""The self-correcting spec-to-RTL loop: write RTL (and a testbench if none is given), lint, simulate,
feed the exact tool messages back, repeat; sample several candidates and keep the best.

    from rtlgen.agent import AgentConfig, run_agent
    from rtlgen.llm import load_model
    result = run_agent(spec_text, load_model("openai:qwen@http://127.0.0.1:8000/v1"), AgentConfig(top="adder"),
                       out_dir=Path("out"))

Order of model calls (what a scripted model must answer, in order): for each candidate, round 1 design
(all candidates' first designs come from one call with ``n = samples``), then, when no test was given
and none exists yet, one testbench; then one repair per further round. With a given test the run stops
at the first candidate that passes; with a self-generated one every candidate runs, then candidates are
clustered by behaviour (``rtlgen.agent.ranking``).
"""

from __future__ import annotations

import bisect
import enum
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rtlgen.agent import prompts
from rtlgen.agent.ranking import CandidateScore, cluster_by_traces, rank
from rtlgen.agent.testbench import (
    Check,
    check_answer_problem,
    design_ports,
    harness_trace,
    split_answer,
    verify,
    verify_cocotb,
)
from rtlgen.agent.transcript import Transcript
from rtlgen.config import help_
from rtlgen.llm.base import ModelBackend, SamplingParams
from rtlgen.llm.extract import blank_comments_and_strings, split_modules
from rtlgen.sandbox import Limits, Sandbox, default_sandbox


class TestSource(enum.StrEnum):
    __test__ = False  # not a pytest test class, whatever its name says

    GIVEN = "given"  # the user's testbench
    GENERATED = "generated"  # written by the model itself: weaker evidence, said so in every report


@dataclass(frozen=True)
class AgentConfig:
    top: str | None = field(default=None, metadata=help_("design top module; None: what a given testbench instantiates, the spec's name, 'top'"))
    rounds: int = field(default=3, metadata=help_("model answers per candidate (first try + repairs)"))
    samples: int = field(default=1, metadata=help_("candidates sampled"))
    temperature: float | None = field(default=None, metadata=help_("None: 0 (greedy) for one sample, 0.8 for several"))
    top_p: float = field(default=0.95, metadata=help_("nucleus mass when sampling"))
    max_new_tokens: int = field(default=2048, metadata=help_("per answer; endless answers are cut here and reported as truncated"))
    seed: int = field(default=0, metadata=help_("base seed; candidate c, round r use seed + 1000 * c + r"))
    sim_wall_s: float = field(default=30.0, metadata=help_("wall-clock limit per simulation"))
    feedback_chars: int = field(default=3000, metadata=help_("tool output fed back per round, at most"))
    harness_vectors: int = field(default=64, metadata=help_("random stimulus vectors for clustering"))
    tb_top: str | None = field(default=None, metadata=help_("top module of the testbench; None: the module nobody instantiates"))

    def sampling(self, candidate: int, round_: int, n: int = 1) -> SamplingParams:
        temperature = self.temperature if self.temperature is not None else (0.0 if self.samples == 1 else 0.8)
        return SamplingParams(temperature=temperature, top_p=self.top_p if temperature > 0 else 1.0,
                              max_new_tokens=self.max_new_tokens, n=n, seed=self.seed + 1000 * candidate + round_)


@dataclass(frozen=True)
class RoundRecord:
    candidate: int
    round: int
    verdict: str  # rtlgen.agent.testbench.Verdict value
    category: str  # VerilogEval failure category of the simulation, or the verdict when nothing ran
    passed: bool
    reason: str  # one line


@dataclass
class Candidate:
    index: int
    design: str = ""
    testbench: str | None = None
    tb_top: str | None = None
    passed: bool = False
    last: Check | None = None
    rounds: int = 0
    history: list[RoundRecord] = field(default_factory=list)


@dataclass(frozen=True)
class AgentResult:
    passed: bool
    test_source: TestSource
    rounds: int  # rounds the chosen candidate used
    design_path: str | None
    testbench_path: str | None
    transcript_path: str
    chosen: int | None  # candidate index
    history: tuple[RoundRecord, ...]  # every round of every candidate, in order
    clusters: tuple[tuple[int, ...], ...] = ()  # behavioural clusters (self-generated tests, samples > 1)

    def to_json(self) -> dict:
        return {
            "passed": self.passed, "test_source": self.test_source.value, "rounds": self.rounds,
            "design_path": self.design_path, "testbench_path": self.testbench_path,
            "transcript_path": self.transcript_path, "chosen_candidate": self.chosen,
            "history": [{"candidate": h.candidate, "round": h.round, "category": h.category, "passed": h.passed,
                         "verdict": h.verdict, "reason": h.reason} for h in self.history],
            "clusters": [list(c) for c in self.clusters],
        }


# Possessive: each scan after a "module" stops at the first character that cannot follow, so a spec
# of "module module module ..." stays linear.
_TOP_IN_SPEC = (re.compile(r"\bmodule\s++named\s++`?([A-Za-z_]\w*+)"),
                re.compile(r"\bmodule\s++([A-Za-z_]\w*+)\s*+(?:#\s*+)?\("))


def guess_top(spec: str) -> str | None:
    """The top module name a spec asks for ("module named X" or a header ``module X(``)."""
    for pattern in _TOP_IN_SPEC:
        m = pattern.search(spec)
        if m:
            return m.group(1)
    return None


_KEYWORDS_BEFORE_PAREN = {"module", "if", "for", "while", "case", "begin", "assign", "always", "initial", "function",
                          "task", "repeat", "wait", "forever", "casez", "casex", "else", "posedge", "negedge"}


def guess_top_from_testbench(tb: str) -> str | None:
    """The one module a given testbench instantiates without defining it: the design it expects."""
    defined = {n for n, _ in split_modules(tb)}
    used = _instantiated_types(blank_comments_and_strings(tb, escapes=False))
    wanted = list(dict.fromkeys(u for u in used if u not in defined and u not in _KEYWORDS_BEFORE_PAREN))
    return wanted[0] if len(wanted) == 1 else None


# What re.findall(r"^\s*([A-Za-z_]\w*)\s+(?:#\s*\(.*?\)\s*)?[A-Za-z_]\w*\s*\(", body, re.M | re.S) finds, in
# linear time: "^\s*" rescanned blank runs from every line, and ".*?\)" rescanned to the end from every
# "#(" whose ")" never comes. A head is a line's first word, then "#(" or "name (" (possessive: the
# old pattern never gave those characters back either); "#(" continues at the first ")" after it that
# is followed by "name (", found by bisecting a list built once.
_INSTANCE_HEAD = re.compile(r"^[^\S\n]*+([A-Za-z_]\w*+)\s++(?:(#)\s*+\(|[A-Za-z_]\w*+\s*+\()", re.M)
_PARAMS_CLOSE = re.compile(r"\)(?=(\s*+[A-Za-z_]\w*+\s*+\())")


def _instantiated_types(body: str) -> list[str]:
    used: list[str] = []
    closes: list[int] | None = None
    ends: list[int] = []
    pos = 0
    while (m := _INSTANCE_HEAD.search(body, pos)) is not None:
        if m.group(2) is None:
            used.append(m.group(1))
            pos = m.end()
            continue
        if closes is None:
            found = [(c.start(), c.end(1)) for c in _PARAMS_CLOSE.finditer(body)]
            closes, ends = [c for c, _ in found], [e for _, e in found]
        i = bisect.bisect_left(closes, m.end())
        if i == len(closes):  # no match at this line; the old pattern tried again from the next one
            pos = m.start() + 1
            continue
        used.append(m.group(1))
        pos = ends[i]
    return used


_MAX_DOLLAR_NAMES = 16  # names with "$" are counted with a regex each; a testbench has none, a bomb has many


def find_testbench_top(tb: str, design_top: str) -> str | None:
    """The testbench module that no other module instantiates (the last such one)."""
    names = [n for n, _ in split_modules(tb) if n != design_top]
    # len(re.findall(rf"\b{n}\b", tb)) per name is names x text; for a name of word characters it is the
    # number of maximal \w runs equal to it, all counted in one pass
    words = Counter(re.findall(r"\w+", tb))
    dollar = list(dict.fromkeys(n for n in names if "$" in n))[:_MAX_DOLLAR_NAMES]
    counts = {n: len(re.findall(rf"\b{re.escape(n)}\b", tb)) for n in dollar}
    roots = [n for n in names if counts.get(n, words[n] if "$" not in n else 2) == 1]
    return (roots or names or [None])[-1]


class Agent:
    """One run of the loop; ``run()`` returns an ``AgentResult`` and leaves files in ``out_dir``."""

    def __init__(self, spec: str, model: ModelBackend, config: AgentConfig, out_dir: Path, *,
                 testbench: str | None = None, cocotb: tuple[str, str] | None = None,
                 sandbox: Sandbox | None = None) -> None:
        self.spec, self.model, self.config, self.out_dir = spec, model, config, Path(out_dir)
        self.top = (config.top or (testbench and guess_top_from_testbench(testbench)) or guess_top(spec)
                    or "top")
        self.cocotb = cocotb  # (test module name, its Python source)
        given = testbench is not None or cocotb is not None
        self.source = TestSource.GIVEN if given else TestSource.GENERATED
        self.sandbox = sandbox or default_sandbox()
        self.limits = Limits(wall_s=config.sim_wall_s)
        self.shared_tb: str | None = testbench
        self.transcript = Transcript(self.out_dir / "transcript.jsonl")

    def run(self) -> AgentResult:
        try:
            first = self.model.generate([prompts.rtl_prompt(self.spec, self.top)],
                                        self.config.sampling(0, 1, n=self.config.samples))[0]
            candidates: list[Candidate] = []
            for index, response in enumerate(first):
                cand = self._run_candidate(index, response)
                candidates.append(cand)
                if cand.passed and self.source is TestSource.GIVEN:
                    break
            return self._finish(candidates)
        finally:
            self.transcript.close()

    def _run_candidate(self, index: int, response: str) -> Candidate:
        cand = Candidate(index=index, testbench=self.shared_tb)
        prompt = prompts.rtl_prompt(self.spec, self.top)
        for round_ in range(1, self.config.rounds + 1):
            if round_ > 1:
                prompt = prompts.repair_prompt(self.spec, self.top, response, cand.last.feedback,
                                               may_fix_testbench=self.source is TestSource.GENERATED,
                                               testbench=cand.testbench)
                response = self.model.generate([prompt], self.config.sampling(index, round_))[0][0]
            check = self._check_round(cand, response)
            cand.last, cand.rounds, cand.passed = check, round_, check.passed
            record = RoundRecord(index, round_, check.verdict.value, check.category, check.passed, check.reason)
            cand.history.append(record)
            self.transcript.write(candidate=index, round=round_, kind="design", prompt=prompt, response=response,
                                  tool_results=check.tool_results, verdict=check.verdict, category=check.category,
                                  passed=check.passed, reason=check.reason, test_source=self.source)
            if check.passed:
                break
        return cand

    def _check_round(self, cand: Candidate, response: str) -> Check:
        generated = self.source is TestSource.GENERATED
        answer = split_answer(response, self.top, accept_testbench=generated)
        if generated and answer.testbench:
            cand.testbench = answer.testbench
        if answer.problem:
            return check_answer_problem(answer.problem)
        cand.design = answer.design
        if self.cocotb is not None:
            return verify_cocotb(self.sandbox, cand.design, self.top, *self.cocotb, self.config.feedback_chars,
                                 self.limits)
        if cand.testbench is None:
            cand.testbench = self._generate_testbench(cand)
            if cand.testbench is None:
                return verify(self.sandbox, cand.design, None, self.top, None, self.config.feedback_chars, self.limits)
        cand.tb_top = self.config.tb_top or find_testbench_top(cand.testbench, self.top)
        return verify(self.sandbox, cand.design, cand.testbench, self.top, cand.tb_top, self.config.feedback_chars,
                      self.limits)

    def _generate_testbench(self, cand: Candidate) -> str | None:
        """Ask for a testbench once per candidate that lacks one; the first usable one is shared."""
        ports = "\n".join(_port_lines(cand.design, self.top)) or None
        prompt = prompts.testbench_prompt(self.spec, self.top, ports)
        response = self.model.generate([prompt], self.config.sampling(cand.index, 0))[0][0]
        modules = [(n, t) for n, t in split_modules(split_answer(response, prompts.TB_NAME,
                                                                 accept_testbench=False).design) if n != self.top]
        tb = "".join(t for _, t in modules) or None
        self.transcript.write(candidate=cand.index, round=cand.rounds + 1, kind="testbench", prompt=prompt,
                              response=response, verdict="ok" if tb else "no_code", test_source=self.source)
        if tb and self.shared_tb is None:
            self.shared_tb = tb
        return tb

    def _finish(self, candidates: list[Candidate]) -> AgentResult:
        clusters: list[list[int]] = []
        if self.source is TestSource.GENERATED and len(candidates) > 1:
            clusters = self._cluster(candidates)
        scores = [CandidateScore(c.index, c.passed, bool(c.last and c.last.compiled),
                                 c.last.mismatch_fraction if c.last else 1.0, c.rounds) for c in candidates]
        best = rank(scores, clusters)[0] if scores else None
        chosen = candidates[best.index] if best else None
        design_path = tb_path = None
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if chosen and chosen.design:
            design_path = self.out_dir / "design.sv"
            design_path.write_text(chosen.design, encoding="utf-8")
        if self.cocotb is not None:
            tb_path = self.out_dir / f"{self.cocotb[0]}.py"
            tb_path.write_text(self.cocotb[1], encoding="utf-8")
        elif chosen and chosen.testbench:
            tb_path = self.out_dir / "testbench.sv"
            tb_path.write_text(chosen.testbench, encoding="utf-8")
        history = tuple(h for c in candidates for h in c.history)
        return AgentResult(passed=bool(chosen and chosen.passed), test_source=self.source,
                           rounds=chosen.rounds if chosen else 0, design_path=str(design_path) if design_path else None,
                           testbench_path=str(tb_path) if tb_path else None,
                           transcript_path=str(self.transcript.path), chosen=chosen.index if chosen else None,
                           history=history, clusters=tuple(tuple(c) for c in clusters))

    def _cluster(self, candidates: list[Candidate]) -> list[list[int]]:
        traces = {c.index: harness_trace(self.sandbox, c.design, self.top, self._reference_ports(candidates),
                                         vectors=self.config.harness_vectors, seed=self.config.seed + 1,
                                         limits=self.limits) if c.design else None for c in candidates}
        clusters = cluster_by_traces(traces)
        self.transcript.write(candidate=None, round=None, kind="cluster", clusters=clusters,
                              traced=sorted(i for i, t in traces.items() if t is not None))
        return clusters

    def _reference_ports(self, candidates: list[Candidate]):
        """Ports of the first compiled candidate: every candidate is driven through the same interface."""
        for c in candidates:
            if c.design and c.last and c.last.compiled:
                ports = design_ports(c.design, self.top)
                if ports:
                    return ports
        return next((p for c in candidates if c.design for p in [design_ports(c.design, self.top)] if p), None)


def _port_lines(design: str, top: str) -> list[str]:
    return [f"  {p.direction} {f'[{p.width - 1}:0] ' if p.width > 1 else ''}{p.name}"
            for p in design_ports(design, top) or []]


def run_agent(spec: str, model: ModelBackend, config: AgentConfig, out_dir: Path, *, testbench: str | None = None,
              cocotb: tuple[str, str] | None = None, sandbox: Sandbox | None = None) -> AgentResult:
    """Run the loop once (see the module docstring for the order of model calls). ``testbench``: a given
    Verilog testbench; ``cocotb``: a given cocotb test as (module name, Python source)."""
    return Agent(spec, model, config, out_dir, testbench=testbench, cocotb=cocotb, sandbox=sandbox).run()


__all__ = ["Agent", "AgentConfig", "AgentResult", "RoundRecord", "TestSource", "guess_top", "guess_top_from_testbench", "run_agent"]
