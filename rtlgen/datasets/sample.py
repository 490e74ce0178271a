"""The record every dataset stage reads and writes: one module of RTL with what is known about it."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class DescriptionLevel(enum.StrEnum):
    """MG-Verilog's grains of description."""

    SUMMARY = "summary"  # a few sentences: what the module is for
    DETAILED = "detailed"  # ports, behaviour, timing: enough to write it again
    BLOCKS = "blocks"  # one summary per always/assign block, in order


@dataclass(frozen=True)
class Provenance:
    """Where a sample's code came from; ``license`` is an SPDX identifier ("" when unknown)."""

    source: str = ""  # the source name in the pipeline config (a folder, a JSONL, a dataset)
    repo: str = ""
    path: str = ""
    commit: str = ""
    license: str = ""


@dataclass(frozen=True)
class Sample:
    """One module of RTL. ``deps`` holds the code of modules it instantiates (its dependency closure);
    ``history`` the names of the stages it went through, in order; ``meta`` stage-specific facts."""

    id: str
    code: str
    top: str = ""
    descriptions: Mapping[str, str] = field(default_factory=dict)  # DescriptionLevel value -> text
    testbench: str = ""
    reference: str = ""
    provenance: Provenance = field(default_factory=Provenance)
    deps: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def evolve(self, stage: str | None = None, **changes: Any) -> Sample:
        """A copy with ``changes``; ``stage`` is appended to the history."""
        if stage is not None:
            changes["history"] = (*self.history, stage)
        return dataclasses.replace(self, **changes)

    def with_meta(self, stage: str | None = None, **facts: Any) -> Sample:
        return self.evolve(stage, meta={**self.meta, **facts})

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data["descriptions"] = dict(self.descriptions)
        data["deps"] = list(self.deps)
        data["history"] = list(self.history)
        data["meta"] = dict(self.meta)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Sample:
        prov = Provenance(**dict(data.get("provenance") or {}))
        return cls(id=str(data["id"]), code=str(data["code"]), top=str(data.get("top", "")),
                   descriptions=dict(data.get("descriptions") or {}), testbench=str(data.get("testbench", "")),
                   reference=str(data.get("reference", "")), provenance=prov, deps=tuple(data.get("deps") or ()),
                   history=tuple(data.get("history") or ()), meta=dict(data.get("meta") or {}))


@dataclass(frozen=True)
class Dropped:
    """A sample a stage refused, and why (``reason`` is a short stable key; ``detail`` one line)."""

    id: str
    stage: str
    reason: str
    detail: str = ""
