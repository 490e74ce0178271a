"""The one config loader: YAML files and ``key=value`` overrides into frozen dataclasses.

    @dataclass(frozen=True)
    class SftConfig:
        lr: float = field(default=2e-4, metadata=help_("peak learning rate"))
        lora: LoraConfig = field(default_factory=LoraConfig, metadata=help_("adapter shape"))

    cfg = load_config(SftConfig, "sft.yaml", overrides=["lr=1e-3", "lora.r=8"])
    write_resolved(cfg, out_dir / "config.yaml")

Defaults, then the YAML file, then the overrides. An unknown key is an error naming the key and the
closest valid one; a value of the wrong type is an error naming the field, its type and the value.
Nested dataclasses are nested mappings; enums take their value; tuples take lists. Every field
carries a help string (``help_``), which ``describe`` prints for ``--help``-style listings.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import math
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml

from rtlgen.errors import InputError
from rtlgen.registry import suggestion

T = TypeVar("T")
_MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a config is a page of YAML, not a dataset
_MAX_YAML_VALUES = 200_000  # values in one YAML document with its aliases expanded: a config has hundreds


def help_(text: str) -> dict[str, str]:
    """Field metadata holding its help string: ``field(default=..., metadata=help_("..."))``."""
    return {"help": text}


def field_help(cls: type, name: str) -> str:
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.metadata.get("help", "")
    return ""


def describe(cls: type, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted key, default, help) for every field, nested dataclasses flattened."""
    rows: list[tuple[str, str, str]] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = _strip_optional(hints[f.name])
        key = prefix + f.name
        if dataclasses.is_dataclass(tp):
            rows.extend(describe(tp, key + "."))
            continue
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else "(required)")
        rows.append((key, _plain(default), f.metadata.get("help", "")))
    return rows


def read_yaml(path: str | Path, what: str = "config") -> dict:
    """A YAML mapping from ``path``, or an ``InputError`` naming the file and the problem."""
    p = Path(path)
    try:
        if p.stat().st_size > _MAX_CONFIG_BYTES:
            raise InputError(f"{what} {p} is larger than {_MAX_CONFIG_BYTES >> 20} MiB; is it really a config?")
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} {p} does not exist; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{what} {p} is a directory; give the YAML file") from None
    except UnicodeDecodeError:
        raise InputError(f"{what} {p} is not UTF-8 text; give a YAML file") from None
    try:
        data = safe_yaml(text, f"{what} {p}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{what} {p} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{what} {p} must be a YAML mapping of keys to values, not a {type(data).__name__}")
    return data


def safe_yaml(text: str, what: str) -> Any:
    """``yaml.safe_load(text)``, refused with an ``InputError`` when its value, aliases expanded, holds more than
    ``_MAX_YAML_VALUES`` values or refers to itself: a few lines of nested aliases (a "billion laughs") load as a
    small shared graph that everything walking it (merging, checking, printing) would expand."""
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise InputError(f"{what} nests too deeply to read; flatten it") from None
    count, stack = 0, [data]
    while stack:
        node = stack.pop()
        count += 1
        if count > _MAX_YAML_VALUES:
            raise InputError(f"{what} expands to more than {_MAX_YAML_VALUES:,} values (YAML aliases nested or "
                             "referring to themselves?); write the values out")
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return data


def parse_overrides(overrides: Iterable[str]) -> dict:
    """``["a.b=1", "c=x"]`` into a nested mapping; values are parsed as YAML scalars (``1e-3``, ``true``)."""
    tree: dict = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"override {item!r} must look like key=value (for example lr=1e-4)")
        try:
            value = safe_yaml(raw, f"override {key.strip()!r}") if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        node = tree
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise InputError(f"override {item!r} sets a field inside {part!r}, which is not a section")
        node[parts[-1]] = value
    return tree


def merge(base: Mapping, top: Mapping) -> dict:
    """``top`` over ``base``, mappings merged key by key."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def from_mapping(cls: type[T], data: Mapping, *, where: str = "") -> T:
    """Build the frozen dataclass ``cls`` from ``data``, checking every key and type."""
    if not isinstance(data, Mapping):
        raise InputError(f"{where or cls.__name__} must be a mapping of keys to values, not {_shown(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        dotted = f"{where}.{key}" if where else str(key)
        if name not in fields:
            hint = suggestion(name, fields, list_known=False)
            raise InputError(f"unknown config key {dotted!r}" + (f"; {hint}" if hint else
                             f"; valid keys: {', '.join(fields)}"))
        kwargs[name] = _coerce(hints[name], value, dotted)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field left out
        raise InputError(f"{where or cls.__name__}: {exc}") from None


def load_config(cls: type[T], path: str | Path | None = None, *, overrides: Iterable[str] = (),
                data: Mapping | None = None) -> T:
    """Defaults, then the YAML at ``path`` (or ``data``), then ``key=value`` overrides."""
    tree = dict(data or {})
    if path is not None:
        tree = merge(tree, read_yaml(path))
    tree = merge(tree, parse_overrides(overrides))
    return from_mapping(cls, tree)


def to_plain(obj: Any) -> Any:
    """JSON/YAML-safe nested data for a config (enums as values, tuples as lists)."""
    return _plain(obj)


def write_resolved(config: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML next to an output, so every result says how it was made."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(yaml.safe_dump(to_plain(config), sort_keys=False))
    return p


# -- internals ------------------------------------------------------------------------------------------------
def _shown(value: Any, limit: int = 80) -> str:
    """``repr`` of a bad value for a one-line error, cut at ``limit`` characters."""
    text = repr(_plain(value))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _strip_optional(tp: Any) -> Any:
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return tp


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(arg, value, where)
            except InputError as exc:
                errors.append(str(exc))
        raise InputError(errors[0] if len(errors) == 1 else
                         f"config key {where!r} must be {_type_name(tp)}, not {_shown(value)}")
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp):
        return from_mapping(tp, value, where=where)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            valid = [str(m.value) for m in tp]
            hint = suggestion(str(value), valid)
            raise InputError(f"config key {where!r} cannot be {_shown(value)}; {hint}") from None
    if origin in (tuple, list):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise InputError(f"config key {where!r} must be a list, not {_shown(value)}")
        inner = args[0] if args and (origin is list or (len(args) == 2 and args[1] is Ellipsis) or len(args) == 1) \
            else Any
        items = [_coerce(inner, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise InputError(f"config key {where!r} must be a mapping, not {_shown(value)}")
        return dict(value)
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise InputError(f"config key {where!r} must be true or false, not {_shown(value)}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise InputError(f"config key {where!r} must be an integer, not {_shown(value)}")
    if tp is float:
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value) if not isinstance(value, int) or abs(value) < 1e300 else math.inf
        elif isinstance(value, str):  # YAML 1.1 reads 1e-4 (no dot) as a string
            with contextlib.suppress(ValueError):
                number = float(value)
        if number is not None and math.isfinite(number):
            return number
        raise InputError(f"config key {where!r} must be a finite number, not {_shown(value)}")
    if tp is str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise InputError(f"config key {where!r} must be a string, not {_shown(value)}")
    if tp is Path:
        if isinstance(value, str):
            return Path(value)
        raise InputError(f"config key {where!r} must be a path, not {_shown(value)}")
    return value


__all__ = ["describe", "field_help", "from_mapping", "help_", "load_config", "merge", "parse_overrides",
           "read_yaml", "safe_yaml", "to_plain", "write_resolved"]
