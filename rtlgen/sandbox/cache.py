"""Content-addressed, on-disk cache of job results: an identical job is run once.

Keys come from ``Sandbox.key`` (tool fingerprints, argv, input bytes, limits). Entries are written
to a temporary name and renamed, so a crash never leaves a half-written entry behind.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from rtlgen.paths import atomic_write, cache_root
from rtlgen.sandbox.job import JobResult


def default_cache_dir() -> str:
    return str(cache_root() / "jobs")


class ResultCache:
    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        digest = key.replace(":", "-")
        return self.directory / digest[:2] / f"{digest}.json"

    def get(self, key: str) -> JobResult | None:
        try:
            data = json.loads(self._path(key).read_bytes())
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return JobResult.from_json(data, cached=True)

    def put(self, key: str, result: JobResult) -> None:
        atomic_write(self._path(key), json.dumps(result.to_json()).encode(), mode=0o600)

    def clear(self) -> None:
        for entry in self.directory.glob("*/*.json"):
            entry.unlink(missing_ok=True)
