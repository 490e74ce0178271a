"""Reward plumbing without tools: TRL kwargs, configs, column checks, pickling, async, metrics, shaping, labels."""

from __future__ import annotations

import asyncio
import pickle

import pytest

from rtlgen.config import load_config
from rtlgen.errors import InputError, SandboxUnavailableError
from rtlgen.rewards import (
    AsyncReward,
    CombinedConfig,
    CombinedReward,
    EquivalenceConfig,
    EquivalenceReward,
    FormatReward,
    LintReward,
    SimulationReward,
    TagMode,
    check_columns,
)
from rtlgen.rewards.base import Reward, RowResult, rows_from_columns
from rtlgen.rewards.format import answer_region
from rtlgen.rewards.labels import decode_label, encode_label
from rtlgen.rewards.lint import Severity, severity, strip_comments, verilator_findings
from rtlgen.rewards.screen import sim_only_tasks, uses_macros
from rtlgen.rewards.shaping import ShapingConfig, clip, delta, shape, shape_episodes
from rtlgen.sim.classify import FailureCategory as FC
from rtlgen.sim.judge import JudgeVerdict


class Fixed(Reward):
    """A tool-free reward for the plumbing: the row's 'v' column, or an error when told."""

    __name__ = "fixed"

    def required_columns(self):
        return ("v",)

    def score_rows(self, completions, rows):
        if any(r.get("v") == "boom" for r in rows):
            raise RuntimeError("boom")
        return [RowResult(r.get("v"), "pass" if r.get("v") else "none", "why") for r in rows]


def test_trl_call_strips_trainer_kwargs_and_logs_counts():
    metrics, extra = {}, {}
    out = Fixed()(["p"] * 3, ["a", "b", "c"], v=[1.0, None, 1.0], completion_ids=[[1]] * 3, trainer_state=object(),
                  log_metric=lambda k, x: metrics.__setitem__(k, x), log_extra=lambda k, xs: extra.__setitem__(k, xs))
    assert out == [1.0, None, 1.0]
    assert metrics == {"fixed/count/pass": 2.0, "fixed/count/none": 1.0, "fixed/unscored": 1.0}
    assert extra["fixed_category"] == ["pass", "none", "pass"] and extra["fixed_reason"] == ["why"] * 3
    assert rows_from_columns({"v": [1, 2], "log_metric": print, "scalar": 3}, 2) == [{"v": 1}, {"v": 2}]


def test_a_failing_batch_is_none_rows_never_an_exception():
    assert Fixed()(["p"], ["a"], v=["boom"]) == [None]


def test_async_wrapper_is_what_trl_awaits_and_pickles():
    from trl.trainer.utils import is_async_callable

    wrapped = AsyncReward(Fixed())
    assert is_async_callable(wrapped) and not is_async_callable(Fixed())
    assert asyncio.run(wrapped(["p"], ["a"], v=[0.5])) == [0.5]
    assert pickle.loads(pickle.dumps(wrapped)).__name__ == "fixed"


def test_pickle_round_trip_of_every_reward():
    for reward in (SimulationReward(failure_value=-1.0), FormatReward(tags="required"), LintReward(max_penalty=2.0),
                   EquivalenceReward(unknown_value=-0.5), CombinedReward(weights={"equivalence": 0.5})):
        clone = pickle.loads(pickle.dumps(reward))
        assert type(clone) is type(reward) and clone.last_results == []
        assert getattr(clone, "config", None) == getattr(reward, "config", None)
    assert pickle.loads(pickle.dumps(SimulationReward(failure_value=-1.0))).failure_value == -1.0


def test_configs_load_from_yaml_and_reject_bad_keys(tmp_path):
    path = tmp_path / "reward.yaml"
    path.write_text("weights: {equivalence: 0.5, lint: 0}\ngated: [equivalence]\nshaping: {clip: true}\n"
                    "format: {tags: required}\nequivalence: {unknown_value: -0.5}\n")
    cfg = load_config(CombinedConfig, path)
    assert cfg.format.tags is TagMode.REQUIRED and cfg.shaping.clip and cfg.weights.lint == 0.0
    assert [c.value for c in CombinedReward(cfg).components] == ["simulation", "format", "equivalence"]
    with pytest.raises(InputError, match="did you mean 'weights'"):
        load_config(CombinedConfig, data={"weigths": {}})
    with pytest.raises(InputError, match="never a pass"):
        EquivalenceConfig(unknown_value=1.0)
    with pytest.raises(InputError, match="'FormatConfig.tag'; did you mean 'tags'"):
        FormatReward(tag="required")


