"""``load_model(spec)``: the one way every command turns a model-spec string into a backend.

Schemes are lazy ``"module:Class"`` targets so that ``openai:`` never imports torch. Each backend class
has ``from_spec(ModelSpec) -> ModelBackend`` and may have ``check_spec(ModelSpec)``, a cheap check (no
weights, no network) that ``check_model`` runs so a run fails on a bad spec before it does any work.
``golden`` is not a model: benchmark runners that have reference solutions handle it before calling here.
"""

from __future__ import annotations

from rtlgen.errors import InputError
from rtlgen.llm.base import ModelBackend
from rtlgen.llm.spec import ModelSpec, parse_spec
from rtlgen.registry import Registry, unknown

SCHEMES: Registry[type[ModelBackend]] = Registry("model scheme", {
    "hf": "rtlgen.llm.hf_backend:HFBackend",  # transformers, local dir or hub id
    "openai": "rtlgen.llm.openai_backend:OpenAIBackend",  # any OpenAI-compatible HTTP server
    "scripted": "rtlgen.llm.scripted:ScriptedBackend",  # canned answers from a YAML/JSON file
}, base=ModelBackend)


def backend_class(scheme: str) -> type[ModelBackend]:
    """The backend class registered for ``scheme``; unknown names list the known ones."""
    if scheme not in SCHEMES:
        raise unknown("model scheme", scheme, sorted([*SCHEMES, "golden"]))
    return SCHEMES.get(scheme)


def check_model(spec: str | ModelSpec) -> ModelSpec:
    """Parse ``spec`` and run its backend's cheap checks (a path that is no model, a bad file, a bad option)."""
    parsed = spec if isinstance(spec, ModelSpec) else parse_spec(spec)
    if parsed.scheme != "golden":
        check = getattr(backend_class(parsed.scheme), "check_spec", None)
        if check is not None:
            check(parsed)
    return parsed


def load_model(spec: str | ModelSpec) -> ModelBackend:
    """Build the backend a spec names, e.g. ``load_model("hf:/models/qwen?dtype=bfloat16")``."""
    parsed = spec if isinstance(spec, ModelSpec) else parse_spec(spec)
    if parsed.scheme == "golden":
        raise InputError("model 'golden' means the reference solutions; it only works in benchmark runs that "
                         "have them (rtlgen eval ... --model golden), not as a generating model")
    backend = backend_class(parsed.scheme).from_spec(parsed)
    backend.spec = parsed.raw
    return backend
