"""`rtlgen data fetch|verify verilogeval|rtllm`: get benchmark data at pinned commits, check it is intact.
`rtlgen data build CONFIG.yaml --out DIR`: run a training-data pipeline (``rtlgen.datasets.pipeline``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from rtlgen.errors import DataMissingError, InputError
from rtlgen.outdir import ensure_out_dir

data_app = typer.Typer(help="Fetch and verify benchmark data; build training data.", no_args_is_help=True)
DATASETS = ("verilogeval", "rtllm")
_LAYOUT = {"verilogeval": {"v1", "v2"}, "rtllm": {"v1.1", "v2.0"}}
_TITLES = {"verilogeval": "VerilogEval", "rtllm": "RTLLM"}


def _check_name(name: str) -> None:
    if name not in DATASETS:
        raise InputError(f"unknown dataset {name!r}; available: {', '.join(DATASETS)}")


def _check_dest(dest: Path, name: str = "verilogeval") -> None:
    """Before downloading: the copy replaces ``dest`` wholesale, so it must be new, empty or an old copy."""
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir():
            raise InputError(f"--dest {dest} exists and is not a directory; pass a new or empty directory")
        try:
            entries = {p.name for p in dest.iterdir()}
        except OSError as exc:
            raise InputError(f"--dest {dest} cannot be listed ({exc.strerror or exc}); "
                             "pass another directory") from None
        if entries and not entries & _LAYOUT[name]:
            raise InputError(f"--dest {dest} holds files that are not a {_TITLES[name]} copy, and fetching replaces the "
                             "whole directory; pass a new or empty directory")
    ensure_out_dir(dest.parent if str(dest.parent) else Path("."), what="the folder of --dest")


@data_app.command("fetch")
def fetch(name: str = typer.Argument(..., help="dataset name: verilogeval or rtllm"),
          dest: str = typer.Option(None, help="target dir (default: the user cache the evals read)"),
          as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Download VerilogEval v1 + v2 or RTLLM v1.1 + v2.0 at the pinned commits and check every file's sha256."""
    _check_name(name)
    from rtlgen.evals.datadir import user_cache_dir
    from rtlgen.evals.fetch import DATASETS as SPECS
    from rtlgen.evals.fetch import fetch_dataset
    from rtlgen.paths import cache_root

    target = Path(dest) if dest else (user_cache_dir() if name == "verilogeval" else cache_root() / name)
    _check_dest(target, name)
    report = fetch_dataset(SPECS[name], target)
    if as_json:
        print(json.dumps(report.__dict__))
    else:
        print(f"{name}: {report.files} files verified into {report.dest}")


@data_app.command("verify")
def verify(name: str = typer.Argument(..., help="dataset name: verilogeval or rtllm"),
           data_dir: str = typer.Option(None, help="data dir (default: as `rtlgen eval` resolves it)")) -> None:
    """Check a benchmark copy against its pinned sha256 manifest."""
    _check_name(name)
    from rtlgen.evals.fetch import DATASETS as SPECS
    from rtlgen.evals.fetch import load_manifest
    from rtlgen.evals.fetch import verify as verify_dir
    from rtlgen.evals.registry import get_task

    task = get_task("verilogeval-v2-spec-to-rtl" if name == "verilogeval" else "rtllm-v2.0")
    path = task.resolve_data(data_dir)
    manifest = load_manifest(SPECS[name])
    bad = verify_dir(path, manifest)
    if bad:
        raise DataMissingError(f"{len(bad)} of {len(manifest['files'])} files missing or changed under {path}, "
                               f"e.g. {bad[0]}; re-run `rtlgen data fetch {name}`")
    print(f"{name} at {path}: all {len(manifest['files'])} files match the pinned manifest")


@data_app.command("build")
def build(config: Path = typer.Argument(..., help="pipeline YAML (see rtlgen/datasets/configs/corpus.yaml)"),
          out: Path = typer.Option(..., "--out", help="build folder; running again resumes it"),
          overrides: list[str] = typer.Option([], "--set", help="KEY=VALUE over the YAML; stages.NAME.KEY for a stage"),
          progress: bool = typer.Option(True, help="progress bars on stderr"),
          as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Run a dataset pipeline: sources, stages (each resumable), export, dataset card."""
    from rtlgen.datasets.pipeline import build as run_build
    from rtlgen.datasets.pipeline import load_pipeline

    cfg = load_pipeline(config, [*overrides, *([] if progress else ["progress=false"])])
    ensure_out_dir(out, what="--out")
    result = run_build(cfg, out)
    if as_json:
        print(json.dumps({"out": str(result.out_dir), "samples": result.samples, "exported": result.exported,
                          "counts": {c.stage: c.to_json() for c in result.counts}, "card": str(result.card)}))
        return
    for c in result.counts:
        drops = ", ".join(f"{k} {v}" for k, v in sorted(c.dropped.items(), key=lambda kv: -kv[1])) or "none"
        print(f"{c.stage}: {c.n_in} in, {c.n_out} out ({drops})")
    print(f"{result.samples} samples; card {result.card}")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
