"""cocotb testbenches on Icarus, run as sandbox steps; the verdict comes from the results XML."""

from __future__ import annotations

import pytest

from rtlgen.sim import FailureCategory
from rtlgen.sim.cocotb_runner import cocotb_job, parse_results_xml, run_cocotb

pytest.importorskip("cocotb")

RTL = """module counter(input clk, input rst, output reg [3:0] q);
  always @(posedge clk) if (rst) q <= 0; else q <= q + 1;
endmodule
"""
TEST = '''
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge


@cocotb.test()
async def counts(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    await ClockCycles(dut.clk, 5)
    await RisingEdge(dut.clk)
    assert int(dut.q.value) == WANT, int(dut.q.value)
'''


def test_job_shape():
    job, results = cocotb_job({"counter.v": RTL}, "counter", "test_counter", TEST, timescale=("1ns", "1ps"))
    assert job.files["cmds.f"] == b"+timescale+1ns/1ps\n" and "test_counter.py" in job.files
    assert job.env["COCOTB_TOPLEVEL"] == "counter" and job.env["COCOTB_RESULTS_FILE"] == results
    assert job.outputs == (results,) and any("libcocotbvpi_icarus" in a for a in job.steps[1].argv)
    other, results2 = cocotb_job({"counter.v": RTL + "\n"}, "counter", "test_counter", TEST)
    assert results2 != results  # a fresh secret name every run


def test_parse_results_xml():
    xml = (b'<testsuites><testsuite><testcase name="a"/><testcase name="b"><failure/></testcase>'
           b'</testsuite></testsuites>')
    assert parse_results_xml(xml) == (2, 1)
    with pytest.raises(ValueError):
        parse_results_xml(b"<oops")


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_pass_and_fail(sandbox):
    good = run_cocotb({"counter.v": RTL}, "counter", "test_counter", TEST.replace("WANT", "5"), sandbox=sandbox)
    assert good.results_found and good.tests == 1 and good.failed == 0 and good.passed, good.sim.tail()
    assert good.sim.category is FailureCategory.PASS
    bad = run_cocotb({"counter.v": RTL}, "counter", "test_counter", TEST.replace("WANT", "9"), sandbox=sandbox)
    assert bad.results_found and bad.failed == 1 and not bad.passed
    assert bad.sim.exit_code == 0  # vvp exits 0 on a failed test: only the XML tells
    assert bad.sim.category is FailureCategory.MISMATCH and "AssertionError" in bad.sim.run_log


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_cocotb_through_the_judge(sandbox):
    """The judge's checks come first: a design that writes files (a forged results XML) never runs."""
    from rtlgen.sim.judge import Judge
    from rtlgen.sim.judge.cocotb import judge_cocotb

    judge = Judge(sandbox=sandbox)
    good, run = judge_cocotb(judge, RTL, "counter", "test_counter", TEST.replace("WANT", "5"))
    assert good.passed and run is not None and run.tests == 1
    forger = RTL.replace("endmodule", 'integer f; initial begin f = $fopen("results.xml", "w"); '
                         '$fdisplay(f, "<testsuites><testsuite><testcase name=\\"counts\\"/></testsuite></testsuites>"); '
                         "end\nendmodule")
    bad, run = judge_cocotb(judge, forger, "counter", "test_counter", TEST.replace("WANT", "9"))
    assert not bad.passed and bad.category is FailureCategory.FORBIDDEN and run is None
