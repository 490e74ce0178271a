"""Proof on CPU that rtlgen's training loop learns: SFT, then GRPO, then ITERTL, on held-out family instances.

    .venv/bin/python benchmarks/train_proof.py [--out benchmarks/results/train_proof] [--quick]
        [--set grpo.train.max_steps=80 --set iterate.sampling.k=8 ...]

Nothing is downloaded. A from-scratch tiny Llama (~1M parameters; byte-level BPE, digits split, trained on
the shared RTL corpus and the SFT instances) learns correct-by-construction families
(``rtlgen.datasets.families``). Three disjoint sets of instances, no circuit shared: SFT rows (spec and
solution), RL prompts (spec and testbench only: no solution is ever shown for them) and held-out problems.

1. pass@1 of the untrained model (0);
2. full SFT on the SFT rows (``rtlgen.train.sft``), stopped while the held-out rate still climbs;
3. GRPO with a LoRA from the SFT model on the RL prompts it solves sometimes (1-7 of 8 samples: the prompt
   filter), strict pass-only simulation reward, 180 steps (``rtlgen.train.grpo``), measured greedily like every
   phase and also as GRPO trains: pass@1 from 20 sampled completions per problem
   (VerilogEval's setting), SFT against GRPO by a paired sign-flip permutation test;
4. ITERTL rounds from the GRPO model (``rtlgen.train.iterate``): sample k per RL prompt, keep what the judge
   verifies, fine-tune the previous round's model on it plus the SFT rows (replay);
5. forging completions (a pass line printed by the design, an early ``$finish``, an instance of the
   reference) scored by the training reward after every phase: the failure value each time, and no pass
   in a strict ``rtlgen eval`` of them either (a naive reading of the log is shown for contrast).

Every pass@1 (greedy, or sampled where it says so) goes through ``rtlgen eval``'s code path (``jsonl`` task,
strict mode) on ``hf:MODEL?adapter=...``. Each phase is compared with the one before on the same held-out
problems: the problems gained and lost and the exact McNemar p-value, with a Wilson 95% interval per phase. Writes
``report.md`` with ``curves.png`` and ``results.json`` under ``--out``; ``--set PHASE.KEY=VALUE`` overrides
a phase's config (``sft``, ``grpo``, ``iterate``), as ``rtlgen train`` does. A re-run with the same --out
resumes: finished phases and evaluations are kept, training resumes from its checkpoints.
Measured: see benchmarks/results/train_proof/report.md (figures in README.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import resource
import time
from pathlib import Path

from rtlgen.config import load_config
from rtlgen.train import data as data_mod
from rtlgen.train.configs import EvalSettings, GrpoConfig, IterateConfig, SftConfig
from rtlgen.train.evaluate import paired_rate_test, paired_test, wilson_interval

FAILURE = 0.0  # SimulationReward's failure_value in every phase below
ALPHA = 0.05  # a gain counts as significant below this p-value (McNemar, or the sign-flip test when sampled)
PHASES = {"sft": SftConfig, "grpo": GrpoConfig, "iterate": IterateConfig}


# -- data and model --------------------------------------------------------------------------------------------
def spread(items: list, n: int) -> tuple[list, list]:
    """(rest, picked): ``n`` items picked evenly through ``items`` (so both keep its family mix)."""
    step = len(items) / max(1, n)
    idx = {int(i * step) for i in range(min(n, len(items)))}
    return [x for i, x in enumerate(items) if i not in idx], [x for i, x in enumerate(items) if i in idx]


def make_data(out: Path, families: list[str], n_train: int, n_rl: int, n_heldout: int, seed: int,
              difficulty: tuple[int, int]) -> tuple[list, list, list]:
    """SFT instances, RL prompts and held-out problems, no circuit in two of them; written as JSONL."""
    from rtlgen.datasets.families import split_instances

    train, heldout = split_instances(seed, n_train + n_rl, n_heldout, families, difficulty=difficulty)
    sft, rl = spread(train, n_rl)
    for name, insts in (("train", sft), ("rl", rl), ("heldout", heldout)):
        rows = [data_mod.instance_row(i) for i in insts]
        if name == "rl":  # no solution to learn from: the reference stays only because the testbench instantiates it
            rows = [{k: v for k, v in r.items() if k != "completion"} for r in rows]
        data_mod.write_jsonl(rows, out / f"{name}.jsonl")
    return sft, rl, heldout


def make_model(out: Path, train: list, corpus: Path, quick: bool) -> Path:
    from rtlgen.train.tiny import TinySpec, build_tiny_model

    spec = TinySpec(vocab_size=1024, hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128,
                    corpus_chars=200_000) if quick else \
        TinySpec(vocab_size=1024, hidden=128, layers=4, heads=4, kv_heads=4, intermediate=384,
                 corpus_chars=1_000_000)  # ~1M: about 1 s per SFT step of 16 on one core
    if (out / "config.json").exists():
        return out
    # the SFT instances are read 3 times so their phrases win merges over the corpus's comments; the RL
    # prompts and held-out problems are not read at all
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
def configs(root: Path, model: Path, quick: bool, unsafe: bool, eval_settings: dict,
            overrides: dict[str, list[str]]) -> dict:
    ev = dict(eval_settings, unsafe=unsafe)
    sft = {
        "model": str(model), "data": str(root / "train.jsonl"), "out": str(root / "sft"), "finetune": "full",
        # from scratch: a high rate. The held-out rate still climbs steeply at 300 steps (measured along one
        # 500-step run: 300 steps 50/200, 400 steps 68/200, 500 steps 90/200): SFT is stopped short on purpose
        "train": {"lr": 2e-3, "max_steps": 40 if quick else 300, "batch_size": 16, "warmup_ratio": 0.05,
                  "save_steps": 100, "logging_steps": 10, "max_length": 512}, "eval": ev}
    # LoRA (the default) at 5e-4, 4 prompts x 8 rollouts a step. Measured from SFT models at 37-90/200:
    # full-weight GRPO (lr 2e-4-1e-3) and LoRA at 1e-3 lost 9-90 held-out problems; LoRA at 5e-4 with group 16,
    # batch scaling, KL 0.04, T 0.7 or 150 steps moved the greedy rate by -16..+3 while the rollouts' reward rose:
    # never a significant greedy gain. Sampled pass@1 (what GRPO optimises, VerilogEval's pass@1) over 14 runs
    # (results/train_proof/grpo_runs.json): on all 300 RL prompts for 60 steps with partial credit the training
    # reward stays flat and the change is -0.001..+0.028 (2 of 5 runs p < 0.1). Training only on the RL prompts the
    # SFT model solves in 1-7 of 8 samples (prompt_filter.samples=8, ~70-115 of 300 kept) for 180 steps, the reward
    # rises and every run gains: split 1 +0.057 (p 0.0003), +0.041 (p 0.007); split 0 +0.014, +0.013, +0.017 with 10
    # samples per problem (p 0.05-0.44) and, pass-only reward, +0.035 with 40 samples (p 1e-5). So the proof filters,
    # trains 180 steps on the pass-only reward and samples 20 completions per problem (~14 min more than 60 steps).
    grpo = {
        "model": str(root / "sft" / "model"), "data": str(root / "rl.jsonl"), "out": str(root / "grpo"),
        "finetune": "lora", "lora": {"r": 16, "alpha": 32}, "merge": True,
        "rewards": [{"name": "simulation", "options": {"unsafe": unsafe, "shaped": False}}],
        "prompt_filter": {"samples": 0 if quick else 8},
        "train": {"lr": 5e-4, "max_steps": 4 if quick else 180, "batch_size": 32, "save_steps": 20,
                  "logging_steps": 2, "warmup_ratio": 0.0},
        "num_generations": 8, "beta": 0.0, "clip": {"epsilon": 0.2, "epsilon_high": 0.28}, "loss_type": "dapo",
        "temperature": 1.0, "max_completion_length": 128, "eval": ev}
    iterate = {
        "model": str(root / "grpo" / "model"), "data": str(root / "rl.jsonl"), "out": str(root / "iterate"),
        # each round trains the previous round's model on all verified samples so far plus the SFT rows (replay).
        # Measured from a 37/200 SFT model: 78 verified rows alone, 15 steps, fell to 15/200; with the replay,
        # 37 steps, 41/200. From a 90/200 model a LoRA round (lr 5e-4, 44 steps) moved nothing (90 -> 90).
        # So the rounds train every weight, at the SFT rate, for 2 epochs (~80-100 steps)
        "seed_data": str(root / "train.jsonl"), "from_previous": True,
        "rounds": 3, "sampling": {"k": 2 if quick else 4, "temperature": 0.8, "max_new_tokens": 128,
                                  "batch_size": 32},
        "max_per_prompt": 2, "finetune": "full", "unsafe": unsafe,
        "train": {"lr": 2e-3, "max_steps": 4 if quick else 0, "epochs": 2.0, "batch_size": 16, "warmup_ratio": 0.05,
                  "save_steps": 50, "logging_steps": 5}, "eval": ev}
    data = {"sft": sft, "grpo": grpo, "iterate": iterate}
    return {name: load_config(PHASES[name], data=data[name], overrides=overrides.get(name, ())) for name in PHASES}


def split_overrides(pairs: list[str]) -> dict[str, list[str]]:
    """``--set grpo.train.lr=1e-4`` as {"grpo": ["train.lr=1e-4"]}; an unknown phase is a one-line error."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        phase, _, rest = pair.partition(".")
        if phase not in PHASES or not rest:
            raise SystemExit(f"--set {pair!r}: must be PHASE.KEY=VALUE with PHASE one of {', '.join(PHASES)}")
        out.setdefault(phase, []).append(rest)
    return out


