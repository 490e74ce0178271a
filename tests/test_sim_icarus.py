"""Icarus backend: argv building (no tools), compile + run and syntax checks through the sandbox."""

from __future__ import annotations

import pytest

from rtlgen.errors import InputError, ToolMissingError
from rtlgen.sandbox import KilledBy, Limits, run_many
from rtlgen.sim import (
    SIMULATORS,
    FailureCategory,
    IcarusSimulator,
    SimStatus,
    get_simulator,
    icarus_syntax_job,
    syntax_check,
)
from rtlgen.sim.icarus import DEFAULT_FLAGS

HELLO = 'module tb; initial begin $display("hello"); $display("Mismatches: 0 in 1 samples"); $finish; end endmodule\n'


def test_build_job_argv_and_order():
    job = IcarusSimulator().build_job({"sample.sv": "s", "test.sv": "t", "ref.sv": "r", "defs.vh": "d"}, top="tb")
    compile_argv, run_argv = (s.argv for s in job.steps)
    assert compile_argv[1:] == (*DEFAULT_FLAGS, "-s", "tb", "-o", "sim.vvp", "sample.sv", "test.sv", "ref.sv")
    assert compile_argv[0].endswith("iverilog") and compile_argv[0].startswith("/")
    assert run_argv[1:] == ("-n", "sim.vvp")
    assert set(job.files) == {"sample.sv", "test.sv", "ref.sv", "defs.vh"}  # the header is there, not compiled


def test_configurable_flags_and_syntax_job():
    sim = IcarusSimulator(flags=("-g2005",), extra_flags=("-DFOO=1",), plusargs=("+seed=3",))
    job = sim.build_job({"a.v": "x"}, top="a", limits=Limits(wall_s=7))
    assert job.steps[0].argv[1:3] == ("-g2005", "-DFOO=1") and job.steps[1].argv[-1] == "+seed=3"
    assert job.limits.wall_s == 7
    syn = icarus_syntax_job({"a.v": "x"})
    assert "-t" in syn.steps[0].argv and syn.steps[0].argv[-1] == "a.v" and len(syn.steps) == 1


@pytest.mark.parametrize("sources,top,msg", [
    ({}, "tb", "no source files"),
    ({"a.v": "x"}, "tb; rm", "identifier"),
    ({"-o.v": "x"}, "tb", "not usable"),
    ({"a.vh": "x"}, "tb", "only header files"),
])
def test_bad_sources(sources, top, msg):
    with pytest.raises(InputError, match=msg):
        IcarusSimulator().build_job(sources, top=top)


def test_registry():
    assert list(SIMULATORS) == ["icarus", "verilator"]
    assert isinstance(get_simulator("icarus", flags=("-g2012",)), IcarusSimulator)
    with pytest.raises(InputError, match=r"unknown simulator 'x'; available: icarus, verilator"):
        get_simulator("x")
    with pytest.raises(InputError, match="did you mean 'icarus'"):
        get_simulator("icaros")


def test_missing_tool(monkeypatch):
    monkeypatch.setenv("IVERILOG", "/nonexistent")
    with pytest.raises(ToolMissingError, match="IVERILOG"):
        IcarusSimulator().build_job({"a.v": "x"}, top="a")




@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_run_ok(sandbox):
    res = IcarusSimulator().run({"tb.sv": HELLO}, "tb", sandbox=sandbox)
    assert res.status is SimStatus.OK and res.compiled and res.exit_code == 0
    assert res.stdout.startswith("hello") and res.category is FailureCategory.PASS
    assert res.killed_by is KilledBy.NONE and len(res.argv) == 2
    data = res.to_json()
    for key in ("compiled", "exit_code", "killed_by", "stdout", "stderr", "wall_s", "cpu_s", "category"):
        assert key in data


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_compile_error_and_runtime_error(sandbox):
    bad = IcarusSimulator().run({"tb.sv": "module tb; initial x = ; endmodule\n"}, "tb", sandbox=sandbox)
    assert bad.status is SimStatus.COMPILE_ERROR and not bad.compiled
    assert "tb.sv:1: syntax error" in bad.compile_log and bad.run_log == ""
    assert bad.category is FailureCategory.SYNTAX
    fatal = IcarusSimulator().run({"tb.sv": 'module tb; initial $fatal(1, "boom"); endmodule\n'}, "tb",
                                  sandbox=sandbox)
    assert fatal.compiled and fatal.status is SimStatus.RUNTIME_ERROR and fatal.exit_code != 0
    assert fatal.category is FailureCategory.RUNTIME_ERROR


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_include_header_in_job_dir(sandbox):
    src = {"defs.vh": "`define MSG \"from header\"\n",
           "tb.sv": '`include "defs.vh"\nmodule tb; initial begin $display(`MSG); $finish; end endmodule\n'}
    res = IcarusSimulator().run(src, "tb", sandbox=sandbox)
    assert res.ok and "from header" in res.stdout


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_syntax_check(sandbox):
    ok = syntax_check({"a.sv": "module a(input x, output y); assign y = x; endmodule\n"}, sandbox=sandbox)
    assert ok.compiled and ok.status is SimStatus.OK
    bad = syntax_check({"a.sv": "module a(input x, output y); assign y = ; endmodule\n"}, sandbox=sandbox)
    assert not bad.compiled and "a.sv:1:" in bad.compile_log and bad.category is FailureCategory.SYNTAX


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_batch_through_pool_and_cache(sandbox):
    sim = IcarusSimulator()
    jobs = [sim.build_job({"tb.sv": HELLO.replace("hello", f"hello{i % 3}")}, "tb") for i in range(6)]
    results = [sim.parse(r) for r in run_many(sandbox, jobs, workers=2)]
    assert [r.stdout.split()[0] for r in results] == [f"hello{i % 3}" for i in range(6)]
    again = sim.parse(sandbox.run(jobs[0]))
    assert again.cached and again.stdout == results[0].stdout
