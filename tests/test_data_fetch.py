"""`rtlgen data fetch`: path mapping, manifest check, offline error; archives built from the shared copy."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from rtlgen.cli.main import main
from rtlgen.errors import DataMissingError
from rtlgen.evals.fetch import fetch_verilogeval, load_manifest, upstream_to_local, verify

pytestmark = pytest.mark.requires_data

LOCAL_TO_UPSTREAM = {
    "v2/spec-to-rtl/": "dataset_spec-to-rtl/", "v2/code-complete-iccad2023/": "dataset_code-complete-iccad2023/",
    "v2/icl-examples/": "scripts/", "v1/example/": "data/example/", "v1/data/": "data/",
    "v1/descriptions/": "descriptions/",
}


def _upstream_archives(shared: Path, corrupt: str | None = None) -> dict[str, bytes]:
    """Tarballs laid out as upstream's two commits, made from the shared copy."""
    manifest = load_manifest()
    members: dict[str, list[tuple[str, bytes]]] = {"v1": [], "v2": []}
    for rel in manifest["files"]:
        data = (shared / "verilog-eval" / rel).read_bytes()
        if rel == corrupt:
            data += b"tampered"
        if rel == "LICENSE":
            members["v2"].append(("LICENSE", data))
            continue
        for local, upstream in LOCAL_TO_UPSTREAM.items():
            if rel.startswith(local):
                name = rel[len(local):].replace("-default", " default")
                members[rel[:2]].append((upstream + name, data))
                break
    archives = {}
    for version, files in members.items():
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, data in files + [("README.md", b"upstream readme")]:
                info = tarfile.TarInfo(f"verilog-eval-{manifest['commits'][version]}/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        archives[manifest["commits"][version]] = buf.getvalue()
    return archives


def test_mapping():
    assert upstream_to_local("v2", "dataset_spec-to-rtl/Prob001_zero_ref.sv") == "v2/spec-to-rtl/Prob001_zero_ref.sv"
    assert upstream_to_local("v2", "scripts/verilog-example-prefix_spec-to-rtl_1-shot default.txt") == \
        "v2/icl-examples/verilog-example-prefix_spec-to-rtl_1-shot-default.txt"
    assert upstream_to_local("v2", "scripts/sv-generate") is None
    assert upstream_to_local("v1", "data/VerilogEval_Human.jsonl") == "v1/data/VerilogEval_Human.jsonl"
    assert upstream_to_local("v1", "data/example/ExampleEval.jsonl") == "v1/example/ExampleEval.jsonl"


def test_shared_copy_matches_manifest(shared):
    assert verify(shared / "verilog-eval") == []


def test_fetch_verifies_and_installs(shared, tmp_path):
    archives = _upstream_archives(shared)
    dest = tmp_path / "ve"
    report = fetch_verilogeval(dest, download=lambda url: archives[url.rsplit("/", 1)[1]])
    assert report.files == len(load_manifest()["files"])
    assert verify(dest) == []


def test_fetch_rejects_tampered_data(shared, tmp_path):
    archives = _upstream_archives(shared, corrupt="v2/spec-to-rtl/Prob001_zero_test.sv")
    with pytest.raises(DataMissingError, match="does not match"):
        fetch_verilogeval(tmp_path / "ve", download=lambda url: archives[url.rsplit("/", 1)[1]])
    assert not (tmp_path / "ve").exists()


def test_offline_is_one_line_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RTLGEN_VERILOGEVAL_URL", f"file://{tmp_path}/nothing-{{commit}}.tar.gz")
    rc = main(["data", "fetch", "verilogeval", "--dest", str(tmp_path / "ve")])
    err = capsys.readouterr().err
    assert rc != 0 and "--data-dir" in err and len(err.strip().splitlines()) == 1


def test_cli_verify(shared, capsys):
    assert main(["data", "verify", "verilogeval", "--data-dir", str(shared / "verilog-eval")]) == 0
    assert "match" in capsys.readouterr().out
