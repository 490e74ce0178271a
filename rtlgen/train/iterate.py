"""``rtlgen train iterate CONFIG.yaml``: ITERTL rounds of sample, verify, keep, fine-tune, evaluate.

    rtlgen train iterate rtlgen/train/configs/iterate.yaml --set rounds=3 --set sampling.k=8

Round r: sample ``sampling.k`` completions per training prompt from the current model (round 1: the
starting model), judge each against its row's testbench with the one judge (``SimulationReward``, strict,
no partial credit: only a pass is verified), keep the distinct passing ones (comments and whitespace
aside; ``select: best_adp`` ranks them by area-delay against the reference), fine-tune the starting model
(with ``from_previous``: round r-1's model) on the kept completions of rounds 1..r (plus ``seed_data``),
evaluate held-out pass@1, and append one line to ``rounds.jsonl``. A re-run resumes after the last
finished round; inside a round the samples (``round_N/samples.jsonl``) are reused and training resumes
from its last checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Sequence
from pathlib import Path

from rtlgen.config import to_plain, write_resolved
from rtlgen.errors import InputError
from rtlgen.llm.base import SamplingParams
from rtlgen.train import data as data_mod
from rtlgen.train.configs import EvalSettings, IterateConfig, Selection
from rtlgen.train.evaluate import check_heldout, evaluate_heldout, model_spec
from rtlgen.train.sft import load_base, train_sft

LOG = "rounds.jsonl"


def read_rounds(out: Path) -> list[dict]:
    """Finished rounds, in order; a torn last line (a kill mid-write) is cut off the file, so the next
    round's line starts on a fresh line."""
    path = out / LOG
    if not path.exists():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        path.write_bytes(data)
    rounds = []
    for lineno, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):
            row = None
        if not (isinstance(row, dict) and type(row.get("round")) is int and row["round"] == len(rounds) + 1
                and isinstance(row.get("base"), str) and isinstance(row.get("adapter"), str | None)):
            raise InputError(f"{path}:{lineno} is not round {len(rounds) + 1} as this command writes it (round, base "
                             "and adapter); delete that line and the ones after it to run those rounds again")
        rounds.append(row)
    return rounds


def normalized(code: str) -> str:
    """Code with comments and whitespace runs removed: two completions equal here are one sample."""
    code = re.sub(r"/\*.*?\*/", " ", code, flags=re.S)
    code = re.sub(r"//[^\n]*", " ", code)
    return " ".join(code.split())


def sample(cfg: IterateConfig, base: str, adapter: str | None, rows: Sequence[dict], path: Path, seed: int) -> list:
    """``k`` completions per row (cached in ``path``: a resumed round does not sample again, unless what it would
    sample differs: ``path.key`` records the model, the prompts and the sampling settings)."""
    key = json.dumps({"base": base, "adapter": adapter, "seed": seed, "sampling": to_plain(cfg.sampling),
                      "prompts": hashlib.sha256(json.dumps([r["prompt"] for r in rows]).encode()).hexdigest()})
    if path.exists():
        return _cached_samples(path, key, len(rows), cfg.sampling.k)
    from rtlgen.llm.registry import load_model

    settings = EvalSettings(batch_size=cfg.sampling.batch_size, max_new_tokens=cfg.sampling.max_new_tokens)
    backend = load_model(model_spec(base, adapter, settings))
    params = SamplingParams(temperature=cfg.sampling.temperature, top_p=cfg.sampling.top_p,
                            max_new_tokens=cfg.sampling.max_new_tokens, n=cfg.sampling.k, seed=seed)
    prompts = [data_mod.to_messages(r["prompt"], f"{cfg.data} row {i + 1}") for i, r in enumerate(rows)]
    outs = backend.generate(prompts, params)
    backend.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".key").write_text(key)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps({"completions": c}) + "\n" for c in outs))
    tmp.replace(path)
    return outs


def _cached_samples(path: Path, key: str, n_rows: int, k: int) -> list:
    """The completions a killed round sampled, if they are what this run would sample; else one line saying why."""
    fix = f"delete {path} to sample this round again"
    recorded = path.with_suffix(".key")
    if recorded.exists() and recorded.read_text(errors="replace") != key:
        raise InputError(f"{path} was sampled with another model, data or sampling settings; {fix}")
    out = []
    for lineno, line in enumerate(path.read_bytes().decode("utf-8", "replace").splitlines(), 1):
        try:
            comps = json.loads(line)["completions"]
        except (ValueError, RecursionError, KeyError, TypeError):
            comps = None
        if not (isinstance(comps, list) and len(comps) == k and all(isinstance(c, str) for c in comps)):
            raise InputError(f"{path}:{lineno} is not {k} completions as this round samples them; {fix}")
        out.append(comps)
    if len(out) != n_rows:
        raise InputError(f"{path} has {len(out)} rows of completions for {n_rows} prompts; {fix}")
    return out


