"""Verilator backend: argv (no tools), lint in the sandbox, and one --binary build + run (slow)."""

from __future__ import annotations

import pytest

from rtlgen.sandbox import Limits, has_tool
from rtlgen.sim import FailureCategory, SimStatus, VerilatorSimulator
from rtlgen.sim.verilator import lint

TB = """module tb;
  reg [3:0] q = 0;
  initial begin
    #5 q = q + 1;
    #5 $display("q=%0d at %0t", q, $time);
    $display("Mismatches: 0 in 1 samples");
    $finish;
  end
endmodule
"""


def test_build_job_argv():
    job = VerilatorSimulator().build_job({"sample.sv": "s", "tb.sv": "t"}, top="tb", limits=Limits(wall_s=9))
    build, run = (s.argv for s in job.steps)
    assert build[1:] == ("--binary", "-j", "1", "-Wno-fatal", "--top-module", "tb", "-Mdir", "obj_dir", "-o",
                         "Vsim", "sample.sv", "tb.sv")
    assert run == ("./obj_dir/Vsim",)
    assert job.steps[0].limits.wall_s >= 60 and job.limits.wall_s == 9  # the build gets its own, longer limit
    assert job.env["OBJCACHE"] == "" and not job.rw_paths  # no shared compiler cache by default


@pytest.mark.requires_verilator
def test_ccache_is_read_only_for_jobs(tmp_path):
    job = VerilatorSimulator(ccache_dir=str(tmp_path / "cc")).build_job({"a.sv": "x"}, top="a")
    assert job.env["CCACHE_READONLY"] == "1" and str(tmp_path / "cc") in job.ro_paths and not job.rw_paths


@pytest.mark.requires_verilator
@pytest.mark.requires_bwrap
def test_lint(sandbox):
    ok = lint({"a.sv": "module a(input x, output y);\n  assign y = x;\nendmodule\n"}, sandbox=sandbox)
    assert ok.compiled and ok.status is SimStatus.OK and ok.category is FailureCategory.PASS
    warn = lint({"a.sv": "module a(input x, input [3:0] b, output y);\n  assign y = x;\nendmodule\n"},
                sandbox=sandbox)
    assert warn.compiled and "UNUSED" in warn.compile_log  # warnings reported, not fatal
    bad = lint({"a.sv": "module a(input x, output y);\n  assign y = z;\nendmodule\n"}, sandbox=sandbox)
    assert not bad.compiled and "a.sv:2" in bad.compile_log and bad.status is SimStatus.COMPILE_ERROR


@pytest.mark.slow
@pytest.mark.requires_verilator
@pytest.mark.requires_bwrap
def test_binary_build_and_run(sandbox):
    res = VerilatorSimulator().run({"tb.sv": TB}, "tb", sandbox=sandbox)
    assert res.status is SimStatus.OK, res.tail()
    assert "q=1 at 10" in res.stdout and res.category is FailureCategory.PASS


@pytest.mark.slow
@pytest.mark.requires_verilator
@pytest.mark.requires_bwrap
def test_warmed_read_only_ccache(sandbox, tmp_path_factory):
    """A trusted warm-up fills the cache; untrusted builds then hit it but cannot write to it."""
    if not has_tool("ccache"):
        pytest.skip("ccache not installed")
    cache = tmp_path_factory.getbasetemp() / "verilator-ccache"
    sim = VerilatorSimulator(ccache_dir=str(cache))
    first = sim.warm_ccache(sandbox)
    assert first is None or first.ok, first.tail()
    assert sim.warm_ccache(sandbox) is None  # stamped: warmed once per verilator + flags
    before = sorted(p for p in cache.rglob("*") if p.is_file())
    evil = TB.replace('$display("Mismatches', '$system("touch $CCACHE_DIR/planted; ls $CCACHE_DIR >/dev/null");'
                                             ' $display("Mismatches')
    res = sim.run({"tb.sv": evil}, "tb", sandbox=sandbox)
    assert res.status is SimStatus.OK, res.tail()
    assert sorted(p for p in cache.rglob("*") if p.is_file()) == before  # nothing written, nothing planted
