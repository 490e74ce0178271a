"""verl adapter: ``compute_score`` for ``custom_reward_function`` (naive manager) and a batch form.

    # verl config (Hydra):
    custom_reward_function.path=$(python -c "import rtlgen.rewards.adapters.verl as m; print(m.__file__)")
    custom_reward_function.name=compute_score          # or compute_score_batch with reward_model.reward_manager=batch
    custom_reward_function.reward_kwargs.config=reward.yaml   # optional CombinedConfig; else $RTLGEN_REWARD_CONFIG

verl's reward managers call ``compute_score(data_source=..., solution_str=..., ground_truth=...,
extra_info=...)`` per response (the batch manager: ``compute_score(data_sources=..., solution_strs=...,
ground_truths=..., extra_infos=..., **reward_kwargs)`` once per batch) and accept a float or a dict whose
``"score"`` is the reward, the other keys logged as extra info. ``ground_truth`` is the row's
``reward_model.ground_truth``: the JSON label of ``rtlgen.rewards.labels`` (``testbench``,
``reference``, ``top``) or that mapping. verl has no "not applicable": a row the reward cannot score
gets ``score = none_value`` and ``scored = 0.0``, with the reason logged. The batch form judges the
whole batch at once, so identical responses in a group simulate once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from rtlgen.rewards.adapters import reward_for
from rtlgen.rewards.base import RowResult, unscored
from rtlgen.rewards.labels import decode_label

log = logging.getLogger(__name__)


def _score_dict(result: RowResult, none_value: float) -> dict[str, Any]:
    return {"score": none_value if result.value is None else float(result.value),
            "passed": float(result.category == "pass"), "scored": float(result.value is not None),
            "category": result.category}


def compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[str], ground_truths: Sequence[Any],
                        extra_infos: Sequence[Any] | None = None, *, config: str | None = None,
                        none_value: float = 0.0, **_: Any) -> list[dict[str, Any]]:
    """One dict per response (``score``, ``passed``, ``scored``, ``category``); never raises on a row."""
    reward = reward_for(config)
    decoded = [decode_label(g) for g in ground_truths]
    keep = [i for i, (_, why) in enumerate(decoded) if not why]
    results: list[RowResult] = [unscored(why, "bad_label") for _, why in decoded]
    for _, why in decoded:
        if why:
            log.warning("verl: row not scored: %s", why)
    scored = reward.results([solution_strs[i] for i in keep], [decoded[i][0] for i in keep])
    for i, r in zip(keep, scored, strict=True):
        results[i] = r
    return [_score_dict(r, none_value) for r in results]


def compute_score(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, *,
                  config: str | None = None, none_value: float = 0.0, **_: Any) -> dict[str, Any]:
    """verl's per-response signature; see ``compute_score_batch``."""
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info], config=config,
                               none_value=none_value)[0]


__all__ = ["compute_score", "compute_score_batch"]
