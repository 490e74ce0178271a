"""Agent pieces: the testbench pass rule, answer splitting, ranking/clustering, the random harness, the CLI."""

from __future__ import annotations

import json

import pytest

from rtlgen.agent.loop import find_testbench_top, guess_top
from rtlgen.agent.ranking import CandidateScore, cluster_by_traces, rank
from rtlgen.agent.testbench import design_ports, harness_trace, random_harness, split_answer
from rtlgen.cli.main import main
from rtlgen.sandbox import Limits
from rtlgen.sim.judge import BenchProtocol
from rtlgen.sim.judge.verdict import verdict_from_said


@pytest.mark.parametrize("protocol,said,passed", [
    (BenchProtocol.MISMATCH_COUNT, ["Mismatches: 0 in 100 samples"], True),
    (BenchProtocol.MISMATCH_COUNT, ["Hint: Output 'out' has 3 mismatches.", "Mismatches: 3 in 100 samples"], False),
    (BenchProtocol.MISMATCH_COUNT, ["Mismatches: 0 in 0 samples"], False),
    (BenchProtocol.MISMATCH_COUNT, ["Mismatches: 0 in 10 samples"] * 2, False),  # a second one: forged
    (BenchProtocol.MISMATCH_COUNT, [], False),
    (BenchProtocol.SILENT, ["all good"], True),
    (BenchProtocol.SILENT, [], True),
    (BenchProtocol.SILENT, ["test 3 FAIL: got 2"], False),
    (BenchProtocol.SILENT, ["ERROR assertion failed"], False),
    (BenchProtocol.SILENT, ["no errors, FAILures, or failed tests"], True),  # lower case / word parts
    (BenchProtocol.PASS_LINE, ["===========Your Design Passed==========="], True),
    (BenchProtocol.PASS_LINE, ["===========Error===========", "Passed"], False),
    (BenchProtocol.PASS_LINE, ["done"], False),
])
def test_judge_protocol_rules(protocol, said, passed):
    """What the bench said (its tagged segments) decides; the judge reads only those."""
    assert verdict_from_said(protocol, said).passed is passed


def test_split_answer_testbench_and_problems():
    text = "```verilog\nmodule dut(input a, output y); assign y = a; endmodule\nmodule tb; dut u(); endmodule\n```"
    answer = split_answer(text, "dut", accept_testbench=True)
    assert answer.problem is None and answer.modules == ("dut", "tb")
    assert "module tb" in answer.testbench and "module tb" not in answer.design
    assert "module tb" in split_answer(text, "dut", accept_testbench=False).design
    assert "no module named `top`" in split_answer(text, "top", accept_testbench=False).problem


def test_guess_top_and_testbench_top():
    assert guess_top("Implement a module named TopModule with ...") == "TopModule"
    assert guess_top("module counter (input clk, ...)") == "counter"
    assert guess_top("a thing that counts") is None
    tb = "module RefModule(input x); endmodule\nmodule tb; RefModule r(); TopModule t(); endmodule\n"
    assert find_testbench_top(tb, "TopModule") == "tb"


def test_rank_and_cluster():
    traces = {0: "a", 1: "b", 2: "b", 3: None, 4: "a", 5: "b"}
    clusters = cluster_by_traces(traces)
    assert clusters == [[1, 2, 5], [0, 4]]
    scores = [CandidateScore(i, passed=i != 5, compiled=True, mismatch_fraction=0.0, rounds=1) for i in range(6)]
    assert [s.index for s in rank(scores, clusters)][:3] == [1, 2, 0]
    plain = rank([CandidateScore(0, False, False, 1.0, 1), CandidateScore(1, False, True, 0.5, 3),
                  CandidateScore(2, False, True, 0.1, 3)])
    assert [s.index for s in plain] == [2, 1, 0]


