"""The sandbox against real programs: confinement, every limit and its ``killed_by``, cache, pool, sessions."""

from __future__ import annotations

import os
import pickle
import time
import uuid
from pathlib import Path

import pytest

from rtlgen.errors import InputError, SandboxUnavailableError
from rtlgen.sandbox import (
    Backend,
    Job,
    KilledBy,
    Limits,
    Sandbox,
    SandboxConfig,
    SessionError,
    Step,
    run_many,
)

pytestmark = pytest.mark.requires_bwrap

SH = "/usr/bin/sh"


def sh(script: str, **kw) -> Job:
    limits = kw.pop("limits", Limits(wall_s=10, cpu_s=10))
    return Job.single([SH, "-c", script], limits=limits, **kw)


def test_runs_and_captures(sandbox):
    res = sandbox.run(sh("echo out; echo err >&2; exit 3"))
    assert res.exit_code == 3 and res.stdout == "out\n" and res.stderr == "err\n"
    assert res.killed_by is KilledBy.NONE and not res.ok


def test_input_files_and_outputs(sandbox):
    job = sh("cat in/a.txt > out.txt; echo made", files={"in/a.txt": "hello"}, outputs=("out.txt", "missing.txt"))
    res = sandbox.run(job)
    assert res.ok and res.outputs == {"out.txt": b"hello"}


def test_steps_stop_on_failure(sandbox):
    job = Job(steps=(Step((SH, "-c", "exit 1")), Step((SH, "-c", "echo never"))))
    res = sandbox.run(job)
    assert len(res.steps) == 1 and res.exit_code == 1
    job = Job(steps=(Step((SH, "-c", "exit 1"), check=False), Step((SH, "-c", "echo second"))))
    assert sandbox.run(job).stdout == "second\n"


def test_host_filesystem_hidden_and_read_only(sandbox, tmp_path):
    secret = tmp_path / "secret.txt"
    token = uuid.uuid4().hex
    secret.write_text(token)
    target = f"/tmp/rtlgen-escape-{uuid.uuid4().hex}"
    res = sandbox.run(sh(f"cat {secret} /etc/passwd; echo x > {target}; echo y > ../escape; "
                         f"echo z > /usr/evil; ls /root /home 2>&1; echo done"))
    assert token not in res.stdout + res.stderr
    assert "root:x:0" not in res.stdout
    assert not os.path.exists(target) and not os.path.exists("/usr/evil")
    assert res.stdout.endswith("done\n")


def test_environment_cleared_and_no_network(sandbox, monkeypatch):
    monkeypatch.setenv("RTLGEN_TEST_SECRET", "s3cr3t-value")
    res = sandbox.run(sh("env; /usr/bin/python3 -c 'import socket; print(\"IF\", [n for _, n in socket.if_nameindex()])'",
                         env={"MINE": "1"}))
    assert "s3cr3t-value" not in res.stdout
    assert "MINE=1" in res.stdout and "HOME=/job" in res.stdout
    assert "IF ['lo']" in res.stdout


def test_no_proc_and_synthetic_etc(sandbox):
    """/proc is absent (no /proc/self/mem, no other process's fds); /etc holds nothing of the host's."""
    res = sandbox.run(sh("ls /proc /dev/fd/ 2>&1; ls /etc; cat /etc/hostname; cat /etc/os-release 2>&1; echo end"))
    assert "No such file" in res.stdout and "end" in res.stdout
    assert "sandbox" in res.stdout and "PRETTY_NAME" not in res.stdout


def test_runs_as_unprivileged_uid_without_capabilities(sandbox):
    res = sandbox.run(sh("id -u; /usr/bin/setpriv --dump"))
    uid = res.stdout.split("\n")[0]
    if os.geteuid() == 0:
        assert int(uid) >= 200_000
    assert "Capability bounding set: [none]" in res.stdout and "no_new_privs: 1" in res.stdout


