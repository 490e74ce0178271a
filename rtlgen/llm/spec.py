"""Parse model-spec strings (``hf:PATH?adapter=A&dtype=bf16``, ``openai:MODEL@URL?key_env=K``, ``scripted:FILE``).

A spec is ``SCHEME:TARGET[?KEY=VALUE&...]``. For ``openai`` the target is ``MODEL@BASE_URL``. Options are
checked against the keys each backend declares, so a typo fails with the list of valid keys instead of
being ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from rtlgen.errors import InputError
from rtlgen.registry import suggestion

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9_+-]*):(?P<rest>.*)$", re.DOTALL)


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec; ``raw`` is the string the user wrote (logged next to every result)."""

    scheme: str  # backend name: "hf", "openai", "scripted", ...
    target: str  # path or hub id (hf), model name (openai), file (scripted)
    base_url: str | None = None  # openai only: the server, e.g. http://127.0.0.1:8000/v1
    options: Mapping[str, str] = field(default_factory=dict)  # the ?key=value part
    raw: str = ""

    def option(self, key: str, default: str | None = None) -> str | None:
        return self.options.get(key, default)

    def int_option(self, key: str, default: int, minimum: int = 0, maximum: int = 1_000_000) -> int:
        return int(_number(self, key, default, int, minimum, maximum))

    def float_option(self, key: str, default: float, minimum: float = 0.0, maximum: float = 86400.0) -> float:
        return float(_number(self, key, default, float, minimum, maximum))

    def bool_option(self, key: str, default: bool) -> bool:
        value = self.options.get(key)
        if value is None:
            return default
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise InputError(f"model spec {self.raw!r}: option {key} must be true or false, not {value!r}")

    def check_options(self, known: Mapping[str, str]) -> None:
        """Fail on any option not in ``known`` (key -> help), naming the closest valid one."""
        for key in self.options:
            if key not in known:
                raise InputError(f"model spec {self.raw!r}: unknown option {key!r}{did_you_mean(key, known)}")


def _number(spec: ModelSpec, key: str, default, kind, minimum, maximum):
    value = spec.options.get(key)
    if value is None:
        return default
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number) or not minimum <= number <= maximum:
        whole = " (an integer)" if kind is int else ""
        raise InputError(f"model spec {spec.raw!r}: option {key} must be a number from {minimum:g} to {maximum:g}"
                         f"{whole}, not {value!r}")
    return number


def check_base_url(raw: str, url: str) -> str:
    """``url`` if it is a usable http(s) server address: a host, a valid port, no spaces or fragments."""
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when out of range or not a number
    except ValueError:
        parts, port = None, None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment
            or any(c.isspace() or ord(c) < 32 for c in url) or (port is not None and not 0 < port < 65536)):
        raise InputError(f"model spec {raw!r}: {url!r} is not a server URL; use openai:MODEL@http://HOST:PORT/v1")
    return url


def did_you_mean(name: str, known) -> str:
    """``"; did you mean 'x'? available: a, b"`` for error messages."""
    return "; " + suggestion(name, sorted(known))


def parse_spec(raw: str) -> ModelSpec:
    """Split a spec string into scheme, target, base URL and options; no backend is loaded."""
    text = (raw or "").strip()
    if text == "golden":
        return ModelSpec(scheme="golden", target="", raw=text)
    match = _SCHEME.match(text)
    if not match:
        raise InputError(f"model spec {raw!r} must look like hf:PATH, openai:MODEL@URL or scripted:FILE.yaml")
    scheme, rest = match["scheme"].lower(), match["rest"]
    options: dict[str, str] = {}
    if "?" in rest:
        rest, _, query = rest.rpartition("?")
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError as exc:
            raise InputError(f"model spec {raw!r}: options after '?' must be key=value&key=value") from exc
        options = dict(pairs)
    base_url = None
    if scheme == "openai":
        model, sep, url = rest.partition("@")
        if not sep or not model or not re.match(r"^https?://", url):
            raise InputError(f"model spec {raw!r} must look like openai:MODEL@http://HOST:PORT/v1")
        rest, base_url = model, check_base_url(raw, url).rstrip("/")
    if not rest:
        raise InputError(f"model spec {raw!r} names no model after '{scheme}:'")
    return ModelSpec(scheme=scheme, target=rest, base_url=base_url, options=options, raw=text)