COUNTER = """module counter(input clk, input reset, input en, input [39:0] load, output reg [7:0] q, output odd);
  always @(posedge clk) if (reset) q <= 0; else if (en) q <= q + 1; else q <= load[7:0] ^ load[39:32];
  assign odd = q[0];
endmodule
"""


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_random_harness_traces_match_equivalent_designs(sandbox):
    ports = design_ports(COUNTER, "counter")
    assert [(p.name, p.direction, p.width) for p in ports][:2] == [("clk", "input", 1), ("reset", "input", 1)]
    harness = random_harness("counter", ports, vectors=20, seed=3)
    assert "h_clk = 1" in harness and "(i < 2) ? 1'b1 : 1'b0" in harness
    assert "{$random(seed), $random(seed)}" in harness  # 40 bits need two words
    other = COUNTER.replace("q <= q + 1;", "q <= q + 8'd1;")
    wrong = COUNTER.replace("q <= q + 1;", "q <= q + 2;")
    limits = Limits(wall_s=20)
    traces = [harness_trace(sandbox, d, "counter", ports, vectors=20, seed=3, limits=limits)
              for d in (COUNTER, other, wrong, "module counter(input clk); endmodule")]
    assert traces[0] and len(traces[0].splitlines()) == 20
    assert traces[0] == traces[1] and traces[0] != traces[2] and traces[3] is None


GOOD = "```verilog\nmodule adder(input [3:0] a, input [3:0] b, output [4:0] s);\n  assign s = a + b;\nendmodule\n```"
TB = """module tb;
  reg [3:0] a, b; wire [4:0] s; integer m;
  adder dut(.a(a), .b(b), .s(s));
  initial begin m = 0; a = 3; b = 4; #1; if (s !== 7) m = m + 1;
    $display("Mismatches: %0d in 1 samples", m); $finish; end
endmodule
"""


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_cli_json_and_exit_codes(tmp_path, capsys):
    answers = tmp_path / "answers.yaml"
    answers.write_text(json.dumps([GOOD]))
    tb = tmp_path / "tb.sv"
    tb.write_text(TB)
    spec = tmp_path / "spec.txt"
    spec.write_text("A module named adder: s = a + b.")
    out = tmp_path / "out"
    rc = main(["spec2rtl", str(spec), "--model", f"scripted:{answers}", "--test", str(tb), "--out", str(out),
               "--json"])
    data = json.loads(capsys.readouterr().out)
    assert rc == 0 and data["passed"] is True and data["test_source"] == "given" and data["rounds"] == 1
    assert open(data["design_path"]).read().startswith("module adder")
    assert (out / "transcript.jsonl").is_file() and (out / "result.json").is_file()
    answers.write_text(json.dumps([GOOD.replace("a + b", "a - b")]))
    rc = main(["spec2rtl", "A module named adder: s = a + b.", "--model", f"scripted:{answers}", "--out",
               str(tmp_path / "out2"), "--rounds", "1"])
    text = capsys.readouterr().out
    assert rc == 1 and "SELF-GENERATED" in text and "FAILED" in text


def test_cli_bad_model_spec(tmp_path, capsys):
    rc = main(["spec2rtl", "spec text", "--model", "gguf:/x", "--out", str(tmp_path)])
    assert rc == 2 and "unknown model scheme" in capsys.readouterr().err


COCOTB_TEST = """import cocotb
from cocotb.triggers import Timer


@cocotb.test()
async def adds(dut):
    dut.a.value = 3
    dut.b.value = 4
    await Timer(1, unit="ns")
    assert int(dut.s.value) == 7
"""


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
@pytest.mark.slow
def test_agent_with_cocotb_test(tmp_path, sandbox):
    pytest.importorskip("cocotb")
    from rtlgen.agent import AgentConfig, run_agent
    from rtlgen.llm.scripted import ScriptedBackend

    model = ScriptedBackend([GOOD.replace("a + b", "a - b"), GOOD])
    result = run_agent("module named adder, s = a + b", model, AgentConfig(rounds=2), tmp_path / "out",
                       cocotb=("test_adder", COCOTB_TEST), sandbox=sandbox)
    assert [h.passed for h in result.history] == [False, True] and result.test_source.value == "given"
    assert result.testbench_path.endswith("test_adder.py")


def test_top_is_taken_from_a_given_testbench():
    from rtlgen.agent.loop import guess_top_from_testbench

    tb = ("module tb;\n  reg [3:0] a; wire [3:0] y;\n  // Other u_other(.a(a));\n  TopModule dut(.a(a), .y(y));\n"
          "  stim #(.W(4)) s(.a(a));\n  initial begin if (a) $display(\"x\"); end\nendmodule\n"
          "module stim #(parameter W = 1) (output reg [W-1:0] a); endmodule\n")
    assert guess_top_from_testbench(tb) == "TopModule"
    assert guess_top_from_testbench("module tb; A a(); B b(); endmodule") is None
