"""Download a benchmark at pinned upstream commits and check every file against a shipped sha256 manifest.

    rtlgen data fetch verilogeval [--dest DIR]
    rtlgen data fetch rtllm [--dest DIR]

RTLLM (hkust-zhiyao/RTLLM) is kept flat at one commit (v1.1) and by class at another (v2.0); each maps to
``v1.1/`` and ``v2.0/``, keeping only the manifest's files (upstream's model-generated examples and
pictures are left out), the same layout as ``../shared/rtllm``.

Upstream keeps v2 in ``dataset_*`` folders and ``scripts/`` (ICL prefixes) on ``main``, and v1 in
``data/`` and ``descriptions/`` on ``release/1.0.0``. Both are mapped into rtlgen's layout
(``v1/``, ``v2/``, the same as ``../shared/verilog-eval``). Nothing is written to the destination
unless every manifest file arrived with the right hash; the copy is then moved in atomically.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rtlgen.errors import DataMissingError, InputError

DEFAULT_URL = "https://codeload.github.com/NVlabs/verilog-eval/tar.gz/{commit}"
URL_ENV = "RTLGEN_VERILOGEVAL_URL"  # a template with {commit}, for mirrors (file:// works too)


@dataclass(frozen=True)
class FetchReport:
    dest: str
    files: int
    commits: dict[str, str]


@dataclass(frozen=True)
class DatasetSpec:
    """Where a benchmark comes from and how its archives map into rtlgen's layout."""

    name: str
    manifest: str  # package data file in rtlgen.evals
    url: str  # archive URL template with {commit}
    url_env: str  # environment variable overriding ``url`` (a mirror; file:// works)
    offline_hint: str


VERILOGEVAL = DatasetSpec("verilogeval", "verilogeval_manifest.json", DEFAULT_URL, URL_ENV,
                          "copy a VerilogEval checkout laid out as v1/ and v2/ and pass --data-dir DIR")
RTLLM = DatasetSpec("rtllm", "rtllm_manifest.json", "https://codeload.github.com/hkust-zhiyao/RTLLM/tar.gz/{commit}",
                    "RTLGEN_RTLLM_URL", "pass --data-dir pointing at a copy laid out as v1.1/ and v2.0/ "
                    "(../shared/rtllm is one)")
DATASETS = {spec.name: spec for spec in (VERILOGEVAL, RTLLM)}


def load_manifest(spec: DatasetSpec = VERILOGEVAL) -> dict:
    return json.loads(resources.files("rtlgen.evals").joinpath(spec.manifest).read_text())


def upstream_to_local(version: str, upstream_path: str, manifest: dict | None = None) -> str | None:
    """Where an upstream file (path inside the archive, top folder stripped) lives in our layout."""
    if version.startswith("v") and "." in version:  # RTLLM: the same path under its version, if the manifest has it
        local = f"{version}/{upstream_path}"
        return local if manifest is not None and local in manifest["files"] else None
    name = upstream_path.rsplit("/", 1)[-1]
    if version == "v2":
        if upstream_path == "LICENSE":
            return "LICENSE"
        for folder in ("spec-to-rtl", "code-complete-iccad2023"):
            if upstream_path.startswith(f"dataset_{folder}/"):
                return f"v2/{folder}/{name}"
        if upstream_path.startswith("scripts/") and name.endswith(".txt") and "example-prefix" in name:
            return "v2/icl-examples/" + name.replace(" default", "-default")
        return None
    if upstream_path.startswith("data/example/"):
        return f"v1/example/{name}"
    if upstream_path.startswith("data/") and name.endswith(".jsonl") and upstream_path.count("/") == 1:
        return f"v1/data/{name}"
    if upstream_path.startswith("descriptions/"):
        return f"v1/descriptions/{name}"
    return None


def _download(url: str, spec: DatasetSpec = VERILOGEVAL) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310 - pinned https URL or a user-set mirror
            return resp.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataMissingError(
            f"could not download {url} ({getattr(exc, 'reason', exc)}); you are probably offline: {spec.offline_hint}, "
            f"or set {spec.url_env} to a mirror") from exc


def _extract(archive: bytes, version: str, out: Path, manifest: dict | None = None) -> set[str]:
    found: set[str] = set()
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
        for member in tar:
            if not member.isfile() or "/" not in member.name:
                continue
            local = upstream_to_local(version, member.name.split("/", 1)[1], manifest)
            if local is None:
                continue
            target = out / local
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())
            found.add(local)
    return found


def verify(directory: Path, manifest: dict | None = None) -> list[str]:
    """Manifest paths that are missing or differ under ``directory`` (empty list: all good)."""
    files = (manifest or load_manifest())["files"]
    bad = []
    for rel, digest in files.items():
        path = directory / rel
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            bad.append(rel)
    return bad


def fetch_verilogeval(dest: Path, *, url_template: str | None = None,
                      download: Callable[[str], bytes] | None = None) -> FetchReport:
    return fetch_dataset(VERILOGEVAL, dest, url_template=url_template, download=download)


def fetch_dataset(spec: DatasetSpec, dest: Path, *, url_template: str | None = None,
                  download: Callable[[str], bytes] | None = None) -> FetchReport:
    """Every pinned commit's archive, mapped, verified in a staging dir, then moved to ``dest`` atomically."""
    manifest = load_manifest(spec)
    template = url_template or os.environ.get(spec.url_env) or spec.url
    if "{commit}" not in template:
        raise InputError(f"{spec.url_env} must contain '{{commit}}', not {template!r}")
    fetch_one = download or (lambda url: _download(url, spec))
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".fetch-") as tmp:
        staging = Path(tmp) / spec.name
        for version, commit in manifest["commits"].items():
            _extract(fetch_one(template.format(commit=commit)), version, staging, manifest)
        bad = verify(staging, manifest)
        if bad:
            raise DataMissingError(f"downloaded {spec.name} does not match the pinned manifest ({len(bad)} files, "
                                   f"e.g. {bad[0]}); nothing was written to {dest}")
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    return FetchReport(dest=str(dest), files=len(manifest["files"]), commits=dict(manifest["commits"]))
