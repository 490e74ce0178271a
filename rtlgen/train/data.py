"""Training rows from an rtlgen dataset export: a JSONL file or a ``datasets`` directory (save_to_disk).

    rows = load_rows("train.jsonl")                      # list of dicts, InputError when unusable
    sft = sft_dataset(rows, tokenizer, where="train.jsonl")   # prompt/completion strings
    rl = rl_dataset(rows, tokenizer, needs=("testbench",), where=...)  # prompt + the reward columns

Forms read:
* SFT: ``prompt`` + ``completion`` (strings or chat messages), or ``messages`` (the last assistant turn is
  the completion), or the RL form with a ``reference`` (the completion is the reference renamed to
  ``top``, as the families' ``solution``);
* RL: ``prompt`` plus the columns the rewards read (``testbench``, ``reference``, ``top``).

Every prompt is rendered to text here exactly as ``rtlgen.llm.hf_backend.HFBackend.render`` renders it for
``rtlgen eval`` (the tokenizer's chat template, else ``render_plain``), so training and evaluation see the
same bytes. Bad input is one ``InputError`` naming the file, the row and the missing column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rtlgen.errors import InputError
from rtlgen.llm.base import ChatMessage, Prompt

RL_COLUMNS = ("testbench", "reference", "top")


def load_rows(path: str | Path, *, split: str = "train") -> list[dict]:
    """Rows of a JSONL file, or of a ``datasets`` directory (a DatasetDict's ``split``)."""
    p = Path(path)
    if p.is_dir():
        rows = _disk_rows(p, split)
    elif p.is_file():
        from rtlgen.evals.runner import read_jsonl

        rows = [row for _, row in read_jsonl(p, what="training data")]
    else:
        raise InputError(f"dataset {p} does not exist; give a JSONL file or a datasets save_to_disk directory")
    if not rows:
        raise InputError(f"dataset {p} has no rows; export some first (rtlgen data ...)")
    return rows


def _disk_rows(path: Path, split: str) -> list[dict]:
    import datasets

    try:
        ds = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(f"dataset directory {path} is not a datasets save_to_disk folder ({exc})") from None
    if isinstance(ds, datasets.DatasetDict):
        if split not in ds:
            raise InputError(f"dataset {path} has no split {split!r}; it has {', '.join(ds)}")
        ds = ds[split]
    return [dict(r) for r in ds]


def to_messages(prompt: Any, where: str) -> Prompt:
    """A row's prompt (a string, or a list of ``{role, content}``) as chat messages."""
    if isinstance(prompt, str):
        if not prompt.strip():
            raise InputError(f"{where}: 'prompt' is empty")
        return [ChatMessage("user", prompt)]
    if isinstance(prompt, list) and prompt and all(
            isinstance(m, dict) and isinstance(m.get("content"), str) and m.get("role") in ("system", "user",
                                                                                          "assistant")
            for m in prompt):
        return [ChatMessage(m["role"], m["content"]) for m in prompt]
    raise InputError(f"{where}: 'prompt' must be a string or a list of {{role, content}} messages")


def render_prompt(messages: Prompt, tokenizer) -> str:
    """The text generation starts from: what HFBackend.render gives for the same messages."""
    from rtlgen.llm.hf_backend import render_plain

    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template([{"role": m.role, "content": m.content} for m in messages],
                                             tokenize=False, add_generation_prompt=True)
    return render_plain(messages)


def solution_of(reference: str, top: str, ref_top: str = "RefModule") -> str:
    """A reference module as a ``top`` solution (the first ``module RefModule`` renamed)."""
    return re.sub(rf"\bmodule\s+{re.escape(ref_top)}\b", f"module {top}", reference, count=1)


def sft_pairs(rows: Sequence[dict], where: str) -> list[tuple[Prompt, str]]:
    """(prompt messages, completion text) of every row, whichever SFT form it has."""
    out = []
    for i, row in enumerate(rows):
        at = f"{where} row {i + 1}"
        if "messages" in row and "prompt" not in row:
            msgs = to_messages(row["messages"], at)
            if msgs[-1].role != "assistant" or len(msgs) < 2:
                raise InputError(f"{at}: 'messages' must end with an assistant turn after the prompt")
            out.append((msgs[:-1], msgs[-1].content))
            continue
        if "prompt" not in row:
            raise InputError(f"{at} has no 'prompt' column (columns: {', '.join(sorted(row)) or 'none'})")
        completion = row.get("completion")
        if isinstance(completion, list):
            completion = "".join(m.get("content", "") for m in completion if isinstance(m, dict))
        if not completion and isinstance(row.get("reference"), str):
            completion = solution_of(row["reference"], row.get("top") or "TopModule")
        if not isinstance(completion, str) or not completion.strip():
            raise InputError(f"{at} has no 'completion' (nor a 'reference' to learn from)")
        out.append((to_messages(row["prompt"], at), completion))
    return out


def sft_dataset(rows: Sequence[dict], tokenizer, *, where: str):
    """A ``datasets.Dataset`` of rendered prompt/completion strings (TRL's prompt-completion form: the loss
    falls on the completion only)."""
    import datasets

    pairs = sft_pairs(rows, where)
    eos = tokenizer.eos_token or ""
    return datasets.Dataset.from_dict({
        "prompt": [render_prompt(p, tokenizer) for p, _ in pairs],
        # the EOS is part of what is learned: generation must stop after endmodule
        "completion": [c if c.endswith(eos) else c + eos for _, c in pairs]})


def check_columns(rows: Sequence[dict], needs: Iterable[tuple[str, str]], where: str) -> None:
    """Every row has every (column, needed-by) column as a non-empty value, else one InputError."""
    for column, who in needs:
        for i, row in enumerate(rows):
            if not row.get(column):
                have = ", ".join(sorted(k for k, v in row.items() if v)) or "none"
                raise InputError(f"{where} row {i + 1} has no {column!r} column, which {who} needs "
                                 f"(columns present: {have})")


def rl_dataset(rows: Sequence[dict], tokenizer, *, needs: Iterable[tuple[str, str]] = (), where: str):
    """A ``datasets.Dataset`` with a rendered ``prompt`` and every other column of the rows kept, so TRL
    passes ``testbench``/``reference``/``top`` to the rewards."""
    import datasets

    check_columns(rows, needs, where)
    keep = [k for k in rows[0] if k not in ("prompt", "messages", "completion")]
    data: dict[str, list] = {"prompt": [render_prompt(to_messages(r.get("prompt"), f"{where} row {i + 1}"),
                                                      tokenizer) for i, r in enumerate(rows)]}
    for key in keep:
        data[key] = [r.get(key) for r in rows]
    return datasets.Dataset.from_dict(data)


def instance_row(inst: Any) -> dict:
    """A families ``FamilyInstance`` as one row of both forms (RL columns plus the SFT completion)."""
    return {"id": inst.id, "family": inst.family, "prompt": inst.spec, "testbench": inst.testbench,
            "reference": inst.reference, "top": inst.top, "completion": inst.solution}


def write_jsonl(rows: Iterable[dict], path: str | Path) -> Path:
    import json

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return p


__all__ = ["RL_COLUMNS", "check_columns", "instance_row", "load_rows", "render_prompt", "rl_dataset",
           "sft_dataset", "sft_pairs", "solution_of", "to_messages", "write_jsonl"]
