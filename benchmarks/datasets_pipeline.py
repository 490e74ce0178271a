"""Figures for the datasets pipeline on the bundled corpus (not a timed test):

    .venv/bin/python benchmarks/datasets_pipeline.py --out /tmp/dsbench            # whole corpus, every core stage
    .venv/bin/python benchmarks/datasets_pipeline.py --out /tmp/dsbench --no-tools # without iverilog/verilator/yosys
    .venv/bin/python benchmarks/datasets_pipeline.py --out /tmp/dsbench --limit 300 --scale 10

Prints samples per second per stage, modules kept, exact and near-duplicate rates, contamination hits
per benchmark, and how long dedup takes on the kept modules at 1x and ``--scale``x (synthetic copies
with every name suffixed, so they are new documents, not duplicates) to show it grows about linearly.
The build folder resumes: run it again to print the figures without recomputing.

Teacher stages (``TEACHER_STAGES``: describe, augment) run on a sample of ``--teacher-sample`` kept modules
with scripted teachers (``teacher_figures``): a generic description for every module, and as rewrite the
original renamed and re-indented for every other module, a semantic mutant for the rest, so the
fraction of augmented samples proved by each check (``rtlgen.datasets.augment.proof_fractions``) and the
rejections of the mutants mean something. Figures are saved to ``benchmarks/results/datasets_pipeline.json``
and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import time
from collections import Counter
from pathlib import Path

import yaml

from rtlgen.datasets.augment import full_text, proof_fractions
from rtlgen.datasets.dedup import Dedup, DedupOptions
from rtlgen.datasets.pipeline import build, load_pipeline
from rtlgen.datasets.sample import Dropped, Sample
from rtlgen.datasets.stage import StageContext
from rtlgen.datasets.stagefile import read

CORE = ["ingest", "split", "close", "size", "generated", "parses", "compiles", "lints", "synthesises", "dedup",
        "decontam"]
TOOLS = {"compiles", "lints", "synthesises"}
# The teacher stages, run by ``teacher_figures`` on a sample of the kept modules (not on the whole corpus:
# every augmented module costs simulations and a Yosys proof). ``teacher`` is filled in with a scripted file.
TEACHER_STAGES: list[dict] = [
    {"stage": "describe", "options": {}},
    {"stage": "augment", "options": {"sim_timeout_s": 60.0,  # generous: a timeout here would shift the script
                                     "equivalence": {"bmc_depth": 10, "sat_timeout_s": 20, "wall_s": 90.0}}},
]
TEACHER_MAX_LINES = 300  # sampled modules are at most this long: bounds the proof time per module
DESCRIPTION = ("This module is part of a larger design. Its ports and behaviour follow from its code: every "
               "output is computed from the inputs and, for registered outputs, updated on the clock edge.")
_DECL = re.compile(r"^\s*(?:reg|wire|logic)\b(?:\s+signed)?\s*(?:\[[^\]]*\]\s*)*([A-Za-z_]\w*)\s*[;=]", re.M)


def renamed_rewrite(code: str, top: str, ports: set[str]) -> str:
    """The original as a teacher might write it again: re-indented, local nets renamed, one unused net
    added (so it is never a copy). Behaviourally the same module."""
    from rtlgen.datasets.export import module_header

    for name in sorted(set(_DECL.findall(code)) - ports):
        code = re.sub(rf"(?<![.\w$`'\\]){re.escape(name)}\b", f"{name}_rw", code)
    code = "\n".join("  " + line.strip() if line.strip() else "" for line in code.splitlines()) + "\n"
    header = module_header(code, top)
    if header:
        code = code.replace(header, header + "\n  wire rtlgen_rewrite_pad;", 1)
    return code


def mutated_rewrite(code: str, rng) -> str | None:
    """A semantic mutant of the original (a wrong rewrite, unless the mutation happens to be harmless)."""
    from rtlgen.datasets.mutate import MutationKind, Operator, mutate

    ops = [op for op in Operator if op.kind is MutationKind.SEMANTIC]
    rng.shuffle(ops)
    for op in ops:
        m = mutate(code, op, rng)
        if m is not None:
            return m.code
    return None


def _teacher_stage(entry: dict, teacher: Path, ctx):
    from rtlgen.config import from_mapping
    from rtlgen.datasets.registry import STAGES

    cls = STAGES.get(entry["stage"])
    return cls(from_mapping(cls.Options, {**entry["options"], "teacher": f"scripted:{teacher}"}), ctx)


def teacher_figures(out: Path, n: int = 100, seed: int = 0) -> dict:
    """Describe then augment ``n`` kept modules (at most ``TEACHER_MAX_LINES`` lines, distinct top names)
    with scripted teachers: every other usable module's rewrite is the original renamed and re-indented,
    the others' a semantic mutant. Resumable under ``out/teacher``."""
    from rtlgen.datasets.pipeline import run_stage
    from rtlgen.sandbox import default_cache_dir, default_sandbox

    last = [p for p in sorted(out.glob("[0-9][0-9]-*.jsonl")) if p.stem.split("-", 1)[1] in CORE]
    if not n or not last:
        return {}
    kept = [s for s in read(last[-1]).samples if sum(1 for ln in s.code.splitlines() if ln.strip()) <= TEACHER_MAX_LINES]
    by_top = {s.top: s for s in sorted(kept, key=lambda s: s.id) if s.top}
    rng = random.Random(seed)
    picked = rng.sample(sorted(by_top.values(), key=lambda s: s.id), min(n, len(by_top)))
    tdir = out / "teacher"
    tdir.mkdir(exist_ok=True)
    ctx = StageContext(out_dir=tdir, sandbox=default_sandbox(default_cache_dir()), progress=True)
    (tdir / "describe.yaml").write_text(yaml.safe_dump({"responses": [DESCRIPTION], "when_exhausted": "repeat_last"}))
    t0 = time.monotonic()
    describe = _teacher_stage(TEACHER_STAGES[0], tdir / "describe.yaml", ctx)
    described, dcount = run_stage(describe, picked, tdir / "00-describe.jsonl", f"describe/{seed}/{n}", batch_size=16)
    if not (tdir / "augment.yaml").exists():  # the stage checks its teacher spec; the script comes next
        (tdir / "augment.yaml").write_text(yaml.safe_dump({"responses": [], "when_exhausted": "empty"}))
    augment = _teacher_stage(TEACHER_STAGES[1], tdir / "augment.yaml", ctx)  # loads the script on first use
    path = tdir / "01-augment.jsonl"
    done = read(path).done
    variants = _write_rewrites(augment, [s for s in described if s.id not in done], tdir / "augment.yaml", seed)
    if (tdir / "variants.json").exists():
        variants = {**json.loads((tdir / "variants.json").read_text()), **variants}
    (tdir / "variants.json").write_text(json.dumps(variants))
    _, acount = run_stage(augment, described, path, f"augment/{seed}/{n}", batch_size=16)
    state = read(path)
    outcome: dict[str, Counter] = {"renamed": Counter(), "mutated": Counter()}
    for s in state.samples:
        if s.meta.get("augmented_from") in variants:
            outcome[variants[s.meta["augmented_from"]]]["kept"] += 1
    for d in state.drops:
        src = d.id.rsplit("~aug", 1)[0]
        if src in variants:
            outcome[variants[src]][d.reason] += 1
    return {"sampled": len(picked), "described": dcount.n_out, "augment_dropped": acount.dropped,
            "rewrites_asked": len(variants), "by_variant": {k: dict(v) for k, v in outcome.items()},
            "proof_fractions": proof_fractions(state.samples), "seconds": round(time.monotonic() - t0, 1)}


