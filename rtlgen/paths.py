"""Where rtlgen keeps its files, and how it writes them so that readers never see half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_root() -> Path:
    """``$RTLGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/rtlgen``, else ``~/.cache/rtlgen``."""
    explicit = os.environ.get("RTLGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "rtlgen"


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write to a temporary name in the same folder, then rename over ``path``.

    ``mode`` defaults to world-readable: confined tools run as another uid and may need to read it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
