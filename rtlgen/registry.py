"""What every plug-in registry shares: "did you mean" errors and lazy ``"module:object"`` targets.

Registries themselves stay where things plug in (simulators, benchmarks, search methods, model
schemes, rewards); this module only keeps their error messages and imports the same everywhere.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable
from typing import Generic, TypeVar

from rtlgen.errors import InputError

T = TypeVar("T")


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


class Registry(Generic[T]):
    """Named plug-ins of one kind: lazy ``"module:object"`` targets or objects, a base-class check on
    first use, and "did you mean" errors.

        SIMULATORS: Registry[type[Simulator]] = Registry("simulator", base=Simulator)
        SIMULATORS.add("icarus", "rtlgen.sim.icarus:IcarusSimulator")
        SIMULATORS.get("icarus")
    """

    def __init__(self, kind: str, targets: dict[str, object] | None = None, *, base: type | None = None,
                 cutoff: float = 0.6) -> None:
        self.kind = kind
        self.base = base
        self.cutoff = cutoff
        self._targets: dict[str, object] = {}
        self._loaded: dict[str, T] = {}
        for name, target in (targets or {}).items():
            self.add(name, target)

    def add(self, name: str, target: object, *, replace: bool = False) -> None:
        if name in self._targets and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._targets[name] = target
        self._loaded.pop(name, None)

    def setdefault(self, name: str, target: object) -> None:
        """Register ``target`` under ``name`` unless something already is."""
        if name not in self._targets:
            self.add(name, target)

    def target(self, name: str) -> object:
        """What ``name`` was registered as (a ``"module:object"`` string or the object), without importing it."""
        if name not in self._targets:
            raise unknown(self.kind, name, self.names(), cutoff=self.cutoff)
        return self._targets[name]

    def register(self, name: str):
        """Decorator form of ``add``."""
        def wrap(obj):
            self.add(name, obj)
            return obj
        return wrap

    def get(self, name: str) -> T:
        if name in self._loaded:
            return self._loaded[name]
        target = self.target(name)
        obj = import_target(target) if isinstance(target, str) else target
        if self.base is not None and not _is_kind(obj, self.base):
            raise TypeError(f"{self.kind} {name!r} ({target}) is not a {self.base.__name__}")
        self._loaded[name] = obj  # type: ignore[assignment]
        return obj  # type: ignore[return-value]

    def names(self) -> list[str]:
        return list(self._targets)

    def __contains__(self, name: object) -> bool:
        return name in self._targets

    def __iter__(self):
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)


def _is_kind(obj: object, base: type) -> bool:
    return (isinstance(obj, type) and issubclass(obj, base)) or isinstance(obj, base)
