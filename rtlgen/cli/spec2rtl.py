"""`rtlgen spec2rtl` commands (placeholder until its room lands)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
