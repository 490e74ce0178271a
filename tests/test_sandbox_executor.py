"""The executor seam: one spec string, jobs as JSON, private uids unique across processes, cache in front."""

from __future__ import annotations

import multiprocessing as mp

import pytest

from rtlgen.errors import InputError
from rtlgen.sandbox import (
    Executor,
    ExecutorKind,
    Job,
    JobResult,
    Limits,
    Sandbox,
    SandboxConfig,
    Step,
    build_sandbox,
    parse_executor,
)
from rtlgen.sandbox.uids import PAIRS_PER_SLOT, UidAllocator


@pytest.mark.parametrize("text,kind,address", [
    ("local", ExecutorKind.LOCAL, ""), ("unsafe-local", ExecutorKind.UNSAFE_LOCAL, ""),
    ("remote:http://127.0.0.1:8000/", ExecutorKind.REMOTE, "http://127.0.0.1:8000"),
    ("ray:127.0.0.1:6379", ExecutorKind.RAY, "127.0.0.1:6379"), ("ray", ExecutorKind.RAY, "auto"),
])
def test_executor_spec_parses(text, kind, address):
    spec = parse_executor(text)
    assert (spec.kind, spec.address) == (kind, address)


@pytest.mark.parametrize("text", ["docker", "remote:127.0.0.1:8000", "local:x", "remote"])
def test_bad_executor_spec_is_one_line(text):
    with pytest.raises(InputError) as err:
        parse_executor(text)
    assert "\n" not in str(err.value)


def test_environment_chooses_the_executor(monkeypatch):
    monkeypatch.setenv("RTLGEN_EXECUTOR", "ray:10.0.0.1:6379")
    assert parse_executor(None).kind is ExecutorKind.RAY
    monkeypatch.setenv("RTLGEN_EXECUTOR", "")
    assert parse_executor(None).kind is ExecutorKind.LOCAL


def test_job_json_round_trip():
    job = Job(steps=(Step(("/usr/bin/cat",), stdin=b"\x00\xffin", limits=Limits(wall_s=3), private=True,
                          feeds=(("p.fifo", "p.bin"),), exec_only=("x",)), Step(("/usr/bin/true",), check=False)),
              files={"a.v": b"\x00bin", "d/b.txt": "text"}, limits=Limits(wall_s=5, memory_mb=512), outputs=("o",),
              env={"K": "V"}, ro_paths=("/usr/share",), cacheable=False, private_files=("a.v",))
    assert Job.from_json(job.to_json()) == job


@pytest.mark.parametrize("data,needle", [
    ({"steps": [{"argv": ["/bin/true"]}], "bogus": 1}, "bogus"),
    ({"steps": [{"argv": ["/bin/true"], "sudo": True}]}, "sudo"),
    ({"steps": []}, "at least one step"),
    ({"steps": [{"argv": ["/bin/true"]}], "files": {"../x": ""}}, "inside the job dir"),
    ({"steps": [{"argv": ["/bin/true"]}], "files": {"a": "!!notb64"}}, "base64"),
    ({"steps": [{"argv": ["/bin/true"]}], "limits": {"wall_s": -1}}, "positive"),
    ({"steps": [{"argv": "/bin/true"}]}, "list"),
    ([1, 2], "object"),
])
def test_malformed_job_json_is_refused(data, needle):
    with pytest.raises(InputError) as err:
        Job.from_json(data)
    assert needle in str(err.value)


def test_job_result_json_round_trip(sandbox):
    res = sandbox.run(Job.single(["/bin/sh", "-c", "echo hi; echo err >&2; printf x > o"], outputs=("o",)))
    back = JobResult.from_json(res.to_json())
    assert back.stdout == "hi\n" and back.stderr == "err\n" and back.outputs == {"o": b"x"}


def _claim(base: int, q_up, q_down) -> None:
    alloc = UidAllocator(base, 4 * 2 * PAIRS_PER_SLOT)
    q_up.put(sorted(alloc.acquire() for _ in range(PAIRS_PER_SLOT)))
    q_down.get()  # hold the slot until the parent has seen every child's uids


def test_private_uids_never_collide_between_processes():
    base = 700_000
    ctx = mp.get_context("fork")
    q_up, q_down = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_claim, args=(base, q_up, q_down)) for _ in range(3)]
    for p in procs:
        p.start()
    got = [q_up.get(timeout=30) for _ in procs]
    for _ in procs:
        q_down.put("done")
    for p in procs:
        p.join(timeout=30)
    flat = [u for uids in got for u in uids]
    assert len(flat) == len(set(flat)) == 3 * PAIRS_PER_SLOT
    assert all(u % 2 == 0 for u in flat)  # builder uids; the public uid is the next one


def test_uid_pairs_are_returned_and_reused():
    alloc = UidAllocator(800_000, 2 * 2 * PAIRS_PER_SLOT)
    first = alloc.acquire()
    alloc.release(first)
    assert alloc.acquire() == first


class _Counting(Executor):
    kind = ExecutorKind.LOCAL

    def __init__(self, inner: Executor) -> None:
        self.inner, self.ran = inner, 0

    def run(self, job):
        self.ran += 1
        return self.inner.run(job)


def test_cache_and_dedup_stay_in_front_of_any_executor(tmp_path):
    base = build_sandbox(SandboxConfig(jobs_dir=str(tmp_path / "jobs")))
    counting = _Counting(base.executor)
    sb = Sandbox(SandboxConfig(jobs_dir=str(tmp_path / "jobs"), cache_dir=str(tmp_path / "c")), executor=counting)
    jobs = [Job.single(["/bin/echo", str(i % 3)]) for i in range(9)]
    first = sb.run_many(jobs)
    assert counting.ran == 3 and [r.stdout for r in first] == [f"{i % 3}\n" for i in range(9)]
    again = sb.run_many(jobs)
    assert counting.ran == 3 and all(r.cached for r in again)


def test_sessions_need_a_local_executor():
    class Elsewhere(Executor):
        kind = ExecutorKind.REMOTE

        def run(self, job):
            raise AssertionError

    from rtlgen.errors import SandboxUnavailableError

    with pytest.raises(SandboxUnavailableError, match="local executor"):
        Sandbox(executor=Elsewhere()).open_session(Job.single(["/bin/cat"]))
