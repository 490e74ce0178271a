"""Benchmark of ABC recipe search methods on the synth-bench validation designs.

    .venv/bin/python benchmarks/synth_recipes.py [--preset default|abc-rl] [--budget 100] [--seeds 3] [--quick]
        [--out DIR]

``--preset`` (``rtlgen.synth.presets``) picks the library, recipe length and prior: ``default`` is the
shipped sky130hd library (results in ``results/synth_recipes``), ``abc-rl`` ABC-RL's ASAP7 setting
(results in ``results/synth_recipes_abc-rl``). Per method, at equal budget (recipe evaluations) and
several seeds: geomean of adp / resyn2_adp, a per-design table, evaluations per second and the cec
verdict of every reported recipe; also the cost of one evaluation in a warm ABC session vs a cold
sandboxed process. Runs one thread per worker,
each with its own ABC session; results are appended to DIR/results.jsonl as they finish and a re-run
skips finished (design, method, seed) triples. Writes DIR/summary.json, DIR/report.md, DIR/adp_ratio.png.
``--quick`` leaves out the largest design (sin, ~0.9 s per evaluation), which dominates the run time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from rtlgen.sandbox import Job, Limits, default_sandbox, find_tool
from rtlgen.synth import METHODS, RESYN2, AbcSession, load_design, optimize
from rtlgen.synth.liberty import resolve_liberty
from rtlgen.synth.presets import PRESETS, Preset, get_preset
from rtlgen.synth.recipes import ACTIONS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "synth-bench"
RESULTS = Path(__file__).resolve().parent / "results"


def run_all(designs, methods, seeds, budget, preset: Preset, workers, out: Path) -> list[dict]:
    path = out / "results.jsonl"
    done = [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []
    finished = {(r["design"], r["method"], r["seed"], r["budget"]) for r in done}
    sizes = {d.name: len(d.aig_bytes()) for d in designs}
    tasks = [(d, m, s) for d in sorted(designs, key=lambda d: -sizes[d.name]) for s in range(seeds) for m in methods
             if (d.name, m, s, budget) not in finished]
    local, lock, sessions, resyn2 = threading.local(), threading.Lock(), [], {}
    prior, length = preset.load_prior(), preset.length

    def work(task):
        design, method, seed = task
        if not hasattr(local, "abc"):
            local.abc = AbcSession(preset.liberty_path())
            with lock:
                sessions.append(local.abc)
        if design.digest not in resyn2:
            resyn2[design.digest] = local.abc.evaluate(design, RESYN2)
        res = optimize(design, local.abc, method=method, budget=budget, seed=seed, length=length,
                       resyn2=resyn2[design.digest], prior=prior)
        rec = {**res.to_json(), "length": length, "preset": preset.name}
        with lock, path.open("a") as fh:
            fh.write(json.dumps(rec) + "\n")
        return rec

    out.mkdir(parents=True, exist_ok=True)
    try:
        with ThreadPoolExecutor(workers) as ex:
            futures = [ex.submit(work, t) for t in tasks]
            for fut in tqdm(as_completed(futures), total=len(futures), desc="searches"):
                done.append(fut.result())
    finally:
        for s in sessions:
            s.close()
    return [r for r in done if r["budget"] == budget and r["method"] in methods]


def warm_vs_cold(design_paths: list[Path], preset: Preset, n: int = 15) -> dict:
    """Seconds per evaluation of random recipes: warm session vs one cold sandboxed yosys-abc per recipe."""
    rng = random.Random(0)
    lib = resolve_liberty(preset.liberty_path())
    sb = default_sandbox()
    out = {}
    for p in design_paths:
        design = load_design(p)
        recipes = [[rng.choice(ACTIONS) for _ in range(10)] for _ in range(n)]
        with AbcSession(lib) as abc:
            abc.evaluate(design, ())  # session start and liberty read are paid once, outside the timing
            t0 = time.perf_counter()
            for r in recipes:
                abc.evaluate(design, r)
            warm = (time.perf_counter() - t0) / n
        t0 = time.perf_counter()
        for r in recipes:
            script = f"read_lib -w {lib}; read d.aig; strash; {'; '.join(r)}; print_stats; map; topo; stime"
            job = Job.single([find_tool("yosys-abc"), "-c", script], {"d.aig": design.aig_bytes()},
                             limits=Limits(wall_s=120), ro_paths=(str(lib),), cacheable=False)
            assert sb.run(job).ok
        cold = (time.perf_counter() - t0) / n
        out[design.name] = {"warm_s": warm, "cold_s": cold, "speedup": cold / warm}
    return out


def geomean(xs) -> float:
    return math.exp(statistics.fmean(math.log(x) for x in xs))


def summarise(records: list[dict], methods: list[str]) -> dict:
    designs = sorted({r["design"] for r in records})
    table = {m: {d: [r["adp_ratio"] for r in records if r["method"] == m and r["design"] == d] for d in designs}
             for m in methods}
    summary = {}
    for m in methods:
        rs = [r for r in records if r["method"] == m]
        per_design = {d: geomean(v) for d, v in table[m].items() if v}
        summary[m] = {
            "geomean_adp_ratio": geomean(per_design.values()) if per_design else None,
            "per_design": per_design,
            "evals_per_s": sum(r["evaluations"] for r in rs) / max(sum(r["wall_s"] for r in rs), 1e-9),
            "all_equivalent": all(r["equivalent"] for r in rs),
            "runs": len(rs),
        }
    for agent in ("retrieval", "agent"):
        if agent in summary and "random" in summary:
            wins = sum(summary[agent]["per_design"][d] < summary["random"]["per_design"][d] for d in designs
                       if d in summary["random"]["per_design"] and d in summary[agent]["per_design"])
            summary[f"{agent}_beats_random_on"] = f"{wins}/{len(designs)}"
    summary["resyn2_adp"] = {d: next(r["resyn2_adp"] for r in records if r["design"] == d) for d in designs}
    return summary


def write_report(out: Path, summary: dict, cost: dict, args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = [m for m in summary if isinstance(summary[m], dict) and "per_design" in summary[m]]
    designs = sorted({d for m in methods for d in summary[m]["per_design"]})
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(methods)
    for i, m in enumerate(methods):
        ax.bar([j + i * width for j in range(len(designs) + 1)],
               [summary[m]["per_design"].get(d, float("nan")) for d in designs] + [summary[m]["geomean_adp_ratio"]],
               width, label=m)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(designs) + 1)], designs + ["geomean"])
    ax.set_ylabel("ADP / resyn2 ADP (lower is better)")
    ax.set_title(f"ABC recipe search at budget {args.budget}, {args.seeds} seeds, length {args.length}")
    ax.legend(ncol=len(methods), fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "adp_ratio.png", dpi=120)
    lines = [f"# ABC recipe search: budget {args.budget}, {args.seeds} seeds, recipe length {args.length}", "",
             f"Preset `{args.preset}`: {get_preset(args.preset).source}.", "",
             "ADP / resyn2 ADP (geomean over seeds; lower is better). Every evaluation ran its recipe from the "
             "design itself; every reported recipe was cec-checked. "
             "Last row: resyn2's own ADP (area x delay in the library's units), the 1.000 of each column.", "",
             "| method | " + " | ".join(designs) + " | geomean | evals/s | all cec-equivalent |",
             "|---" * (len(designs) + 4) + "|"]
    for m in methods:
        s = summary[m]
        lines.append(f"| {m} | " + " | ".join(f"{s['per_design'].get(d, float('nan')):.3f}" for d in designs)
                     + f" | **{s['geomean_adp_ratio']:.3f}** | {s['evals_per_s']:.1f} | {s['all_equivalent']} |")
    lines.append("| resyn2 ADP | " + " | ".join(f"{summary['resyn2_adp'][d]:.4g}" for d in designs) + " | | | |")
    wins = "; ".join(f"{label} better than random search on {summary[f'{m}_beats_random_on']} designs"
                     for m, label in (("retrieval", "Retrieval agent"), ("agent", "online-model agent"))
                     if f"{m}_beats_random_on" in summary)
    lines += ["", (wins + ". " if wins else "") + "Held-out designs, 6 seeds and the best ratio each design allows: "
              "benchmarks/abc_rl_preset.py.", "", "## Cost per evaluation (random length-10 recipes, map; topo; stime)", "",
              "| design | warm session (ms) | cold sandboxed process (ms) | speed-up |", "|---|---|---|---|"]
    for d, c in cost.items():
        lines.append(f"| {d} | {1000 * c['warm_s']:.1f} | {1000 * c['cold_s']:.1f} | {c['speedup']:.1f}x |")
    lines += ["", "![ADP ratio per design](adp_ratio.png)", ""]
    (out / "report.md").write_text("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--preset", default="default", choices=sorted(PRESETS),
                    help="library, recipe length and prior (rtlgen.synth.presets)")
    ap.add_argument("--length", type=int, default=0, help="recipe length (0: the preset's)")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="leave out sin (the slowest design)")
    ap.add_argument("--data", type=Path, default=SHARED)
    ap.add_argument("--out", type=Path, default=None, help="default: results/synth_recipes[_PRESET]")
    args = ap.parse_args()
    preset = get_preset(args.preset)
    if args.length:
        preset = dataclasses.replace(preset, length=args.length)
    args.length = preset.length
    args.out = args.out or RESULTS / ("synth_recipes" + ("" if preset.name == "default" else f"_{preset.name}"))
    paths = sorted((args.data / "validation").glob("*.aig"))
    if args.quick:
        paths = [p for p in paths if p.stem != "sin"]
    designs = [load_design(p) for p in paths]
    methods = args.methods.split(",")
    t0 = time.time()
    records = run_all(designs, methods, args.seeds, args.budget, preset, args.workers, args.out)
    summary = summarise(records, methods)
    cost = warm_vs_cold([p for p in paths if p.stem in ("c432", "seq")], preset)
    summary["config"] = {"preset": preset.to_json(), "budget": args.budget, "seeds": args.seeds, "length": args.length,
                         "designs": len(designs), "wall_s": round(time.time() - t0, 1), "cost_per_eval": cost}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    write_report(args.out, summary, cost, args)
    print((args.out / "report.md").read_text())


if __name__ == "__main__":
    main()
