"""RTLLM v1.1 and v2.0 on Icarus: loading, the errata and the fixed variant, official vs strict on forgeries,
the pass@k denominator, per-class reports, and fetching at the pinned commits."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from rtlgen.cli.main import main
from rtlgen.errors import DataMissingError
from rtlgen.evals.fetch import RTLLM, fetch_dataset, load_manifest, verify
from rtlgen.evals.registry import get_task
from rtlgen.evals.results import Mode
from rtlgen.evals.runner import EvalConfig, run_eval
from rtlgen.evals.tasks.rtllm import ERRATA, load_fixes

pytestmark = [pytest.mark.requires_data]


def _eval(tmp_path, shared, task, mode, name="out", **kw):
    out = tmp_path / name
    summary = run_eval(EvalConfig(task=task, mode=mode, data_dir=str(shared / "rtllm"), out=str(out),
                                  progress=False, cache=False, **kw))
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    return summary, rows


def test_load_both_versions(shared):
    v1 = get_task("rtllm-v1.1").load(shared / "rtllm")
    v2 = get_task("rtllm-v2.0").load(shared / "rtllm")
    assert len(v1) == 29 and len(v2) == 50
    assert {p.group for p in v2} == {"Arithmetic", "Control", "Memory", "Miscellaneous"}
    accu = next(p for p in v1 if p.task_id == "accu")
    assert accu.top == "accu" and accu.tb_top == "tb_valid_ready" and accu.group == "Arithmetic"
    alu = next(p for p in v1 if p.task_id == "alu")
    assert [n for n, _ in alu.data_files] == ["reference.dat"]
    pipe = next(p for p in v1 if p.task_id == "adder_pipe_64bit")  # reference module named otherwise
    assert "module adder_pipe_64bit" in get_task("rtllm-v1.1").golden(pipe)


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
@pytest.mark.slow
@pytest.mark.parametrize("task", ["rtllm-v1.1", "rtllm-v2.0"])
def test_golden_errata_and_fixed_variant(tmp_path, shared, task):
    """Upstream: exactly the listed errata fail, in both modes. Fixed: every reference passes, in both modes."""
    version = task.split("-")[1]
    for mode in (Mode.OFFICIAL, Mode.STRICT):
        up, _ = _eval(tmp_path, shared, task, mode, f"up-{mode.value}", model="golden")
        assert set(up["failed"]) == set(ERRATA[version]) and set(up["known_broken"]) == set(ERRATA[version])
        fixed, _ = _eval(tmp_path, shared, task, mode, f"fixed-{mode.value}", model="golden", variant="fixed")
        assert fixed["failed"] == [] and fixed["syntax"]["pass_at_1"] == 1.0, fixed["categories"]
        assert set(fixed["fixes"]) == set(load_fixes(version))
    assert sum(g["problems"] for g in fixed["by_group"].values()) == fixed["problems"]


FORGED_ACCU = {
    # wrong, and prints the pass line itself: upstream counts any "Pass" in the output
    "prints_pass": "module accu(input clk, input rst_n, input [7:0] data_in, input valid_in, output reg valid_out, "
                   "output reg [9:0] data_out); initial $display(\"===========Your Design Passed===========\"); "
                   "always @(posedge clk) begin valid_out <= 0; data_out <= 0; end endmodule",
    # wrong, ends the simulation before the testbench can complain
    "early_finish": "module accu(input clk, input rst_n, input [7:0] data_in, input valid_in, output reg valid_out, "
                    "output reg [9:0] data_out); initial begin $display(\"pass\"); $finish; end endmodule",
}


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
def test_forgeries_pass_official_and_fail_strict(tmp_path, shared):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"task_id": "accu", "completion": [f"```verilog\n{c}\n```" for c in
                                                                  FORGED_ACCU.values()]}) + "\n")
    kw = dict(completions=str(path), samples=2, problems=("accu",), robust=False)
    official, rows_o = _eval(tmp_path, shared, "rtllm-v1.1", Mode.OFFICIAL, "o", **kw)
    strict, rows_s = _eval(tmp_path, shared, "rtllm-v1.1", Mode.STRICT, "s", **kw)
    assert [r["passed"] for r in sorted(rows_o, key=lambda r: r["sample"])] == [True, True]
    assert [r["passed"] for r in rows_s] == [False, False]
    # pass@k divides by the number of designs (upstream divides by one more, its issue #23)
    assert official["pass_at_1"] == 1.0 and strict["pass_at_1"] == 0.0


def test_cli_refuses_cross_family_task(capsys):
    rc = main(["eval", "rtllm", "--task", "verilogeval-v2-spec-to-rtl", "--model", "golden"])
    err = capsys.readouterr().err
    assert rc != 0 and "not a rtllm task" in err and len(err.strip().splitlines()) == 1


def _archives(shared: Path, corrupt: str | None = None) -> dict[str, bytes]:
    manifest = load_manifest(RTLLM)
    out = {}
    for version, commit in manifest["commits"].items():
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            extra = [(f"_chatgpt35/t1/{version}.v", b"model output, left out")]
            rels = [(rel[len(version) + 1:], (shared / "rtllm" / rel).read_bytes() + (b"x" if rel == corrupt else b""))
                    for rel in manifest["files"] if rel.startswith(version + "/")]
            for name, data in rels + extra:
                info = tarfile.TarInfo(f"RTLLM-{commit}/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        out[commit] = buf.getvalue()
    return out


def test_fetch_rtllm_at_pinned_commits(shared, tmp_path):
    assert verify(shared / "rtllm", load_manifest(RTLLM)) == []
    archives = _archives(shared)
    report = fetch_dataset(RTLLM, tmp_path / "r", download=lambda url: archives[url.rsplit("/", 1)[1]])
    assert report.files == 337 and verify(tmp_path / "r", load_manifest(RTLLM)) == []
    assert not (tmp_path / "r" / "v1.1" / "_chatgpt35").exists()
    bad = _archives(shared, corrupt="v2.0/Control/Counter/counter_12/testbench.v")
    with pytest.raises(DataMissingError, match="does not match"):
        fetch_dataset(RTLLM, tmp_path / "r2", download=lambda url: bad[url.rsplit("/", 1)[1]])
    assert main(["data", "verify", "rtllm", "--data-dir", str(shared / "rtllm")]) == 0


@pytest.mark.requires_iverilog
@pytest.mark.requires_bwrap
@pytest.mark.requires_yosys
def test_ppa_of_passing_samples_only(tmp_path, shared):
    """References against themselves give 1.0 (a sanity check); a failing sample gets no PPA figure."""
    task = get_task("rtllm-v1.1")
    problem = next(p for p in task.load(shared / "rtllm") if p.task_id == "adder_8bit")
    wrong = task.golden(problem).replace("a + b + cin", "a + b", 1)
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"task_id": "adder_8bit", "completion": [task.golden(problem), wrong]}) + "\n")
    summary, rows = _eval(tmp_path, shared, "rtllm-v1.1", Mode.STRICT, completions=str(path), samples=2,
                          problems=("adder_8bit",), robust=False, ppa=True)
    assert sorted(r["passed"] for r in rows) == [False, True]
    assert summary["ppa"]["per_design"]["adder_8bit"] == {"area": 1.0, "delay": 1.0, "adp": 1.0}
    measured = [json.loads(x)["key"] for x in (tmp_path / "out" / "ppa.jsonl").read_text().splitlines()]
    assert len(measured) == 2  # the reference and the one passing sample
