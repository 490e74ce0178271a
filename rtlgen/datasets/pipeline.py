"""Run a dataset build: sources -> stages (each resumable, each counted) -> export -> dataset card.

    rtlgen data build rtlgen/datasets/configs/corpus.yaml --out build/ --set stages.dedup.threshold=0.8

The YAML lists ``sources`` and ``stages`` (by registry name, with ``options`` checked against the
stage's ``Options`` dataclass). Stage N appends to ``DIR/NN-<stage>.jsonl`` (``rtlgen.datasets.stagefile``)
and is fed the kept samples of stage N-1; the listed sources feed the first. Run the same command
again after a kill and every finished batch is kept: only the batch in flight is redone. ``DIR``
also gets ``config.yaml`` (resolved), ``counts.json`` (per stage: in, out, dropped by reason,
seconds), ``export/`` and ``README.md`` (the card). ``--set stages.NAME.KEY=VALUE`` sets a stage option
(``enabled``/``batch_size`` of the entry itself); any other ``--set`` key is a top-level field.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtlgen.config import from_mapping, help_, merge, parse_overrides, read_yaml, to_plain, write_resolved
from rtlgen.datasets import stagefile
from rtlgen.datasets.export import ExportOptions, export
from rtlgen.datasets.registry import STAGES
from rtlgen.datasets.sample import Dropped, Sample
from rtlgen.datasets.sources import SourceConfig, list_source, shared_root
from rtlgen.datasets.stage import Stage, StageContext
from rtlgen.errors import InputError

STAGE_ERROR = "stage_error"  # a stage raised on this sample: a bug, counted rather than fatal
DUPLICATE_ID = "duplicate_id"


GENERATORS = ("families",)  # stages that make samples from their options alone, so may come first

@dataclass(frozen=True)
class StageEntry:
    stage: str = field(metadata=help_("registered stage name (ingest, split, close, parses, ..., dedup, decontam)"))
    enabled: bool = field(default=True, metadata=help_("false skips the stage (each filter is switchable)"))
    batch_size: int = field(default=0, metadata=help_("samples per resumable batch (0: the stage's default)"))
    options: dict = field(default_factory=dict, metadata=help_("the stage's options (its Options dataclass)"))


@dataclass(frozen=True)
class SandboxOptions:
    cache_dir: str = field(default="", metadata=help_("tool result cache ('' = the user cache, 'none' = off)"))
    workers: int = field(default=0, metadata=help_("concurrent tool jobs (0: one per core)"))
    executor: str = field(default="", metadata=help_(
        "where tool jobs run: local | remote:URL | ray:ADDRESS ('' = $RTLGEN_EXECUTOR, else local)"))


@dataclass(frozen=True)
class PipelineConfig:
    sources: tuple[SourceConfig, ...] = field(default=(), metadata=help_("where the code comes from"))
    stages: tuple[StageEntry, ...] = field(default=(), metadata=help_("stages in order"))
    export: ExportOptions = field(default_factory=ExportOptions, metadata=help_("training forms and splits"))
    sandbox: SandboxOptions = field(default_factory=SandboxOptions, metadata=help_("tool runs"))
    progress: bool = field(default=True, metadata=help_("progress bars on stderr"))
    extras: dict = field(default_factory=dict, metadata=help_("shared settings for plug-in stages (e.g. a teacher)"))


@dataclass(frozen=True)
class StageCount:
    stage: str
    n_in: int
    n_out: int
    dropped: dict[str, int]
    seconds: float

    def to_json(self) -> dict:
        return {"in": self.n_in, "out": self.n_out, "dropped": self.dropped, "seconds": round(self.seconds, 3),
                "per_second": round(self.n_in / self.seconds, 2) if self.seconds > 0 else None}


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    counts: tuple[StageCount, ...]
    samples: int
    exported: dict[str, dict[str, int]]
    card: Path


def _substitute(obj: Any, shared: str) -> Any:
    if isinstance(obj, str):
        return obj.replace("${shared}", shared)
    if isinstance(obj, list):
        return [_substitute(v, shared) for v in obj]
    if isinstance(obj, dict):
        return {k: _substitute(v, shared) for k, v in obj.items()}
    return obj


def load_pipeline(path: str | Path | None, overrides: Sequence[str] = (), data: Mapping | None = None) -> PipelineConfig:
    """Defaults, the YAML (``${shared}`` is the shared data folder), then ``--set`` overrides; every stage's
    options checked against its ``Options``. Relative source paths are relative to the YAML's folder."""
    tree = dict(data or {})
    if path is not None:
        tree = merge(tree, read_yaml(path, "pipeline config"))
    tree = _substitute(tree, str(shared_root()))
    stage_sets = [o for o in overrides if o.startswith("stages.")]
    tree = merge(tree, parse_overrides([o for o in overrides if not o.startswith("stages.")]))
    if path is not None:
        base = Path(path).resolve().parent
        tree["sources"] = [{**s, "path": str(base / s["path"])} if isinstance(s, dict) and "path" in s
                           and not Path(str(s["path"])).is_absolute() else s for s in tree.get("sources") or []]
    stages = [dict(s) if isinstance(s, dict) else s for s in tree.get("stages") or []]
    for item in stage_sets:
        key, _, value = item.partition("=")
        parts = key.split(".")
        if len(parts) < 3:
            raise InputError(f"override {item!r} must look like stages.NAME.KEY=VALUE")
        entry = next((s for s in stages if isinstance(s, dict) and s.get("stage") == parts[1]), None)
        if entry is None:
            raise InputError(f"override {item!r} names stage {parts[1]!r}, which is not in the config's stages")
        sub = parse_overrides([".".join(parts[2:]) + "=" + value])
        if parts[2] in ("enabled", "batch_size", "options"):
            entry.update(merge(entry, sub))
        else:
            entry["options"] = merge(entry.get("options") or {}, sub)
    tree["stages"] = stages
    cfg = from_mapping(PipelineConfig, tree)
    generates = bool(cfg.stages) and cfg.stages[0].stage in GENERATORS
    if not cfg.sources and not generates:
        raise InputError("the pipeline config lists no sources; add at least one under 'sources:' (or start the "
                         f"stages with a generator: {', '.join(GENERATORS)})")
    names = [s.name for s in cfg.sources]
    if len(set(names)) != len(names):
        raise InputError(f"source names must be unique (they prefix sample ids), not {names}")
    for entry in cfg.stages:
        stage_options(entry)
    return cfg


