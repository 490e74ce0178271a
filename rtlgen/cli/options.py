"""Options shared by several commands, so each reads, checks and behaves the same everywhere.

Every numeric option is checked here (or with the ``rtlgen.inputs`` helpers these wrap) before any work
starts: nan, inf, negative, zero where it makes no sense, and absurd values are one-line errors that
name the option and its range.
"""

from __future__ import annotations

import re

import typer

from rtlgen.errors import InputError
from rtlgen.inputs import MAX_SECONDS, check_float, check_int, check_seconds
from rtlgen.sandbox import ExecutorKind, Sandbox, default_sandbox, parse_executor

EXECUTOR_HELP = "where tools run: local | remote:URL (an rtlgen serve) | ray:ADDRESS; default $RTLGEN_EXECUTOR"
UNSAFE_HELP = "run tools without bubblewrap: only for code you trust (limits and a fresh dir still apply)"
MAX_SEED = 2**31 - 1  # every backend (torch, numpy, random, OpenAI) accepts this range
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def unsafe_option() -> bool:
    return typer.Option(False, "--unsafe-no-sandbox", help=UNSAFE_HELP)


def executor_option() -> str | None:
    return typer.Option(None, "--executor", help=EXECUTOR_HELP)


def sandbox_for(unsafe: bool, cache_dir: str | None = None, executor: str | None = None) -> Sandbox:
    """The sandbox of ``--executor`` (default ``$RTLGEN_EXECUTOR``, else local bwrap), or with
    ``--unsafe-no-sandbox`` the explicit unconfined local backend."""
    if unsafe and executor and parse_executor(executor).kind is not ExecutorKind.LOCAL:
        raise InputError("--unsafe-no-sandbox applies to the local executor only; drop it or --executor")
    return default_sandbox(cache_dir, unsafe=unsafe, executor=executor)


def check_top(top: str | None, name: str = "--top") -> str | None:
    """A Verilog module name (simple identifier), or None; spaces and punctuation are refused."""
    if top is not None and not _IDENT.fullmatch(top):
        raise InputError(f"{name} must be a Verilog module name (a letter or _, then letters, digits, _ or $), "
                         f"not {top!r}")
    return top


def check_seed(seed: int, name: str = "--seed") -> int:
    return check_int(seed, name, minimum=0, maximum=MAX_SEED)


__all__ = ["MAX_SECONDS", "MAX_SEED", "UNSAFE_HELP", "check_float", "check_int", "check_seconds", "check_seed",
           "check_top", "executor_option", "sandbox_for", "unsafe_option"]
