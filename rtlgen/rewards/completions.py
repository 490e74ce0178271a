"""Verilog out of a TRL completion, the same way for every reward.

Completions are hostile text: extraction runs in linear time and reads at most
``rtlgen.llm.extract.MAX_RESPONSE_CHARS`` of them (a longer one comes back marked truncated, with the
reason), and a message of an unexpected shape contributes no text rather than an exception.
"""

from __future__ import annotations

from typing import Any

from rtlgen.llm.extract import Extraction, extract_robust


def completion_text(completion: Any) -> str:
    """Plain text of a TRL completion: a string, or a list of chat messages (content a string or a list
    of ``{"type": "text", "text": ...}`` parts)."""
    if isinstance(completion, list):
        return "".join(_content_text(m.get("content")) for m in completion if isinstance(m, dict))
    return str(completion)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multimodal chat format: only the text parts
        return "".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""  # None or anything else a broken generator may put there


def completion_code(completion: Any, top: str = "TopModule") -> Extraction:
    """The Verilog a completion holds (fences, prose and extra text removed) with empty/truncated flags."""
    return extract_robust(completion_text(completion), top=top)
