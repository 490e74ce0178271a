"""The fused driver's two forms: the native step starter (``rtlgen.sandbox.native``) and bash with setpriv.

Every test of ``test_sandbox`` runs here again with the native starter switched off, so both forms stay
covered whichever one the machine picks; then both forms run the same jobs and must agree, and the starter
is tested on its own (bad arguments, the host's pipe closing)."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
import test_sandbox
from test_sandbox import *  # noqa: F403 - the whole sandbox suite again, through the bash form

from rtlgen.sandbox import Job, KilledBy, Limits, Sandbox, SandboxConfig, Step, native

pytestmark = pytest.mark.requires_bwrap
SH = test_sandbox.SH


@pytest.fixture(autouse=True)
def bash_form(request, monkeypatch):
    """The tests imported from ``test_sandbox`` run through the bash form; this module's own choose per test."""
    if request.function.__module__ == test_sandbox.__name__:
        monkeypatch.setenv(native.ENV_SWITCH, "0")


def needs_native():
    if os.geteuid() != 0:
        pytest.skip("the fused driver, and so the native starter, runs only as root")
    helper = native.step_helper()
    if helper is None:
        pytest.skip("no C compiler to build the native starter")
    return helper


PRIVATE_PROGRAM = Job(
    steps=(Step((SH, "-c", "umask; printf 'secret program' > prog.bin; chmod 0755 prog.bin; printf x > tool; "
                 "chmod 0755 tool"), private=True),
           Step((SH, "-c", "cat prog.bin; echo; cat p.fifo; echo; cat tool; ls -l tool | cut -c1-10"),
                feeds=(("p.fifo", "prog.bin"),), exec_only=("tool",))),
    cacheable=False)


def _jobs() -> list[Job]:
    lim = Limits(wall_s=10, cpu_s=10)
    return [
        Job.single([SH, "-c", "ulimit -a; ulimit -Ht; umask; id -G | wc -w; echo err >&2; exit 3"], limits=lim),
        Job(steps=(Step((SH, "-c", "true")), Step((SH, "-c", "kill -SEGV $$")))),
        Job(steps=(Step((SH, "-c", "true")), Step((SH, "-c", "sleep 30"), limits=Limits(wall_s=1)))),
        Job(steps=(Step((SH, "-c", "true")), Step((SH, "-c", "while :; do :; done"), limits=Limits(cpu_s=1)))),
        Job(steps=(Step((SH, "-c", "true")), Step((SH, "-c", "yes"), limits=Limits(wall_s=10, output_bytes=3000)))),
        # a step that signals everything it may: only its own processes; the report still comes from the driver
        Job(steps=(Step((SH, "-c", "kill -KILL -1; echo alive")), Step((SH, "-c", "echo second")))),
        Job(steps=(Step((SH, "-c", "exec 3>&-; exec 9>&-; (sleep 20 &); echo bg")),
                   Step((SH, "-c", "echo next")))),
        Job(steps=(Step((SH, "-c", "true")), Step(("/nonexistent/tool",)))),
        Job(steps=(Step((SH, "-c", "echo '@STEP 1 0 1.0 2.0 0.5'; exit 7")), Step((SH, "-c", "exit 9"))),
            limits=Limits(wall_s=5)),
    ]


def _view(res):
    """What both forms must agree on; a step stopped with its whole sandbox (a flood) carries the driver's own
    stderr, which differs between the forms."""
    return [(s.exit_code, s.stdout, s.stderr if s.killed_by is KilledBy.NONE else "", s.killed_by) for s in res.steps]


def test_both_forms_give_the_same_results(monkeypatch):
    needs_native()
    sb = Sandbox(SandboxConfig())
    jobs = [*_jobs(), PRIVATE_PROGRAM]
    native_res = [sb.executor.run(j) for j in jobs] + sb.executor.run_batch(jobs)
    monkeypatch.setenv(native.ENV_SWITCH, "0")
    bash_res = [sb.executor.run(j) for j in jobs] + sb.executor.run_batch(jobs)
    for job, a, b in zip(jobs + jobs, native_res, bash_res, strict=True):
        va, vb = _view(a), _view(b)
        if "/nonexistent/tool" in str(job.steps[-1].argv):  # the messages differ; both are exit 127
            assert va[-1][0] == vb[-1][0] == 127 and va[:-1] == vb[:-1]
            continue
        assert va == vb, (job.steps, va, vb)
    ulimits, segv, slow, cpu, flood, killer, left, _missing, forged, private = native_res[:10]
    assert ulimits.exit_code == 3 and "0022" in ulimits.stdout and ulimits.stderr == "err\n"
    assert segv.steps[1].exit_code == -11  # a signal, as subprocess reports one
    assert slow.killed_by is KilledBy.TIMEOUT and 1.0 <= slow.steps[1].wall_s < 3
    assert cpu.killed_by is KilledBy.CPU and cpu.steps[1].cpu_s > 0.5
    assert flood.killed_by is KilledBy.OUTPUT
    assert killer.steps[0].stdout == "alive\n" and killer.steps[1].stdout == "second\n"  # the driver lives on
    assert [s.stdout for s in left.steps] == ["bg\n", "next\n"]
    assert [s.exit_code for s in forged.steps] == [7]
    # the public step reads the builder's program only through the fed pipe, and runs a tool it cannot read
    assert private.steps[1].stdout == "\nsecret program\n-rwx--x--x\n"
    assert private.steps[1].stderr.count("Permission denied") == 2 and private.steps[0].stdout == "0077\n"


