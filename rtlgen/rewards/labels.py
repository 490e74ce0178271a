"""One row's ground truth for trainers that pass a single label per row (verl, OpenRLHF).

    label = encode_label(testbench=tb, reference=ref, top="TopModule")   # a JSON string, parquet-safe
    decode_label(label)     # -> {"testbench": ..., "reference": ..., "top": ...}; a dict is taken as is

The encoding is a JSON object whose keys are the dataset columns the rewards read (``testbench``,
``reference``, ``top``, and any other, such as an episode id): verl's ``reward_model.ground_truth``
and OpenRLHF's ``--label_key`` column hold it, as a string (portable through parquet and Arrow) or,
where the trainer keeps objects, as the mapping itself. A label that is not such an object decodes to
``{}`` with the reason, so that row is scored ``None`` (not applicable) rather than raising.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MAX_LABEL_CHARS = 8_000_000  # a testbench and a reference: tens of kB; more is not a label


def encode_label(**columns: Any) -> str:
    """The JSON label of one row (``None`` values left out)."""
    return json.dumps({k: v for k, v in columns.items() if v is not None}, sort_keys=True)


def decode_label(label: Any) -> tuple[dict[str, Any], str]:
    """(columns, "") or ({}, why the label cannot be read)."""
    if isinstance(label, Mapping):
        return {str(k): v for k, v in label.items()}, ""
    if isinstance(label, bytes):
        label = label.decode("utf-8", "replace")
    if not isinstance(label, str):
        return {}, f"the label is a {type(label).__name__}, not a JSON object or a mapping"
    if len(label) > MAX_LABEL_CHARS:
        return {}, f"the label is {len(label)} characters, over {MAX_LABEL_CHARS}"
    try:
        data = json.loads(label)
    except ValueError as exc:
        return {}, f"the label is not JSON: {exc}"
    except RecursionError:
        return {}, "the label is JSON nested too deeply"
    if not isinstance(data, dict):
        return {}, f"the label is JSON {type(data).__name__}, not an object with testbench/reference/top"
    return data, ""


__all__ = ["MAX_LABEL_CHARS", "decode_label", "encode_label"]
