"""Format reward: one module, named as the row requires, optionally inside ``<think>``/``<answer>`` tags.

    reward = FormatReward(FormatConfig(tags=TagMode.REQUIRED))
    reward(prompts, completions, top=["TopModule", ...])   # -> [1.0 | 0.0, ...]

Rules, each a category when it fails:

- ``tags`` (``TagMode``): ``none`` ignores tags; ``optional`` accepts plain text, but tags that are
  there must be well formed (each at most once, opened before closed, ``<think>`` before
  ``<answer>``, nothing after ``</answer>``); ``required`` also wants both blocks. The code is read from
  the answer block when there is one, else after ``</think>``, else the whole text.
- ``no_code``/``truncated``: the Verilog found by the shared extraction
  (``rtlgen.rewards.completions``: linear, capped at ``MAX_RESPONSE_CHARS``).
- ``module_count``: exactly one module; ``wrong_top``: named as the ``top`` column says (or ``top``).
- with ``screen`` (the default), the judge's screen and the no-prints rule (``rtlgen.rewards.screen``):
  a forging design (early ``$finish``, a ``RefModule`` instance, printed verdicts) is no answer at all.

Tags are found with ``str.find``/``str.count`` (linear); no regex runs on the completion here.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rtlgen.config import help_
from rtlgen.llm.extract import MAX_RESPONSE_CHARS, extract_robust, split_modules
from rtlgen.rewards.base import Reward, RowResult, config_of
from rtlgen.rewards.completions import completion_text
from rtlgen.rewards.screen import JudgeSettings, Screen, build_judge
from rtlgen.sim.judge import Judge


class TagMode(enum.StrEnum):
    NONE = "none"  # tags are ignored (they are prose to the extraction)
    OPTIONAL = "optional"  # plain text is fine; tags that are present must be well formed
    REQUIRED = "required"  # <think>...</think> then <answer>...</answer>


class FormatCategory(enum.StrEnum):
    OK = "ok"
    TAGS = "tags"
    NO_CODE = "no_code"
    TRUNCATED = "truncated"
    MODULE_COUNT = "module_count"
    WRONG_TOP = "wrong_top"


@dataclass(frozen=True)
class FormatConfig:
    tags: TagMode = field(default=TagMode.OPTIONAL, metadata=help_("none, optional or required think/answer tags"))
    think_tag: str = field(default="think", metadata=help_("name of the reasoning tag"))
    answer_tag: str = field(default="answer", metadata=help_("name of the answer tag"))
    top_column: str | None = field(default="top", metadata=help_("column naming the module; null: use top"))
    top: str = field(default="TopModule", metadata=help_("module name when the row does not name one"))
    ok_value: float = field(default=1.0, metadata=help_("reward for a well-formed answer"))
    failure_value: float = field(default=0.0, metadata=help_("reward for anything else"))
    screen: bool = field(default=True, metadata=help_(
        "also run the judge's screen and the no-prints rule, so a forging design earns failure_value"))
    judge: JudgeSettings = field(default_factory=JudgeSettings, metadata=help_("sandbox settings of the screen"))


def answer_region(text: str, mode: TagMode, think: str = "think", answer: str = "answer") -> tuple[str | None, str]:
    """(the text holding the code, "") or (None, why the tags are wrong)."""
    if mode is TagMode.NONE:
        return text, ""
    names = {"to": f"<{think}>", "tc": f"</{think}>", "ao": f"<{answer}>", "ac": f"</{answer}>"}
    counts = {k: text.count(tag) for k, tag in names.items()}
    if any(n > 1 for n in counts.values()):
        return None, "a tag appears more than once"
    pos = {k: text.find(tag) for k, tag in names.items()}
    has_think, has_answer = counts["to"] + counts["tc"], counts["ao"] + counts["ac"]
    if mode is TagMode.REQUIRED and (has_think < 2 or has_answer < 2):
        return None, f"want <{think}>...</{think}> then <{answer}>...</{answer}>"
    if has_think == 1 or has_answer == 1:
        return None, "a tag is opened without being closed, or closed without being opened"
    if has_think and (pos["to"] > pos["tc"] or text[:pos["to"]].strip()):
        return None, f"<{think}> must open the response and close before its end"
    if has_answer and pos["ao"] > pos["ac"]:
        return None, f"</{answer}> comes before <{answer}>"
    if has_think and has_answer and pos["tc"] > pos["ao"]:
        return None, f"the {answer} block must follow the {think} block"
    if has_answer:
        if text[pos["ac"] + len(names["ac"]):].strip():
            return None, f"text after </{answer}>"
        return text[pos["ao"] + len(names["ao"]):pos["ac"]], ""
    if has_think:
        return text[pos["tc"] + len(names["tc"]):], ""
    return text, ""


class FormatReward(Reward):
    """Picklable TRL reward; the screen's judge is created lazily in each process."""

    __name__ = "format"

    def __init__(self, config: FormatConfig | Mapping[str, Any] | None = None, **options: Any) -> None:
        super().__init__()
        self.config = config_of(FormatConfig, config, options)
        self.unsafe = self.config.judge.unsafe
        self._judge: Judge | None = None

    def _transient(self) -> tuple[str, ...]:
        return ("_judge",)

    def required_columns(self) -> tuple[str, ...]:
        return ()  # top_column is optional: without it the configured top is wanted

    def tools(self) -> tuple[str, ...]:
        return ("iverilog",) if self.config.screen else ()

    def judge(self) -> Judge:
        if self._judge is None:
            self._judge = build_judge(self.config.judge)
        return self._judge

    def check(self, completion: Any, top: str) -> tuple[RowResult, str]:
        """The row's result before the screen, and the code to screen ("" when it already failed)."""
        cfg, fail = self.config, self.config.failure_value
        text = completion_text(completion)
        if len(text) > MAX_RESPONSE_CHARS:
            return RowResult(fail, FormatCategory.TRUNCATED.value, f"over {MAX_RESPONSE_CHARS} characters"), ""
        region, why = answer_region(text, cfg.tags, cfg.think_tag, cfg.answer_tag)
        if region is None:
            return RowResult(fail, FormatCategory.TAGS.value, why), ""
        extraction = extract_robust(region, top=top)
        if extraction.empty:
            return RowResult(fail, FormatCategory.NO_CODE.value, "no Verilog module in the answer"), ""
        if extraction.truncated:
            return RowResult(fail, FormatCategory.TRUNCATED.value, "a module without endmodule"), ""
        names = [name for name, _ in split_modules(extraction.code)]
        if len(names) != 1:
            return RowResult(fail, FormatCategory.MODULE_COUNT.value,
                             f"{len(names)} modules ({', '.join(names[:5])}); want exactly one"), ""
        if names[0] != top:
            return RowResult(fail, FormatCategory.WRONG_TOP.value, f"module {names[0]!r}; want {top!r}"), ""
        return RowResult(cfg.ok_value, FormatCategory.OK.value, ""), extraction.code

    def score_rows(self, completions: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        cfg = self.config
        tops = [row.get(cfg.top_column) if cfg.top_column else None for row in rows]
        tops = [t if isinstance(t, str) and t else cfg.top for t in tops]
        checked = [self.check(c, t) for c, t in zip(completions, tops, strict=True)]
        results = [r for r, _ in checked]
        if not cfg.screen:
            return results
        todo = [i for i, (_, code) in enumerate(checked) if code]
        screened = Screen(self.judge()).many([(checked[i][1], tops[i]) for i in todo])
        for i, found in zip(todo, screened, strict=True):
            if not found.ok:
                results[i] = RowResult(cfg.failure_value, found.category, found.reason)
        return results


__all__ = ["FormatCategory", "FormatConfig", "FormatReward", "TagMode", "answer_region"]
