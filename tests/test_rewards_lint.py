"""LintReward with real Verilator and slang: clean, weighted warnings, errors, pragmas, forging, a timeout."""

from __future__ import annotations

import pytest
from test_rewards_format import FORGES, GOOD

from rtlgen.rewards import LintReward

pytestmark = [pytest.mark.requires_verilator, pytest.mark.requires_iverilog, pytest.mark.requires_bwrap]

LATCHY = """module TopModule(input [3:0] a, input clk, output reg [3:0] y);
  reg [3:0] l; // verilator lint_off LATCH
  /* verilator lint_off WIDTH */
  always @(*) if (a[0]) l = a;
  always @(posedge clk) y = l + 5'd3;
endmodule"""


def test_values():
    reward = LintReward()
    out = reward(["p"] * 3, [GOOD, LATCHY, GOOD.replace("~a", "")])
    assert out[0] == 1.0 and out[2] == 0.0
    assert out[1] == pytest.approx(1 - (1.0 + 1.0 + 1.0) / 4.0)  # WIDTH, LATCH, BLKSEQ despite the pragmas
    assert "LATCH" in reward.last_results[1].reason
    assert 0.0 <= min(LintReward(max_penalty=1.0)(["p"], [LATCHY])) <= 1.0


def test_forging_designs_earn_the_failure_value():
    reward = LintReward(failure_value=-1.0)
    assert reward(["p"] * len(FORGES), FORGES) == [-1.0] * len(FORGES)


def test_a_lint_that_times_out_is_none_with_the_reason():
    reward = LintReward(timeout_s=0.001, screen=False)
    assert reward(["p"], [GOOD]) == [None]
    assert reward.last_results[0].category == "tool" and "timeout" in reward.last_results[0].reason
