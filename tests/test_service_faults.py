"""A service worker killed in the middle of a batch: every job is answered exactly once, either by the batch
that was sent first or by a retry, and each result says which (``retried``, ``attempts``, ``endpoint``).

Three shapes: two servers behind one client (one is SIGKILLed), one server killed and restarted on the same
port, and the compose shape (an api forwarding over unix sockets to two workers in a folder, one killed).
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
pytest.importorskip("httpx")

from test_service_support import ServerProcess  # noqa: E402

from rtlgen.sandbox import Job, Limits  # noqa: E402
from rtlgen.sandbox.remote import RemoteExecutor, RemoteJobResult  # noqa: E402

pytestmark = [pytest.mark.requires_bwrap, pytest.mark.slow]


def slow_jobs(n: int, seconds: float = 0.4) -> list[Job]:
    return [Job.single(["/usr/bin/sh", "-c", f"sleep {seconds}; echo job-{i}"], limits=Limits(wall_s=30),
                       cacheable=False) for i in range(n)]


def run_and_collect(executor: RemoteExecutor, jobs: list[Job], kill, after_s: float = 60.0,
                    when=None) -> dict[int, list]:
    """Run ``jobs``; call ``kill()`` ``after_s`` seconds in, or as soon as a result satisfies ``when``;
    index -> every result delivered for it."""
    answers: dict[int, list[RemoteJobResult]] = {}
    timer = threading.Timer(after_s, kill)
    timer.start()

    def collect(i: int, r: RemoteJobResult) -> None:
        answers.setdefault(i, []).append(r)
        if when is not None and when(r) and timer.is_alive():
            timer.cancel()
            threading.Thread(target=kill).start()

    try:
        executor.run_many(jobs, on_result=collect)
    finally:
        timer.cancel()
    return answers


def check_all_answered_once(answers: dict, n: int) -> list[RemoteJobResult]:
    assert sorted(answers) == list(range(n)), "a job was lost"
    assert all(len(v) == 1 for v in answers.values()), "a job was answered twice"
    results = [answers[i][0] for i in range(n)]
    assert [r.stdout for r in results] == [f"job-{i}\n" for i in range(n)]
    return results


def test_kill_one_of_two_servers_mid_batch():
    with ServerProcess(workers=2) as a, ServerProcess(workers=2) as b:
        ex = RemoteExecutor([a.url, b.url], batch_size=3, max_in_flight=4, backoff_s=0.05)
        jobs = slow_jobs(24)
        answers = run_and_collect(ex, jobs, a.kill, when=lambda r: r.endpoint == a.url)  # a dies after answering once
        results = check_all_answered_once(answers, 24)
        retried = [r for r in results if r.retried]
        assert retried, "the killed server's batches should have been sent again"
        assert all(r.endpoint == b.url for r in retried)  # the retry went to the live server
        assert any(r.endpoint == a.url and not r.retried for r in results)  # a's first answers stood
        ex.close()


def test_server_restarted_mid_batch():
    server = ServerProcess(workers=2).start()
    port = server.port
    try:
        def kill_and_restart() -> None:
            server.kill()
            time.sleep(1.0)
            restarted = ServerProcess(workers=2, port=port)
            restarted.start()
            holder.append(restarted)

        holder: list[ServerProcess] = []
        ex = RemoteExecutor(server.url, batch_size=2, max_in_flight=2, backoff_s=0.2, max_attempts=8)
        results = check_all_answered_once(run_and_collect(ex, slow_jobs(12), kill_and_restart, after_s=0.6), 12)
        assert any(r.retried for r in results) and any(not r.retried for r in results)
        ex.close()
    finally:
        server.stop()
        for s in holder:
            s.stop()


def test_api_forwards_to_worker_sockets_and_survives_a_dead_worker():
    sockets = Path(tempfile.mkdtemp(prefix="rtlgen-workers-"))
    w1 = ServerProcess(workers=2, uds=str(sockets / "worker-1.sock")).start()
    w2 = ServerProcess(workers=2, uds=str(sockets / "worker-2.sock")).start()
    api = ServerProcess(workers=8, token="api-token", extra=("--workers-dir", str(sockets))).start()
    try:
        ex = RemoteExecutor(api.url, token="api-token", batch_size=4, max_in_flight=3, backoff_s=0.05)
        results = check_all_answered_once(run_and_collect(ex, slow_jobs(20), w1.kill, after_s=0.7), 20)
        assert any(r.retried for r in results), "jobs on the dead worker should have been forwarded again"
        with api.client() as c:
            assert c.get("/readyz").json()["ready"] is True  # the surviving worker runs jobs
        ex.close()
    finally:
        for s in (api, w1, w2):
            s.stop()
