"""rtlgen.train wiring on a model of ~150k parameters: a few steps of sft, grpo and iterate, and bad input.

What is asserted is plumbing, not learning (benchmarks/train_proof.py shows learning): the rewards receive
the dataset's columns, an adapter is written and loads through ``hf:BASE?adapter=...``, a killed run
resumes (checkpoints, the ITERTL round log), and bad configs and data fail in one line before training.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from verilog_fixtures import INVERTER_TB

from rtlgen.cli.main import main
from rtlgen.config import load_config
from rtlgen.errors import InputError
from rtlgen.train.configs import EvalSettings, GrpoConfig, IterateConfig, RewardSpec, SftConfig
from rtlgen.train.data import write_jsonl

pytestmark = [pytest.mark.requires_torch, pytest.mark.requires_iverilog, pytest.mark.requires_bwrap,
              pytest.mark.slow]

TB = INVERTER_TB
OPS = {"invert": "~a", "copy": "a", "increment": "a + 4'd1"}


def _row(name: str, expr: str) -> dict:
    ref = f"module RefModule(input [3:0] a, output [3:0] y);\n  assign y = {expr};\nendmodule\n"
    return {"id": name, "prompt": f"Implement TopModule: y = {expr} for the 4-bit input a.\n", "testbench": TB,
            "reference": ref, "top": "TopModule", "completion": ref.replace("RefModule", "TopModule")}


ROWS = [_row(k, v) for k, v in OPS.items()]
TRAIN = {"max_steps": 2, "batch_size": 2, "save_steps": 1, "logging_steps": 1, "max_length": 128}
EVAL = {"max_new_tokens": 12, "batch_size": 4}


class ConstantReward:
    """Needs no column: only the prompt filter asks for a testbench."""

    __name__ = "constant"

    def __call__(self, prompts, completions, **columns):
        return [0.0] * len(completions)


class RecordingReward:
    """Writes the keyword columns it is called with to ``path`` (TRL calls it in this process)."""

    __name__ = "recording"

    def __init__(self, path: str) -> None:
        self.path = path

    def required_columns(self) -> tuple[str, ...]:
        return ("testbench", "top")

    def __call__(self, prompts, completions, **columns):
        with open(self.path, "a") as fh:
            fh.write(json.dumps({k: v for k, v in columns.items() if k in ("testbench", "reference", "top", "id")})
                     + "\n")
        return [0.0] * len(completions)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    import torch
    from conftest import shared_dir

    from rtlgen.train.tiny import TinySpec, build_tiny_model

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two threads on a busy 2-core box are ~10x slower than one
    root = tmp_path_factory.mktemp("train")
    corpus = shared_dir() / "rtl-corpus" / "files"
    build_tiny_model(root / "model", TinySpec(vocab_size=400, hidden=64, layers=2, heads=4, kv_heads=2,
                                              intermediate=128, corpus_chars=50_000),
                     corpus_dir=corpus if corpus.is_dir() else None, extra_texts=[r["completion"] for r in ROWS])
    write_jsonl(ROWS, root / "train.jsonl")
    write_jsonl(ROWS[:2], root / "heldout.jsonl")
    yield root
    torch.set_num_threads(threads)


def _cfg(cls, work: Path, out: str, **extra):
    data = {"model": str(work / "model"), "data": str(work / "train.jsonl"), "out": str(work / out),
            "train": TRAIN, "eval": {**EVAL, "data": str(work / "heldout.jsonl")}}
    return load_config(cls, data={**data, **extra})


def test_tiny_model_size(work):
    from rtlgen.train.tiny import parameter_count

    assert 50_000 < parameter_count(work / "model") < 500_000


def test_sft_writes_adapter_that_loads_and_resumes(work):
    from rtlgen.llm import ChatMessage, SamplingParams, load_model
    from rtlgen.train.sft import run_sft

    result = run_sft(_cfg(SftConfig, work, "sft", merge=True))
    adapter = Path(result["adapter"])
    assert (adapter / "adapter_config.json").is_file() and (work / "sft" / "model" / "config.json").is_file()
    assert result["steps"] == 2 and (work / "sft" / "config.yaml").is_file()
    assert result["eval"]["n"] == 2 and 0.0 <= result["eval"]["pass_at_1"] <= 1.0
    assert f"adapter={adapter}" in result["eval"]["spec"]
    model = load_model(result["eval"]["spec"])
    assert len(model.generate([[ChatMessage("user", "x")]], SamplingParams.greedy(max_new_tokens=4))[0]) == 1
    model.close()
    # a killed run resumes from its last checkpoint: asked for one more step, it adds step 3 to steps 1-2
    first = [json.loads(line) for line in (work / "sft" / "log.jsonl").read_text().splitlines()]
    again = run_sft(_cfg(SftConfig, work, "sft", train={**TRAIN, "max_steps": 3}))
    log = [json.loads(line) for line in (work / "sft" / "log.jsonl").read_text().splitlines()]
    assert again["steps"] == 3 and (work / "sft" / "checkpoints" / "checkpoint-3").is_dir()
    assert [r["step"] for r in log if "loss" in r] == [1, 2, 3] and log[:2] == first[:2]


def test_grpo_rewards_receive_columns_and_adapter(work):
    from rtlgen.train.grpo import run_grpo

    record = work / "columns.jsonl"
    rewards = [{"name": "simulation"}, {"name": "test_train:RecordingReward", "weight": 0.5,
                                        "options": {"path": str(record)}}]
    result = run_grpo(_cfg(GrpoConfig, work, "grpo", rewards=rewards, num_generations=2, max_completion_length=12,
                           loss_type="dapo", beta=0.01, clip={"epsilon": 0.2, "epsilon_high": 0.28}))
    assert (Path(result["adapter"]) / "adapter_config.json").is_file() and result["steps"] == 2
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    assert calls and all(set(c) >= {"testbench", "reference", "top", "id"} for c in calls)
    by_id = {r["id"]: r for r in ROWS}
    assert all(c["reference"][i] == by_id[c["id"][i]]["reference"] for c in calls for i in range(len(c["id"])))
    log = [json.loads(line) for line in (work / "grpo" / "log.jsonl").read_text().splitlines()]
    assert any("rewards/simulation/mean" in r and "rewards/recording/mean" in r for r in log)


def test_prompt_filter_keeps_prompts_sometimes_solved():
    from rtlgen.train.configs import PromptFilter
    from rtlgen.train.prompt_filter import keep_by_rate, prompt_ids

    rows = [dict(ROWS[0], id="same"), dict(ROWS[1], id="same"), ROWS[2], {"prompt": "no id"}]
    ids = prompt_ids(rows)
    assert len(set(ids)) == 4  # by position: repeated or missing ids do not collide
    rates = dict(zip(ids, (0.0, 0.25, 1.0, 0.5), strict=True))
    assert keep_by_rate(rows, rates, PromptFilter(samples=4)) == [rows[1], rows[3]]
    assert keep_by_rate(rows, rates, PromptFilter(samples=4, above=0.3)) == [rows[3]]
    assert keep_by_rate(rows, {}, PromptFilter(samples=4)) == []  # unjudged: treated as never solved


def test_prompt_filter_keeping_nothing_is_one_line_before_training(work, tmp_path):
    from rtlgen.train.grpo import run_grpo

    cfg = _cfg(GrpoConfig, work, "grpo_filtered", num_generations=2, max_completion_length=8,
               prompt_filter={"samples": 2})
    cfg = dataclasses.replace(cfg, out=str(tmp_path / "g"))
    with pytest.raises(InputError, match=r"prompt_filter kept none of 3 prompts.*prompt_filter.samples=0"):
        run_grpo(cfg)  # an untrained tiny model solves none of them
    rates = json.loads((tmp_path / "g" / "prompt_filter" / "rates.json").read_text())
    assert rates["of"] == 3 and rates["kept"] == 0 and set(rates["rates"]) == {"p000000", "p000001", "p000002"}
    assert not (tmp_path / "g" / "checkpoints").exists()
    no_tb = write_jsonl([{k: v for k, v in r.items() if k != "testbench"} for r in ROWS], tmp_path / "no_tb.jsonl")
    with pytest.raises(InputError, match=r"row 1 has no 'testbench' column, which prompt_filter"):
        run_grpo(dataclasses.replace(cfg, data=str(no_tb), out=str(tmp_path / "g2"),
                                     rewards=(RewardSpec(name="test_train:ConstantReward"),)))
    assert not (tmp_path / "g2" / "prompt_filter" / "eval").exists()
    with pytest.raises(InputError, match="above < below"):
        _cfg(GrpoConfig, work, "g", num_generations=2, prompt_filter={"samples": 2, "above": 0.5, "below": 0.5}).check()


def test_iterate_keeps_verified_and_resumes(work):
    from rtlgen.train.iterate import read_rounds, run_iterate, verify

    cfg = _cfg(IterateConfig, work, "iter", rounds=1, seed_data=str(work / "train.jsonl"),
               sampling={"k": 2, "max_new_tokens": 12})
    good = ROWS[0]["completion"]
    forged = 'module TopModule(input [3:0] a, output [3:0] y);\n  initial $display("Mismatches: 0 in 16 samples");' \
             "\nendmodule\n"
    kept = verify(cfg, ROWS[:1], [[good, "// same\n" + good, forged, "nonsense"]])
    assert kept == [[good]]  # duplicates merged, the forgery and the nonsense dropped
    first = run_iterate(cfg)["rounds"]
    samples = work / "iter" / "round_1" / "samples.jsonl"
    stamp = samples.stat().st_mtime_ns
    assert len(first) == 1 and first[0]["sampled"] == 6 and "pass_at_1" in first[0]
    with (work / "iter" / "rounds.jsonl").open("a") as fh:
        fh.write('{"round": 2, "torn')  # a kill mid-write of round 2's line
    both = run_iterate(load_config(IterateConfig, data={**_plain(cfg), "rounds": 2}))["rounds"]
    assert [r["round"] for r in both] == [1, 2] and both[0] == first[0]
    assert samples.stat().st_mtime_ns == stamp  # round 1 was not redone
    assert [r["round"] for r in read_rounds(work / "iter")] == [1, 2]
    assert (Path(both[1]["adapter"]) / "adapter_config.json").is_file()
    # damage is one line, never a silent rerun or a traceback: a round line, then a round's cached samples
    log = work / "iter" / "rounds.jsonl"
    good_log = log.read_bytes()
    for bad in (b'{"round": 1}\n', b'{"round": true, "base": "x", "adapter": null}\n', b"\xff\xfe\n"):
        log.write_bytes(bad + good_log)
        with pytest.raises(InputError, match=r"rounds.jsonl:1 is not round 1"):
            read_rounds(work / "iter")
    log.write_bytes(good_log.splitlines(keepends=True)[0])  # round 2 runs again, from its cached samples
    cached = work / "iter" / "round_2" / "samples.jsonl"
    lines = cached.read_text().splitlines(keepends=True)
    for damaged, needle in ((lines[:1], "rows of completions for 3 prompts"), (["[]\n", *lines[1:]], ":1 is not 2 comp")):
        cached.write_text("".join(damaged))
        with pytest.raises(InputError, match=needle):
            run_iterate(load_config(IterateConfig, data={**_plain(cfg), "rounds": 2}))
    cached.write_text("".join(lines))
    with pytest.raises(InputError, match="sampled with another model, data or sampling settings"):
        run_iterate(load_config(IterateConfig, data={**_plain(cfg), "rounds": 2, "sampling": {"k": 3}}))


def test_iterate_from_previous_round_trains_on_its_model(work):
    from rtlgen.train.iterate import run_iterate

    cfg = _cfg(IterateConfig, work, "iter_prev", rounds=2, seed_data=str(work / "train.jsonl"), from_previous=True,
               sampling={"k": 1, "max_new_tokens": 12}, train={**TRAIN, "max_steps": 1})
    first, second = run_iterate(cfg)["rounds"]
    # round 2 starts from round 1's base with round 1's adapter merged in, saved under its own train/base
    assert second["base"] == str((work / "iter_prev" / "round_2" / "train" / "base").resolve())
    assert first["base"] == str((work / "model").resolve()) and first["adapter"] != second["adapter"]
    assert len(second["passed_ids"]) == second["passed"] <= second["n_heldout"] == 2


def test_paired_test_and_wilson_interval():
    from rtlgen.train.evaluate import paired_test, wilson_interval

    assert paired_test(["a", "b"], ["a", "c", "d"]) == {"gained": 2, "lost": 1, "p_value": 1.0}
    assert paired_test([], []) == {"gained": 0, "lost": 0, "p_value": 1.0}
    ten = paired_test([], [str(i) for i in range(10)])
    assert ten["gained"] == 10 and ten["p_value"] == pytest.approx(2 / 2 ** 10)
    assert paired_test(range(36), [*range(7, 36), *range(100, 129)])["p_value"] == pytest.approx(3.1e-4, rel=0.01)
    lo, hi = wilson_interval(90, 200)
    assert lo == pytest.approx(0.3826, abs=1e-4) and hi == pytest.approx(0.5192, abs=1e-4)
    assert wilson_interval(0, 200)[0] == 0.0 and wilson_interval(5, 0) == (0.0, 1.0)


def test_paired_rate_test_on_sampled_pass_fractions():
    from rtlgen.train.evaluate import paired_rate_test

    same = paired_rate_test({"a": 0.5, "b": 0.1}, {"a": 0.5, "b": 0.1})
    assert same["p_value"] == 1.0 and same["rose"] == same["fell"] == 0
    few = paired_rate_test({"a": 0.1, "b": 0.2, "c": 0.0}, {"a": 0.3, "b": 0.4, "c": 0.0, "only-after": 1.0})
    # exact: 2 nonzero differences, only "both negated" is as extreme the other way
    assert few["problems"] == 3 and few["rose"] == 2 and few["p_value"] == pytest.approx(0.5)
    assert few["after"] - few["before"] == pytest.approx(0.4 / 3)
    # many small consistent gains are significant; gains cancelled by losses are not
    before = {str(i): 0.2 for i in range(60)}
    up = paired_rate_test(before, {str(i): 0.2 + (0.1 if i % 3 else -0.1) for i in range(60)}, draws=20_000)
    assert up["rose"] == 40 and up["fell"] == 20 and up["p_value"] == pytest.approx(0.013, abs=0.003)
    flat = paired_rate_test(before, {str(i): 0.2 + (0.1 if i % 2 else -0.1) for i in range(60)}, draws=20_000)
    assert flat["p_value"] > 0.5
    assert paired_rate_test(before, before, seed=3) == paired_rate_test(before, before, seed=4)


def test_sampled_heldout_eval_reports_rates(work):
    from rtlgen.train.evaluate import evaluate_heldout

    ev = EvalSettings(data=str(work / "heldout.jsonl"), max_new_tokens=8, batch_size=2, samples=3)
    result = evaluate_heldout(work / "model", None, ev, work / "sampled_eval")
    assert result.samples == 3 and "--samples 3" in result.command and result.n == 2
    assert {t for t, _ in result.rates} == {r["id"] for r in ROWS[:2]} and all(0 <= c <= 1 for _, c in result.rates)
    assert result.pass_at_1 == pytest.approx(sum(c for _, c in result.rates) / 2)


def test_tiny_tokenizer_splits_digits():
    from rtlgen.train.tiny import build_tokenizer

    texts = ["It counts from 0 to 27.\nq <= (q == 5'd27) ? 5'd0 : q + 1'b1;\n"] * 20
    split = build_tokenizer(texts, 300).tokenize("to 27 and 5'd27")
    assert [t for t in split if t.strip("Ġ").isdigit()] == ["2", "7", "5", "2", "7"]
    merged = build_tokenizer(texts, 300, split_digits=False).tokenize("to 27 and 5'd27")
    assert any(len(t.strip("Ġ'd")) > 1 and t.strip("Ġ'd").isdigit() for t in merged)


def _plain(cfg) -> dict:
    from rtlgen.config import to_plain

    return to_plain(cfg)


def test_jsonl_task_golden_passes(work):
    from rtlgen.evals.results import Mode
    from rtlgen.evals.runner import EvalConfig, run_eval
    from rtlgen.train.evaluate import TASK_NAME, ensure_task

    ensure_task()
    summary = run_eval(EvalConfig(task=TASK_NAME, mode=Mode.STRICT, model="golden", progress=False,
                                  data_dir=str(work / "train.jsonl"), out=str(work / "golden")))
    assert summary["problems"] == 3 and summary["pass_at_1"] == 1.0
    # the command names its only task: no --task needed
    assert main(["eval", "jsonl", "--data-dir", str(work / "train.jsonl"), "--model", "golden", "--mode", "strict",
                 "--out", str(work / "golden_cli")]) == 0
    assert json.loads((work / "golden_cli" / "summary.json").read_text())["pass_at_1"] == 1.0


# -- bad input: one line, before any training -------------------------------------------------------------------
def test_bad_config_is_one_line_before_training(work, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"model: {work / 'model'}\ndata: {work / 'train.jsonl'}\nout: {tmp_path / 'o'}\nlearning_rate: 1\n")
    assert main(["train", "sft", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown config key 'learning_rate'" in err
    bad.write_text(f"model: {work / 'model'}\ndata: {work / 'train.jsonl'}\nout: {tmp_path / 'o'}\n")
    assert main(["train", "grpo", str(bad), "--set", "train.lr=fast"]) == 2
    assert "'train.lr' must be a finite number" in capsys.readouterr().err
    assert main(["train", "grpo", str(bad), "--set", "train.lr=nan"]) == 2
    assert "'train.lr' must be a finite number, not 'nan'" in capsys.readouterr().err
    assert main(["train", "grpo", str(bad), "--set", "num_generations=3"]) == 2  # 8 completions per step
    assert "multiple of num_generations" in capsys.readouterr().err
    assert main(["train", "sft", str(bad), "--set", f"eval.data={work / 'heldout.jsonl'}", "--set",
                 "eval.samples=0"]) == 2
    assert "eval.samples must be an integer from 1" in capsys.readouterr().err
    assert main(["train", "iterate", str(bad), "--set", "select=best"]) == 2
    assert "did you mean 'best_adp'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_bad_data_is_one_line_before_training(work, tmp_path):
    from rtlgen.train.grpo import run_grpo
    from rtlgen.train.sft import run_sft

    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(InputError, match="has no rows"):
        run_sft(load_config(SftConfig, data={"model": str(work / "model"), "data": str(empty),
                                             "out": str(tmp_path / "s")}))
    no_tb = write_jsonl([{k: v for k, v in r.items() if k != "testbench"} for r in ROWS], tmp_path / "no_tb.jsonl")
    with pytest.raises(InputError, match=r"row 1 has no 'testbench' column, which reward 'simulation' needs"):
        run_grpo(load_config(GrpoConfig, data={"model": str(work / "model"), "data": str(no_tb),
                                               "out": str(tmp_path / "g")}))
    with pytest.raises(InputError, match="unknown reward 'simulaton'; did you mean 'simulation'"):
        run_grpo(load_config(GrpoConfig, data={"model": str(work / "model"), "data": str(work / "train.jsonl"),
                                               "out": str(tmp_path / "g"), "rewards": [{"name": "simulaton"}]}))
    with pytest.raises(InputError, match="no 'testbench'"):  # a broken held-out file fails before training
        run_sft(load_config(SftConfig, data={"model": str(work / "model"), "data": str(work / "train.jsonl"),
                                             "out": str(tmp_path / "s"), "eval": {"data": str(no_tb)}}))
    assert not (tmp_path / "s").exists() and not (tmp_path / "g").exists()
    assert os.path.exists(work / "model" / "config.json")


def test_a_model_directory_without_a_tokenizer_is_one_line(tmp_path):
    from rtlgen.train.sft import load_base

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    with pytest.raises(InputError, match=r"model '.*m' could not be loaded .*save_pretrained \(model and tokenizer\)"):
        load_base(str(tmp_path / "m"))


def test_missing_simulator_is_one_line_before_training(work, tmp_path, monkeypatch):
    from rtlgen.errors import ToolMissingError
    from rtlgen.train.grpo import run_grpo
    from rtlgen.train.iterate import run_iterate

    monkeypatch.setenv("IVERILOG", str(tmp_path / "no-iverilog"))
    with pytest.raises(ToolMissingError, match="IVERILOG="):
        run_grpo(load_config(GrpoConfig, data={"model": str(work / "model"), "data": str(work / "train.jsonl"),
                                               "out": str(tmp_path / "g")}))
    with pytest.raises(ToolMissingError, match="IVERILOG="):
        run_iterate(load_config(IterateConfig, data={"model": str(work / "model"), "data": str(work / "train.jsonl"),
                                                     "out": str(tmp_path / "i")}))
    assert not (tmp_path / "g").exists() and not (tmp_path / "i").exists()


@pytest.mark.parametrize("name, cls", [("sft", SftConfig), ("grpo", GrpoConfig), ("iterate", IterateConfig)])
def test_example_configs_load(name, cls):
    from rtlgen.train import configs

    path = Path(configs.__file__).parent / "configs" / f"{name}.yaml"
    cfg = load_config(cls, path, overrides=["out=x"])
    assert cfg.out == "x"
    with pytest.raises(InputError, match="config key 'model' is required"):
        cfg.check()


def test_data_forms_and_disk_datasets(work, tmp_path):
    import datasets
    from transformers import AutoTokenizer

    from rtlgen.train.data import load_rows, rl_dataset, sft_dataset, sft_pairs

    datasets.Dataset.from_list(ROWS).save_to_disk(str(tmp_path / "ds"))
    assert load_rows(tmp_path / "ds") == ROWS
    chat = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "y = a"},
                         {"role": "assistant", "content": "module TopModule; endmodule"}]}
    rl_only = {k: v for k, v in ROWS[0].items() if k != "completion"}
    pairs = sft_pairs([chat, rl_only], "rows")
    assert pairs[0][1] == "module TopModule; endmodule" and [m.role for m in pairs[0][0]] == ["system", "user"]
    assert pairs[1][1].startswith("module TopModule(")  # the reference, renamed
    tok = AutoTokenizer.from_pretrained(work / "model")
    sft = sft_dataset([chat, ROWS[0]], tok, where="rows")
    # no chat template: the prompt is rendered as rtlgen eval's hf backend renders it
    assert sft[0]["prompt"] == "System: Be brief.\n\nUser: y = a\n\nAssistant:" and sft[1]["prompt"] == ROWS[0]["prompt"]
    assert sft[1]["completion"].endswith(tok.eos_token)
    rl = rl_dataset(ROWS, tok, needs=[("testbench", "x")], where="rows")
    assert set(rl.column_names) >= {"prompt", "testbench", "reference", "top", "id"}
    with pytest.raises(InputError, match="row 1: 'messages' must end with an assistant turn"):
        sft_pairs([{"messages": chat["messages"][:2]}], "rows")


def test_cli_sft_and_tiny(work, tmp_path, capsys):
    cfg = tmp_path / "sft.yaml"
    cfg.write_text(f"model: {work / 'model'}\ndata: {work / 'train.jsonl'}\nout: {tmp_path / 'cli'}\n"
                   "train: {max_steps: 1, batch_size: 2, save_steps: 1, max_length: 128}\n")
    assert main(["train", "sft", str(cfg), "--set", "lora.r=4", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["steps"] == 1 and Path(result["adapter"], "adapter_config.json").is_file()
    assert "r: 4" in (tmp_path / "cli" / "config.yaml").read_text()
    assert main(["train", "tiny", str(tmp_path / "t"), "--set", "vocab_size=320", "--set", "hidden=32",
                 "--set", "layers=1", "--set", "intermediate=64", "--set", "corpus_chars=10000"]) == 0
    assert (tmp_path / "t" / "tokenizer.json").is_file() and "parameters" in capsys.readouterr().out
