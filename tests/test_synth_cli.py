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


@pytest.mark.parametrize("argv, message", [
    (["synth", "qor", "/nonexistent/d.v"], "cannot read design"),
    (["synth", "qor", "design.vhd"], "unknown design extension"),
    (["synth", "optimize", "d.aig", "--method", "ga"], "unknown search method"),
    (["synth", "qor", "d.aig", "--recipe", "quit"], "not an allowed ABC optimisation"),
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
