"""Every command that runs tools refuses without bubblewrap, unless told --unsafe-no-sandbox."""

from __future__ import annotations

import json

import pytest

from rtlgen.cli.main import main

pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_yosys, pytest.mark.requires_data]


def _commands(shared, tmp_path) -> dict[str, list[str]]:
    ve = str(shared / "verilog-eval")
    return {
        "eval": ["eval", "verilogeval", "--task", "verilogeval-v2-spec-to-rtl", "--model", "golden", "--problems",
                 "Prob001_zero", "--data-dir", ve, "--out", str(tmp_path / "eval"), "--no-cache", "--json"],
        "synth": ["synth", "qor", str(shared / "synth-bench" / "validation" / "c432.aig"), "--json"],
        "sim": ["sim", "run", "rtlgen/sim/examples/counter.v", "rtlgen/sim/examples/counter_tb.v", "--top",
                "counter_tb", "--json"],
    }


@pytest.mark.parametrize("name", ["eval", "synth", "sim"])
def test_refuses_without_bwrap_and_runs_with_opt_out(name, shared, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BWRAP", "/nonexistent/bwrap")
    argv = _commands(shared, tmp_path)[name]
    assert main(argv) == 3
    err = capsys.readouterr().err.strip()
    assert "bubblewrap" in err and "--unsafe-no-sandbox" in err and len(err.splitlines()) == 1
    assert main(argv + ["--unsafe-no-sandbox"]) == 0
    assert json.loads(capsys.readouterr().out)
