"""RTLLM v1.1 (29 designs) and v2.0 (50 designs, by class) on Icarus, official and strict.

Layout (the shared copy, or ``rtlgen data fetch rtllm``): ``v1.1/<design>/`` and
``v2.0/<Class>/<Group>/<design>/``, each with ``design_description.txt`` (the prompt: upstream gives it
to the model as it is), ``testbench.v``, ``verified_<name>.v`` and sometimes data files the testbench
reads. The design's top module is the one the description names ("Module name: ..."); the testbench's top
is its module nobody instantiates.

Official scoring is upstream's (``auto_run.py``): a syntax pass when it compiles; a functional pass when
the simulation's output contains "Pass" or "pass" (which the design itself can print), judged here with
Icarus instead of VCS (``-timescale=1ns/1ns`` becomes ``+timescale+1ns/1ns``). pass@k divides by the
number of designs (upstream divides by one more: its issue #23). Strict scoring is the judge's, with
the pass-line protocol: only the testbench's own, tagged, "Passed" counts, and no tagged "Error"/"Fail".

Variants: ``upstream`` is the data as published; ``fixed`` applies the versioned patch files in
``rtlgen/evals/data/rtllm_fixes/<version>/`` (each change with a one-line reason), printed in every report.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from rtlgen.errors import DataMissingError, InputError
from rtlgen.evals.registry import EvalTask
from rtlgen.evals.results import Problem, Verdict
from rtlgen.llm import extract as ex
from rtlgen.llm.base import ChatMessage, Prompt
from rtlgen.paths import cache_root
from rtlgen.sandbox import Job, JobResult, KilledBy, Limits
from rtlgen.sim.classify import FailureCategory as FC
from rtlgen.sim.icarus import IcarusSimulator
from rtlgen.sim.judge.verdict import compile_category

ENV_VAR = "RTLGEN_RTLLM_DIR"
FIXES = Path(__file__).resolve().parent.parent / "data" / "rtllm_fixes"
_SKIP = {"design_description.txt", "makefile", "testbench.v", "LICENSE"}
_TOP = re.compile(r"Module name:\s*\n?\s*`?([A-Za-z_]\w*)")
_MODULE = re.compile(r"^[ \t]*+module[ \t\r\n]++([A-Za-z_]\w*+)", re.M)
_PASS = ("Pass", "pass")
# v1.1 is flat; its designs' classes are the ones v2.0 files them under.
V1_CLASSES = {
    "Arithmetic": ("accu", "adder_8bit", "adder_16bit", "adder_32bit", "adder_pipe_64bit", "div_16bit", "multi_16bit",
                   "multi_booth_8bit", "multi_pipe_4bit", "multi_pipe_8bit", "radix2_div"),
    "Control": ("JC_counter", "counter_12", "fsm"),
    "Memory": ("asyn_fifo", "right_shifter"),
}


@dataclass(frozen=True)
class Fix:
    """One versioned change to a design's files, with the reason it is needed."""

    design: str
    file: str  # "testbench.v", "reference" or "description"
    reason: str
    old: str
    new: str


def load_fixes(version: str) -> dict[str, list[Fix]]:
    """design -> its fixes, from ``rtllm_fixes/<version>/*.yaml`` (one file per design)."""
    out: dict[str, list[Fix]] = {}
    folder = FIXES / version
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        data = yaml.safe_load(path.read_text())
        for item in data["changes"]:
            out.setdefault(path.stem, []).append(Fix(path.stem, item["file"], item["reason"], item["old"], item["new"]))
    return out


def _apply(text: str, fix: Fix) -> str:
    if fix.old not in text:
        raise DataMissingError(f"RTLLM fix for {fix.design} ({fix.reason}) does not apply: the data differs "
                               "from the pinned copy; run `rtlgen data verify rtllm`")
    return text.replace(fix.old, fix.new, 1)


def _roots(text: str) -> list[str]:
    """Modules of ``text`` that no other module there instantiates."""
    names = _MODULE.findall(text)
    words = re.findall(r"\w++", text)
    counts = {n: 0 for n in names}
    for w in words:
        if w in counts:
            counts[w] += 1
    return [n for n in names if counts[n] == 1]


