"""A backend that returns canned answers in order: for tests and for dry runs of the agent without a model.

Spec ``scripted:FILE.yaml`` (or ``.json``). The file is either a list of strings or a mapping::

    responses: ["```verilog\\nmodule top(...); ... endmodule\\n```", "..."]
    when_exhausted: repeat_last   # or: cycle, empty, error

Each completion (prompt by prompt, then ``n`` per prompt) takes the next answer. Every prompt received is
kept in ``calls`` so a test can check what the model was shown.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from pathlib import Path

import yaml

from rtlgen.config import safe_yaml
from rtlgen.errors import InputError
from rtlgen.inputs import TEXT_MAX, read_input_text
from rtlgen.llm.base import ModelBackend, Prompt, SamplingParams
from rtlgen.llm.spec import ModelSpec


class WhenExhausted(enum.StrEnum):
    REPEAT_LAST = "repeat_last"  # keep answering with the last response
    CYCLE = "cycle"  # start over from the first
    EMPTY = "empty"  # answer ""
    ERROR = "error"  # raise InputError: the script was too short for the run


class ScriptedBackend(ModelBackend):
    """Answers from a fixed list; ``calls`` records ``(prompt, params)`` for each prompt received."""

    OPTIONS = {"when_exhausted": "repeat_last | cycle | empty | error (overrides the file)"}

    def __init__(self, responses: Sequence[str], when_exhausted: WhenExhausted = WhenExhausted.REPEAT_LAST) -> None:
        if not all(isinstance(r, str) for r in responses):
            raise InputError("scripted responses must all be strings")
        self.responses = list(responses)
        self.when_exhausted = WhenExhausted(when_exhausted)
        self.calls: list[tuple[Prompt, SamplingParams]] = []
        self._next = 0

    @classmethod
    def check_spec(cls, spec: ModelSpec) -> None:
        """Read and check the script now, so a run fails on it before doing any work."""
        cls.from_spec(spec)

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> ScriptedBackend:
        spec.check_options(cls.OPTIONS)
        responses, mode = load_script(Path(spec.target))
        try:
            mode = WhenExhausted(spec.option("when_exhausted", mode))
        except ValueError as exc:
            raise InputError(f"model spec {spec.raw!r}: when_exhausted must be one of "
                             f"{', '.join(m.value for m in WhenExhausted)}") from exc
        return cls(responses, mode)

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[str]]:
        out = []
        for prompt in prompts:
            self.calls.append((list(prompt), params))
            out.append([self._take() for _ in range(params.n)])
        return out

    def _take(self) -> str:
        i = self._next
        self._next += 1
        if i < len(self.responses):
            return self.responses[i]
        if not self.responses or self.when_exhausted is WhenExhausted.EMPTY:
            return ""
        if self.when_exhausted is WhenExhausted.CYCLE:
            return self.responses[i % len(self.responses)]
        if self.when_exhausted is WhenExhausted.ERROR:
            raise InputError(f"scripted model ran out of responses after {len(self.responses)}")
        return self.responses[-1]


def load_script(path: Path) -> tuple[list[str], str]:
    """(responses, when_exhausted) from a YAML or JSON script file; any problem is one InputError naming it."""
    if not path.exists() and not path.is_symlink():
        raise InputError(f"scripted model file {path} not found; write a YAML list of responses there")
    text = read_input_text(path, "scripted model file", TEXT_MAX)
    kind = "JSON" if path.suffix == ".json" else "YAML"
    try:
        data = json.loads(text) if kind == "JSON" else safe_yaml(text, f"scripted model file {path}")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise InputError(f"scripted model file {path} is not valid YAML{where}: {exc.problem or exc}") from None
    except (ValueError, RecursionError, yaml.YAMLError) as exc:
        raise InputError(f"scripted model file {path} is not valid {kind}: {exc}") from None
    if isinstance(data, list):
        data = {"responses": data}
    if not isinstance(data, dict) or not isinstance(data.get("responses"), list):
        raise InputError(f"scripted model file {path} must be a list of strings or a mapping with 'responses'")
    if not data["responses"]:
        raise InputError(f"scripted model file {path} has no responses; list at least one")
    unknown = set(data) - {"responses", "when_exhausted"}
    if unknown:
        raise InputError(f"scripted model file {path}: unknown keys {sorted(map(str, unknown))}; "
                         "allowed: responses, when_exhausted")
    for i, r in enumerate(data["responses"]):
        if not isinstance(r, str | int | float) or isinstance(r, bool):
            kind = {"dict": "mapping", "NoneType": "empty item"}.get(type(r).__name__, type(r).__name__)
            raise InputError(f"scripted model file {path}: response {i} is a {kind}, not a string; quote it")
    return [str(r) for r in data["responses"]], str(data.get("when_exhausted", WhenExhausted.REPEAT_LAST.value))
