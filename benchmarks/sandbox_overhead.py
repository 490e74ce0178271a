"""Sandbox overhead: bare compile + run vs the same job in the sandbox, and pool throughput.

Run:  .venv/bin/python benchmarks/sandbox_overhead.py [--problems 20] [--repeat 5] [--json out.json]

Everything is measured in this one process, back to back, so the ratios hold on a noisy machine:
1. per-job cost of a VerilogEval-style job (iverilog compile of sample + test + ref, vvp run),
   bare (fresh temp dir, plain subprocess: the trusted baseline) vs ``Sandbox.run`` (bwrap, limits);
2. jobs per second through ``run_many`` on all cores, cold (empty cache) and all cache hits;
3. the cost of one cache hit.
Targets (issue 2): sandbox/bare under 1.5x on a typical problem, a cache hit under 5 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rtlgen.sandbox import Job, Limits, Sandbox, SandboxConfig, Step, default_workers, find_tool, run_many

FLAGS = ["-Wall", "-Winfloop", "-Wno-timescale", "-g2012"]


def load_problems(count: int) -> list[dict[str, str]]:
    shared = Path(os.environ.get("RTLGEN_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    root = shared / "verilog-eval" / "v2" / "spec-to-rtl"
    names = sorted(p.name[: -len("_ref.sv")] for p in root.glob("*_ref.sv"))
    if not names:
        sys.exit(f"no VerilogEval data under {root}: set RTLGEN_SHARED to the folder holding verilog-eval/")
    step = max(1, len(names) // count)
    problems = []
    for name in names[::step][:count]:
        ref = (root / f"{name}_ref.sv").read_text()
        problems.append({"name": name, "sample.sv": ref.replace("module RefModule", "module TopModule"),
                         "test.sv": (root / f"{name}_test.sv").read_text(), "ref.sv": ref})
    return problems


def make_job(problem: dict[str, str]) -> Job:
    files = {k: v for k, v in problem.items() if k.endswith(".sv")}
    return Job(steps=(Step((find_tool("iverilog"), *FLAGS, "-s", "tb", "-o", "sim.vvp", *files)),
                      Step((find_tool("vvp"), "-n", "sim.vvp"))),
               files=files, limits=Limits(wall_s=60))


def run_bare(problem: dict[str, str]) -> float:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        for k, v in problem.items():
            if k.endswith(".sv"):
                Path(d, k).write_text(v)
        files = [k for k in problem if k.endswith(".sv")]
        subprocess.run([find_tool("iverilog"), *FLAGS, "-s", "tb", "-o", "sim.vvp", *files], cwd=d, capture_output=True)
        subprocess.run([find_tool("vvp"), "-n", "sim.vvp"], cwd=d, capture_output=True, timeout=60)
    return time.perf_counter() - start


def run_sandboxed(sb: Sandbox, problem: dict[str, str]) -> float:
    start = time.perf_counter()
    res = sb.run(make_job(problem))
    elapsed = time.perf_counter() - start
    if "Mismatches: 0 in" not in res.stdout:
        print(f"  warning: {problem['name']} did not pass in the sandbox", file=sys.stderr)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", type=int, default=20, help="problems sampled evenly from v2 spec-to-rtl")
    ap.add_argument("--repeat", type=int, default=5, help="alternating bare/sandbox rounds per problem")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    problems = load_problems(args.problems)
    with tempfile.TemporaryDirectory() as tmp:
        nocache = Sandbox(SandboxConfig(jobs_dir=tmp))
        bare, boxed = [], []
        for p in problems:  # warm both paths once (page cache, tool binaries)
            run_bare(p), run_sandboxed(nocache, p)
        for _ in range(args.repeat):
            for p in problems:
                bare.append(run_bare(p))
                boxed.append(run_sandboxed(nocache, p))
        per_job = {"bare_ms": 1000 * statistics.median(bare), "sandbox_ms": 1000 * statistics.median(boxed)}
        per_job["ratio"] = per_job["sandbox_ms"] / per_job["bare_ms"]

        cached = Sandbox(SandboxConfig(jobs_dir=tmp, cache_dir=os.path.join(tmp, "cache")))
        # distinct copies (a comment differs) so the pool runs every one: throughput, not dedup
        copies = [{**p, "sample.sv": p["sample.sv"] + f"// copy {k}\n"} for k in range(3) for p in problems]
        distinct = [make_job(p) for p in copies]
        start = time.perf_counter()
        run_many(cached, distinct, progress="cold")
        cold_s = time.perf_counter() - start
        start = time.perf_counter()
        run_many(cached, distinct, progress="cached")
        warm_s = time.perf_counter() - start
        hits = []
        for job in distinct:
            t = time.perf_counter()
            assert cached.run(job).cached
            hits.append(time.perf_counter() - t)
        start = time.perf_counter()
        for p in copies:
            run_bare(p)
        seq_bare_s = time.perf_counter() - start
    figures = {
        "machine": f"{os.uname().machine}, {default_workers()} cores",
        "problems": len(problems), "repeat": args.repeat, **{k: round(v, 3) for k, v in per_job.items()},
        "pool_cold_jobs_per_s": round(len(distinct) / cold_s, 1),
        "sequential_bare_jobs_per_s": round(len(copies) / seq_bare_s, 1),
        "pool_cached_jobs_per_s": round(len(distinct) / warm_s, 1),
        "cache_hit_ms_median": round(1000 * statistics.median(hits), 3),
    }
    print(f"per job (median of {len(bare)}): bare {figures['bare_ms']:.1f} ms, sandbox {figures['sandbox_ms']:.1f} ms, "
          f"ratio {figures['ratio']:.2f}x (target < 1.5x)")
    print(f"pool on {default_workers()} cores: cold {figures['pool_cold_jobs_per_s']} jobs/s "
          f"(sequential bare {figures['sequential_bare_jobs_per_s']} jobs/s, "
          f"{figures['pool_cold_jobs_per_s'] / figures['sequential_bare_jobs_per_s']:.2f}x), "
          f"cache hits {figures['pool_cached_jobs_per_s']} jobs/s")
    print(f"one cache hit: {figures['cache_hit_ms_median']:.2f} ms median (target < 5 ms)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
