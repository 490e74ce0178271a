"""The judge's cost per sample, and SimulationReward throughput through it, against baselines in one run.

    .venv/bin/python benchmarks/judge_cost.py [--data-dir ../shared/verilog-eval] [--problems 40]

1. Per sample, on the first N v2 spec-to-rtl golden designs: the judge (preprocess in the sandbox,
   static check in a bounded worker, hardened bench, private program) vs the previous strict path
   (reconstructed: pyslang check in-process, hardened bench, one job without preprocessing or private
   uids) vs the naive rule (``Trust.NAIVE``: the bench as given, every printed line read); all through
   the same sandbox, no result cache.
2. Reward throughput: ``SimulationReward`` on 8 prompts x 16 completions, all 128 distinct (cold), then
   with duplicates (8 distinct per group of 16, as a sampler at low temperature produces), each vs a plain
   loop that starts one ``iverilog`` + ``vvp`` subprocess per completion (no sandbox, no checks).
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
from rtlgen.sandbox import Sandbox, SandboxConfig, find_tool, run_many
from rtlgen.sim.judge import Judge, JudgeConfig, JudgeLimits, Trust
from rtlgen.sim.judge.harden import harden
from rtlgen.sim.judge.jobs import SimulatorKind, simulation_job
from rtlgen.sim.judge.static import check_design
from rtlgen.sim.judge.verdict import read_run


def previous_strict(items, sandbox) -> int:
    """The strict path before the judge: in-process static check, hardened bench, one plain job."""
    jobs, hs = [], []
    for design, bench in items:
        if not check_design(design, bench.dut_top).ok:
            continue
        h = harden(bench)
        jobs.append(simulation_job(SimulatorKind.ICARUS, h.files, h.top, design, JudgeLimits(), private=False)[0])
        hs.append(h)
    results = run_many(sandbox, jobs)
    return sum(read_run(r, n_compile=1, protocol=h.protocol, tag=h.tag, has_end=h.has_end, tool="", trust="strict")
               .passed for r, h in zip(results, hs, strict=True))


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
    t0 = time.monotonic()
    passed = previous_strict(items, Sandbox(SandboxConfig()))
    prev = time.monotonic() - t0
    print(f"previous strict: {len(items)} samples in {prev:.2f} s ({1000 * prev / len(items):.1f} ms/sample), "
          f"passed {passed}")
    print(f"judge / naive per-sample cost: {out[Trust.STRICT] / out[Trust.NAIVE]:.2f}x; "
          f"judge / previous strict: {out[Trust.STRICT] / prev:.2f}x")


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
    for label, distinct in (("all distinct (cold)", 16), ("8 distinct per group", 8)):
        completions, tbs, refs = [], [], []
        for p in prompts:
            gold = task.golden(p)
            for k in range(16):
                # a distinct unused parameter changes the compiled program, not the behaviour
                completions.append(gold.replace(");", f"); localparam UNUSED_{k % distinct} = 0;", 1))
                tbs.append(p.test)
                refs.append(p.ref)
        reward = SimulationReward()
        reward.judge().judge_many([])
        t0 = time.monotonic()
        values = reward(["p"] * len(completions), completions, testbench=tbs, reference=refs)
        t_reward = time.monotonic() - t0
        t_plain = sum(plain_loop(completions[i * 16:(i + 1) * 16], tbs[i * 16], refs[i * 16])
                      for i in range(len(prompts)))
        n = len(completions)
        print(f"reward, {label}: {n} completions in {t_reward:.2f} s = {n / t_reward:.1f}/s "
              f"(mean reward {sum(values) / n:.2f}); plain subprocess loop {t_plain:.2f} s = {n / t_plain:.1f}/s; "
              f"ratio {t_plain / t_reward:.2f}x")


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
