"""OpenRLHF adapter: ``reward_func(queries, prompts, labels)`` for ``--remote_rm_url`` (reinforced fine-tuning).

    python -m openrlhf.cli.train_ppo_ray ... \\
        --remote_rm_url $(python -c "import rtlgen.rewards.adapters.openrlhf as m; print(m.__file__)") \\
        --label_key label            # each row's label: rtlgen.rewards.labels.encode_label(testbench=..., ...)
    RTLGEN_REWARD_CONFIG=reward.yaml   # optional CombinedConfig for the reward

OpenRLHF loads this file by path and calls ``reward_func(queries, prompts, labels)`` through Ray:
``queries`` are prompt + response as decoded text, ``prompts`` the prompts, ``labels`` the
``--label_key`` column. It takes back a dict: ``rewards`` (a tensor, for the advantages), ``scores``
(a tensor in [0, 1], for dynamic filtering: here 1.0 for a design that passes its testbench) and
``extra_logs`` (tensors logged to wandb/TensorBoard: pass rate and rows not scored). A row the reward
cannot score gets ``NONE_VALUE``. torch is imported inside the call only (``rtlgen.train`` is the one
room that imports it at module level). Absolute imports only: the file is loaded outside its package.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from rtlgen.errors import InputError
from rtlgen.rewards.adapters import reward_for
from rtlgen.rewards.base import RowResult, unscored
from rtlgen.rewards.labels import decode_label

log = logging.getLogger(__name__)
NONE_VALUE = 0.0  # reward of a row that cannot be scored (OpenRLHF has no "not applicable")


def response_of(query: str, prompt: str) -> str:
    """The response part of ``query`` (prompt + response); the whole query when the prompt is not its prefix."""
    if prompt and query.startswith(prompt):
        return query[len(prompt):]
    return query


def score_rows(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]) -> list[RowResult]:
    """The combined reward's result per row, labels decoded; never raises on a row (lists of different lengths are
    the caller's bug: one InputError naming them, not a reward for the wrong rows)."""
    if not len(queries) == len(prompts) == len(labels):
        raise InputError(f"openrlhf reward_func got {len(queries)} queries, {len(prompts)} prompts and {len(labels)} "
                         "labels; pass one prompt and one label per query")
    decoded = [decode_label(label) for label in labels]
    keep = [i for i, (_, why) in enumerate(decoded) if not why]
    results: list[RowResult] = [unscored(why, "bad_label") for _, why in decoded]
    for _, why in decoded:
        if why:
            log.warning("openrlhf: row not scored: %s", why)
    responses = [response_of(queries[i], prompts[i]) for i in keep]
    for i, r in zip(keep, reward_for().results(responses, [decoded[i][0] for i in keep]), strict=True):
        results[i] = r
    return results


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **_: Any) -> dict:
    """OpenRLHF's custom reward function (see the module docstring)."""
    import torch

    results = score_rows(queries, prompts, labels)
    rewards = torch.tensor([NONE_VALUE if r.value is None else float(r.value) for r in results], dtype=torch.float32)
    passed = torch.tensor([float(r.category == "pass") for r in results], dtype=torch.float32)
    unscored_rows = torch.tensor([float(r.value is None) for r in results], dtype=torch.float32)
    return {"rewards": rewards, "scores": passed,
            "extra_logs": {"rtlgen_pass_rate": passed, "rtlgen_unscored": unscored_rows}}


__all__ = ["NONE_VALUE", "reward_func", "response_of", "score_rows"]