class Clock:
    """Wall and CPU seconds (this process and its children that ended) of each phase: a phase whose wall time
    far exceeds its CPU time waited (another job on the cores, or a paused process)."""

    def __init__(self) -> None:
        self.times: dict[str, dict] = {}

    @staticmethod
    def now() -> tuple[float, float]:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.monotonic(), own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    def run(self, name: str, fn, *args):
        wall0, cpu0 = self.now()
        result = fn(*args)
        wall1, cpu1 = self.now()
        self.times[name] = {"wall_s": round(wall1 - wall0, 1), "cpu_s": round(cpu1 - cpu0, 1)}
        return result


def phase_record(name: str, passed_ids, n: int, command: str = "") -> dict:
    passed = len(passed_ids)
    lo, hi = wilson_interval(passed, n)
    print(f"[{name}] pass@1 = {passed / max(1, n):.3f} ({passed}/{n} problems)", flush=True)
    return {"phase": name, "pass_at_1": passed / max(1, n), "n": n, "passed": passed, "wilson95": [lo, hi],
            "passed_ids": sorted(passed_ids), "command": command}


def heldout_eval(name: str, base: str, adapter: str | None, settings: EvalSettings, out: Path,
                 folder: str = "") -> dict:
    from rtlgen.train.evaluate import evaluate_heldout

    r = evaluate_heldout(base, adapter, settings, out / "eval" / (folder or name))
    if r.samples > 1:
        print(f"[{name}, {r.samples} samples] pass@1 = {r.pass_at_1:.4f}", flush=True)
        return {"phase": name, "pass_at_1": r.pass_at_1, "n": r.n, "samples": r.samples, "rates": dict(r.rates),
                "problems_passed": r.passed, "command": r.command}
    return dict(phase_record(name, r.passed_ids, r.n, r.command), categories=r.categories)