def stage_options(entry: StageEntry) -> Any:
    cls = STAGES.get(entry.stage)
    return from_mapping(cls.Options, entry.options, where=f"stages.{entry.stage}.options")


def resolved(cfg: PipelineConfig) -> dict:
    """The config as plain data with every stage's options filled in with their defaults."""
    plain = to_plain(cfg)
    for entry, out in zip(cfg.stages, plain["stages"], strict=True):
        out["options"] = to_plain(stage_options(entry))
    return plain


def _sandbox(o: SandboxOptions):
    from rtlgen.sandbox import default_cache_dir, default_sandbox

    return default_sandbox(None if o.cache_dir == "none" else (o.cache_dir or default_cache_dir()),
                           executor=o.executor or None)


def build(cfg: PipelineConfig, out_dir: str | Path) -> BuildResult:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_resolved(resolved(cfg), out / "config.yaml")
    ctx = StageContext(out_dir=out, sandbox=_LazySandbox(cfg.sandbox), progress=cfg.progress,
                       workers=cfg.sandbox.workers or None, extras=dict(cfg.extras))
    samples: list[Sample] = [s for src in cfg.sources for s in list_source(src)]
    fingerprint = _hash(to_plain(cfg.sources))
    counts: list[StageCount] = []
    enabled = [e for e in cfg.stages if e.enabled]
    for n, entry in enumerate(enabled):
        cls = STAGES.get(entry.stage)
        stage = cls(stage_options(entry), ctx)
        fingerprint = _hash([fingerprint, entry.stage, to_plain(stage.options), entry.batch_size])
        try:
            samples, count = run_stage(stage, samples, out / f"{n:02d}-{entry.stage}.jsonl", fingerprint,
                                       batch_size=entry.batch_size or cls.batch_size, progress=cfg.progress)
        finally:
            stage.close()
        counts.append(count)
        _write_counts(out, counts)
    exported = export(samples, out / "export", cfg.export, progress=cfg.progress)
    from rtlgen.datasets.card import write_card

    policy = _policy(cfg)
    card = write_card(out, config=to_plain(cfg), counts={c.stage: c.to_json() for c in counts}, samples=samples,
                      exported=exported, policy=policy)
    return BuildResult(out, tuple(counts), len(samples), exported, card)


class _LazySandbox:
    """The build's sandbox, made on the first tool run (a build without tool stages needs no bwrap)."""

    def __init__(self, o: SandboxOptions) -> None:
        self._o, self._sb = o, None

    def __getattr__(self, name: str):
        if self._sb is None:
            self._sb = _sandbox(self._o)
        return getattr(self._sb, name)


def _policy(cfg: PipelineConfig):
    from rtlgen.datasets.licenses import LicensePolicy

    for entry in cfg.stages:
        if entry.stage == "ingest":
            return stage_options(entry).licenses
    return LicensePolicy()


