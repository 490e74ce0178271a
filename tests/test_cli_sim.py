"""`rtlgen sim run` / `rtlgen sim lint` through rtlgen.cli.main.main: exit codes, JSON, bad input."""

from __future__ import annotations

import json
import os

import pytest

from rtlgen.cli.main import main

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "rtlgen", "sim", "examples")
COUNTER = os.path.join(EXAMPLES, "counter.v")
COUNTER_TB = os.path.join(EXAMPLES, "counter_tb.v")


def _one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_demo_run(capsys):
    assert main(["sim", "run", COUNTER, COUNTER_TB, "--top", "counter_tb"]) == 0
    out = capsys.readouterr().out
    assert "PASS: counter matches the model" in out and "icarus: ok, category pass" in out


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_json(capsys):
    assert main(["sim", "run", COUNTER, COUNTER_TB, "--top", "counter_tb", "--json", "--timeout", "20"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("compiled", "exit_code", "killed_by", "stdout", "stderr", "wall_s", "cpu_s", "category"):
        assert key in data
    assert data["compiled"] is True and data["exit_code"] == 0 and data["killed_by"] == "none"
    assert data["category"] == "pass"


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_failures_exit_non_zero(tmp_path, capsys):
    broken = tmp_path / "broken.v"
    broken.write_text("module counter(input clk); assign = ; endmodule\n")
    assert main(["sim", "run", str(broken), COUNTER_TB, "--top", "counter_tb", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["compiled"] is False and data["category"] == "S"
    hang = tmp_path / "hang.v"
    hang.write_text("module tb; reg c = 0; always #1 c = ~c; endmodule\n")
    assert main(["sim", "run", str(hang), "--top", "tb", "--timeout", "1", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["killed_by"] in ("timeout", "cpu") and data["compiled"] is True  # --timeout is the run's only


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_lint(tmp_path, capsys):
    assert main(["sim", "lint", COUNTER]) == 0
    bad = tmp_path / "bad.sv"
    bad.write_text("module a(input x, output y);\nassign y = x + z;\nendmodule\n")
    assert main(["sim", "lint", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "bad.sv:2:16: error: use of undeclared identifier 'z'" in out and "lint: errors" in out


def test_missing_file(capsys):
    assert main(["sim", "run", "/nonexistent/x.v", "--top", "tb"]) != 0
    assert _one_line_error(capsys.readouterr().err) == \
        "rtlgen: error: cannot read /nonexistent/x.v: No such file or directory"


def test_empty_file(tmp_path, capsys):
    empty = tmp_path / "empty.v"
    empty.write_text("  \n")
    assert main(["sim", "run", str(empty), "--top", "tb"]) != 0
    assert "empty.v is empty" in _one_line_error(capsys.readouterr().err)


def test_directory_and_duplicate_names(tmp_path, capsys):
    assert main(["sim", "run", str(tmp_path), "--top", "tb"]) != 0
    assert "is a directory" in _one_line_error(capsys.readouterr().err)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.v").write_text("module x; endmodule\n")
    (tmp_path / "x.v").write_text("module y; endmodule\n")
    assert main(["sim", "run", str(tmp_path / "a" / "x.v"), str(tmp_path / "x.v"), "--top", "x"]) != 0
    assert "two files are named 'x.v'" in _one_line_error(capsys.readouterr().err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file whatever its mode")
def test_unreadable_file(tmp_path, capsys):
    f = tmp_path / "secret.v"
    f.write_text("module a; endmodule\n")
    f.chmod(0)
    assert main(["sim", "run", str(f), "--top", "a"]) != 0
    assert "cannot read" in _one_line_error(capsys.readouterr().err)


def test_unreadable_broken_link(tmp_path, capsys):
    link = tmp_path / "gone.v"
    link.symlink_to(tmp_path / "missing.v")
    assert main(["sim", "run", str(link), "--top", "a"]) != 0
    assert "cannot read" in _one_line_error(capsys.readouterr().err)


def test_missing_tool(monkeypatch, capsys):
    monkeypatch.setenv("IVERILOG", "/nonexistent")
    assert main(["sim", "run", COUNTER, "--top", "counter"]) == 3
    assert _one_line_error(capsys.readouterr().err) == \
        "rtlgen: error: IVERILOG='/nonexistent' is not an executable; fix or unset IVERILOG"


def test_unknown_simulator_and_bad_timeout(capsys):
    assert main(["sim", "run", COUNTER, "--top", "counter", "--simulator", "modelsim"]) == 2
    assert "available: icarus, verilator" in _one_line_error(capsys.readouterr().err)
    assert main(["sim", "run", COUNTER, "--top", "counter", "--timeout", "0"]) == 2
    assert "--timeout" in _one_line_error(capsys.readouterr().err)


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_non_utf8_source(tmp_path, capsys):
    f = tmp_path / "latin1.v"
    f.write_bytes(b'// caf\xe9\nmodule tb; initial begin $display("ok"); $finish; end endmodule\n')
    assert main(["sim", "run", str(f), "--top", "tb"]) == 0
    captured = capsys.readouterr()
    assert "not UTF-8 (byte 6)" in captured.err and "Traceback" not in captured.err and "ok" in captured.out
