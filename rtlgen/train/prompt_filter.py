"""GRPO's prompt filter: train only on prompts the starting model sometimes solves.

A GRPO group whose completions all earn the same reward has zero advantage and teaches nothing; with a
small model most prompts are never solved (and a few always). DAPO drops such groups online and
resamples; this does it once, before training: ``samples`` completions per prompt from the starting model,
judged strictly by ``rtlgen eval``'s own path (``evaluate_heldout``, VerilogEval's sampling setting), and
only prompts whose pass rate c/n lies strictly between ``above`` and ``below`` are kept.

    kept = filter_prompts(rows, cfg, out / "prompt_filter")   # writes prompts.jsonl, eval/, rates.json, kept.jsonl

The pass rate is the judge's verdict, whatever rewards the run trains on. The evaluation resumes from
``eval/`` after a kill. Keeping nothing is a one-line error before the model is trained.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from rtlgen.errors import InputError
from rtlgen.train import data as data_mod
from rtlgen.train.configs import EvalSettings, GrpoConfig, PromptFilter


def prompt_ids(rows: Sequence[dict]) -> list[str]:
    """One id per row, by position (rows' own ids may repeat or be missing)."""
    return [f"p{i:06d}" for i in range(len(rows))]


def keep_by_rate(rows: Sequence[dict], rates: Mapping[str, float], f: PromptFilter) -> list[dict]:
    """The rows whose pass rate (by ``prompt_ids``) is strictly between ``f.above`` and ``f.below``."""
    return [row for pid, row in zip(prompt_ids(rows), rows, strict=True) if f.above < rates.get(pid, 0.0) < f.below]


def filter_prompts(rows: Sequence[dict], cfg: GrpoConfig, out: Path) -> list[dict]:
    """``rows`` unchanged when the filter is off; else the kept rows (see the module doc)."""
    f = cfg.prompt_filter
    if not f.samples:
        return list(rows)
    from rtlgen.train.evaluate import evaluate_heldout

    data_mod.check_columns(rows, [("testbench", "prompt_filter (the judge simulates against it)")], cfg.data)
    problems = data_mod.write_jsonl([dict(row, id=pid) for pid, row in zip(prompt_ids(rows), rows, strict=True)],
                                    out / "prompts.jsonl")
    settings = EvalSettings(data=str(problems), samples=f.samples, max_new_tokens=cfg.max_completion_length,
                            batch_size=cfg.eval.batch_size, jobs=cfg.eval.jobs, unsafe=cfg.eval.unsafe)
    result = evaluate_heldout(cfg.model, cfg.adapter or None, settings, out / "eval", progress=True)
    rates = dict(result.rates)
    kept = keep_by_rate(rows, rates, f)
    (out / "rates.json").write_text(json.dumps({"samples": f.samples, "above": f.above, "below": f.below,
                                                "pass_at_1": result.pass_at_1, "kept": len(kept), "of": len(rows),
                                                "rates": rates}, indent=1) + "\n")
    data_mod.write_jsonl(kept, out / "kept.jsonl")
    print(f"prompt filter: kept {len(kept)} of {len(rows)} prompts (pass rate in ({f.above}, {f.below}) over "
          f"{f.samples} samples; starting model pass@1 {result.pass_at_1:.4f})", flush=True)
    if not kept:
        raise InputError(f"prompt_filter kept none of {len(rows)} prompts: the starting model's pass rate is "
                         f"outside ({f.above}, {f.below}) on all of them; train it further (SFT), widen the "
                         "bounds, or set prompt_filter.samples=0")
    return kept


__all__ = ["filter_prompts", "keep_by_rate", "prompt_ids"]
