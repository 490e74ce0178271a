"""PPA of functionally passing samples against the reference (what RTLLM v2 reports with Design Compiler),
here with Yosys and ABC on the bundled sky130 liberty (``rtlgen.synth.ppa``).

Only samples that passed get a figure; a failing sample has none. Per sample: area, delay and area-delay
product divided by the reference's (below 1: better than the reference). Per design: the geometric mean of
its passing samples; overall: the geometric mean of the designs. Appended to ``ppa.jsonl`` as measured
(keyed by the sample's code hash, so a resumed run measures nothing twice).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

from rtlgen.evals.results import Problem, Sample, SampleResult


def _geomean(values: list[float]) -> float | None:
    vals = [v for v in values if v > 0]
    return math.exp(sum(map(math.log, vals)) / len(vals)) if vals else None


def measure(task, problems: dict[str, Problem], samples: list[Sample], results: dict, out: Path,
            *, liberty: str | None = None, workers: int | None = None) -> dict:
    """Measure what is missing in ``out/ppa.jsonl``, then the summary's ``ppa`` section."""
    from rtlgen.synth.ppa import ppa_many

    path = out / "ppa.jsonl"
    have: dict[str, dict] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
                have[row["key"]] = row
            except (ValueError, KeyError, TypeError):
                continue  # a torn last line: measured again
    passing = [(s, results[(s.task_id, s.index, s.extraction)]) for s in samples
               if (r := results.get((s.task_id, s.index, s.extraction))) is not None and r.passed]
    refs = sorted({s.task_id for s, _ in passing})
    todo_refs = [t for t in refs if f"ref:{t}" not in have]
    todo = [(s, r) for s, r in passing if f"{s.task_id}:{r.code_sha}" not in have]
    todo = list({f"{s.task_id}:{r.code_sha}": (s, r) for s, r in todo}.values())
    items = [(task.golden(problems[t]), task.design_top(problems[t])) for t in todo_refs]
    items += [(task.dut_source(problems[s.task_id], s.code), task.design_top(problems[s.task_id])) for s, _ in todo]
    keys = [f"ref:{t}" for t in todo_refs] + [f"{s.task_id}:{r.code_sha}" for s, r in todo]
    if items:
        with path.open("a") as fh:
            for key, ppa in zip(keys, ppa_many(items, liberty=liberty, workers=workers), strict=True):
                have[key] = {"key": key, **ppa.to_json()}
                fh.write(json.dumps(have[key]) + "\n")
    return summarize(passing, have)


def summarize(passing: list[tuple[Sample, SampleResult]], have: dict[str, dict]) -> dict:
    per_design: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    no_ppa: dict[str, str] = {}
    for s, r in passing:
        ref, mine = have.get(f"ref:{s.task_id}"), have.get(f"{s.task_id}:{r.code_sha}")
        if not ref or ref["status"] != "ok" or not mine or mine["status"] != "ok" or ref["adp"] <= 0:
            why = ref and ref["status"] != "ok" and f"reference: {ref['reason']}" or (mine and mine["reason"]) or "?"
            no_ppa[s.task_id] = str(why)[:160]
            continue
        for metric in ("area", "delay", "adp"):
            per_design[s.task_id][metric].append(mine[metric] / ref[metric] if ref[metric] else 0.0)
    designs = {t: {m: _geomean(v) for m, v in ms.items()} for t, ms in sorted(per_design.items())}
    overall = {m: _geomean([d[m] for d in designs.values() if d.get(m)]) for m in ("area", "delay", "adp")}
    return {"method": "rtlgen.synth.ppa (Yosys + ABC, sky130); ratios sample / reference, geometric means",
            "designs_measured": len(designs), "geomean": overall, "per_design": designs, "no_ppa": no_ppa}
