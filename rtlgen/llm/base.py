"""The one interface every model backend implements, and sampling settings as data.

A prompt is a list of chat messages; a backend returns ``n`` completions per prompt. Backends
that have no chat template render the messages themselves (see each backend).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system", "user" or "assistant"
    content: str


Prompt = list[ChatMessage]


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 0.0  # 0 means greedy decoding
    top_p: float = 1.0  # nucleus sampling mass; ignored when greedy
    max_new_tokens: int = 1024  # per completion
    n: int = 1  # completions per prompt
    seed: int = 0  # base seed; completion i of a prompt uses seed + i where the backend supports it

    @classmethod
    def greedy(cls, max_new_tokens: int = 1024) -> SamplingParams:
        """VerilogEval's n = 1 setting."""
        return cls(temperature=0.0, top_p=1.0, n=1, max_new_tokens=max_new_tokens)

    @classmethod
    def pass_at_k(cls, n: int = 20, max_new_tokens: int = 1024) -> SamplingParams:
        """VerilogEval's pass@k setting: n = 20 at temperature 0.85, top_p 0.95."""
        return cls(temperature=0.85, top_p=0.95, n=n, max_new_tokens=max_new_tokens)


class ModelBackend(abc.ABC):
    """Generates completions. Implementations must not raise on a bad completion, only on a broken backend."""

    spec: str = ""

    @abc.abstractmethod
    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[str]]:
        """``params.n`` completions for each prompt, in prompt order."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op for most backends
        """Release servers, threads or GPU memory."""
