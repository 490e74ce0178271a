"""Teacher stages of the dataset pipeline: descriptions, code-to-code augmentation (differential bench and
formal equivalence), repair data. Tool-free tests first; then real iverilog and Yosys on tiny designs:
``pytest -q tests/test_datasets_teacher.py``."""

from __future__ import annotations

import json
import random
import time

import pytest
import yaml

from rtlgen.datasets.augment import Augment, AugmentOptions, proof_fractions, rewrite_code
from rtlgen.datasets.describe import (
    Describe,
    DescribeOptions,
    DropReason,
    ask_teacher,
    description_problem,
    load_prompts,
)
from rtlgen.datasets.difftb import build_bench, classify_ports, read_ports, rename_reference
from rtlgen.datasets.formal import check_formal
from rtlgen.datasets.mutate import Operator, mutate
from rtlgen.datasets.repair import RepairFromRuns, RepairFromRunsOptions, RepairMutate, RepairMutateOptions
from rtlgen.datasets.sample import DescriptionLevel, Dropped, Sample
from rtlgen.datasets.stage import StageContext
from rtlgen.errors import InputError
from rtlgen.llm.base import ModelBackend, SamplingParams
from rtlgen.sim.judge import Judge
from rtlgen.sim.judge.static import PortInfo
from rtlgen.synth.equivalence import EquivStatus

COUNTER = """module counter(input clk, input rst, input en, output [3:0] q, output wrap);
  reg [3:0] cnt;
  always @(posedge clk) if (rst) cnt <= 4'd0; else if (en) cnt <= cnt + 4'd1;
  assign q = cnt;
  assign wrap = en & (cnt == 4'hf);
endmodule
"""
CORRECT = """module counter(input clk, input rst, input en, output reg [3:0] q, output wrap);
  always @(posedge clk) begin
    if (rst) q <= 0;
    else q <= q + {3'b000, en};
  end
  assign wrap = en && q == 15;
endmodule
"""
WRONG = COUNTER.replace("cnt + 4'd1", "cnt + 4'd2")  # counts by two
RESET_ONLY = COUNTER.replace("cnt <= 4'd0", "cnt <= 4'd5")  # differs only in what reset does
FORGE_FINISH = """module counter(input clk, input rst, input en, output [3:0] q, output wrap);
  assign q = 0; assign wrap = 0;
  initial begin $display("Mismatches: 0 in 100 samples"); $finish; end
endmodule
"""
FORGE_PRINT = FORGE_FINISH.replace(" $finish;", "")
MUX = "module mux(input [3:0] a, input [3:0] b, input s, output [3:0] y);\n  assign y = s ? b : a;\nendmodule\n"
MUX_REWRITE = "module mux(input [3:0] a, input [3:0] b, input s, output [3:0] y);\n  assign y = (b & {4{s}}) | (a & {4{~s}});\nendmodule\n"
DESCRIPTIONS = {"summary": "A four-bit up counter with a synchronous reset and an enable input that wraps.",
                "detailed": "Ports: clk, rst (synchronous, active high), en; q is the 4-bit count, wrap is high "
                            "when en is high and the count is 15. On each rising clock edge q increments when en."}


def fence(code: str) -> str:
    return f"Here it is:\n```verilog\n{code}```\n"


def sample(sid: str, code: str = COUNTER, top: str = "counter") -> Sample:
    return Sample(id=sid, code=code, top=top, descriptions=DESCRIPTIONS)


def scripted(tmp_path, name: str, responses: list[str]) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"responses": responses, "when_exhausted": "empty"}))
    return f"scripted:{path}"


# -- no tools ----------------------------------------------------------------------------------------
def test_prompts_are_versioned_and_fill_fields_once():
    prompts = load_prompts()
    assert prompts.version == "teacher-v1"
    assert set(prompts.describe) == {lv.value for lv in DescriptionLevel}
    msgs = prompts.messages(prompts.rewrite, top="t", ports="- input a", description="uses {top} literally")
    assert "{top}" in msgs[1].content and "named `t`" in msgs[1].content


def test_description_garbage_rules():
    assert description_problem("A four-bit counter with reset and enable; wraps at fifteen.", 20, 1000) is None
    assert "empty" in description_problem("   ", 20, 1000)
    assert "code" in description_problem("module x; assign a = b; endmodule and some words", 20, 1000)
    assert "prose" in description_problem("{}[]();;;;;;;;;;::::=====0101010101", 20, 1000)
    assert "repetitive" in description_problem("blah " * 40, 20, 1000)


class _Slow(ModelBackend):
    def generate(self, prompts, params):
        time.sleep(5)
        return [["late"] for _ in prompts]


class _Raises(ModelBackend):
    def generate(self, prompts, params):
        raise RuntimeError("server gone")


class _Short(ModelBackend):
    def generate(self, prompts, params):
        return [["only one"]]


