"""Summaries people compare: ``summary.json``, ``report.md`` and ``chart.png`` (pass rate, failure categories).

The summary always states the mode, the iverilog version and the known-broken problems, since
VerilogEval numbers move with all three.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from rtlgen.evals.passk import mean_rate, pass_at_ks
from rtlgen.evals.results import EvalCategory, Problem, SampleResult

if TYPE_CHECKING:
    from rtlgen.evals.registry import EvalTask
    from rtlgen.evals.runner import EvalConfig


def _counts(results: list[SampleResult], problems: list[Problem], method: str, missing_n: int
            ) -> dict[str, tuple[int, int]]:
    by: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        if r.extraction == method:
            by[r.task_id].append(r.passed)
    return {p.task_id: (len(by[p.task_id]), sum(by[p.task_id])) if by.get(p.task_id) else (missing_n, 0)
            for p in problems}


# Categories of a sample that never compiled (or that the judge refused unrun): a syntax failure.
NOT_COMPILED = frozenset({"S", "e", "0", "w", "m", "c", "p", "C", "forbidden", "empty", "truncated", "too_large",
                          "tool_missing", EvalCategory.MISSING.value})


def syntax_stats(results: list[SampleResult], problems: list[Problem], method: str, missing_n: int) -> dict:
    """pass@k of "it compiles" (RTLLM's syntax score)."""
    by: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        if r.extraction == method:
            by[r.task_id].append(r.category not in NOT_COMPILED)
    counts = [(len(by[p.task_id]), sum(by[p.task_id])) if by.get(p.task_id) else (missing_n, 0) for p in problems]
    return {**pass_at_ks(counts), "pass_rate": mean_rate(counts)}


def group_stats(counts: dict[str, tuple[int, int]], problems: list[Problem]) -> dict[str, dict]:
    """Functional pass@k per benchmark class (RTLLM's Arithmetic, Control, Memory, Miscellaneous)."""
    groups: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for p in problems:
        if p.group:
            groups[p.group].append(counts[p.task_id])
    return {g: {"problems": len(c), "passed": sum(1 for _, k in c if k), **pass_at_ks(c), "pass_rate": mean_rate(c)}
            for g, c in sorted(groups.items())}


def _method_stats(results: list[SampleResult], problems: list[Problem], method: str, missing_n: int) -> dict:
    counts = _counts(results, problems, method, missing_n)
    mine = [r for r in results if r.extraction == method]
    return {**pass_at_ks(list(counts.values())), "pass_rate": mean_rate(counts.values()),
            "problems_passed": sum(1 for _, c in counts.values() if c),
            "truncated": sum(r.category == "truncated" for r in mine), "empty": sum(r.category == "empty" for r in mine)}


def summarize(*, task: EvalTask, config: EvalConfig, problems: list[Problem], results: list[SampleResult],
              missing: list[str], iverilog: str, excluded: list[str], wall_s: float, out: Path) -> dict:
    """The summary object (``--json`` prints it)."""
    primary = "golden" if config.model == "golden" else "upstream"
    missing_n = max(config.samples, 1)
    counts = _counts(results, problems, primary, missing_n)
    prim = [r for r in results if r.extraction == primary]
    categories = Counter(r.category for r in prim)
    if missing:
        categories[EvalCategory.MISSING.value] += missing_n * len(missing)
    cats_by_problem: dict[str, Counter] = defaultdict(Counter)
    for r in prim:
        cats_by_problem[r.task_id][r.category] += 1
    summary = {
        "task": task.name, "task_version": task.VERSION, "mode": config.mode.value,
        "source": config.completions or config.model, "iverilog": iverilog,
        "problems": len(problems), "samples_per_problem": max((n for n, _ in counts.values()), default=0),
        **pass_at_ks(list(counts.values())), "pass_rate": mean_rate(counts.values()),
        "passed": sorted(t for t, (_, c) in counts.items() if c),
        "failed": sorted(t for t, (_, c) in counts.items() if not c),
        "categories": dict(sorted(categories.items())), "missing": missing, "excluded": excluded,
        "known_broken": sorted(p.task_id for p in problems if p.known_broken),
        "extraction": {} if primary == "golden" else {
            m: _method_stats(results, problems, m, missing_n) for m in ("upstream", "robust")
            if any(r.extraction == m for r in results)},
        "samples_judged": len(results), "cached": sum(r.cached for r in results),
        "merged": sum(r.merged for r in results),
        "wall_s": round(wall_s, 3), "out": str(out),
        "per_problem": [{"task_id": t, "n": n, "c": c, "categories": dict(cats_by_problem[t])}
                        for t, (n, c) in counts.items()],
        "syntax": syntax_stats(results, problems, primary, missing_n),
        "by_group": group_stats(counts, problems),
        "variant": config.variant,
        "fixes": task.fixes() if hasattr(task, "fixes") else {},
    }
    return summary


def _chart(path: Path, summary: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats = {k: v for k, v in summary["categories"].items() if k != "pass"}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 3]})
    keys = [k for k in ("pass_at_1", "pass_at_5", "pass_at_10", "pass_rate") if summary.get(k) is not None]
    ax1.bar(keys, [summary[k] * 100 for k in keys], color="#4C72B0")
    ax1.set_ylim(0, 100)
    ax1.set_ylabel("%")
    ax1.set_title(f"{summary['mode']} mode")
    ax2.bar(list(cats) or ["none"], list(cats.values()) or [0], color="#C44E52")
    ax2.set_title("failure categories (samples)")
    fig.suptitle(f"{summary['task']} - {summary['source']} - {summary['iverilog']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"


def markdown(summary: dict, chart_name: str) -> str:
    lines = [f"# {summary['task']} ({summary['mode']} mode)", "",
             f"- source: `{summary['source']}`", f"- iverilog: {summary['iverilog']}",
             f"- problems: {summary['problems']}, samples per problem: {summary['samples_per_problem']}",
             f"- pass@1: {_pct(summary.get('pass_at_1'))}, pass@5: {_pct(summary.get('pass_at_5'))}, "
             f"pass@10: {_pct(summary.get('pass_at_10'))}, mean c/n: {_pct(summary.get('pass_rate'))}",
             f"- problems with a passing sample: {len(summary['passed'])}/{summary['problems']}",
             f"- known-broken problems on this iverilog: {', '.join(summary['known_broken']) or 'none'}",
             f"- excluded: {', '.join(summary['excluded']) or 'none'}",
             f"- missing completions: {', '.join(summary['missing']) or 'none'}",
             f"- syntax (compiles) pass@1: {_pct(summary['syntax'].get('pass_at_1'))}, "
             f"pass@5: {_pct(summary['syntax'].get('pass_at_5'))}",
             f"- data variant: {summary['variant']}",
             f"- samples judged: {summary['samples_judged']} ({summary['merged']} as the same program as another "
             f"sample, comments and whitespace aside; {summary['cached']} from the result cache)",
             f"- wall time: {summary['wall_s']} s", "", f"![pass rate and failure categories]({chart_name})", ""]
    if summary["by_group"]:
        lines += ["## By class", "", "| class | problems | passed | pass@1 | pass@5 |", "|---|---|---|---|---|"]
        lines += [f"| {g} | {st['problems']} | {st['passed']} | {_pct(st.get('pass_at_1'))} | "
                  f"{_pct(st.get('pass_at_5'))} |" for g, st in summary["by_group"].items()]
        lines.append("")
    if summary["fixes"]:
        lines += ["## Changes of the fixed variant", ""]
        lines += [f"- {d}: {reason}" for d, reasons in summary["fixes"].items() for reason in reasons]
        lines.append("")
    if summary["extraction"]:
        lines += ["## Code extraction", "", "| extraction | pass@1 | mean c/n | problems passed | truncated | empty |",
                  "|---|---|---|---|---|---|"]
        for m, st in summary["extraction"].items():
            lines.append(f"| {m} | {_pct(st.get('pass_at_1'))} | {_pct(st.get('pass_rate'))} | "
                         f"{st['problems_passed']} | {st['truncated']} | {st['empty']} |")
        lines.append("")
    if summary.get("ppa"):
        ppa = summary["ppa"]
        g = ppa["geomean"]
        lines += ["## PPA of passing samples against the reference", "", f"- method: {ppa['method']}",
                  f"- designs measured: {ppa['designs_measured']}; geomean area {_ratio(g['area'])}, delay "
                  f"{_ratio(g['delay'])}, ADP {_ratio(g['adp'])}", "",
                  "| design | area | delay | ADP |", "|---|---|---|---|"]
        lines += [f"| {t} | {_ratio(d.get('area'))} | {_ratio(d.get('delay'))} | {_ratio(d.get('adp'))} |"
                  for t, d in ppa["per_design"].items()]
        lines += [f"| {t} | no PPA: {why} | | |" for t, why in ppa["no_ppa"].items()]
        lines.append("")
    lines += ["## Failure categories", "", "| category | samples |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in summary["categories"].items()]
    lines += ["", "## Per problem", "", "| problem | passed/n | categories | known broken |", "|---|---|---|---|"]
    broken = set(summary["known_broken"])
    for row in summary["per_problem"]:
        cats = ", ".join(f"{k}:{v}" for k, v in row["categories"].items())
        lines.append(f"| {row['task_id']} | {row['c']}/{row['n']} | {cats} | {'yes' if row['task_id'] in broken else ''} |")
    return "\n".join(lines) + "\n"


def write_outputs(out: Path, summary: dict, results: list[SampleResult]) -> None:
    """summary.json, report.md and chart.png in ``out``."""
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    _chart(out / "chart.png", summary)
    (out / "report.md").write_text(markdown(summary, "chart.png"))


def table(summary: dict) -> str:
    """A short plain-text table for the terminal."""
    head = (f"{summary['task']} [{summary['mode']}] {summary['iverilog']}: pass@1 {_pct(summary.get('pass_at_1'))} "
            f"({len(summary['passed'])}/{summary['problems']} problems)")
    if summary.get("variant", "upstream") != "upstream" or summary.get("by_group"):
        head += f", syntax pass@1 {_pct(summary['syntax'].get('pass_at_1'))}, variant {summary['variant']}"
    cats = "  ".join(f"{k}={v}" for k, v in summary["categories"].items())
    failed = ", ".join(summary["failed"][:20]) or "none"
    return f"{head}\ncategories: {cats}\nfailed: {failed}\nreport: {summary['out']}/report.md"
