"""Runner: inputs and their errors, resume after a torn write, model generations saved before scoring, outputs."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import pytest

from rtlgen.errors import DataMissingError, InputError
from rtlgen.evals.registry import get_task
from rtlgen.evals.runner import EvalConfig, run_eval
from rtlgen.llm.base import ModelBackend, Prompt, SamplingParams

TASK = "verilogeval-v2-spec-to-rtl"
PROBS = ("Prob001_zero", "Prob005_notgate", "Prob031_dff")


def _config(tmp_path, shared, **kw) -> EvalConfig:
    base = dict(task=TASK, data_dir=str(shared / "verilog-eval"), out=str(tmp_path / "out"), progress=False,
                cache_dir=str(tmp_path / "cache"), problems=PROBS)
    return EvalConfig(**{**base, **kw})


def _golden_code(shared, task_id):
    task = get_task(TASK)
    return task.golden(next(p for p in task.load(shared / "verilog-eval") if p.task_id == task_id))


def _write(path, rows):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return str(path)


@pytest.mark.requires_data
def test_completions_file_errors(tmp_path, shared):
    bad = _write(tmp_path / "bad.jsonl", [{"task_id": "Prob001_zero", "completion": "x"}, "{not json"])
    with pytest.raises(InputError, match=r"bad.jsonl:2: not a JSON object"):
        run_eval(_config(tmp_path, shared, completions=bad))
    unknown = _write(tmp_path / "unknown.jsonl", [{"task_id": "Prob999_nope", "completion": "x"}])
    with pytest.raises(InputError, match=r"unknown.jsonl:1: unknown task_id 'Prob999_nope'"):
        run_eval(_config(tmp_path, shared, completions=unknown))
    wrong = _write(tmp_path / "wrong.jsonl", [{"task_id": "Prob001_zero", "completion": 3}])
    with pytest.raises(InputError, match="must be a string or a list of strings"):
        run_eval(_config(tmp_path, shared, completions=wrong))


def test_config_and_registry_errors(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="exactly one of"):
        EvalConfig(task=TASK, model="golden", completions="x.jsonl")
    with pytest.raises(InputError, match="did you mean 'verilogeval-v2-spec-to-rtl'"):
        get_task("verilogeval-v2-spec2rtl")
    monkeypatch.setenv("RTLGEN_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("RTLGEN_VERILOGEVAL_DIR", raising=False)
    with pytest.raises(DataMissingError, match="rtlgen data fetch verilogeval"):
        run_eval(EvalConfig(task=TASK, model="golden", out=str(tmp_path / "o")))


@pytest.mark.requires_data
def test_loader_counts(shared):
    sizes = {"verilogeval-v1-human": 156, "verilogeval-v1-machine": 143, "verilogeval-v2-spec-to-rtl": 156,
             "verilogeval-v2-code-complete": 156}
    for name, size in sizes.items():
        task = get_task(name)
        assert len(task.load(shared / "verilog-eval")) == size == task.size


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_completions_missing_and_lists(tmp_path, shared):
    zero = _golden_code(shared, "Prob001_zero")
    comp = _write(tmp_path / "c.jsonl", [{"task_id": "Prob001_zero", "completion": [zero, "garbage", zero]},
                                         {"task_id": "Prob005_notgate", "completion": "assign out = in;"}])
    s = run_eval(_config(tmp_path, shared, completions=comp))
    assert s["missing"] == ["Prob031_dff"]
    assert s["categories"]["missing"] >= 1
    assert s["passed"] == ["Prob001_zero"]
    per = {row["task_id"]: (row["n"], row["c"]) for row in s["per_problem"]}
    assert per["Prob001_zero"] == (3, 2)
    assert set(s["extraction"]) == {"upstream", "robust"}
    out = tmp_path / "out"
    for name in ("results.jsonl", "summary.json", "report.md", "chart.png", "config.json"):
        assert (out / name).stat().st_size > 0, name
    assert "Icarus Verilog" in (out / "report.md").read_text()


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_resume_after_torn_write(tmp_path, shared):
    cfg = _config(tmp_path, shared, model="golden", samples=2)
    first = run_eval(cfg)
    path = tmp_path / "out" / "results.jsonl"
    lines = path.read_text().splitlines()
    assert len(lines) == 6
    # simulate kill -9 mid-write: two finished lines, then half of the third
    path.write_text("\n".join(lines[:2]) + "\n" + lines[2][: len(lines[2]) // 2])
    second = run_eval(cfg)
    rows = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(rows) == 6 and len({(r["task_id"], r["sample"]) for r in rows}) == 6
    assert second["passed"] == first["passed"] and second["pass_at_1"] == first["pass_at_1"]
    third = run_eval(cfg)  # nothing left to do: the file does not grow
    assert len(path.read_text().splitlines()) == 6 and third["pass_at_1"] == first["pass_at_1"]
    with pytest.raises(InputError, match="different evaluation"):
        run_eval(_config(tmp_path, shared, model="golden", samples=2, mode="strict"))
    good = path.read_text()
    for bad, why in (("{}", "no 'task_id'"), ('{"task_id": ["a"]}', "'task_id' is"),
                     (json.dumps({**json.loads(lines[0]), "passed": "yes"}), "'passed' is 'yes', not bool")):
        path.write_text(good + bad + "\n")
        with pytest.raises(InputError, match=rf"results.jsonl:7: not a result this evaluation wrote \(.*{re.escape(why)}"):
            run_eval(cfg)
    from dataclasses import fields

    from rtlgen.evals.results import _RESULT_TYPES, SampleResult

    assert set(_RESULT_TYPES) == {f.name for f in fields(SampleResult)}


class ScriptedBackend(ModelBackend):
    """Answers with the golden solution for some problems and junk for others; counts calls."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.calls = 0

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[str]]:
        self.calls += 1
        outs = []
        for prompt in prompts:
            text = prompt[-1].content
            key = next((k for k in self.answers if k in text), None)
            outs.append([self.answers.get(key, "I do not know.")] * params.n)
        return outs


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_model_backend_saves_generations_then_resumes(tmp_path, shared):
    zero = _golden_code(shared, "Prob001_zero")
    backend = ScriptedBackend({"always outputs a LOW": f"Sure.\n[BEGIN]\n{zero}\n[DONE]",
                               "NOT gate": "```verilog\nmodule TopModule(input in, output out);\n"
                                           "  assign out = ~in;\nendmodule\n```\nThat is it."})
    cfg = _config(tmp_path, shared, model="scripted-test", samples=1)
    s = run_eval(cfg, backend=backend)
    gens = [json.loads(x) for x in (tmp_path / "out" / "generations.jsonl").read_text().splitlines()]
    assert [g["task_id"] for g in gens] == list(PROBS)
    assert "Prob001_zero" in s["passed"]
    assert s["extraction"]["robust"]["problems_passed"] >= 2  # the fenced answer passes with robust extraction
    assert backend.calls == 1
    run_eval(cfg, backend=backend)
    assert backend.calls == 1  # resumed from generations.jsonl, nothing regenerated


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_cli_json(tmp_path, shared, capsys):
    from rtlgen.cli.main import main

    rc = main(["eval", "verilogeval", "--task", TASK, "--model", "golden", "--data-dir", str(shared / "verilog-eval"),
               "--problems", "Prob001_zero,Prob005_notgate", "--out", str(tmp_path / "cli"), "--json",
               "--mode", "strict", "--no-cache"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    for key in ("task", "mode", "problems", "samples_per_problem", "pass_at_1", "passed", "categories", "wall_s",
                "iverilog", "excluded"):
        assert key in summary
    assert summary["mode"] == "strict" and summary["pass_at_1"] == 1.0
    assert main(["eval", "verilogeval", "--task", "nope", "--model", "golden"]) == 2


def test_data_dir_resolution(tmp_path, monkeypatch):
    from rtlgen.evals.datadir import resolve_data_dir, user_cache_dir

    monkeypatch.setenv("RTLGEN_CACHE_DIR", str(tmp_path / "c"))
    assert user_cache_dir() == tmp_path / "c" / "verilog-eval"
    monkeypatch.delenv("RTLGEN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert user_cache_dir() == tmp_path / "x" / "rtlgen" / "verilog-eval"
    (tmp_path / "env" / "v2").mkdir(parents=True)
    (tmp_path / "flag" / "v1").mkdir(parents=True)
    monkeypatch.setenv("RTLGEN_VERILOGEVAL_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(None) == tmp_path / "env"
    assert resolve_data_dir(str(tmp_path / "flag")) == tmp_path / "flag"
    with pytest.raises(DataMissingError, match=r"from --data-dir\): run `rtlgen data fetch verilogeval`"):
        resolve_data_dir(str(tmp_path / "nothing"))


@pytest.mark.requires_data
@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_strict_run_hands_the_judge_its_costs_longest_first(tmp_path, shared, monkeypatch):
    """The judge gets the cost model's estimate of every item, in the order it starts them: longest first."""
    from rtlgen.evals import runner as runner_mod
    from rtlgen.sim.judge import Judge

    seen = {}
    judge_many = Judge.judge_many

    def spy(self, items, **kw):
        seen["costs"] = kw.get("costs")
        return judge_many(self, items, **kw)

    monkeypatch.setattr(Judge, "judge_many", spy)
    monkeypatch.setattr(runner_mod, "load_costs", lambda task: {"Prob005_notgate": 9.0, "Prob001_zero": 0.5})
    summary = run_eval(_config(tmp_path, shared, model="golden", mode="strict"))
    assert len(summary["passed"]) == 3
    assert seen["costs"][0] == 9.0 and seen["costs"] == sorted(seen["costs"], reverse=True)
