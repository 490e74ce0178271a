"""RTLLM v1.1 and v2.0 references on Icarus: golden pass rates in both modes and both data variants, the
errata, PPA of the references against themselves, and wall time against the upstream-style flow and the bound.

    .venv/bin/python benchmarks/rtllm_golden.py [--data-dir ../shared/rtllm]

1. For each version x variant (upstream, fixed) x mode (official, strict): ``rtlgen eval rtllm --model golden``
   (fresh cache); pass rate, syntax rate and the failing designs (upstream: the errata, with their reasons
   from the fix files).
2. Wall time of the strict fixed run vs upstream's flow (``auto_run.py``: per design, compile then simulate,
   one after the other; Icarus instead of VCS), and vs the bound max(longest job, total / cores).
3. PPA of every reference against itself through ``rtlgen.synth.ppa`` (sky130): 1.0 by construction, a sanity
   check of the flow; designs that do not synthesise are listed with the reason.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rtlgen.evals.registry import get_task
from rtlgen.evals.results import Mode
from rtlgen.evals.runner import EvalConfig, run_eval
from rtlgen.evals.tasks.rtllm import load_fixes
from rtlgen.sandbox import find_tool


def sequential_flow(task, problems) -> tuple[float, float]:
    """(total s, longest s): compile and run each reference the way auto_run.py does, one after the other."""
    iverilog, vvp = find_tool("iverilog"), find_tool("vvp")
    t0, longest = time.monotonic(), 0.0
    for p in problems:
        t1 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="rtllm-seq-") as d:
            for name, text in [(f"{p.top}.v", task.golden(p)), ("testbench.v", p.test), *p.data_files,
                               ("cmds.f", "+timescale+1ns/1ns\n")]:
                Path(d, name).write_text(text)
            subprocess.run([iverilog, "-g2012", "-f", "cmds.f", "-o", "simv", f"{p.top}.v", "testbench.v"], cwd=d,
                           capture_output=True, check=False)
            subprocess.run(["timeout", "30", vvp, "-n", "simv"], cwd=d, capture_output=True, check=False)
        longest = max(longest, time.monotonic() - t1)
    return time.monotonic() - t0, longest


def ppa_self_check(task, problems) -> None:
    try:
        from rtlgen.synth.ppa import PPAStatus, ppa_many
    except ImportError:
        print("  PPA: rtlgen.synth.ppa is not available")
        return
    results = ppa_many([(task.golden(p), p.top) for p in problems])
    ok = [(p, r) for p, r in zip(problems, results, strict=True) if r.status is PPAStatus.OK]
    print(f"  PPA (sky130, reference vs itself): {len(ok)}/{len(problems)} synthesise; ratio 1.00 by construction")
    for p, r in zip(problems, results, strict=True):
        if r.status is not PPAStatus.OK:
            print(f"    no PPA: {p.task_id}: {r.status.value}: {r.reason[:120]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=os.environ.get("RTLGEN_RTLLM_DIR", "../shared/rtllm"))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rtllm-bench-"))
    try:
        for name in ("rtllm-v1.1", "rtllm-v2.0"):
            task = get_task(name)
            print(f"{name} ({task.size} designs)")
            for variant in ("upstream", "fixed"):
                for mode in (Mode.OFFICIAL, Mode.STRICT):
                    out = tmp / f"{name}-{variant}-{mode.value}"
                    s = run_eval(EvalConfig(task=name, model="golden", mode=mode, data_dir=args.data_dir,
                                            out=str(out), cache_dir=str(tmp / f"cache-{out.name}"), progress=False,
                                            variant=variant))
                    print(f"  {variant:8s} {mode.value:8s}: pass {len(s['passed'])}/{s['problems']}, syntax "
                          f"{100 * s['syntax']['pass_at_1']:.1f}%, {s['wall_s']:.2f} s; failing: "
                          f"{', '.join(s['failed']) or 'none'}")
            for design, fixes in load_fixes(task.version).items():
                for fix in fixes:
                    print(f"    erratum {design}: {fix.file}: {fix.reason}")
            fixed = task.with_variant("fixed")
            problems = fixed.load(Path(args.data_dir))
            total, longest = sequential_flow(fixed, problems)
            bound = max(longest, total / (os.cpu_count() or 1))
            print(f"  upstream-style sequential flow: {total:.2f} s; bound {bound:.2f} s; last strict fixed run "
                  f"{s['wall_s']:.2f} s = {total / s['wall_s']:.2f}x faster, {s['wall_s'] / bound:.2f}x the bound")
            ppa_self_check(fixed, problems)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
