"""The screen every reward applies before giving credit: the judge's checks plus "RTL does not print".

    screen = Screen(judge)                                  # one per reward process; thread-safe
    found = screen.many([(code, "TopModule"), ...])         # ScreenResult per design, identical ones once
    found[0].ok, found[0].category, found[0].reason, found[0].text   # text: as the simulator reads it

Two rules, in order:

1. The judge's own screen (``Judge.screen``): size cap, `` `include `` refused, the simulator's
   preprocessor in the sandbox, then the static check of the preprocessed text (no ``$finish``/``$stop``,
   no instance of a module the design does not define such as ``RefModule``, no reach into the bench).
2. ``sim_only_tasks``: no simulation output in the design (``$display``, ``$write``, ``$strobe``,
   ``$monitor``, ``$error``, ...), searched in the preprocessed text with comments and strings blanked,
   so a macro cannot hide one. The judge itself allows prints (its verdict reads only the bench's tagged
   output, so a print cannot forge a pass), but a reward that scores text alone (format, lint,
   equivalence) cannot tell a forging design from an honest one any other way: a design that prints is
   trying to talk to the harness, and synthesisable RTL has nothing to say. That design earns the
   failure value everywhere, so the policy learns that printing costs instead of being harmless.

Every pattern here is linear (possessive quantifiers, ``blank_comments_and_strings``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from rtlgen.config import help_
from rtlgen.errors import InputError
from rtlgen.llm.extract import blank_comments_and_strings
from rtlgen.sim.judge import Judge, JudgeConfig, JudgeLimits, JudgeVerdict, Trust

_SIM_ONLY = re.compile(r"\$(?:display|write|strobe|monitor|fdisplay|fwrite|error|warning|info|fatal|finish|stop)"
                       r"[a-z]*+\b")
_MACRO_USE = re.compile(r"`[ \t]*+([A-Za-z_][A-Za-z0-9_]*+)")
_PLAIN_DIRECTIVES = frozenset({"timescale", "default_nettype"})


class ScreenCategory(enum.StrEnum):
    OK = "ok"
    PRINTS = "prints"  # simulation output or control in the design (see the module docstring)


@dataclass(frozen=True)
class ScreenResult:
    ok: bool
    category: str  # ScreenCategory value, or the judge's FailureCategory value when the judge refused it
    reason: str
    text: str = ""  # the design as the simulator reads it (preprocessed), when it passed the judge's screen


def sim_only_tasks(text: str) -> list[str]:
    """Simulation-only system tasks in ``text`` (comments and strings ignored), in order, distinct."""
    found = _SIM_ONLY.findall(blank_comments_and_strings(text))
    return list(dict.fromkeys(found))


def uses_macros(text: str) -> bool:
    """True when ``text`` has a directive other than `` `timescale``/`` `default_nettype`` (so the text as
    written may not be the text compiled)."""
    return any(m.group(1) not in _PLAIN_DIRECTIVES for m in _MACRO_USE.finditer(blank_comments_and_strings(text)))


def printing(text: str) -> ScreenResult | None:
    """The PRINTS failure for ``text``, or None when it has no simulation-only task."""
    tasks = sim_only_tasks(text)
    if not tasks:
        return None
    return ScreenResult(False, ScreenCategory.PRINTS.value,
                        f"the design uses simulation-only system tasks ({', '.join(tasks[:4])}): not RTL")


@dataclass(frozen=True)
class JudgeSettings:
    """How a reward's judge runs; shared by every reward config."""

    timeout_s: float = field(default=30.0, metadata=help_("wall clock of each simulation, seconds"))
    workers: int | None = field(default=None, metadata=help_("concurrent jobs; null: all cores"))
    cache_dir: str | None = field(default=None, metadata=help_("sandbox result cache; null: none"))
    unsafe: bool = field(default=False, metadata=help_("run tools without bubblewrap (trusted code only)"))
    trust: Trust = field(default=Trust.STRICT, metadata=help_(
        "strict: only the bench's tagged verdict counts; naive is forgeable, never for training"))

    def __post_init__(self) -> None:
        if isinstance(self.timeout_s, bool) or not isinstance(self.timeout_s, (int, float)) \
                or not 0 < self.timeout_s <= 86_400:
            raise InputError(f"timeout_s must be a number of seconds in (0, 86400], not {self.timeout_s!r}")
        if self.workers is not None and (isinstance(self.workers, bool) or not isinstance(self.workers, int)
                                         or not 1 <= self.workers <= 1024):
            raise InputError(f"workers must be a whole number from 1 to 1024 (or null: all cores), not {self.workers!r}")
        if not isinstance(self.trust, Trust):  # a plain string from Python callers
            if self.trust not in [t.value for t in Trust]:
                raise InputError(f"trust must be one of {', '.join(t.value for t in Trust)}, not {self.trust!r}")
            object.__setattr__(self, "trust", Trust(self.trust))


def build_judge(settings: JudgeSettings) -> Judge:
    """The judge of a reward process (``SandboxUnavailableError`` when bubblewrap is missing)."""
    from rtlgen.sandbox import default_sandbox

    config = JudgeConfig(trust=settings.trust, workers=settings.workers,
                         limits=JudgeLimits(run_wall_s=settings.timeout_s))
    return Judge(config, sandbox=default_sandbox(settings.cache_dir, unsafe=settings.unsafe))


class Screen:
    """Both rules over a batch, each distinct (design, top) screened once per call."""

    def __init__(self, judge: Judge, workers: int = 4) -> None:
        self.judge = judge
        self.workers = workers  # concurrent judge screens (each one sandbox start and one bounded parse)

    def one(self, design: str, top: str) -> ScreenResult:
        found = self.judge.screen(design, top)
        if isinstance(found, JudgeVerdict):
            return ScreenResult(False, found.category.value, found.reason)
        return printing(found) or ScreenResult(True, ScreenCategory.OK.value, "", found)

    def many(self, items: Sequence[tuple[str, str]]) -> list[ScreenResult]:
        distinct = list(dict.fromkeys(items))
        if not distinct:
            return []
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(distinct)))) as pool:
            done = dict(zip(distinct, pool.map(lambda it: self.one(*it), distinct), strict=True))
        return [done[item] for item in items]


__all__ = ["JudgeSettings", "Screen", "build_judge", "ScreenCategory", "ScreenResult", "printing", "sim_only_tasks", "uses_macros"]
