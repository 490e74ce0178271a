"""Model-spec parsing, the scheme registry and the scripted backend (no torch, no network)."""

from __future__ import annotations

import json

import pytest

from rtlgen.errors import InputError
from rtlgen.llm import ChatMessage, SamplingParams, load_model, parse_spec
from rtlgen.llm.scripted import ScriptedBackend

PROMPT = [ChatMessage("user", "hi")]


def test_parse_hf_with_options():
    spec = parse_spec("hf:/models/qwen?adapter=/a/lora&dtype=bf16")
    assert (spec.scheme, spec.target, spec.base_url) == ("hf", "/models/qwen", None)
    assert spec.options == {"adapter": "/a/lora", "dtype": "bf16"}


def test_parse_openai():
    spec = parse_spec("openai:Qwen/Qwen2.5-Coder-7B@http://127.0.0.1:8000/v1/?key_env=MY_KEY&concurrency=2")
    assert spec.target == "Qwen/Qwen2.5-Coder-7B"
    assert spec.base_url == "http://127.0.0.1:8000/v1"
    assert spec.int_option("concurrency", 4) == 2 and spec.option("key_env") == "MY_KEY"


@pytest.mark.parametrize("bad", ["", "nocolon", "openai:model-without-url", "openai:m@ftp://x", "hf:",
                                 "hf:/x?notkv"])
def test_bad_specs_raise_input_error(bad):
    with pytest.raises(InputError):
        parse_spec(bad)


def test_unknown_scheme_suggests():
    with pytest.raises(InputError, match="did you mean 'openai'.*available: golden, hf, openai, scripted"):
        load_model("opena:x@http://h")


def test_golden_is_for_benchmarks_only():
    with pytest.raises(InputError, match="reference solutions"):
        load_model("golden")


def test_unknown_option_suggests(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("- a\n")
    with pytest.raises(InputError, match="did you mean 'when_exhausted'"):
        load_model(f"scripted:{path}?when_exhaust=cycle")


def test_bad_number_option():
    spec = parse_spec("openai:m@http://h?concurrency=zero")
    with pytest.raises(InputError, match="concurrency must be a number"):
        spec.int_option("concurrency", 4, minimum=1)


def test_scripted_yaml_in_order_then_repeat(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text("responses:\n  - first\n  - second\n")
    model = load_model(f"scripted:{path}")
    assert model.spec == f"scripted:{path}"
    assert model.generate([PROMPT, PROMPT], SamplingParams()) == [["first"], ["second"]]
    assert model.generate([PROMPT], SamplingParams(n=2)) == [["second", "second"]]
    assert [c[0] for c in model.calls] == [PROMPT, PROMPT, PROMPT]


def test_scripted_json_cycle_and_error(tmp_path):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"responses": ["a", "b"], "when_exhausted": "cycle"}))
    model = load_model(f"scripted:{path}")
    assert model.generate([PROMPT], SamplingParams(n=3)) == [["a", "b", "a"]]
    strict = ScriptedBackend(["x"], when_exhausted="error")
    strict.generate([PROMPT], SamplingParams())
    with pytest.raises(InputError, match="ran out"):
        strict.generate([PROMPT], SamplingParams())


@pytest.mark.parametrize("content", ["{not yaml: [", "just a string", "responses: 3", "responses: []\nextra: 1",
                                     "responses: []\n", "[]\n", "responses: &a [*a]\n"])
def test_scripted_bad_files(tmp_path, content):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(InputError):
        load_model(f"scripted:{path}")


def test_scripted_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_model(f"scripted:{tmp_path}/nope.yaml")
