"""`rtlgen eval verilogeval`: score references, a completions file or a model on VerilogEval.

    rtlgen eval verilogeval --task verilogeval-v2-spec-to-rtl --model golden --mode strict
    rtlgen eval verilogeval --task verilogeval-v2-code-complete --completions samples.jsonl --json
    rtlgen eval verilogeval --task verilogeval-v2-spec-to-rtl --model hf:Qwen/Qwen2.5-0.5B --samples 20

Results go to --out (default runs/<task>-<timestamp>): results.jsonl (resumable), summary.json,
report.md, chart.png, config.json. --json prints the summary as one JSON object on stdout. The --out
directory is locked while a run uses it; a second run into it at the same time is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rtlgen.cli.configured import config_option, resolve, set_option
from rtlgen.cli.options import executor_option, sandbox_for, unsafe_option
from rtlgen.errors import InputError

eval_app = typer.Typer(help="Evaluate RTL models on benchmarks.", no_args_is_help=True)


def _problem_list(problems: str | None) -> tuple[str, ...]:
    if not problems:
        return ()
    names = tuple(p.strip() for p in problems.split(",") if p.strip())
    if not names or any(any(c.isspace() for c in n) for n in names):
        raise InputError(f"--problems must list task ids separated by commas (no spaces inside an id), "
                         f"not {problems!r}")
    return names


FAMILIES = {"verilogeval": "verilogeval-", "rtllm": "rtllm-", "jsonl": "jsonl"}


def evaluate(
    ctx: typer.Context,
    task: Optional[str] = typer.Option(None, "--task", help="verilogeval-v1-human, verilogeval-v1-machine, "
                             "verilogeval-v2-spec-to-rtl, verilogeval-v2-code-complete (eval verilogeval); "
                             "rtllm-v1.1, rtllm-v2.0 (eval rtllm); jsonl (eval jsonl, the default there)"),
    variant: str = typer.Option("upstream", "--variant", help="RTLLM data: upstream (as published) or fixed "
                                "(versioned patches, each with its reason, listed in the report)"),
    model: Optional[str] = typer.Option(None, "--model", help="'golden' (the references) or a model spec "
                                        "(hf:..., openai:...)"),
    completions: Optional[str] = typer.Option(None, "--completions", help="JSONL of {task_id, completion}"),
    mode: str = typer.Option("official", "--mode", help="official (upstream rules) or strict (forgery-proof)"),
    samples: int = typer.Option(1, "--samples", help="completions per problem (n); n > 1 samples at T=0.85"),
    shots: int = typer.Option(0, "--shots", help="in-context examples in the prompt, 0-4"),
    out: Optional[str] = typer.Option(None, "--out", help="output dir (a re-run with the same dir resumes)"),
    jobs: Optional[int] = typer.Option(None, "--jobs", help="concurrent simulations (default: all cores)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as one JSON object"),
    data_dir: Optional[str] = typer.Option(None, "--data-dir", help="benchmark data (VerilogEval: v1/, v2/; "
                                           "RTLLM: v1.1/, v2.0/)"),
    exclude_broken: bool = typer.Option(False, "--exclude-broken",
                                        help="drop problems whose reference fails on this iverilog"),
    problems: Optional[str] = typer.Option(None, "--problems", help="comma-separated task ids"),
    limit: Optional[int] = typer.Option(None, "--limit", help="only the first N problems"),
    no_cache: bool = typer.Option(False, "--no-cache", help="do not use the sandbox result cache"),
    ppa: bool = typer.Option(False, "--ppa", help="area, delay and ADP of passing samples against the reference "
                             "(Yosys + ABC, sky130)"),
    unsafe: bool = unsafe_option(),
    executor: Optional[str] = executor_option(),
    config_file: Optional[Path] = config_option(),
    sets: list[str] = set_option(),
) -> None:
    """Score samples on a benchmark task; exit 0 when the run completed (whatever the score)."""
    if mode == "strict" or config_file is not None:  # may be strict: the check worker starts during the imports
        from rtlgen.sim.judge.core import prewarm_checks

        prewarm_checks()
    from rtlgen.evals.report import table
    from rtlgen.evals.runner import GOLDEN, EvalConfig, run_eval

    flags = {"task": ("task", task), "mode": ("mode", mode), "model": ("model", model),
             "completions": ("completions", completions), "samples": ("samples", samples), "shots": ("shots", shots),
             "out": ("out", out), "jobs": ("jobs", jobs), "data_dir": ("data_dir", data_dir),
             "exclude_broken": ("exclude_broken", exclude_broken), "problems": ("problems", _problem_list(problems)),
             "limit": ("limit", limit), "cache": ("no_cache", not no_cache), "variant": ("variant", variant),
             "ppa": ("ppa", ppa), "executor": ("executor", executor)}
    if task is None and ctx.info_name == "jsonl":  # the command names its only task
        flags["task"] = ("task", "jsonl")
    flags = {k: v for k, v in flags.items() if k != "task" or v[1] is not None}
    if config_file is None and "task" not in flags:
        raise InputError(f"give --task NAME (or a --config file with a task: key) (see '{ctx.command_path} --help')")
    config = resolve(ctx, EvalConfig, config_file, sets, flags)
    task, mode, variant = config.task, config.mode.value, config.variant
    family = FAMILIES.get(ctx.info_name or "", "")
    if family and not task.startswith(family):
        raise InputError(f"--task {task!r} is not a {ctx.info_name} task; its tasks start with {family!r}")
    if variant not in ("upstream", "fixed"):
        raise InputError(f"--variant must be upstream or fixed, not {variant!r}")
    if config.problems and config.limit:
        raise InputError("give either --problems or --limit, not both")
    if config.model and config.model != GOLDEN:
        from rtlgen.llm.registry import check_model

        check_model(config.model)  # a path that is no model, a bad script or URL: refused before any work
    from rtlgen.sandbox import default_cache_dir

    summary = run_eval(config, sandbox=sandbox_for(unsafe, (config.cache_dir or default_cache_dir()) if config.cache else None,
                                              config.executor))
    if as_json:
        typer.echo(json.dumps({k: v for k, v in summary.items() if k != "per_problem"}))
    else:
        typer.echo(table(summary))


eval_app.command("verilogeval", help="Score samples on a VerilogEval task (v1 human/machine, v2).")(evaluate)
eval_app.command("jsonl", help="Score samples on problems from an RL-form JSONL (prompt, testbench, reference, "
                  "top; --data-dir FILE.jsonl), e.g. a dataset export's held-out split.")(evaluate)
eval_app.command("rtllm", help="Score samples on RTLLM v1.1 or v2.0 (official or strict; upstream or fixed data).")(
    evaluate)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