def verify(cfg: IterateConfig, rows: Sequence[dict], completions: Sequence[Sequence[str]]) -> list[list[str]]:
    """Per row, the distinct passing codes (judged strictly, no partial credit), best first."""
    from rtlgen.rewards.completions import completion_code
    from rtlgen.rewards.simulation import SimulationReward

    reward = SimulationReward(shaped=False, timeout_s=cfg.judge_timeout_s, unsafe=cfg.unsafe)
    flat = [(i, c) for i, comps in enumerate(completions) for c in comps]
    values = reward([None] * len(flat), [c for _, c in flat], testbench=[rows[i]["testbench"] for i, _ in flat],
                    reference=[rows[i].get("reference") for i, _ in flat])
    kept: list[dict[str, str]] = [{} for _ in rows]
    for (i, completion), value in zip(flat, values, strict=True):
        if value is not None and value >= reward.pass_value:
            code = completion_code(completion, rows[i].get("top") or "TopModule").code
            kept[i].setdefault(normalized(code), code)
    passing = [list(k.values()) for k in kept]
    if cfg.select is Selection.BEST_ADP:
        passing = [_by_adp(rows[i], codes) if len(codes) > 1 else codes for i, codes in enumerate(passing)]
    return [codes[: cfg.max_per_prompt] for codes in passing]


def _by_adp(row: dict, codes: list[str]) -> list[str]:
    """``codes`` ordered by area-delay against the row's reference (unscorable ones last)."""
    from rtlgen.rewards.area_delay import AreaDelayReward

    scores = AreaDelayReward(testbench_column=None)([None] * len(codes), codes,
                                                    reference=[row.get("reference")] * len(codes))
    order = sorted(range(len(codes)), key=lambda j: -(scores[j] if scores[j] is not None else float("-inf")))
    return [codes[j] for j in order]


def run_iterate(cfg: IterateConfig) -> dict:
    """The ``rtlgen train iterate`` command; returns the summary and writes ``rounds.jsonl``."""
    cfg.check()
    rows = data_mod.load_rows(cfg.data)
    data_mod.check_columns(rows, [("prompt", "sampling"), ("testbench", "the judge")], cfg.data)
    for i, row in enumerate(rows):
        data_mod.to_messages(row["prompt"], f"{cfg.data} row {i + 1}")
    check_heldout(cfg.eval)
    from rtlgen.rewards.simulation import SimulationReward

    SimulationReward(unsafe=cfg.unsafe).preflight()  # the judge of every round: tools and sandbox
    seed_rows = data_mod.load_rows(cfg.seed_data) if cfg.seed_data else []
    if seed_rows:
        data_mod.sft_pairs(seed_rows, cfg.seed_data)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    write_resolved(cfg, out / "config.yaml")
    base = str(Path(cfg.model).resolve())
    if cfg.adapter:  # merged once; every round trains on this merged start
        base = load_base(cfg.model, cfg.adapter, out)[2] if not (out / "base" / "config.json").exists() \
            else str((out / "base").resolve())
    done = read_rounds(out)
    model_base, adapter = (done[-1]["base"], done[-1]["adapter"]) if done else (base, None)
    for r in range(len(done) + 1, cfg.rounds + 1):
        done.append(_round(cfg, r, rows, seed_rows, base, model_base, adapter, out))
        with (out / LOG).open("a") as fh:
            fh.write(json.dumps(done[-1]) + "\n")
        model_base, adapter = done[-1]["base"], done[-1]["adapter"]
    return {"command": "iterate", "rounds": done, "out": str(out)}


def _round(cfg: IterateConfig, r: int, rows: Sequence[dict], seed_rows: list[dict], base: str, model_base: str,
           adapter: str | None, out: Path) -> dict:
    t0 = time.monotonic()
    rdir = out / f"round_{r}"
    completions = sample(cfg, model_base, adapter, rows, rdir / "samples.jsonl", seed=1000 * r)
    kept = verify(cfg, rows, completions)
    verified = [{"id": row.get("id", str(i)), "prompt": row["prompt"], "completion": code.rstrip() + "\n",
                 "round": r} for i, (row, codes) in enumerate(zip(rows, kept, strict=True)) for code in codes]
    data_mod.write_jsonl(verified, rdir / "verified.jsonl")
    train_rows = list(seed_rows)
    for earlier in range(1, r + 1):
        path = out / f"round_{earlier}" / "verified.jsonl"
        if path.stat().st_size:  # a round may verify nothing
            train_rows += data_mod.load_rows(path)
    record = {"round": r, "sampled": sum(len(c) for c in completions),
              "prompts_solved": sum(1 for codes in kept if codes), "kept": len(verified),
              "train_rows": len(train_rows), "base": model_base, "adapter": adapter}
    if train_rows:
        start, start_adapter = (model_base, adapter or "") if cfg.from_previous else (base, "")
        trained = train_sft(model_dir=start, adapter=start_adapter, rows=train_rows, where=f"round {r} data",
                            out=rdir / "train", finetune=cfg.finetune, lora=cfg.lora, loop=cfg.train)
        record.update(base=trained.base, adapter=trained.adapter, steps=trained.steps)
    if cfg.eval.data:
        ev = evaluate_heldout(record["base"], record["adapter"], cfg.eval, rdir / "eval")
        record.update(pass_at_1=ev.pass_at_1, n_heldout=ev.n, passed=ev.passed, passed_ids=list(ev.passed_ids),
                      eval_out=ev.out)
    record["wall_s"] = round(time.monotonic() - t0, 1)
    return record


__all__ = ["normalized", "read_rounds", "run_iterate", "sample", "verify"]
