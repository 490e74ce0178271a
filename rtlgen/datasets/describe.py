"""Descriptions at several grains (MG-Verilog), written by a teacher model; and the teacher plumbing
that the augmentation stage shares.

    stages:
      - describe: {teacher: "openai:gpt-4o", levels: [summary, detailed, blocks]}

For each sample the teacher writes, per level, one answer from the prompts of the versioned prompt file
(``prompts/teacher_v1.yaml``); the text lands in ``Sample.descriptions[level]`` and the sample's meta
records ``teacher`` (the model spec) and ``prompt_version``. A teacher that raises, answers in the
wrong shape or does not answer within ``timeout_s`` drops the samples of that call with a reason; an
answer that is no description (empty, a code dump, not prose) drops its sample. Nothing the teacher
does crashes the build. A timed-out call cannot be killed (it is a thread): its answers are ignored.
"""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from rtlgen.config import help_, safe_yaml
from rtlgen.datasets.sample import DescriptionLevel, Dropped, Sample
from rtlgen.datasets.stage import Stage, StageContext
from rtlgen.errors import InputError
from rtlgen.llm.base import ChatMessage, ModelBackend, Prompt, SamplingParams

PROMPTS_FILE = Path(__file__).parent / "prompts" / "teacher_v1.yaml"
_FIELD = re.compile(r"\{(\w+)\}")


class DropReason(enum.StrEnum):
    """Why a teacher stage dropped a sample (the keys counted in the build report)."""

    TEACHER_TIMEOUT = "teacher_timeout"
    TEACHER_ERROR = "teacher_error"  # the backend raised or answered in the wrong shape
    TEACHER_GARBAGE = "teacher_garbage"  # an answer that is not what was asked
    TOO_LONG = "too_long_for_teacher"
    NO_DESCRIPTION = "no_description"
    NO_PORTS = "no_ports"  # the reference's ports could not be read: no bench can be built
    BENCH_UNUSABLE = "bench_unusable"  # the original does not pass its own differential bench
    COPY = "rewrite_is_copy"  # the rewrite is the original, comments and spacing aside
    REJECTED_DIFFTB = "rejected_difftb"
    REJECTED_FORMAL = "rejected_formal"
    UNPROVED = "unproved"  # passed the bench, formal proof required but not reached


@dataclass(frozen=True)
class TeacherPrompts:
    """One versioned prompt file."""

    version: str
    system: str
    describe: Mapping[str, str]  # DescriptionLevel value -> template
    rewrite: str

    def messages(self, template: str, **fields: str) -> Prompt:
        """System and user message, ``{name}`` fields filled in one pass (values are never re-read)."""
        user = _FIELD.sub(lambda m: fields.get(m.group(1), m.group(0)), template)
        return [ChatMessage("system", self.system), ChatMessage("user", user)]


