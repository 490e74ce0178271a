"""Does a recipe that is good on one design carry over to another? The ASAP7 (abc-rl preset) evidence.

    .venv/bin/python benchmarks/recipe_transfer.py [--per-design 1200] [--max-ands 4000] [--workers 2]

Issue 13 asks the recipe agent for more than ABC-RL's 20.9% mean ADP reduction at a budget of 100 and
suggests a bigger evaluation log for the prior. This measures what any prior could give, on the training
designs only (synth-bench/train, <= ``--max-ands`` AND nodes; validation designs are not touched):

1. ``matrix.jsonl``: the same ``--per-design`` random length-10 recipes evaluated on every design
   (``rtlgen.synth.prior.collect(shared=True)``, resumable; about 30 minutes on 2 cores for 19 x 1,200).
2. Transfer: the rank correlation of two designs' recipe values (all pairs, and each design with its
   nearest training design by the retrieval embedding), and, leaving each design out, the best of P
   recipes chosen from the others (a greedy portfolio; the nearest design's best P; 10 random probes
   then the designs whose values on the probes correlate best) against the best of P random ones.
3. Within a design: held-out rank correlation of ridge models (action counts; position x action; plus
   bigrams) fitted on 60 recipes and on 80% of the design's recipes.
4. ``decompose.jsonl``: on 5 designs, 150 random recipes and a one-step change of each, with mapped area
   and delay: how much of the log-ADP variance is delay, whether AIG levels predict it, and how well a
   recipe's value predicts its one-step neighbour's.

Results: ``results/recipe_transfer/summary.json`` and ``report.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

import numpy as np
from scipy.stats import pearsonr, spearmanr

from rtlgen.synth import RESYN2, AbcSession, load_design
from rtlgen.synth.embedding import distances, embed_aiger
from rtlgen.synth.presets import get_preset, shared_dir
from rtlgen.synth.prior import TRAIN_LENGTH, _features, collect, train_designs
from rtlgen.synth.recipes import from_actions

OUT = Path(__file__).resolve().parent / "results" / "recipe_transfer"
DECOMPOSE = ("apex5", "b2", "c2670", "i7", "max512")
N_ACT = 7


def load_matrix(path: Path) -> tuple[list[str], np.ndarray, list[tuple[int, ...]]]:
    """(designs, log(adp / resyn2) matrix over the recipes every design has, those recipes)."""
    ref, vals = {}, {}
    for line in path.read_text().splitlines():
        r = json.loads(line)
        if r["actions"] is None:
            ref[r["design"]] = r["adp"]
        else:
            vals.setdefault(r["design"], {})[tuple(r["actions"])] = r["adp"]
    names = sorted(n for n in vals if n in ref)
    common = sorted(set.intersection(*(set(vals[n]) for n in names)))
    random.Random(0).shuffle(common)  # fit/test splits below are by position: no lexicographic bias
    m = np.array([[math.log(vals[n][k] / ref[n]) for k in common] for n in names])
    return names, m, common


def greedy_portfolio(m: np.ndarray, p: int) -> list[int]:
    """P recipes that together minimise the sum over designs of the best one's value."""
    chosen, cur = [], np.full(m.shape[0], np.inf)
    for _ in range(p):
        j = int(np.argmin(np.minimum(cur[:, None], m).sum(axis=0)))
        chosen.append(j)
        cur = np.minimum(cur, m[:, j])
    return chosen


def transfer(names: list[str], m: np.ndarray, keys: np.ndarray, rng: np.random.Generator) -> dict:
    d, r = m.shape
    rho = np.array([[spearmanr(m[i], m[j])[0] for j in range(d)] for i in range(d)])
    off = rho[~np.eye(d, dtype=bool)]
    nearest = [next(j for j in np.argsort(distances(keys[i], keys)) if j != i) for i in range(d)]
    out = {"designs": d, "recipes": r, "spearman_pairs_mean": float(off.mean()), "spearman_pairs_max": float(off.max()),
           "spearman_nearest_mean": float(np.mean([rho[i, nearest[i]] for i in range(d)])), "best_of_p": {}}
    for p in (10, 20, 50):
        rows = {k: [] for k in ("random", "portfolio", "nearest_top", "probe_knn")}
        for i in range(d):
            others = [j for j in range(d) if j != i]
            rows["random"].append(np.mean([m[i, rng.choice(r, p, replace=False)].min() for _ in range(300)]))
            rows["portfolio"].append(m[i, greedy_portfolio(m[others], p)].min())
            # many recipes tie on a design (same ADP): average over random orders among equal values
            rows["nearest_top"].append(np.mean([m[i, perm[np.argsort(m[nearest[i], perm], kind="stable")[:p]]].min()
                                                for perm in (rng.permutation(r) for _ in range(50))]))
            runs = []
            for _ in range(20):
                probe = [int(x) for x in rng.choice(r, 10, replace=False)]
                w = np.array([max(spearmanr(m[i, probe], m[o, probe])[0], 0.0) for o in others]) + 1e-9
                centred = m[others] - m[others].mean(axis=1, keepdims=True)
                pred = (w[:, None] * centred).sum(axis=0) / w.sum()
                pick = [int(c) for c in np.argsort(pred) if c not in probe][:p - 10]
                runs.append(m[i, probe + pick].min())
            rows["probe_knn"].append(np.mean(runs))
        out["best_of_p"][p] = {k: math.exp(float(np.mean(v))) for k, v in rows.items()}
    out["pool_best"] = math.exp(float(m.min(axis=1).mean()))
    return out


