"""`rtlgen spec2rtl SPEC --model MODEL`: a specification in, verified Verilog out (see ``rtlgen.agent``).

    rtlgen spec2rtl spec.txt --model openai:qwen@http://127.0.0.1:8000/v1 --test tb.sv --rounds 4 --out out/
    rtlgen spec2rtl "A module named adder adding two 4-bit inputs a and b into a 5-bit s" \\
        --model scripted:answers.yaml --json

Exit code 0 only when a candidate passed (a given test, or the self-generated one, which the output says).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rtlgen.cli.options import sandbox_for, unsafe_option
from rtlgen.errors import InputError


def _read_spec(spec: str) -> str:
    path = Path(spec)
    try:
        if len(spec) < 4096 and "\n" not in spec and path.is_file():
            return path.read_text(encoding="utf-8")
    except OSError:
        pass
    if not spec.strip():
        raise InputError("the specification is empty: give a file or the text itself")
    return spec


def _read_file(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    if not path.is_file():
        raise InputError(f"{what} {path} not found")
    return path.read_text(encoding="utf-8")


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
    spec: str = typer.Argument(..., help="specification: a file, or the text itself"),
    model: str = typer.Option(..., "--model", help="model spec: hf:PATH, openai:MODEL@URL, scripted:FILE.yaml"),
    top: Optional[str] = typer.Option(None, "--top", help="top module name (default: what --test instantiates, else from the spec, else 'top')"),
    test: Optional[Path] = typer.Option(None, "--test", help="a Verilog testbench to pass"),
    cocotb: Optional[Path] = typer.Option(None, "--cocotb", help="a cocotb test (Python file) to pass"),
    rounds: int = typer.Option(3, "--rounds", min=1, help="model answers per candidate (first + repairs)"),
    samples: int = typer.Option(1, "--samples", min=1, help="candidates to sample"),
    out: Path = typer.Option(Path("spec2rtl-out"), "--out", help="output directory"),
    temperature: Optional[float] = typer.Option(None, "--temperature", help="default: 0 for 1 sample, else 0.8"),
    max_new_tokens: int = typer.Option(2048, "--max-new-tokens", min=1, help="tokens per answer"),
    seed: int = typer.Option(0, "--seed", help="base sampling seed"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    unsafe: bool = unsafe_option(),
) -> None:
    """Write RTL from a specification, verify it, and repair it from compiler and simulator feedback."""
    from rtlgen.agent import AgentConfig, run_agent
    from rtlgen.llm import load_model

    if test is not None and cocotb is not None:
        raise InputError("give either --test or --cocotb, not both")
    text = _read_spec(spec)
    tb_text = _read_file(test, "testbench")
    cocotb_test = (cocotb.stem, _read_file(cocotb, "cocotb test")) if cocotb is not None else None
    config = AgentConfig(top=top, rounds=rounds, samples=samples, temperature=temperature,
                         max_new_tokens=max_new_tokens, seed=seed)
    backend = load_model(model)
    try:
        result = run_agent(text, backend, config, out, testbench=tb_text, cocotb=cocotb_test,
                           sandbox=sandbox_for(unsafe))
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
