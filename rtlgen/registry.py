"""What every plug-in registry shares: "did you mean" errors and lazy ``"module:object"`` targets.

Registries themselves stay where things plug in (simulators, benchmarks, search methods, model
schemes, rewards); this module only keeps their error messages and imports the same everywhere.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable

from rtlgen.errors import InputError


def suggestion(name: str, known: Iterable[str], *, cutoff: float = 0.6, list_known: bool = True) -> str:
    """``"did you mean 'x'? available: a, b"`` for an unknown ``name`` (either part may be absent)."""
    names = list(known)
    close = difflib.get_close_matches(name, names, n=1, cutoff=cutoff)
    hint = f"did you mean {close[0]!r}?" if close else ""
    listing = f"available: {', '.join(names) or '(none)'}" if list_known else ""
    return " ".join(part for part in (hint, listing) if part)


def unknown(kind: str, name: str, known: Iterable[str], **kwargs) -> InputError:
    """``InputError("unknown <kind> 'name'; did you mean ...? available: ...")``, to raise."""
    return InputError(f"unknown {kind} {name!r}; {suggestion(name, known, **kwargs)}")


def import_target(target: str) -> object:
    """The object named by ``"package.module:attribute"``, imported on first use."""
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)