def features(recipes: np.ndarray, kind: str) -> np.ndarray:
    """Action counts, or the prior's own encoding (``rtlgen.synth.prior._features``): position x action one-hots,
    then previous-action x action ones."""
    if kind == "counts":
        return np.stack([(recipes == a).sum(axis=1) for a in range(N_ACT)], axis=1).astype(float)
    x = np.stack([_features(list(r)) for r in recipes])
    return x[:, :TRAIN_LENGTH * N_ACT] if kind == "position" else x


def within(m: np.ndarray, common: list[tuple[int, ...]]) -> dict:
    recipes = np.array(common)
    train = int(0.8 * len(common))
    out = {}
    for kind in ("counts", "position", "position+bigram"):
        x = features(recipes, kind)
        for n, lam in ((60, 10.0), (train, 3.0)):
            rho = []
            for y in m:
                w = np.linalg.solve(x[:n].T @ x[:n] + lam * np.eye(x.shape[1]), x[:n].T @ (y[:n] - y[:n].mean()))
                rho.append(spearmanr(x[train:] @ w, y[train:])[0])
            out[f"{kind}@{'60' if n == 60 else 'all'}"] = float(np.mean(rho))
    out["fit_size_all"] = train
    return out


def decompose(path: Path, train_dir: Path, liberty) -> dict:
    done = {json.loads(x)["design"] for x in path.read_text().splitlines()} if path.exists() else set()
    with AbcSession(liberty) as abc:
        for name in DECOMPOSE:
            if name in done:
                continue
            design, rng, rows = load_design(train_dir / f"{name}.aig"), random.Random(7), []
            for _ in range(150):
                a = [rng.randrange(N_ACT) for _ in range(10)]
                b, i = list(a), rng.randrange(10)
                b[i] = (b[i] + rng.randrange(1, N_ACT)) % N_ACT
                qa, qb = abc.evaluate(design, from_actions(a)), abc.evaluate(design, from_actions(b))
                rows.append({"design": name, "a": a, "b": b, "qa": qa.to_json(), "qb": qb.to_json()})
            with path.open("a") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in rows)
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    out = {}
    for name in DECOMPOSE:
        rs = [r for r in rows if r["design"] == name]
        la, ld = (np.log([r["qa"][k] for r in rs]) for k in ("area", "delay"))
        adp_a, adp_b = np.log([r["qa"]["adp"] for r in rs]), np.log([r["qb"]["adp"] for r in rs])
        out[name] = {"var_log_area": float(la.var()), "var_log_delay": float(ld.var()),
                     "var_log_adp": float(adp_a.var()),
                     "spearman_levels_delay": float(spearmanr([r["qa"]["levels"] for r in rs], ld)[0]),
                     "neighbour_pearson_adp": float(pearsonr(adp_a, adp_b)[0])}
    return out


def report(s: dict) -> str:
    t, w = s["transfer"], s["within"]
    lines = ["# Recipe transfer between designs (ASAP7, abc-rl preset actions, length 10)", "",
             f"{t['designs']} training designs x {t['recipes']} common random recipes, values log(ADP / resyn2 ADP).",
             "", f"- Rank correlation of two designs' recipe values: mean {t['spearman_pairs_mean']:.3f} over all "
             f"pairs (max {t['spearman_pairs_max']:.3f}); with the nearest design by the retrieval embedding "
             f"{t['spearman_nearest_mean']:.3f}.", "",
             "Best of P recipes on a left-out design (geomean ADP / resyn2; the designs' best of all recipes: "
             f"{t['pool_best']:.3f}):", "",
             "| P | random | greedy portfolio of the others | nearest design's best P | 10 probes, then best of the "
             "designs that rank them alike |", "|---|---|---|---|---|"]
    for p, v in t["best_of_p"].items():
        lines.append(f"| {p} | {v['random']:.3f} | {v['portfolio']:.3f} | {v['nearest_top']:.3f} | {v['probe_knn']:.3f} |")
    lines += ["", f"Within a design, held-out rank correlation of ridge models (fitted on 60 recipes / on "
              f"{w['fit_size_all']}): " + ", ".join(f"{k} {v:.2f}" for k, v in w.items() if k != "fit_size_all"), "",
              "| design | var log area | var log delay | var log ADP | Spearman(AIG levels, delay) | "
              "one-step neighbour Pearson (log ADP) |", "|---|---|---|---|---|---|"]
    for name, v in s["decompose"].items():
        lines.append(f"| {name} | {v['var_log_area']:.4f} | {v['var_log_delay']:.4f} | {v['var_log_adp']:.4f} | "
                     f"{v['spearman_levels_delay']:.2f} | {v['neighbour_pearson_adp']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-design", type=int, default=1200)
    ap.add_argument("--max-ands", type=int, default=4000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    liberty = get_preset("abc-rl").liberty_path()
    train_dir = shared_dir() / "synth-bench" / "train"
    designs = train_designs(train_dir, args.max_ands)
    args.out.mkdir(parents=True, exist_ok=True)
    collect(designs, args.out / "matrix.jsonl", per_design=args.per_design, workers=args.workers, liberty=liberty,
            shared=True)
    names, m, common = load_matrix(args.out / "matrix.jsonl")
    by_name = {d.name: d for d in designs}
    raw = np.stack([embed_aiger(by_name[n].aig_bytes()) for n in names])
    keys = (raw - raw.mean(axis=0)) / np.where(raw.std(axis=0) < 1e-6, 1.0, raw.std(axis=0))
    summary = {"designs": names, "transfer": transfer(names, m, keys, np.random.default_rng(0)),
               "within": within(m, common), "decompose": decompose(args.out / "decompose.jsonl", train_dir, liberty),
               "baseline": " ".join(RESYN2)}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1))
    text = report(summary)
    (args.out / "report.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
