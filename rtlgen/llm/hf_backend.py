"""``hf:PATH_OR_ID[?adapter=PATH&dtype=...&device=...&batch_size=...&max_new_tokens=...]``: local generation
with transformers.

Batched generation with left padding, an optional peft LoRA adapter, the tokenizer's chat template when it
has one (else a plain rendering, see ``render_plain``), stop at EOS, device auto-selected (cuda if present).
Sampling seeds: completion ``i`` of every prompt is drawn after ``torch.manual_seed(seed + i)``.
Hub ids work when the weights are already in the local cache or network access is allowed;
``HF_HUB_OFFLINE=1`` keeps it local.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

from rtlgen.errors import InputError
from rtlgen.inputs import TEXT_MAX, read_input_text
from rtlgen.llm.base import ModelBackend, Prompt, SamplingParams
from rtlgen.llm.spec import ModelSpec

_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,95})?")
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d{1,2})?")
_DTYPES = {"auto": "auto", "float32": "float32", "fp32": "float32", "float16": "float16", "fp16": "float16",
           "bfloat16": "bfloat16", "bf16": "bfloat16"}


def render_plain(prompt: Prompt) -> str:
    """Rendering for tokenizers without a chat template.

    A lone user message is passed verbatim (completion-style base models, VerilogEval's prompts);
    otherwise ``Role: content`` blocks end with ``Assistant:`` so the model continues as the assistant.
    """
    if len(prompt) == 1 and prompt[0].role == "user":
        return prompt[0].content
    blocks = [f"{m.role.capitalize()}: {m.content}" for m in prompt]
    return "\n\n".join(blocks) + "\n\nAssistant:"


class HFBackend(ModelBackend):
    """A transformers causal LM (plus optional LoRA adapter) on cpu or cuda."""

    OPTIONS = {
        "adapter": "path of a peft LoRA adapter directory to apply",
        "dtype": f"weights dtype: {', '.join(sorted(set(_DTYPES)))}",
        "device": "auto (cuda if available), cpu, cuda or cuda:N",
        "batch_size": "prompts per forward batch (default 8)",
        "max_new_tokens": "cap on tokens generated per completion (default: the caller's limit)",
    }

    def __init__(self, path: str, adapter: str | None = None, dtype: str = "auto", device: str = "auto",
                 batch_size: int = 8, max_new_tokens: int | None = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if dtype not in _DTYPES:
            raise InputError(f"hf dtype {dtype!r} unknown; use one of {', '.join(sorted(_DTYPES))}")
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        self.batch_size = max(1, batch_size)
        self.max_new_tokens = max_new_tokens  # a small model that never learned EOS stops here, not at 1024
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            torch_dtype = _DTYPES[dtype] if _DTYPES[dtype] == "auto" else getattr(torch, _DTYPES[dtype])
            model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype)
        except (OSError, ValueError) as exc:  # ValueError: a bad hub id, an unknown model_type, bad JSON
            raise unloadable(f"hf model {path!r}", exc, "or a hub id with network access") from None
        if adapter:
            model = _apply_adapter(model, adapter)
        self.model = model.to(self.device).eval()
        self.tokenizer.padding_side = "left"  # generation continues from the right edge of every row
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    @classmethod
    def check_spec(cls, spec: ModelSpec) -> dict:
        """The constructor's arguments, checked without importing torch: a local path must be a model
        directory (config.json inside), anything else must look like a hub id."""
        spec.check_options(cls.OPTIONS)
        dtype, device = spec.option("dtype", "auto"), spec.option("device", "auto")
        if dtype not in _DTYPES:
            raise InputError(f"hf dtype {dtype!r} unknown; use one of {', '.join(sorted(_DTYPES))}")
        if not _DEVICE.fullmatch(device):
            raise InputError(f"hf device {device!r} unknown; use auto, cpu, cuda or cuda:N")
        adapter = spec.option("adapter")
        if adapter is not None:
            check_model_dir(adapter, "LoRA adapter directory", "adapter_config.json")
        return {"path": _check_target(spec.target), "adapter": adapter, "dtype": dtype, "device": device,
                "batch_size": spec.int_option("batch_size", 8, minimum=1, maximum=4096),
                "max_new_tokens": spec.int_option("max_new_tokens", 0, minimum=1, maximum=1_000_000) or None}

    @classmethod
    def from_spec(cls, spec: ModelSpec) -> HFBackend:
        return cls(**cls.check_spec(spec))

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def render(self, prompt: Prompt) -> str:
        if self.has_chat_template:
            messages = [{"role": m.role, "content": m.content} for m in prompt]
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return render_plain(prompt)

    def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[list[str]]:
        texts = [self.render(p) for p in prompts]
        if self.max_new_tokens is not None and params.max_new_tokens > self.max_new_tokens:
            params = dataclasses.replace(params, max_new_tokens=self.max_new_tokens)
        greedy = params.temperature <= 0
        rounds = 1 if greedy else params.n  # greedy completions are identical: decode once, repeat
        out: list[list[str]] = [[] for _ in texts]
        for i in range(rounds):
            completions = self._generate_all(texts, params, seed=params.seed + i)
            for row, text in zip(out, completions, strict=True):
                row.append(text)
        if greedy:
            out = [row * params.n for row in out]
        return out

    def _generate_all(self, texts: list[str], params: SamplingParams, seed: int) -> list[str]:
        import torch

        torch.manual_seed(seed)
        results: list[str] = []
        for start in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(texts[start:start + self.batch_size], return_tensors="pt", padding=True,
                                   # a chat template already writes its own BOS/special tokens
                                   add_special_tokens=not self.has_chat_template).to(self.device)
            kwargs = {"do_sample": False}
            if params.temperature > 0:
                kwargs = {"do_sample": True, "temperature": params.temperature, "top_p": params.top_p}
            with torch.no_grad():
                ids = self.model.generate(**batch, max_new_tokens=params.max_new_tokens,
                                          pad_token_id=self.tokenizer.pad_token_id,
                                          eos_token_id=self.tokenizer.eos_token_id, **kwargs)
            new = ids[:, batch["input_ids"].shape[1]:]
            results.extend(self.tokenizer.batch_decode(new, skip_special_tokens=True))
        return results

    def close(self) -> None:
        import torch

        self.model = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _check_target(target: str) -> str:
    """A local model directory (checked) or a hub id (checked for shape only: no network here)."""
    local = target.startswith(("/", ".", "~")) or os.path.lexists(target)
    if local:
        return check_model_dir(target, "hf model", "config.json")
    if not _HUB_ID.fullmatch(target):
        raise InputError(f"hf model {target!r} is neither a local model directory nor a hub id like ORG/NAME")
    return target


def unloadable(what: str, exc: Exception, alternative: str = "") -> InputError:
    """The one-line error for a model or tokenizer that transformers could not load (its first line says why)."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return InputError(f"{what} could not be loaded ({first}); give a local directory saved with save_pretrained "
                      f"(model and tokenizer){', ' + alternative if alternative else ''}")


