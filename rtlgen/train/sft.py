"""``rtlgen train sft CONFIG.yaml``: supervised fine-tuning with TRL's SFTTrainer, LoRA or full.

    rtlgen train sft rtlgen/train/configs/sft.yaml --set train.max_steps=200 --set eval.data=heldout.jsonl

Loss falls on the completion only (TRL's prompt-completion form, ``completion_only_loss``). Outputs in
``out``: ``config.yaml`` (the resolved config), ``checkpoints/`` (every ``train.save_steps``; a re-run
resumes from the last one, so a kill loses at most those steps), ``adapter/`` (LoRA) and/or ``model/``
(full fine-tune, or ``merge: true``), ``log.jsonl`` (TRL's log history), ``eval/`` and ``result.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.trainer_utils import get_last_checkpoint
from trl import SFTConfig as TrlSftConfig
from trl import SFTTrainer

from rtlgen.config import write_resolved
from rtlgen.errors import InputError
from rtlgen.llm.hf_backend import unloadable
from rtlgen.train import data as data_mod
from rtlgen.train.configs import Finetune, LoraSettings, SftConfig, TrainLoop
from rtlgen.train.evaluate import check_heldout, evaluate_heldout


@dataclass(frozen=True)
class Trained:
    """Where a fine-tune left its weights: evaluate ``hf:{base}?adapter={adapter}`` (adapter may be None)."""

    base: str  # model directory the adapter applies to (or the fully fine-tuned model)
    adapter: str | None
    merged: str | None  # base + adapter in one directory, when asked for
    steps: int
    log_history: list


def load_base(model_dir: str, adapter: str = "", out: Path | None = None):
    """(model, tokenizer, base directory): ``adapter`` merged in first, the merged base saved to ``out/base``
    so later adapters have a directory to apply to."""
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    except (OSError, ValueError) as exc:  # no tokenizer files, an unknown model_type, bad JSON
        raise unloadable(f"model {model_dir!r}", exc) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    base = str(Path(model_dir).resolve())
    if adapter:
        model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
        if out is not None:
            base_dir = out / "base"
            model.save_pretrained(base_dir)
            tokenizer.save_pretrained(base_dir)
            base = str(base_dir.resolve())
    return model, tokenizer, base


def peft_config(model, lora: LoraSettings) -> LoraConfig:
    names = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    targets = [t for t in lora.target_modules if t in names]
    if not targets:
        raise InputError(f"lora.target_modules {list(lora.target_modules)} match no module of this model; "
                         f"it has e.g. {', '.join(sorted(n for n in names if n.endswith('proj'))[:8])}")
    return LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=targets,
                      task_type="CAUSAL_LM")


def trainer_args(loop: TrainLoop, out: Path) -> dict:
    """The TrainingArguments both trainers share."""
    return dict(output_dir=str(out / "checkpoints"), learning_rate=loop.lr, max_steps=loop.max_steps or -1,
                num_train_epochs=loop.epochs, per_device_train_batch_size=loop.batch_size,
                gradient_accumulation_steps=loop.grad_accum, warmup_steps=loop.warmup_ratio,
                weight_decay=loop.weight_decay, logging_steps=loop.logging_steps, save_steps=loop.save_steps,
                save_total_limit=loop.save_total_limit, seed=loop.seed, data_seed=loop.seed, report_to="none",
                use_cpu=not torch.cuda.is_available(), disable_tqdm=True, dataloader_num_workers=0)


def last_checkpoint(out: Path, resume: bool) -> str | None:
    folder = out / "checkpoints"
    return get_last_checkpoint(str(folder)) if resume and folder.is_dir() else None


def save_outputs(trainer, tokenizer, base: str, finetune: Finetune, merge: bool, out: Path) -> Trained:
    model = trainer.model
    adapter = merged = None
    if finetune is Finetune.LORA:
        adapter_dir = out / "adapter"
        model.save_pretrained(adapter_dir)
        adapter = str(adapter_dir.resolve())
        if merge:
            merged_dir = out / "model"
            model.merge_and_unload().save_pretrained(merged_dir)  # after the adapter is saved: merging is final
            tokenizer.save_pretrained(merged_dir)
            merged = str(merged_dir.resolve())
    else:
        model_dir = out / "model"
        model.save_pretrained(model_dir)
        tokenizer.save_pretrained(model_dir)
        base = merged = str(model_dir.resolve())
    history = list(trainer.state.log_history)
    with (out / "log.jsonl").open("w") as fh:
        for row in history:
            fh.write(json.dumps(row) + "\n")
    return Trained(base=base, adapter=adapter, merged=merged, steps=trainer.state.global_step, log_history=history)


def train_sft(*, model_dir: str, adapter: str, rows: Sequence[dict], where: str, out: Path, finetune: Finetune,
              lora: LoraSettings, loop: TrainLoop, merge: bool = False) -> Trained:
    """Fine-tune on SFT-form ``rows``; the reusable core of ``sft`` and of each ITERTL round."""
    out.mkdir(parents=True, exist_ok=True)
    model, tokenizer, base = load_base(model_dir, adapter, out)
    dataset = data_mod.sft_dataset(rows, tokenizer, where=where)
    args = TrlSftConfig(**trainer_args(loop, out), completion_only_loss=True, max_length=loop.max_length,
                        packing=False)
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=peft_config(model, lora) if finetune is Finetune.LORA else None)
    trainer.train(resume_from_checkpoint=last_checkpoint(out, loop.resume))
    return save_outputs(trainer, tokenizer, base, finetune, merge, out)


def run_sft(cfg: SftConfig) -> dict:
    """The ``rtlgen train sft`` command: checks, trains, evaluates; returns (and writes) ``result.json``."""
    cfg.check()
    rows = data_mod.load_rows(cfg.data)
    data_mod.sft_pairs(rows, cfg.data)  # a bad row fails here, before any model is loaded
    check_heldout(cfg.eval)
    out = Path(cfg.out)
    write_resolved(cfg, out / "config.yaml")
    t0 = time.monotonic()
    trained = train_sft(model_dir=cfg.model, adapter=cfg.adapter, rows=rows, where=cfg.data, out=out,
                        finetune=cfg.finetune, lora=cfg.lora, loop=cfg.train, merge=cfg.merge)
    result = {"command": "sft", "steps": trained.steps, "base": trained.base, "adapter": trained.adapter,
              "model": trained.merged, "train_s": round(time.monotonic() - t0, 1), "rows": len(rows)}
    if cfg.eval.data:
        result["eval"] = evaluate_heldout(trained.base, trained.adapter, cfg.eval, out / "eval").to_json()
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


__all__ = ["Trained", "load_base", "peft_config", "run_sft", "train_sft", "trainer_args"]