class Rtllm(EvalTask):
    VERSION = 1
    protocol = "pass_line"
    timescale = "1ns/1ns"  # upstream's `vcs -timescale=1ns/1ns`

    def __init__(self, name: str, version: str, size: int, variant: str = "upstream") -> None:
        self.name = name
        self.version = version  # folder under the data dir: "v1.1" or "v2.0"
        self.size = size
        self.variant = variant

    @property
    def broken(self) -> dict[int, frozenset[str]]:  # type: ignore[override]
        """References that fail their own testbench on Icarus 11, as published (the errata); none when fixed."""
        return {} if self.variant == "fixed" else {11: ERRATA[self.version]}

    def with_variant(self, variant: str) -> Rtllm:
        if variant not in ("upstream", "fixed"):
            raise InputError(f"--variant must be upstream or fixed, not {variant!r}")
        return Rtllm(self.name, self.version, self.size, variant)

    def fixes(self) -> dict[str, list[str]]:
        """design -> the reasons of its changes, for reports (empty for the upstream variant)."""
        if self.variant != "fixed":
            return {}
        return {d: [f"{f.file}: {f.reason}" for f in fs] for d, fs in load_fixes(self.version).items()}

    def resolve_data(self, data_dir: str | None) -> Path:
        if data_dir:
            path, source = Path(data_dir).expanduser(), "--data-dir"
        elif os.environ.get(ENV_VAR):
            path, source = Path(os.environ[ENV_VAR]).expanduser(), f"${ENV_VAR}"
        else:
            path, source = cache_root() / "rtllm", "the user cache"
        if not (path / self.version).is_dir():
            raise DataMissingError(f"no RTLLM {self.version} data at {path} (from {source}): run "
                                   "`rtlgen data fetch rtllm` or pass --data-dir (e.g. ../shared/rtllm)")
        return path

    # -- loading ------------------------------------------------------------------------------
    def _design_dirs(self, root: Path) -> list[Path]:
        dirs = sorted({p.parent for p in root.rglob("design_description.txt")}, key=lambda p: p.relative_to(root).parts)
        if not dirs:
            raise DataMissingError(f"no RTLLM designs under {root}; run `rtlgen data fetch rtllm`")
        return dirs

    def _group(self, root: Path, folder: Path) -> str:
        rel = folder.relative_to(root).parts
        if len(rel) > 1:
            return rel[0]
        return next((c for c, names in V1_CLASSES.items() if folder.name in names), "Miscellaneous")

    def load(self, data_dir: Path) -> list[Problem]:
        root = Path(data_dir) / self.version
        fixes = load_fixes(self.version) if self.variant == "fixed" else {}
        problems = []
        for folder in self._design_dirs(root):
            problems.append(self._problem(root, folder, fixes.get(folder.name, [])))
        return problems

    def _problem(self, root: Path, folder: Path, fixes: list[Fix]) -> Problem:
        description = (folder / "design_description.txt").read_text(errors="replace")
        for fix in fixes:
            if fix.file == "description":
                description = _apply(description, fix)
        refs = sorted(folder.glob("verified_*.v"))
        if not refs:
            raise DataMissingError(f"{folder}: no verified_*.v reference")
        m = _TOP.search(description)
        if not m:
            raise DataMissingError(f"{folder}/design_description.txt names no module ('Module name:')")
        top = m.group(1)
        ref = refs[0].read_text(errors="replace")
        test = (folder / "testbench.v").read_text(errors="replace")
        for fix in fixes:
            if fix.file == "testbench.v":
                test = _apply(test, fix)
            elif fix.file == "reference":
                ref = _apply(ref, fix)
        tb_roots = [n for n in _roots(test) if n != top]
        data = tuple((p.name, p.read_text(errors="replace")) for p in sorted(folder.iterdir())
                     if p.is_file() and p.name not in _SKIP and not p.name.startswith("verified_"))
        return Problem(task_id=folder.name, prompt=description, ref=ref, test=test, top=top,
                       tb_top=tb_roots[-1] if tb_roots else "", group=self._group(root, folder), data_files=data)

    # -- prompting and extraction -------------------------------------------------------------
    def prompt(self, problem: Problem, data_dir: Path, shots: int) -> Prompt:
        return [ChatMessage("user", problem.prompt)]

    def golden(self, problem: Problem) -> str:
        """The reference, its root module named as the description asks (some references differ: errata)."""
        roots = _roots(problem.ref)
        if problem.top in _MODULE.findall(problem.ref) or not roots:
            return problem.ref
        return re.sub(rf"\b{re.escape(roots[-1])}\b", problem.top, problem.ref)

    def extract(self, problem: Problem, response: str) -> tuple[ex.Extraction, ex.Extraction]:
        robust = ex.extract_robust(response, problem.top)
        return replace(robust, method="upstream"), robust

    # -- official scoring ---------------------------------------------------------------------
    def official_job(self, problem: Problem, code: str) -> Job:
        sim = IcarusSimulator(flags=("-g2012",), extra_flags=("-f", "rtlgen_cmds.f"),
                              limits=Limits(wall_s=30, cpu_s=35), compile_limits=Limits(wall_s=60, cpu_s=60))
        job = sim.build_job({f"{problem.top}.v": code, "testbench.v": problem.test}, self.bench_top(problem))
        files = {**dict(problem.data_files), "rtlgen_cmds.f": f"+timescale+{self.timescale}\n", **job.files}
        return Job(steps=job.steps, files=files, limits=job.limits)

    def official_verdict(self, problem: Problem, code: str, result: JobResult) -> Verdict:
        comp = result.steps[0]
        if not comp.ok:
            return Verdict(False, compile_category(comp.stdout + comp.stderr).value, detail="syntax: did not compile")
        run = result.steps[1] if len(result.steps) > 1 else None
        if run is None or run.killed_by is KilledBy.TIMEOUT:
            return Verdict(False, FC.TIMEOUT.value, detail="compiled; the simulation timed out")
        if run.killed_by is not KilledBy.NONE:
            return Verdict(False, f"killed_{run.killed_by.value}", detail="compiled; stopped by a sandbox limit")
        if any(p in run.stdout for p in _PASS):
            return Verdict(True, FC.PASS.value, detail='compiled; the output contains "Pass"')
        return Verdict(False, FC.MISMATCH.value, detail='compiled; no "Pass" in the output')

    def bench_sources(self, problem: Problem) -> dict[str, str]:
        return {"testbench.v": problem.test}

    def dut_source(self, problem: Problem, code: str) -> str:
        return code

    def port_reference(self, problem: Problem) -> tuple[str, str | None]:
        return self.golden(problem), problem.top


# Measured with `rtlgen eval rtllm --model golden --variant upstream` on Icarus 11 (both modes agree); the reasons
# are in the fix files of rtlgen/evals/data/rtllm_fixes/.
ERRATA = {
    "v1.1": frozenset({"asyn_fifo", "div_16bit", "radix2_div"}),
    "v2.0": frozenset({"asyn_fifo", "clkgenerator", "freq_divbyeven", "radix2_div", "ring_counter"}),
}

V1_1 = Rtllm("rtllm-v1.1", "v1.1", 29)
V2_0 = Rtllm("rtllm-v2.0", "v2.0", 50)
