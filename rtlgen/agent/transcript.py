"""The agent's transcript: one JSON line per model call and verification, appended as the run goes.

Each line has ``candidate``, ``round``, ``kind`` ("design", "testbench" or "cluster"), and as far as they
apply ``prompt`` (list of {role, content}), ``response``, ``tool_results`` (lint diagnostics, compile and
simulation logs), ``verdict``, ``category`` and ``passed``. Lines are flushed at once, so a killed run
keeps everything up to the last finished step.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from rtlgen.llm.base import Prompt


def prompt_json(prompt: Prompt) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in prompt]


class Transcript:
    """Appends records to ``path`` (created with its directory; an existing file is replaced)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("w", encoding="utf-8")

    def write(self, **record: Any) -> None:
        record.setdefault("time", round(time.time(), 3))
        if "prompt" in record and isinstance(record["prompt"], list):
            record["prompt"] = prompt_json(record["prompt"]) if record["prompt"] and not isinstance(
                record["prompt"][0], dict) else record["prompt"]
        self._fh.write(json.dumps(record, default=_default) + "\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> Transcript:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_transcript(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _default(obj: Any) -> Any:
    if hasattr(obj, "value"):
        return obj.value
    if hasattr(obj, "to_json"):
        return obj.to_json()
    return str(obj)