def _run_helper(helper: str, args: list[str], stdin=subprocess.DEVNULL, **kw) -> subprocess.Popen:
    r, w = os.pipe()
    proc = subprocess.Popen([helper, str(w), *args], stdin=stdin, pass_fds=(w,), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)
    os.close(w)
    proc.status_fd = r  # type: ignore[attr-defined]
    return proc


LIMITS = ["022", "20", "20", str(1 << 30), str(1 << 20), "64", "64", "0", "0"]


@pytest.mark.parametrize("args,needle", [
    ([], b"too few arguments"),
    (["0", "65534", "65534", "022", "-1", *LIMITS[2:], "--", "/usr/bin/true"], b"bad wall limit"),
    (["0", "65534", "65534", "999", *LIMITS[1:], "--", "/usr/bin/true"], b"bad umask"),
    (["0", "0", "0", *LIMITS, "--", "/usr/bin/true"], b"bad status fd, index, uid or gid"),
    (["0", "65534", "65534", *LIMITS[:-1], "9", "--", "/usr/bin/true"], b"bad feeds"),
    (["0", "65534", "65534", *LIMITS, "/usr/bin/true"], b"no command after --"),
])
def test_native_starter_refuses_a_bad_line(args, needle):
    helper = needs_native()
    proc = _run_helper(helper, args)
    _out, err = proc.communicate(timeout=10)
    os.close(proc.status_fd)
    assert proc.returncode == 125 and needle in err, err


def test_native_starter_stops_the_step_when_the_host_goes():
    """The driver's stdin is a pipe the host holds and never writes: when it closes, the step is killed."""
    helper = needs_native()
    r, w = os.pipe()
    proc = _run_helper(helper, ["0", "65534", "65534", *LIMITS, "--", "/usr/bin/sleep", "30"], stdin=r)
    os.close(r)
    time.sleep(0.3)
    t0 = time.monotonic()
    os.close(w)
    proc.communicate(timeout=10)
    report = os.read(proc.status_fd, 200).decode()
    os.close(proc.status_fd)
    assert time.monotonic() - t0 < 5 and proc.returncode == 137 and report.startswith("@STEP 0 137 "), report


def test_native_starter_works_without_setpcap():
    """A container may not grant CAP_SETPCAP (compose's worker does not): the bounding set then stays as setpriv
    leaves it, and the step still runs as the private uid with no capabilities."""
    helper = needs_native()
    r, w = os.pipe()
    proc = subprocess.Popen(["/usr/bin/setpriv", "--bounding-set=-setpcap", "--inh-caps=-setpcap", "--", helper, str(w),
                             "0", "65534", "65534", *LIMITS, "--", "/usr/bin/id", "-u"], pass_fds=(w,),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(w)
    out, err = proc.communicate(timeout=10)
    report = os.read(r, 200).decode()
    os.close(r)
    assert proc.returncode == 0 and out == b"65534\n" and report.startswith("@STEP 0 0 "), (out, err, report)


def _failures_under_a_large_parent(queue) -> None:
    """In a child process (so the ballast dies with it): grow past the memory limit, then fail some steps."""
    ballast = bytearray(1200 << 20)
    ballast[::4096] = b"x" * len(ballast[::4096])
    sb = Sandbox(SandboxConfig())
    lim = Limits(wall_s=10, cpu_s=10, memory_mb=1024)
    single = sb.executor.run(Job.single([SH, "-c", "exit 1"], limits=lim, cacheable=False))
    fused = sb.executor.run(Job(steps=(Step(("/usr/bin/true",)), Step((SH, "-c", "exit 1"))), limits=lim,
                                cacheable=False))
    queue.put([(s.killed_by.value, s.max_rss_mb) for s in (single.steps[0], fused.steps[1])])


@pytest.mark.parametrize("form", ["native", "bash"])
def test_a_failing_step_is_no_memory_kill_under_a_large_parent(form, monkeypatch):
    """Linux hands a spawned process the peak RSS of its parent's image: under a training run (gigabytes) every
    failing step looked killed for memory. The peak is now the step's own (native starter) or unknown (0)."""
    import multiprocessing

    if form == "bash":
        monkeypatch.setenv(native.ENV_SWITCH, "0")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_failures_under_a_large_parent, args=(queue,))
    proc.start()
    got = queue.get(timeout=120)
    proc.join(30)
    assert all(kind == "none" for kind, _ in got), got
    assert all(rss < 500 for _, rss in got), got
