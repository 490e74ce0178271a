"""pyslang in-process checks: diagnostics with exact lines and messages, names, ports, no file reads."""

from __future__ import annotations

import uuid

import pytest

from rtlgen.errors import InputError
from rtlgen.sim import module_names, module_ports, parse_diagnostics
from rtlgen.sim.slang import INCLUDE_MESSAGE, Port, errors

BROKEN = "module TopModule(input clk, input [3:0] a, output logic [3:0] q);\nassign q = a + b\nendmodule\n"


def test_diagnostics_exact():
    diags = parse_diagnostics(BROKEN)
    assert [(d.severity, d.line, d.column, d.message, d.code) for d in diags] == [
        ("error", 2, 16, "use of undeclared identifier 'b'", "UndeclaredIdentifier"),
        ("error", 2, 17, "expected ';'", "ExpectedToken"),
    ]
    assert str(diags[0]) == "2:16: error: use of undeclared identifier 'b'"


def test_clean_and_warnings():
    assert parse_diagnostics("module a(input x, output y);\n  assign y = x;\nendmodule\n") == []
    diags = parse_diagnostics("module a(output [0:0] y);\n  assign y = 2'd3;\nendmodule\n")
    assert diags and diags[0].severity == "warning" and diags[0].line == 2
    assert errors("module a(output [0:0] y);\n  assign y = 2'd3;\nendmodule\n") == []


def test_limit_on_many_errors():
    text = "module a;\n" + "assign = ;\n" * 500 + "endmodule\n"
    assert len(parse_diagnostics(text, limit=20)) == 20


def test_include_never_reads_host_files(tmp_path):
    token = f"SECRET{uuid.uuid4().hex}"
    secret = tmp_path / "secret.vh"
    secret.write_text(f"wire {token};\n// {token}\n")
    for path in (str(secret), "/etc/passwd"):
        diags = parse_diagnostics(f'`include "{path}"\nmodule a; endmodule\n')
        text = " ".join(f"{d.message} {d.code}" for d in diags)
        assert token not in text and "root" not in text
        assert diags[0].message == INCLUDE_MESSAGE and diags[0].line == 1


def test_module_names_and_ports():
    text = ("module Other #(parameter W = 8) (input wire [W-1:0] x, output reg y, inout z);\nendmodule\n"
            "module TopModule(input clk, input [3:0] a, output logic [3:0] q);\n"
            "  Other #(.W(3)) u(.x(a[2:0]), .y(), .z());\nendmodule\n")
    assert module_names(text) == ["Other", "TopModule"]
    assert module_names("module only; endmodule") == ["only"]
    assert module_names(BROKEN) == ["TopModule"]  # syntax only: works on broken code
    assert module_ports(text, "Other") == [Port("x", "input", 8), Port("y", "output", 1), Port("z", "inout", 1)]
    assert module_ports(text, "TopModule") == [Port("clk", "input", 1), Port("a", "input", 4), Port("q", "output", 4)]
    with pytest.raises(InputError, match="'Nope' is not declared"):
        module_ports(text, "Nope")


def test_pathological_input_does_not_raise():
    deep = "module a(output y);\n  assign y = " + "(" * 100_000 + "1" + ")" * 100_000 + ";\nendmodule\n"
    diags = parse_diagnostics(deep)
    assert diags[0].severity == "fatal" and diags[0].code == "ParseAborted"
    with pytest.raises(InputError, match="could not parse"):
        module_names(deep)
    gen = "module a;\n  genvar i;\n  for (i = 0; i < 100000000; i = i + 1) begin : g wire w; end\nendmodule\n"
    assert any(d.code == "MaxGenerateStepsExceeded" for d in parse_diagnostics(gen))
    assert any(d.code == "RecursiveMacro" for d in parse_diagnostics("`define R `R\nmodule a; localparam P = `R; endmodule\n"))
