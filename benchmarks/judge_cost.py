"""The judge's cost per sample, and SimulationReward throughput through it, against baselines in one run.

    .venv/bin/python benchmarks/judge_cost.py [--data-dir ../shared/verilog-eval] [--problems 40]

1. Per sample, on the first N v2 spec-to-rtl golden designs: the judge (preprocess in the sandbox,
   static check in a bounded worker, hardened bench, private program) vs the naive rule (``Trust.NAIVE``:
   the bench run as given, every printed line read); both through the same sandbox, no result cache.
2. Reward throughput: ``SimulationReward`` on 8 prompts x 16 completions (half of each group duplicates),
   cold, vs a plain loop that starts one ``iverilog`` + ``vvp`` subprocess per completion (no sandbox,
   no checks: the thing being compared against).
Prints seconds and ratios; the machine is noisy, so compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rtlgen.evals.registry import get_task
from rtlgen.evals.strict import bench_for
from rtlgen.rewards.simulation import SimulationReward
from rtlgen.sandbox import Sandbox, SandboxConfig, find_tool
from rtlgen.sim.judge import Judge, JudgeConfig, Trust


def judge_cost(problems, task) -> None:
    items = [(task.golden(p), bench_for(task, p)) for p in problems]
    out = {}
    for trust in (Trust.NAIVE, Trust.STRICT):
        judge = Judge(JudgeConfig(trust=trust), sandbox=Sandbox(SandboxConfig()))
        judge.judge_many(items[:2])  # warm the worker pool and tool fingerprints
        t0 = time.monotonic()
        verdicts = judge.judge_many(items)
        out[trust] = time.monotonic() - t0
        print(f"{trust.value:>6}: {len(items)} samples in {out[trust]:.2f} s "
              f"({1000 * out[trust] / len(items):.1f} ms/sample), passed {sum(v.passed for v in verdicts)}")
    print(f"judge / naive per-sample cost: {out[Trust.STRICT] / out[Trust.NAIVE]:.2f}x")


def plain_loop(designs, tb, ref) -> float:
    iverilog, vvp = find_tool("iverilog"), find_tool("vvp")
    t0 = time.monotonic()
    for d in designs:
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in (("d.sv", d), ("tb.sv", tb), ("ref.sv", ref)):
                Path(tmp, name).write_text(text)
            subprocess.run([iverilog, "-g2012", "-s", "tb", "-o", "a.vvp", "tb.sv", "ref.sv", "d.sv"], cwd=tmp,
                           capture_output=True, timeout=60)
            subprocess.run([vvp, "-n", "a.vvp"], cwd=tmp, capture_output=True, timeout=60)
    return time.monotonic() - t0


def reward_throughput(problems, task) -> None:
    prompts = problems[:8]
    completions, tbs, refs = [], [], []
    for p in prompts:
        gold = task.golden(p)
        for k in range(16):
            completions.append(gold if k < 8 else gold + f"\n// variant {k}\n")
            tbs.append(p.test)
            refs.append(p.ref)
    reward = SimulationReward()
    reward.judge().judge_many([])
    t0 = time.monotonic()
    values = reward(["p"] * len(completions), completions, testbench=tbs, reference=refs)
    t_reward = time.monotonic() - t0
    t_plain = sum(plain_loop(completions[i * 16:(i + 1) * 16], tbs[i * 16], refs[i * 16]) for i in range(len(prompts)))
    n = len(completions)
    print(f"reward: {n} completions in {t_reward:.2f} s = {n / t_reward:.1f}/s (mean {sum(values) / n:.2f}); "
          f"plain subprocess loop {t_plain:.2f} s = {n / t_plain:.1f}/s; ratio {t_plain / t_reward:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=os.environ.get("RTLGEN_SHARED", "../shared") + "/verilog-eval")
    ap.add_argument("--problems", type=int, default=40)
    args = ap.parse_args()
    task = get_task("verilogeval-v2-spec-to-rtl")
    problems = [p for p in task.load(Path(args.data_dir)) if "conwaylife" not in p.task_id][: args.problems]
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    judge_cost(problems, task)
    reward_throughput(problems, task)


if __name__ == "__main__":
    main()
