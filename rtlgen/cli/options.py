"""Options shared by several commands, so each reads and behaves the same everywhere."""

from __future__ import annotations

import typer

from rtlgen.sandbox import Sandbox, default_sandbox

UNSAFE_HELP = "run tools without bubblewrap: only for code you trust (limits and a fresh dir still apply)"


def unsafe_option() -> bool:
    return typer.Option(False, "--unsafe-no-sandbox", help=UNSAFE_HELP)


def sandbox_for(unsafe: bool, cache_dir: str | None = None) -> Sandbox:
    """The bwrap sandbox, or with ``--unsafe-no-sandbox`` the explicit unconfined backend."""
    return default_sandbox(cache_dir, unsafe=unsafe)
