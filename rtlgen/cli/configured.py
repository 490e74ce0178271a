"""Commands whose options are a config dataclass: ``--config FILE.yaml`` and ``--set key=value`` beside flags.

Order: the dataclass defaults, then the YAML file, then flags typed on the command line (a flag left at
its default does not override the file), then ``--set``. Loading goes through ``rtlgen.config``, so an
unknown key or a wrong type is a one-line error naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import typer

from rtlgen.config import load_config, merge, read_yaml

T = TypeVar("T")


def config_option() -> Path | None:
    return typer.Option(None, "--config", help="YAML file of options (keys as in the resolved config.yaml); "
                        "flags given on the command line win over it")


def set_option() -> list[str]:
    return typer.Option([], "--set", help="override one config key, key=value (repeatable; dotted for nested)")


def given_on_command_line(ctx: typer.Context, param: str) -> bool:
    # typer may bundle its own copy of click, so compare the source by name, not by enum identity
    source = ctx.get_parameter_source(param)
    return getattr(source, "name", "") in ("COMMANDLINE", "ENVIRONMENT")


def resolve(ctx: typer.Context, cls: type[T], config: Path | None, sets: list[str],
            flags: Mapping[str, tuple[str, Any]]) -> T:
    """``cls`` from defaults, ``config``, the flags typed (``field -> (param name, value)``) and ``sets``.
    Without ``--config`` every flag counts, default or not, as before."""
    data: dict = read_yaml(config) if config is not None else {}
    typed = {name: value for name, (param, value) in flags.items()
             if config is None or given_on_command_line(ctx, param)}
    return load_config(cls, data=merge(data, typed), overrides=sets)


__all__ = ["config_option", "given_on_command_line", "resolve", "set_option"]
