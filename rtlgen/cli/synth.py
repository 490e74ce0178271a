"""`rtlgen synth`: QoR of a design under a recipe, recipe search, and retraining the policy prior.

    rtlgen synth qor c432.aig --recipe resyn2 --json
    rtlgen synth optimize c432.aig --budget 100 --method retrieval --seed 0 --json
    rtlgen synth train-prior --out rtlgen/synth/data/prior.npz
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

from rtlgen.cli.options import sandbox_for, unsafe_option

synth_app = typer.Typer(help="Synthesis QoR (Yosys + ABC) and ABC recipe search.", no_args_is_help=True)


def _shared() -> Path:
    return Path(os.environ.get("RTLGEN_SHARED") or Path(__file__).resolve().parents[2].parent / "shared")


@synth_app.command("qor")
def qor_cmd(design: Path = typer.Argument(..., help=".v/.sv/.aig/.blif/.bench"),
            liberty: Optional[Path] = typer.Option(None, help="liberty file (.lib or .lib.gz); default sky130hd tt"),
            recipe: str = typer.Option("resyn2", help="resyn2, resyn2xN, none, or 'cmd; cmd; ...'"),
            top: Optional[str] = typer.Option(None, help="top module (Verilog); default: auto"),
            check: bool = typer.Option(True, help="cec the mapped result against the original"),
            as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
            unsafe: bool = unsafe_option()) -> None:
    """AIG nodes/levels and mapped area, delay, ADP of DESIGN after RECIPE."""
    from rtlgen.synth import AbcSession, load_design, parse_recipe

    steps = parse_recipe(recipe)
    sandbox = sandbox_for(unsafe)
    d = load_design(design, top=top, sandbox=sandbox)
    with AbcSession(liberty, sandbox=sandbox) as abc:
        q = abc.evaluate(d, steps)
        equivalent = abc.cec(d, steps) if check else None
    out = {"design": d.name, "recipe": list(steps), **q.to_json(), "equivalent": equivalent}
    if as_json:
        print(json.dumps(out))
        return
    for key, value in out.items():
        typer.echo(f"{key:>10}: {value}")


@synth_app.command("optimize")
def optimize_cmd(design: Path = typer.Argument(..., help=".v/.sv/.aig/.blif/.bench"),
                 budget: int = typer.Option(100, help="recipe evaluations"),
                 method: str = typer.Option("retrieval", help="random|greedy|anneal|mcts|retrieval"),
                 seed: int = typer.Option(0, help="random seed"),
                 length: int = typer.Option(10, help="recipe length (10 as ABC-RL, 20 as OpenABC-D)"),
                 liberty: Optional[Path] = typer.Option(None, help="liberty file; default sky130hd tt"),
                 top: Optional[str] = typer.Option(None, help="top module (Verilog); default: auto"),
                 as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
                 unsafe: bool = unsafe_option()) -> None:
    """Search ABC recipes for DESIGN at a budget of recipe evaluations; report the cec-checked best."""
    from rtlgen.errors import InputError
    from rtlgen.synth import AbcSession, get_method, load_design, optimize

    get_method(method)  # fail on a bad name before any tool runs
    if budget < 1 or length < 1:
        raise InputError(f"--budget and --length must be positive integers, not {budget} / {length}")
    sandbox = sandbox_for(unsafe)
    d = load_design(design, top=top, sandbox=sandbox)
    with AbcSession(liberty, sandbox=sandbox) as abc:
        result = optimize(d, abc, method=method, budget=budget, seed=seed, length=length)
    out = result.to_json()
    if as_json:
        print(json.dumps(out))
        return
    typer.echo(f"{out['design']}: {method} x{out['evaluations']} -> ADP {out['adp']:.1f} "
               f"({out['adp_ratio']:.3f} of resyn2), equivalent={out['equivalent']}, {out['wall_s']:.1f}s")
    typer.echo("recipe: " + "; ".join(out["recipe"]))


@synth_app.command("train-prior")
def train_prior_cmd(out: Path = typer.Option(..., help="where to write the .npz artefact"),
                    train_dir: Optional[Path] = typer.Option(None, help="default: $RTLGEN_SHARED/synth-bench/train"),
                    per_design: int = typer.Option(150, help="random recipes logged per training design"),
                    max_ands: int = typer.Option(4000, help="skip training designs larger than this"),
                    workers: int = typer.Option(2, help="ABC sessions in parallel"),
                    log: Optional[Path] = typer.Option(None, help="evaluation log (JSONL, resumed); default OUT.log.jsonl"),
                    liberty: Optional[Path] = typer.Option(None, help="liberty file; default sky130hd tt")) -> None:
    """Log random-recipe evaluations on the training designs and fit the retrieval agent's prior."""
    from rtlgen.synth.prior import train_prior

    train_dir = train_dir or _shared() / "synth-bench" / "train"
    prior = train_prior(train_dir, out, log_path=log, per_design=per_design, max_ands=max_ands, workers=workers,
                        liberty=str(liberty) if liberty else None)
    typer.echo(f"wrote {out}: {len(prior.names)} designs, d0={prior.d0:.3f}")


def register(app: typer.Typer) -> None:
    app.add_typer(synth_app, name="synth")
