"""`rtlgen train`: fine-tune models on verified RTL (SFT, GRPO on the judge's rewards, ITERTL rounds).

    rtlgen train tiny runs/tiny --families truth_table,counter      # a from-scratch tiny LM to try things on
    rtlgen train sft rtlgen/train/configs/sft.yaml --set model=runs/tiny --set data=train.jsonl
    rtlgen train grpo rtlgen/train/configs/grpo.yaml --set adapter=runs/sft/adapter
    rtlgen train iterate rtlgen/train/configs/iterate.yaml --set rounds=3

Each command reads CONFIG.yaml into its config dataclass (``rtlgen.train.configs``), applies ``--set
key=value`` overrides and checks everything (keys, types, files, dataset columns, rewards' tools) before a
model is loaded. torch, transformers, trl and peft are imported inside the commands only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rtlgen.cli.configured import set_option
from rtlgen.errors import InputError

train_app = typer.Typer(help="Fine-tune models on verified RTL: sft, grpo, iterate (ITERTL), tiny.",
                        no_args_is_help=True)


def _config_arg() -> Path:
    return typer.Argument(..., help="YAML config (see rtlgen/train/configs/*.yaml for every key)")


def _load(cls_name: str, config: Path, sets: list[str]):
    from rtlgen.config import load_config
    from rtlgen.train import configs

    cfg = load_config(getattr(configs, cls_name), config, overrides=sets)
    cfg.check()
    return cfg


def _print(result: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result))
        return
    rounds = result.get("rounds")
    for row in rounds or [result]:
        ev = row.get("eval") or row
        head = f"round {row['round']}: " if "round" in row else f"{result['command']}: "
        score = f"pass@1 {ev['pass_at_1']:.3f} on {ev.get('n', ev.get('n_heldout'))} held-out" \
            if "pass_at_1" in ev else "no held-out evaluation"
        typer.echo(head + score + (f"; adapter {row['adapter']}" if row.get("adapter") else ""))


@train_app.command("sft")
def sft(config: Path = _config_arg(), sets: list[str] = set_option(),
        as_json: bool = typer.Option(False, "--json", help="print the result as one JSON object")) -> None:
    """Supervised fine-tuning (LoRA or full), loss on completions only; held-out pass@1 at the end."""
    cfg = _load("SftConfig", config, sets)
    from rtlgen.train.sft import run_sft

    _print(run_sft(cfg), as_json)


@train_app.command("grpo")
def grpo(config: Path = _config_arg(), sets: list[str] = set_option(),
         as_json: bool = typer.Option(False, "--json", help="print the result as one JSON object")) -> None:
    """GRPO/DAPO with rtlgen rewards (the one judge) and LoRA; held-out pass@1 at the end."""
    cfg = _load("GrpoConfig", config, sets)
    from rtlgen.train.grpo import run_grpo

    _print(run_grpo(cfg), as_json)


@train_app.command("iterate")
def iterate(config: Path = _config_arg(), sets: list[str] = set_option(),
            as_json: bool = typer.Option(False, "--json", help="print the result as one JSON object")) -> None:
    """ITERTL: sample, verify, keep, fine-tune, evaluate, per round; resumes after the last finished round."""
    cfg = _load("IterateConfig", config, sets)
    from rtlgen.train.iterate import run_iterate

    _print(run_iterate(cfg), as_json)


@train_app.command("tiny")
def tiny(out: Path = typer.Argument(..., help="directory to save the model and tokenizer in"),
         corpus: Optional[Path] = typer.Option(None, "--corpus", help="folder of .v/.sv files the BPE reads "
                                               "(e.g. the shared rtl-corpus); none: a built-in snippet"),
         families: str = typer.Option("", "--families", help="comma-separated families whose specs and "
                                      "solutions the BPE also reads (rtlgen.datasets.families)"),
         sets: list[str] = set_option()) -> None:
    """Build a from-scratch tiny causal LM (byte-level BPE + Llama) saved with save_pretrained."""
    from rtlgen.config import load_config
    from rtlgen.train.tiny import TinySpec

    spec = load_config(TinySpec, None, overrides=sets)
    if corpus is not None and not corpus.is_dir():
        raise InputError(f"--corpus {corpus} is not a directory")
    texts: list[str] = []
    if families:
        import itertools

        from rtlgen.datasets.families import iter_instances

        names = [f.strip() for f in families.split(",") if f.strip()]
        texts = [i.spec + i.solution for i in itertools.islice(iter_instances(spec.seed, names, (1, 2)), 400)]
    from rtlgen.train.tiny import build_tiny_model, parameter_count

    path = build_tiny_model(out, spec, corpus_dir=corpus, extra_texts=texts, extra_repeat=3)
    typer.echo(f"tiny model: {parameter_count(path):,} parameters in {path}")


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
