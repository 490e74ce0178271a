"""A corpus of forged passes: each one passes upstream's (official) rules, and none passes strict mode.

The DUT solves Prob005_notgate (out = ~in) wrongly (out = in) and tries to look right anyway.
"""

from __future__ import annotations

import json

import pytest

from rtlgen.evals.runner import EvalConfig, run_eval
from rtlgen.evals.strict import bench_for
from rtlgen.sim.judge.harden import harden
from rtlgen.sim.judge.jobs import JudgeLimits, SimulatorKind, simulation_job
from rtlgen.sim.judge.static import check_design as check_dut
from rtlgen.sim.judge.verdict import read_run

pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_bwrap, pytest.mark.requires_data]

HDR = "module TopModule(input in, output out);\n"
WRONG = "assign out = in;\n"
FORGERIES = {
    # the DUT prints the verdict line itself; upstream takes any "Mismatches: 0" line as a pass
    "verdict_line": HDR + WRONG + 'initial $display("Mismatches: 0 in 100 samples");\nendmodule\n',
    # right for the first samples, then ends the simulation: the final block reports 0 mismatches
    "early_finish": "`timescale 1ps/1ps\n" + HDR + "assign out = ($time < 20) ? ~in : in;\ninitial #20 $finish;\nendmodule\n",
    # prints a verdict, then kills the simulator
    "verdict_then_fatal": "`timescale 1ps/1ps\n" + HDR + WRONG + 'initial begin $display("Mismatches: 0 in 9 samples"); #2 $fatal; end\n'
                          "endmodule\n",
    # the same, with $finish and the reference hidden behind macros and an escaped identifier
    "macro_hidden": HDR + "`define F $finish\nassign out = \\good1 .out;\ninitial #20 `F;\nendmodule\n",
    # instantiates the testbench's reference module
    "ref_instance": HDR + "RefModule r(.in(in), .out(out));\nendmodule\n",
    # hierarchical reference into the testbench by its module name
    "hier_tb": HDR + "assign out = tb.out_ref;\nendmodule\n",
    # upward name lookup: the reference instance is a sibling in tb
    "hier_upward": HDR + "assign out = good1.out;\nendmodule\n",
}
# Not passing officially only because iverilog 11 lacks $root; strict rejects it whatever the simulator.
STRICT_ONLY = {
    "hier_root": HDR + "assign out = $root.tb.good1.out;\nendmodule\n",
    "host_file": HDR + 'integer f; initial f = $fopen("/etc/passwd", "r");\nassign out = ~in;\nendmodule\n',
    "system_call": HDR + 'initial $system("touch /tmp/pwned");\nassign out = ~in;\nendmodule\n',
    "include": HDR + '`include "/etc/hostname"\nassign out = ~in;\nendmodule\n',
    "readmem": HDR + 'reg [7:0] m [0:1]; initial $readmemh("Prob005_notgate_test.sv", m);\nassign out = ~in;\n'
               "endmodule\n",
    "bind": HDR + "assign out = ~in;\nbind tb RefModule extra(.in(1'b0), .out());\nendmodule\n",
    # an undotted call resolves upward: this reaches a task the testbench defines
    "upward_call": HDR + "assign out = ~in;\ninitial wait_for_end_of_timestep();\nendmodule\n",
}


def _run(tmp_path, shared, mode, corpus, **kw):
    path = tmp_path / f"{mode}.jsonl"
    path.write_text("".join(json.dumps({"task_id": "Prob005_notgate", "completion": c}) + "\n"
                            for c in corpus.values()))
    out = tmp_path / f"out-{mode}"
    run_eval(EvalConfig(task="verilogeval-v2-spec-to-rtl", completions=str(path), mode=mode,
                        problems=("Prob005_notgate",), data_dir=str(shared / "verilog-eval"), out=str(out),
                        progress=False, cache_dir=str(tmp_path / "cache"), **kw))
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    names = list(corpus)
    return {names[r["sample"]]: r for r in rows if r["extraction"] == "upstream"}


