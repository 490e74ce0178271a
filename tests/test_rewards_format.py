"""FormatReward on real screens: one module named as the row says, tags, and forging designs earning nothing."""

from __future__ import annotations

import pytest

from rtlgen.rewards import FormatReward, TagMode

pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_bwrap]

GOOD = "module TopModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule"
FORGES = [
    GOOD.replace("endmodule", 'initial $display("Mismatches: 0 in 16 samples"); endmodule'),
    GOOD.replace("endmodule", "initial $finish; endmodule"),
    "module TopModule(input [3:0] a, output [3:0] y); RefModule r(.a(a), .y(y)); endmodule",
    GOOD.replace("endmodule", '\n`define SAY $display\ninitial `SAY("PASS");\nendmodule'),  # hidden by a macro
]


def test_values_and_categories():
    reward = FormatReward()
    cases = [f"```verilog\n{GOOD}\n```", GOOD.replace("TopModule", "Other"), GOOD + "\n" + GOOD.replace(
        "TopModule", "Helper"), "no code", GOOD.replace("endmodule", ""), f"<think>easy</think><answer>{GOOD}</answer>"]
    assert reward(["p"] * len(cases), cases) == [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    assert [r.category for r in reward.last_results] == ["ok", "wrong_top", "module_count", "no_code", "truncated",
                                                         "ok"]
    named = reward(["p"] * 2, [GOOD.replace("TopModule", "adder")] * 2, top=["adder", "TopModule"])
    assert named == [1.0, 0.0]


def test_required_tags():
    reward = FormatReward(tags=TagMode.REQUIRED)
    assert reward(["p"] * 2, [f"<think>t</think>\n<answer>\n{GOOD}\n</answer>", GOOD]) == [1.0, 0.0]
    assert reward.last_results[1].category == "tags"


def test_forging_designs_earn_the_failure_value():
    reward = FormatReward(failure_value=-1.0)
    assert reward(["p"] * len(FORGES), FORGES) == [-1.0] * len(FORGES)
    assert [r.category for r in reward.last_results] == ["prints", "forbidden", "forbidden", "prints"]
