"""`rtlgen doctor`: which tools are found, whether the sandbox works here and why, where the cache is."""

from __future__ import annotations

import json
import platform

import typer

from rtlgen.errors import ToolMissingError
from rtlgen.sandbox import default_cache_dir, find_tool, sandbox_status, tool_version
from rtlgen.sandbox.tools import KNOWN_TOOLS


def collect() -> dict:
    tools = {}
    for name in KNOWN_TOOLS:
        try:
            tools[name] = {"path": find_tool(name), "version": tool_version(name)}
        except ToolMissingError as exc:
            tools[name] = {"path": None, "error": str(exc)}
    ok, reason = sandbox_status()
    try:
        import pyslang

        pyslang_version = getattr(pyslang, "__version__", "installed")
    except ImportError:
        pyslang_version = None
    return {
        "python": platform.python_version(),
        "tools": tools,
        "pyslang": pyslang_version,
        "sandbox": {"available": ok, "reason": reason},
        "cache_dir": default_cache_dir(),
    }


def doctor(as_json: bool = typer.Option(False, "--json", help="print one JSON object")) -> None:
    """Report tool versions, sandbox availability and the cache location."""
    info = collect()
    if as_json:
        print(json.dumps(info, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="rtlgen doctor")
    table.add_column("item")
    table.add_column("status")
    for name, t in info["tools"].items():
        table.add_row(name, f"[green]{t['version']}[/] ({t['path']})" if t.get("path") else f"[red]{t['error']}[/]")
    table.add_row("pyslang", info["pyslang"] or "[red]missing: pip install pyslang[/]")
    sb = info["sandbox"]
    table.add_row("sandbox", ("[green]ok[/] " if sb["available"] else "[red]unavailable[/] ") + sb["reason"])
    table.add_row("cache", info["cache_dir"])
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)