def check_model_dir(path: str, what: str, marker: str) -> str:
    """``path`` if it is a directory saved with save_pretrained: ``marker`` (a JSON object) inside, and no
    FIFO or device among its files (loading would block on one)."""
    folder = Path(path).expanduser()

    def refuse(reason: str) -> InputError:
        return InputError(f"{what} {path} could not be loaded ({reason}); give a directory saved with "
                          f"save_pretrained (it holds {marker})")

    try:
        mode = folder.stat().st_mode
        entries = list(os.scandir(folder)) if stat.S_ISDIR(mode) else []
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    if not stat.S_ISDIR(mode):
        raise refuse("not a directory")
    for entry in entries:
        try:
            entry_mode = os.stat(entry.path).st_mode
        except OSError:
            continue  # a dangling link: transformers reports it if it needs the file
        if not (stat.S_ISREG(entry_mode) or stat.S_ISDIR(entry_mode)):
            raise refuse(f"{entry.name} is a FIFO or device, not a file")
    if not (folder / marker).exists():
        raise refuse(f"no {marker} in it")
    text = read_input_text(folder / marker, f"{what} file", TEXT_MAX)
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise refuse(f"{marker} is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise refuse(f"{marker} is not a JSON object")
    return str(folder)


def _apply_adapter(model, adapter: str):
    check_model_dir(adapter, "LoRA adapter directory", "adapter_config.json")
    from peft import PeftModel

    return PeftModel.from_pretrained(model, adapter)
