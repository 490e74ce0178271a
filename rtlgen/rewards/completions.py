"""Verilog out of a TRL completion, the same way for every reward."""

from __future__ import annotations

from typing import Any

from rtlgen.llm.extract import Extraction, extract_robust


def completion_text(completion: Any) -> str:
    """Plain text of a TRL completion: a string, or a list of chat messages."""
    if isinstance(completion, list):
        return "".join(m.get("content", "") for m in completion if isinstance(m, dict))
    return str(completion)


def completion_code(completion: Any, top: str = "TopModule") -> Extraction:
    """The Verilog a completion holds (fences, prose and extra text removed) with empty/truncated flags."""
    return extract_robust(completion_text(completion), top=top)
