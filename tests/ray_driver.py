"""The Ray executor on a real two-node loopback cluster; run by ``tests/test_ray_executor.py``, not by pytest.

    RTLGEN_JOBS_DIR=$(mktemp -d) unshare --net --pid --mount-proc --fork --kill-child -- \
        .venv/bin/python tests/ray_driver.py REPORT.json

It must be the init of a private network and pid namespace (``rtlgen.sandbox.ray_cluster``): it brings
``lo`` up, starts a head and a second node (one CPU each), runs every check against the local executor,
kills the second node in the middle of a batch, stops both nodes and writes what it saw to REPORT.json
(facts, not verdicts: the test asserts on them, so a failure shows the numbers).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path

from verilog_fixtures import INVERTER_REF, INVERTER_TB

from rtlgen.sandbox import Job, JobResult, Limits, Sandbox, SandboxConfig, build_sandbox
from rtlgen.sandbox.ray_cluster import LoopbackCluster
from rtlgen.sandbox.ray_executor import RayExecutor
from rtlgen.sim.icarus import IcarusSimulator
from rtlgen.sim.judge import Bench, Judge, JudgeConfig, JudgeLimits

ATTACKS = Path(__file__).parent / "judge_attacks"
JUDGED = ("honest_correct.sv", "honest_half.sv", "print_verdict.sv", "early_finish.sv", "force_release.sv",
          "ref_instance.sv", "hier_ref.sv", "stop_fatal.sv")
REF = INVERTER_REF
TB = "`timescale 1ps/1ps\n" + INVERTER_TB
BENCH = Bench({"test.sv": TB, "ref.sv": REF}, top="tb", dut_top="TopModule", reference_top="RefModule")
FAST = JudgeLimits(run_wall_s=5, compile_wall_s=10, memory_mb=1024, output_bytes=200_000, file_size_mb=8)
GOOD = "module TopModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule"
HALF = "module TopModule(input [3:0] a, output [3:0] y); assign y = a[0] ? ~a : a; endmodule"
BROKEN = "module TopModule(input [3:0] a, output [3:0] y); assign y = ; endmodule"


def essence(res: JobResult) -> list:
    """What a job did, without the timings that differ from run to run."""
    return [[list(s.argv), s.exit_code, s.stdout, s.stderr, s.killed_by.value] for s in res.steps] + \
        [sorted((k, v.hex()) for k, v in res.outputs.items())]


def sim_jobs() -> list[Job]:
    sim = IcarusSimulator()
    designs = [GOOD, HALF, BROKEN, GOOD.replace("~a", "a + 4'd1"), GOOD]  # the last one twice: dedup
    jobs = [sim.build_job({"dut.sv": d, "test.sv": TB, "ref.sv": REF}, "tb") for d in designs]
    return jobs + [Job.single(["/bin/sh", "-c", "echo out; echo err >&2; printf o > f; exit 3"], outputs=("f",)),
                   Job.single(["/bin/sh", "-c", "while :; do :; done"], limits=Limits(wall_s=1, cpu_s=5))]


def check_equal_results(report: dict, local: Sandbox, ray_sb: Sandbox) -> None:
    jobs = sim_jobs()
    t0 = time.monotonic()
    want = local.run_many(jobs)
    report["sim_local_s"] = round(time.monotonic() - t0, 2)
    t0 = time.monotonic()
    got = ray_sb.run_many(jobs)
    report["sim_ray_s"] = round(time.monotonic() - t0, 2)
    report["sim_jobs"] = len(jobs)
    report["sim_equal"] = [essence(a) == essence(b) for a, b in zip(want, got, strict=True)]
    report["sim_first_stdout"] = got[0].stdout[-200:]
    report["single_run_equal"] = essence(ray_sb.run(jobs[-2])) == essence(want[-2])


def check_judge(report: dict, local: Sandbox, ray_sb: Sandbox) -> None:
    designs = [(ATTACKS / n).read_text() for n in JUDGED] + [GOOD, HALF, BROKEN]
    items = [(d, BENCH) for d in designs]
    verdicts = {}
    for name, sb in (("local", local), ("ray", ray_sb)):
        t0 = time.monotonic()
        out = Judge(JudgeConfig(limits=FAST), sandbox=sb).judge_many(items)
        report[f"judge_{name}_s"] = round(time.monotonic() - t0, 2)
        verdicts[name] = [(v.passed, v.category.value, v.fraction_correct) for v in out]
    report["judge_local"], report["judge_ray"] = verdicts["local"], verdicts["ray"]


def check_placement_and_uids(report: dict, executor: RayExecutor) -> None:
    report["actor_nodes"] = sorted({a["node"] for a in executor.actor_info()})
    report["actor_pids"] = sorted({a["pid"] for a in executor.actor_info()})
    report["actor_jobs_dirs"] = sorted({a["jobs_dir"] for a in executor.actor_info()})
    jobs = [Job.single(["/bin/sh", "-c", f"id -u; sleep 0.3; echo {i}"], cacheable=False) for i in range(8)]
    seen: list[str] = []
    executor.run_many(jobs, on_result=lambda i, r: seen.append(r.stdout.split()[0]))
    report["uids_seen"] = sorted(set(seen))


def check_reward(report: dict, address: str) -> None:
    """SimulationReward, untouched, routed through Ray by the environment alone."""
    from rtlgen.rewards.simulation import SimulationReward

    completions = [f"```verilog\n{GOOD}\n```", HALF, BROKEN, "no code here"]
    kwargs = {"testbench": [TB] * 4, "reference": [REF] * 4}
    local = SimulationReward()
    report["reward_local"] = local(["p"] * 4, completions, **kwargs)
    os.environ["RTLGEN_EXECUTOR"] = f"ray:{address}"
    try:
        remote = SimulationReward()
        report["reward_ray"] = remote(["p"] * 4, completions, **kwargs)
        report["reward_executor"] = type(remote.judge().sandbox.executor).__name__
        remote.judge().sandbox.close()
    finally:
        del os.environ["RTLGEN_EXECUTOR"]


def check_node_death(report: dict, cluster: LoopbackCluster, address: str) -> None:
    """Kill the second node while both actors hold batches: every job answered once, the lost ones again."""
    executor = RayExecutor(address, config=SandboxConfig(), batch_size=2, start_timeout_s=60)
    try:
        executor.fingerprints(["/bin/sh"])  # the pool is up before the clock starts
        n = 16
        jobs = [Job.single(["/bin/sh", "-c", f"sleep 0.4; echo job-{i}"], cacheable=False) for i in range(n)]
        answers: dict[int, list[str]] = {}
        killer = threading.Timer(1.5, cluster.kill_node, args=(1,))
        t0 = time.monotonic()
        killer.start()
        executor.run_many(jobs, on_result=lambda i, r: answers.setdefault(i, []).append(r.stdout.strip()))
        killer.join()
        report["death_s"] = round(time.monotonic() - t0, 2)
        report["death_answers"] = {str(i): v for i, v in sorted(answers.items())}
        report["death_retried"] = list(executor.last_retried)
        report["death_stats"] = executor.stats.__dict__
        report["death_after"] = essence(executor.run(Job.single(["/bin/echo", "still serving"])))
    finally:
        executor.close()


def main() -> int:
    out = Path(sys.argv[1])
    report: dict = {"errors": [], "jobs_dir": os.environ.get("RTLGEN_JOBS_DIR", "")}
    t_start = time.monotonic()
    cluster = LoopbackCluster.start(nodes=2, cpus_per_node=1)
    report["cluster_start_s"] = round(time.monotonic() - t_start, 2)
    try:
        local = Sandbox(SandboxConfig(executor="local"))
        ray_sb = build_sandbox(SandboxConfig(executor=f"ray:{cluster.address}", batch_size=4))  # the CLI's route
        executor = ray_sb.executor
        assert isinstance(executor, RayExecutor)
        steps = (lambda: check_equal_results(report, local, ray_sb), lambda: check_judge(report, local, ray_sb),
                 lambda: check_placement_and_uids(report, executor))
        for step in steps:
            try:
                step()
            except Exception:  # noqa: BLE001 - record it and go on: the report names every failure
                report["errors"].append(traceback.format_exc()[-2000:])
        executor.close()  # its actors hold both CPUs
        for step in (lambda: check_reward(report, cluster.address),
                     lambda: check_node_death(report, cluster, cluster.address)):
            try:
                step()
            except Exception:  # noqa: BLE001
                report["errors"].append(traceback.format_exc()[-2000:])
    finally:
        import ray

        ray.shutdown()
        cluster.stop()
        report["total_s"] = round(time.monotonic() - t_start, 2)
        out.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
