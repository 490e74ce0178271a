"""Find external tools (with an environment-variable override) and fingerprint them once per process."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from rtlgen.errors import ToolMissingError

# Tool name -> (environment override, argv that prints the version, install hint)
KNOWN_TOOLS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "iverilog": ("IVERILOG", ("-V",), "apt-get install iverilog"),
    "vvp": ("VVP", ("-V",), "apt-get install iverilog"),
    "verilator": ("VERILATOR", ("--version",), "apt-get install verilator"),
    "yosys": ("YOSYS", ("-V",), "apt-get install yosys"),
    "yosys-abc": ("YOSYS_ABC", ("-c", "version"), "apt-get install yosys"),
    "bwrap": ("BWRAP", ("--version",), "apt-get install bubblewrap"),
    "ccache": ("CCACHE", ("--version",), "apt-get install ccache"),
}


@dataclass(frozen=True)
class Tool:
    name: str
    path: str
    version: str


def find_tool(name: str) -> str:
    """Absolute path of ``name``; ``$ENVVAR`` overrides PATH. Raises ToolMissingError naming the fix."""
    env_var, _, hint = KNOWN_TOOLS.get(name, (name.upper().replace("-", "_"), (), f"install {name}"))
    override = os.environ.get(env_var)
    if override:
        path = shutil.which(override)
        if not path:
            raise ToolMissingError(f"{env_var}={override!r} is not an executable; fix or unset {env_var}")
        return os.path.realpath(path)
    path = shutil.which(name)
    if not path:
        raise ToolMissingError(f"{name} not found on PATH: {hint}, or set {env_var}=/path/to/{name}")
    return os.path.realpath(path)


def has_tool(name: str) -> bool:
    try:
        find_tool(name)
    except ToolMissingError:
        return False
    return True


@functools.cache
def tool_version(name: str) -> str:
    """First version-looking line the tool prints (trusted tool, so run directly, not sandboxed)."""
    path = find_tool(name)
    args = KNOWN_TOOLS.get(name, ("", ("--version",), ""))[1]
    try:
        out = subprocess.run([path, *args], capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolMissingError(f"{name} at {path} does not run ({exc}); reinstall it") from exc
    text = (out.stdout + out.stderr).decode(errors="replace")
    for line in text.splitlines():
        if re.search(r"\d+\.\d+", line) and "command line" not in line:
            return line.strip()
    return text.strip().splitlines()[0] if text.strip() else "unknown"


def get_tool(name: str) -> Tool:
    return Tool(name=name, path=find_tool(name), version=tool_version(name))


def fingerprint(executable: str) -> str:
    """Identity of an executable for cache keys: resolved path, size and mtime (a reinstall changes it)."""
    path = executable if os.path.isabs(executable) else (shutil.which(executable) or executable)
    try:
        st = os.stat(path)
    except OSError:
        return f"{executable}:missing"
    return f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"