def test_teacher_failures_are_reasons_not_crashes():
    prompts = [load_prompts().messages("x")] * 2
    params = SamplingParams()
    assert ask_teacher(_Slow(), prompts, params, 0.2).failure is DropReason.TEACHER_TIMEOUT
    raised = ask_teacher(_Raises(), prompts, params, 5)
    assert raised.failure is DropReason.TEACHER_ERROR and "server gone" in raised.detail
    assert ask_teacher(_Short(), prompts, params, 5).failure is DropReason.TEACHER_ERROR


def test_bad_options_are_one_line_input_errors(tmp_path):
    with pytest.raises(InputError, match="teacher must be a model spec"):
        Describe(DescribeOptions(), StageContext(out_dir=tmp_path))
    with pytest.raises(InputError, match="rewrites"):
        AugmentOptions(teacher="scripted:x.yaml", rewrites=0)
    with pytest.raises(InputError, match="eval_runs or transcripts"):
        RepairFromRunsOptions()


def test_port_roles_and_renaming():
    ports = (PortInfo("clk", "In", 1), PortInfo("rst_n", "In", 1), PortInfo("clk_en", "In", 1),
             PortInfo("first", "In", 1), PortInfo("d", "In", 8), PortInfo("q", "Out", 8))
    roles = classify_ports(ports)
    assert [p.name for p in roles.clocks] == ["clk"] and [p.name for p in roles.resets] == ["rst_n"]
    assert [p.name for p in roles.data] == ["clk_en", "first", "d"]
    text = rename_reference("module top(input a, output y); sub u(.a(a), .y(y)); endmodule\nmodule sub(input a, "
                            "output y); assign y = a; endmodule\n", "top")
    assert "module RefModule" in text and "module sub_rtlgen_ref" in text and "sub_rtlgen_ref u(" in text


def test_mutation_operators_edit_one_site():
    rng = random.Random(0)
    for op in Operator:
        code = COUNTER if op is not Operator.SWAP_IF_ELSE else CORRECT
        m = mutate(code, op, rng)
        assert m is not None and m.code != code, op
    assert "if (rst) q <= q + {3'b000, en};" in mutate(CORRECT, Operator.SWAP_IF_ELSE, rng).code
    assert mutate(COUNTER, Operator.SWAP_IF_ELSE, rng) is None  # its only else holds another if: left alone
    m = mutate(COUNTER, Operator.WRONG_EDGE, rng)
    assert "negedge clk" in m.code
    assert mutate("module m; // if (a) x; else y;\nendmodule\n", Operator.SWAP_IF_ELSE, rng) is None


def test_proof_fractions():
    made = [Sample("a~aug0", "", meta={"augmented_from": "a", "proved_by": ["difftb", "formal_comb"]}),
            Sample("b~aug0", "", meta={"augmented_from": "b", "proved_by": ["difftb", "formal_bmc_20"]}),
            Sample("c~aug0", "", meta={"augmented_from": "c", "proved_by": ["difftb"]}), Sample("d", "")]
    got = proof_fractions(made)
    assert got["augmented"] == 3 and got["difftb"] == 1.0 and got["formal_any"] == pytest.approx(0.6667)
    assert got["difftb_only"] == pytest.approx(0.3333)


def test_rewrite_code_refuses_garbage():
    assert rewrite_code("I cannot help with that.", "counter")[1]
    assert "no module" in rewrite_code(fence(MUX), "counter")[1]
    assert rewrite_code(fence(COUNTER), "counter") == (COUNTER, "")