def _write_rewrites(augment, pending: list[Sample], script: Path, seed: int) -> dict[str, str]:
    """The augmentation script for the ``pending`` modules the stage will ask about (those whose
    differential bench the original passes: the same checks, answered from the result cache the second
    time), in order; returns sample id -> variant."""
    rng = random.Random(seed + 1)
    ready = [(s, d) for s in pending if not isinstance(d := augment._prepare(s), Dropped)]
    verdicts = augment.judge().judge_many([(full_text(s), d.bench) for s, d in ready])
    usable = [sd for sd, v in zip(ready, verdicts, strict=True) if v.passed]
    answers, variants = [], {}
    for k, (s, d) in enumerate(usable):
        code = mutated_rewrite(s.code, rng) if k % 2 else None
        variants[s.id] = "mutated" if code else "renamed"
        code = code or renamed_rewrite(s.code, s.top, {p.name for p in d.ports})
        answers.append(f"Here is the module again:\n```verilog\n{code}```\n")
    script.write_text(yaml.safe_dump({"responses": answers, "when_exhausted": "empty"}))
    return variants


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
    ap.add_argument("--teacher-sample", type=int, default=100, help="kept modules described and augmented (0: none)")
    ap.add_argument("--results", type=Path, default=Path(__file__).parent / "results" / "datasets_pipeline",
                    help="figures go to RESULTS.json and RESULTS.md ('' : not saved)")
    args = ap.parse_args()
    stages = [{"stage": s} for s in CORE if not (args.no_tools and s in TOOLS)]
    cfg = load_pipeline(None, data={"sources": [{"name": "corpus", "kind": "manifest", "limit": args.limit,
                                                 "path": "${shared}/rtl-corpus/manifest.jsonl"}],
                                    "stages": stages, "progress": True})
    t0 = time.monotonic()
    result = build(cfg, args.out)
    fig: dict = {"corpus_rows": args.limit or "all", "tools": not args.no_tools, "cores": os.cpu_count(),
                 "build_wall_s_this_run": round(time.monotonic() - t0, 1), "modules_kept": result.samples}
    counts = json.loads((args.out / "counts.json").read_text())
    fig["stages"] = counts
    print(f"\nbuild: {fig['build_wall_s_this_run']:.0f} s wall this run; {result.samples} modules kept")
    print(f"{'stage':<16}{'in':>7}{'out':>7}{'seconds':>10}{'in/s':>10}  top drops")
    for name, c in counts.items():
        top = ", ".join(f"{k} {v}" for k, v in Counter(c["dropped"]).most_common(3))
        print(f"{name:<16}{c['in']:>7}{c['out']:>7}{c['seconds']:>10.1f}{c['per_second'] or 0:>10.1f}  {top}")
    dd = next((c for k, c in counts.items() if k.endswith("-dedup")), None)
    if dd:
        exact, near = dd["dropped"].get("exact_duplicate", 0), dd["dropped"].get("near_duplicate", 0)
        fig["dedup"] = {"modules": dd["in"], "exact": exact, "near": near,
                        "exact_rate": round(exact / max(1, dd["in"]), 4), "near_rate": round(near / max(1, dd["in"]), 4)}
        print(f"dedup: exact {exact} ({exact / max(1, dd['in']):.1%}), near {near} ({near / max(1, dd['in']):.1%}) "
              f"of {dd['in']} modules")
    hits = [json.loads(line) for line in (args.out / "contamination.jsonl").read_text().splitlines()] \
        if (args.out / "contamination.jsonl").exists() else []
    per_task = {t: len({h["sample"] for h in hits if h["task"] == t}) for t in sorted({h["task"] for h in hits})}
    fig["contamination_samples_per_benchmark"] = per_task
    fig["contamination_hits_by_check"] = dict(Counter(h["check"] for h in hits))
    print("contamination (samples hit per benchmark):", per_task or "none")
    print("contamination by check:", fig["contamination_hits_by_check"])
    dedup_in = sorted(args.out.glob("*-dedup.jsonl"))
    if dedup_in:
        previous = sorted(args.out.glob("[0-9][0-9]-*.jsonl"))
        idx = previous.index(dedup_in[0])
        base = read(previous[idx - 1]).samples if idx > 0 else []
        one = dedup_seconds(base, args.out)
        many = dedup_seconds(_scaled(base, args.scale), args.out)
        fig["dedup_scaling"] = {"modules": len(base), "seconds": round(one, 2), "scale": args.scale,
                                "scaled_seconds": round(many, 2), "ratio": round(many / max(one, 1e-9), 2)}
        print(f"dedup time: {len(base)} modules {one:.1f} s; {args.scale}x ({len(base) * args.scale}) {many:.1f} s "
              f"(ratio {many / max(one, 1e-9):.1f} for {args.scale}x the data)")
    figures = teacher_figures(args.out, args.teacher_sample)
    if figures:
        fig["teacher"] = figures
        print("teacher stages:", json.dumps(figures, indent=1))
    if str(args.results):
        save(fig, args.results)


