"""The datasets room's core stages: tokens, licenses, git metadata, config errors, hostile input, a corpus
slice through every core stage with real tools (planted duplicates and a planted renamed benchmark
reference), and resuming a build killed mid-stage.

    .venv/bin/pytest -q tests/test_datasets_core.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from build_kill import kill_after_batches

from rtlgen.datasets.licenses import LicensePolicy, LicenseVerdict, classify, spdx_from_header, spdx_from_license_text
from rtlgen.datasets.pipeline import build, load_pipeline
from rtlgen.datasets.sources import git_head
from rtlgen.datasets.tokens import canonical, fingerprint, lcs_length, rouge_l, tokens
from rtlgen.errors import InputError

REPO = Path(__file__).resolve().parent.parent
SLICE_REPOS = ("nandland/spi-master", "dpretet/async_fifo", "alexforencich/verilog-uart")


# -- units, no tools -----------------------------------------------------------------------------------------
def test_tokens_ignore_comments_and_whitespace_and_canonical_ignores_renaming():
    a = "module m(input a, output y); // c\n assign y = ~a; /* x */ endmodule"
    b = "module   m (input a,output y);\nassign y=~a;\nendmodule"
    c = "module top(input sig_in, output sig_out); assign sig_out = ~sig_in; endmodule"
    assert fingerprint(tokens(a)) == fingerprint(tokens(b))
    assert fingerprint(tokens(a)) != fingerprint(tokens(c))
    assert canonical(tokens(a)) == canonical(tokens(c))


def test_lcs_is_exact_and_rouge_bounded():
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert rouge_l(["a", "b"], ["a", "b"]) == 1.0
    assert rouge_l(["a"], ["b"]) == 0.0
    big = [str(i % 97) for i in range(3000)]
    t0 = time.monotonic()
    lcs_length(big, big[::-1])
    assert time.monotonic() - t0 < 2.0


def test_licenses():
    assert classify("MIT OR Apache-2.0") is LicenseVerdict.PERMISSIVE
    assert classify("GPL-2.0 OR MIT") is LicenseVerdict.PERMISSIVE
    assert classify("MIT AND GPL-3.0") is LicenseVerdict.RESTRICTED
    assert classify("SHL-0.51") is LicenseVerdict.RESTRICTED
    assert classify("") is LicenseVerdict.UNKNOWN
    assert not LicensePolicy().accepts("") and LicensePolicy(allow_unknown=True).accepts("")
    assert spdx_from_header("// SPDX-License-Identifier: Apache-2.0\nmodule x; endmodule") == "Apache-2.0"
    assert spdx_from_license_text("MIT License\n\nPermission is hereby granted, free of charge, to any") == "MIT"
    assert spdx_from_license_text("GNU GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007") == "GPL-3.0"


def test_git_head_reads_dotgit_without_git_and_never_leaves_the_tree(tmp_path):
    sha = "a" * 40
    git = tmp_path / "repo" / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text(sha + "\n")
    (git / "config").write_text('[remote "origin"]\n\turl = https://github.com/owner/name.git\n')
    assert git_head(tmp_path / "repo") == (sha, "owner/name")
    (git / "refs" / "heads" / "main").unlink()
    (git / "packed-refs").write_text(f"# pack-refs\n{'b' * 40} refs/heads/main\n")
    assert git_head(tmp_path / "repo")[0] == "b" * 40
    other = tmp_path / "other"
    other.mkdir()
    (other / ".git").write_text(f"gitdir: {git}\n")  # points outside its own tree: not followed
    assert git_head(other) == ("", "")


def test_config_errors_are_one_line_and_helpful(tmp_path):
    src = [{"name": "s", "kind": "folder", "path": str(tmp_path)}]
    with pytest.raises(InputError, match="did you mean 'dedup'"):
        load_pipeline(None, data={"sources": src, "stages": [{"stage": "dedupe"}]})
    with pytest.raises(InputError, match=r"stages.dedup.options.treshold.*threshold"):
        load_pipeline(None, data={"sources": src, "stages": [{"stage": "dedup", "options": {"treshold": 0.5}}]})
    with pytest.raises(InputError, match="no sources"):
        load_pipeline(None, data={"stages": []})
    cfg = load_pipeline(None, ["stages.dedup.threshold=0.9"], data={"sources": src, "stages": [{"stage": "dedup"}]})
    assert cfg.stages[0].options == {"threshold": 0.9}


# -- hostile input -------------------------------------------------------------------------------------------
def _hostile_folder(root: Path) -> Path:
    src = root / "src"
    src.mkdir()
    (src / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge, to any person")
    (src / "good.v").write_text("module good(input a, output y);\n  assign y = ~a;\nendmodule\n")
    (src / "binary.v").write_bytes(b"module b; endmodule\n\0\0\x01\x02")
    (src / "latin1.v").write_bytes("// caf\xe9\nmodule l; endmodule\n".encode("latin-1"))
    with (src / "huge.v").open("wb") as fh:  # 100 MB, sparse: refused by its size, never read
        fh.truncate(100 * 1024 * 1024)
    secret = root / "secret.v"
    secret.write_text("module secret; endmodule\n")
    (src / "escape.v").symlink_to(secret)
    (src / "loop_a.vh").write_text('`include "loop_b.vh"\n')
    (src / "loop_b.vh").write_text('`include "loop_a.vh"\n')
    (src / "loop.v").write_text('`include "loop_a.vh"\nmodule loop; endmodule\n')
    (src / "missing.v").write_text('`include "nowhere.vh"\nmodule missing; endmodule\n')
    (src / "inc.vh").write_text("`define WIDTH 4\n")
    (src / "uses_inc.v").write_text('`include "inc.vh"\nmodule uses_inc(input [`WIDTH-1:0] a, output y);\n'
                                    '  assign y = ^a;\nendmodule\n')
    bomb = "".join(f"`define M{i + 1}(x) `M{i}(x) `M{i}(x)\n" for i in range(40))
    (src / "bomb.v").write_text("`define M0(x) x\n" + bomb + "module bomb; wire w = `M40(1); endmodule\n")
    (src / "broken.v").write_text("module broken(input a; output y;\n  assign y = = a;\n endmodul\n(((((\n")
    (src / "gpl.v").write_text("// SPDX-License-Identifier: GPL-3.0-only\nmodule gpl; endmodule\n")
    return src


def test_hostile_inputs_are_dropped_with_reasons_never_crash(tmp_path):
    src = _hostile_folder(tmp_path)
    cfg = load_pipeline(None, data={
        "sources": [{"name": "h", "kind": "folder", "path": str(src)}],
        "stages": [{"stage": "ingest"}, {"stage": "split", "options": {"timeout_s": 4}}, {"stage": "close"},
                   {"stage": "parses"}],
        "export": {"formats": ["jsonl"]}, "progress": False})
    result = build(cfg, tmp_path / "out")
    drops = {}
    for path in sorted((tmp_path / "out").glob("0*.jsonl")):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if rec["kind"] == "drop":
                drops[rec["id"].split("::")[0].removeprefix("h:")] = rec["reason"]
    assert drops["binary.v"] == "binary"
    assert drops["latin1.v"] == "not_utf8"
    assert drops["huge.v"] == "too_large"
    assert drops["escape.v"] == "symlink_escape"
    assert drops["loop.v"] == "include_loop"
    assert drops["missing.v"] == "include_missing"
    assert drops["bomb.v"] in ("parse_timeout", "parse_memory", "parse_crash", "parse_error")
    assert drops["broken.v"] in ("parse_error", "no_module")
    assert drops["gpl.v"] == "license_restricted"
    kept = {json.loads(line)["id"] for line in (tmp_path / "out" / "export" / "sft" / "train.jsonl").read_text()
            .splitlines() + (tmp_path / "out" / "export" / "sft" / "validation.jsonl").read_text().splitlines()}
    assert kept == {"h:good.v::good", "h:uses_inc.v::uses_inc"}  # the include was inlined from the tree
    counts = json.loads((tmp_path / "out" / "counts.json").read_text())
    assert counts["00-ingest"]["dropped"]["binary"] == 1 and result.samples == 2
    assert "secret" not in (tmp_path / "out" / "00-ingest.jsonl").read_text()


# -- a corpus slice through every core stage, with real tools --------------------------------------------------
def _slice_manifest(shared: Path, dest: Path, n: int = 30) -> Path:
    rows = [json.loads(line) for line in (shared / "rtl-corpus" / "manifest.jsonl").read_text().splitlines()]
    picked = [r for r in rows if r["repo"] in SLICE_REPOS][:n]
    dest.write_text("".join(json.dumps(r) + "\n" for r in picked))
    return dest


def _renamed_reference(shared: Path) -> tuple[str, str]:
    """A VerilogEval v2 reference with every signal and the module renamed."""
    from rtlgen.evals.registry import get_task

    task = get_task("verilogeval-v2-spec-to-rtl")
    problems = {p.task_id: p for p in task.load(task.resolve_data(str(shared / "verilog-eval")))}
    ref = task.golden(problems["Prob089_ece241_2014_q5a"])
    names = {}

    def rename(m: re.Match) -> str:
        word = m.group(0)
        if word in ("module", "endmodule", "input", "output", "reg", "wire", "always", "posedge", "negedge",
                    "begin", "end", "if", "else", "case", "endcase", "default", "assign", "logic", "parameter",
                    "localparam", "areset", "or", "and"):
            return word
        return names.setdefault(word, f"renamed_{len(names)}")

    return "Prob089_ece241_2014_q5a", re.sub(r"\b[A-Za-z_][A-Za-z0-9_]*\b", rename, ref)


def _planted(shared: Path, dest: Path) -> Path:
    uart_tx = (shared / "rtl-corpus" / "files" / "alexforencich__verilog-uart" / "rtl" / "uart_tx.v").read_text()
    near = uart_tx.replace("reg [DATA_WIDTH:0] data_reg = 0;", "reg [DATA_WIDTH:0] data_reg = 1;  // planted edit")
    assert near != uart_tx
    exact = "// a copy with other comments and spacing\n" + re.sub(r"//[^\n]*", "", uart_tx).replace("    ", "\t")
    _, renamed = _renamed_reference(shared)
    rows = [{"id": "near_uart_tx", "code": near, "license": "MIT", "repo": "planted/near"},
            {"id": "exact_uart_tx", "code": exact, "license": "MIT", "repo": "planted/exact"},
            {"id": "renamed_ref", "code": renamed, "license": "MIT", "repo": "planted/ref"}]
    dest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return dest


@pytest.fixture(scope="module")
def slice_build(tmp_path_factory, shared):
    tmp = tmp_path_factory.mktemp("slice")
    config = {
        "sources": [{"name": "corpus", "kind": "manifest", "path": str(_slice_manifest(shared, tmp / "m.jsonl")),
                     "files_dir": str(shared / "rtl-corpus" / "files")},
                    {"name": "planted", "kind": "jsonl", "path": str(_planted(shared, tmp / "planted.jsonl"))}],
        "stages": [{"stage": s} for s in ("ingest", "split", "close", "size", "generated", "parses", "compiles",
                                          "lints", "synthesises", "dedup")]
        + [{"stage": "decontam", "options": {"data_dirs": {"verilogeval-v2-spec-to-rtl": str(shared / "verilog-eval")}}}],
        "export": {"validation_fraction": 0.3}, "progress": False}
    (tmp / "slice.yaml").write_text(yaml.safe_dump(config))
    cfg = load_pipeline(tmp / "slice.yaml")
    return build(cfg, tmp / "out"), tmp / "out"


def _drops(out: Path, stage: str) -> dict[str, tuple[str, str]]:
    path = next(out.glob(f"*-{stage}.jsonl"))
    return {r["id"]: (r["reason"], r["detail"]) for r in map(json.loads, path.read_text().splitlines())
            if r["kind"] == "drop"}


@pytest.mark.requires_data
@pytest.mark.requires_iverilog
@pytest.mark.requires_verilator
@pytest.mark.requires_yosys
@pytest.mark.slow
def test_slice_goes_through_every_core_stage(slice_build):
    result, out = slice_build
    counts = json.loads((out / "counts.json").read_text())
    assert [k.split("-", 1)[1] for k in counts] == ["ingest", "split", "close", "size", "generated", "parses",
                                                    "compiles", "lints", "synthesises", "dedup", "decontam"]
    assert counts["00-ingest"]["in"] == 33
    assert counts["00-ingest"]["dropped"].get("kind_excluded", 0) >= 2  # the SPI test benches
    for c in counts.values():
        assert c["in"] == c["out"] + sum(c["dropped"].values()) or c["out"] > c["in"]  # split makes more
    assert result.samples >= 8
    rows = [json.loads(line) for split in ("train", "validation")
            for line in (out / "export" / "sft" / f"{split}.jsonl").read_text().splitlines()]
    assert len(rows) == result.samples
    assert all(classify(r["license"]) is LicenseVerdict.PERMISSIVE for r in rows)
    assert rows[0]["messages"][-1]["content"].startswith("```verilog")
    import datasets

    assert datasets.load_from_disk(str(out / "export" / "hf" / "sft"))["train"].num_rows + \
        datasets.load_from_disk(str(out / "export" / "hf" / "sft"))["validation"].num_rows == result.samples
    card = (out / "README.md").read_text()
    for heading in ("## Stages", "### Drops by reason", "## Licenses", "## Teachers and prompts", "## Contamination"):
        assert heading in card
    assert (out / "config.yaml").exists() and "threshold: 0.7" in (out / "config.yaml").read_text()


@pytest.mark.requires_data
@pytest.mark.requires_iverilog
@pytest.mark.requires_verilator
@pytest.mark.requires_yosys
@pytest.mark.slow
def test_planted_duplicates_found_and_clusters_never_straddle_splits(slice_build):
    _result, out = slice_build
    drops = _drops(out, "dedup")
    tx = [i for i in drops if i.startswith(("planted:near_uart_tx", "planted:exact_uart_tx"))] + \
        [i for i in drops if i.endswith("uart_tx.v::uart_tx")]
    assert len(tx) == 2, drops  # three copies of uart_tx, one kept
    reasons = {drops[i][0] for i in tx}
    assert reasons == {"exact_duplicate", "near_duplicate"}
    clusters: dict[str, set[str]] = {}
    for split in ("train", "validation"):
        for line in (out / "export" / "sft" / f"{split}.jsonl").read_text().splitlines():
            clusters.setdefault(json.loads(line)["cluster"], set()).add(split)
    assert all(len(v) == 1 for v in clusters.values())


@pytest.mark.requires_data
@pytest.mark.requires_iverilog
@pytest.mark.requires_verilator
@pytest.mark.requires_yosys
@pytest.mark.slow
def test_planted_renamed_verilogeval_reference_is_found(slice_build, shared):
    _result, out = slice_build
    drops = _drops(out, "decontam")
    hit = [d for i, d in drops.items() if i.startswith("planted:renamed_ref")]
    assert hit and hit[0][0] == "contaminated", drops
    hits = [json.loads(line) for line in (out / "contamination.jsonl").read_text().splitlines()]
    problem, _ = _renamed_reference(shared)
    assert any(h["sample"].startswith("planted:renamed_ref") and h["problem"] == problem
               and h["task"] == "verilogeval-v2-spec-to-rtl" for h in hits)
    assert problem in (out / "README.md").read_text()


# -- resume after a kill -------------------------------------------------------------------------------------
@pytest.mark.requires_data
@pytest.mark.requires_iverilog
@pytest.mark.slow
def test_killed_build_resumes_where_it_stopped(tmp_path, shared):
    config = {"sources": [{"name": "corpus", "kind": "manifest", "path": str(_slice_manifest(shared, tmp_path / "m.jsonl")),
                           "files_dir": str(shared / "rtl-corpus" / "files")}],
              "stages": [{"stage": "ingest"}, {"stage": "split"}, {"stage": "close"},
                         {"stage": "compiles", "batch_size": 1}],
              "sandbox": {"cache_dir": "none"}, "export": {"formats": ["jsonl"]}, "progress": False}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "rtlgen.cli.main", "data", "build", str(tmp_path / "c.yaml"), "--out", str(out)]
    target = kill_after_batches(argv, REPO, out, "03-compiles.jsonl", 2, timeout_s=60)
    before = target.read_text()
    done_before = before.count('"kind": "done"')
    assert done_before >= 2 and not (out / "README.md").exists()
    # the file as it was cut: its finished batches stay byte for byte
    kept_prefix = before[:before.rindex('"kind": "done"')]
    kept_prefix = kept_prefix[:kept_prefix.rindex("\n") + 1]
    rerun = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    after = target.read_text()
    assert after.startswith(kept_prefix)
    records = [json.loads(line) for line in after.splitlines()]
    done = [i for r in records if r["kind"] == "done" for i in r["ids"]]
    assert len(done) == len(set(done))  # no batch done twice
    counts = json.loads((out / "counts.json").read_text())["03-compiles"]
    assert counts["in"] == len(done) == counts["out"] + sum(counts["dropped"].values())
    assert (out / "README.md").exists()


def test_odd_jsonl_records_repeated_ids_and_a_damaged_stage_file(tmp_path):
    """Every input is accounted for: a record nested too deeply, one over the size cap and one holding a
    4300-digit integer are bad records, a repeated id a counted drop (once, also after a resume); a stage file
    damaged before its last finished batch is one line naming it, its torn tail is cut and redone."""
    from rtlgen.datasets import sources

    mod = "module {n}(input x, output y); assign y = {e}; endmodule"
    rows = [json.dumps({"id": "s1", "code": mod.format(n="a", e="x")}), json.dumps({"id": "s1", "code": mod.format(
        n="b", e="~x")}), "[" * 100_000, "1" * 5000, "x" * 3000, json.dumps({"id": "s2", "code": mod.format(n="c", e="x")})]
    (tmp_path / "recs.jsonl").write_text("\n".join(rows) + "\n")
    (tmp_path / "c.yaml").write_text("sources:\n  - {name: recs, kind: jsonl, path: recs.jsonl, license: MIT}\n"
                                     "stages:\n  - stage: ingest\nprogress: false\n")
    old_cap, sources.MAX_RECORD_BYTES = sources.MAX_RECORD_BYTES, 2000
    try:
        for _ in range(2):  # the second run resumes the finished build
            build(load_pipeline(tmp_path / "c.yaml"), tmp_path / "out")
            counts = json.loads((tmp_path / "out" / "counts.json").read_text())["00-ingest"]
            assert counts == {**counts, "in": 6, "out": 2, "dropped": {"bad_record": 3, "duplicate_id": 1}}, counts
    finally:
        sources.MAX_RECORD_BYTES = old_cap
    stage = tmp_path / "out" / "00-ingest.jsonl"
    lines = stage.read_text().splitlines(keepends=True)
    stage.write_text(lines[0] + '{"kind": "drop"}\n' + "".join(lines[1:]))
    with pytest.raises(InputError, match=r"00-ingest.jsonl: line 2 is not a record this build wrote"):
        build(load_pipeline(tmp_path / "c.yaml"), tmp_path / "out")
    stage.write_text("".join(lines) + '{"kind": "sample", "sample": {"id": 1}}\n')  # a torn tail: cut, not an error
    build(load_pipeline(tmp_path / "c.yaml"), tmp_path / "out")
    assert stage.read_text() == "".join(lines)
