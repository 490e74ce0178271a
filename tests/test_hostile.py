"""Hostile Verilog (tests/hostile/*.v) through the real sandbox: every one is stopped or contained
with the right ``killed_by``, nothing lands outside its job dir, no host file content comes back, and
the pool keeps serving good jobs in the same batch."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from rtlgen.sandbox import KilledBy, Limits, Sandbox, SandboxConfig, has_tool, run_many
from rtlgen.sim import FailureCategory, IcarusSimulator, SimStatus, VerilatorSimulator

HOSTILE = Path(__file__).parent / "hostile"
LIMITS = Limits(wall_s=5, cpu_s=3, memory_mb=1024, output_bytes=200_000, file_size_mb=8, processes=32)
GOOD = 'module tb; initial begin $display("good %0d", 6 * 7); $display("Mismatches: 0 in 1 samples"); ' \
       '$finish; end endmodule\n'
PASSWD_MARK = "root:x:0:0"  # the first line of any /etc/passwd
pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_bwrap]


def load(name: str, **subs: str) -> str:
    text = (HOSTILE / name).read_text()
    for key, value in subs.items():
        text = text.replace(f"@{key}@", value)
    assert "@" not in text.split("module", 1)[1].replace("@(", ""), f"unsubstituted placeholder in {name}"
    return text


def everything(res) -> str:
    return json.dumps(res.to_json())


@pytest.fixture
def box(tmp_path):
    """No result cache: each hostile job really runs."""
    return Sandbox(SandboxConfig(jobs_dir=str(tmp_path / "jobs")))


def run_icarus(box, name: str, **subs: str):
    return IcarusSimulator().run({name: load(name, **subs)}, "tb", sandbox=box, limits=LIMITS)


def test_fopen_absolute_path_stays_inside(box, tmp_path):
    for target in (f"/tmp/rtlgen-hostile-{uuid.uuid4().hex}", str(tmp_path / f"escaped-{uuid.uuid4().hex}")):
        res = run_icarus(box, "fopen_absolute.v", TARGET=target)
        assert res.compiled and res.killed_by is KilledBy.NONE
        assert not os.path.exists(target)
    # /tmp inside is the job's own; a host dir is simply not there
    assert "fopen returned 0" in res.stdout


def test_fopen_parent_dirs_stay_inside(box, tmp_path):
    name = f"rtlgen-hostile-{uuid.uuid4().hex}"
    res = run_icarus(box, "fopen_parent.v", NAME=name)
    # /job/.. is the read-only root; ../../../tmp is the job's own private /tmp
    assert res.compiled and res.stdout.startswith("fopen returned 0 ")
    assert not os.path.exists(f"/tmp/{name}")
    assert not any(p.name == name for p in tmp_path.rglob("*"))


@pytest.fixture
def secret(tmp_path):
    token = f"TOKEN{uuid.uuid4().hex}"
    path = tmp_path / "secret.vh"
    path.write_text(f"// {token}\n`define LEAK \"{token}\"\nwire {token};\n")
    return str(path), token


def test_include_host_files_never_come_back(box, secret):
    path, token = secret
    for target in (path, "/etc/passwd"):
        res = run_icarus(box, "include_host_file.v", PATH=target)
        assert not res.compiled and res.status is SimStatus.COMPILE_ERROR
        assert token not in everything(res) and PASSWD_MARK not in everything(res)
        # the secret is simply not there; /etc is rtlgen's synthetic one, which does not parse as Verilog
        assert "include" in res.compile_log.lower() or "/etc/passwd:1: syntax error" in res.compile_log


def test_runtime_reads_of_host_files_fail(box, secret):
    path, token = secret
    for target in (path, "/etc/passwd", "/proc/1/environ"):
        res = run_icarus(box, "readmem_host_file.v", PATH=target)
        assert res.compiled
        assert "open failed" in res.stdout or target == "/etc/passwd"  # the synthetic /etc holds a passwd
        assert token not in everything(res) and PASSWD_MARK not in everything(res)


EXPECTED_KILLS = {
    "loop_no_time.v": ({KilledBy.TIMEOUT, KilledBy.CPU}, {FailureCategory.TIMEOUT, FailureCategory.KILLED_CPU}),
    "loop_with_time.v": ({KilledBy.TIMEOUT, KilledBy.CPU}, {FailureCategory.TIMEOUT, FailureCategory.KILLED_CPU}),
    "flood_stdout.v": ({KilledBy.OUTPUT}, {FailureCategory.KILLED_OUTPUT}),
    "huge_memory.v": ({KilledBy.MEMORY}, {FailureCategory.KILLED_MEMORY}),
    "huge_file.v": ({KilledBy.FILESIZE}, {FailureCategory.KILLED_FILESIZE}),
}


def test_pool_contains_each_and_keeps_serving(box):
    """Hostile and good jobs interleaved in one run_many batch: each hostile one is stopped by the
    right limit, each good one still passes."""
    sim = IcarusSimulator()
    names = list(EXPECTED_KILLS)
    sources = []
    for i, name in enumerate(names):
        sources.append((name, {name: load(name)}))
        sources.append((f"good{i}", {"tb.sv": GOOD.replace("6 * 7", f"6 * {i}")}))
    jobs = [sim.build_job(src, "tb", limits=LIMITS) for _, src in sources]
    results = [sim.parse(r) for r in run_many(box, jobs, workers=2)]
    for (label, _), res in zip(sources, results, strict=True):
        if label.startswith("good"):
            i = int(label[4:])
            assert res.status is SimStatus.OK and res.stdout.startswith(f"good {6 * i}"), res.tail()
            assert res.category is FailureCategory.PASS
            continue
        kills, categories = EXPECTED_KILLS[label]
        assert res.killed_by in kills, (label, res.killed_by, res.exit_code, res.tail(500))
        assert res.category in categories, (label, res.category)
        assert res.status in (SimStatus.TIMEOUT, SimStatus.KILLED)
        assert len(res.stdout) <= LIMITS.output_bytes
    after = sim.run({"tb.sv": GOOD}, "tb", sandbox=box, limits=LIMITS)
    assert after.ok and "good 42" in after.stdout


@pytest.fixture
def verilator(tmp_path_factory, box):
    """Verilator with a read-only compiler cache warmed once per session: builds take ~1 s, not ~5 s."""
    if not has_tool("ccache"):
        return VerilatorSimulator()
    sim = VerilatorSimulator(ccache_dir=str(tmp_path_factory.getbasetemp() / "verilator-ccache"))
    sim.warm_ccache(box)
    return sim


def _pids_with(token: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if token.encode() in fh.read():
                    found.append(pid)
        except OSError:
            continue
    return found


@pytest.mark.slow
@pytest.mark.requires_verilator
def test_verilator_system_is_confined(box, verilator):
    target = f"/tmp/rtlgen-hostile-{uuid.uuid4().hex}"
    res = verilator.run({"system_escape.sv": load("system_escape.sv", TARGET=target)}, "tb", sandbox=box, limits=LIMITS)
    assert res.status is SimStatus.OK, res.tail()
    assert "touched" in res.stdout  # it ran, inside: the job's private /tmp
    assert not os.path.exists(target)
    procs = int(res.stdout.split("procs=")[1].split()[0])
    assert procs < 20  # its own pid namespace, not the host's process list
    assert "ifaces=\n" in res.stdout  # no /proc at all, so no /proc/net/dev either
    assert PASSWD_MARK not in everything(res)


@pytest.mark.slow
@pytest.mark.requires_verilator
def test_verilator_fork_bomb_is_contained(box, verilator):
    token = f"bomb{uuid.uuid4().hex[:12]}"
    src = load("fork_bomb.sv").replace("f() { f | f & }; f", f"{token}() {{ {token} | {token} & }}; {token}")
    res = verilator.run({"fork_bomb.sv": src}, "tb", sandbox=box, limits=LIMITS)
    assert res.compiled, res.tail()
    assert res.killed_by is KilledBy.TIMEOUT and res.category is FailureCategory.TIMEOUT
    assert _pids_with(token) == []  # the whole process tree died with the job
    after = IcarusSimulator().run({"tb.sv": GOOD}, "tb", sandbox=box, limits=LIMITS)
    assert after.ok and "good 42" in after.stdout
