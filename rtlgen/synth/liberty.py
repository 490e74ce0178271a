"""Liberty files for ABC mapping: the shipped sky130hd default, any user path, gzip handled.

yosys-abc 0.23 cannot read gzipped liberty, so a ``.gz`` is decompressed once into the user cache
(keyed by the compressed file's content hash) and the plain file is what the ABC session reads.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

from rtlgen.errors import InputError
from rtlgen.paths import atomic_write, cache_root

DEFAULT_LIBERTY = Path(__file__).resolve().parent / "data" / "sky130hd_tt.lib.gz"


def synth_cache_dir() -> Path:
    """``$RTLGEN_CACHE_DIR/synth`` (default ``~/.cache/rtlgen/synth``): front-end AIGs, plain liberty files."""
    path = cache_root() / "synth"
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_liberty(path: str | os.PathLike | None = None) -> Path:
    """A readable, uncompressed liberty file for ``path`` (None: shipped sky130hd typical)."""
    src = Path(path) if path is not None else DEFAULT_LIBERTY
    try:
        raw = src.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read liberty file {src}: {exc.strerror or exc}; pass a readable --liberty") from exc
    if raw[:2] == b"\x1f\x8b":
        digest = hashlib.sha256(raw).hexdigest()[:20]
        plain = synth_cache_dir() / "liberty" / f"{src.name.removesuffix('.gz')}-{digest}"
        if not plain.exists():
            try:
                data = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                raise InputError(f"liberty file {src} is not valid gzip ({exc}); pass an uncompressed .lib") from exc
            _check_liberty_text(src, data)
            atomic_write(plain, data)
        return plain
    _check_liberty_text(src, raw)
    return src.resolve()


def _check_liberty_text(src: Path, data: bytes) -> None:
    if b"library" not in data[:20000] or b"cell" not in data:
        raise InputError(f"{src} does not look like a liberty file (no 'library'/'cell' groups); pass a .lib file")
