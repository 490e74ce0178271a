"""`rtlgen spec2rtl SPEC --model MODEL`: a specification in, verified Verilog out (see ``rtlgen.agent``).

    rtlgen spec2rtl spec.txt --model openai:qwen@http://127.0.0.1:8000/v1 --test tb.sv --rounds 4 --out out/
    rtlgen spec2rtl "A module named adder adding two 4-bit inputs a and b into a 5-bit s" \\
        --model scripted:answers.yaml --json

Exit code 0 only when a candidate passed (a given test, or the self-generated one, which the output says).
Every argument is checked before the model is loaded, and --out is locked for the run: a second run into
the same directory at the same time is refused.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Optional

import typer

from rtlgen.cli.configured import config_option, resolve, set_option
from rtlgen.cli.options import (
    check_float,
    check_int,
    check_seed,
    check_top,
    executor_option,
    sandbox_for,
    unsafe_option,
)
from rtlgen.errors import InputError
from rtlgen.inputs import SPEC_MAX, TEXT_MAX, decode_text, read_input_bytes, read_input_text
from rtlgen.outdir import locked_out_dir

MAX_ROUNDS = 100  # model answers per candidate
MAX_SAMPLES = 100  # candidates
MAX_NEW_TOKENS = 131_072  # per answer: more than any current model's context


def _read_spec(spec: str) -> str:
    """The specification: the file ``spec`` names (checked like every input file), else ``spec`` itself.

    A one-line argument without spaces that looks like a file name (a '/' or an extension) must exist:
    a typo in a file name would otherwise become a one-line "specification".
    """
    if not spec.strip():
        raise InputError("the specification is empty: give a file or the text itself")
    if len(spec) < 4096 and "\n" not in spec:
        if os.path.lexists(spec):
            text = read_input_text(Path(spec), "specification file", SPEC_MAX)
            if not text.strip():
                raise InputError(f"specification file {spec} is empty; write the specification in it")
            return text
        if not any(c.isspace() for c in spec) and ("/" in spec or re.search(r"\.[A-Za-z]{1,5}$", spec)):
            raise InputError(f"specification file {spec} not found; give an existing file or the text itself")
    return spec


def _read_file(path: Path | None, what: str) -> str | None:
    """A given testbench (Verilog: bytes that are not UTF-8 are replaced, with a warning) or cocotb test."""
    if path is None:
        return None
    if not (path.exists() or path.is_symlink()):
        raise InputError(f"{what} {path} not found")
    data = read_input_bytes(path, what, TEXT_MAX)
    if not data.strip():
        raise InputError(f"{what} {path} is empty")
    text, bad = decode_text(data, path, what, replace=what == "testbench")
    if bad is not None:
        print(f"rtlgen: warning: {what} {path} is not UTF-8 (byte {bad}); invalid bytes were replaced with U+FFFD",
              file=sys.stderr)
    return text


def _check_numbers(rounds: int, samples: int, temperature: float | None, max_new_tokens: int, seed: int) -> None:
    check_int(rounds, "--rounds", maximum=MAX_ROUNDS)
    check_int(samples, "--samples", maximum=MAX_SAMPLES)
    if temperature is not None:
        check_float(temperature, "--temperature", minimum=0.0, maximum=2.0)
    check_int(max_new_tokens, "--max-new-tokens", maximum=MAX_NEW_TOKENS)
    check_seed(seed)


def _check_out(out: Path, cocotb: Path | None) -> None:
    """Every file the run writes at the end must be writable now, so no finished run is lost to it."""
    names = ["result.json", "design.sv", "testbench.sv", "transcript.jsonl"]
    if cocotb is not None:
        names.append(f"{cocotb.stem}.py")
    for name in names:
        target = out / name
        if target.is_dir() or ((target.exists() or target.is_symlink()) and not target.is_file()):
            raise InputError(f"--out {out}: {name} there is not a regular file, and this run writes it; "
                             "pass another --out")


def _print_human(result) -> None:
    source = "given testbench" if result.test_source.value == "given" else "SELF-GENERATED testbench (model-written)"
    for h in result.history:
        mark = "pass" if h.passed else h.verdict
        typer.echo(f"candidate {h.candidate} round {h.round}: {mark} [{h.category}] {h.reason}")
    state = "PASSED" if result.passed else "FAILED"
    typer.echo(f"{state} against the {source} after {result.rounds} round(s)")
    typer.echo(f"design: {result.design_path or '(none)'}")
    typer.echo(f"testbench: {result.testbench_path or '(none)'}")
    typer.echo(f"transcript: {result.transcript_path}")
    if result.clusters:
        typer.echo(f"behaviour clusters: {[list(c) for c in result.clusters]}")


def spec2rtl(
    ctx: typer.Context,
    spec: str = typer.Argument(..., help="specification: a file, or the text itself"),
    model: str = typer.Option(..., "--model", help="model spec: hf:PATH, openai:MODEL@URL, scripted:FILE.yaml"),
    top: Optional[str] = typer.Option(None, "--top", help="top module name (default: what --test instantiates, else from the spec, else 'top')"),
    test: Optional[Path] = typer.Option(None, "--test", help="a Verilog testbench to pass"),
    cocotb: Optional[Path] = typer.Option(None, "--cocotb", help="a cocotb test (Python file) to pass"),
    rounds: int = typer.Option(3, "--rounds", help="model answers per candidate (first + repairs)"),
    samples: int = typer.Option(1, "--samples", help="candidates to sample"),
    out: Path = typer.Option(Path("spec2rtl-out"), "--out", help="output directory"),
    temperature: Optional[float] = typer.Option(None, "--temperature", help="default: 0 for 1 sample, else 0.8"),
    max_new_tokens: int = typer.Option(2048, "--max-new-tokens", help="tokens per answer"),
    seed: int = typer.Option(0, "--seed", help="base sampling seed"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    unsafe: bool = unsafe_option(),
    executor: Optional[str] = executor_option(),
    config_file: Optional[Path] = config_option(),
    sets: list[str] = set_option(),
) -> None:
    """Write RTL from a specification, verify it, and repair it from compiler and simulator feedback."""
    from rtlgen.agent import AgentConfig, run_agent
    from rtlgen.llm import load_model
    from rtlgen.llm.registry import check_model

    if test is not None and cocotb is not None:
        raise InputError("give either --test or --cocotb, not both")
    _check_numbers(rounds, samples, temperature, max_new_tokens, seed)
    check_top(top)
    if cocotb is not None and (cocotb.suffix != ".py" or not cocotb.stem.isidentifier()):
        raise InputError(f"--cocotb {cocotb} must be a Python file named like a module (letters, digits, _; "
                         "ending in .py): cocotb imports it by that name")
    text = _read_spec(spec)
    tb_text = _read_file(test, "testbench")
    if tb_text is not None and not re.search(r"^[ \t]*+module[ \t\r\n]++\w", tb_text, re.M):
        raise InputError(f"testbench {test} defines no module; give a Verilog testbench (module tb; ... endmodule)")
    cocotb_test = (cocotb.stem, _read_file(cocotb, "cocotb test")) if cocotb is not None else None
    config = resolve(ctx, AgentConfig, config_file, sets, {
        "top": ("top", top), "rounds": ("rounds", rounds), "samples": ("samples", samples),
        "temperature": ("temperature", temperature), "max_new_tokens": ("max_new_tokens", max_new_tokens),
        "seed": ("seed", seed)})
    _check_numbers(config.rounds, config.samples, config.temperature, config.max_new_tokens, config.seed)
    check_top(config.top)
    check_model(model)
    with locked_out_dir(out):
        _check_out(out, cocotb)
        backend = load_model(model)
        try:
            result = run_agent(text, backend, config, out, testbench=tb_text, cocotb=cocotb_test,
                               sandbox=sandbox_for(unsafe, executor=executor))
        finally:
            backend.close()
        (out / "result.json").write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(result.to_json()))
    else:
        _print_human(result)
    raise typer.Exit(0 if result.passed else 1)


def register(app: typer.Typer) -> None:
    app.command("spec2rtl")(spec2rtl)
