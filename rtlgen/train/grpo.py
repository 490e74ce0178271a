"""``rtlgen train grpo CONFIG.yaml``: TRL's GRPOTrainer on rtlgen rewards (the one judge), LoRA or full.

    rtlgen train grpo rtlgen/train/configs/grpo.yaml --set model=runs/sft/model --set loss_type=dapo

The prompts are the datasets export's RL form (``prompt``, ``testbench``, ``reference``, ``top``); every
column reaches the rewards as TRL passes it. Group size (``num_generations``), KL (``beta``), clipping
(``clip.epsilon``/``clip.epsilon_high``: DAPO's clip-higher), ``loss_type`` and reward weights come from
the config; ``prompt_filter`` keeps only prompts the starting model sometimes solves
(``rtlgen.train.prompt_filter``). Before the model is loaded: each reward is built, its columns are
checked on every row and its tools/sandbox are checked (``preflight``), so bad input is one line, not a
crash at step 1. Outputs as ``sft`` (``checkpoints/``, ``adapter/``, ``model/``, ``log.jsonl``, ``eval/``,
``result.json``), and ``prompt_filter/`` when the filter is on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

from trl import GRPOConfig as TrlGrpoConfig
from trl import GRPOTrainer

from rtlgen.config import write_resolved
from rtlgen.errors import InputError
from rtlgen.registry import import_target
from rtlgen.train import data as data_mod
from rtlgen.train.configs import Finetune, GrpoConfig, RewardSpec
from rtlgen.train.evaluate import check_heldout, evaluate_heldout
from rtlgen.train.prompt_filter import filter_prompts
from rtlgen.train.sft import last_checkpoint, load_base, peft_config, save_outputs, trainer_args


def build_reward(spec: RewardSpec):
    """The reward object a spec names: a registered name (``rtlgen.rewards.REWARDS``) or ``module:Class``."""
    if ":" in spec.name:
        try:
            target = import_target(spec.name)
        except (ImportError, AttributeError) as exc:
            raise InputError(f"reward {spec.name!r} cannot be imported ({exc})") from None
    else:
        from rtlgen.rewards import REWARDS

        target = REWARDS.get(spec.name)  # unknown names: did-you-mean and the list
    try:
        reward = target(**spec.options) if isinstance(target, type) else target
    except TypeError as exc:
        raise InputError(f"reward {spec.name!r}: bad options {sorted(spec.options)} ({exc})") from None
    if not callable(reward):
        raise InputError(f"reward {spec.name!r} is not callable")
    return reward


def required_columns(reward) -> list[str]:
    """Columns a reward cannot score without: its ``required_columns()``, else its ``testbench_column``."""
    inner = getattr(reward, "reward", reward)  # rtlgen.rewards.base.AsyncReward wraps one
    declared = getattr(inner, "required_columns", None)
    if callable(declared):
        return list(declared())
    return [c for c in (getattr(inner, "testbench_column", None),) if c]


def check_rewards(rewards: Sequence, rows: Sequence[dict], where: str) -> None:
    """Every row holds what every reward needs; tools and sandbox are there (rewards' ``preflight``)."""
    for reward in rewards:
        name = getattr(reward, "__name__", type(reward).__name__)
        data_mod.check_columns(rows, [(c, f"reward {name!r}") for c in required_columns(reward)], where)
        preflight = getattr(getattr(reward, "reward", reward), "preflight", None)
        if callable(preflight):
            preflight()


def grpo_args(cfg: GrpoConfig, out: Path) -> TrlGrpoConfig:
    scale = {"group": "group", "batch": "batch", "none": "none"}[cfg.scale_rewards]
    return TrlGrpoConfig(**trainer_args(cfg.train, out), num_generations=cfg.num_generations, beta=cfg.beta,
                         epsilon=cfg.clip.epsilon, epsilon_high=cfg.clip.epsilon_high, loss_type=cfg.loss_type.value,
                         scale_rewards=scale, temperature=cfg.temperature,
                         max_completion_length=cfg.max_completion_length,
                         mask_truncated_completions=cfg.mask_truncated, num_iterations=cfg.num_iterations,
                         reward_weights=[r.weight for r in cfg.rewards], log_completions=False)


def run_grpo(cfg: GrpoConfig) -> dict:
    """The ``rtlgen train grpo`` command: checks, trains, evaluates; returns (and writes) ``result.json``."""
    cfg.check()
    rows = data_mod.load_rows(cfg.data)
    rewards = [build_reward(spec) for spec in cfg.rewards]
    check_rewards(rewards, rows, cfg.data)
    check_heldout(cfg.eval)
    for i, row in enumerate(rows):
        data_mod.to_messages(row.get("prompt"), f"{cfg.data} row {i + 1}")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    write_resolved(cfg, out / "config.yaml")
    t0 = time.monotonic()
    offered = len(rows)
    rows = filter_prompts(rows, cfg, out / "prompt_filter")
    model, tokenizer, base = load_base(cfg.model, cfg.adapter, out)
    dataset = data_mod.rl_dataset(rows, tokenizer, where=cfg.data)
    trainer = GRPOTrainer(model=model, reward_funcs=list(rewards), args=grpo_args(cfg, out), train_dataset=dataset,
                          processing_class=tokenizer,
                          peft_config=peft_config(model, cfg.lora) if cfg.finetune is Finetune.LORA else None)
    trainer.train(resume_from_checkpoint=last_checkpoint(out, cfg.train.resume))
    trained = save_outputs(trainer, tokenizer, base, cfg.finetune, cfg.merge, out)
    result = {"command": "grpo", "steps": trained.steps, "base": trained.base, "adapter": trained.adapter,
              "model": trained.merged, "train_s": round(time.monotonic() - t0, 1), "rows": len(rows),
              "rows_offered": offered}
    if cfg.eval.data:
        result["eval"] = evaluate_heldout(trained.base, trained.adapter, cfg.eval, out / "eval").to_json()
    (out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


__all__ = ["build_reward", "check_rewards", "grpo_args", "required_columns", "run_grpo"]
