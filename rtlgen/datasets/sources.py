"""Where a build's code comes from: folders, git checkouts, JSONL files, Hugging Face datasets, corpus manifests.

    for stub in list_source(SourceConfig(name="corpus", kind=SourceKind.MANIFEST, path="rtl-corpus/manifest.jsonl")):
        ...   # Sample with provenance and meta["ingest"]["file"]; the ingest stage reads the file

Listing reads no HDL file: file-based sources yield stubs (empty ``code``) that the ingest stage reads
under its caps; record-based sources (JSONL, datasets) yield the records' code. A git checkout's
commit and remote come from ``.git`` itself (HEAD, refs, packed-refs, config), read with small caps:
nothing is run, and nothing outside the checkout is opened. Nothing is ever downloaded.
"""

from __future__ import annotations

import enum
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rtlgen.config import help_
from rtlgen.datasets.licenses import LICENSE_FILES, spdx_from_license_text
from rtlgen.datasets.sample import Provenance, Sample
from rtlgen.errors import InputError

MAX_LISTED = 1_000_000  # files or records per source: more is a mistake (a home directory), not a corpus
_SMALL = 1 << 16  # .git metadata files are tiny
_PACKED_REFS_MAX = 4 << 20


class SourceKind(enum.StrEnum):
    FOLDER = "folder"  # every file with one of ``extensions`` under ``path``
    GIT = "git"  # a folder that is a git checkout: its commit and remote are recorded
    MANIFEST = "manifest"  # a manifest.jsonl (path, repo, commit, license, kind) next to a files/ folder
    JSONL = "jsonl"  # one JSON object per line holding the code
    HF = "hf"  # a Hugging Face dataset: a save_to_disk folder or local .parquet/.json/.jsonl/.csv files


@dataclass(frozen=True)
class SourceConfig:
    """One source of code in a pipeline config."""

    name: str = field(metadata=help_("short name, the prefix of every sample id from this source"))
    kind: SourceKind = field(metadata=help_("folder, git, manifest, jsonl or hf"))
    path: str = field(metadata=help_("folder, manifest.jsonl, JSONL file or dataset path; relative to the config"))
    license: str = field(default="", metadata=help_("SPDX license of the whole source when files do not say"))
    repo: str = field(default="", metadata=help_("repository name recorded in provenance (default: from .git)"))
    extensions: tuple[str, ...] = field(default=(".v", ".sv"), metadata=help_("file suffixes taken from folders"))
    kinds: tuple[str, ...] = field(default=("design", "package"), metadata=help_(
        "manifest rows kept by their 'kind' (design, package, testbench, include); others are dropped as kind_excluded"))
    files_dir: str = field(default="files", metadata=help_("manifest: folder of the files, next to the manifest"))
    code_field: str = field(default="code", metadata=help_("jsonl/hf: field holding the code"))
    id_field: str = field(default="id", metadata=help_("jsonl/hf: field holding a unique id (default: row number)"))
    license_field: str = field(default="license", metadata=help_("jsonl/hf: field holding the SPDX license"))
    split: str = field(default="train", metadata=help_("hf: the split to read"))
    limit: int = field(default=0, metadata=help_("take at most this many files or records (0: all), for slices"))


def list_source(cfg: SourceConfig, base: Path | None = None) -> Iterator[Sample]:
    """Stubs or records of one source, in a stable order."""
    path = Path(cfg.path) if Path(cfg.path).is_absolute() or base is None else base / cfg.path
    if not path.exists():
        raise InputError(f"source {cfg.name!r}: {path} does not exist; check its 'path'")
    listers = {SourceKind.FOLDER: _list_folder, SourceKind.GIT: _list_folder, SourceKind.MANIFEST: _list_manifest,
               SourceKind.JSONL: _list_jsonl, SourceKind.HF: _list_hf}
    for n, sample in enumerate(listers[cfg.kind](cfg, path)):
        if (cfg.limit and n >= cfg.limit) or n >= MAX_LISTED:
            return
        yield sample


