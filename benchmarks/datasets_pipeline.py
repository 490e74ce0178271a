"""Figures for the datasets pipeline on the bundled corpus (not a timed test):

    .venv/bin/python benchmarks/datasets_pipeline.py --out /tmp/dsbench            # whole corpus, every core stage
    .venv/bin/python benchmarks/datasets_pipeline.py --out /tmp/dsbench --no-tools # without iverilog/verilator/yosys
    .venv/bin/python benchmarks/datasets_pipeline.py --out /tmp/dsbench --limit 300 --scale 10

Prints samples per second per stage, modules kept, exact and near-duplicate rates, contamination hits
per benchmark, and how long dedup takes on the kept modules at 1x and ``--scale``x (synthetic copies
with every name suffixed, so they are new documents, not duplicates) to show it grows about linearly.
The build folder resumes: run it again to print the figures without recomputing.

Teacher stages: add their entries to ``TEACHER_STAGES`` (run after the core stages, with the
``scripted:`` teacher) and their figures to ``teacher_figures``; both are empty hooks here.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from pathlib import Path

from rtlgen.datasets.dedup import Dedup, DedupOptions
from rtlgen.datasets.pipeline import build, load_pipeline
from rtlgen.datasets.sample import Dropped, Sample
from rtlgen.datasets.stage import StageContext
from rtlgen.datasets.stagefile import read

CORE = ["ingest", "split", "close", "size", "generated", "parses", "compiles", "lints", "synthesises", "dedup",
        "decontam"]
TOOLS = {"compiles", "lints", "synthesises"}
TEACHER_STAGES: list[dict] = []  # hook: e.g. {"stage": "describe", "options": {...}} with a scripted teacher


def teacher_figures(out: Path) -> dict:
    """Hook for the teacher stages' figures (fraction of augmented samples proved by each check, ...)."""
    return {}


def _scaled(samples: list[Sample], k: int) -> list[Sample]:
    """``k`` copies of every sample, copy ``i`` with every identifier suffixed ``_s{i}``."""
    out = []
    for i in range(k):
        for s in samples:
            code = s.code if i == 0 else re.sub(r"\b([A-Za-z_][A-Za-z0-9_]*)\b", rf"\1_s{i}", s.code)
            out.append(s.evolve(id=f"{s.id}#s{i}", code=code, meta={}))
    return out


def dedup_seconds(samples: list[Sample], out: Path) -> float:
    stage = Dedup(DedupOptions(), StageContext(out_dir=out))
    t0 = time.monotonic()
    res = stage.process(samples)
    assert len(res) == len(samples) and all(isinstance(r, Sample | Dropped) for r in res)
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="build folder (resumed when it exists)")
    ap.add_argument("--limit", type=int, default=0, help="first N manifest rows only (0: all 3,509)")
    ap.add_argument("--no-tools", action="store_true", help="skip the iverilog/verilator/yosys filters")
    ap.add_argument("--scale", type=int, default=10, help="dedup scaling factor")
    args = ap.parse_args()
    stages = [{"stage": s} for s in CORE if not (args.no_tools and s in TOOLS)] + TEACHER_STAGES
    cfg = load_pipeline(None, data={"sources": [{"name": "corpus", "kind": "manifest", "limit": args.limit,
                                                 "path": "${shared}/rtl-corpus/manifest.jsonl"}],
                                    "stages": stages, "progress": True})
    t0 = time.monotonic()
    result = build(cfg, args.out)
    wall = time.monotonic() - t0
    counts = json.loads((args.out / "counts.json").read_text())
    print(f"\nbuild: {wall:.0f} s wall this run; {result.samples} modules kept")
    print(f"{'stage':<16}{'in':>7}{'out':>7}{'seconds':>10}{'in/s':>10}  top drops")
    for name, c in counts.items():
        top = ", ".join(f"{k} {v}" for k, v in Counter(c["dropped"]).most_common(3))
        print(f"{name:<16}{c['in']:>7}{c['out']:>7}{c['seconds']:>10.1f}{c['per_second'] or 0:>10.1f}  {top}")
    dd = next((c for k, c in counts.items() if k.endswith("-dedup")), None)
    if dd:
        exact, near = dd["dropped"].get("exact_duplicate", 0), dd["dropped"].get("near_duplicate", 0)
        print(f"dedup: exact {exact} ({exact / max(1, dd['in']):.1%}), near {near} ({near / max(1, dd['in']):.1%}) "
              f"of {dd['in']} modules")
    hits = [json.loads(line) for line in (args.out / "contamination.jsonl").read_text().splitlines()] \
        if (args.out / "contamination.jsonl").exists() else []
    per_task = {t: len({h["sample"] for h in hits if h["task"] == t}) for t in sorted({h["task"] for h in hits})}
    print("contamination (samples hit per benchmark):", per_task or "none")
    print("contamination by check:", dict(Counter(h["check"] for h in hits)))
    dedup_in = sorted(args.out.glob("*-dedup.jsonl"))
    if dedup_in:
        previous = sorted(args.out.glob("[0-9][0-9]-*.jsonl"))
        idx = previous.index(dedup_in[0])
        base = read(previous[idx - 1]).samples if idx > 0 else []
        one = dedup_seconds(base, args.out)
        many = dedup_seconds(_scaled(base, args.scale), args.out)
        print(f"dedup time: {len(base)} modules {one:.1f} s; {args.scale}x ({len(base) * args.scale}) {many:.1f} s "
              f"(ratio {many / max(one, 1e-9):.1f} for {args.scale}x the data)")
    figures = teacher_figures(args.out)
    if figures:
        print("teacher stages:", figures)


if __name__ == "__main__":
    main()