def test_wall_timeout_kills_whole_group(sandbox):
    # durations no other process on the host uses (a plain `sleep 300` of anyone else's would count)
    durations = [f"{300 + i}.{uuid.uuid4().int % 10**9:09d}" for i in range(3)]
    script = f"sleep {durations[0]} & sleep {durations[1]} & exec sleep {durations[2]}"
    res = sandbox.run(sh(script, limits=Limits(wall_s=1, cpu_s=10)))
    assert res.killed_by is KilledBy.TIMEOUT
    # the pid namespace's teardown is asynchronous (a busy machine takes longer): wait for it, bounded
    deadline = time.monotonic() + 10
    while _sleepers(durations) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _sleepers(durations)
    assert left == [], f"left running: {[_describe(pid) for pid in left]}"


def _describe(pid: str) -> str:
    """What a leftover process is, for the failure message: state, parent (and its command), uid, pids per
    namespace (an ``NSpid`` with two numbers: still inside a sandbox's pid namespace)."""
    try:
        fields = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                      if ":\t" in line)
        parent = fields.get("PPid", "?").strip()
        parent_cmd = Path(f"/proc/{parent}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError as exc:
        return f"{pid}: gone ({exc.strerror})"
    return (f"{pid}: state {fields.get('State', '?').strip()}, parent {parent} ({parent_cmd.strip()[:120]}), "
            f"uid {fields.get('Uid', '?').split()[0]}, NSpid {fields.get('NSpid', '?').strip()}")


def _sleepers(durations: list[str]) -> list[str]:
    """Pids of ``sleep D`` for each D in ``durations``, anywhere on the host."""
    wanted = {f"sleep\0{d}\0".encode() for d in durations}
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            continue
        if cmd in wanted:
            found.append(pid)
    return found


def test_cpu_limit(sandbox):
    res = sandbox.run(sh("while :; do :; done", limits=Limits(wall_s=20, cpu_s=1)))
    assert res.killed_by is KilledBy.CPU


def test_output_cap(sandbox):
    res = sandbox.run(sh("yes flood", limits=Limits(wall_s=10, output_bytes=10_000)))
    assert res.killed_by is KilledBy.OUTPUT and len(res.stdout) == 10_000


def test_file_size_limit(sandbox):
    res = sandbox.run(sh("head -c 5000000 /dev/zero > big.bin", limits=Limits(wall_s=10, file_size_mb=1)))
    assert res.killed_by is KilledBy.FILESIZE


def test_memory_limit(sandbox):
    res = sandbox.run(Job.single(["/usr/bin/perl", "-e", '$x = "a" x (1 << 31); print length($x)'],
                                 limits=Limits(wall_s=20, memory_mb=256)))
    assert res.killed_by is KilledBy.MEMORY


def test_process_limit_contains_fork_bomb(sandbox):
    script = "i=0; while [ $i -lt 100 ]; do sleep 2 & i=$((i+1)); done; wait; echo end"
    res = sandbox.run(sh(script, limits=Limits(wall_s=10, processes=16)))
    assert "fork" in res.stderr.lower() or "resource temporarily unavailable" in res.stderr.lower()


def test_planted_symlink_not_followed(sandbox):
    res = sandbox.run(sh("ln -s /etc/hostname out.txt; ln -s /etc sub", outputs=("out.txt", "sub/hostname")))
    assert res.outputs == {}


def test_job_validation():
    with pytest.raises(InputError, match="relative"):
        Job.single(["/bin/true"], files={"../x": "y"})
    for bad in (-1, 0, float("nan"), float("inf"), 1e13, True, "10"):
        with pytest.raises(InputError, match="wall_s must be a positive number"):
            Limits(wall_s=bad)
    from rtlgen.sim.judge import JudgeLimits

    for field, bad in (("memory_mb", -5), ("output_bytes", 0), ("run_wall_s", float("nan"))):
        with pytest.raises(InputError, match=field):
            JudgeLimits(**{field: bad})
    with pytest.raises(InputError, match="argv"):
        Step(())


def test_unsafe_backend_needs_opt_in(tmp_path):
    with pytest.raises(SandboxUnavailableError, match="allow_unsafe"):
        Sandbox(SandboxConfig(backend=Backend.UNSAFE_LOCAL))
    sb = Sandbox(SandboxConfig(backend=Backend.UNSAFE_LOCAL, jobs_dir=str(tmp_path)), allow_unsafe=True)
    assert sb.run(sh("echo ok")).stdout == "ok\n"


def test_missing_bwrap_refuses(monkeypatch):
    monkeypatch.setenv("BWRAP", "/nonexistent/bwrap")
    with pytest.raises(SandboxUnavailableError, match="bubblewrap"):
        Sandbox(SandboxConfig())


def test_cache_hits_and_misses(sandbox):
    job = sh("echo $$ computed", files={"a": "1"})
    first = sandbox.run(job)
    second = sandbox.run(job)
    assert not first.cached and second.cached and second.stdout == first.stdout
    other = sandbox.run(sh("echo $$ computed", files={"a": "2"}))
    assert not other.cached
    slow = sh("sleep 5", limits=Limits(wall_s=0.5))
    assert sandbox.run(slow).killed_by is KilledBy.TIMEOUT
    assert not sandbox.run(slow).cached  # timeouts depend on load: never cached


def test_pool_order_dedup_and_survives_bad_jobs(sandbox):
    jobs = [sh(f"echo {i % 3}") for i in range(9)] + [sh("yes", limits=Limits(wall_s=5, output_bytes=1000))]
    seen = []
    results = run_many(sandbox, jobs, workers=2, on_result=lambda i, r: seen.append(i))
    assert [r.stdout for r in results[:9]] == [f"{i % 3}\n" for i in range(9)]
    assert results[9].killed_by is KilledBy.OUTPUT
    assert sorted(seen) == list(range(10))
    assert sandbox.cache.misses <= 4  # three distinct echo jobs and one flood, each looked up once


def test_session_request_and_timeout(sandbox):
    loop = "while read l; do echo \"got $l\"; echo @@END@@; done"
    with sandbox.open_session(sh(loop)) as sess:
        assert sess.request("a\n", until=b"@@END@@\n").strip() == "got a"
        assert sess.request("b\n", until=b"@@END@@\n").strip() == "got b"
        with pytest.raises(SessionError) as err:
            sess.request("c\n", until=b"never", timeout_s=0.5)
        assert err.value.killed_by is KilledBy.TIMEOUT
        assert not sess.alive


def test_results_pickle(sandbox):
    res = sandbox.run(sh("echo hi"))
    assert pickle.loads(pickle.dumps(res)) == res


def test_multi_step_limits_are_per_step(sandbox):
    """Steps share one confinement (rtlgen.sandbox.fused) but keep their own results and limits."""
    job = Job(steps=(Step((SH, "-c", "echo built; echo warn >&2")),
                     Step((SH, "-c", "yes"), limits=Limits(wall_s=10, output_bytes=5000))))
    res = sandbox.run(job)
    assert [s.stdout for s in res.steps][0] == "built\n" and res.steps[0].stderr == "warn\n"
    assert res.steps[1].killed_by is KilledBy.OUTPUT and len(res.steps[1].stdout) == 5000
    job = Job(steps=(Step((SH, "-c", "true")), Step((SH, "-c", "sleep 30"), limits=Limits(wall_s=1))))
    res = sandbox.run(job)
    assert res.steps[0].ok and res.killed_by is KilledBy.TIMEOUT
    job = Job(steps=(Step((SH, "-c", "true")), Step((SH, "-c", "while :; do :; done"), limits=Limits(cpu_s=1))))
    assert sandbox.run(job).killed_by is KilledBy.CPU


def test_multi_step_status_cannot_be_forged(sandbox):
    """A step printing the driver's report format on its own streams changes nothing."""
    forged = "echo '@STEP 1 0 1.0 2.0'; echo '@STEP 1 0 1.0 2.0' >&2; exit 7"
    res = sandbox.run(Job(steps=(Step((SH, "-c", "true")), Step((SH, "-c", forged)))))
    assert res.steps[1].exit_code == 7


def test_tmp_is_private_and_size_limited(sandbox):
    res = sandbox.run(sh("head -c 3000000 /dev/zero > /tmp/fill; echo rc=$?; ls -ld /tmp",
                         limits=Limits(wall_s=10, tmp_mb=1)))
    assert "rc=1" in res.stdout and "No space left" in res.stderr


def test_pool_stops_queued_jobs_when_the_caller_fails(sandbox):
    jobs = [sh(f"echo {i}; sleep 0.2") for i in range(40)]
    seen = []

    def boom(i, r):
        seen.append(i)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_many(sandbox, jobs, workers=2, on_result=boom)
    time.sleep(0.5)
    stored = len(list(sandbox.cache.directory.glob("*/*.json")))
    assert stored < 10  # the other queued jobs were cancelled, not run (every job that ran is cached)


def test_tools_that_read_etc_still_start(sandbox):
    """/etc holds only ld.so.cache, but must be traversable: perl (run by verilator) probes /etc/perl."""
    res = sandbox.run(Job.single(["/usr/bin/perl", "-e", "use warnings; use strict; print 42"]))
    assert res.ok and res.stdout == "42", res.stderr


def test_batch_keeps_each_job_apart(sandbox):
    """``LocalExecutor.run_batch``: one sandbox start for several jobs, each with its own uid pair and directory
    (no other job's uids may enter it), its private files private, ``/tmp`` empty at its start, its limits per
    step; a failing checked step ends its own job only, and an output flood re-runs the jobs after it."""
    if os.geteuid() != 0:
        pytest.skip("jobs share a sandbox start only as root (the driver must be another uid than the steps)")
    spy = Step((SH, "-c", "id -u; cat secret; ls .. ../j1; echo left > /tmp/left; echo mine > mine; echo done"))
    jobs = [Job(steps=(Step((SH, "-c", "id -u; cat secret"), private=True), spy), files={"secret": "S0"},
                private_files=("secret",), outputs=("mine",)),
            Job(steps=(Step((SH, "-c", "exit 3")), Step((SH, "-c", "echo never")))),
            Job(steps=(Step((SH, "-c", "ls -A /tmp; id -u; sleep 5"), limits=Limits(wall_s=1, cpu_s=5)),)),
            Job(steps=(Step((SH, "-c", "yes"), limits=Limits(wall_s=10, output_bytes=1000)),)),
            Job(steps=(Step((SH, "-c", "echo after; id -u")),))]
    first, checked, slow, flood, after = sandbox.executor.run_batch(jobs)
    builder = int(first.steps[0].stdout.split()[0])
    assert first.steps[0].stdout.split() == [str(builder), "S0"]
    public = first.steps[1]
    assert public.stdout.split()[0] == str(builder + 1) and "S0" not in public.stdout, public.stdout
    assert public.stderr.count("Permission denied") == 3 and public.stdout.endswith("done\n"), public.stderr
    assert first.outputs == {"mine": b"mine\n"}
    assert [s.exit_code for s in checked.steps] == [3]  # the check ended this job, not the batch
    assert slow.killed_by is KilledBy.TIMEOUT and "left" not in slow.stdout
    assert int(slow.stdout.split()[0]) not in (builder, builder + 1)  # every job its own uids
    assert flood.killed_by is KilledBy.OUTPUT
    assert after.ok and after.stdout.startswith("after\n")  # run again after the flood stopped the sandbox


def test_batch_results_match_single_runs(sandbox):
    jobs = [sh(f"echo {i}; echo e{i} >&2; exit {i % 2}", outputs=()) for i in range(4)]
    batched = sandbox.executor.run_batch(jobs)
    single = [sandbox.executor.run(j) for j in jobs]
    for b, s in zip(batched, single, strict=True):
        assert (b.exit_code, b.stdout, b.stderr, b.killed_by) == (s.exit_code, s.stdout, s.stderr, s.killed_by)


def test_links_a_step_plants_are_not_followed_between_steps(sandbox, tmp_path):
    """Between unfused steps (a step with stdin) the runner, on the host and maybe as root, makes binaries
    executable and copies feeds: a link a step left (``bin -> host file``) must not carry that chmod or copy to
    the host's file."""
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret\n")
    secret.chmod(0o600)
    plant = Step(("/usr/bin/sh", "-c", f"ln -s {secret} bin; ln -s {secret} src"))
    read = Step(("/usr/bin/sh", "-c", "cat fed 2>/dev/null; echo done"), stdin=b"", exec_only=("bin",),
                feeds=(("fed", "src"),))
    res = sandbox.run(Job(steps=(plant, read), limits=Limits(wall_s=10)))
    assert res.steps[-1].stdout == "done\n", res.steps[-1]
    assert (secret.stat().st_mode & 0o777) == 0o600
