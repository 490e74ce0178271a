"""SimulationReward on real Icarus runs: pass, shaped partial credit, failures, rows without a testbench."""

from __future__ import annotations

import pickle

import pytest
from verilog_fixtures import INVERTER_REF, INVERTER_TB

from rtlgen.rewards.simulation import SimulationReward

pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_bwrap]

REF = INVERTER_REF
TB = INVERTER_TB
GOOD = "```verilog\nmodule TopModule(input [3:0] a, output [3:0] y); assign y = ~a; endmodule\n```"
HALF = "module TopModule(input [3:0] a, output [3:0] y); assign y = a[0] ? ~a : a; endmodule"
BROKEN = "module TopModule(input [3:0] a, output [3:0] y); assign y = ; endmodule"


def test_values(tmp_path):
    reward = SimulationReward(cache_dir=str(tmp_path / "cache"))
    chat = [{"role": "assistant", "content": GOOD}]
    out = reward(["p"] * 5, [GOOD, HALF, BROKEN, "no code here", chat],
                 testbench=[TB] * 4 + [TB], reference=[REF] * 5)
    assert out[0] == 1.0 and out[4] == 1.0
    assert out[1] == pytest.approx(0.5 * 0.5)  # wrong whenever a[0] == 0: 8 of 16 samples
    assert out[2] == 0.0 and out[3] == 0.0


@pytest.mark.parametrize("kwargs,needle", [
    ({"timeout_s": float("nan")}, "timeout_s must be"), ({"timeout_s": float("inf")}, "timeout_s must be"),
    ({"timeout_s": -1}, "timeout_s must be"), ({"workers": 0}, "workers must be"),
    ({"trust": "bogus"}, "trust must be one of strict, naive"),
])
def test_bad_settings_are_one_line_at_construction(kwargs, needle):
    """Not a batch later, where every row would come back unscored with a traceback in the log."""
    from rtlgen.errors import InputError

    with pytest.raises(InputError, match=needle):
        SimulationReward(**kwargs)
    assert SimulationReward(trust="naive").trust.value == "naive"


def test_a_bad_row_spoils_only_itself(tmp_path):
    """A reference that is no text or a top that is no name is that row's problem (None, bad_row); a testbench
    that never instantiates the design says nothing about it (no verdict, the failure value)."""
    reward = SimulationReward(cache_dir=str(tmp_path / "cache"))
    silent = "module tb; initial $finish; endmodule\n"
    out = reward(["p"] * 5, [GOOD] * 5, testbench=[TB, TB, TB, TB, silent],
                 reference=[REF, ["x"], REF, {"a": 1}, REF], top=["TopModule", "TopModule", "a b", None, "TopModule"])
    assert out[:4] == [1.0, None, None, None] and out[4] == 0.0, out
    assert reward.last_categories[1:4] == ["bad_row"] * 3 and reward.last_categories[4] == "no_verdict"


def test_rows_without_testbench_are_none_and_pickle():
    reward = SimulationReward(failure_value=-1.0)
    assert reward(["p"], [GOOD], testbench=[None], reference=[REF]) == [None]
    clone = pickle.loads(pickle.dumps(reward))
    assert clone.failure_value == -1.0 and clone._judge is None
