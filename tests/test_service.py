"""``rtlgen serve`` over real HTTP on 127.0.0.1: jobs, bad requests (each a 4xx with one line, the service
keeps serving), auth, size limits, admission (429), the result store across a client's disconnect, and
the remote executor's one-line errors. Servers are real uvicorn subprocesses (tests/test_service_support.py)."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from test_service_support import ServerProcess  # noqa: E402

from rtlgen.errors import InputError, SandboxUnavailableError  # noqa: E402
from rtlgen.sandbox import Job, Limits, SandboxConfig, build_sandbox  # noqa: E402
from rtlgen.sandbox.remote import RemoteExecutor, resolve_token  # noqa: E402
from rtlgen.service.limits import RequestError, check_job  # noqa: E402
from rtlgen.service.settings import ServiceConfig, load_service_config  # noqa: E402

pytestmark = [pytest.mark.requires_bwrap]
TOKEN = "s3cret-token"


def echo(text: str, **kw) -> Job:
    return Job.single(["/usr/bin/echo", text], limits=Limits(wall_s=10), cacheable=False, **kw)


def post_jobs(client: httpx.Client, jobs: list[Job], ids: list[str] | None = None, **kw) -> httpx.Response:
    rows = [{"job": j.to_json(), **({"id": ids[i]} if ids else {})} for i, j in enumerate(jobs)]
    return client.post("/v1/jobs", json={"jobs": rows}, **kw)


def one_line_error(resp: httpx.Response) -> str:
    msg = resp.json()["error"]
    assert "\n" not in msg and msg
    return msg


@pytest.fixture(scope="module")
def server():
    with ServerProcess(token=TOKEN, workers=2, extra=("--set", "max_body_bytes=2000000", "--set",
                                                      "max_limits.wall_s=60")) as s:
        yield s


# -- without a server ---------------------------------------------------------------------------------------
def test_refuses_public_address_without_token(monkeypatch):
    monkeypatch.delenv("RTLGEN_TOKEN", raising=False)
    monkeypatch.delenv("RTLGEN_TOKEN_FILE", raising=False)
    with pytest.raises(InputError, match="without a token"):
        ServiceConfig(host="0.0.0.0").check_exposure()
    ServiceConfig(host="0.0.0.0", token="x").check_exposure()
    ServiceConfig(host="127.0.0.1").check_exposure()
    ServiceConfig(host="::1").check_exposure()


def test_config_yaml_and_unknown_key(tmp_path):
    path = tmp_path / "serve.yaml"
    path.write_text("port: 9001\nmax_limits: {wall_s: 5}\n")
    cfg = load_service_config(path, ["queue_size=7"], workers=3)
    assert (cfg.port, cfg.max_limits.wall_s, cfg.queue_size, cfg.workers) == (9001, 5.0, 7, 3)
    assert cfg.max_limits.output_bytes == 16_000_000  # one ceiling field set, the others keep theirs
    path.write_text("prot: 1\n")
    with pytest.raises(InputError, match="port"):
        load_service_config(path)


def test_job_checks_name_the_field():
    cfg = ServiceConfig()
    with pytest.raises(RequestError, match=r"jobs\[0\]\.limits\.memory_mb"):
        check_job(Job.single(["/usr/bin/true"], limits=Limits(memory_mb=10**6)), cfg, "jobs[0]")
    with pytest.raises(RequestError, match="ro_paths"):
        check_job(Job.single(["/usr/bin/true"], ro_paths=("/root",)), cfg, "jobs[0]")
    with pytest.raises(RequestError, match="ro_paths"):
        check_job(Job.single(["/usr/bin/true"], ro_paths=("/usr/../etc",)), cfg, "jobs[0]")
    with pytest.raises(RequestError, match="rw_paths"):
        check_job(Job.single(["/usr/bin/true"], rw_paths=("/usr/lib",)), cfg, "jobs[0]")
    check_job(Job.single(["/usr/bin/true"], ro_paths=("/usr/share",)), cfg, "jobs[0]")


def test_token_sources(tmp_path, monkeypatch):
    monkeypatch.delenv("RTLGEN_TOKEN", raising=False)
    (tmp_path / "t").write_text("from-file\n")
    monkeypatch.setenv("RTLGEN_TOKEN_FILE", str(tmp_path / "t"))
    assert resolve_token(None) == "from-file"
    monkeypatch.setenv("RTLGEN_TOKEN", "from-env")
    assert resolve_token(None) == "from-env"
    assert resolve_token("explicit") == "explicit"
    monkeypatch.delenv("RTLGEN_TOKEN")
    monkeypatch.setenv("RTLGEN_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(InputError, match="cannot be read"):
        resolve_token(None)


def test_unreachable_server_is_one_line():
    ex = RemoteExecutor("http://127.0.0.1:9", max_attempts=2, backoff_s=0.01)
    with pytest.raises(SandboxUnavailableError) as err:
        ex.run(echo("x"))
    assert "127.0.0.1:9" in str(err.value) and "\n" not in str(err.value)


# -- against a server ---------------------------------------------------------------------------------------
def test_jobs_through_remote_executor(server):
    sandbox = build_sandbox(SandboxConfig(executor=f"remote:{server.url}", token=TOKEN, batch_size=3))
    jobs = [echo(str(i)) for i in range(8)] + [echo("0")]  # the duplicate runs once (Sandbox dedup)
    seen: list[int] = []
    results = sandbox.run_many(jobs, on_result=lambda i, r: seen.append(i))
    assert [r.stdout.strip() for r in results] == [str(i) for i in range(8)] + ["0"]
    assert sorted(seen) == list(range(9))
    assert all(r.attempts == 1 and not r.retried and r.endpoint == server.url for r in results)
    sandbox.close()


def test_wrong_and_missing_token(server):
    with httpx.Client(base_url=server.url) as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/readyz").json()["ready"] is True
        resp = post_jobs(c, [echo("x")])
        assert resp.status_code == 401 and "bearer" in one_line_error(resp)
        resp = post_jobs(c, [echo("x")], headers={"Authorization": "Bearer nope"})
        assert resp.status_code == 403
        assert c.get("/metrics").status_code == 401
    ex = RemoteExecutor(server.url, token="nope")
    with pytest.raises(SandboxUnavailableError, match="refused the token"):
        ex.run(echo("x"))


def test_bad_requests_get_4xx_and_service_keeps_serving(server):
    with server.client() as c:
        bad = [
            (c.post("/v1/jobs", content=b"{not json", headers={"Content-Type": "application/json"}), 400, "JSON"),
            (c.post("/v1/jobs", json=[1, 2]), 400, "object"),
            (c.post("/v1/jobs", json={"jobs": [], "extra": 1}), 400, "extra"),
            (c.post("/v1/jobs", json={"jobs": [{"job": {**echo("x").to_json(), "sudo": True}}]}), 400, "sudo"),
            (c.post("/v1/jobs", json={"jobs": [{"job": echo("x").to_json(), "id": "../x"}]}), 400, "id"),
            (post_jobs(c, [echo("x"), Job.single(["/usr/bin/true"], limits=Limits(wall_s=3600))]), 422,
             "jobs[1].limits.wall_s"),
            (post_jobs(c, [Job.single(["/usr/bin/true"], ro_paths=("/root",))]), 403, "ro_paths"),
            (post_jobs(c, [Job.single(["/usr/bin/true"], rw_paths=("/tmp",))]), 403, "rw_paths"),
            (c.post("/run_code", json={"code": "x", "language": "python"}), 400, "verilog"),
            (c.post("/v1/judge", json={"items": [{"design": "x", "bench": {"files": {}}}]}), 400, "bench"),
            (c.post("/v1/reward", json={"query": ["a"], "labels": ["{"]}), 400, "labels[0]"),
        ]
        for resp, status, word in bad:
            assert resp.status_code == status, (word, resp.text)
            assert word in one_line_error(resp)
        resp = post_jobs(c, [echo("still here")])
        assert resp.status_code == 200 and resp.json()["results"][0]["result"]["steps"][0]["stdout"] == "still here\n"
        metrics = c.get("/metrics").text
        assert 'rtlgen_requests_refused_total{reason="bad_request"}' in metrics


def _raw(server: ServerProcess, head: bytes, body_chunks=(), read_timeout: float = 10.0) -> tuple[int, float]:
    """Send ``head`` and then ``body_chunks`` until the server answers; (status, seconds to answer)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=read_timeout) as s:
        s.sendall(head)
        s.settimeout(0.05)
        data = b""
        for chunk in body_chunks:
            try:
                data += s.recv(4096)
                if data:
                    break
            except TimeoutError:
                pass
            try:
                s.sendall(chunk)
            except OSError:
                break
        s.settimeout(read_timeout)
        while b"\r\n" not in data:
            part = s.recv(4096)
            if not part:
                break
            data += part
    return int(data.split(b" ", 2)[1]), time.monotonic() - started


