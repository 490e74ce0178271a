"""The verl and OpenRLHF adapters, called exactly the way those trainers call them."""

from __future__ import annotations

import importlib.util

import pytest
from test_rewards_format import FORGES
from test_rewards_simulation import GOOD, HALF, REF, TB

import rtlgen.rewards.adapters.openrlhf as openrlhf_adapter
from rtlgen.rewards.adapters import CONFIG_ENV
from rtlgen.rewards.adapters.verl import compute_score, compute_score_batch
from rtlgen.rewards.labels import encode_label

pytestmark = [pytest.mark.requires_iverilog, pytest.mark.requires_bwrap]


@pytest.fixture
def cheap_config(tmp_path, monkeypatch):
    path = tmp_path / "reward.yaml"
    path.write_text("weights: {simulation: 1.0, format: 0.0, lint: 0.0}\n")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    return str(path)


def test_verl_naive_and_batch_managers(cheap_config):
    label = encode_label(testbench=TB, reference=REF, top="TopModule")
    # verl's NaiveRewardManager: keyword arguments, one response at a time; a dict's "score" is the reward
    out = compute_score(data_source="rtlgen", solution_str=GOOD, ground_truth=label, extra_info={"index": 0})
    assert out == {"score": 1.0, "passed": 1.0, "scored": 1.0, "category": "pass"}
    # its BatchRewardManager: lists, plus the configured reward_kwargs
    batch = compute_score_batch(data_sources=["rtlgen"] * 4, solution_strs=[GOOD, HALF, FORGES[0], GOOD],
                                ground_truths=[label, {"testbench": TB, "reference": REF}, label, "not json"],
                                extra_infos=[None] * 4, config=cheap_config)
    assert [b["score"] for b in batch] == [1.0, pytest.approx(0.25), 0.0, 0.0]
    assert batch[3]["scored"] == 0.0 and batch[3]["category"] == "bad_label"


@pytest.mark.requires_torch
def test_openrlhf_reward_func_loaded_by_path(cheap_config):
    # OpenRLHF: importlib.util.spec_from_file_location(remote_rm_url) then reward_func(queries, prompts, labels)
    spec = importlib.util.spec_from_file_location("reward_func", openrlhf_adapter.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    prompts = ["<|user|>write an inverter<|assistant|>"] * 3
    queries = [p + r + "<|endoftext|>" for p, r in zip(prompts, [GOOD, FORGES[2], HALF], strict=True)]
    labels = [encode_label(testbench=TB, reference=REF, top="TopModule")] * 2 + [None]
    out = module.reward_func(queries, prompts, labels)
    assert out["rewards"].tolist() == [1.0, 0.0, 0.0] and out["scores"].tolist() == [1.0, 0.0, 0.0]
    assert out["extra_logs"]["rtlgen_unscored"].tolist() == [0.0, 0.0, 1.0]
    assert module.response_of("PROMPT answer", "PROMPT") == " answer"
    from rtlgen.errors import InputError

    with pytest.raises(InputError, match="2 queries, 1 prompts and 2 labels"):
        module.reward_func(queries[:2], prompts[:1], labels[:2])


def test_a_bad_label_spoils_only_its_row(cheap_config):
    label = encode_label(testbench=TB, reference=REF, top="TopModule")
    batch = compute_score_batch(data_sources=["rtlgen"] * 3, solution_strs=[GOOD, GOOD, GOOD],
                                ground_truths=[label, {"testbench": TB, "reference": ["x"]},
                                               {"testbench": TB, "reference": REF, "top": "a b"}],
                                extra_infos=[None] * 3, config=cheap_config)
    assert batch[0]["score"] == 1.0 and batch[0]["category"] == "pass"
    assert [b["scored"] for b in batch[1:]] == [0.0, 0.0], batch
