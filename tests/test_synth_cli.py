"""`rtlgen synth` CLI: JSON keys and one-line errors."""

from __future__ import annotations

import json

import pytest

from rtlgen.cli.main import main

KEYS = {"design", "method", "budget", "recipe", "area", "delay", "adp", "resyn2_adp", "adp_ratio", "equivalent",
        "evaluations", "wall_s"}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RTLGEN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_optimize_and_qor_json(shared, capsys):
    c499 = str(shared / "synth-bench" / "validation" / "c499.aig")
    assert main(["synth", "optimize", c499, "--budget", "5", "--method", "random", "--seed", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert KEYS <= set(out) and out["evaluations"] <= 5 and out["equivalent"] is True
    assert isinstance(out["recipe"], list) and out["adp_ratio"] == pytest.approx(out["adp"] / out["resyn2_adp"])
    assert main(["synth", "qor", c499, "--recipe", "b; rw; rfz", "--json"]) == 0
    q = json.loads(capsys.readouterr().out)
    assert q["recipe"] == ["balance", "rewrite", "refactor -z"] and q["equivalent"] is True and q["adp"] > 0


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_abc_refusing_a_recipe_says_which_command_and_why(shared, tmp_path, capsys):
    """A command ABC skips (options it does not take) or refuses (resynthesis after choices) fails the request,
    in the warm session (.aig) and in the Verilog flow alike, naming the command, not "aborting 'source ...'"."""
    aig = str(shared / "synth-bench" / "validation" / "c432.aig")
    verilog = tmp_path / "mul.v"
    verilog.write_text("module m(input [7:0] a, b, output [7:0] y); assign y = a * b; endmodule\n")
    cases = {"dch -C 999999999999999999999": "'dch' was given options it does not take",
             "balance -Z 9": "balance: unknown option Z",
             "dch; rewrite -z": "cannot be applied to AIGs with choice nodes"}
    for design in (aig, str(verilog)):
        for recipe, message in cases.items():
            assert main(["synth", "qor", design, "--recipe", recipe]) != 0
            err = capsys.readouterr().err.strip()
            assert message in err and len(err.splitlines()) == 1, (design, recipe, err)


@pytest.mark.parametrize("argv, message", [
    (["synth", "qor", "/nonexistent/d.v"], "cannot read design"),
    (["synth", "qor", "design.vhd"], "unknown design extension"),
    (["synth", "optimize", "d.aig", "--method", "ga"], "unknown search method"),
    (["synth", "qor", "d.aig", "--recipe", "quit"], "not an allowed ABC optimisation"),
    (["synth", "qor", "d.aig", "--recipe", "orchestrate"], "not an allowed ABC optimisation"),
])
def test_bad_input_one_line_error(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


@pytest.mark.requires_data
def test_unreadable_liberty(shared, capsys, tmp_path):
    bad = tmp_path / "x.lib.gz"
    bad.write_bytes(b"\x1f\x8bnot really gzip")
    c432 = str(shared / "synth-bench" / "validation" / "c432.aig")
    assert main(["synth", "qor", c432, "--liberty", str(bad)]) == 2
    assert "gzip" in capsys.readouterr().err