def test_huge_body_refused_before_reading(server):
    auth = f"Authorization: Bearer {TOKEN}\r\n".encode()
    head = (b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + auth +
            b"Content-Length: 100000000\r\n\r\n")
    status, seconds = _raw(server, head + b"{")  # 100 MB announced, one byte sent: answered at once
    assert status == 413 and seconds < 5
    chunked = (b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + auth +
               b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n" % 65536 + b" " * 65536 + b"\r\n"
    status, _ = _raw(server, chunked, [chunk] * 1600)  # ~100 MB offered; cut off past 2 MB
    assert status == 413
    with server.client() as c:
        assert post_jobs(c, [echo("ok")]).status_code == 200


def test_retry_after_disconnect_is_answered_without_rerun(server):
    slow = Job.single(["/usr/bin/sh", "-c", "sleep 1; echo $$-done"], limits=Limits(wall_s=20), cacheable=False)
    ids = ["disconnect-a", "disconnect-b"]
    with server.client() as c:
        before = c.get("/metrics").text
        with pytest.raises(httpx.ReadTimeout):
            post_jobs(c, [slow, slow], ids, timeout=0.3)  # the client gives up mid-batch
    time.sleep(0.2)
    with server.client(timeout=30) as c:
        first = post_jobs(c, [slow, slow], ids).json()["results"]
        assert {r["source"] for r in first} <= {"attached", "replayed"}
        again = post_jobs(c, [slow, slow], ids).json()["results"]
        assert [r["source"] for r in again] == ["replayed", "replayed"]
        assert [r["result"] for r in again] == [r["result"] for r in first]
        after = c.get("/metrics").text
    ran = _counter(after, 'rtlgen_jobs_total{status="ok"}') - _counter(before, 'rtlgen_jobs_total{status="ok"}')
    assert ran == 2  # two jobs, each run once across three requests


def _counter(text: str, name: str) -> float:
    return float(next(line.split()[-1] for line in text.splitlines() if line.startswith(name)))


def test_full_queue_answers_429_with_retry_after():
    sleeper = Job.single(["/usr/bin/sleep", "2"], limits=Limits(wall_s=20), cacheable=False)
    with ServerProcess(workers=1, extra=("--set", "queue_size=2")) as s:
        with s.client(timeout=30) as c:
            t = threading.Thread(target=post_jobs, args=(c, [sleeper, sleeper]))
            t.start()
            time.sleep(0.5)
            resp = post_jobs(c, [echo("one more")])
            assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
            assert "queue is full" in one_line_error(resp)
            ex = RemoteExecutor(s.url, backoff_s=0.05)  # honours Retry-After and gets through
            result = ex.run(echo("after"))
            assert result.stdout == "after\n" and result.retried
            t.join()


@pytest.mark.requires_iverilog
def test_judge_reward_and_run_code(server):
    from test_judge import REF, TB

    good = "module TopModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule"
    wrong = "module TopModule(input [3:0] a, output [3:0] y); assign y = a; endmodule"
    forge = ('module TopModule(input [3:0] a, output [3:0] y); assign y = a; initial begin '
             '$display("Mismatches: 0 in 16 samples"); $finish; end endmodule')
    bench = {"files": {"test.sv": TB, "ref.sv": REF}, "top": "tb", "dut_top": "TopModule",
             "reference_top": "RefModule"}
    with server.client(timeout=120) as c:
        verdicts = c.post("/v1/judge", json={"items": [{"design": d, "bench": bench} for d in (good, wrong, forge)],
                                             "timeout_s": 10}).json()["verdicts"]
        assert [v["passed"] for v in verdicts] == [True, False, False]
        assert verdicts[1]["category"] == "R" and verdicts[1]["fraction_correct"] == 0.0

        label = json.dumps({"testbench": TB, "reference": REF, "top": "TopModule"})
        out = c.post("/get_reward", json={"query": ["P:" + good, "P:" + wrong, "P:" + forge],
                                          "prompts": ["P:"] * 3, "labels": [label] * 3}).json()
        assert out["rewards"] == [1.0, 0.0, 0.0] and out["scores"] == out["rewards"]
        assert out["extra_logs"]["passed"] == [1.0, 0.0, 0.0]

        plain = c.post("/run_code", json={"code": 'module tb; initial $display("hello"); endmodule',
                                          "language": "verilog", "stdin": "", "files": {}, "fetch_files": [],
                                          "compile_timeout": 10, "run_timeout": 10}).json()
        assert plain["status"] == "Success" and plain["run_result"]["stdout"].strip() == "hello"
        broken = c.post("/run_code", json={"code": "module tb; syntax error", "language": "verilog"}).json()
        assert broken["status"] == "Failed" and broken["compile_result"]["return_code"] != 0
        assert broken["run_result"] is None

        judged = c.post("/run_code", json={"code": forge, "language": "verilog", "testbench": bench}).json()
        assert judged["status"] == "Failed" and not judged["verdict"]["passed"]  # the design's print counts for nothing
        wrong_tb = c.post("/run_code", json={"code": wrong, "language": "verilog", "testbench": bench}).json()
        assert wrong_tb["status"] == "Failed" and wrong_tb["run_result"]["stdout"].startswith("FAIL R")
        via_stdin = c.post("/run_code", json={"code": good, "language": "verilog",
                                              "stdin": json.dumps({"rtlgen_testbench": bench})}).json()
        assert via_stdin["status"] == "Success" and via_stdin["run_result"]["stdout"] == "PASS\n"
        assert via_stdin["verdict"]["passed"] is True


def test_serve_refuses_public_host_without_token(monkeypatch, capsys):
    from rtlgen.cli.main import main

    monkeypatch.delenv("RTLGEN_TOKEN", raising=False)
    monkeypatch.delenv("RTLGEN_TOKEN_FILE", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "without a token" in err and err.count("\n") == 1


def test_timeouts_kills_metrics_and_fingerprints(server):
    ex = RemoteExecutor(server.url, token=TOKEN)
    res = ex.run(Job.single(["/usr/bin/sleep", "5"], limits=Limits(wall_s=0.5), cacheable=False))
    assert res.killed_by.value == "timeout" and res.wall_s < 3
    assert ex.fingerprints(["/usr/bin/sleep"])["/usr/bin/sleep"].startswith("/usr/bin/sleep:")
    assert ex.fingerprints(["/root/secret"])["/root/secret"].endswith("not-visible")
    with server.client() as c:
        metrics = c.get("/metrics").text
    assert _counter(metrics, 'rtlgen_job_kills_total{limit="timeout"}') >= 1
    assert "rtlgen_job_latency_seconds_bucket" in metrics and "rtlgen_queue_depth" in metrics
    ex.close()


@pytest.mark.requires_iverilog
@pytest.mark.requires_data
@pytest.mark.slow
def test_eval_through_remote_matches_local(server, tmp_path, monkeypatch):
    from conftest import shared_dir

    from rtlgen.evals.runner import EvalConfig, run_eval

    monkeypatch.setenv("RTLGEN_TOKEN", TOKEN)  # the remote executor's token from the environment
    summaries = {}
    for name, spec in (("local", "local"), ("remote", f"remote:{server.url}")):
        cfg = EvalConfig(task="verilogeval-v2-spec-to-rtl", mode="strict", model="golden", limit=4, cache=False,
                         data_dir=str(shared_dir() / "verilog-eval"), out=str(tmp_path / name), progress=False,
                         robust=False, executor=spec)
        summaries[name] = run_eval(cfg)
    local, remote = summaries["local"], summaries["remote"]
    assert (remote["passed"], remote["failed"], remote["categories"]) == (
        local["passed"], local["failed"], local["categories"])
    assert len(local["passed"]) == 4


# -- hostile clients (each answered in one line, or cut off; the server keeps serving) -----------------------
def test_result_store_is_capped_by_bytes():
    from rtlgen.sandbox import JobResult, StepResult
    from rtlgen.service.metrics import Metrics
    from rtlgen.service.queue import JobQueue

    big = JobResult((StepResult(("x",), 0, "y" * 1000, "", 0.0, 0.0),), outputs={"f": b"z" * 1000})
    queue = JobQueue(lambda job: big, workers=1, capacity=64, metrics=Metrics(), store_bytes=5000)
    for i in range(10):
        fut, _ = queue.submit_batch([(f"id{i}", echo("x"))])[0]
        fut.result(10)
    time.sleep(0.2)
    assert queue._stored_bytes <= 5000 and len(queue._done) == 2 and "id9" in queue._done
    queue.store_bytes = 1000  # a result larger than the whole store is not kept: a retry reruns it
    queue.submit_batch([("huge", echo("x"))])[0][0].result(10)
    time.sleep(0.2)
    assert "huge" not in queue._done


def test_odd_requests_are_one_line_4xx(server):
    with server.client(timeout=30) as c:
        assert one_line_error(c.post("/v1/jobs", content=b"1" * 5000)).startswith("request body holds a value")
        assert c.post("/v1/jobs", content=b"1" * 5000).status_code == 400
        r = c.get("/no/such/route")
        assert r.status_code == 404 and one_line_error(r) == "Not Found"
        assert c.delete("/v1/jobs").status_code == 405
        r = c.get("/v1/tools", params={"tool": "a\0b"})
        assert r.status_code == 400 and "NUL" in one_line_error(r)
        prints = c.get("/v1/tools", params=[("tool", "../../root/.bashrc"), ("tool", "../../etc/shadow")]).json()
        assert set(prints["fingerprints"]) >= {"../../root/.bashrc", "../../etc/shadow"}
        assert all(v.endswith(":not-visible") for k, v in prints["fingerprints"].items() if k.startswith(".."))
        job = {"jobs": [{"job": {**echo("x").to_json(), "files": {"a\0b": "eA=="}}}]}
        r = c.post("/v1/jobs", json=job)
        assert r.status_code == 400 and "NUL" in one_line_error(r)
        code = "module tb; initial $display(\"hi\"); endmodule"
        r = c.post("/run_code", json={"code": code, "language": "verilog", "files": {"a\0b": "eA=="}})
        assert r.status_code == 400 and "NUL" in one_line_error(r)
        deep = '{"rtlgen_testbench":' + "[" * 50_000 + "]" * 50_000 + "}"
        assert c.post("/run_code", json={"code": code, "language": "verilog", "stdin": deep}).status_code == 200
        assert c.get("/healthz").status_code == 200


def test_slow_clients_are_cut_off(tmp_path):
    """A client that sends half a request (headers or body) is disconnected after read_timeout_s; one that asked in
    time is answered, however long its job runs."""
    with ServerProcess(token=TOKEN, workers=1, extra=("--set", "read_timeout_s=1")) as s:
        host, port = s.url.removeprefix("http://").split(":")
        half_header, half_body, idle = (socket.create_connection((host, int(port))) for _ in range(3))
        half_header.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        half_body.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode()
                          + b"\r\nContent-Length: 100\r\n\r\n{\"jobs\"")
        time.sleep(2.5)
        for sock in (half_header, half_body, idle):
            sock.settimeout(5)
            assert sock.recv(100) == b"", "the server should have closed this connection"
            sock.close()
        with s.client(timeout=30) as c:
            job = Job.single(["/usr/bin/sleep", "2"], limits=Limits(wall_s=10), cacheable=False)
            r = post_jobs(c, [job])
            assert r.status_code == 200 and r.json()["results"][0]["result"]["steps"][0]["exit_code"] == 0
