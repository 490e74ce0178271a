"""Export a build's final samples for training: SFT and RL forms, JSONL and Hugging Face ``datasets`` on disk.

    DIR/export/sft/{train,validation}.jsonl    chat messages (or prompt/completion) ending in the module's code
    DIR/export/rl/{train,validation}.jsonl     prompt plus the ``testbench``, ``reference``, ``top`` columns
                                               rtlgen's rewards read (only samples that carry a testbench)
    DIR/export/hf/{sft,rl}/                    the same as a DatasetDict (``datasets.load_from_disk``)

A sample goes to validation when the hash of its dedup cluster (``meta["dedup"]["cluster"]``, else
``meta["cluster"]``, else its id) falls under ``validation_fraction``: every sample of one cluster,
and every sample derived from it later, lands on the same side.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rtlgen.config import help_
from rtlgen.datasets.sample import Sample


class ExportFormat(enum.StrEnum):
    JSONL = "jsonl"
    HF = "hf"


class SftStyle(enum.StrEnum):
    MESSAGES = "messages"  # [{"role": "system"|"user"|"assistant", "content": ...}]
    PROMPT_COMPLETION = "prompt_completion"


SPLITS = ("train", "validation")
SYSTEM = "You are an expert digital designer. Answer with synthesizable Verilog in one ```verilog block."


@dataclass(frozen=True)
class ExportOptions:
    formats: tuple[ExportFormat, ...] = field(default=(ExportFormat.JSONL, ExportFormat.HF), metadata=help_(
        "jsonl, hf (datasets.save_to_disk), or both"))
    sft_style: SftStyle = field(default=SftStyle.MESSAGES, metadata=help_("messages or prompt_completion"))
    prompt_levels: tuple[str, ...] = field(default=("detailed", "summary"), metadata=help_(
        "description levels used as the SFT prompt, first found wins; none: complete the module header"))
    validation_fraction: float = field(default=0.05, metadata=help_("share of dedup clusters held out"))
    seed: int = field(default=0, metadata=help_("salt of the cluster hash that assigns splits"))
    system_prompt: str = field(default=SYSTEM, metadata=help_("system message of the SFT chat form"))


def cluster_of(s: Sample) -> str:
    dedup = s.meta.get("dedup")
    if isinstance(dedup, dict) and dedup.get("cluster"):
        return str(dedup["cluster"])
    return str(s.meta.get("cluster") or s.id)


def split_of(s: Sample, o: ExportOptions) -> str:
    digest = hashlib.sha256(f"{o.seed}:{cluster_of(s)}".encode()).digest()
    return "validation" if int.from_bytes(digest[:8], "big") / 2 ** 64 < o.validation_fraction else "train"


def module_header(code: str, top: str) -> str:
    """``module top ... ;`` (parameters and ports) of ``code``, or "" when not found."""
    m = re.search(rf"\bmodule\s+{re.escape(top)}\b", code) if top else re.search(r"\bmodule\b", code)
    if not m:
        return ""
    depth = 0
    for i in range(m.start(), min(len(code), m.start() + 20_000)):
        ch = code[i]
        depth += ch == "("
        depth -= ch == ")"
        if ch == ";" and depth <= 0:
            return code[m.start():i + 1]
    return ""


def prompt_for(s: Sample, o: ExportOptions) -> str:
    for level in o.prompt_levels:
        text = s.descriptions.get(level, "")
        if text.strip():
            return f"{text.strip()}\n\nWrite the Verilog module `{s.top}`."
    header = module_header(s.code, s.top)
    deps = [d for d in s.meta.get("close", {}).get("deps", [])] if isinstance(s.meta.get("close"), dict) else []
    extra = f"\nIt may instantiate these modules of the same project: {', '.join(d.rsplit('::', 1)[-1] for d in deps)}." \
        if deps else ""
    return f"Complete this Verilog module so that it implements its name's function:\n\n{header}\n{extra}".rstrip()


def _common(s: Sample) -> dict:
    return {"id": s.id, "top": s.top, "cluster": cluster_of(s), "license": s.provenance.license,
            "source": s.provenance.source, "repo": s.provenance.repo, "path": s.provenance.path,
            "commit": s.provenance.commit}


def sft_row(s: Sample, o: ExportOptions) -> dict:
    prompt = prompt_for(s, o)
    answer = f"```verilog\n{s.code.strip()}\n```"
    if o.sft_style is SftStyle.MESSAGES:
        return {**_common(s), "messages": [{"role": "system", "content": o.system_prompt},
                                           {"role": "user", "content": prompt},
                                           {"role": "assistant", "content": answer}]}
    return {**_common(s), "prompt": prompt, "completion": answer}


def rl_row(s: Sample, o: ExportOptions) -> dict | None:
    """The reward's row; ``reference`` also carries the dependency closure (the modules the prompt says the
    answer may instantiate), so the row compiles with the answer alone."""
    if not (s.testbench and s.reference):
        return None
    reference = "\n".join([s.reference, *s.deps]) if s.deps else s.reference
    return {**_common(s), "prompt": prompt_for(s, o), "testbench": s.testbench, "reference": reference}


def export(samples: Sequence[Sample], out: Path, o: ExportOptions, *, progress: bool = True) -> dict[str, dict[str, int]]:
    """Write every form and format; returns rows per form and split."""
    forms: dict[str, dict[str, list[dict]]] = {"sft": {k: [] for k in SPLITS}, "rl": {k: [] for k in SPLITS}}
    for s in samples:
        split = split_of(s, o)
        forms["sft"][split].append(sft_row(s, o))
        row = rl_row(s, o)
        if row is not None:
            forms["rl"][split].append(row)
    for form, splits in forms.items():
        if ExportFormat.JSONL in o.formats:
            (out / form).mkdir(parents=True, exist_ok=True)
            for split, rows in splits.items():
                with (out / form / f"{split}.jsonl").open("w", encoding="utf-8") as fh:
                    fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        if ExportFormat.HF in o.formats and any(splits.values()):
            _save_hf(splits, out / "hf" / form, progress)
    return {form: {k: len(v) for k, v in splits.items()} for form, splits in forms.items()}


def _save_hf(splits: dict[str, list[dict]], path: Path, progress: bool) -> None:
    import datasets
    from datasets.utils.logging import disable_progress_bar, enable_progress_bar, is_progress_bar_enabled

    was_enabled = is_progress_bar_enabled()
    if not progress:
        disable_progress_bar()
    try:
        _write_hf(datasets, splits, path)
    finally:
        if was_enabled:
            enable_progress_bar()


def _write_hf(datasets, splits: dict[str, list[dict]], path: Path) -> None:
    columns = next(iter(r for rows in splits.values() for r in rows)).keys()
    parts = {}
    for split, rows in splits.items():
        parts[split] = datasets.Dataset.from_list(rows) if rows else datasets.Dataset.from_dict({c: [] for c in columns})
    datasets.DatasetDict(parts).save_to_disk(str(path))
