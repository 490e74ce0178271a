"""The hf: backend on a tiny random Qwen2-style model built on the fly (CPU, offline, seconds)."""

from __future__ import annotations

import pytest
from fixtures_llm import offline, tiny_adapter_dir, tiny_model_dir  # noqa: F401
from tinymodel import build_tiny_model

from rtlgen.errors import InputError
from rtlgen.llm import ChatMessage, SamplingParams, load_model
from rtlgen.llm.hf_backend import render_plain

pytestmark = pytest.mark.requires_torch

PROMPTS = [
    [ChatMessage("user", "module top(")],
    [ChatMessage("system", "You write Verilog."), ChatMessage("user", "Write a longer adder module, please.")],
    [ChatMessage("user", "always @(posedge clk)")],
]


@pytest.fixture(scope="module")
def tiny(tiny_model_dir):  # noqa: F811
    model = load_model(f"hf:{tiny_model_dir}?device=cpu&batch_size=2")
    yield model
    model.close()


def test_batched_greedy_shapes_and_determinism(tiny):
    params = SamplingParams.greedy(max_new_tokens=8)
    first = tiny.generate(PROMPTS, params)
    assert [len(row) for row in first] == [1, 1, 1] and all(isinstance(t, str) for row in first for t in row)
    assert tiny.generate(PROMPTS, params) == first
    # left padding: a prompt's greedy answer does not depend on the batch it shares
    alone = tiny.generate([PROMPTS[1]], params)
    assert alone[0] == first[1]


def test_sampling_n_and_seed(tiny):
    params = SamplingParams(temperature=1.0, top_p=0.95, n=3, max_new_tokens=6, seed=7)
    out = tiny.generate(PROMPTS[:2], params)
    assert [len(row) for row in out] == [3, 3]
    assert tiny.generate(PROMPTS[:2], params) == out  # same seed, same samples
    greedy_n = tiny.generate(PROMPTS[:1], SamplingParams(temperature=0.0, n=2, max_new_tokens=4))
    assert greedy_n[0][0] == greedy_n[0][1]


def test_chat_template_used(tiny):
    assert tiny.has_chat_template
    text = tiny.render(PROMPTS[1])
    assert text.startswith("<|im_start|>system\nYou write Verilog.") and text.endswith("<|im_start|>assistant\n")


def test_plain_rendering_without_template(tmp_path, offline):  # noqa: F811
    model_dir = build_tiny_model(tmp_path / "plain", None, chat_template=False)
    model = load_model(f"hf:{model_dir}?dtype=float32")
    assert not model.has_chat_template
    assert model.render(PROMPTS[0]) == "module top("
    assert render_plain(PROMPTS[1]).endswith("User: Write a longer adder module, please.\n\nAssistant:")
    assert len(model.generate(PROMPTS[:2], SamplingParams.greedy(4))) == 2


def test_lora_adapter_changes_the_model(tiny, tiny_model_dir, tiny_adapter_dir):  # noqa: F811
    import torch
    from peft import PeftModel

    adapted = load_model(f"hf:{tiny_model_dir}?adapter={tiny_adapter_dir}&device=cpu")
    assert isinstance(adapted.model, PeftModel)
    ids = tiny.tokenizer("module top(input a);", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        assert not torch.allclose(tiny.model(ids).logits, adapted.model(ids).logits)
    out = adapted.generate(PROMPTS, SamplingParams.greedy(max_new_tokens=6))
    assert [len(row) for row in out] == [1, 1, 1]


def test_missing_model_and_adapter(tmp_path, tiny_model_dir, offline):  # noqa: F811
    with pytest.raises(InputError, match="could not be loaded"):
        load_model(f"hf:{tmp_path}/no-such-model")
    with pytest.raises(InputError, match="adapter directory"):
        load_model(f"hf:{tiny_model_dir}?adapter={tmp_path}/none")
    with pytest.raises(InputError, match="dtype"):
        load_model(f"hf:{tiny_model_dir}?dtype=int3")
