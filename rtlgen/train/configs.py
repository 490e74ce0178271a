"""Training configs: frozen dataclasses with a help string per field, loaded by ``rtlgen.config``.

    from rtlgen.config import load_config
    cfg = load_config(SftConfig, "rtlgen/train/configs/sft.yaml", overrides=["train.lr=1e-3"])

Defaults, then the YAML, then ``--set key=value``; an unknown key or a wrong type is a one-line
``InputError`` before any model is loaded. ``check()`` adds the cross-field rules (a group size that
divides the batch, a data file that exists) so they fail before training too. No torch here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from rtlgen.config import help_
from rtlgen.errors import InputError


class Finetune(enum.StrEnum):
    LORA = "lora"  # train a peft LoRA adapter; the base stays frozen
    FULL = "full"  # train every weight (what a from-scratch tiny model needs)


class LossType(enum.StrEnum):
    """TRL 1.16 GRPO loss aggregations (``GRPOConfig.loss_type``)."""

    GRPO = "grpo"
    DR_GRPO = "dr_grpo"
    DAPO = "dapo"  # token-level loss over the whole batch (DAPO); pair with clip.epsilon_high for clip-higher
    BNPO = "bnpo"
    CISPO = "cispo"
    SAPO = "sapo"


class Selection(enum.StrEnum):
    """Which verified completions of one prompt an ITERTL round keeps."""

    ALL = "all"  # every distinct passing completion
    BEST_ADP = "best_adp"  # the passing one with the best area-delay against the reference


@dataclass(frozen=True)
class LoraSettings:
    r: int = field(default=16, metadata=help_("LoRA rank"))
    alpha: int = field(default=32, metadata=help_("LoRA scaling numerator (scale = alpha / r)"))
    dropout: float = field(default=0.0, metadata=help_("dropout on the LoRA input; 0 for tiny runs"))
    target_modules: tuple[str, ...] = field(
        default=("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
        metadata=help_("module names that get adapters (Llama/Qwen naming)"))


@dataclass(frozen=True)
class TrainLoop:
    lr: float = field(default=2e-4, metadata=help_("peak learning rate"))
    max_steps: int = field(default=100, metadata=help_("optimizer steps (wins over epochs when > 0)"))
    epochs: float = field(default=1.0, metadata=help_("passes over the data when max_steps is 0"))
    batch_size: int = field(default=8, metadata=help_("rows per device per step"))
    grad_accum: int = field(default=1, metadata=help_("micro-batches per optimizer step"))
    warmup_ratio: float = field(default=0.05, metadata=help_("share of steps with a linear warm-up"))
    weight_decay: float = field(default=0.0, metadata=help_("AdamW weight decay"))
    max_length: int = field(default=512, metadata=help_("tokens per training sequence (prompt + completion)"))
    save_steps: int = field(default=50, metadata=help_("checkpoint every N steps: a kill loses at most N"))
    save_total_limit: int = field(default=2, metadata=help_("checkpoints kept on disk"))
    logging_steps: int = field(default=5, metadata=help_("log loss/reward every N steps"))
    seed: int = field(default=0, metadata=help_("seed for data order and initialisation"))
    resume: bool = field(default=True, metadata=help_("resume from the last checkpoint in out/checkpoints"))


@dataclass(frozen=True)
class EvalSettings:
    data: str = field(default="", metadata=help_("held-out RL-form JSONL (prompt, testbench, reference, top); "
                                                 "'' skips the evaluation"))
    limit: int = field(default=0, metadata=help_("only the first N held-out problems (0: all)"))
    max_new_tokens: int = field(default=512, metadata=help_("generation cap per completion"))
    batch_size: int = field(default=16, metadata=help_("prompts per generation batch"))
    samples: int = field(default=1, metadata=help_("completions per problem: 1 is greedy; n > 1 samples at "
                                                   "VerilogEval's pass@k setting (T 0.85, top_p 0.95) and pass@1 "
                                                   "is the mean of c/n over problems, as rtlgen eval --samples n"))
    jobs: int = field(default=0, metadata=help_("concurrent simulations (0: all cores)"))
    unsafe: bool = field(default=False, metadata=help_("simulate without bwrap (trusted code only)"))


@dataclass(frozen=True)
class RewardSpec:
    name: str = field(default="simulation", metadata=help_("a name in rtlgen.rewards.REWARDS or 'module:Class'"))
    weight: float = field(default=1.0, metadata=help_("weight in TRL's weighted sum of rewards"))
    options: dict = field(default_factory=dict, metadata=help_("keyword arguments of the reward's constructor"))


@dataclass(frozen=True)
class SftConfig:
    model: str = field(default="", metadata=help_("base model directory (save_pretrained layout)"))
    adapter: str = field(default="", metadata=help_("LoRA adapter to merge into the base before training"))
    data: str = field(default="", metadata=help_("training data: JSONL or a datasets save_to_disk directory"))
    out: str = field(default="runs/train-sft", metadata=help_("output directory (adapter/, model/, eval/, log)"))
    finetune: Finetune = field(default=Finetune.LORA, metadata=help_("lora or full"))
    lora: LoraSettings = field(default_factory=LoraSettings, metadata=help_("adapter shape (finetune: lora)"))
    train: TrainLoop = field(default_factory=TrainLoop, metadata=help_("optimizer and checkpointing"))
    merge: bool = field(default=False, metadata=help_("also save base + adapter merged into out/model"))
    eval: EvalSettings = field(default_factory=EvalSettings, metadata=help_("held-out pass@1 at the end"))

    def check(self) -> None:
        _need_model(self.model, self.adapter)
        _need_data(self.data, "data")
        _check_loop(self.train)
        _check_eval(self.eval)


@dataclass(frozen=True)
class ClipSettings:
    epsilon: float = field(default=0.2, metadata=help_("lower clip range of the importance ratio"))
    epsilon_high: float = field(default=0.28, metadata=help_("upper clip range (DAPO clip-higher; = epsilon: "
                                                             "symmetric GRPO)"))


@dataclass(frozen=True)
class PromptFilter:
    samples: int = field(default=0, metadata=help_("completions per training prompt sampled from the starting model "
                                                   "before training, judged strictly (0: no filter)"))
    above: float = field(default=0.0, metadata=help_("keep prompts whose pass rate c/n is above this ..."))
    below: float = field(default=1.0, metadata=help_("... and below this (a prompt never or always solved gives "
                                                     "a group with one reward, so no advantage)"))


@dataclass(frozen=True)
class GrpoConfig:
    model: str = field(default="", metadata=help_("policy base model directory"))
    adapter: str = field(default="", metadata=help_("LoRA adapter (e.g. the SFT one) merged into the base first"))
    data: str = field(default="", metadata=help_("RL-form prompts: JSONL or datasets directory with the columns "
                                                 "the rewards need (testbench, reference, top)"))
    out: str = field(default="runs/train-grpo", metadata=help_("output directory"))
    finetune: Finetune = field(default=Finetune.LORA, metadata=help_("lora or full"))
    lora: LoraSettings = field(default_factory=LoraSettings, metadata=help_("adapter shape"))
    train: TrainLoop = field(default_factory=lambda: TrainLoop(lr=1e-5, max_steps=50, batch_size=8),
                             metadata=help_("optimizer; batch_size counts completions, not prompts"))
    rewards: tuple[RewardSpec, ...] = field(default=(RewardSpec(),), metadata=help_("reward functions"))
    num_generations: int = field(default=8, metadata=help_("group size: completions per prompt"))
    beta: float = field(default=0.0, metadata=help_("KL coefficient to the reference policy (0: no ref model)"))
    clip: ClipSettings = field(default_factory=ClipSettings, metadata=help_("PPO-style ratio clipping"))
    loss_type: LossType = field(default=LossType.DAPO, metadata=help_("grpo, dr_grpo, dapo, bnpo, cispo, sapo"))
    scale_rewards: str = field(default="group", metadata=help_("advantage scaling: group, batch or none"))
    temperature: float = field(default=1.0, metadata=help_("sampling temperature of the rollouts"))
    max_completion_length: int = field(default=256, metadata=help_("tokens per rollout"))
    mask_truncated: bool = field(default=True, metadata=help_("leave truncated rollouts out of the loss (DAPO)"))
    num_iterations: int = field(default=1, metadata=help_("optimisation passes per generated batch (mu)"))
    prompt_filter: PromptFilter = field(default_factory=PromptFilter,
                                        metadata=help_("train only on prompts the starting model sometimes solves "
                                                       "(DAPO's dynamic sampling, done once before training)"))
    merge: bool = field(default=False, metadata=help_("also save base + adapter merged into out/model"))
    eval: EvalSettings = field(default_factory=EvalSettings, metadata=help_("held-out pass@1 at the end"))

    def check(self) -> None:
        _need_model(self.model, self.adapter)
        _need_data(self.data, "data")
        _check_loop(self.train)
        _check_eval(self.eval)
        if not self.rewards:
            raise InputError("config key 'rewards' must list at least one reward")
        if self.num_generations < 2:
            raise InputError(f"config key 'num_generations' must be at least 2 (a group), not {self.num_generations}")
        total = self.train.batch_size * self.train.grad_accum
        if total % self.num_generations:
            raise InputError(f"train.batch_size x train.grad_accum ({total}) must be a multiple of "
                             f"num_generations ({self.num_generations})")
        if self.scale_rewards not in ("group", "batch", "none"):
            raise InputError(f"config key 'scale_rewards' must be group, batch or none, not {self.scale_rewards!r}")
        if self.clip.epsilon_high < self.clip.epsilon:
            raise InputError("clip.epsilon_high must be at least clip.epsilon")
        _check_filter(self.prompt_filter)


@dataclass(frozen=True)
class SamplingSettings:
    k: int = field(default=8, metadata=help_("completions sampled per training prompt per round"))
    temperature: float = field(default=0.8, metadata=help_("sampling temperature"))
    top_p: float = field(default=0.95, metadata=help_("nucleus mass"))
    max_new_tokens: int = field(default=256, metadata=help_("tokens per completion"))
    batch_size: int = field(default=16, metadata=help_("prompts per generation batch"))


@dataclass(frozen=True)
class IterateConfig:
    model: str = field(default="", metadata=help_("starting model directory; every round trains on it"))
    adapter: str = field(default="", metadata=help_("LoRA adapter merged into the starting model first"))
    data: str = field(default="", metadata=help_("RL-form training prompts (prompt, testbench, reference, top)"))
    seed_data: str = field(default="", metadata=help_("optional SFT-form rows every round also trains on"))
    out: str = field(default="runs/train-iterate", metadata=help_("output directory (rounds.jsonl, round_N/)"))
    rounds: int = field(default=3, metadata=help_("ITERTL rounds"))
    sampling: SamplingSettings = field(default_factory=SamplingSettings, metadata=help_("per-round sampling"))
    select: Selection = field(default=Selection.ALL, metadata=help_("all passing, or best by area-delay"))
    max_per_prompt: int = field(default=2, metadata=help_("distinct verified completions kept per prompt"))
    from_previous: bool = field(default=False, metadata=help_(
        "each round fine-tunes the previous round's model, so training compounds (ITERTL); false: every round "
        "fine-tunes the starting model afresh on all rounds' data (STaR)"))
    finetune: Finetune = field(default=Finetune.LORA, metadata=help_("lora or full"))
    lora: LoraSettings = field(default_factory=LoraSettings, metadata=help_("adapter shape"))
    train: TrainLoop = field(default_factory=lambda: TrainLoop(max_steps=0, epochs=2.0),
                             metadata=help_("fine-tuning of each round"))
    judge_timeout_s: float = field(default=30.0, metadata=help_("wall clock per simulation"))
    unsafe: bool = field(default=False, metadata=help_("simulate without bwrap (trusted code only)"))
    eval: EvalSettings = field(default_factory=EvalSettings, metadata=help_("held-out pass@1 after each round"))

    def check(self) -> None:
        _need_model(self.model, self.adapter)
        _need_data(self.data, "data")
        if self.seed_data:
            _need_data(self.seed_data, "seed_data")
        if self.rounds < 1:
            raise InputError(f"config key 'rounds' must be at least 1, not {self.rounds}")
        if self.sampling.k < 1 or self.max_per_prompt < 1:
            raise InputError("sampling.k and max_per_prompt must be at least 1")
        _check_loop(self.train)
        _check_eval(self.eval)


def _need_model(model: str, adapter: str) -> None:
    if not model:
        raise InputError("config key 'model' is required: a model directory saved with save_pretrained "
                         "(`rtlgen train tiny OUT` builds a small one)")
    from rtlgen.llm.hf_backend import check_model_dir

    check_model_dir(model, "model", "config.json")
    if adapter:
        check_model_dir(adapter, "LoRA adapter directory", "adapter_config.json")


def _need_data(path: str, key: str) -> None:
    if not path:
        raise InputError(f"config key {key!r} is required: a JSONL file or a datasets directory")
    if not Path(path).exists():
        raise InputError(f"config key {key!r}: {path} does not exist")


def _check_loop(loop: TrainLoop) -> None:
    for name in ("batch_size", "grad_accum", "save_steps", "logging_steps", "max_length", "save_total_limit"):
        if getattr(loop, name) < 1:
            raise InputError(f"config key 'train.{name}' must be a positive integer, not {getattr(loop, name)}")
    if loop.max_steps < 0 or loop.epochs <= 0 or loop.lr <= 0:
        raise InputError("train.max_steps must be >= 0, train.epochs and train.lr > 0")


def _check_filter(f: PromptFilter) -> None:
    from rtlgen.evals.runner import MAX_SAMPLES

    if not 0 <= f.samples <= MAX_SAMPLES:
        raise InputError(f"config key 'prompt_filter.samples' must be 0 (off) to {MAX_SAMPLES}, not {f.samples}")
    if not 0.0 <= f.above < f.below <= 1.0:
        raise InputError(f"prompt_filter needs 0 <= above < below <= 1, not above={f.above} below={f.below}")


def _check_eval(ev: EvalSettings) -> None:
    if ev.data and not Path(ev.data).is_file():
        raise InputError(f"config key 'eval.data': {ev.data} is not a file (give an RL-form JSONL)")
    if ev.limit < 0 or ev.max_new_tokens < 1 or ev.batch_size < 1 or ev.jobs < 0:
        raise InputError("eval.limit and eval.jobs must be >= 0, eval.max_new_tokens and eval.batch_size >= 1")


__all__ = ["ClipSettings", "EvalSettings", "Finetune", "GrpoConfig", "IterateConfig", "LoraSettings", "LossType",
           "PromptFilter", "RewardSpec", "SamplingSettings", "Selection", "SftConfig", "TrainLoop"]