def compare_sampled(sampled: list[dict]) -> dict:
    """SFT against GRPO on the sampled pass@1: per-problem pass fractions, sign-flip permutation p-value."""
    before, after = sampled
    return dict(paired_rate_test(before["rates"], after["rates"]), samples=after["samples"])


def compare(phases: list[dict]) -> list[dict]:
    """Each phase against the one before it, and the three claims' spans, on the same held-out problems."""
    for before, after in zip(phases, phases[1:], strict=False):
        after["vs_previous"] = paired_test(before["passed_ids"], after["passed_ids"])
    by = {p["phase"]: p for p in phases}
    spans = [("untrained", "sft"), ("sft", "grpo"), ("grpo", phases[-1]["phase"]), ("sft", phases[-1]["phase"])]
    return [dict(paired_test(by[a]["passed_ids"], by[b]["passed_ids"]), before=a, after=b,
                 change=by[b]["passed"] - by[a]["passed"]) for a, b in spans if a in by and b in by and a != b]


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
    axes[1].plot([r["step"] for r in grpo], [r["reward"] for r in grpo], label="mean reward (simulation)")
    axes[1].plot([r["step"] for r in grpo], [r.get("frac_reward_zero_std", 0) for r in grpo], ":",
                 label="groups with zero reward spread")
    axes[1].set(title="GRPO on the RL prompts, per step", xlabel="step", ylim=(0, 1.05))
    axes[1].legend()
    phases = results["phases"]
    xs = range(len(phases))
    axes[2].errorbar(xs, [p["pass_at_1"] for p in phases], fmt="o-", capsize=3, label="held-out pass@1 (Wilson 95%)",
                     yerr=[[p["pass_at_1"] - p["wilson95"][0] for p in phases],
                           [p["wilson95"][1] - p["pass_at_1"] for p in phases]])
    names = [p["phase"] for p in phases]
    sampled = [r for r in results.get("sampled", []) if r["phase"] in names]
    if sampled:
        axes[2].plot([names.index(r["phase"]) for r in sampled], [r["pass_at_1"] for r in sampled], "^:",
                     label=f"sampled pass@1 ({sampled[0]['samples']} per problem)")
    rounds = results.get("rounds", [])
    if rounds:
        rx = [len(phases) - len(rounds) + i for i in range(len(rounds))]
        axes[2].plot(rx, [r["prompts_solved"] / results["n_rl"] for r in rounds], "s--",
                     label="ITERTL: RL prompts with a verified sample")
    axes[2].set_xticks(list(xs), [p["phase"] for p in phases], rotation=30)
    axes[2].set(title=f"pass@1 on {phases[0]['n']} held-out problems", ylim=(0, 1.05))
    axes[2].legend()
    fig.tight_layout()
    path = out / "curves.png"
    fig.savefig(path, dpi=90)
    return path