@lru_cache(maxsize=8)
def load_prompts(path: str = "") -> TeacherPrompts:
    """The prompt file at ``path`` ("" = the bundled ``teacher_v1.yaml``)."""
    p = Path(path) if path else PROMPTS_FILE
    try:
        data = safe_yaml(p.read_text(encoding="utf-8"), f"teacher prompt file {p}")
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"teacher prompt file {p} cannot be read: {exc}") from None
    try:
        describe = {DescriptionLevel(k).value: str(v) for k, v in dict(data["describe"]).items()}
        return TeacherPrompts(str(data["version"]), str(data["system"]), describe, str(data["rewrite"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"teacher prompt file {p} needs version, system, describe (per level) and rewrite: "
                         f"{exc}") from None


@dataclass(frozen=True)
class TeacherReply:
    """``answers[i][j]``: completion j of prompt i; or a failure with its reason."""

    answers: list[list[str]] | None
    failure: DropReason | None = None
    detail: str = ""


def ask_teacher(teacher: ModelBackend, prompts: Sequence[Prompt], params: SamplingParams,
                timeout_s: float) -> TeacherReply:
    """One ``generate`` call bounded by ``timeout_s``; an exception or a malformed answer is a failure."""
    box: dict = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["out"] = teacher.generate(list(prompts), params)
        except BaseException as exc:  # noqa: BLE001 - a teacher's bug is a drop, never a crash of the build
            box["exc"] = exc
        finally:
            done.set()

    threading.Thread(target=work, daemon=True, name="rtlgen-teacher").start()
    if not done.wait(timeout_s):
        return TeacherReply(None, DropReason.TEACHER_TIMEOUT, f"no answer within {timeout_s:g} s")
    if "exc" in box:
        exc = box["exc"]
        return TeacherReply(None, DropReason.TEACHER_ERROR, f"{type(exc).__name__}: {str(exc)[:200]}")
    out = box.get("out")
    if not isinstance(out, list) or len(out) != len(prompts) or not all(
            isinstance(row, list) and len(row) == params.n and all(isinstance(a, str) for a in row) for row in out):
        return TeacherReply(None, DropReason.TEACHER_ERROR, "the teacher answered in the wrong shape")
    return TeacherReply(out)


def shared_teacher(ctx: StageContext, spec: str) -> ModelBackend:
    """The build's teacher for ``spec``: loaded once and shared by every stage that names the same spec."""
    key = f"teacher:{spec}"
    if key not in ctx.extras:
        from rtlgen.llm.registry import load_model

        ctx.extras[key] = load_model(spec)
    return ctx.extras[key]


def check_teacher_spec(spec: str) -> None:
    """A one-line InputError for a missing or bad teacher spec, before any work."""
    if not spec:
        raise InputError("teacher must be a model spec, e.g. 'scripted:answers.yaml' or 'openai:MODEL'")
    from rtlgen.llm.registry import check_model

    check_model(spec)


def description_problem(text: str, min_chars: int, max_chars: int) -> str | None:
    """Why ``text`` is no description (None: it looks like one)."""
    t = text.strip()
    if len(t) < min_chars:
        return f"the answer is {'empty' if not t else 'too short'} ({len(t)} characters)"
    if len(t) > max_chars:
        return f"the answer is {len(t)} characters, over {max_chars}"
    if re.search(r"\bendmodule\b", t):
        return "the answer quotes code instead of describing it"
    if sum(c.isalpha() for c in t) < 0.5 * len(t):
        return "the answer is mostly not prose"
    if len(set(t.lower().split())) < 4:
        return "the answer is too repetitive to describe anything"
    return None


@dataclass(frozen=True)
class DescribeOptions:
    teacher: str = field(default="", metadata=help_("model spec of the teacher, e.g. scripted:answers.yaml"))
    levels: tuple[DescriptionLevel, ...] = field(
        default=(DescriptionLevel.SUMMARY, DescriptionLevel.DETAILED, DescriptionLevel.BLOCKS),
        metadata=help_("description grains to write"))
    prompts: str = field(default="", metadata=help_("prompt file; empty: the bundled teacher_v1.yaml"))
    max_new_tokens: int = field(default=1024, metadata=help_("token budget of one description"))
    temperature: float = field(default=0.0, metadata=help_("0: greedy, reproducible descriptions"))
    timeout_s: float = field(default=600.0, metadata=help_("a teacher call (one batch) past this drops its samples"))
    min_chars: int = field(default=40, metadata=help_("a shorter answer is garbage"))
    max_chars: int = field(default=12000, metadata=help_("a longer answer is garbage (a runaway generation)"))
    max_code_chars: int = field(default=40000, metadata=help_("longer modules are not sent to the teacher"))

    def __post_init__(self) -> None:
        if not self.levels:
            raise InputError("levels must name at least one of summary, detailed, blocks")
        if self.timeout_s <= 0:
            raise InputError(f"timeout_s must be a positive number, not {self.timeout_s!r}")
        if not 0 < self.min_chars < self.max_chars:
            raise InputError(f"need 0 < min_chars < max_chars, not {self.min_chars!r} and {self.max_chars!r}")


class Describe(Stage):
    """Writes ``Sample.descriptions`` at each configured level."""

    name = "describe"
    Options = DescribeOptions
    batch_size = 16

    def __init__(self, options: DescribeOptions, ctx: StageContext) -> None:
        super().__init__(options, ctx)
        check_teacher_spec(options.teacher)
        self.prompts = load_prompts(options.prompts)

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        opts = self.options
        out: list[Sample | Dropped] = []
        todo = []
        for s in batch:
            if len(s.code) > opts.max_code_chars:
                out.append(Dropped(s.id, self.name, DropReason.TOO_LONG.value, f"{len(s.code)} characters of code"))
            else:
                todo.append(s)
        if not todo:
            return out
        levels = [DescriptionLevel(lv).value for lv in opts.levels]
        prompts = [self.prompts.messages(self.prompts.describe[lv], top=s.top or "(unnamed)", code=s.code)
                   for s in todo for lv in levels]
        params = SamplingParams(temperature=opts.temperature, max_new_tokens=opts.max_new_tokens, n=1)
        reply = ask_teacher(shared_teacher(self.ctx, opts.teacher), prompts, params, opts.timeout_s)
        if reply.answers is None:
            return out + [Dropped(s.id, self.name, reply.failure.value, reply.detail) for s in todo]
        for i, s in enumerate(todo):
            texts = {lv: reply.answers[i * len(levels) + k][0].strip() for k, lv in enumerate(levels)}
            bad = next(((lv, p) for lv, t in texts.items()
                        if (p := description_problem(t, opts.min_chars, opts.max_chars))), None)
            if bad:
                out.append(Dropped(s.id, self.name, DropReason.TEACHER_GARBAGE.value, f"{bad[0]}: {bad[1]}"))
                continue
            out.append(s.evolve(self.name, descriptions={**s.descriptions, **texts},
                                meta={**s.meta, "teacher": opts.teacher, "prompt_version": self.prompts.version,
                                      self.name: {"teacher": opts.teacher,
                                                  "prompt_version": self.prompts.version}}))
        return out
