"""PPA of every VerilogEval v2 and RTLLM reference through ``rtlgen.synth.ppa`` (registers included).

    .venv/bin/python benchmarks/sequential_qor.py [--out runs/sequential_qor] [--workers 2] [--no-compare]

Designs: the 156 VerilogEval v2 spec-to-rtl references (top ``RefModule``), RTLLM v1.1 (29) and v2.0
(50) ``verified_*.v`` (top: the module of that file nobody instantiates). Per design: status, reason,
areas, delay, flops, latches and the job's wall time; per suite: how many get a PPA, how many fail and
why (Yosys's reason), and the time per design. With comparison on (the default), each design also
goes through today's AIGER flow (``synth qor``: front end + warm ABC session, resyn2) where that flow
gets a figure at all, and the table says how many that is and how far the two flows differ on them.
Writes OUT/results.json (or OUT itself when it ends in .json).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from rtlgen.errors import RtlgenError
from rtlgen.synth.ppa import METHOD, PPA, ppa_many

SHARED = Path(__file__).resolve().parents[2] / "shared"
_MODULE = re.compile(r"^\s*module\s+(\w+)", re.M)


def root_module(text: str) -> str | None:
    """The last module of ``text`` that no other module there instantiates (None: let Yosys pick)."""
    names = _MODULE.findall(text)
    words = re.findall(r"\w+", text)
    roots = [n for n in names if words.count(n) == 1]
    return roots[-1] if roots else (names[-1] if names else None)


def designs(shared: Path) -> list[dict]:
    out = []
    for f in sorted((shared / "verilog-eval" / "v2" / "spec-to-rtl").glob("*_ref.sv")):
        out.append({"suite": "verilogeval-v2", "name": f.name.removesuffix("_ref.sv"), "path": str(f),
                    "top": "RefModule"})
    for version, pattern in (("v1.1", "*/verified_*.v"), ("v2.0", "*/*/*/verified_*.v")):
        for f in sorted((shared / "rtllm" / version).glob(pattern)):
            out.append({"suite": f"rtllm-{version}", "name": f.parent.name, "path": str(f),
                        "top": root_module(f.read_text(errors="replace"))})
    return out


def old_qor(rows: list[dict], liberty: str | None) -> None:
    """Today's flow where it works: AIG with no latch (ABC refuses the front end's latch AIGs) -> resyn2 QoR."""
    from rtlgen.synth import RESYN2, AbcSession
    from rtlgen.synth.frontend import design_from_bytes

    with AbcSession(liberty) as abc:
        for row in rows:
            try:
                d = design_from_bytes(Path(row["path"]), Path(row["path"]).read_bytes(), top=row["top"])
                header = d.aig_bytes()[:64].split(b"\n")[0].split()
                if len(header) < 6 or header[3] != b"0":
                    row["old"] = {"status": "failed", "reason": "the AIG has latches; ABC does not read it"}
                    continue
                q = abc.evaluate(d, RESYN2)
                row["old"] = {"status": "ok", "area": q.area, "delay": q.delay, "adp": q.adp}
            except RtlgenError as exc:
                row["old"] = {"status": "failed", "reason": str(exc)[:200]}


def summarize(rows: list[dict]) -> dict:
    suites = {}
    for suite in sorted({r["suite"] for r in rows}):
        mine = [r for r in rows if r["suite"] == suite]
        ok = [r for r in mine if r["ppa"]["status"] == "ok"]
        secs = [r["ppa"]["seconds"] for r in mine if r["ppa"]["status"] != "refused"]
        s = {"designs": len(mine), "ok": len(ok),
             "with_registers": sum(1 for r in ok if r["ppa"]["flops"] or r["ppa"]["latches"]),
             "with_latches": sum(1 for r in ok if r["ppa"]["latches"]),
             "failed": {r["name"]: f"{r['ppa']['status']}: {r['ppa']['reason']}" for r in mine
                        if r["ppa"]["status"] != "ok"},
             "seconds_mean": round(statistics.mean(secs), 3) if secs else None,
             "seconds_median": round(statistics.median(secs), 3) if secs else None,
             "seconds_max": round(max(secs), 3) if secs else None}
        olds = [r for r in mine if "old" in r]
        if olds:
            both = [r for r in olds if r["old"]["status"] == "ok" and r["ppa"]["status"] == "ok"]
            diffs = [max(_rel(r["old"]["area"], r["ppa"]["area"]), _rel(r["old"]["delay"], r["ppa"]["delay"]))
                     for r in both if not (r["ppa"]["flops"] or r["ppa"]["latches"])]
            s["old_flow_ok"] = sum(1 for r in olds if r["old"]["status"] == "ok")
            s["old_flow_compared_combinational"] = len(diffs)
            s["old_flow_max_rel_diff"] = max(diffs) if diffs else None
        suites[suite] = s
    return suites


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-12)


def print_table(suites: dict) -> None:
    print(f"{'suite':16} {'designs':>7} {'ok':>4} {'regs':>5} {'latch':>5} {'fail':>5} {'s/design':>9} "
          f"{'max s':>6} {'old ok':>6} {'max diff':>9}")
    for name, s in suites.items():
        diff = s.get("old_flow_max_rel_diff")
        print(f"{name:16} {s['designs']:>7} {s['ok']:>4} {s['with_registers']:>5} {s['with_latches']:>5} "
              f"{len(s['failed']):>5} {s['seconds_mean']:>9.2f} {s['seconds_max']:>6.2f} "
              f"{s.get('old_flow_ok', '-'):>6} {'-' if diff is None else f'{diff:.1e}':>9}")
    for name, s in suites.items():
        for design, why in s["failed"].items():
            print(f"  {name}/{design}: {why}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("runs/sequential_qor"), help="directory, or a .json file")
    ap.add_argument("--shared", type=Path, default=SHARED, help="holds verilog-eval/v2 and rtllm/")
    ap.add_argument("--liberty", default=None, help="default: the shipped sky130hd typical")
    ap.add_argument("--recipe", default="resyn2")
    ap.add_argument("--workers", type=int, default=None, help="default: one per core")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per design")
    ap.add_argument("--no-compare", action="store_true", help="skip today's AIGER flow")
    args = ap.parse_args()
    rows = designs(args.shared)
    start = time.monotonic()
    results: list[PPA] = ppa_many([(open(r["path"]).read(), r["top"]) for r in rows], liberty=args.liberty,
                                  recipe=args.recipe, timeout_s=args.timeout, workers=args.workers, progress="ppa")
    wall = time.monotonic() - start
    for row, p in zip(rows, results, strict=True):
        row["ppa"] = p.to_json()
    if not args.no_compare:
        old_qor(rows, args.liberty)
    suites = summarize(rows)
    print(f"method: {METHOD}\n{len(rows)} designs in {wall:.0f} s wall ({args.workers or 'all'} workers)")
    print_table(suites)
    path = args.out if args.out.suffix == ".json" else args.out / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"method": METHOD, "recipe": args.recipe, "liberty": results[0].liberty if results
                                else None, "wall_s": round(wall, 1), "suites": suites, "designs": rows}, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
