"""The Ray executor: argument and install errors without a cluster, then a real two-node cluster on loopback.

The cluster test runs ``tests/ray_driver.py`` as the init of a private network and pid namespace (Ray binds
every interface otherwise; see ``rtlgen.sandbox.ray_cluster``) and asserts on the report it writes: the
same results as local for real Icarus jobs and a judge batch, actors on both nodes with distinct private
uids, ``SimulationReward`` routed through Ray by ``$RTLGEN_EXECUTOR`` alone, and a node killed mid-batch
with every job answered exactly once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rtlgen.errors import InputError, SandboxUnavailableError
from rtlgen.sandbox import SandboxConfig, build_sandbox
from rtlgen.sandbox.settings import Backend

REPO = Path(__file__).resolve().parent.parent
DRIVER_TIMEOUT_S = 300


def test_missing_ray_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(SandboxUnavailableError) as err:
        build_sandbox(SandboxConfig(executor="ray:127.0.0.1:6379"))
    assert "pip install 'rtlgen[ray]'" in str(err.value) and "\n" not in str(err.value)


def test_unreachable_cluster_fails_fast_in_one_line():
    pytest.importorskip("ray")
    with pytest.raises(SandboxUnavailableError) as err:
        build_sandbox(SandboxConfig(executor="ray:127.0.0.1:9"))  # discard port: nothing listens
    assert "cannot reach the Ray cluster" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("kwargs,needle", [
    ({"batch_size": 0}, "batch_size"), ({"actors": -1}, "actors"), ({"depth": 0}, "depth"),
    ({"cpus_per_actor": 0}, "cpus_per_actor"), ({"max_attempts": 0}, "max_attempts"),
])
def test_bad_arguments_are_one_line(kwargs, needle):
    from rtlgen.sandbox.ray_executor import RayExecutor

    with pytest.raises(InputError) as err:
        RayExecutor("127.0.0.1:1", **kwargs)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_bad_actor_count_in_environment(monkeypatch):
    from rtlgen.sandbox.ray_executor import RayExecutor

    monkeypatch.setenv("RTLGEN_RAY_ACTORS", "many")
    with pytest.raises(InputError, match="RTLGEN_RAY_ACTORS"):
        RayExecutor("127.0.0.1:1")


def test_unsafe_needs_the_opt_in():
    from rtlgen.sandbox.ray_executor import RayExecutor

    with pytest.raises(SandboxUnavailableError, match="allow_unsafe"):
        RayExecutor("127.0.0.1:1", config=SandboxConfig(backend=Backend.UNSAFE_LOCAL))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    from rtlgen.sandbox.ray_cluster import namespace_env, namespace_support, private_namespace_argv

    usable, reason = namespace_support()
    if not usable:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("ray") / "report.json"
    log = out.with_name("driver.log")
    argv = private_namespace_argv([sys.executable, str(REPO / "tests" / "ray_driver.py"), str(out)])
    with open(log, "wb") as fh:
        proc = subprocess.run(argv, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, timeout=DRIVER_TIMEOUT_S,
                              env=namespace_env(out.with_name("jobs")), check=False)
    tail = log.read_text(errors="replace")[-3000:]
    assert proc.returncode == 0 and out.exists(), f"driver failed ({proc.returncode}):\n{tail}"
    data = json.loads(out.read_text())
    assert not data["errors"], "\n".join(data["errors"])
    return data


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_same_results_as_local(report):
    assert report["sim_equal"] == [True] * report["sim_jobs"]
    assert "Mismatches: 0 in 16 samples" in report["sim_first_stdout"]
    assert report["single_run_equal"]
    assert report["judge_ray"] == report["judge_local"]
    assert report["judge_local"][0][:2] == [True, "pass"]


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_actors_spread_with_distinct_uids(report):
    assert len(report["actor_nodes"]) == 2  # one actor on each node
    assert len(report["actor_pids"]) == 2
    assert len(report["uids_seen"]) == 2  # two processes on one host never share a private uid
    # job dirs stay out of the shared temp dir: pids in their names mean nothing outside the namespace
    assert report["actor_jobs_dirs"] == [report["jobs_dir"]] and report["jobs_dir"].endswith("jobs")


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_reward_routes_through_ray_unchanged(report):
    assert report["reward_executor"] == "RayExecutor"
    assert report["reward_ray"] == report["reward_local"] == [1.0, 0.25, 0.0, 0.0]


@pytest.mark.cluster
@pytest.mark.slow
@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_node_death_mid_batch_loses_nothing(report):
    answers = report["death_answers"]
    assert sorted(answers, key=int) == [str(i) for i in range(16)]  # every job answered ...
    assert all(v == [f"job-{i}"] for i, v in ((int(k), v) for k, v in answers.items()))  # ... once, rightly
    stats = report["death_stats"]
    assert stats["actors_lost"] >= 1 and stats["lost_batches"] >= 1
    assert report["death_retried"] and stats["retried_jobs"] >= len(report["death_retried"])
    assert stats["jobs"] == 16
    assert report["death_after"][0][2] == "still serving\n"  # the surviving node keeps serving
