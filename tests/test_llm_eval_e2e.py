"""End to end: a model spec through the VerilogEval runner (it generates, saves, then scores)."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_bwrap, pytest.mark.requires_data]

ANSWER = "```verilog\nmodule TopModule(output zero);\n  assign zero = 1'b0;\nendmodule\n```"


def test_scripted_model_through_verilogeval(tmp_path, shared):
    from rtlgen.evals.runner import EvalConfig, run_eval

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([ANSWER, "no code at all", ANSWER]))
    out = tmp_path / "eval"
    config = EvalConfig(task="verilogeval-v2-spec-to-rtl", model=f"scripted:{answers}",
                        data_dir=str(shared / "verilog-eval"), problems=("Prob001_zero", "Prob002_m2014_q4i"),
                        out=str(out), progress=False, cache=False)
    summary = run_eval(config)
    generations = [json.loads(x) for x in (out / "generations.jsonl").read_text().splitlines()]
    assert [g["task_id"] for g in generations] == ["Prob001_zero", "Prob002_m2014_q4i"]
    assert generations[0]["responses"] == [ANSWER]
    assert summary  # it ran and wrote results; the scores themselves are the runner's business


def test_model_spec_through_the_cli(tmp_path, shared, capsys):
    """`rtlgen eval verilogeval --model SPEC --json`: one right and one wrong answer, scored in strict mode."""
    from rtlgen.cli.main import main

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([ANSWER, "module TopModule(output zero); assign zero = 1'b1; endmodule"]))
    argv = ["eval", "verilogeval", "--task", "verilogeval-v2-spec-to-rtl", "--model", f"scripted:{answers}",
            "--mode", "strict", "--problems", "Prob001_zero,Prob002_m2014_q4i", "--data-dir",
            str(shared / "verilog-eval"), "--out", str(tmp_path / "eval"), "--no-cache", "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["task"] == "verilogeval-v2-spec-to-rtl" and summary["mode"] == "strict"
    assert summary["passed"] == ["Prob001_zero"] and summary["pass_at_1"] == pytest.approx(0.5)
    assert main(argv) == 0  # a re-run resumes from the saved generations and results
    assert json.loads(capsys.readouterr().out)["passed"] == ["Prob001_zero"]
