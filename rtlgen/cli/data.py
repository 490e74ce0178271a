"""`rtlgen data fetch verilogeval` and `rtlgen data verify verilogeval`: get benchmark data, check it is intact."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from rtlgen.errors import DataMissingError, InputError
from rtlgen.outdir import ensure_out_dir

data_app = typer.Typer(help="Fetch and verify benchmark data.", no_args_is_help=True)
DATASETS = ("verilogeval",)


def _check_name(name: str) -> None:
    if name not in DATASETS:
        raise InputError(f"unknown dataset {name!r}; available: {', '.join(DATASETS)}")


def _check_dest(dest: Path) -> None:
    """Before downloading: the copy replaces ``dest`` wholesale, so it must be new, empty or an old copy."""
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir():
            raise InputError(f"--dest {dest} exists and is not a directory; pass a new or empty directory")
        try:
            entries = {p.name for p in dest.iterdir()}
        except OSError as exc:
            raise InputError(f"--dest {dest} cannot be listed ({exc.strerror or exc}); "
                             "pass another directory") from None
        if entries and not entries & {"v1", "v2"}:
            raise InputError(f"--dest {dest} holds files that are not a VerilogEval copy, and fetching replaces the "
                             "whole directory; pass a new or empty directory")
    ensure_out_dir(dest.parent if str(dest.parent) else Path("."), what="the folder of --dest")


@data_app.command("fetch")
def fetch(name: str = typer.Argument(..., help="dataset name: verilogeval"),
          dest: str = typer.Option(None, help="target dir (default: the user cache the evals read)"),
          as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Download VerilogEval v1 + v2 at the pinned commits and check every file's sha256."""
    _check_name(name)
    from rtlgen.evals.datadir import user_cache_dir
    from rtlgen.evals.fetch import fetch_verilogeval

    target = Path(dest) if dest else user_cache_dir()
    _check_dest(target)
    report = fetch_verilogeval(target)
    if as_json:
        print(json.dumps(report.__dict__))
    else:
        print(f"verilogeval: {report.files} files verified into {report.dest}")


@data_app.command("verify")
def verify(name: str = typer.Argument(..., help="dataset name: verilogeval"),
           data_dir: str = typer.Option(None, help="data dir (default: as `rtlgen eval` resolves it)")) -> None:
    """Check a VerilogEval copy against the pinned sha256 manifest."""
    _check_name(name)
    from rtlgen.evals.datadir import resolve_data_dir
    from rtlgen.evals.fetch import load_manifest
    from rtlgen.evals.fetch import verify as verify_dir

    path = resolve_data_dir(data_dir)
    bad = verify_dir(path)
    if bad:
        raise DataMissingError(f"{len(bad)} of {len(load_manifest()['files'])} files missing or changed under {path}, "
                               f"e.g. {bad[0]}; re-run `rtlgen data fetch verilogeval`")
    print(f"verilogeval at {path}: all {len(load_manifest()['files'])} files match the pinned manifest")


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
