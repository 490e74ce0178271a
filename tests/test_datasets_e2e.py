"""The whole datasets room end to end: a 30-file slice of the bundled corpus and five planted modules through
every stage in one ``rtlgen data build`` (ingest, split, close, the filters, dedup, decontam, describe,
augment, repair_mutate, repair_from_runs, families, export and card), with scripted teachers, killed in
the middle of the augmentation stage and resumed; then the exported RL rows scored by the trainer's reward.

    .venv/bin/pytest -q tests/test_datasets_e2e.py

The scripted augmentation teacher answers the planted modules in order: a correct rewrite (kept, proved by
the differential bench and by a bounded equivalence check), a wrong one (rejected by the bench, and shown
not equivalent by Yosys), one that differs only in what reset does (rejected), and garbage (dropped with
its reason). Every corpus module after them gets an empty answer (garbage). The description teacher
writes garbage for one planted module, which that stage drops.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from build_kill import kill_after_batches

REPO = Path(__file__).resolve().parent.parent
SLICE = (("dpretet/async_fifo", 10), ("olofk/serv", 10), ("aolofsson/oh", 10))  # small, plain Verilog files

# Planted modules are long enough that no short benchmark reference reaches Rouge-L 0.5 against them.
COUNTER = """module e2e_counter(input clk, input rst, input en, input up, input load, input [7:0] din,
                   output [7:0] q, output wrap, output is_zero, output [2:0] wraps, output at_peak);
  reg [7:0] cnt;
  reg [7:0] peak;
  reg [2:0] nwrap;
  always @(posedge clk) begin
    if (rst) cnt <= 8'd0;
    else if (load) cnt <= din;
    else if (en && up) cnt <= cnt + 8'd1;
    else if (en) cnt <= cnt - 8'd1;
  end
  always @(posedge clk) begin
    if (rst) nwrap <= 3'd0;
    else if (wrap) nwrap <= nwrap + 3'd1;
  end
  always @(posedge clk) begin
    if (rst) peak <= 8'd0;
    else if (cnt > peak) peak <= cnt;
  end
  assign at_peak = (cnt == peak);
  assign wrap = en & !load & (up ? (cnt == 8'hff) : (cnt == 8'h00));
  assign q = cnt;
  assign is_zero = (cnt == 8'd0);
  assign wraps = nwrap;
endmodule
"""
COUNTER_REWRITE = """module e2e_counter(input clk, input rst, input en, input up, input load, input [7:0] din,
                   output reg [7:0] q, output wrap, output is_zero, output reg [2:0] wraps, output at_peak);
  reg [7:0] best;
  wire [7:0] step = up ? 8'd1 : 8'hff;
  assign at_peak = best == q;
  assign wrap = en && !load && q == (up ? 8'd255 : 8'd0);
  assign is_zero = ~|q;
  always @(posedge clk) begin
    if (rst) begin
      q <= 0;
      wraps <= 0;
      best <= 0;
    end else begin
      q <= load ? din : (en ? q + step : q);
      best <= q > best ? q : best;
      if (wrap) wraps <= wraps + 1;
    end
  end
endmodule
"""
ALU = """module e2e_alu(input [7:0] lhs, input [7:0] rhs, input [2:0] op, input carry_in,
               output reg [7:0] res, output reg carry, output zero, output negative, output parity);
  always @(*) begin
    carry = 1'b0;
    case (op)
      3'd0: {carry, res} = lhs + rhs + carry_in;
      3'd1: {carry, res} = lhs - rhs;
      3'd2: res = lhs & rhs;
      3'd3: res = lhs | rhs;
      3'd4: res = lhs ^ rhs;
      3'd5: res = ~lhs;
      3'd6: {carry, res} = {lhs, 1'b0};
      default: {res, carry} = {1'b0, lhs};
    endcase
  end
  assign zero = (res == 8'd0);
  assign negative = res[7];
  assign parity = ^res;
endmodule
"""
ALU_WRONG = ALU.replace("3'd3: res = lhs | rhs;", "3'd3: res = lhs | ~rhs;")  # a wrong OR
ACCUM = """module e2e_accum(input clk, input rst, input [3:0] din, input load, input clear_hi,
                 output reg [7:0] total, output reg [3:0] samples, output overflow);
  reg ovf;
  always @(posedge clk) begin
    if (rst) begin
      total <= 8'd0;
      samples <= 4'd0;
      ovf <= 1'b0;
    end else begin
      if (load) total <= {4'd0, din};
      else if (clear_hi) total <= {4'd0, total[3:0]};
      else {ovf, total} <= {1'b0, total} + {5'd0, din};
      samples <= samples + 4'd1;
    end
  end
  assign overflow = ovf;
endmodule
"""
ACCUM_RESET_ONLY = ACCUM.replace("samples <= 4'd0;", "samples <= 4'd9;")  # differs only in what reset does
PARITY = """module e2e_parity(input [15:0] word, input odd, input [1:0] lane,
                  output par, output any_set, output all_set, output [3:0] nibble, output [4:0] ones_lo);
  assign par = (^word) ^ odd;
  assign any_set = |word;
  assign all_set = &word;
  assign nibble = lane == 2'd0 ? word[3:0] : lane == 2'd1 ? word[7:4] : lane == 2'd2 ? word[11:8] : word[15:12];
  assign ones_lo = word[0] + word[1] + word[2] + word[3] + word[4] + word[5] + word[6] + word[7];
endmodule
"""
GRAY = """module e2e_gray(input clk, input [5:0] bin, input capture, output [5:0] gray, output reg [5:0] held,
                output [5:0] back, output top_bit);
  assign gray = bin ^ (bin >> 1);
  always @(posedge clk) if (capture) held <= gray;
  assign back[5] = held[5];
  assign back[4] = back[5] ^ held[4];
  assign back[3] = back[4] ^ held[3];
  assign back[2] = back[3] ^ held[2];
  assign back[1] = back[2] ^ held[1];
  assign back[0] = back[1] ^ held[0];
  assign top_bit = bin[5];
endmodule
"""
PLANTED = [("counter", COUNTER), ("alu", ALU), ("accum", ACCUM), ("parity", PARITY), ("gray", GRAY)]
GARBAGE = "Sorry, I cannot write Verilog today."
LEVELS = ("summary", "detailed", "blocks")


def fence(code: str) -> str:
    return f"Here it is:\n```verilog\n{code}```\n"


def _descriptions(name: str) -> list[str]:
    return [f"The {name} module of this test design; its ports and behaviour are described here at length.",
            f"Ports and behaviour of {name}: every output is a function of the inputs, and of the clock for "
            f"registered outputs, exactly as the original module describes it.",
            f"1. The blocks of {name} compute its outputs. 2. The assignments drive every output port."]


def _mux(sel_a: bool) -> str:
    pick = "s ? a : b" if sel_a else "s ? b : a"
    return f"module mux2(input [3:0] a, input [3:0] b, input s, output [3:0] y);\n  assign y = {pick};\nendmodule\n"


def _eval_run(run: Path) -> None:
    """A tiny ``rtlgen eval`` output folder: problem P1 failed by sample 0, passed by sample 1."""
    run.mkdir(parents=True)
    bad, good = _mux(True), _mux(False)

    def sha(t: str) -> str:
        return hashlib.sha256(t.encode()).hexdigest()

    rows = [{"task_id": "P1", "sample": 0, "extraction": "robust", "mode": "strict", "passed": False,
             "category": "R", "code_sha": sha(bad), "detail": "8 mismatches in 20 samples", "log_tail": "Mismatch"},
            {"task_id": "P1", "sample": 1, "extraction": "robust", "mode": "strict", "passed": True,
             "category": "pass", "code_sha": sha(good)}]
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (run / "generations.jsonl").write_text(json.dumps({"task_id": "P1", "responses": [fence(bad), fence(good)]}) + "\n")


def _slice_manifest(shared: Path, dest: Path) -> int:
    rows = [json.loads(line) for line in (shared / "rtl-corpus" / "manifest.jsonl").read_text().splitlines()]
    picked = []
    for repo, n in SLICE:
        mine = sorted((r for r in rows if r["repo"] == repo and r.get("kind") == "design"),
                      key=lambda r: (r["bytes"], r["path"]))
        picked += mine[:n]
    dest.write_text("".join(json.dumps(r) + "\n" for r in picked))
    return len(picked)


def _config(shared: Path, tmp: Path) -> Path:
    assert _slice_manifest(shared, tmp / "slice.jsonl") == 30
    (tmp / "planted.jsonl").write_text("".join(json.dumps({"id": name, "code": code, "license": "MIT",
                                                           "repo": "planted/e2e"}) + "\n" for name, code in PLANTED))
    describe = [t for name, _ in PLANTED[:4] for t in _descriptions(name)] + ["ok", "ok", "ok"]
    describe.append(_descriptions("corpus")[1])  # every later prompt: repeat_last
    (tmp / "describe.yaml").write_text(yaml.safe_dump({"responses": describe, "when_exhausted": "repeat_last"}))
    augment = [fence(COUNTER_REWRITE), fence(ALU_WRONG), fence(ACCUM_RESET_ONLY), GARBAGE]
    (tmp / "augment.yaml").write_text(yaml.safe_dump({"responses": augment, "when_exhausted": "empty"}))
    _eval_run(tmp / "evalrun")
    ve = str(shared / "verilog-eval")
    stages = [{"stage": "ingest"}, {"stage": "split"}, {"stage": "close"}, {"stage": "size"}, {"stage": "generated"},
              {"stage": "parses"}, {"stage": "compiles"}, {"stage": "lints"}, {"stage": "synthesises"},
              {"stage": "dedup"},
              {"stage": "decontam", "options": {"data_dirs": {"verilogeval-v2-spec-to-rtl": ve}}},
              {"stage": "describe", "options": {"teacher": f"scripted:{tmp / 'describe.yaml'}"}},
              # batches of 4: the planted modules are the first batch, the kill lands in a later one
              {"stage": "augment", "batch_size": 4,
               "options": {"teacher": f"scripted:{tmp / 'augment.yaml'}", "equivalence": {"bmc_depth": 6}}},
              {"stage": "repair_mutate", "options": {"per_sample": 2, "seed": 1}},
              {"stage": "repair_from_runs", "options": {"eval_runs": [str(tmp / "evalrun")]}},
              {"stage": "families", "options": {"families": ["counter", "truth_table"], "count": 2,
                                                "difficulty": [1, 2]}}]
    config = {"sources": [{"name": "planted", "kind": "jsonl", "path": str(tmp / "planted.jsonl")},
                          {"name": "corpus", "kind": "manifest", "path": str(tmp / "slice.jsonl"),
                           "files_dir": str(shared / "rtl-corpus" / "files")}],
              "stages": stages, "export": {"validation_fraction": 0.3}, "progress": False}
    (tmp / "e2e.yaml").write_text(yaml.safe_dump(config))
    return tmp / "e2e.yaml"


def _kill_in_augment(argv: list[str], out: Path) -> str:
    """Start the build, kill its process group once augmentation has finished a batch; the file as cut."""
    return kill_after_batches(argv, REPO, out, "*-augment.jsonl", 1, timeout_s=240).read_text()


@pytest.fixture(scope="module")
def e2e(tmp_path_factory, shared):
    tmp = tmp_path_factory.mktemp("e2e")
    cfg = _config(shared, tmp)
    out = tmp / "out"
    argv = [sys.executable, "-m", "rtlgen.cli.main", "data", "build", str(cfg), "--out", str(out)]
    before = _kill_in_augment(argv, out)
    assert not (out / "README.md").exists()
    rerun = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    return out, before


def _records(out: Path, stage: str) -> list[dict]:
    path = next(out.glob(f"*-{stage}.jsonl"))
    return [json.loads(line) for line in path.read_text().splitlines()]


def _drops(out: Path, stage: str) -> dict[str, tuple[str, str]]:
    return {r["id"]: (r["reason"], r["detail"]) for r in _records(out, stage) if r["kind"] == "drop"}


def _kept(out: Path, stage: str) -> dict[str, dict]:
    return {r["sample"]["id"]: r["sample"] for r in _records(out, stage) if r["kind"] == "sample"}


def _rows(out: Path, form: str) -> dict[str, list[dict]]:
    return {split: [json.loads(line) for line in (out / "export" / form / f"{split}.jsonl").read_text().splitlines()]
            for split in ("train", "validation")}


def _planted_id(out: Path, stage: str, name: str) -> str:
    return next(i for i in _kept(out, stage) if i.startswith(f"planted:{name}") and "~" not in i)


def whole_room(test):
    """The marks of a test that reads the e2e build: every tool, the shared data, slow."""
    for mark in (pytest.mark.requires_data, pytest.mark.requires_iverilog, pytest.mark.requires_verilator,
                 pytest.mark.requires_yosys, pytest.mark.requires_bwrap, pytest.mark.slow):
        test = mark(test)
    return test


@whole_room
def test_every_stage_ran_and_counts_add_up(e2e):
    out, _ = e2e
    counts = json.loads((out / "counts.json").read_text())
    assert [k.split("-", 1)[1] for k in counts] == [
        "ingest", "split", "close", "size", "generated", "parses", "compiles", "lints", "synthesises", "dedup",
        "decontam", "describe", "augment", "repair_mutate", "repair_from_runs", "families"]
    assert counts["00-ingest"]["in"] == 35
    growing = {"split", "augment", "repair_mutate", "repair_from_runs", "families"}  # add samples of their own
    for name, c in counts.items():
        stage = name.split("-", 1)[1]
        made = {o["sample"]["id"] for o in _records(out, stage) if o["kind"] == "sample"}
        assert c["out"] == len(made), name
        if stage in growing:
            assert c["out"] + sum(c["dropped"].values()) >= c["in"], name
        else:  # a filter: every input is kept or dropped with a reason
            assert c["in"] == c["out"] + sum(c["dropped"].values()), name
    stages = list(counts.values())
    for prev, nxt in zip(stages, stages[1:], strict=False):
        assert nxt["in"] == prev["out"]  # each stage is fed the kept samples of the one before
    assert counts["11-describe"]["dropped"] == {"teacher_garbage": 1}
    assert counts["13-repair_mutate"]["out"] > counts["13-repair_mutate"]["in"]
    assert counts["14-repair_from_runs"]["out"] == counts["14-repair_from_runs"]["in"] + 1
    assert counts["15-families"]["out"] == counts["15-families"]["in"] + 4
    assert "synthesises" in (out / "config.yaml").read_text() and "mode: synth" in (out / "config.yaml").read_text()
    synth = _kept(out, "synthesises")
    assert all(s["meta"]["synthesises"]["mode"] == "synth" and s["meta"]["synthesises"]["cells"] >= 0
               for s in synth.values())


@whole_room
def test_augmentation_keeps_only_the_proved_rewrite(e2e):
    out, _ = e2e
    kept, drops = _kept(out, "augment"), _drops(out, "augment")
    counter = _planted_id(out, "augment", "counter")
    aug = kept[f"{counter}~aug0"]
    assert aug["meta"]["proved_by"] == ["difftb", "formal_bmc_6"]
    assert aug["code"].strip() == COUNTER_REWRITE.strip() and "RefModule" in aug["reference"]
    for name, reason in (("alu", "rejected_difftb"), ("accum", "rejected_difftb"), ("parity", "teacher_garbage")):
        original = _planted_id(out, "augment", name)
        assert drops[f"{original}~aug0"][0] == reason, drops[f"{original}~aug0"]
    assert "no Verilog" in drops[f"{_planted_id(out, 'augment', 'parity')}~aug0"][1]
    gray = [i for i, (r, _) in _drops(out, "describe").items() if i.startswith("planted:gray")]
    assert gray, "the garbage description must drop its module"
    # corpus modules got an empty answer: dropped as garbage, never kept
    assert all(i.startswith("planted:counter") for i in kept if "~aug" in i)
    from rtlgen.datasets.augment import proof_fractions
    from rtlgen.datasets.sample import Sample

    fr = proof_fractions([Sample.from_json(s) for s in kept.values()])
    assert fr["augmented"] == 1 and fr["difftb"] == 1.0 and fr["formal_bmc"] == 1.0


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_wrong_and_reset_only_rewrites_are_not_equivalent():
    """The stage stops at the bench's verdict; Yosys refutes the same two rewrites on its own."""
    from rtlgen.datasets.formal import FormalOptions, check_formal
    from rtlgen.synth.equivalence import EquivStatus

    opts = FormalOptions(bmc_depth=6)
    assert check_formal(ALU, ALU_WRONG, top="e2e_alu", options=opts).status is EquivStatus.NOT_EQUIVALENT
    res = check_formal(ACCUM, ACCUM_RESET_ONLY, top="e2e_accum", resets=("rst",), options=opts)
    assert res.status is EquivStatus.NOT_EQUIVALENT, res


@whole_room
def test_repair_triples_from_mutation_and_runs(e2e):
    out, _ = e2e
    triples = [s for s in _kept(out, "repair_mutate").values() if "repair" in s["meta"]]
    assert triples and all(t["meta"]["repair"]["broken"] != t["code"] and t["meta"]["repair"]["message"]
                           for t in triples)
    runs = [s for s in _kept(out, "repair_from_runs").values() if s["meta"].get("repair", {}).get("source") == "eval"]
    assert len(runs) == 1 and runs[0]["code"] == _mux(False) and runs[0]["meta"]["repair"]["broken"] == _mux(True)


@whole_room
def test_card_lists_teachers_licenses_and_contamination(e2e):
    out, _ = e2e
    card = (out / "README.md").read_text()
    for heading in ("## Stages", "### Drops by reason", "## Licenses", "## Teachers and prompts", "## Contamination"):
        assert heading in card
    assert "teacher-v1" in card and "scripted:" in card
    assert "| describe |" in card and "| augment |" in card
    assert "| MIT |" in card and "| Apache-2.0 |" in card  # planted and families rows of the license table
    assert "verilogeval-v2-spec-to-rtl" in card and "NOT CHECKED" not in card
    assert (out / "decontam-benchmarks.json").exists() and (out / "contamination.jsonl").exists()


@whole_room
def test_splits_share_no_dedup_cluster(e2e):
    out, _ = e2e
    for form in ("sft", "rl"):
        sides: dict[str, set[str]] = {}
        for split, rows in _rows(out, form).items():
            for r in rows:
                sides.setdefault(r["cluster"], set()).add(split)
        assert all(len(v) == 1 for v in sides.values()), form
    sft = _rows(out, "sft")
    assert sft["validation"] and sft["train"]


@whole_room
def test_exported_rl_rows_score_as_passing_with_the_trainer_reward(e2e):
    """The golden answer of every RL row passes ``SimulationReward`` read from the exported columns alone."""
    from rtlgen.rewards import SimulationReward

    out, _ = e2e
    rows = [r for split in _rows(out, "rl").values() for r in split]
    for r in rows:
        assert {"prompt", "testbench", "reference", "top"} <= r.keys()
    kinds = {("family" if r["source"] == "families" else "aug" if "~aug" in r["id"] else "repair") for r in rows}
    assert {"family", "aug"} <= kinds, kinds
    golden = {s["id"]: s["code"] for s in _kept(out, "families").values()}
    assert all(r["id"] in golden for r in rows)
    reward = SimulationReward()
    columns = {k: [r[k] for r in rows] for k in ("testbench", "reference", "top")}
    scores = reward([r["prompt"] for r in rows], [fence(golden[r["id"]]) for r in rows], **columns)
    assert scores == [1.0] * len(rows), list(zip([r["id"] for r in rows], reward.last_categories, strict=True))
    import datasets

    hf = datasets.load_from_disk(str(out / "export" / "hf" / "rl"))
    assert {"prompt", "testbench", "reference", "top"} <= set(hf["train"].column_names)


@whole_room
def test_kill_mid_augmentation_resumed_without_redoing_a_batch(e2e):
    out, before = e2e
    after = next(out.glob("*-augment.jsonl")).read_text()
    kept_prefix = before[:before.rindex('"kind": "done"')]
    kept_prefix = kept_prefix[:kept_prefix.rindex("\n") + 1]
    assert after.startswith(kept_prefix)
    done = [i for r in map(json.loads, after.splitlines()) if r["kind"] == "done" for i in r["ids"]]
    assert len(done) == len(set(done))
    counts = json.loads((out / "counts.json").read_text())["12-augment"]
    assert counts["in"] == len(done)


# -- the synthesis filter on its own ---------------------------------------------------------------------------
MEMORY = """module e2e_mem(input clk, input we, input [3:0] wa, input [3:0] ra, input [7:0] wd, output [7:0] rd,
               output reg [7:0] last);
  reg [7:0] mem [0:15];
  always @(posedge clk) if (we) mem[wa] <= wd;
  assign rd = mem[ra];
  always @(*) begin last = 8'bx; if (we) last = wd; end
endmodule
"""


def test_synth_job_is_data():
    from rtlgen.datasets.filters import synth_job, synth_script
    from rtlgen.sandbox import Limits

    script = synth_script("e2e_mem", preprocess=False)
    assert "synth -top e2e_mem -flatten" in script and "-nopp" in script
    assert script.index("synth -top") < script.index("setundef -zero")  # before synth it breaks memories
    job = synth_job(MEMORY, "e2e_mem", Limits(wall_s=5))
    assert job.steps[0].argv[1:] == ("-q", "-s", "synth.ys") and job.outputs == ("stat.txt",)
    with pytest.raises(ValueError, match="identifier"):
        synth_job(MEMORY, "x; shell", Limits(wall_s=5))


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
def test_synthesises_counts_cells_refuses_file_reads_and_keeps_elaboration_mode(tmp_path):
    from rtlgen.datasets.filters import Synthesises, SynthMode, SynthOptions
    from rtlgen.datasets.sample import Dropped, Sample
    from rtlgen.datasets.stage import StageContext

    batch = [Sample("mem", MEMORY, "e2e_mem"),
             Sample("undef", "module u(input a, output y); missing m(.a(a), .y(y)); endmodule\n", "u"),
             Sample("file", 'module f(output reg [7:0] q); initial $readmemh("/etc/passwd", q); endmodule\n', "f")]
    ctx = StageContext(out_dir=tmp_path)
    synth = {o.id: o for o in Synthesises(SynthOptions(), ctx).process(batch)}
    assert synth["mem"].meta["synthesises"]["mode"] == "synth" and synth["mem"].meta["synthesises"]["cells"] > 10
    assert isinstance(synth["undef"], Dropped) and synth["undef"].reason == "synth_error"
    assert isinstance(synth["file"], Dropped) and synth["file"].reason == "synth_refused"
    elab = {o.id: o for o in Synthesises(SynthOptions(mode=SynthMode.ELABORATE), ctx).process(batch)}
    assert elab["mem"].meta["synthesises"]["mode"] == "elaborate" and "ands" in elab["mem"].meta["synthesises"]
    assert elab["undef"].reason == "synth_error" and elab["file"].reason == "synth_refused"
