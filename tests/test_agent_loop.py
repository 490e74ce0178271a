"""The spec-to-RTL agent with a scripted model and real Icarus runs in the bwrap sandbox."""

from __future__ import annotations

import json

import pytest

from rtlgen.agent import AgentConfig, TestSource, run_agent
from rtlgen.agent.transcript import read_transcript
from rtlgen.llm.scripted import ScriptedBackend

pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_bwrap]

SPEC = "Build a module named adder with 4-bit inputs a and b and a 5-bit output s = a + b."
HEADER = "module adder(input [3:0] a, input [3:0] b, output [4:0] s);"
BAD = f"Here is the design:\n```verilog\n{HEADER}\n  assign s = a + ;\nendmodule\n```\nIt adds."
GOOD = f"```verilog\n{HEADER}\n  assign s = a + b;\nendmodule\n```"
GOOD2 = f"```verilog\n{HEADER}\n  wire [4:0] t = {{1'b0, a}} + {{1'b0, b}};\n  assign s = t;\nendmodule\n```"
WRONG = f"```verilog\n{HEADER}\n  assign s = a - b;\nendmodule\n```"
TB = """module tb;
  reg [3:0] a, b; wire [4:0] s; integer i, j, m;
  adder dut(.a(a), .b(b), .s(s));
  initial begin
    m = 0;
    for (i = 0; i < 16; i = i + 1) for (j = 0; j < 16; j = j + 1) begin
      a = i; b = j; #1;
      if (s !== i + j) m = m + 1;
    end
    $display("Mismatches: %0d in 256 samples", m);
    $finish;
  end
endmodule
"""
WEAK_TB = "```verilog\nmodule tb;\n  reg [3:0] a, b; wire [4:0] s;\n  adder dut(.a(a), .b(b), .s(s));\n" \
          "  initial begin a = 1; b = 1; #1; $display(\"Mismatches: 0 in 1 samples\"); $finish; end\nendmodule\n```"


def _run(tmp_path, sandbox, responses, *, testbench=TB, **config):
    model = ScriptedBackend(responses)
    result = run_agent(SPEC, model, AgentConfig(**config), tmp_path / "out", testbench=testbench, sandbox=sandbox)
    return model, result


def test_compile_error_is_fed_back_and_loop_stops_on_success(tmp_path, sandbox):
    model, result = _run(tmp_path, sandbox, [BAD, GOOD, WRONG], rounds=5)
    assert result.passed and result.rounds == 2 and result.test_source is TestSource.GIVEN
    assert [(h.verdict, h.passed) for h in result.history] == [("compile_error", False), ("pass", True)]
    assert len(model.calls) == 2  # stopped at the first pass: the third answer was never asked for
    records = read_transcript(result.transcript_path)
    # the judge refuses to simulate what slang cannot parse; the exact pyslang diagnostics are fed back
    lint = records[0]["tool_results"]["lint"]
    errors = [x for x in lint if x.startswith("design.sv:2:") and "error" in x]
    repair = model.calls[1][0]
    assert repair[-2].content == BAD  # the previous answer, as the assistant turn
    assert errors and all(x in repair[-1].content for x in errors)  # the exact tool text reached the model
    assert (tmp_path / "out" / "design.sv").read_text().count("assign s = a + b;") == 1
    assert (tmp_path / "out" / "testbench.sv").read_text() == TB
    assert [r["round"] for r in records] == [1, 2] and records[1]["verdict"] == "pass"


def test_simulation_mismatch_is_fed_back(tmp_path, sandbox):
    model, result = _run(tmp_path, sandbox, [WRONG, GOOD], rounds=2)
    assert [h.verdict for h in result.history] == ["fail", "pass"]
    assert "Mismatches: 240 in 256 samples" in model.calls[1][0][-1].content


ENDLESS = "```verilog\n" + HEADER + "\n" + "  // more and more\n" * 400
CASES = {
    "no code": ("I cannot help with that.", "no_code"),
    "empty": ("", "no_code"),
    "wrong name": (GOOD.replace("module adder", "module add4"), "wrong_module"),
    "duplicate top": (GOOD + "\n" + GOOD, "wrong_module"),
    "endless": (ENDLESS, "truncated"),
    "garbage code": ("```verilog\nmodule adder(;;;\nendmodule\n```", "compile_error"),
    "prose around code": ("Sure! Let me think.\n\n" + GOOD + "\n\nThis works because addition.", "pass"),
    "several modules": (f"```verilog\nmodule half(input x, output y); assign y = x; endmodule\n{HEADER}\n"
                        "  assign s = a + b;\nendmodule\n```", "pass"),
    "infinite loop": (f"```verilog\n{HEADER}\n  reg [4:0] r; assign s = r;\n  always @* r = r + 1;\nendmodule\n```",
                      None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_answers_get_a_verdict(tmp_path, sandbox, name):
    response, verdict = CASES[name]
    _, result = _run(tmp_path, sandbox, [response], rounds=1, sim_wall_s=5)
    assert len(result.history) == 1
    record = result.history[0]
    assert record.passed == (verdict == "pass")
    if verdict is not None:
        assert record.verdict == verdict, record.reason
    assert record.reason
    lines = read_transcript(result.transcript_path)
    assert lines[-1]["verdict"] == record.verdict


def test_self_generated_testbench_said_so(tmp_path, sandbox):
    model, result = _run(tmp_path, sandbox, [WRONG, "```verilog\n" + TB + "```", GOOD], testbench=None, rounds=3)
    assert result.passed and result.test_source is TestSource.GENERATED
    assert "Write a self-checking Verilog testbench" in model.calls[1][0][-1].content
    assert "input [3:0] a" in model.calls[1][0][-1].content  # the ports, read with pyslang, were given
    assert "self-generated" in model.calls[2][0][-1].content
    kinds = [r["kind"] for r in read_transcript(result.transcript_path)]
    assert kinds == ["testbench", "design", "design"]
    assert result.to_json()["test_source"] == "generated"


def test_samples_cluster_by_behaviour(tmp_path, sandbox):
    # three candidates from one call; a weak self-generated test passes all; behaviour picks the majority
    model, result = _run(tmp_path, sandbox, [WRONG, GOOD, GOOD2, WEAK_TB], testbench=None, samples=3, rounds=1)
    assert model.calls[0][1].n == 3 and model.calls[0][1].temperature > 0
    assert [h.passed for h in result.history] == [True, True, True]
    assert result.clusters == ((1, 2), (0,))
    assert result.chosen == 1 and result.passed


def test_given_test_ranks_by_results_when_none_pass(tmp_path, sandbox):
    _, result = _run(tmp_path, sandbox, ["no code here", WRONG, "```verilog\nmodule adder(;\nendmodule\n```"],
                     samples=3, rounds=1)
    assert not result.passed and result.chosen == 1  # compiled, fewest mismatches
    assert "assign s = a - b;" in (tmp_path / "out" / "design.sv").read_text()


def test_json_round_trip(tmp_path, sandbox):
    _, result = _run(tmp_path, sandbox, [GOOD], rounds=1)
    data = json.loads(json.dumps(result.to_json()))
    assert {"passed", "rounds", "design_path", "testbench_path", "test_source", "history"} <= set(data)
    assert data["history"] == [{"candidate": 0, "round": 1, "category": "pass", "passed": True, "verdict": "pass",
                                "reason": "0 mismatches in 256 samples"}]