def _p(value: float) -> str:
    return f"{value:.2g}" if value >= 1e-3 else f"{value:.1e}"


def _verdict(c: dict) -> str:
    if c["change"] > 0 and c["p_value"] < ALPHA:
        return f"a significant gain (p = {_p(c['p_value'])} < {ALPHA})"
    return f"not a significant gain (p = {_p(c['p_value'])}{'' if c['change'] > 0 else ', no net gain'})"


def report(out: Path, results: dict) -> Path:
    n, t = results["phases"][0]["n"], results["times"]
    lines = ["# Training proof on CPU (tiny from-scratch model, held-out family instances)", "",
             f"Model: {results['params']:,} parameters; families {', '.join(results['families'])} (difficulty "
             f"{'-'.join(map(str, results['difficulty']))}); {results['n_train']} SFT instances, {results['n_rl']} "
             f"RL prompts (never shown a solution) and {n} held-out problems, no circuit shared. Wall time "
             f"{results['wall_s'] / 60:.1f} min, CPU time {results['cpu_s'] / 60:.1f} min (see Time per phase).",
             *_grpo_prompt_lines(results), "",
             "| phase | passed / n | pass@1 | Wilson 95% | vs previous: gained / lost | McNemar p |",
             "|---|---|---|---|---|---|"]
    for p in results["phases"]:
        v = p.get("vs_previous")
        lines.append(f"| {p['phase']} | {p['passed']} / {p['n']} | {p['pass_at_1']:.3f} | "
                     f"{p['wilson95'][0]:.3f}-{p['wilson95'][1]:.3f} | "
                     + (f"+{v['gained']} / -{v['lost']} | {_p(v['p_value'])} |" if v else "| |"))
    lines += ["", "Paired on the same problems: gained = solved only after, lost = solved only before; the p-value "
              "is the exact two-sided McNemar test (binomial on the discordant problems).", ""]
    lines += [f"- {c['before']} -> {c['after']}: {c['change']:+d} problems (+{c['gained']} / -{c['lost']}), "
              f"{_verdict(c)}." for c in results["comparisons"]]
    lines += _control_lines(results)
    lines += _sampled_lines(results)
    lines += ["", "![reward and pass-rate curves](curves.png)", "", "## ITERTL rounds", "",
              "| round | sampled | RL prompts solved | kept | train rows (replay + verified) | steps | pass@1 | wall s |",
              "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['round']} | {r['sampled']} | {r['prompts_solved']} / {results['n_rl']} | {r['kept']} | "
              f"{r['train_rows']} | {r.get('steps', 0)} | {r.get('pass_at_1', float('nan')):.3f} | {r['wall_s']} |"
              for r in results.get("rounds", [])]
    lines += ["", "## Time per phase", "", "| phase | wall s | CPU s |", "|---|---|---|"]
    lines += [f"| {k} | {v['wall_s']} | {v['cpu_s']} |" for k, v in t.items()]
    lines += ["", "CPU: this process (one torch thread) and its children that ended within the phase (the sampled "
              "evaluations run as two such processes side by side). A phase whose CPU time is far below its wall time "
              "waited: other jobs on the 2 cores, or the process was paused.", ""]
    lines += _forgery_lines(results)
    lines += ["", "Each pass@1 is reproduced by the command in results.json (`command`); the configs are in "
              "`results.json` (`configs`) and next to each phase's output (`config.yaml`)."]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _grpo_prompt_lines(results: dict) -> list[str]:
    g = results.get("grpo_prompts") or {}
    if not g.get("trained_on") or g["trained_on"] == g.get("offered"):
        return []
    return ["", f"GRPO trained on the {g['trained_on']} of {g['offered']} RL prompts that the SFT model solved in some "
            "but not all of 8 samples (the prompt filter: a group that all pass or all fail has no advantage to learn "
            "from)."]