def test_repair_from_runs(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    bad, good = MUX.replace("s ? b : a", "s ? a : b"), MUX
    import hashlib

    def sha(t):
        return hashlib.sha256(t.encode()).hexdigest()

    rows = [{"task_id": "P1", "sample": 0, "extraction": "robust", "mode": "strict", "passed": False,
             "category": "R", "code_sha": sha(bad), "detail": "8 mismatches in 20 samples", "log_tail": "x"},
            {"task_id": "P1", "sample": 1, "extraction": "robust", "mode": "strict", "passed": True,
             "category": "pass", "code_sha": sha(good)}]
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"torn')
    (run / "generations.jsonl").write_text(json.dumps({"task_id": "P1", "responses": [fence(bad), fence(good)]}) + "\n")
    tr = tmp_path / "agent" / "transcript.jsonl"
    tr.parent.mkdir()
    recs = [{"candidate": 0, "round": 1, "kind": "design", "response": fence(bad), "passed": False,
             "reason": "mismatch", "tool_results": {"lint": ["%Warning: x"], "judge": {"run_log": "Mismatches: 8"}}},
            {"candidate": 0, "round": 2, "kind": "design", "response": fence(good), "passed": True}]
    tr.write_text("".join(json.dumps(r) + "\n" for r in recs))
    stage = RepairFromRuns(RepairFromRunsOptions(eval_runs=(str(run),), transcripts=(str(tr),)),
                           StageContext(out_dir=tmp_path))
    out = stage.process([sample("keep")])
    assert out[0].id == "keep"
    triples = [s for s in out[1:] if isinstance(s, Sample)]
    assert len(triples) == 2
    for t in triples:
        assert t.meta["repair"]["broken"] == bad and t.code == good and t.top == "mux"
    assert "8 mismatches" in triples[0].meta["repair"]["message"]
    assert "%Warning" in triples[1].meta["repair"]["message"] and "Mismatches: 8" in triples[1].meta["repair"]["message"]


# -- real tools ----------------------------------------------------------------------------------------
def test_describe_stage(tmp_path):
    good = ["A four-bit counter that counts enabled clock edges and resets to zero synchronously.",
            "Ports: clk, rst, en, q[3:0], wrap. On each rising edge of clk, rst clears q, else en adds one.",
            "1. The always block counts. 2. The assigns drive q and wrap from the count."]
    spec = scripted(tmp_path, "describe.yaml", good + ["```verilog\nmodule x; endmodule\n```", "ok", "ok"])
    stage = Describe(DescribeOptions(teacher=spec), StageContext(out_dir=tmp_path))
    out = stage.process([Sample("a", COUNTER, "counter"), Sample("b", COUNTER, "counter")])
    assert isinstance(out[0], Sample) and out[0].descriptions["blocks"].startswith("1.")
    assert out[0].meta == {"teacher": spec, "prompt_version": "teacher-v1",
                           "describe": {"teacher": spec, "prompt_version": "teacher-v1"}}
    assert isinstance(out[1], Dropped) and out[1].reason == "teacher_garbage"


@pytest.fixture(scope="module")
def bench():
    ports = read_ports(COUNTER, "counter")
    return build_bench(COUNTER, "counter", ports)


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_difftb_verdicts_each_rewrite(bench):
    verdicts = Judge().judge_many([(c, bench.bench) for c in (COUNTER, CORRECT, WRONG, RESET_ONLY, FORGE_FINISH,
                                                              FORGE_PRINT)])
    assert [v.passed for v in verdicts] == [True, True, False, False, False, False]
    assert verdicts[0].samples > 300 and verdicts[2].mismatches > 0 and verdicts[3].mismatches > 0
    assert verdicts[4].category.value == "forbidden"  # $finish in a design
    assert verdicts[5].mismatches > 0  # its own "Mismatches: 0" line is not the bench's
    assert "Mismatch in phase" in verdicts[2].run_log


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_formal_verdicts_each_rewrite():
    got = {name: check_formal(COUNTER, code, top="counter", resets=("rst",))
           for name, code in (("correct", CORRECT), ("wrong", WRONG), ("reset", RESET_ONLY))}
    assert got["correct"].status is EquivStatus.EQUIVALENT and got["correct"].proof == "formal_bmc_20"
    assert got["wrong"].status is EquivStatus.NOT_EQUIVALENT
    assert got["reset"].status is EquivStatus.NOT_EQUIVALENT
    comb = check_formal(MUX, MUX_REWRITE, top="mux")
    assert comb.status is EquivStatus.EQUIVALENT and comb.proof == "formal_comb"


@pytest.mark.requires_iverilog
@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_augment_stage_keeps_only_proved_rewrites(tmp_path):
    answers = [fence(CORRECT), fence(WRONG), fence(RESET_ONLY), "Sorry, I can't write Verilog today.",
               fence(FORGE_FINISH), fence(MUX_REWRITE)]
    spec = scripted(tmp_path, "augment.yaml", answers)
    stage = Augment(AugmentOptions(teacher=spec), StageContext(out_dir=tmp_path))
    batch = [sample(n) for n in ("good", "wrong", "reset", "garbage", "forge")] + [sample("mux", MUX, "mux")]
    out = stage.process(batch)
    assert [s.id for s in out[:6]] == [s.id for s in batch]  # originals pass through
    by_id = {o.id: o for o in out[6:]}
    kept = by_id["good~aug0"]
    assert isinstance(kept, Sample) and kept.meta["proved_by"] == ["difftb", "formal_bmc_20"]
    assert kept.meta["teacher"] == spec and kept.meta["prompt_version"] == "teacher-v1"
    assert "RefModule" in kept.reference and "Mismatches:" in kept.testbench
    assert by_id["mux~aug0"].meta["proved_by"] == ["difftb", "formal_comb"]
    for sid in ("wrong~aug0", "reset~aug0", "forge~aug0"):
        assert isinstance(by_id[sid], Dropped) and by_id[sid].reason == "rejected_difftb", by_id[sid]
    assert by_id["garbage~aug0"].reason == "teacher_garbage"
    assert proof_fractions(out)["formal_any"] == 1.0


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_repair_mutate_keeps_only_what_the_tools_reject(tmp_path):
    stage = RepairMutate(RepairMutateOptions(per_sample=9), StageContext(out_dir=tmp_path))
    out = stage.process([sample("c")])
    triples = [s for s in out[1:] if isinstance(s, Sample)]
    kinds = {t.meta["repair"]["kind"] for t in triples}
    assert kinds == {"syntactic", "semantic"}, out
    for t in triples:
        rep = t.meta["repair"]
        assert t.code == COUNTER and rep["broken"] != COUNTER and rep["message"]
        if rep["kind"] == "syntactic":
            assert "design.sv:" in rep["message"]
        else:
            assert "mismatches" in rep["message"] and t.testbench
    assert len({t.id for t in triples}) == len(triples)
