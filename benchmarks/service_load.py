"""Load on ``rtlgen serve`` from N concurrent clients on 127.0.0.1, against the local pool in the same run;
then one eval through each executor.

    .venv/bin/python benchmarks/service_load.py [--clients 8] [--seconds 10] [--batch 8] [--workers 2]
        [--eval-limit 20] [--data-dir ../shared/verilog-eval] [--executor ray=ray:127.0.0.1:6379] [--json F]

1. Load: for ``--seconds``, ``--clients`` threads each send batches of ``--batch`` small non-cacheable
   jobs (a shell that echoes a unique line) and wait for them; first straight into a local pool of
   ``--workers`` threads calling ``Sandbox.run`` (what the server does without HTTP), then through a
   ``RemoteExecutor`` per client against a server with the same ``--workers``. Reports jobs/s, p50/p99
   batch latency and lost or wrong answers (must be zero: every job's output is checked).
2. Eval: ``run_eval`` of the first ``--eval-limit`` VerilogEval v2 spec-to-rtl problems, golden
   completions, strict mode, no result cache, through ``local`` and ``remote:URL`` (and every extra
   ``--executor NAME=SPEC``, e.g. a Ray cluster), ``--eval-repeat`` times interleaved: the fastest wall
   time of each, and whether the verdicts agree.

The server is started here (``rtlgen serve`` in its own session on a free loopback port) and stopped
by signalling that process group only.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from rtlgen.sandbox import Job, Limits, SandboxConfig, build_sandbox
from rtlgen.sandbox.remote import RemoteExecutor

REPO = Path(__file__).resolve().parent.parent
TASK = "verilogeval-v2-spec-to-rtl"


class Server:
    """``rtlgen serve --workers W`` on a free 127.0.0.1 port, in its own session."""

    def __init__(self, workers: int) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "rtlgen.cli.main", "serve", "--port", str(self.port),
                                      "--workers", str(workers), "--set", "queue_size=100000"],
                                     cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("rtlgen serve did not become ready in 30 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def batch_of(client: int, serial: int, size: int) -> tuple[list[Job], list[str]]:
    lines = [f"c{client}-b{serial}-j{k}" for k in range(size)]
    return [Job.single(["/bin/sh", "-c", f"echo {line}"], limits=Limits(wall_s=30), cacheable=False)
            for line in lines], [line + "\n" for line in lines]


def drive(clients: int, seconds: float, batch: int, run_batch) -> dict:
    """``clients`` threads calling ``run_batch(client, jobs) -> stdouts`` until ``seconds`` pass."""
    latencies: list[float] = []
    counts = {"jobs": 0, "lost": 0, "wrong": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(c: int) -> None:
        serial = 0
        while time.monotonic() < stop_at:
            jobs, expected = batch_of(c, serial, batch)
            serial += 1
            t0 = time.monotonic()
            outs = run_batch(c, jobs)
            dt = time.monotonic() - t0
            with lock:
                latencies.append(dt)
                counts["jobs"] += len(jobs)
                counts["lost"] += sum(o is None for o in outs) + max(0, len(jobs) - len(outs))
                counts["wrong"] += sum(o is not None and o != e for o, e in zip(outs, expected, strict=False))

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"jobs": counts["jobs"], "wall_s": round(wall, 2), "jobs_per_s": round(counts["jobs"] / wall, 1),
            "p50_batch_ms": round(q[49] * 1000, 1), "p99_batch_ms": round(q[98] * 1000, 1),
            "lost": counts["lost"], "wrong": counts["wrong"]}


def load(args) -> dict:
    sandbox = build_sandbox(SandboxConfig(executor="local"))
    pool = ThreadPoolExecutor(max_workers=args.workers)

    def local_batch(_c: int, jobs: list[Job]) -> list[str | None]:
        return [f.result().stdout for f in [pool.submit(sandbox.run, j) for j in jobs]]

    local = drive(args.clients, args.seconds, args.batch, local_batch)
    pool.shutdown()
    server = Server(args.workers)
    try:
        executors = [RemoteExecutor(server.url, batch_size=args.batch, max_in_flight=1) for _ in range(args.clients)]

        def remote_batch(c: int, jobs: list[Job]) -> list[str | None]:
            outs: list[str | None] = [None] * len(jobs)

            def got(i, r):
                outs[i] = r.stdout

            executors[c].run_many(jobs, on_result=got)
            return outs

        remote = drive(args.clients, args.seconds, args.batch, remote_batch)
        for ex in executors:
            ex.close()
    finally:
        server.stop()
    return {"local_pool": local, "remote": remote}


def eval_executors(server_url: str, extra: list[str]) -> dict[str, str]:
    """name -> executor spec of every eval run. The Ray column: pass ``--executor ray=ray:HOST:PORT``
    (the caller starts the cluster), or add it here once the Ray executor has a local bring-up helper."""
    specs = {"local": "local", "remote": f"remote:{server_url}"}
    for item in extra:
        name, sep, spec = item.partition("=")
        if not sep:
            raise SystemExit(f"--executor must look like NAME=SPEC, not {item!r}")
        specs[name] = spec
    return specs


def evals(args) -> dict:
    from rtlgen.evals.runner import EvalConfig, run_eval

    server = Server(args.workers)
    out: dict[str, dict] = {}
    walls: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="rtlgen-service-load-") as tmp:
            specs = eval_executors(server.url, args.executor)
            for rep in range(args.eval_repeat):  # interleaved, so a warm-up or a busy moment hits every executor
                for name, spec in specs.items():
                    cfg = EvalConfig(task=TASK, mode="strict", model="golden", data_dir=args.data_dir,
                                     limit=args.eval_limit, out=str(Path(tmp) / f"{name}-{rep}"), cache=False,
                                     progress=False, robust=False, executor=spec, jobs=args.eval_jobs)
                    t0 = time.monotonic()
                    summary = run_eval(cfg)
                    walls.setdefault(name, []).append(round(time.monotonic() - t0, 2))
                    out[name] = {"wall_s": min(walls[name]), "walls_s": walls[name], "problems": summary["problems"],
                                     "passed": len(summary["passed"]), "failed": summary["failed"],
                                     "categories": summary["categories"]}
    finally:
        server.stop()
    first = next(iter(out.values()))
    for row in out.values():
        row["same_as_local"] = (row["passed"], row["failed"], row["categories"]) == (
            first["passed"], first["failed"], first["categories"])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--eval-limit", type=int, default=20, help="VerilogEval problems in part 2 (0: skip it)")
    ap.add_argument("--eval-repeat", type=int, default=2, help="runs per executor; the fastest is reported")
    ap.add_argument("--eval-jobs", type=int, default=None, help="concurrent simulations of each eval")
    ap.add_argument("--data-dir", default=os.environ.get("RTLGEN_VERILOGEVAL_DIR",
                                                         str(REPO.parent / "shared" / "verilog-eval")))
    ap.add_argument("--executor", action="append", default=[], help="more eval executors, NAME=SPEC")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()
    os.environ.setdefault("RTLGEN_NO_PROGRESS", "1")
    result = {"config": {k: v for k, v in vars(args).items() if k != "json"}, "load": load(args)}
    print(f"load: {args.clients} clients x batches of {args.batch}, {args.seconds:g} s, {args.workers} workers")
    print(f"{'':12}{'jobs':>8}{'jobs/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'lost':>6}{'wrong':>7}")
    for name, row in result["load"].items():
        print(f"{name:12}{row['jobs']:>8}{row['jobs_per_s']:>9}{row['p50_batch_ms']:>9}{row['p99_batch_ms']:>9}"
              f"{row['lost']:>6}{row['wrong']:>7}")
    if args.eval_limit:
        result["eval"] = evals(args)
        print(f"eval: {TASK}, first {args.eval_limit} problems, golden, strict, no cache")
        for name, row in result["eval"].items():
            print(f"{name:12} wall {row['wall_s']:>7} s (runs {row['walls_s']})  passed {row['passed']}/{row['problems']}  "
                  f"same verdicts as local: {row['same_as_local']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    lost = sum(r["lost"] + r["wrong"] for r in result["load"].values())
    same = all(r["same_as_local"] for r in result.get("eval", {}).values())
    return 0 if lost == 0 and same else 1


if __name__ == "__main__":
    sys.exit(main())