def _control_lines(results: dict) -> list[str]:
    lines = []
    c = results.get("control")
    if c:
        v = c["itertl_vs_control"]
        lines += ["", f"- Control, ITERTL's rounds on the SFT rows alone (same starting model, steps and settings): "
                      f"{c['passed']} / {c['n']}. ITERTL's last round against it: {v['change']:+d} problems "
                      f"(+{v['gained']} / -{v['lost']}, McNemar p = {_p(v['p_value'])}): what the verified samples "
                      "added beyond more training."]
    return lines


def _sampled_lines(results: dict) -> list[str]:
    """SFT against GRPO measured the way GRPO trains: pass@1 as the mean c/n of n sampled completions."""
    v = results.get("sampled_comparison")
    if not v:
        return []
    n, k = v["problems"], v["samples"]
    verdict = ("a significant gain" if v["after"] > v["before"] and v["p_value"] < ALPHA else "not a significant gain")
    lines = ["", f"## GRPO measured the way it trains: sampled pass@1 ({k} completions per problem)", "",
             f"GRPO raises the reward of the completions the model samples; greedy decoding is one point of that "
             f"distribution. Here SFT and GRPO are evaluated as VerilogEval reports pass@1: {k} completions per "
             f"held-out problem at its pass@k setting (temperature 0.85, top_p 0.95), pass@1 = the mean over "
             f"problems of c/n, judged strictly by the same `rtlgen eval` (`--samples {k}`).", "",
             "| model | sampled pass@1 | problems with a passing sample | command |", "|---|---|---|---|"]
    lines += [f"| {r['phase']} | {r['pass_at_1']:.4f} | {r['problems_passed']} / {r['n']} | `{r['command']}` |"
              for r in results["sampled"]]
    lines += ["", f"- sft -> grpo (sampled): {v['before']:.4f} -> {v['after']:.4f} on {n} problems; c/n rose on "
                  f"{v['rose']} and fell on {v['fell']}; sign-flip permutation p = {_p(v['p_value'])}: {verdict}."]
    return lines


def _forgery_lines(results: dict) -> list[str]:
    lines = ["## Forging completions", "",
             "Training reward (strict judge, partial credit on) of each forgery, per phase; failure value = 0.0.", "",
             "| phase | pass line printed | early $finish | reference instance | all failure? |",
             "|---|---|---|---|---|"]
    for f in results["forgeries"]:
        s = f["strict"]
        lines.append(f"| {f['phase']} | max {max(s['pass_line'])} | max {max(s['early_finish'])} | "
                     f"max {max(s['reference_instance'])} | {'yes' if f['all_failure'] else 'NO'} |")
    fe = results.get("forgeries_eval", {})
    return lines + ["", f"Strict ``rtlgen eval`` (jsonl task) of all forgeries: pass@1 {fe.get('pass_at_1')} over "
                        f"{fe.get('samples')} samples, categories {fe.get('categories')}. The printed pass line earns "
                        "exactly what the same design without the print earns (its outputs are undriven: 0.0); "
                        "read naively (``trust=naive``) the best forgery reward was "
                        f"{results['forgeries'][0]['naive_pass_line_max']}."]


