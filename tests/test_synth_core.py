"""rtlgen.synth core: parsing (no tools), front end caching, ABC sessions (real yosys/yosys-abc)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from rtlgen.errors import InputError
from rtlgen.sandbox import KilledBy, Limits
from rtlgen.synth import RESYN2, AbcSession, SynthError, baselines, load_design, parse_qor, parse_recipe
from rtlgen.synth.embedding import similarity_alpha
from rtlgen.synth.liberty import resolve_liberty

ADDER = """module add4(input [3:0] a, input [3:0] b, output [4:0] y);
  assign y = a + b;
endmodule
"""
# Two builds of ABC print the same stime line with different token layouts and colour codes.
STIME_A = ('WireLoad = "none"  \x1b[1;33mGates =    153\x1b[0m ( 18.3 %)   \x1b[1;32mCap =  5.2 ff\x1b[0m (  2.6 %)   '
           '\x1b[1;36mArea =      862.08\x1b[0m ( 81.7 %)   \x1b[1;35mDelay =  3596.94 ps\x1b[0m  ( 28.1 %)')
STIME_B = "Gates = 153  Cap = 5.2 ff  Area = 862.08 ( 81.7 %)  Delay = 3.59694 ns"
STATS = "\x1b[1;37mc432:\x1b[0m i/o =   36/    7  lat =    0  and =    209  lev = 42"


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RTLGEN_CACHE_DIR", str(tmp_path / "cache"))


def test_parse_qor_token_layouts():
    a, b = parse_qor(STATS + "\n" + STIME_A), parse_qor(STATS + "\n" + STIME_B)
    assert (a.and_nodes, a.levels, a.area, a.delay) == (209, 42, 862.08, 3596.94)
    assert b.area == a.area and b.delay == pytest.approx(a.delay)
    assert a.adp == pytest.approx(862.08 * 3596.94)
    with pytest.raises(SynthError):
        parse_qor(STATS + "\nError: mapping failed")


def test_parse_recipe():
    assert parse_recipe("resyn2") == RESYN2 and parse_recipe("resyn2x2") == RESYN2 * 2 and parse_recipe("none") == ()
    assert parse_recipe("b; rwz ;refactor -z") == ("balance", "rewrite -z", "refactor -z")
    for bad in ("quit", "echo @@END1@@", "rewrite; system rm"):
        with pytest.raises(InputError):
            parse_recipe(bad)


def test_alpha_formula():
    assert similarity_alpha(0.0, 1.0) == pytest.approx(1 - 1 / (1 + pytest.importorskip("math").exp(0.7)))
    assert similarity_alpha(1.0, 1.0) == pytest.approx(0.5)
    assert similarity_alpha(0.5, 1.0) > 0.5 > similarity_alpha(2.0, 1.0) > similarity_alpha(4.0, 1.0)


def test_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="unknown design extension"):
        load_design(tmp_path / "x.vhd")
    with pytest.raises(InputError, match="cannot read"):
        load_design(tmp_path / "missing.v")
    (tmp_path / "bad.lib").write_text("hello")
    with pytest.raises(InputError, match="liberty"):
        resolve_liberty(tmp_path / "bad.lib")


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_frontend_verilog_cached(tmp_path, sandbox):
    src = tmp_path / "add4.v"
    src.write_text(ADDER)
    d1 = load_design(src, sandbox=sandbox)
    assert d1.aig_bytes().startswith(b"aig ")
    runs = sandbox.cache.misses
    d2 = load_design(src, sandbox=sandbox)  # served from the front-end cache: no job at all
    assert d2.digest == d1.digest and sandbox.cache.misses == runs and sandbox.cache.hits == 0


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_frontend_hostile_design_times_out(tmp_path, sandbox):
    src = tmp_path / "big.v"
    src.write_text("module big(input [255:0] a, b, c, output [767:0] y); assign y = a * b * c; endmodule\n")
    with pytest.raises(SynthError) as err:
        load_design(src, sandbox=sandbox, limits=Limits(wall_s=2, cpu_s=4))
    assert err.value.killed_by in (KilledBy.TIMEOUT, KilledBy.CPU)


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_session_metrics_cec_reuse_restart(shared, sandbox):
    c432 = load_design(shared / "synth-bench" / "validation" / "c432.aig")
    with AbcSession(sandbox=sandbox) as abc:
        base = baselines(abc, c432)
        assert base["none"].and_nodes == 209 and base["none"].levels == 42
        assert base["resyn2"].and_nodes < 209 and base["resyn2"].area > 0 and base["resyn2"].delay > 0
        assert abc.cec(c432, RESYN2)
        abc.evaluate(c432, RESYN2, keep_prefixes=(len(RESYN2),))
        again = abc.evaluate(c432, RESYN2 + ("balance",), reuse_snapshots=True)  # starts from the resyn2 snapshot
        assert again.and_nodes <= base["resyn2"].and_nodes
        assert abc.restarts == 0 and abc.requests >= 5
        os.killpg(abc.process.pid, signal.SIGKILL)  # the session we started dies under us
        assert abc.evaluate(c432, RESYN2) == base["resyn2"]
        assert abc.restarts == 1


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_session_request_timeout_restarts(shared, sandbox):
    sin = load_design(shared / "synth-bench" / "validation" / "sin.aig")
    c432 = load_design(shared / "synth-bench" / "validation" / "c432.aig")
    with AbcSession(sandbox=sandbox, request_timeout_s=0.05) as abc:
        with pytest.raises(SynthError) as err:
            abc.evaluate(sin, RESYN2 * 20)
        assert err.value.killed_by is KilledBy.TIMEOUT
        abc.request_timeout_s = 60
        assert abc.evaluate(c432, ()).and_nodes == 209
        assert abc.restarts == 1


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_gzip_liberty_decompressed_once(tmp_path):
    first = resolve_liberty(None)
    assert first.suffix != ".gz" and first.read_bytes()[:1000].find(b"library") >= 0
    assert resolve_liberty(None) == first


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_warm_session_never_reports_the_previous_design():
    """A read ABC refuses (a sequential AIG with clashing names) must be an error, not the last design's QoR."""
    from rtlgen.errors import RtlgenError
    from rtlgen.synth.abc_session import AbcSession
    from rtlgen.synth.frontend import design_from_bytes
    from rtlgen.synth.recipes import parse_recipe

    comb = "module TopModule(input [3:0] a, b, output [4:0] s); assign s = a + b; endmodule"
    seq = ("module TopModule(input clk, input reset, output reg [3:0] q); always @(posedge clk) "
           "if (reset) q <= 1; else q <= q == 10 ? 1 : q + 1; endmodule")
    session = AbcSession()
    try:
        session.evaluate(design_from_bytes(Path("c.sv"), comb.encode()), parse_recipe("resyn2"))
        with pytest.raises(RtlgenError):
            session.evaluate(design_from_bytes(Path("q.sv"), seq.encode()), parse_recipe("resyn2"))
    finally:
        session.close()