def test_forgeries_pass_official_and_fail_strict(tmp_path, shared):
    official = _run(tmp_path, shared, "official", FORGERIES)
    assert {k: r["passed"] for k, r in official.items()} == {k: True for k in FORGERIES}
    strict = _run(tmp_path, shared, "strict", {**FORGERIES, **STRICT_ONLY})
    assert {k: r["passed"] for k, r in strict.items()} == {k: False for k in {**FORGERIES, **STRICT_ONLY}}
    assert strict["verdict_line"]["category"] == "R"  # simulated: the tagged verdict counts the mismatches
    for name in set(FORGERIES) - {"verdict_line"} | set(STRICT_ONLY):
        assert strict[name]["category"] == "forbidden", (name, strict[name])


def test_v1_forgeries(tmp_path, shared):
    """v1 takes the first "Mismatches:" match on stdout, so a printed verdict passes there too."""
    hdr_free = {"verdict_line": 'assign out = in;\ninitial $display("Mismatches: 0 in 100 samples");\nendmodule\n',
                "ref_instance": "reference_module r(.in(in), .out(out));\nendmodule\n"}
    results = {}
    for mode in ("official", "strict"):
        path = tmp_path / f"v1-{mode}.jsonl"
        path.write_text("".join(json.dumps({"task_id": "notgate", "completion": c}) + "\n" for c in hdr_free.values()))
        out = tmp_path / f"v1-out-{mode}"
        run_eval(EvalConfig(task="verilogeval-v1-human", completions=str(path), mode=mode, problems=("notgate",),
                            data_dir=str(shared / "verilog-eval"), out=str(out), progress=False,
                            cache_dir=str(tmp_path / "cache")))
        rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
        results[mode] = {r["sample"]: r["passed"] for r in rows if r["extraction"] == "upstream"}
    assert results["official"] == {0: True, 1: True}
    assert results["strict"] == {0: False, 1: False}


def test_runaway_designs_are_contained(tmp_path, shared):
    corpus = {
        "spin": HDR + "assign out = ~in;\nreg x; initial forever x = ~x;\nendmodule\n",
        "flood": HDR + 'assign out = ~in;\ninitial forever $display("%0200d", 0);\nendmodule\n',
    }
    for mode in ("official", "strict"):
        res = _run(tmp_path, shared, mode, corpus, timeout_s=3.0)
        assert not res["spin"]["passed"] and res["spin"]["category"] == "T"
        assert not res["flood"]["passed"] and res["flood"]["category"] in ("killed_output", "T")


# -- defence in depth: the layers behind the static check hold on their own ----------------------
def _problem(shared):
    from rtlgen.evals.registry import get_task

    task = get_task("verilogeval-v2-spec-to-rtl")
    problem = next(p for p in task.load(shared / "verilog-eval") if p.task_id == "Prob005_notgate")
    return task, problem


@pytest.mark.parametrize("name,expected", [("early_finish", "no_verdict"), ("verdict_then_fatal", "R"),
                                           ("ref_instance", "m"), ("hier_tb", "p"), ("hier_upward", "p")])
def test_unchecked_forgeries_still_fail(sandbox, shared, name, expected):
    task, problem = _problem(shared)
    hardened = harden(bench_for(task, problem))
    verdict = _simulate(sandbox, hardened, FORGERIES[name])
    assert not verdict.passed
    assert verdict.category.value == expected, verdict


def _simulate(sandbox, hardened, design):
    job, n = simulation_job(SimulatorKind.ICARUS, hardened.files, hardened.top, design, JudgeLimits())
    return read_run(sandbox.run(job), n_compile=n, protocol=hardened.protocol, tag=hardened.tag,
                    has_end=hardened.has_end, tool="iverilog", trust="strict")