# -- main -------------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="benchmarks/results/train_proof")
    # Families whose solution is a template filled from numbers and names in the spec. Truth tables are left
    # out: a 3-input table needs logic minimisation, which the 1M model did not learn (0 of 94 held-out after
    # SFT), and at difficulty 1-2 they are most of the ~1,100 distinct instances. Difficulty 1-3 gives ~1,900.
    ap.add_argument("--families", default="arithmetic,counter,shift_register")
    ap.add_argument("--difficulty", default="1,3", help="low,high difficulty of the instances")
    ap.add_argument("--n-train", type=int, default=500, help="SFT instances (spec and solution)")
    ap.add_argument("--n-rl", type=int, default=300, help="RL prompts for GRPO and ITERTL (spec and testbench)")
    ap.add_argument("--n-heldout", type=int, default=200)
    ap.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared" / "rtl-corpus" / "files"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="a tiny smoke run (minutes), not the proof")
    ap.add_argument("--unsafe", action="store_true", help="simulate without bwrap (trusted machine only)")
    ap.add_argument("--samples", type=int, default=0, help="completions per held-out problem for the sampled "
                    "pass@1 of SFT and GRPO (default 20; 2 with --quick)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads; on a shared 2-core box one "
                    "thread is ~10x faster than two (two spin against the simulations and each other)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="PHASE.KEY=VALUE",
                    help="override a phase's config (sft, grpo, iterate), e.g. grpo.train.max_steps=80")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    overrides = split_overrides(args.overrides)
    import torch

    torch.set_num_threads(args.threads)
    clock = Clock()
    wall0, cpu0 = clock.now()
    root = Path(args.out)
    root.mkdir(parents=True, exist_ok=True)
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    low, _, high = args.difficulty.partition(",")
    difficulty = (int(low), int(high or low))
    sft_insts, rl_insts, heldout = clock.run("data", make_data, root, families, args.n_train, args.n_rl,
                                             args.n_heldout, args.seed, difficulty)
    heldout_rows = data_mod.load_rows(root / "heldout.jsonl")
    model = clock.run("model", make_model, root / "tiny", sft_insts, Path(args.corpus), args.quick)
    from rtlgen.config import to_plain
    from rtlgen.train.tiny import parameter_count

    results: dict = {"families": families, "difficulty": list(difficulty), "n_train": len(sft_insts),
                     "n_rl": len(rl_insts), "n_heldout": len(heldout), "params": parameter_count(model),
                     "phases": [], "forgeries": []}
    print(f"tiny model: {results['params']:,} parameters; {len(sft_insts)} SFT / {len(rl_insts)} RL / "
          f"{len(heldout)} held-out", flush=True)
    cfg = configs(root, model, args.quick, args.unsafe, {"data": str(root / "heldout.jsonl"), "max_new_tokens": 128,
                                                         "batch_size": 25}, overrides)
    results["configs"] = {k: to_plain(v) for k, v in cfg.items()}
    run_phases(root, cfg, results, clock, heldout_rows[:10], args.unsafe, args.samples or (2 if args.quick else 20))
    results["comparisons"] = compare(results["phases"])
    results["sampled_comparison"] = compare_sampled(results["sampled"])
    wall1, cpu1 = clock.now()
    results.update(times=clock.times, wall_s=round(wall1 - wall0, 1), cpu_s=round(cpu1 - cpu0, 1))
    (root / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(root, results)
    print(f"report: {report(root, results)}  ({results['wall_s'] / 60:.1f} min)")
    for p in results["phases"]:
        v = p.get("vs_previous")
        print(f"  {p['phase']:<10} {p['passed']:>3}/{p['n']}" + (f"  +{v['gained']}/-{v['lost']} p={_p(v['p_value'])}"
                                                                  if v else ""))
    v = results["sampled_comparison"]
    print(f"  sampled pass@1 ({v['samples']} per problem): sft {v['before']:.4f} -> grpo {v['after']:.4f}  "
          f"rose {v['rose']} / fell {v['fell']} p={_p(v['p_value'])}")
    return results


def run_phases(root: Path, cfg: dict, results: dict, clock: Clock, sample_rows: list[dict], unsafe: bool,
               samples: int) -> None:
    from rtlgen.train.grpo import run_grpo
    from rtlgen.train.iterate import run_iterate
    from rtlgen.train.sft import run_sft

    ev, phases, forged = cfg["sft"].eval, results["phases"], results["forgeries"]
    phases.append(clock.run("eval untrained", heldout_eval, "untrained", str(root / "tiny"), None, ev, root))
    forged.append(score_forgeries(sample_rows, "untrained", unsafe))
    sft = clock.run("sft", run_sft, replace_eval(cfg["sft"]))
    phases.append(clock.run("eval sft", heldout_eval, "sft", sft["base"], sft["adapter"], ev, root))
    forged.append(score_forgeries(sample_rows, "sft", unsafe))
    grpo = clock.run("grpo", run_grpo, replace_eval(cfg["grpo"]))
    results["grpo_prompts"] = {"trained_on": grpo.get("rows"), "offered": grpo.get("rows_offered")}
    phases.append(clock.run("eval grpo", heldout_eval, "grpo", grpo["base"], grpo["adapter"], ev, root))
    forged.append(score_forgeries(sample_rows, "grpo", unsafe))
    it = clock.run("iterate (3 evals included)", run_iterate, cfg["iterate"])
    results["rounds"] = [{k: v for k, v in r.items() if k != "passed_ids"} for r in it["rounds"]]
    for r in it["rounds"]:
        phases.append(phase_record(f"itertl {r['round']}", r["passed_ids"], r["n_heldout"]))
    forged.append(score_forgeries(sample_rows, "itertl", unsafe))
    results["forgeries_eval"] = eval_forgeries(root, root / "heldout.jsonl", sample_rows, unsafe)
    results["control"] = clock.run("control", run_control, root, cfg["iterate"], it["rounds"], ev)
    # GRPO raises the reward of what the model samples; greedy decoding is one point of that distribution.
    # So SFT and GRPO are also measured the way GRPO trains and VerilogEval reports pass@1: n samples each
    models = [("sft", sft["base"], sft["adapter"]), ("grpo", grpo["base"], grpo["adapter"])]
    results["sampled"] = clock.run("eval sft and grpo sampled (2 processes)", sampled_evals, root,
                                   dataclasses.replace(ev, samples=samples), models)


def _one_torch_thread() -> None:
    import torch

    torch.set_num_threads(1)


def sampled_evals(root: Path, ev: EvalSettings, models: list[tuple[str, str, str | None]]) -> list[dict]:
    """The sampled evaluations side by side, one process and one torch thread each: decoding n completions per
    problem is the slow part, and it uses one core."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(len(models), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_one_torch_thread) as pool:
        futures = [pool.submit(heldout_eval, name, base, adapter, ev, root, f"{name}_sampled")
                   for name, base, adapter in models]
        return [f.result() for f in futures]


def run_control(root: Path, cfg, rounds: list[dict], ev: EvalSettings) -> dict:
    """ITERTL's rounds without what the judge verified: from the same starting model, round r trains the
    previous round's model on the SFT rows alone, for as many steps as ITERTL's round r and with its
    settings. ITERTL minus this control is what the verified samples added, beyond more training."""
    from rtlgen.train.sft import train_sft

    seed_rows = data_mod.load_rows(cfg.seed_data)
    base, adapter = cfg.model, ""
    for r in rounds:
        if not r.get("steps"):
            continue
        loop = dataclasses.replace(cfg.train, max_steps=r["steps"])
        trained = train_sft(model_dir=base, adapter=adapter, rows=seed_rows, where=cfg.seed_data,
                            out=root / "control" / f"round_{r['round']}", finetune=cfg.finetune, lora=cfg.lora,
                            loop=loop)
        base, adapter = trained.base, trained.adapter or ""
    record = heldout_eval("control", base, adapter or None, ev, root)
    final = rounds[-1]
    record["itertl_vs_control"] = dict(paired_test(record["passed_ids"], final["passed_ids"]),
                                       change=final["passed"] - record["passed"])
    return record


def replace_eval(cfg):
    """The phase's own end-of-training evaluation is skipped: the benchmark evaluates each phase itself,
    under eval/<phase>, with one set of settings."""
    return dataclasses.replace(cfg, eval=dataclasses.replace(cfg.eval, data=""))


if __name__ == "__main__":
    main()
