"""Throughput of the VerilogEval runner against a sequential upstream-style flow, on this machine.

    .venv/bin/python benchmarks/verilogeval_throughput.py [--data-dir ../shared/verilog-eval] [--n 20]

1. n = 1: the full v2 spec-to-rtl golden set through ``rtlgen.evals`` (strict mode, bwrap sandbox, a
   fresh empty result cache, all cores) vs the upstream-style flow: per problem a fresh temp dir,
   ``iverilog`` compile and ``timeout 30 ./bin`` run, one after the other, log classified with
   sv-iv-analyze's rules. The baseline is trusted reference code, so it alone calls ``subprocess``
   directly (no sandbox): it is the thing being compared against, not part of rtlgen.
2. n = 20 per problem, built the way a sampler produces them (``sampler_variants``): copies of the
   reference, the reference with comments and blank lines added or its whitespace changed (the same program:
   judged once), an internal signal renamed or two statements swapped (another program, still right), and
   wrong variants (an operator flipped). Through the runner (strict, a fresh cache) vs the same
   sequential flow over all 20 samples.

The bound: no run on C cores finishes before max(its longest job, total work / C), here from the
sequential flow's own per-sample times (so the sandbox, the judge's checks and the hardening count as
our overhead). At n = 1 each run also times the sequential flow itself in one lane per core, longest first
by that run's own times: what this machine gives two concurrent lanes of the same work with no sandbox, no
checks and a perfect cost model (two lanes contend for caches and the hypervisor, so this is above 1.0). Prints wall times, ratios to the sequential flow and to the bound, merges, slowest problems.
The bound is the upstream flow's work, and the judge does less of it: its ``vvp -none`` writes no waveform
(every VerilogEval bench dumps one that no verdict reads: about a quarter of a small problem's simulation), so
ours can come in under 1.0. At n = 1 each run also times the sequential flow with ``./bin -none`` and prints
ours against that flow's bound too: the like-for-like figure.
With ``--repeat R`` each part runs R times, ours and the sequential flow alternating (so that both see the
same load on a shared machine), and the medians of the wall times and of each pair's ratios are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rtlgen.evals.registry import get_task
from rtlgen.evals.runner import EvalConfig, run_eval
from rtlgen.sandbox import find_tool
from rtlgen.sim.classify import classify_upstream

TASK = "verilogeval-v2-spec-to-rtl"
FLAGS = ("-Wall", "-Winfloop", "-Wno-timescale", "-g2012")


def upstream_one(iverilog: str, name: str, code: str, test: str, ref: str, no_wave: bool = False) -> str:
    """One sample the way upstream's Makefile does it: fresh dir, compile, `timeout 30 ./bin`, one log
    (``no_wave``: ``./bin -none``, vvp writes no waveform, as the judge runs it)."""
    d = tempfile.mkdtemp(prefix="ve-baseline-")
    try:
        for fname, text in ((f"{name}_sample01.sv", code), (f"{name}_test.sv", test), (f"{name}_ref.sv", ref)):
            Path(d, fname).write_text(text)
        with open(Path(d, "log"), "w") as log:
            subprocess.run([iverilog, *FLAGS, "-s", "tb", "-o", "bin", f"{name}_sample01.sv", f"{name}_test.sv",
                            f"{name}_ref.sv"], cwd=d, stdout=log, stderr=subprocess.STDOUT, check=False)
            rc = subprocess.run(["timeout", "30", "./bin", *(["-none"] if no_wave else [])], cwd=d, stdout=log, stderr=subprocess.STDOUT,
                                check=False).returncode
            if rc == 124:
                log.write("TIMEOUT\n")
        return classify_upstream(Path(d, "log").read_text(), code=code).value
    finally:
        shutil.rmtree(d, ignore_errors=True)


def upstream_flow(problems, samples: dict[str, list[str]], no_wave: bool = False) -> tuple[float, int, dict[str, float], float]:
    """(total s, passed, per-problem s, longest single sample s)."""
    iverilog = find_tool("iverilog")
    t0, passed, per, longest = time.monotonic(), 0, {}, 0.0
    for p in problems:
        t1 = time.monotonic()
        for code in samples[p.task_id]:
            t2 = time.monotonic()
            passed += upstream_one(iverilog, p.task_id, code, p.test, p.ref, no_wave) == "pass"
            longest = max(longest, time.monotonic() - t2)
        per[p.task_id] = time.monotonic() - t1
    return time.monotonic() - t0, passed, per, longest


def lanes_flow(problems, samples: dict[str, list[str]], per: dict[str, float]) -> float:
    """The upstream-style flow in one lane per core, longest problem first (by ``per``, the sequential run's own
    times): what the machine gives for this work with no sandbox, no checks and a perfect cost model."""
    iverilog = find_tool("iverilog")
    queue = sorted(problems, key=lambda p: -per.get(p.task_id, 0.0))
    lock = threading.Lock()

    def lane() -> None:
        while True:
            with lock:
                if not queue:
                    return
                p = queue.pop(0)
            for code in samples[p.task_id]:
                upstream_one(iverilog, p.task_id, code, p.test, p.ref)

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for f in [pool.submit(lane) for _ in range(os.cpu_count() or 1)]:
            f.result()
    return time.monotonic() - t0


def bound(total: float, longest: float) -> float:
    return max(longest, total / (os.cpu_count() or 1))


_DECL = re.compile(r"\b(wire|reg|logic)\b(\s*\[[^\]]*\])?\s+([A-Za-z_]\w*)\s*[;=]")
_ASSIGNS = re.compile(r"^([ \t]*assign\b[^\n]*;[ \t]*\n)([ \t]*assign\b[^\n]*;[ \t]*\n)", re.M)
_OPS = (("&", "|"), (" + ", " - "), ("^", "&"), ("==", "!="), ("~", ""))


def sampler_variants(code: str, n: int) -> list[str]:
    """``n`` samples of one problem as a sampler at moderate temperature produces them (see the docstring)."""
    out = [code] * max(1, n * 3 // 10)
    for k in range(n * 25 // 100):  # the same program: comments, blank lines, spacing
        out.append(f"// candidate {k}: written from the spec\n" + code.replace(";\n", ";\n\n" if k % 2 else ";  // ok\n"))
    m = _DECL.search(code)
    for k in range(n * 15 // 100):  # another program, same behaviour: a renamed signal or swapped statements
        if m and k % 2 == 0:
            out.append(re.sub(rf"\b{m.group(3)}\b", f"{m.group(3)}_r{k}", code))
        else:
            out.append(_ASSIGNS.sub(r"\2\1", code, count=1) + f"\n// v{k}\n")
    head, _, body = code.partition(");")
    wrongs = [body.replace(a, b, 1) for a, b in _OPS if a in body]
    wrongs += [re.sub(r"(assign\s+\w+\s*=\s*)", r"\1~", body, count=1), body.replace("<= ", "<= ~", 1)]
    wrongs = [w for w in wrongs if w != body] or [body + "\n// no operator to flip\n"]
    k = 0
    while len(out) < n:  # wrong: an operator flipped, or an expression inverted, after the port list
        out.append(head + ");" + wrongs[k % len(wrongs)])
        k += 1
    return out[:n]


def ours(tmp: Path, data_dir: str, name: str, completions: Path | None, cache: Path) -> dict:
    cfg = EvalConfig(task=TASK, mode="strict", data_dir=data_dir, out=str(tmp / name), cache_dir=str(cache),
                     model=None if completions else "golden", completions=str(completions) if completions else None,
                     robust=False, progress=False)
    return run_eval(cfg)


def compare(label: str, runs: int, ours_run, seq_run, total: int, lanes_run=None,
            nowave_run=None) -> tuple[list[dict], list[tuple]]:
    """``runs`` alternating pairs (ours, sequential), with ``lanes_run`` (the sequential flow in one lane per core)
    and ``nowave_run`` (the sequential flow writing no waveform) as more when given; prints each run and the
    medians."""
    mine, theirs, lanes, nowave = [], [], [], []
    for r in range(runs):
        s = ours_run(r)
        b = seq_run()
        mine.append(s)
        theirs.append(b)
        lb = bound(b[0], b[3])
        extra = ""
        if lanes_run is not None:
            lanes.append(lanes_run(b[2]) / lb)
            extra = f"; upstream flow in {os.cpu_count()} lanes / bound {lanes[-1]:.2f}"
        if nowave_run is not None:
            nw = nowave_run()
            nowave.append(s["wall_s"] / bound(nw[0], nw[3]))
            extra += f"; ours / bound of the flow without the waveform {nowave[-1]:.2f}"
        print(f"{label} run {r + 1}: ours {s['wall_s']:.2f} s, sequential {b[0]:.2f} s, bound {lb:.2f} s "
              f"(longest {b[3]:.2f} s): speed-up {b[0] / s['wall_s']:.2f}x, ours / bound {s['wall_s'] / lb:.2f}{extra}",
              flush=True)
    med = statistics.median
    ours_s, seq_s = med(s["wall_s"] for s in mine), med(b[0] for b in theirs)
    lb = med(bound(b[0], b[3]) for b in theirs)
    print(f"{label} medians of {runs}: ours {ours_s:.2f} s (pass@1 {mine[0]['pass_at_1']:.4f}), sequential "
          f"{seq_s:.2f} s (passed {theirs[0][1]}/{total}), bound {lb:.2f} s (2-core: max(longest, total/"
          f"{os.cpu_count()}))")
    print(f"{label} median ratios: speed-up {med(b[0] / s['wall_s'] for s, b in zip(mine, theirs, strict=True)):.2f}x; "
          f"ours / bound {med(s['wall_s'] / bound(b[0], b[3]) for s, b in zip(mine, theirs, strict=True)):.2f} (target <= 1.10)"
          + (f"; the upstream flow itself in {os.cpu_count()} lanes, longest first, no sandbox: {med(lanes):.2f} x the bound"
             if lanes else "")
          + (f"; ours / the bound of the same flow writing no waveform (the judge's work): {med(nowave):.2f}"
             if nowave else ""))
    return mine, theirs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("RTLGEN_VERILOGEVAL_DIR", "../shared/verilog-eval"))
    ap.add_argument("--n", type=int, default=20, help="samples per problem in part 2 (< 2: skip it)")
    ap.add_argument("--repeat", type=int, default=1, help="alternating runs of each part; medians reported")
    ap.add_argument("--repeat-n", type=int, default=None, help="runs of part 2 (default: --repeat)")
    args = ap.parse_args()
    task = get_task(TASK)
    problems = task.load(Path(args.data_dir))
    golden = {p.task_id: task.golden(p) for p in problems}
    tmp = Path(tempfile.mkdtemp(prefix="ve-bench-"))
    try:
        # each run of ours starts from a fresh, empty result cache
        _, seq1 = compare("n=1 ", args.repeat, lambda r: ours(tmp, args.data_dir, f"n1-{r}", None, tmp / f"cache1-{r}"),
                          lambda: upstream_flow(problems, {k: [v] for k, v in golden.items()}), len(problems),
                          lambda per: lanes_flow(problems, {k: [v] for k, v in golden.items()}, per),
                          lambda: upstream_flow(problems, {k: [v] for k, v in golden.items()}, no_wave=True))
        print("slowest problems (upstream-style, n=1, last run):")
        for name, secs in sorted(seq1[-1][2].items(), key=lambda kv: -kv[1])[:8]:
            print(f"  {name:32s} {secs:6.2f} s")
        if args.n < 2:
            return 0
        multi = {k: sampler_variants(v, args.n) for k, v in golden.items()}
        comp = tmp / "n20.jsonl"
        comp.write_text("".join(json.dumps({"task_id": k, "completion": ["[BEGIN]\n" + c + "\n[DONE]" for c in v]})
                                + "\n" for k, v in multi.items()))
        label = f"n={args.n}"
        mine, _ = compare(label, args.repeat_n or args.repeat,
                          lambda r: ours(tmp, args.data_dir, f"n{args.n}-{r}", comp, tmp / f"cache{args.n}-{r}"),
                          lambda: upstream_flow(problems, multi), len(problems) * args.n)
        s20 = mine[-1]
        print(f"{label} ours: pass@1 {s20['pass_at_1']:.4f}; {s20['merged']} of {s20['samples_judged']} samples "
              "merged as the same program (judged once)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