def test_golden_passes_hardened_bench_and_nonces_differ(sandbox, shared):
    task, problem = _problem(shared)
    a = harden(bench_for(task, problem))
    b = harden(bench_for(task, problem))
    assert a.tag != b.tag and a.top != b.top and a.tag not in a.top
    golden = task.golden(problem)
    assert check_dut(golden).ok
    assert _simulate(sandbox, a, golden).passed


def test_static_check_allows_ordinary_designs():
    ok = ("module TopModule(input clk, input [3:0] d, output reg [3:0] q);\n"
          "typedef struct packed { logic [1:0] a; } s_t; s_t s; assign s.a = d[1:0];\n"
          "genvar i; generate for (i = 0; i < 2; i++) begin : g wire w; end endgenerate\n"
          "Sub u(.x(d[0])); always @(posedge clk) begin : blk q <= d + $signed(s.a); $display(\"%d\", u.y); end\n"
          "endmodule\nmodule Sub(input x, output y); assign y = x; endmodule\n")
    check = check_dut(ok)
    assert check.ok, check


def test_upward_subroutine_calls_are_rejected():
    """Verilog looks an undotted task/function name up through the parents: a DUT could call the bench's
    own task (``clear_errors();`` zeroing its error count passes upstream's harness)."""
    for call in ("clear_errors();", "clear_errors;", "x = get_count(1);"):
        check = check_dut(HDR + f"integer x; assign out = ~in; initial begin {call} end\nendmodule\n")
        assert any("does not declare" in p for p in check.forbidden), (call, check)
    own = (HDR + "function automatic f(input v); f = ~v; endfunction\ntask t; endtask\n"
           "assign out = f(in); initial begin t; t(); end\nendmodule\n")
    assert check_dut(own).ok, check_dut(own)


def test_lookups_the_design_resolves_itself_are_allowed():
    """The scope rules refuse only what would leave the design: calls of its own functions declared later, of a
    package's, disables of blocks around the use or beside it, labels and generate blocks stay allowed."""
    ok = ("package p; function automatic int inc(int v); return v + 1; endfunction endpackage\n"
          "module TopModule(input clk, input [3:0] d, output reg [3:0] q);\n  import p::*;\n"
          "  function automatic [3:0] g2(input [3:0] v); g2 = h(v); endfunction\n"
          "  function automatic [3:0] h(input [3:0] v); h = ~v; endfunction\n  task automatic t; endtask\n"
          "  genvar i; generate for (i = 0; i < 2; i++) begin : g wire w; assign w = d[i]; end endgenerate\n"
          "  wire w0 = g[0].w;\n  always @(posedge clk) begin : outer\n    integer k;\n"
          "    for (k = 0; k < 2; k++) begin : inner if (k == 1) disable outer; end\n"
          "    q <= g2(d) + inc(1) + p::inc(2);\n    t;\n  end\n  initial lbl: begin t(); disable lbl; end\n"
          "  always @(posedge clk) begin : sib if (d == 0) disable outer; end\nendmodule\n")
    assert check_dut(ok, "TopModule").ok, check_dut(ok, "TopModule")
    decoys = {"function automatic integer f(input integer clear_errors); f = 0; endfunction": "clear_errors;",
              "integer clear_errors;": "clear_errors();",
              "initial begin : b integer stim; end": "stim.errors = 0;",
              "task automatic t; begin : inner end endtask": "disable inner;"}
    for decoy, use in decoys.items():
        check = check_dut(HDR + f"assign out = ~in; {decoy}\ninitial begin {use} end\nendmodule\n")
        assert any("in a scope around it" in p for p in check.forbidden), (decoy, check)


def test_directives_after_an_escaped_name_with_a_quote_are_seen():
    """``\\q"`` is an escaped identifier, not the start of a string that would hide what follows it."""
    from rtlgen.sim.judge.static import directives

    assert directives('wire \\q" ; `celldefine\nwire x; // `a\n"`b"') == ["celldefine"]
    check = check_dut(HDR + 'wire \\q" ; `celldefine\nassign out = ~in;\nendmodule\n')
    assert any("celldefine" in p for p in check.forbidden), check