def _stub(cfg: SourceConfig, root: Path, rel: str, prov: Provenance, tree: Path | None = None, **facts) -> Sample:
    """``tree``: the repository's own folder, the only place its includes may come from (default ``root``)."""
    return Sample(id=f"{cfg.name}:{rel}", code="", provenance=prov,
                  meta={"ingest": {"file": str(root / rel), "root": str(tree or root), **facts}})


def _list_folder(cfg: SourceConfig, root: Path) -> Iterator[Sample]:
    if not root.is_dir():
        raise InputError(f"source {cfg.name!r}: {root} is not a folder; a {cfg.kind.value} source is a folder")
    commit, remote = git_head(root) if cfg.kind is SourceKind.GIT else ("", "")
    license = cfg.license or license_of_folder(root)
    prov = Provenance(source=cfg.name, repo=cfg.repo or remote or root.name, commit=commit, license=license)
    for rel in walk_files(root, cfg.extensions):
        yield _stub(cfg, root, rel, Provenance(**{**prov.__dict__, "path": rel}))


def walk_files(root: Path, extensions: tuple[str, ...]) -> Iterator[str]:
    """Relative paths of files under ``root`` with one of ``extensions``, sorted; links to folders are not
    followed (a linked file is listed: the ingest stage refuses it when it points out of the tree)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            if name.endswith(tuple(extensions)):
                yield os.path.relpath(os.path.join(dirpath, name), root)


def _list_manifest(cfg: SourceConfig, manifest: Path) -> Iterator[Sample]:
    files = manifest.parent / cfg.files_dir
    with manifest.open("r", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                row = json.loads(line)
                rel = str(row["path"])
            except (ValueError, KeyError, TypeError):
                raise InputError(f"{manifest} line {n} is not a manifest row with a 'path'; fix or remove it") from None
            top = rel.split("/", 1)[0]  # owner__repo: the repository's own tree, for includes
            prov = Provenance(source=cfg.name, repo=str(row.get("repo", "")), path=rel, commit=str(row.get("commit", "")),
                              license=str(row.get("license", "")) or cfg.license)
            kind = str(row.get("kind", ""))
            yield _stub(cfg, files, rel, prov, files / top, kind=kind, excluded=bool(cfg.kinds) and kind not in cfg.kinds)


def _record(cfg: SourceConfig, row: Mapping, n: int, where: str) -> Sample:
    code = row.get(cfg.code_field)
    rid = row.get(cfg.id_field)
    prov = Provenance(source=cfg.name, repo=str(row.get("repo") or cfg.repo), path=str(row.get("path") or ""),
                      commit=str(row.get("commit") or ""), license=str(row.get(cfg.license_field) or cfg.license))
    meta = {"ingest": {"record": n, "where": where}}
    if not isinstance(code, str):
        meta["ingest"]["bad"] = f"field {cfg.code_field!r} is {type(code).__name__}, not text"
        code = ""
    return Sample(id=f"{cfg.name}:{rid if rid not in (None, '') else n}", code=code, provenance=prov, meta=meta)


MAX_RECORD_BYTES = 16 << 20  # one JSONL record: a file's code and its metadata; more is not a record


def _lines(fh, limit: int) -> Iterator[bytes | None]:
    """The file's lines; None for one longer than ``limit`` (read past in pieces, never held whole)."""
    while raw := fh.readline(limit + 1):
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = fh.readline(1 << 20)
            yield None
        else:
            yield raw


def _list_jsonl(cfg: SourceConfig, path: Path) -> Iterator[Sample]:
    with path.open("rb") as fh:
        for n, raw in enumerate(_lines(fh, MAX_RECORD_BYTES)):
            bad = f"a record over {MAX_RECORD_BYTES >> 20} MiB" if raw is None else "not a JSON object"
            try:
                row = json.loads(raw) if raw is not None else None
            except (ValueError, RecursionError):  # not JSON, a 4300-digit integer, nested too deeply
                row = None
            if not isinstance(row, dict):
                yield Sample(id=f"{cfg.name}:{n}", code="", provenance=Provenance(source=cfg.name),
                             meta={"ingest": {"record": n, "bad": bad}})
                continue
            yield _record(cfg, row, n, str(path))


