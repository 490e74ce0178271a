"""The texts decontamination compares against: every problem of every benchmark in the eval registry.

    items, loaded = load_items(tasks=(), data_dirs={})   # all registered tasks whose data is found

Each task is loaded through ``rtlgen.evals.registry`` (so a newly registered benchmark is covered
without edits here), from ``data_dirs[task]``, else wherever the task itself looks (its environment
variable, the user cache), else any folder of the shared data (``$RTLGEN_SHARED`` or ``../shared``)
the task accepts. Code items are each problem's complete reference design (``dut_source(golden)``)
and its raw reference; prose items are its prompt and description. Identical texts are kept once,
with every (task, problem, field) they came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rtlgen.datasets.sources import shared_root


@dataclass(frozen=True)
class BenchItem:
    text: str
    code: bool  # Verilog (compared by tokens) or prose (compared by words)
    sources: tuple[tuple[str, str, str], ...]  # (task, problem id, field)


@dataclass(frozen=True)
class TaskLoad:
    task: str
    problems: int
    path: str  # where it was read; "" when not loaded
    problem: str = ""  # why it was not loaded


def _candidate_dirs(task, explicit: str | None) -> list[str | None]:
    if explicit:
        return [explicit]
    root = shared_root()
    subs = sorted(str(p) for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    return [None, *subs]


def _load_task(name: str, explicit: str | None):
    from rtlgen.evals.registry import get_task

    task = get_task(name)
    last = "no data folder found"
    for candidate in _candidate_dirs(task, explicit):
        try:
            path = task.resolve_data(candidate)
            problems = task.load(Path(path))
        except Exception as exc:  # noqa: BLE001 - DataMissingError, or a folder of another benchmark
            last = " ".join(str(exc).split())[:200]
            continue
        if problems:
            return task, problems, str(path), ""
    return task, [], "", last


def load_items(tasks: Sequence[str] = (), data_dirs: Mapping[str, str] | None = None
               ) -> tuple[list[BenchItem], list[TaskLoad]]:
    from rtlgen.evals.registry import published_benchmarks

    data_dirs = data_dirs or {}
    merged: dict[tuple[str, bool], list[tuple[str, str, str]]] = {}
    loads: list[TaskLoad] = []
    for name in tasks or published_benchmarks():
        task, problems, path, problem = _load_task(name, data_dirs.get(name))
        loads.append(TaskLoad(name, len(problems), path, problem))
        for p in problems:
            texts = []
            try:
                texts.append(("reference", task.dut_source(p, task.golden(p)), True))
            except Exception:  # noqa: BLE001 - a task without a golden for this problem
                pass
            texts += [("ref", p.ref, True), ("prompt", p.prompt, False), ("description", p.description, False)]
            for fld, text, code in texts:
                if text and text.strip():
                    merged.setdefault((text, code), []).append((name, p.task_id, fld))
    items = [BenchItem(text, code, tuple(srcs)) for (text, code), srcs in merged.items()]
    return items, loads