def save(fig: dict, base: Path) -> None:
    """``base.json`` (every figure) and ``base.md`` (the tables a reader wants)."""
    base.parent.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".json").write_text(json.dumps(fig, indent=1) + "\n")
    lines = ["# Datasets pipeline on the bundled corpus", "",
             f"`benchmarks/datasets_pipeline.py`, {fig['cores']} cores (shared), tools {'on' if fig['tools'] else 'off'}; "
             f"{fig['modules_kept']} modules kept.", "", "| stage | in | out | seconds | in/s | drops |", "|---|---|---|---|---|---|"]
    for name, c in fig["stages"].items():
        drops = ", ".join(f"{k} {v}" for k, v in Counter(c["dropped"]).most_common())
        lines.append(f"| {name} | {c['in']} | {c['out']} | {c['seconds']} | {c['per_second']} | {drops} |")
    if "dedup" in fig:
        d = fig["dedup"]
        lines += ["", f"Dedup: exact {d['exact']} ({d['exact_rate']:.1%}), near {d['near']} ({d['near_rate']:.1%}) "
                      f"of {d['modules']} modules."]
    if "dedup_scaling" in fig:
        d = fig["dedup_scaling"]
        lines += [f"Dedup time: {d['modules']} modules {d['seconds']} s; {d['scale']}x {d['scaled_seconds']} s "
                  f"(ratio {d['ratio']})."]
    lines += ["", f"Contamination, samples hit per benchmark: {fig['contamination_samples_per_benchmark'] or 'none'}; "
                  f"hits by check: {fig['contamination_hits_by_check'] or 'none'}."]
    if "teacher" in fig:
        t = fig["teacher"]
        lines += ["", "## Teacher stages (scripted teacher)", "",
                  f"{t['sampled']} kept modules sampled, {t['described']} described, {t['rewrites_asked']} rewrites "
                  f"asked; augment drops by reason: {t['augment_dropped']}.", "", "| rewrite | outcome |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in t["by_variant"].items()]
        lines += ["", "Fraction of augmented samples proved by each check: " +
                  ", ".join(f"{k} {v}" for k, v in t["proof_fractions"].items()) + "."]
    base.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