def _list_hf(cfg: SourceConfig, path: Path) -> Iterator[Sample]:
    try:
        import datasets
    except ImportError:
        raise InputError("an hf source needs the datasets package: pip install 'rtlgen[train]'") from None
    if path.is_dir():
        ds = datasets.load_from_disk(str(path))
        if isinstance(ds, datasets.DatasetDict):
            if cfg.split not in ds:
                raise InputError(f"source {cfg.name!r}: no split {cfg.split!r} in {path}; it has {', '.join(ds)}")
            ds = ds[cfg.split]
    else:
        builders = {".parquet": "parquet", ".json": "json", ".jsonl": "json", ".csv": "csv"}
        builder = builders.get(path.suffix.lower())
        if builder is None:
            raise InputError(f"source {cfg.name!r}: {path} is not a dataset folder or a {', '.join(builders)} file")
        ds = datasets.load_dataset(builder, data_files=str(path), split="train")
    if cfg.code_field not in ds.column_names:
        raise InputError(f"source {cfg.name!r}: no column {cfg.code_field!r} in {path}; set code_field to one of "
                         f"{', '.join(ds.column_names)}")
    for n, row in enumerate(ds):
        yield _record(cfg, row, n, str(path))


# -- git metadata, read without running git -----------------------------------------------------------------
def _read_small(path: Path, cap: int = _SMALL) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ""
    try:
        return os.read(fd, cap).decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        os.close(fd)


def git_head(root: Path) -> tuple[str, str]:
    """(commit sha, "owner/name" of the origin remote) of a checkout, "" where unknown. A ``.git`` file
    (worktree, submodule) is followed only when it points inside the checkout."""
    git = root / ".git"
    if git.is_file() and not git.is_symlink():
        target = _read_small(git).removeprefix("gitdir:").strip()
        resolved = (root / target).resolve()
        if not resolved.is_relative_to(root.resolve()):
            return "", ""
        git = resolved
    if not git.is_dir() or git.is_symlink():
        return "", ""
    head = _read_small(git / "HEAD").strip()
    commit = ""
    if re.fullmatch(r"[0-9a-f]{40}", head):
        commit = head
    elif head.startswith("ref:"):
        ref = head[4:].strip()
        if re.fullmatch(r"refs/[A-Za-z0-9._/\-]+", ref) and ".." not in ref:
            commit = _read_small(git / ref).strip()
            if not re.fullmatch(r"[0-9a-f]{40}", commit):
                packed = _read_small(git / "packed-refs", _PACKED_REFS_MAX)
                m = re.search(rf"^([0-9a-f]{{40}}) {re.escape(ref)}$", packed, re.MULTILINE)
                commit = m.group(1) if m else ""
    m = re.search(r'\[remote "origin"\][^\[]*?url\s*=\s*(\S+)', _read_small(git / "config"))
    remote = ""
    if m:
        parts = re.split(r"[/:]", m.group(1).removesuffix(".git").rstrip("/"))
        remote = "/".join(parts[-2:]) if len(parts) >= 2 else ""
    return commit, remote


def license_of_folder(root: Path) -> str:
    """The license a folder's top-level LICENSE/COPYING file reads as, or ""."""
    found = [spdx_from_license_text(_read_small(root / name, 1 << 20)) for name in LICENSE_FILES]
    found = [f for f in dict.fromkeys(found) if f]
    return " OR ".join(found)


def shared_root() -> Path:
    """The shared data folder: ``$RTLGEN_SHARED``, else ``shared/`` next to the repository (``../shared``)."""
    explicit = os.environ.get("RTLGEN_SHARED")
    if explicit:
        return Path(explicit).expanduser()
    beside_repo = Path(__file__).resolve().parents[3] / "shared"
    return beside_repo if beside_repo.is_dir() else Path.cwd().parent / "shared"
