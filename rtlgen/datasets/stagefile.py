"""One stage's JSONL in the build folder: kept samples, drops with reasons, and a "done" line per batch.

    {"kind": "stage", "stage": "compiles", "fingerprint": "..."}      first line: what made the file
    {"kind": "sample", "sample": {...}}                                 a kept or derived sample
    {"kind": "drop", "id": "...", "stage": "...", "reason": "...", "detail": "..."}
    {"kind": "done", "ids": ["..."], "seconds": 1.2}                   the batch of these inputs is complete
    {"kind": "blob", "sha": "...", "text": "..."}                       a dependency's code, stored once per file

Dependency closures repeat (every OpenTitan module carries the same packages), so a sample's ``deps``
are written as ``{"blob": sha}`` references to blob lines written once per file.

A batch's lines and its done line go out in one write; reading stops after the last done line and the
file is cut there, so whatever a killed build had half-written is dropped and that batch is redone.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rtlgen.datasets.sample import Dropped, Sample
from rtlgen.errors import InputError


@dataclass
class StageState:
    """What a stage file says so far."""

    fingerprint: str = ""
    done: set[str] = field(default_factory=set)
    samples: list[Sample] = field(default_factory=list)
    drops: list[Dropped] = field(default_factory=list)
    seconds: float = 0.0
    batches: int = 0
    blobs: dict[str, str] = field(default_factory=dict)  # sha -> text of the blobs in the file


def read(path: Path) -> StageState:
    """The complete batches of ``path`` (cut after the last done line); an empty state if there is no file."""
    state = StageState()
    if not path.exists():
        return state
    pending_samples: list[Sample] = []
    pending_drops: list[Dropped] = []
    pending_blobs: dict[str, str] = {}
    good_end = 0
    with path.open("rb") as fh:
        offset = 0
        for line_no, raw in enumerate(fh, 1):
            offset += len(raw)
            if not raw.endswith(b"\n"):
                break  # a line cut by a kill
            try:
                rec = json.loads(raw)
                if not isinstance(rec, dict):
                    raise TypeError(f"a JSON {type(rec).__name__}, not a record")
                _take(rec, state, pending_samples, pending_drops, pending_blobs)
            except (ValueError, RecursionError, KeyError, TypeError, AttributeError) as exc:
                if _done_line_follows(fh):  # a finished batch after it: damage, not a kill's torn tail
                    raise InputError(f"{path}: line {line_no} is not a record this build wrote ({type(exc).__name__}: "
                                     f"{str(exc)[:80]}); delete the file and the later NN-*.jsonl files to rebuild "
                                     "from there") from None
                break
            kind = rec.get("kind")
            if kind == "stage":
                state.fingerprint = rec.get("fingerprint", "")
                good_end = offset
            elif kind == "done":
                state.samples += pending_samples
                state.drops += pending_drops
                state.blobs.update(pending_blobs)
                pending_samples, pending_drops, pending_blobs = [], [], {}
                good_end = offset
    if path.stat().st_size != good_end:
        with path.open("r+b") as fh:
            fh.truncate(good_end)
    return state


def _take(rec: dict, state: StageState, samples: list[Sample], drops: list[Dropped], blobs: dict[str, str]) -> None:
    """Read one record into the pending batch (a done line into ``state``); raises on a malformed record."""
    kind = rec.get("kind")
    if kind == "stage":
        if not isinstance(rec.get("fingerprint", ""), str):
            raise TypeError("a fingerprint that is no text")
    elif kind == "blob":
        if not isinstance(rec["sha"], str) or not isinstance(rec["text"], str):
            raise TypeError("a blob whose sha or text is no text")
        blobs[rec["sha"]] = rec["text"]
    elif kind == "sample":
        data = dict(rec["sample"])
        known = {**state.blobs, **blobs}
        data["deps"] = [known[d["blob"]] if isinstance(d, dict) else d for d in data.get("deps") or ()]
        samples.append(Sample.from_json(data))
    elif kind == "drop":
        drops.append(Dropped(str(rec["id"]), str(rec["stage"]), str(rec["reason"]), str(rec.get("detail", ""))))
    elif kind == "done":
        ids, seconds = rec["ids"], float(rec.get("seconds", 0.0))
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise TypeError("a done line whose ids are not a list of text")
        state.done.update(ids)
        state.seconds += seconds
        state.batches += 1
    else:
        raise ValueError(f"an unknown record kind {str(kind)[:40]!r}")


def _done_line_follows(fh) -> bool:
    return any(b'"kind": "done"' in raw or b'"kind":"done"' in raw for raw in fh)


def start(path: Path, stage: str, fingerprint: str, state: StageState) -> None:
    """Begin ``path``, or check that the existing one was made by the same configuration."""
    if state.fingerprint and state.fingerprint != fingerprint:
        raise InputError(f"{path} was built with another configuration of stage {stage!r} or of a stage before it; "
                         f"delete it and the later NN-*.jsonl files to rebuild from there, or use a new --out")
    if not state.fingerprint:
        with path.open("wb") as fh:
            fh.write((json.dumps({"kind": "stage", "stage": stage, "fingerprint": fingerprint}) + "\n").encode())
        state.fingerprint = fingerprint


def append_batch(path: Path, ids: Sequence[str], outputs: Sequence[Sample | Dropped], seconds: float,
                 blobs: dict[str, str] | None = None) -> None:
    """One write for the batch's outputs and its done line, then fsync: a batch is on disk whole or not at all.
    ``blobs`` (the state's) says which dependency texts the file holds already; it is updated."""
    blobs = {} if blobs is None else blobs
    lines = []
    for o in outputs:
        if isinstance(o, Sample):
            data = o.to_json()
            refs = []
            for dep in o.deps:
                sha = hashlib.sha256(dep.encode("utf-8", "surrogatepass")).hexdigest()[:32]
                if sha not in blobs:
                    blobs[sha] = dep
                    lines.append(json.dumps({"kind": "blob", "sha": sha, "text": dep}, ensure_ascii=False))
                refs.append({"blob": sha})
            data["deps"] = refs
            lines.append(json.dumps({"kind": "sample", "sample": data}, ensure_ascii=False, default=str))
        else:
            lines.append(json.dumps({"kind": "drop", "id": o.id, "stage": o.stage, "reason": o.reason,
                                     "detail": o.detail}, ensure_ascii=False))
    lines.append(json.dumps({"kind": "done", "ids": list(ids), "seconds": round(seconds, 4)}))
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    with path.open("ab") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
