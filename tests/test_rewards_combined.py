"""CombinedReward on real tools: weights, the testbench gate, forging designs, one simulation per group, TRL's call."""

from __future__ import annotations

import asyncio
import pickle

import pytest
from test_rewards_format import FORGES
from test_rewards_simulation import GOOD, HALF, REF, TB

from rtlgen.rewards import AsyncReward, CombinedReward, SimulationReward

pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_verilator, pytest.mark.requires_yosys,
              pytest.mark.requires_bwrap]

WEIGHTS = {"simulation": 1.0, "format": 0.1, "lint": 0.1, "equivalence": 0.5}


def test_weights_and_gate():
    reward = CombinedReward(weights=WEIGHTS)
    out = reward(["p"] * 3, [GOOD, HALF, GOOD], testbench=[TB, TB, None], reference=[REF] * 3)
    assert out[0] == pytest.approx(1.0 + 0.1 + 0.1 + 0.5)  # passes: every component earns
    assert out[1] == pytest.approx(0.5 * 0.5 + 0.1)  # fails: partial credit + format, no lint/equivalence credit
    assert out[2] == pytest.approx(0.1)  # no testbench: gated components do not apply
    lint, equiv = reward.last_components["lint"], reward.last_components["equivalence"]
    assert lint[1].category == "gated" and lint[1].value == 0.0 and equiv[2].value is None
    ungated = CombinedReward(weights=WEIGHTS, score_ungated_rows=True)
    assert ungated(["p"], [GOOD], testbench=[None], reference=[REF]) == [pytest.approx(0.7)]


def test_forging_designs_earn_the_failure_value_everywhere():
    n = len(FORGES)
    columns = {"testbench": [TB] * n, "reference": [REF] * n}
    assert CombinedReward(weights=WEIGHTS)(["p"] * n, FORGES, **columns) == [0.0] * n
    assert SimulationReward(failure_value=-1.0)(["p"] * n, FORGES, **columns) == [-1.0] * n


def test_a_group_of_identical_completions_simulates_once():
    reward = SimulationReward()
    group = [GOOD, GOOD, [{"role": "assistant", "content": GOOD}], GOOD + "\n"]  # one design, four completions
    assert reward(["p"] * 4, group, testbench=[TB] * 4, reference=[REF] * 4) == [1.0] * 4
    assert sum(not v.merged for v in reward.last_verdicts) == 1  # one simulation, three shared verdicts


def test_trl_call_shape_async_and_metrics():
    metrics: dict[str, list[float]] = {}
    extra: dict[str, list] = {}
    reward = AsyncReward(CombinedReward(weights={"lint": 0.0}))
    kwargs = dict(completion_ids=[[1], [2]], trainer_state=None, testbench=[TB, TB], reference=[REF, REF],
                  top=["TopModule", "TopModule"], log_metric=lambda k, v: metrics.setdefault(k, []).append(v),
                  log_extra=lambda k, vs: extra.setdefault(k, []).extend(vs))
    out = asyncio.run(reward(prompts=["p", "p"], completions=[[{"role": "assistant", "content": GOOD}], "nothing"],
                             **kwargs))
    assert out == [pytest.approx(1.1), 0.0]
    assert metrics["rtlgen/count/pass"] == [1.0] and metrics["simulation/count/empty"] == [1.0]
    assert extra["format_category"] == ["ok", "no_code"]
    clone = pickle.loads(pickle.dumps(reward))
    assert clone.reward.last_components == {} and clone.__name__ == "rtlgen"


def test_clip_shaping_keeps_the_outcome_and_caps_the_partial_credit():
    shaped = CombinedReward(weights={"lint": 0.0}, shaping={"clip": True, "clip_threshold": 0.5},
                            episode_column="episode")
    out = shaped(["p"] * 3, [GOOD, HALF, HALF], testbench=[TB] * 3, reference=[REF] * 3, episode=["a", "b", "b"])
    assert out[0] == pytest.approx(1.0 + min(0.1 - 0.5, 0))  # the pass stays; the dense part is a penalty
    assert out[1] <= 0 and out[2] <= 0 and out[1] + out[2] <= 0  # repeated partial credit cannot add up
    delta = CombinedReward(weights={"lint": 0.0}, shaping={"delta": True}, episode_column="episode")
    out = delta(["p"] * 2, [HALF, HALF], testbench=[TB] * 2, reference=[REF] * 2, episode=["e", "e"])
    assert sum(out) == pytest.approx(0.25 + 0.1)  # telescopes to the first attempt's dense reward
