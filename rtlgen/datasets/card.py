"""The dataset card (``DIR/README.md``): how the data was made, what was dropped and why, licenses, teachers,
and the contamination report. Also ``DIR/contamination.jsonl``: every decontamination hit, once.

Teacher stages record ``meta[<stage>] = {"teacher": ..., "prompt_version": ...}`` on the samples they
write; the card lists every distinct (stage, teacher, prompt version) it finds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from rtlgen.datasets.decontam import HITS_FILE
from rtlgen.datasets.licenses import LicensePolicy, classify
from rtlgen.datasets.sample import Sample

CARD_HIT_ROWS = 200  # hits listed in the card itself; all of them are in contamination.jsonl


def read_hits(out: Path) -> list[dict]:
    """Every decontamination hit once (a resumed batch writes its hits again)."""
    path = out / HITS_FILE
    if not path.exists():
        return []
    seen: dict[tuple, dict] = {}
    for line in path.read_text().splitlines():
        try:
            h = json.loads(line)
        except ValueError:
            continue
        seen.setdefault((h["sample"], h["check"], h["task"], h["problem"], h["field"]), h)
    return list(seen.values())


def teachers(samples: Sequence[Sample]) -> list[tuple[str, str, str, int]]:
    found: Counter = Counter()
    for s in samples:
        for stage, facts in s.meta.items():
            if isinstance(facts, Mapping) and ("teacher" in facts or "prompt_version" in facts):
                found[(stage, str(facts.get("teacher", "")), str(facts.get("prompt_version", "")))] += 1
    return [(*k, n) for k, n in sorted(found.items())]


def _table(head: Sequence[str], rows: Sequence[Sequence]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(str(c) for c in r) + " |" for r in rows)]


def write_card(out: Path, *, config: Mapping, counts: Mapping[str, Mapping], samples: Sequence[Sample],
               exported: Mapping[str, Mapping[str, int]], policy: LicensePolicy) -> Path:
    hits = read_hits(out)
    with (out / "contamination.jsonl").open("w") as fh:
        fh.writelines(json.dumps(h) + "\n" for h in hits)
    lines = ["# Dataset card", "", f"Built by `rtlgen data build`; {len(samples)} samples in the end. "
             "The resolved configuration is `config.yaml` in this folder.", "", "## Sources", ""]
    lines += _table(("name", "kind", "path", "license"), [(s.get("name"), s.get("kind"), s.get("path"),
                                                            s.get("license") or "per file")
                                                           for s in config.get("sources", [])])
    lines += ["", "## Stages", ""]
    lines += _table(("stage", "in", "out", "dropped", "seconds", "in/s"),
                    [(k, c["in"], c["out"], sum(c["dropped"].values()), c["seconds"], c.get("per_second", ""))
                     for k, c in counts.items()])
    lines += ["", "### Drops by reason", ""]
    lines += _table(("stage", "reason", "samples"), [(k, r, n) for k, c in counts.items()
                                                     for r, n in sorted(c["dropped"].items())])
    lines += ["", "## Licenses", "", _policy_text(policy), ""]
    lic = Counter(s.provenance.license or "(unknown)" for s in samples)
    lines += _table(("SPDX", "class", "samples"), [(k, classify(k if k != "(unknown)" else "", policy.permissive).value, n)
                                                   for k, n in lic.most_common()])
    lines += ["", "## Teachers and prompts", ""]
    found = teachers(samples)
    lines += _table(("stage", "teacher", "prompt version", "samples"), found) if found else \
        ["No teacher stage ran: every sample is code as found, filtered."]
    lines += ["", "## Export", ""]
    lines += _table(("form", *exported.get("sft", {}).keys()), [(f, *v.values()) for f, v in exported.items()])
    lines += ["", "Splits never share a dedup cluster.", "", *contamination_section(out, hits)]
    path = out / "README.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _policy_text(policy: LicensePolicy) -> str:
    text = f"Accepted without question: {', '.join(policy.permissive)}."
    if policy.allow_restricted:
        text += " **This build also keeps code under non-permissive licenses** (see the table)."
    if policy.allow_unknown:
        text += " **This build also keeps code whose license is unknown.**"
    if not (policy.allow_restricted or policy.allow_unknown):
        text += " Non-permissive and unknown licenses were refused (see drops `license_restricted`, `license_unknown`)."
    return text


def contamination_section(out: Path, hits: list[dict]) -> list[str]:
    lines = ["## Contamination", ""]
    loads_path = out / "decontam-benchmarks.json"
    if not loads_path.exists():
        return lines + ["No decontamination stage ran: **this data was not checked against any benchmark.**"]
    loads = json.loads(loads_path.read_text())
    per_task = Counter(h["task"] for h in hits)
    samples_per_task = {t: len({h["sample"] for h in hits if h["task"] == t}) for t in per_task}
    lines += _table(("benchmark", "problems", "hits", "samples hit", "data"),
                    [(d["task"], d["problems"], per_task.get(d["task"], 0), samples_per_task.get(d["task"], 0),
                      d["path"] or f"NOT CHECKED: {d['problem']}") for d in loads])
    by_check = Counter(h["check"] for h in hits)
    lines += ["", "Hits by check: " + (", ".join(f"{k} {v}" for k, v in by_check.most_common()) or "none"), ""]
    if hits:
        lines += _table(("sample", "check", "benchmark", "problem", "field", "score"),
                        [(h["sample"], h["check"], h["task"], h["problem"], h["field"], h["score"])
                         for h in hits[:CARD_HIT_ROWS]])
        if len(hits) > CARD_HIT_ROWS:
            lines += ["", f"... {len(hits) - CARD_HIT_ROWS} more in `contamination.jsonl`."]
    return lines
