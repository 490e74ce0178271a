"""EquivalenceReward with real Yosys: equivalent, not, unknown (stated value), bad rows, forging designs."""

from __future__ import annotations

import pytest
from test_rewards_format import FORGES, GOOD

from rtlgen.rewards import EquivalenceReward

pytestmark = [pytest.mark.requires_yosys, pytest.mark.requires_iverilog, pytest.mark.requires_bwrap]

REF = "module RefModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule"
LATCH_REF = "module RefModule(input en, input d, output reg q); always @* if (en) q = d; endmodule"
LATCH = "module TopModule(input en, input d, output reg q); always @* if (en) q = d; endmodule"


def test_values_and_bad_rows():
    reward = EquivalenceReward(unknown_value=-0.25)
    cands = [GOOD, GOOD.replace("~a", "a"), LATCH, GOOD, GOOD, "no code"]
    refs = [REF, REF, LATCH_REF, None, "module RefModule(input a, output y); assign y = ; endmodule", REF]
    out = reward(["p"] * len(cands), cands, reference=refs)
    assert out == [1.0, 0.0, -0.25, None, None, 0.0]
    assert [r.category for r in reward.last_results] == ["equivalent", "not_equivalent", "unknown", "no_reference",
                                                         "bad_reference", "no_code"]


def test_forging_designs_earn_the_failure_value():
    reward = EquivalenceReward(not_equivalent_value=-1.0)
    assert reward(["p"] * len(FORGES), FORGES, reference=[REF] * len(FORGES)) == [-1.0] * len(FORGES)
