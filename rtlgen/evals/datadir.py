"""Where the VerilogEval data lives: ``--data-dir``, else ``$RTLGEN_VERILOGEVAL_DIR``, else the user cache.

The layout under the directory is that of the shared copy (``v1/``, ``v2/``; see its README);
``rtlgen data fetch verilogeval`` fills the user cache (``user_cache_dir()``).
"""

from __future__ import annotations

import os
from pathlib import Path

from rtlgen.errors import DataMissingError
from rtlgen.paths import cache_root

ENV_VAR = "RTLGEN_VERILOGEVAL_DIR"
FETCH_HINT = "run `rtlgen data fetch verilogeval` or pass --data-dir"


def user_cache_dir() -> Path:
    """``$RTLGEN_CACHE_DIR/verilog-eval``, else ``$XDG_CACHE_HOME/rtlgen/verilog-eval`` (``~/.cache`` by default)."""
    return cache_root() / "verilog-eval"


def resolve_data_dir(data_dir: str | None) -> Path:
    """The directory to read; raises DataMissingError (with how to get the data) when it holds neither v1/ nor v2/."""
    if data_dir:
        path, source = Path(data_dir).expanduser(), "--data-dir"
    elif os.environ.get(ENV_VAR):
        path, source = Path(os.environ[ENV_VAR]).expanduser(), f"${ENV_VAR}"
    else:
        path, source = user_cache_dir(), "the user cache"
    if not path.is_dir() or not ((path / "v1").is_dir() or (path / "v2").is_dir()):
        raise DataMissingError(f"no VerilogEval data at {path} (from {source}): {FETCH_HINT}")
    return path


def require(path: Path, what: str) -> Path:
    """``path`` if it exists, else a one-line DataMissingError naming it."""
    if not path.exists():
        raise DataMissingError(f"{what} missing: {path} not found; {FETCH_HINT}")
    return path
