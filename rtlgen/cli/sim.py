"""`rtlgen sim run` and `rtlgen sim lint`: simulate or check Verilog files through the sandbox.

    rtlgen sim run rtlgen/sim/examples/counter.v rtlgen/sim/examples/counter_tb.v --top counter_tb
    rtlgen sim run design.sv tb.sv --top tb --simulator verilator --timeout 60 --json
    rtlgen sim lint design.sv

``run`` exits 0 when the simulation compiled, ran and exited 0, and 1 otherwise; ``--json`` prints
one object (SimResult.to_json). Bad input (missing, unreadable, empty, binary or oversized file, a FIFO
or device, a bad --top or --timeout) is a one-line error before anything runs.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer

from rtlgen.cli.options import check_seconds, check_top, executor_option, sandbox_for, unsafe_option
from rtlgen.errors import InputError
from rtlgen.inputs import SOURCE_MAX, decode_text, read_input_bytes

sim_app = typer.Typer(help="Simulate or check Verilog through the sandbox.", no_args_is_help=True)


def read_sources(paths: list[Path]) -> dict[str, str]:
    """name -> text, in the given order; one InputError naming the file and the fix for each problem.

    A FIFO or device is refused unread, a file over SOURCE_MAX or with a NUL byte (binary) is refused;
    bytes that are not UTF-8 are replaced with U+FFFD after a warning that names the first offset.
    """
    if not paths:
        raise InputError("no files given: rtlgen sim run FILE... --top NAME")
    sources: dict[str, str] = {}
    for path in paths:
        name = path.name
        if name in sources:
            raise InputError(f"two files are named {name!r}; the job dir is flat, so rename one")
        if path.is_dir():
            raise InputError(f"{path} is a directory; pass the Verilog files in it")
        data = read_input_bytes(path, "", SOURCE_MAX)
        if not data.strip():
            raise InputError(f"{path} is empty; pass a file with Verilog in it")
        text, bad = decode_text(data, path, "Verilog source", replace=True)
        if bad is not None:
            print(f"rtlgen: warning: {path} is not UTF-8 (byte {bad}); invalid bytes were replaced with U+FFFD",
                  file=sys.stderr)
        sources[name] = text
    return sources


@sim_app.command("run")
def run(
    files: list[Path] = typer.Argument(..., help="Verilog/SystemVerilog files, compiled in this order"),
    top: str = typer.Option(..., "--top", help="top-level module (usually the testbench)"),
    simulator: str = typer.Option("icarus", "--simulator", help="icarus or verilator"),
    timeout: float = typer.Option(30.0, "--timeout", help="wall-clock seconds for the simulation step"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    judge: list[Path] = typer.Option([], "--judge", help="a trusted testbench file (repeatable): FILES are then "
                                     "the design under test, judged by the hardened judge"),
    design_top: Optional[str] = typer.Option(None, "--design-top", help="with --judge: the module the design "
                                             "must define (default: the one the bench instantiates)"),
    reference_top: Optional[str] = typer.Option(None, "--reference-top", help="with --judge: a reference module "
                                                "in the bench whose port directions the design must keep"),
    protocol: str = typer.Option("auto", "--protocol", help="with --judge: auto, mismatch_count, pass_line, silent"),
    unsafe: bool = unsafe_option(),
    executor: Optional[str] = executor_option(),
) -> None:
    """Compile and simulate FILES with TOP as the root, in the sandbox (with --judge: judge FILES as a design)."""
    from rtlgen.sandbox import Limits
    from rtlgen.sim import SimStatus, get_simulator

    check_seconds(timeout, "--timeout")
    check_top(top)
    check_top(design_top, "--design-top")
    check_top(reference_top, "--reference-top")
    sources = read_sources(files)
    if judge:
        from rtlgen.cli.judged import run_judged

        run_judged(sources, read_sources(judge), top=top, design_top=design_top, reference_top=reference_top,
                   protocol=protocol, simulator=simulator, timeout=timeout, as_json=as_json, unsafe=unsafe, executor=executor)
        return
    # --timeout is for the simulation; compiling keeps the default limits (Verilator has its own build limits)
    sim = get_simulator(simulator, **({"compile_limits": Limits()} if simulator == "icarus" else {}))
    result = sim.run(sources, top, sandbox=sandbox_for(unsafe, executor=executor), limits=Limits(wall_s=timeout))
    if as_json:
        print(json.dumps(result.to_json()))
    else:
        _print_human(result)
    if result.status is not SimStatus.OK:
        raise typer.Exit(1)


def _print_human(result) -> None:
    if not result.compiled:
        sys.stderr.write(result.compile_log.strip()[-4000:] + "\n")
    else:
        sys.stdout.write(result.stdout)
        if result.stderr.strip():
            sys.stderr.write(result.stderr)
    killed = f", killed by {result.killed_by.value}" if result.killed_by.value != "none" else ""
    print(f"{result.simulator}: {result.status.value}, category {result.category.value}, exit {result.exit_code}"
          f"{killed}, {result.wall_s:.2f} s wall")


@sim_app.command("lint")
def lint(
    files: list[Path] = typer.Argument(..., help="Verilog/SystemVerilog files"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    unsafe: bool = unsafe_option(),
    executor: Optional[str] = executor_option(),
) -> None:
    """Check FILES with pyslang (per file, in-process) and `iverilog -t null` (all files, sandboxed)."""
    from rtlgen.sim.icarus import syntax_check
    from rtlgen.sim.slang import parse_diagnostics

    sources = read_sources(files)
    slang = {name: parse_diagnostics(text, name) for name, text in sources.items()}
    icarus = syntax_check(sources, sandbox=sandbox_for(unsafe, executor=executor))
    slang_errors = sum(d.severity in ("error", "fatal") for ds in slang.values() for d in ds)
    ok = slang_errors == 0 and icarus.compiled
    if as_json:
        print(json.dumps({"ok": ok, "slang": {n: [asdict(d) for d in ds] for n, ds in slang.items()},
                          "icarus": icarus.to_json()}))
    else:
        for name, diags in slang.items():
            for d in diags:
                print(f"{name}:{d}")
        if icarus.compile_log.strip():
            print(icarus.compile_log.strip())
        print(f"lint: {'ok' if ok else 'errors'} (slang: {slang_errors} error(s); iverilog: "
              f"{'ok' if icarus.compiled else 'failed'}) in {len(sources)} file(s): "
              f"{', '.join(os.fspath(f) for f in files)}")
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(sim_app, name="sim")
