"""Lint reward (RLSQM-style static quality): Verilator ``--lint-only -Wall`` and slang warnings, weighted.

    reward = LintReward(LintConfig(max_penalty=4.0))
    reward(prompts, completions, top=["TopModule", ...])   # -> [1.0 clean ... 0.0 error/forging]

Each completion's module (``rtlgen.rewards.completions``) is screened first (``rtlgen.rewards.screen``:
a forging design earns ``failure_value``), stripped of comments (so ``// verilator lint_off`` cannot
switch a warning off; `` `verilator_config `` and other directives are already refused by the judge's
screen), then linted by Verilator in the sandbox (all rows as one ``Sandbox.run_many`` batch) and
parsed by slang in a bounded worker (``rtlgen.sim.slang``). An error from either tool gives
``failure_value``. Otherwise each warning costs the weight of its severity (``Severity`` per Verilator
code below; every slang warning costs ``slang_weight``) and the reward is
``1 - min(penalty, max_penalty) / max_penalty``: 1 for a clean design, 0 at ``max_penalty`` or more.
Only lines Verilator starts with ``%Warning-CODE:``/``%Error`` at column 0 are read; the design's own
text appears in its output only indented, as context.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rtlgen.config import help_
from rtlgen.rewards.base import Reward, RowResult, config_of
from rtlgen.rewards.completions import completion_code
from rtlgen.rewards.screen import JudgeSettings, Screen, build_judge, printing
from rtlgen.sandbox import JobResult, KilledBy, Limits, Sandbox, default_sandbox
from rtlgen.sim.judge import Judge
from rtlgen.sim.judge.lexing import skip_string

_VERILATOR_LINE = re.compile(r"^%(Warning-([A-Z0-9_]++)|Error)\b", re.M)
_COMMENT_OR_STRING = re.compile(r'//|/\*|"')


class Severity(enum.StrEnum):
    SEVERE = "severe"  # usually a functional bug: latches, multiple drivers, width loss, blocking in flops
    WARNING = "warning"
    STYLE = "style"  # naming, unused signals, empty pins


SEVERE_CODES = frozenset("""LATCH MULTIDRIVEN COMBDLY BLKSEQ BLKANDNBLK WIDTH WIDTHTRUNC WIDTHEXPAND WIDTHCONCAT
CASEINCOMPLETE CASEOVERLAP IMPLICIT UNDRIVEN UNOPTFLAT ALWCOMBORDER SELRANGE CMPCONST INFINITELOOP INITIALDLY
PINMISSING SYNCASYNCNET MULTITOP""".split())
STYLE_CODES = frozenset("""DECLFILENAME UNUSED UNUSEDSIGNAL UNUSEDPARAM UNUSEDGENVAR PINCONNECTEMPTY VARHIDDEN
GENUNNAMED EOFNEWLINE SYMRSVDWORD PROCASSINIT""".split())


def severity(code: str) -> Severity:
    return Severity.SEVERE if code in SEVERE_CODES else Severity.STYLE if code in STYLE_CODES else Severity.WARNING


class LintCategory(enum.StrEnum):
    CLEAN = "clean"
    WARNINGS = "warnings"
    ERROR = "error"  # Verilator or slang reports an error: the design does not even elaborate
    NO_CODE = "no_code"
    TOOL = "tool"  # the lint job was stopped or could not start: not scored


@dataclass(frozen=True)
class LintConfig:
    top_column: str | None = field(default="top", metadata=help_("column naming the module; null: use top"))
    top: str = field(default="TopModule", metadata=help_("module name when the row does not name one"))
    severe_weight: float = field(default=1.0, metadata=help_("penalty of a severe Verilator warning (LATCH, ...)"))
    warning_weight: float = field(default=0.5, metadata=help_("penalty of another Verilator warning"))
    style_weight: float = field(default=0.1, metadata=help_("penalty of a style warning (UNUSED, ...)"))
    slang_weight: float = field(default=0.5, metadata=help_("penalty of a slang warning"))
    max_penalty: float = field(default=4.0, metadata=help_("penalty at which the reward reaches 0"))
    failure_value: float = field(default=0.0, metadata=help_("no code, errors, forging designs"))
    screen: bool = field(default=True, metadata=help_("judge's screen and no-prints rule first"))
    timeout_s: float = field(default=60.0, metadata=help_("wall clock of one Verilator lint"))
    judge: JudgeSettings = field(default_factory=JudgeSettings, metadata=help_("sandbox settings"))


def strip_comments(text: str) -> str:
    """``text`` with each comment replaced by its newlines (strings kept), in one linear pass."""
    out: list[str] = []
    pos = copied = 0
    while (m := _COMMENT_OR_STRING.search(text, pos)) is not None:
        start = m.start()
        if m.group() == '"':
            pos = skip_string(text, start)
            continue
        if m.group() == "//":
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
        else:
            end = text.find("*/", start + 2)
            end = len(text) if end < 0 else end + 2
        out += (text[copied:start], " " + "\n" * text.count("\n", start, end))
        copied = pos = end
    out.append(text[copied:])
    return "".join(out)


def verilator_findings(output: str) -> tuple[list[str], int]:
    """(warning codes in order, number of errors) from Verilator's output (column-0 lines only)."""
    codes, errors = [], 0
    for m in _VERILATOR_LINE.finditer(output):
        if m.group(2):
            codes.append(m.group(2))
        elif not output.startswith("%Error: Exiting due to", m.start()):
            errors += 1
    return codes, errors


