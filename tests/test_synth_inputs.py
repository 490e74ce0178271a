"""Every design format `rtlgen synth qor` takes, plain and gzipped, accepted with figures; every bad one
refused with one line naming the problem."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from rtlgen.cli.main import main
from rtlgen.synth import frontend

pytestmark = [pytest.mark.requires_yosys, pytest.mark.requires_bwrap]

VERILOG = "module m(input a, input b, output y); assign y = a & ~b; endmodule\n"
BENCH = "INPUT(a)\nINPUT(b)\nOUTPUT(y)\nnb = NOT(b)\ny = AND(a, nb)\n"
BLIF = ".model m\n.inputs a b\n.outputs y\n.names a b y\n10 1\n.end\n"


def _qor(path, capsys) -> tuple[int, str, str]:
    rc = main(["synth", "qor", str(path), "--no-check", "--json"])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize("name,text", [("m.v", VERILOG), ("m.sv", VERILOG), ("m.bench", BENCH), ("m.blif", BLIF)])
@pytest.mark.parametrize("zipped", [False, True])
def test_text_formats_plain_and_gzipped(tmp_path, capsys, name, text, zipped):
    path = tmp_path / (name + (".gz" if zipped else ""))
    path.write_bytes(gzip.compress(text.encode()) if zipped else text.encode())
    rc, out, err = _qor(path, capsys)
    assert rc == 0, err
    assert json.loads(out.strip().splitlines()[-1])["area"] > 0


def test_aiger_plain_and_gzipped(tmp_path, capsys, shared):
    src = shared / "synth-bench" / "train" / "adder.aig"
    shutil.copy(src, tmp_path / "adder.aig")
    (tmp_path / "adder2.aig.gz").write_bytes(gzip.compress(src.read_bytes()))
    for name in ("adder.aig", "adder2.aig.gz"):
        rc, out, err = _qor(tmp_path / name, capsys)
        assert rc == 0, err


@pytest.mark.parametrize("name,data,why", [
    ("m.vhd", b"entity m is end;", "unknown design extension"),
    ("m.txt.gz", gzip.compress(b"x"), "a gzip of"),
    ("m.bench.gz", b"not gzip at all", "not a gzip file"),
    ("m.bench.gz", gzip.compress(BENCH.encode())[:-12], "truncated"),
    ("m.aig", b"aig 100 2 0 1 50\nxx", "M = 100 but I + L + A = 52"),
    ("m.aig", b"aig 5 2 0 1 3\n", "ends inside its latch/output lines"),
    ("m.aig", b"aig 5 2 0 1 3\n10\n\x02", "ends inside its AND section"),
    ("m.aig", b"aig 5 2 0 1\n", "not a binary AIGER"),
    ("m.aig.gz", gzip.compress(b"this is no aiger"), "not a binary AIGER"),
])
def test_bad_inputs_are_one_line(tmp_path, capsys, name, data, why):
    (tmp_path / name).write_bytes(data)
    rc, _out, err = _qor(tmp_path / name, capsys)
    assert rc != 0 and why in err and len(err.strip().splitlines()) == 1, err


def test_gzip_bomb_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(frontend, "GZ_MAX_BYTES", 1 << 20)
    (tmp_path / "bomb.bench.gz").write_bytes(gzip.compress(b"#" * (4 << 20)))
    rc, _out, err = _qor(tmp_path / "bomb.bench.gz", capsys)
    assert rc != 0 and "unpacks to more than" in err
