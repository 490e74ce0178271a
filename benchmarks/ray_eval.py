"""The same VerilogEval eval through the local and the Ray executor: wall time of each, and equal results?

    .venv/bin/python benchmarks/ray_eval.py [--data-dir ../shared/verilog-eval] [--limit 40] [--nodes 2]
    .venv/bin/python benchmarks/ray_eval.py --address 10.0.0.1:6379   # an existing cluster

The v2 spec-to-rtl golden set (references as samples), strict mode, a fresh run directory and no result
cache for each executor, through ``rtlgen.evals.runner.run_eval`` with ``EvalConfig(executor=...)``:
nothing but the executor changes. Without ``--address`` the script runs itself again as the init of a
private network and pid namespace and starts a loopback cluster there (``rtlgen.sandbox.ray_cluster``:
``--nodes`` nodes of ``--cpus`` CPUs each, all on 127.0.0.1); on one machine this measures Ray's overhead,
not a speed-up, since both executors share the same cores. Results are equal when every sample has the
same verdict (pass, category, mismatch count, detail); timings and log tails are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rtlgen.evals.runner import EvalConfig, run_eval

TASK = "verilogeval-v2-spec-to-rtl"
_VERDICT = ("passed", "category", "mismatches", "samples", "detail", "code_sha")


def verdicts(out: Path) -> dict[tuple, tuple]:
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines() if line.strip()]
    return {(r["task_id"], r["sample"], r["extraction"]): tuple(r.get(k) for k in _VERDICT) for r in rows}


def one_eval(executor: str, args: argparse.Namespace, root: Path) -> tuple[float, dict, dict]:
    out = root / executor.split(":")[0]
    config = EvalConfig(task=TASK, mode="strict", model="golden", limit=args.limit, data_dir=args.data_dir,
                        out=str(out), cache=False, progress=False, executor=executor)
    t0 = time.monotonic()
    summary = run_eval(config)
    return time.monotonic() - t0, summary, verdicts(out)


def compare(address: str, args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="rtlgen-ray-eval-") as tmp:
        root = Path(tmp)
        rows = []
        for spec in ("local", f"ray:{address}"):
            wall, summary, got = one_eval(spec, args, root)
            rows.append((spec.split(":")[0], wall, summary, got))
        base = rows[0][3]
        print(f"{TASK}, golden, strict, {len(base)} samples, no cache, {os.cpu_count()} cores here")
        print(f"{'executor':<10}{'wall s':>9}{'passed':>8}  equal to local")
        for name, wall, _summary, got in rows:
            passed = sum(v[0] for v in got.values())
            diff = [k for k in set(base) | set(got) if base.get(k) != got.get(k)]
            print(f"{name:<10}{wall:>9.2f}{passed:>8}  {'yes' if not diff else f'NO ({len(diff)} differ)'}")
            for key in sorted(diff)[:5]:
                print(f"  {key}: local {base.get(key)} vs {name} {got.get(key)}")
        return 0 if all(r[3] == base for r in rows) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("RTLGEN_VERILOGEVAL_DIR") or
                        str(Path(__file__).resolve().parents[2] / "shared" / "verilog-eval"))
    parser.add_argument("--limit", type=int, default=40, help="first N problems (the slice)")
    parser.add_argument("--address", help="an existing Ray cluster; default: start a loopback one")
    parser.add_argument("--nodes", type=int, default=2, help="loopback cluster nodes")
    parser.add_argument("--cpus", type=int, default=1, help="CPUs of each loopback node")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)  # set by the re-run
    args = parser.parse_args()
    if args.address:
        return compare(args.address, args)
    from rtlgen.sandbox.ray_cluster import LoopbackCluster, namespace_env, namespace_support, private_namespace_argv

    if not args.inside:
        usable, reason = namespace_support()
        if not usable:
            print(f"cannot start a loopback cluster: {reason}; give --address", file=sys.stderr)
            return 2
        argv = [sys.executable, os.path.abspath(__file__), *sys.argv[1:], "--inside"]
        with tempfile.TemporaryDirectory(prefix="rtlgen-ray-eval-jobs-") as jobs:
            return subprocess.run(private_namespace_argv(argv), env=namespace_env(jobs), check=False).returncode
    t0 = time.monotonic()
    with LoopbackCluster.start(nodes=args.nodes, cpus_per_node=args.cpus) as cluster:
        print(f"loopback cluster: {args.nodes} nodes x {args.cpus} CPU, up in {time.monotonic() - t0:.1f} s")
        try:
            return compare(cluster.address, args)
        finally:
            import ray

            ray.shutdown()


if __name__ == "__main__":
    sys.exit(main())