class LintReward(Reward):
    """Picklable TRL reward; judge and sandbox are created lazily in each process."""

    __name__ = "lint"

    def __init__(self, config: LintConfig | Mapping[str, Any] | None = None, **options: Any) -> None:
        super().__init__()
        self.config = config_of(LintConfig, config, options)
        self.unsafe = self.config.judge.unsafe
        self._judge: Judge | None = None
        self._box: Sandbox | None = None

    def _transient(self) -> tuple[str, ...]:
        return ("_judge", "_box")

    def tools(self) -> tuple[str, ...]:
        return ("verilator", "iverilog") if self.config.screen else ("verilator",)

    def _sandbox(self) -> Sandbox:
        if self._box is None:
            self._box = default_sandbox(self.config.judge.cache_dir, unsafe=self.unsafe)
        return self._box

    def penalty(self, codes: Sequence[str], slang_warnings: int) -> float:
        cfg = self.config
        weight = {Severity.SEVERE: cfg.severe_weight, Severity.WARNING: cfg.warning_weight,
                  Severity.STYLE: cfg.style_weight}
        return sum(weight[severity(c)] for c in codes) + cfg.slang_weight * slang_warnings

    def value(self, codes: Sequence[str], slang_warnings: int) -> float:
        cap = max(self.config.max_penalty, 1e-9)
        return 1.0 - min(self.penalty(codes, slang_warnings), cap) / cap

    def score_rows(self, completions: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        cfg, fail = self.config, self.config.failure_value
        results: list[RowResult | None] = [None] * len(completions)
        todo: list[tuple[int, str, str]] = []
        for i, (completion, row) in enumerate(zip(completions, rows, strict=True)):
            top = row.get(cfg.top_column) if cfg.top_column else None
            top = top if isinstance(top, str) and top else cfg.top
            extraction = completion_code(completion, top)
            if extraction.empty or extraction.truncated:
                results[i] = RowResult(fail, LintCategory.NO_CODE.value, "no complete module")
            elif (found := printing(extraction.code)) is not None:
                results[i] = RowResult(fail, found.category, found.reason)
            else:
                todo.append((i, extraction.code, top))
        if cfg.screen and todo:
            if self._judge is None:
                self._judge = build_judge(cfg.judge)
            screened = Screen(self._judge).many([(code, top) for _, code, top in todo])
            for (i, _, _), found in zip(todo, screened, strict=True):
                if not found.ok:
                    results[i] = RowResult(fail, found.category, found.reason)
            todo = [t for t, found in zip(todo, screened, strict=True) if found.ok]
        for (i, code, _top), res in zip(todo, self._lint([(strip_comments(c), t) for _, c, t in todo]), strict=True):
            results[i] = self._row(res, code)
        return results  # type: ignore[return-value]

    def _lint(self, items: list[tuple[str, str]]) -> list[JobResult]:
        from rtlgen.sim.verilator import lint_job

        limits = Limits(wall_s=self.config.timeout_s, cpu_s=self.config.timeout_s * 2, memory_mb=2048)
        jobs = [lint_job({f"{top}.sv": code}, top=top, limits=limits) for code, top in items]
        return self._sandbox().run_many(jobs) if jobs else []

    def _row(self, res: JobResult, code: str) -> RowResult:
        from rtlgen.sim import slang

        if res.killed_by is not KilledBy.NONE or not res.steps or res.steps[0].exit_code is None:
            why = res.killed_by.value if res.killed_by is not KilledBy.NONE else "could not start"
            return RowResult(None, LintCategory.TOOL.value, f"verilator lint {why}")
        codes, errors = verilator_findings(res.steps[0].stdout + res.steps[0].stderr)
        diags = slang.parse_diagnostics(code)
        aborted = [d for d in diags if d.code == "ParseAborted"]
        if aborted:  # slang's bounded worker gave up (load, or a bomb the screen did not see): not the design's score
            return RowResult(None, LintCategory.TOOL.value, aborted[0].message[:200])
        slang_errors = [d for d in diags if d.severity in ("error", "fatal")]
        if errors or slang_errors:
            what = f"{errors} Verilator error(s)" if errors else f"slang: {slang_errors[0].message[:160]}"
            return RowResult(self.config.failure_value, LintCategory.ERROR.value, what)
        warnings = sum(d.severity == "warning" for d in diags)
        if not codes and not warnings:
            return RowResult(1.0, LintCategory.CLEAN.value, "")
        listed = ", ".join(dict.fromkeys(codes)) or "none"
        return RowResult(self.value(codes, warnings), LintCategory.WARNINGS.value,
                         f"Verilator: {len(codes)} ({listed}); slang: {warnings}")


__all__ = ["LintCategory", "LintConfig", "LintReward", "Severity", "severity", "strip_comments",
           "verilator_findings"]
