"""Session fixtures for the model-layer tests: the tiny hf model (+ LoRA adapter) and the OpenAI stub server.

Import the fixtures into a test module (``from fixtures_llm import tiny_model_dir  # noqa: F401``).
The model is built once per session, offline (``HF_HUB_OFFLINE=1``).
"""

from __future__ import annotations

import pytest
from tinymodel import build_lora_adapter, build_tiny_model

_BUILT: dict[str, object] = {}


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, shared):
    """A directory with the tiny Qwen2-style model and its chat-templated tokenizer."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        if "model" not in _BUILT:
            _BUILT["model"] = build_tiny_model(tmp_path_factory.mktemp("tiny-model"), shared / "rtl-corpus" / "files")
        yield _BUILT["model"]


@pytest.fixture(scope="session")
def tiny_adapter_dir(tiny_model_dir, tmp_path_factory):
    if "adapter" not in _BUILT:
        _BUILT["adapter"] = build_lora_adapter(tiny_model_dir, tmp_path_factory.mktemp("tiny-lora"))
    return _BUILT["adapter"]


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
