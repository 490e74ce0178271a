"""Proof on CPU that rtlgen's training loop learns: SFT, then GRPO, then ITERTL, on held-out family instances.

    .venv/bin/python benchmarks/train_proof.py [--out benchmarks/results/train_proof] [--quick]

Nothing is downloaded. A from-scratch tiny Llama (a few million parameters; byte-level BPE trained on the
shared RTL corpus and the training instances) learns the correct-by-construction families
(``rtlgen.datasets.families``, difficulties 1-2). Held-out instances share no circuit with the training ones.

1. pass@1 of the untrained model (about 0);
2. full SFT on the training solutions (``rtlgen.train.sft``), deliberately short, then pass@1;
3. GRPO with a LoRA from the SFT checkpoint on the strict simulation reward (``rtlgen.train.grpo``);
4. three ITERTL rounds from the GRPO model (verified samples plus the SFT data as replay) (``rtlgen.train.iterate``), pass@1 after each;
5. forging completions (a pass line printed by the design, an early ``$finish``, an instance of the
   reference) scored by the training reward after every phase: the failure value each time, and no pass
   in a strict ``rtlgen eval`` of them either (a naive reading of the log is shown passing one, for contrast).

Every pass@1 is greedy and goes through ``rtlgen eval``'s code path (``jsonl`` task, strict mode) on
``hf:MODEL?adapter=...``. Writes ``report.md`` with ``curves.png`` and ``results.json`` under ``--out``.
Measured (benchmarks/results/train_proof/): a ~1M-parameter model, 300 train / 60 held-out instances, pass@1
0.000 -> SFT 0.100 -> GRPO 0.133 -> ITERTL 0.167, 0.133, in ~39 min on a 2-core box whose load average was
10-21 from other jobs (about 20 min when it is quiet). The run is seeded; the machine is not. A re-run with
the same --out resumes: finished phases and evaluations are kept, training resumes from its checkpoints.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from rtlgen.config import load_config
from rtlgen.train import data as data_mod
from rtlgen.train.configs import EvalSettings, GrpoConfig, IterateConfig, SftConfig

FAILURE = 0.0  # SimulationReward's failure_value in every phase below


# -- data and model --------------------------------------------------------------------------------------------
def make_data(out: Path, families: list[str], n_train: int, n_heldout: int, seed: int,
              difficulty: tuple[int, int]) -> tuple[list, list]:
    from rtlgen.datasets.families import split_instances

    train, heldout = split_instances(seed, n_train, n_heldout, families, difficulty=difficulty)
    data_mod.write_jsonl([data_mod.instance_row(i) for i in train], out / "train.jsonl")
    data_mod.write_jsonl([data_mod.instance_row(i) for i in heldout], out / "heldout.jsonl")
    return train, heldout


def make_model(out: Path, train: list, corpus: Path, quick: bool) -> Path:
    from rtlgen.train.tiny import TinySpec, build_tiny_model

    spec = TinySpec(vocab_size=1024, hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128,
                    corpus_chars=200_000) if quick else \
        TinySpec(vocab_size=1024, hidden=128, layers=4, heads=4, kv_heads=4, intermediate=384,
                 corpus_chars=1_000_000)  # ~1M: a 2-core box shared with other jobs runs ~1.5 s per step of 16
    if (out / "config.json").exists():
        return out
    # the training instances are read 3 times so their phrases win merges over the corpus's comments
    return build_tiny_model(out, spec, corpus_dir=corpus, extra_texts=[i.spec + i.solution for i in train],
                            extra_repeat=3)


# -- forgeries --------------------------------------------------------------------------------------------------
def forgeries(row: dict) -> dict[str, str]:
    """Three designs that try to pass without computing: the header of the reference, then a forged body."""
    header = re.sub(r"\bmodule\s+RefModule\b", "module TopModule", row["reference"].split(");", 1)[0]) + ");\n"
    ports = re.findall(r"(?:input|output)\s+(?:reg\s+)?(?:\[[^\]]*\]\s*)?(\w+)", header)
    conns = ", ".join(f".{p}({p})" for p in ports)
    return {
        "pass_line": header + '  initial $display("Mismatches: 0 in 100 samples");\nendmodule\n',
        "early_finish": header + '  initial begin\n    $display("Mismatches: 0 in 1 samples");\n    $finish;\n'
                                 "  end\nendmodule\n",
        "reference_instance": header + f"  RefModule impostor ({conns});\nendmodule\n",
    }


def score_forgeries(rows: list[dict], phase: str, unsafe: bool) -> dict:
    """The training reward (strict, partial credit on) on every forgery of ``rows``; the naive rule for contrast."""
    from rtlgen.rewards.simulation import SimulationReward

    kinds = list(forgeries(rows[0]))
    items = [(k, r, forgeries(r)[k]) for r in rows for k in kinds]
    cols = {"testbench": [r["testbench"] for _, r, _ in items], "reference": [r["reference"] for _, r, _ in items]}
    strict = SimulationReward(unsafe=unsafe)([None] * len(items), [c for _, _, c in items], **cols)
    naive = SimulationReward(unsafe=unsafe, trust="naive")([None] * len(items), [c for _, _, c in items], **cols)
    by_kind = {k: [v for (kk, _, _), v in zip(items, strict, strict=True) if kk == k] for k in kinds}
    naive_kind = {k: [v for (kk, _, _), v in zip(items, naive, strict=True) if kk == k] for k in kinds}
    return {"phase": phase, "n": len(rows), "strict": by_kind, "naive_pass_line_max": max(naive_kind["pass_line"]),
            "all_failure": all(v == FAILURE for vs in by_kind.values() for v in vs)}


def eval_forgeries(out: Path, heldout: Path, rows: list[dict], unsafe: bool) -> dict:
    """The forgeries as a completions file through ``rtlgen eval`` (jsonl task, strict): pass@1 must be 0."""
    from rtlgen.evals.results import Mode
    from rtlgen.evals.runner import EvalConfig, run_eval
    from rtlgen.sandbox import Sandbox, SandboxConfig
    from rtlgen.sandbox.runner import Backend
    from rtlgen.train.evaluate import TASK_NAME, ensure_task

    ensure_task()
    comp = data_mod.write_jsonl([{"task_id": r["id"], "completion": list(forgeries(r).values())} for r in rows],
                                out / "forgeries.jsonl")
    sandbox = Sandbox(SandboxConfig(backend=Backend.UNSAFE_LOCAL), allow_unsafe=True) if unsafe else None
    summary = run_eval(EvalConfig(task=TASK_NAME, mode=Mode.STRICT, completions=str(comp), data_dir=str(heldout),
                                  samples=3, out=str(out / "forgeries_eval"), progress=False, robust=False,
                                  problems=tuple(r["id"] for r in rows)), sandbox=sandbox)
    return {"pass_at_1": summary["pass_at_1"], "samples": summary["samples_judged"],
            "categories": summary["categories"]}


# -- phases -----------------------------------------------------------------------------------------------------
def configs(root: Path, model: Path, quick: bool, unsafe: bool, eval_settings: dict) -> dict:
    ev = dict(eval_settings, unsafe=unsafe)
    sft = load_config(SftConfig, data={
        "model": str(model), "data": str(root / "train.jsonl"), "out": str(root / "sft"), "finetune": "full",
        # from scratch: a high rate, and few enough steps that SFT leaves room for the later phases
        "train": {"lr": 2e-3, "max_steps": 40 if quick else 300, "batch_size": 16, "warmup_ratio": 0.05,
                  "save_steps": 100, "logging_steps": 10, "max_length": 512}, "eval": ev})
    grpo = load_config(GrpoConfig, data={
        "model": str(root / "sft" / "model"), "data": str(root / "rl.jsonl"), "out": str(root / "grpo"),
        "finetune": "lora", "lora": {"r": 16, "alpha": 32}, "merge": True,
        "rewards": [{"name": "simulation", "options": {"unsafe": unsafe}}],
        "train": {"lr": 5e-4, "max_steps": 4 if quick else 50, "batch_size": 16, "save_steps": 10,
                  "logging_steps": 2, "warmup_ratio": 0.0},
        "num_generations": 8, "beta": 0.0, "clip": {"epsilon": 0.2, "epsilon_high": 0.28}, "loss_type": "dapo",
        "temperature": 1.0, "max_completion_length": 128, "eval": ev})
    iterate = load_config(IterateConfig, data={
        "model": str(root / "grpo" / "model"), "data": str(root / "rl.jsonl"), "out": str(root / "iterate"),
        # ITERTL trains each round on its verified samples plus the original SFT data: without that replay a
        # round's few dozen rows pulled the held-out rate down in round 2 (measured: 0.167 -> 0.133)
        "seed_data": str(root / "train.jsonl"),
        "rounds": 3, "sampling": {"k": 2 if quick else 4, "temperature": 0.8,
                                                  "max_new_tokens": 128, "batch_size": 32},
        "max_per_prompt": 2, "finetune": "lora", "lora": {"r": 16, "alpha": 32}, "unsafe": unsafe,
        # a round keeps a few dozen rows: 2 epochs were 4-6 steps and moved nothing (measured); 6 epochs do
        "train": {"lr": 5e-4, "max_steps": 0, "epochs": 6.0, "batch_size": 16, "save_steps": 50,
                  "logging_steps": 5}, "eval": ev})
    return {"sft": sft, "grpo": grpo, "iterate": iterate}


def heldout_eval(name: str, base: str, adapter: str | None, settings: EvalSettings, out: Path) -> dict:
    from rtlgen.train.evaluate import evaluate_heldout

    r = evaluate_heldout(base, adapter, settings, out / "eval" / name)
    print(f"[{name}] pass@1 = {r.pass_at_1:.3f} ({r.passed}/{r.n} held-out problems)", flush=True)
    return {"phase": name, "pass_at_1": r.pass_at_1, "n": r.n, "passed": r.passed, "categories": r.categories,
            "command": r.command}


def log_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# -- report -----------------------------------------------------------------------------------------------------
def plot(out: Path, results: dict) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    sft = [r for r in log_rows(out / "sft" / "log.jsonl") if "loss" in r]
    axes[0].plot([r["step"] for r in sft], [r["loss"] for r in sft])
    axes[0].set(title="SFT: training loss (completion tokens)", xlabel="step", ylabel="loss")
    grpo = [r for r in log_rows(out / "grpo" / "log.jsonl") if "reward" in r]
    axes[1].plot([r["step"] for r in grpo], [r["reward"] for r in grpo], label="mean reward")
    key = "rewards/simulation/mean"
    axes[1].plot([r["step"] for r in grpo], [r.get("frac_reward_zero_std", 0) for r in grpo], ":",
                 label="groups with zero reward spread")
    axes[1].set(title=f"GRPO: {key} per step", xlabel="step", ylim=(0, 1.05))
    axes[1].legend()
    phases = results["phases"]
    axes[2].plot(range(len(phases)), [p["pass_at_1"] for p in phases], "o-", label="held-out pass@1")
    rounds = results.get("rounds", [])
    if rounds:
        xs = [len(phases) - len(rounds) + i for i in range(len(rounds))]
        axes[2].plot(xs, [r["kept"] / max(1, r["sampled"]) for r in rounds], "s--",
                     label="ITERTL: verified share of samples")
    axes[2].set_xticks(range(len(phases)), [p["phase"] for p in phases], rotation=30)
    axes[2].set(title=f"pass@1 on {phases[0]['n']} held-out problems", ylim=(0, 1.05))
    axes[2].legend()
    fig.tight_layout()
    path = out / "curves.png"
    fig.savefig(path, dpi=90)
    return path


def report(out: Path, results: dict) -> Path:
    lines = ["# Training proof on CPU (tiny from-scratch model, held-out family instances)", "",
             f"Model: {results['params']:,} parameters; families {', '.join(results['families'])} (difficulty "
             f"{'-'.join(map(str, results['difficulty']))}); "
             f"{results['n_train']} training and {results['n_heldout']} held-out instances (no shared circuit). "
             f"Wall time {results['wall_s'] / 60:.1f} min.", "",
             "| phase | held-out pass@1 | passed / n |", "|---|---|---|"]
    lines += [f"| {p['phase']} | {p['pass_at_1']:.3f} | {p['passed']} / {p['n']} |" for p in results["phases"]]
    lines += ["", "![reward and pass-rate curves](curves.png)", "", "## ITERTL rounds", "",
              "| round | sampled | prompts solved | kept | train rows | pass@1 |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['round']} | {r['sampled']} | {r['prompts_solved']} | {r['kept']} | {r['train_rows']} | "
              f"{r.get('pass_at_1', float('nan')):.3f} |" for r in results.get("rounds", [])]
    lines += ["", "## Forging completions", "",
              "Training reward (strict judge, partial credit on) of each forgery, per phase; failure value = 0.0.", "",
              "| phase | pass line printed | early $finish | reference instance | all failure? |",
              "|---|---|---|---|---|"]
    for f in results["forgeries"]:
        s = f["strict"]
        lines.append(f"| {f['phase']} | max {max(s['pass_line'])} | max {max(s['early_finish'])} | "
                     f"max {max(s['reference_instance'])} | {'yes' if f['all_failure'] else 'NO'} |")
    fe = results.get("forgeries_eval", {})
    lines += ["", f"Strict ``rtlgen eval`` (jsonl task) of all forgeries: pass@1 {fe.get('pass_at_1')} over "
                  f"{fe.get('samples')} samples, categories {fe.get('categories')}. The printed pass line earns "
                  "exactly what the same design without the print earns (its outputs are undriven: 0.0); read "
                  f"naively (``trust=naive``) the best forgery reward was {results['forgeries'][0]['naive_pass_line_max']}.",
              "", "Each pass@1 is reproduced by the command in results.json (`command`)."]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


# -- main -------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="benchmarks/results/train_proof")
    # difficulty 1 alone has 4 distinct counters and 4 shift registers: a held-out one then has a width no
    # training one has. Difficulties 1-2 give each family enough variety for held-out to be in distribution.
    ap.add_argument("--families", default="arithmetic,counter,shift_register,truth_table")
    ap.add_argument("--difficulty", default="1,2", help="low,high difficulty of the instances")
    ap.add_argument("--n-train", type=int, default=300)
    ap.add_argument("--n-heldout", type=int, default=60)
    ap.add_argument("--n-rl", type=int, default=120, help="training prompts used by GRPO and ITERTL")
    ap.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared" / "rtl-corpus" / "files"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="a tiny smoke run (minutes), not the proof")
    ap.add_argument("--unsafe", action="store_true", help="simulate without bwrap (trusted machine only)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads; on a shared 2-core box one "
                    "thread is ~10x faster than two (two spin against the simulations and each other)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    t0 = time.monotonic()
    root = Path(args.out)
    root.mkdir(parents=True, exist_ok=True)
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    low, _, high = args.difficulty.partition(",")
    difficulty = (int(low), int(high or low))
    train, heldout = make_data(root, families, args.n_train, args.n_heldout, args.seed, difficulty)
    rl_rows = [data_mod.instance_row(i) for i in train[: args.n_rl]]
    data_mod.write_jsonl(rl_rows, root / "rl.jsonl")
    heldout_rows = data_mod.load_rows(root / "heldout.jsonl")
    model = make_model(root / "tiny", train, Path(args.corpus), args.quick)
    from rtlgen.train.tiny import parameter_count

    results: dict = {"families": families, "difficulty": list(difficulty), "n_train": len(train), "n_heldout": len(heldout),
                     "params": parameter_count(model), "phases": [], "forgeries": []}
    print(f"tiny model: {results['params']:,} parameters; {len(train)} train / {len(heldout)} held-out", flush=True)
    settings = {"data": str(root / "heldout.jsonl"), "max_new_tokens": 128, "batch_size": 25}
    cfg = configs(root, model, args.quick, args.unsafe, settings)
    ev = cfg["sft"].eval
    sample_rows = heldout_rows[:10]

    results["phases"].append(heldout_eval("untrained", str(model), None, ev, root))
    results["forgeries"].append(score_forgeries(sample_rows, "untrained", args.unsafe))

    from rtlgen.train.grpo import run_grpo
    from rtlgen.train.iterate import run_iterate
    from rtlgen.train.sft import run_sft

    sft = run_sft(replace_eval(cfg["sft"]))
    results["phases"].append(heldout_eval("sft", sft["base"], sft["adapter"], ev, root))
    results["forgeries"].append(score_forgeries(sample_rows, "sft", args.unsafe))

    grpo = run_grpo(replace_eval(cfg["grpo"]))
    results["phases"].append(heldout_eval("grpo", grpo["base"], grpo["adapter"], ev, root))
    results["forgeries"].append(score_forgeries(sample_rows, "grpo", args.unsafe))

    it = run_iterate(cfg["iterate"])
    results["rounds"] = it["rounds"]
    for r in it["rounds"]:
        results["phases"].append({"phase": f"itertl {r['round']}", "pass_at_1": r["pass_at_1"],
                                  "n": r["n_heldout"], "passed": round(r["pass_at_1"] * r["n_heldout"]),
                                  "categories": {}, "command": ""})
        print(f"[itertl {r['round']}] pass@1 = {r['pass_at_1']:.3f} (n={r['n_heldout']}); kept {r['kept']} "
              f"of {r['sampled']} samples", flush=True)
    results["forgeries"].append(score_forgeries(sample_rows, "itertl", args.unsafe))
    results["forgeries_eval"] = eval_forgeries(root, root / "heldout.jsonl", sample_rows, args.unsafe)
    results["wall_s"] = round(time.monotonic() - t0, 1)
    (root / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(root, results)
    print(f"report: {report(root, results)}  ({results['wall_s'] / 60:.1f} min)")
    for p in results["phases"]:
        print(f"  {p['phase']:<10} pass@1 {p['pass_at_1']:.3f}  n={p['n']}")
    return results


def replace_eval(cfg):
    """The phase's own end-of-training evaluation is skipped: the benchmark evaluates each phase itself,
    under eval/<phase>, with one set of settings."""
    import dataclasses

    return dataclasses.replace(cfg, eval=dataclasses.replace(cfg.eval, data=""))


if __name__ == "__main__":
    main()
