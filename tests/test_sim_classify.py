"""Failure taxonomy: every VerilogEval v2 category from a real iverilog/vvp log of a tiny buggy
design (through the sandbox), plus pure-string tests of the upstream rule order and our additions."""

from __future__ import annotations

import pytest

from rtlgen.sandbox import KilledBy, Limits
from rtlgen.sim import FailureCategory as F
from rtlgen.sim import IcarusSimulator, classify, classify_upstream

# A VerilogEval-style testbench: drives TopModule and a reference counter, prints the mismatch count.
TB = """module tb;
  reg clk = 0, reset = 1;
  wire [3:0] q;
  reg [3:0] want = 0;
  integer errors = 0, n = 0, i;
  always #5 clk = ~clk;
  TopModule dut(.clk(clk), .reset(reset), .q(q));
  initial begin
    for (i = 0; i < 12; i = i + 1) begin
      @(negedge clk); reset = (i < 2);
      @(posedge clk); want = reset ? 0 : want + 1; #1;
      n = n + 1; if (q !== want) errors = errors + 1;
    end
    $display("Mismatches: %0d in %0d samples", errors, n);
    $finish;
  end
endmodule
"""
GOOD = """module TopModule(input clk, input reset, output reg [3:0] q);
  always @(posedge clk) if (reset) q <= 0; else q <= q + 1;
endmodule
"""
CASES = {
    "pass": (GOOD, F.PASS),
    "syntax": (GOOD.replace("q <= 0;", "q <= 0"), F.SYNTAX),
    "explicit_cast": ("""module TopModule(input clk, input reset, output reg [3:0] q);
  typedef enum logic [1:0] {A, B} st_t; st_t s, nx;
  always_comb nx = s + 1;
  always @(posedge clk) s <= nx;
  always @(posedge clk) if (reset) q <= 0; else q <= q + 1;
endmodule
""", F.EXPLICIT_CAST),
    "zero_width": (GOOD.replace("q <= 0;", "q <= 0'd0;"), F.ZERO_WIDTH),
    # always_comb driving a constant: iverilog warns "no sensitivities" and upstream stops there (this
    # design is also wrong; the correct-design false negative is its own test below)
    "no_sensitivities": ("""module TopModule(input clk, input reset, output logic [3:0] q);
  always_comb q = 4'd0;
endmodule
""", F.NO_SENSITIVITIES),
    "declared_as_wire": ("""module TopModule(input clk, input reset, output [3:0] q);
  always @(posedge clk) q <= 4'd1;
endmodule
""", F.DECLARED_AS_WIRE),
    "unknown_module": ("""module TopModule(input clk, input reset, output [3:0] q);
  Counter4 u(.clk(clk), .q(q));
endmodule
""", F.UNKNOWN_MODULE),
    "unbound_clk": ("""module TopModule(input reset, output reg [3:0] q);
  always @(posedge clk) q <= q + 1;
endmodule
""", F.UNBOUND_CLK),
    "unbound_port": ("""module TopModule(input clk, input reset, output [3:0] q);
  assign q = count;
endmodule
""", F.UNBOUND_PORT),
    "compile_other": ("""module TopModule(input clk, input reset, output reg [3:0] q);
  reg [3:0] q;
  always @(posedge clk) q <= 1;
endmodule
""", F.COMPILE_OTHER),
    "reset_mismatch": ("""module TopModule(input clk, input reset, output reg [3:0] q);
  always @(posedge clk or posedge reset) if (reset) q <= 1; else q <= q + 1;
endmodule
""", F.RESET_MISMATCH),
    "mismatch": (GOOD.replace("q + 1", "q + 2"), F.MISMATCH),
    "timeout": ("""module TopModule(input clk, input reset, output reg [3:0] q);
  initial forever q = 0;
endmodule
""", F.TIMEOUT),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Every case run once, as one batch through the pool."""
    from rtlgen.sandbox import Sandbox, SandboxConfig, run_many

    sb = Sandbox(SandboxConfig(jobs_dir=str(tmp_path_factory.mktemp("jobs"))))
    sim = IcarusSimulator()
    jobs = [sim.build_job({"sample.sv": code, "test.sv": TB}, "tb", limits=Limits(wall_s=3, cpu_s=10))
            for code, _ in CASES.values()]
    return {name: sim.parse(r, code=CASES[name][0]) for name, r in zip(CASES, run_many(sb, jobs), strict=True)}


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
@pytest.mark.parametrize("name", list(CASES))
def test_category_from_real_log(results, name):
    res = results[name]
    assert res.category is CASES[name][1], (name, res.category, res.log[-800:])
    if CASES[name][1] not in (F.TIMEOUT,):
        # the upstream classifier alone agrees on the very same log (T is our sandbox's kill)
        assert classify_upstream(res.log, code=CASES[name][0]) is CASES[name][1]


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_timeout_is_a_kill_and_upstream_timeout_line(results):
    res = results["timeout"]
    assert res.killed_by is KilledBy.TIMEOUT
    # the v2 harness appends "TIMEOUT" to the log when `timeout` exits 124
    assert classify_upstream(res.log + "TIMEOUT\n") is F.TIMEOUT


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_upstream_false_negative_always_comb_constant(sandbox):
    """A correct design whose always_comb drives only a constant passes every vector, yet upstream
    scores it n (iverilog warns "no sensitivities"). classify_upstream keeps that; passed=True fixes it."""
    tb = TB.replace("want = reset ? 0 : want + 1", "want = 4'd5")
    code = "module TopModule(input clk, input reset, output logic [3:0] q);\n  always_comb q = 4'd5;\nendmodule\n"
    sim = IcarusSimulator()
    res = sim.run({"sample.sv": code, "test.sv": tb}, "tb", sandbox=sandbox)
    assert "Mismatches: 0 in 12 samples" in res.run_log
    assert res.category is F.NO_SENSITIVITIES
    assert classify(res.compile_log, res.run_log, compiled=True, killed_by=KilledBy.NONE, exit_code=0,
                    passed=True) is F.PASS


# ---- pure string tests of the rule order ---------------------------------------------------------

@pytest.mark.parametrize("log,expected", [
    ("a.sv:1: syntax error\na.sv:2: error: This assignment requires an explicit cast\n", F.SYNTAX),
    ("a.sv:2: error: This assignment requires an explicit cast\na.sv:1: syntax error\n", F.EXPLICIT_CAST),
    ("x: error: Unable to bind wire/reg/memory `foo' in `tb'\nx: is declared here as wire\n", F.DECLARED_AS_WIRE),
    ("x: error: Unable to bind wire/reg/memory `foo'\nx: error: Unable to bind wire/reg/memory `clk'\n",
     F.UNBOUND_CLK),
    ("x: error: Unable to bind wire/reg/memory `foo'\nx: error: other\n", F.UNBOUND_PORT),
    ("x: error: other\nMismatches: 0 in 10 samples\n", F.COMPILE_OTHER),
    ("Hint: total error count\nMismatches: 0 in 5 samples\n", F.COMPILE_OTHER),  # upstream quirk: any "error"
    ("Mismatches: 0 in 5 samples\n", F.PASS),
    ("Mismatches: 0 in 5 samples\nTIMEOUT\n", F.TIMEOUT),
    ("x.sv:3: warning: always_comb process has no sensitivities.\nMismatches: 0 in 5 samples\n",
     F.NO_SENSITIVITIES),
    ("x: warning: @* found no sensitivities so it will never trigger.\n", F.NO_SENSITIVITIES),
    ("x: error: Unknown module type: Foo\nx: syntax error\n", F.UNKNOWN_MODULE),
    ("x: error: Sized numeric constant must have a size greater than zero.\n", F.ZERO_WIDTH),
    ("  Mismatches: 0 in 5 samples\n", F.MISMATCH),  # the pattern is anchored
    ("Mismatches: 3 in 5 samples\n", F.MISMATCH),
    ("", F.MISMATCH),
])
def test_upstream_rule_order(log, expected):
    assert classify_upstream(log) is expected


def test_reset_split_looks_at_the_code():
    log = "Mismatches: 3 in 5 samples\n"
    assert classify_upstream(log, code="always @(posedge clk or negedge reset)") is F.RESET_MISMATCH
    assert classify_upstream(log, code="always @(posedge clk, posedge r)") is F.RESET_MISMATCH
    assert classify_upstream(log, code="always @(posedge clk)") is F.MISMATCH


def _ours(**kw):
    base = dict(compile_log="", run_log="Mismatches: 0 in 5 samples\n", compiled=True, killed_by=KilledBy.NONE,
                exit_code=0)
    return classify(**{**base, **kw})


def test_our_categories():
    assert _ours() is F.PASS
    assert _ours(code="  \n") is F.EMPTY_CODE
    assert _ours(killed_by=KilledBy.MEMORY) is F.KILLED_MEMORY
    assert _ours(killed_by=KilledBy.CPU) is F.KILLED_CPU
    assert _ours(killed_by=KilledBy.OUTPUT) is F.KILLED_OUTPUT
    assert _ours(killed_by=KilledBy.FILESIZE) is F.KILLED_FILESIZE
    assert _ours(killed_by=KilledBy.TIMEOUT) is F.TIMEOUT
    truncated = "module TopModule(input a, output b);\n  assign b = a"
    assert _ours(compiled=False, compile_log="x: syntax error\n", run_log="", code=truncated) is F.TRUNCATED_CODE
    assert _ours(compiled=False, compile_log="x: syntax error\n", run_log="", code=truncated + ";\nendmodule") \
        is F.SYNTAX
    assert _ours(run_log="FATAL: boom\n", exit_code=1) is F.RUNTIME_ERROR
    assert _ours(run_log="", exit_code=-11) is F.RUNTIME_ERROR
    assert _ours(compiled=False, compile_log="", run_log="", exit_code=-11) is F.COMPILE_OTHER
    assert _ours(run_log="error in test\n", passed=False) is F.MISMATCH
    assert _ours(run_log="", passed=True) is F.PASS
    assert F.KILLED_CPU.is_upstream is False and F.UNBOUND_CLK.is_upstream is True


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_empty_and_truncated_samples_from_real_runs(sandbox):
    sim = IcarusSimulator()
    truncated = GOOD.split("endmodule")[0].rstrip()[:-12]  # cut mid-statement, as a model at its token limit
    res = sim.run({"sample.sv": truncated, "test.sv": TB}, "tb", sandbox=sandbox, code=truncated)
    assert not res.compiled and res.category is F.TRUNCATED_CODE
    empty = sim.run({"sample.sv": "\n", "test.sv": TB}, "tb", sandbox=sandbox, code="\n")
    assert empty.category is F.EMPTY_CODE and classify_upstream(empty.log) is F.UNKNOWN_MODULE