def run_stage(stage: Stage, inputs: Sequence[Sample], path: Path, fingerprint: str, *, batch_size: int,
              progress: bool = True) -> tuple[list[Sample], StageCount]:
    """Resume or run ``stage`` over ``inputs``; its kept samples and its count."""
    state = stagefile.read(path)
    stagefile.start(path, stage.name, fingerprint, state)
    unique, repeated = _unique(inputs)
    _drop_repeated(stage, repeated, path, state)
    pending = [s for s in unique if s.id not in state.done]
    # a whole stage runs once even on empty input: a generator (families) makes samples from nothing
    batches = [pending] if stage.whole and (pending or not state.samples) else \
        [pending[i:i + batch_size] for i in range(0, len(pending), max(1, batch_size))]
    emitted = {s.id for s in state.samples}
    bar = _bar(len(inputs), len(inputs) - len(pending), stage.name, progress)
    try:
        for batch in batches:
            t0 = time.monotonic()
            outputs = []
            for o in _process(stage, batch):
                if isinstance(o, Sample) and o.id in emitted:
                    o = Dropped(o.id, stage.name, DUPLICATE_ID, "a sample with this id was already written")
                if isinstance(o, Sample):
                    emitted.add(o.id)
                outputs.append(o)
            seconds = time.monotonic() - t0
            stagefile.append_batch(path, [s.id for s in batch], outputs, seconds, state.blobs)
            state.samples += [o for o in outputs if isinstance(o, Sample)]
            state.drops += [o for o in outputs if isinstance(o, Dropped)]
            state.seconds += seconds
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    dropped = dict(sorted(Counter(d.reason for d in state.drops).items()))
    return state.samples, StageCount(path.stem, len(inputs), len(state.samples), dropped, state.seconds)


def _process(stage: Stage, batch: Sequence[Sample]) -> list[Sample | Dropped]:
    """``stage.process(batch)``; if it raises, each sample alone, and a sample that still raises is dropped."""
    try:
        return _checked(stage, stage.process(batch))
    except Exception:  # noqa: BLE001 - one bad sample must not end the build
        if stage.whole:  # no smaller unit to retry: a bug in the stage
            raise
        if len(batch) == 1:
            return [_error(stage, batch[0])]
    out: list[Sample | Dropped] = []
    for s in batch:
        try:
            out += _checked(stage, stage.process([s]))
        except Exception:  # noqa: BLE001
            out.append(_error(stage, s))
    return out


def _error(stage: Stage, s: Sample) -> Dropped:
    import sys
    import traceback

    text = traceback.format_exc()
    print(f"rtlgen: stage {stage.name} failed on {s.id}:\n{text}", file=sys.stderr)
    return Dropped(s.id, stage.name, STAGE_ERROR, " ".join(text.strip().splitlines()[-1].split())[:240])


def _checked(stage: Stage, outputs: Iterable) -> list[Sample | Dropped]:
    out = list(outputs)
    for o in out:
        if not isinstance(o, (Sample, Dropped)):
            raise TypeError(f"stage {stage.name} returned a {type(o).__name__}, not a Sample or Dropped")
    return out


def _unique(samples: Sequence[Sample]) -> tuple[list[Sample], list[Sample]]:
    """(the first sample of each id, the later ones)."""
    seen: set[str] = set()
    out, repeated = [], []
    for s in samples:
        if s.id not in seen:
            seen.add(s.id)
            out.append(s)
        else:
            repeated.append(s)
    return out, repeated


_REPEATED_INPUT = "another input sample has this id; the first is kept"


def _drop_repeated(stage: Stage, repeated: Sequence[Sample], path: Path, state) -> None:
    """Count every input that repeats an earlier one's id as a drop, once (a resumed run finds them recorded)."""
    recorded = Counter(d.id for d in state.drops if d.reason == DUPLICATE_ID and d.detail == _REPEATED_INPUT)
    new = []
    for s in repeated:
        if recorded[s.id] > 0:
            recorded[s.id] -= 1
        else:
            new.append(Dropped(s.id, stage.name, DUPLICATE_ID, _REPEATED_INPUT))
    if new:
        stagefile.append_batch(path, [], new, 0.0, state.blobs)
        state.drops += new


def _bar(total: int, initial: int, desc: str, progress: bool):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="sample", dynamic_ncols=True)


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _write_counts(out: Path, counts: Sequence[StageCount]) -> None:
    data = {c.stage: c.to_json() for c in counts}
    tmp = out / ".counts.json.tmp"
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(out / "counts.json")


__all__ = ["BuildResult", "PipelineConfig", "StageCount", "StageEntry", "build", "load_pipeline", "resolved",
           "run_stage"]