def test_check_columns_is_one_line_before_training(monkeypatch):
    with pytest.raises(InputError) as err:
        check_columns(SimulationReward(), ["prompt", "top"], tools=False)
    assert "'testbench'" in str(err.value) and "\n" not in str(err.value)
    check_columns(CombinedReward(weights={"equivalence": 1.0}), ["prompt", "testbench", "reference"], tools=False)
    with pytest.raises(InputError, match="'reference'"):
        check_columns(AsyncReward(EquivalenceReward()), ["prompt"], tools=False)
    monkeypatch.setenv("BWRAP", "/nonexistent/bwrap")
    with pytest.raises(SandboxUnavailableError) as missing:
        check_columns(SimulationReward(), ["testbench"])
    assert "\n" not in str(missing.value)
    assert SimulationReward()(["p"], ["module TopModule; endmodule"], testbench=["module tb; endmodule"]) == [None]


def test_partial_credit_only_from_a_strict_verdict():
    reward = SimulationReward()
    strict = JudgeVerdict(False, FC.MISMATCH, "4 mismatches", mismatches=4, samples=16, trust="strict")
    naive = JudgeVerdict(False, FC.MISMATCH, "4 mismatches", mismatches=4, samples=16, trust="naive")
    assert reward.score(strict) == pytest.approx(0.5 * 0.75) and reward.score(naive) == 0.0
    assert reward.score(JudgeVerdict(False, FC.MISMATCH, "no count")) == 0.0


def test_shaping_clip_and_delta():
    partial = [0.4, 0.4, 0.4, 0.4]  # repeated partial credit over four attempts
    assert sum(partial) > 1 and sum(clip(partial, 0.5)) <= 0  # clip: it can no longer accumulate
    assert clip([0.9, None], 0.5) == [0.0, None]
    assert delta([0.2, 0.5, 0.3]) == pytest.approx([-0.3, 0.2, 0.3])
    assert sum(delta([0.2, 0.5, 0.3, 0.6])) == pytest.approx(0.2)  # telescopes to the first attempt
    both = shape([0.4, 0.8], ShapingConfig(clip=True, delta=True, clip_threshold=0.5))
    assert both == pytest.approx([-0.1, 0.0])
    assert shape([0.4], ShapingConfig()) == [0.4]
    assert shape_episodes([0.2, 0.7, 0.5], ["a", None, "a"], ShapingConfig(delta=True)) == pytest.approx(
        [-0.3, 0.7, 0.5])


def test_labels_round_trip_and_bad_labels():
    label = encode_label(testbench="module tb; endmodule", reference=None, top="TopModule")
    assert decode_label(label) == ({"testbench": "module tb; endmodule", "top": "TopModule"}, "")
    assert decode_label({"top": "x"}) == ({"top": "x"}, "")
    for bad in ("not json", "[1]", 3, None):
        cols, why = decode_label(bad)
        assert cols == {} and why


def test_tags_are_checked_linearly():
    assert answer_region("<think>x</think><answer>code</answer>", TagMode.REQUIRED) == ("code", "")
    assert answer_region("code", TagMode.OPTIONAL) == ("code", "")
    assert answer_region("<think>x</think> code", TagMode.OPTIONAL) == (" code", "")
    for bad in ("code", "<think>x</think>", "<answer>a</answer><think>x</think>", "<think><think>x</think>",
                "<think>x</think><answer>a</answer> trailing"):
        region, why = answer_region(bad, TagMode.REQUIRED)
        assert region is None and why, bad
    assert answer_region("<answer>a", TagMode.OPTIONAL)[0] is None
    big = "<think>" + "<" * 2_000_000  # hostile text: linear scans only
    assert answer_region(big, TagMode.REQUIRED)[0] is None


def test_lint_and_screen_parsers():
    out = ("%Warning-WIDTH: a.sv:1:2: x\n    1 | %Error: forged in the source\n%Warning-UNUSEDSIGNAL: a.sv:2:3: y\n"
           "%Error: a.sv:3:4: syntax error\n%Error: Exiting due to 1 error(s)\n")
    assert verilator_findings(out) == (["WIDTH", "UNUSEDSIGNAL"], 1)
    assert severity("LATCH") is Severity.SEVERE and severity("UNUSEDSIGNAL") is Severity.STYLE
    assert strip_comments('a // verilator lint_off WIDTH\nb /* x\ny */ "// kept"') == 'a  \nb  \n "// kept"'
    assert sim_only_tasks('initial $display("x"); // $finish\n $fwrite(f, "$stop")') == ["$display", "$fwrite"]
    assert uses_macros("`define P 1\n") and not uses_macros("`timescale 1ns/1ps\n// `P")
