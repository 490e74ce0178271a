"""Typed errors. Library code raises these; only the CLI turns them into exit codes and one-line messages."""

from __future__ import annotations


class RtlgenError(Exception):
    """Base class for every error rtlgen raises on purpose. ``str(err)`` is one line fit for a user."""

    exit_code: int = 2


class InputError(RtlgenError):
    """A user-supplied file, option or config value is wrong; the message names it and the fix."""


class ToolMissingError(RtlgenError):
    """An external tool (iverilog, yosys, ...) is not installed or not runnable."""

    exit_code = 3


class SandboxUnavailableError(RtlgenError):
    """Untrusted code cannot be run safely here (no bubblewrap) and no unsafe opt-out was given."""

    exit_code = 3


class DataMissingError(RtlgenError):
    """Benchmark or training data is not where it was looked for."""

    exit_code = 3
