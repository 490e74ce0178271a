"""Data the evaluation passes around: problems, modes, per-sample verdicts and results.

Failure categories are strings: the upstream VerilogEval letters and rtlgen's own
(``rtlgen.sim.classify.FailureCategory`` values), plus the evaluation-only ones in ``EvalCategory``.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field


class Mode(enum.StrEnum):
    OFFICIAL = "official"  # bug-compatible with upstream: numbers compare with papers
    STRICT = "strict"  # the code under test is hostile: nonce-tagged verdicts, static checks of the DUT


class EvalCategory(enum.StrEnum):
    """Categories only the evaluation assigns; all others are ``rtlgen.sim.classify.FailureCategory`` values
    (the judge's, shared with rewards and the agent)."""

    MISSING = "missing"  # no completion was given for this problem


@dataclass(frozen=True)
class Problem:
    """One benchmark problem, as the task family loaded it."""

    task_id: str  # e.g. "Prob001_zero" (v2) or "gatesv" (v1)
    prompt: str  # the upstream prompt text (v2 _prompt.txt, v1 "prompt" = module header)
    ref: str  # reference solution source (its module is RefModule in v2; v1: the canonical body)
    test: str  # testbench source (module tb)
    ifc: str = ""  # v2 code-complete module header (_ifc.txt); v1: the header in "prompt"
    description: str = ""  # v1 natural-language description
    known_broken: bool = False  # the reference itself fails on this iverilog (see the data README)
    top: str = ""  # the module the sample must define, when it differs per problem (RTLLM); "" = the task's
    tb_top: str = ""  # the testbench's top module, when it differs per problem; "" = the task's
    group: str = ""  # the benchmark's class of the problem (RTLLM: Arithmetic, Control, Memory, Miscellaneous)
    data_files: tuple[tuple[str, str], ...] = ()  # (name, text) files the testbench reads at run time


@dataclass(frozen=True)
class Verdict:
    """How one simulated sample was judged."""

    passed: bool
    category: str  # EvalCategory / FailureCategory value; "pass" when passed
    mismatches: int | None = None  # from the (trusted, in strict mode) verdict line
    samples: int | None = None
    detail: str = ""  # one line for people: the rule that decided


@dataclass(frozen=True)
class SampleResult:
    """One line of results.jsonl."""

    task_id: str
    sample: int  # index of the completion for this problem, 0-based
    extraction: str  # "golden", "upstream", "robust" or "given"
    mode: str
    passed: bool
    category: str
    code_sha: str  # sha256 of the code simulated: a resumed run re-runs a sample whose code changed
    mismatches: int | None = None
    samples: int | None = None
    detail: str = ""
    wall_s: float = 0.0
    cpu_s: float = 0.0
    cached: bool = False
    log_tail: str = ""
    merged: bool = False  # judged as the same program as another sample (comments and whitespace aside)

    def key(self) -> tuple[str, int, str]:
        return (self.task_id, self.sample, self.extraction)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> SampleResult:
        """A results.jsonl row; ``ValueError`` naming the field when one is missing or of the wrong type."""
        values = {k: v for k, v in data.items() if k in _RESULT_TYPES}
        for name, types in _RESULT_TYPES.items():
            if name not in values:
                if name in _RESULT_REQUIRED:
                    raise ValueError(f"the result has no {name!r}")
                continue
            value = values[name]
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                raise ValueError(f"{name!r} is {str(value)[:40]!r}, not {' or '.join(t.__name__ for t in types)}")
        return cls(**values)


_RESULT_REQUIRED = ("task_id", "sample", "extraction", "mode", "passed", "category", "code_sha")
_RESULT_TYPES: dict[str, tuple[type, ...]] = {
    "task_id": (str,), "sample": (int,), "extraction": (str,), "mode": (str,), "passed": (bool,), "category": (str,),
    "code_sha": (str,), "mismatches": (int, type(None)), "samples": (int, type(None)), "detail": (str,),
    "wall_s": (int, float), "cpu_s": (int, float), "cached": (bool,), "log_tail": (str,), "merged": (bool,)}


@dataclass(frozen=True)
class Sample:
    """A piece of code to judge: which problem, which completion, how it was extracted."""

    task_id: str
    index: int
    extraction: str
    code: str
    truncated: bool = False
    empty: bool = False
    extra: dict = field(default_factory=dict, compare=False)
