"""`rtlgen synth`: QoR of a design under a recipe, recipe search, and retraining the policy prior.

    rtlgen synth qor c432.aig --recipe resyn2 --json
    rtlgen synth optimize c432.aig --budget 100 --method retrieval --seed 0 --json
    rtlgen synth optimize c432.aig --preset abc-rl      # ABC-RL's setting: ASAP7, 7 actions, length 10
    rtlgen synth train-prior --out rtlgen/synth/data/prior.npz
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Optional

import typer

from rtlgen.cli.configured import config_option, resolve, set_option
from rtlgen.cli.options import check_int, check_seed, check_top, sandbox_for, unsafe_option
from rtlgen.errors import InputError
from rtlgen.inputs import DATA_MAX, SOURCE_MAX, binary_offset, check_input_file, read_input_bytes, read_input_text
from rtlgen.outdir import check_out_file

LIBERTY_MAX = 1 << 30  # liberty files of large libraries run to hundreds of MiB uncompressed
MAX_BUDGET = 100_000  # recipe evaluations: about a day of ABC time on a mid-size design
MAX_LENGTH = 100  # recipe length (ABC-RL uses 10, OpenABC-D 20)
MAX_RESYN2_REPEAT = 100  # resyn2xN
MAX_RECIPE = 1000  # commands in one recipe
_TEXT_FORMATS = (".v", ".sv", ".blif", ".bench")

synth_app = typer.Typer(help="Synthesis QoR (Yosys + ABC) and ABC recipe search.", no_args_is_help=True)


def _load_design(design: Path, top: str | None, sandbox):
    """Read DESIGN safely (regular file, size cap, no NUL in a text format) and elaborate it."""
    from rtlgen.synth.frontend import design_from_bytes

    design, data = _read_design(design)
    return design_from_bytes(design, data, top=check_top(top), sandbox=sandbox)


def _read_design(design: Path) -> tuple[Path, bytes]:
    """(DESIGN as its format, its bytes), checked: known extension (also .gz, unpacked under a cap), regular file,
    size cap, no NUL in a text format, AIGER header."""
    from rtlgen.synth.frontend import SUFFIXES, check_aiger, unpack

    if design.suffix.lower() not in SUFFIXES + (".gz",):
        raise InputError(f"{design}: unknown design extension {design.suffix or '(none)'!r}; "
                         f"expected one of {', '.join(SUFFIXES)} (or any of them .gz)")
    design, data = unpack(design, read_input_bytes(design, "design", SOURCE_MAX))
    if not data.strip():
        raise InputError(f"design {design} is empty; pass a file with a design in it")
    nul = binary_offset(data) if design.suffix.lower() in _TEXT_FORMATS else None
    if nul is not None:
        raise InputError(f"design {design} is binary (NUL byte at offset {nul}), not {design.suffix} text; "
                         "pass the source file")
    if design.suffix.lower() == ".aig":
        check_aiger(design, data)
    return design, data


def _check_liberty(liberty: Path | None) -> None:
    if liberty is not None:
        check_input_file(liberty, "liberty file", LIBERTY_MAX)


def _parse_recipe(recipe: str) -> tuple[str, ...]:
    from rtlgen.synth import parse_recipe

    m = re.fullmatch(r"\s*resyn2x(\d+)\s*", recipe)
    if m and not 1 <= int(m.group(1)) <= MAX_RESYN2_REPEAT:
        raise InputError(f"--recipe resyn2xN needs N from 1 to {MAX_RESYN2_REPEAT}, not {m.group(1)}")
    steps = parse_recipe(recipe)
    if len(steps) > MAX_RECIPE:
        raise InputError(f"--recipe has {len(steps)} commands; at most {MAX_RECIPE} are allowed")
    return steps


def _shared() -> Path:
    return Path(os.environ.get("RTLGEN_SHARED") or Path(__file__).resolve().parents[2].parent / "shared")


@synth_app.command("qor")
def qor_cmd(design: Path = typer.Argument(..., help=".v/.sv/.aig/.blif/.bench, or any of them .gz"),
            liberty: Optional[Path] = typer.Option(None, help="liberty file (.lib or .lib.gz); default sky130hd tt"),
            recipe: str = typer.Option("resyn2", help="resyn2, resyn2xN, none, or 'cmd; cmd; ...'"),
            top: Optional[str] = typer.Option(None, help="top module (Verilog); default: auto"),
            check: bool = typer.Option(True, help="cec the mapped result against the original"),
            as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
            unsafe: bool = unsafe_option()) -> None:
    """AIG nodes/levels and mapped area, delay, ADP of DESIGN after RECIPE.

    Verilog (.v/.sv) goes through the PPA flow (rtlgen.synth.ppa): registers mapped to liberty cells,
    the logic between them through RECIPE; it reports comb/seq/total area, delay and how delay is measured.
    """
    from rtlgen.synth import AbcSession

    steps = _parse_recipe(recipe)
    check_top(top)
    _check_liberty(liberty)
    sandbox = sandbox_for(unsafe)
    if design.suffix.lower() in (".v", ".sv") or design.name.lower().endswith((".v.gz", ".sv.gz")):
        _qor_verilog(design, top, liberty, steps, sandbox, check, as_json)
        return
    d = _load_design(design, top, sandbox)
    with AbcSession(liberty, sandbox=sandbox) as abc:
        q = abc.evaluate(d, steps)
        equivalent = abc.cec(d, steps) if check else None
    out = {"design": d.name, "recipe": list(steps), **q.to_json(), "equivalent": equivalent}
    if as_json:
        print(json.dumps(out))
        return
    for key, value in out.items():
        typer.echo(f"{key:>10}: {value}")


def _qor_verilog(design: Path, top: str | None, liberty: Path | None, steps: tuple[str, ...], sandbox, check: bool,
                as_json: bool) -> None:
    """PPA of a Verilog design; a design that does not synthesise is a one-line error naming why."""
    from rtlgen.synth.ppa import PPAStatus, ppa_of
    from rtlgen.synth.qor import SynthError

    text = _read_design(design)[1].decode("utf-8", "replace")
    p = ppa_of(text, top=top, liberty=str(liberty) if liberty else None, recipe=steps, sandbox=sandbox, check=check)
    if p.status is PPAStatus.REFUSED:
        raise InputError(f"design {design} refused: {p.reason}")
    if not p.ok:
        raise SynthError(f"{design}: {p.status.value}: {p.reason}")
    out = {"design": design.stem, **p.to_json()}
    if as_json:
        print(json.dumps(out))
        return
    for key, value in out.items():
        typer.echo(f"{key:>10}: {value}")


@synth_app.command("optimize")
def optimize_cmd(ctx: typer.Context,
                 design: Path = typer.Argument(..., help=".v/.sv/.aig/.blif/.bench, or any of them .gz"),
                 budget: int = typer.Option(100, help="recipe evaluations"),
                 method: str = typer.Option("retrieval", help="random|greedy|anneal|mcts|retrieval|agent"),
                 seed: int = typer.Option(0, help="random seed"),
                 preset: str = typer.Option("default", help="default (sky130hd) | abc-rl (ASAP7, ABC-RL's setting)"),
                 length: Optional[int] = typer.Option(None, help="recipe length; default: the preset's (10)"),
                 liberty: Optional[Path] = typer.Option(None, help="liberty file; default: the preset's"),
                 top: Optional[str] = typer.Option(None, help="top module (Verilog); default: auto"),
                 as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
                 unsafe: bool = unsafe_option(),
                 config_file: Optional[Path] = config_option(),
                 sets: list[str] = set_option()) -> None:
    """Search ABC recipes for DESIGN at a budget of recipe evaluations; report the cec-checked best."""
    from rtlgen.synth import AbcSession, get_method, optimize
    from rtlgen.synth.presets import get_preset
    from rtlgen.synth.search import SearchConfig

    cfg = resolve(ctx, SearchConfig, config_file, sets, {
        "budget": ("budget", budget), "method": ("method", method), "seed": ("seed", seed), "length": ("length", length),
        "liberty": ("liberty", str(liberty) if liberty else None), "top": ("top", top), "preset": ("preset", preset)})
    budget, method, seed, top = cfg.budget, cfg.method, cfg.seed, cfg.top
    chosen = get_preset(cfg.preset)  # fail on a bad name before any tool runs
    length = cfg.length if cfg.length is not None else chosen.length
    liberty = Path(cfg.liberty) if cfg.liberty else chosen.liberty_path()
    cls = get_method(method)
    check_int(budget, "--budget", maximum=MAX_BUDGET)
    check_int(length, "--length", maximum=MAX_LENGTH)
    check_seed(seed)
    check_top(top)
    _check_liberty(liberty)
    sandbox = sandbox_for(unsafe)
    d = _load_design(design, top, sandbox)
    prior = chosen.load_prior() if cls.uses_prior else None
    with AbcSession(liberty, sandbox=sandbox) as abc:
        result = optimize(d, abc, method=method, budget=budget, seed=seed, length=length, prior=prior)
    out = {**result.to_json(), "preset": chosen.name, "liberty": str(liberty) if liberty else None, "length": length}
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

    check_int(per_design, "--per-design", maximum=100_000)
    check_int(max_ands, "--max-ands", maximum=10**9)
    check_int(workers, "--workers", maximum=256)
    if out.suffix != ".npz":
        raise InputError(f"--out {out} must end in .npz (numpy would add the suffix and write elsewhere)")
    check_out_file(out)
    log = log or out.with_suffix(".log.jsonl")
    check_out_file(log, "--log")
    _check_log(log)
    _check_liberty(liberty)
    train_dir = train_dir or _shared() / "synth-bench" / "train"
    _check_train_dir(train_dir)
    prior = train_prior(train_dir, out, log_path=log, per_design=per_design, max_ands=max_ands, workers=workers,
                        liberty=str(liberty) if liberty else None)
    typer.echo(f"wrote {out}: {len(prior.names)} designs, d0={prior.d0:.3f}")


def _check_train_dir(train_dir: Path) -> None:
    """Every training AIG readable with a sane header, so a bad file fails here and not mid-training."""
    if not train_dir.is_dir():
        raise InputError(f"--train-dir {train_dir} is not a directory; pass synth-bench/train")
    for f in sorted(train_dir.glob("*.aig")):
        header = read_input_bytes(f, "training design", SOURCE_MAX)[:64].split(b"\n")[0].split()
        if len(header) < 6 or header[0] != b"aig" or not all(x.isdigit() for x in header[1:6]):
            raise InputError(f"training design {f} is not a binary AIGER file (header 'aig M I L O A'); remove it")


def _check_log(log: Path) -> None:
    """A resumed evaluation log must be rtlgen's own JSONL: a bad line would stop training after hours."""
    if not log.exists():
        return
    for lineno, line in enumerate(read_input_text(log, "--log", DATA_MAX).splitlines(), 1):
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError):
            rec = None
        ok = (isinstance(rec, dict) and isinstance(rec.get("design"), str) and isinstance(rec.get("adp"), int | float)
              and (rec.get("actions") is None or isinstance(rec.get("actions"), list)))
        if not ok:
            raise InputError(f"{log}:{lineno}: not an evaluation record (a torn line from a killed run?); "
                             "delete that line and re-run")


def register(app: typer.Typer) -> None:
    app.add_typer(synth_app, name="synth")
