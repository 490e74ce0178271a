"""What a pipeline stage is: a named transform over batches of samples, with options from the YAML config.

    class Compiles(Stage):
        name = "compiles"
        Options = CompilesOptions          # a frozen dataclass, loaded by rtlgen.config
        def process(self, batch):          # list[Sample] -> list[Sample | Dropped]
            ...

The pipeline (``rtlgen.datasets.pipeline``) feeds a stage batches of ``batch_size`` samples and appends
each batch's outputs to the stage's JSONL before the next, so a killed build loses at most one batch
per stage. A stage that must see everything at once (dedup, splitting) sets ``whole = True`` and gets
one batch holding all its input. Every input yields zero or more ``Sample`` (kept or derived) and/or
``Dropped`` (refused, with a reason key counted in the report).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from rtlgen.datasets.sample import Dropped, Sample


@dataclass(frozen=True)
class NoOptions:
    """A stage without options."""


@dataclass(frozen=True)
class StageContext:
    """What every stage may use: the build's output dir, the sandbox for tool runs, progress display."""

    out_dir: Path
    sandbox: Any = None  # rtlgen.sandbox.Sandbox; None: the default sandbox, built on first use
    progress: bool = True
    workers: int | None = None  # concurrent tool jobs; None: one per core
    extras: dict[str, Any] = field(default_factory=dict)  # shared by stages of one build (e.g. the teacher)

    def get_sandbox(self):
        if self.sandbox is None:
            from rtlgen.sandbox import default_sandbox

            object.__setattr__(self, "sandbox", default_sandbox())
        return self.sandbox


class Stage(abc.ABC):
    """One step of a dataset build. Subclasses set ``name`` and ``Options`` and implement ``process``."""

    name: ClassVar[str]
    Options: ClassVar[type] = NoOptions
    whole: ClassVar[bool] = False  # True: process() receives all input in one batch
    batch_size: ClassVar[int] = 64

    def __init__(self, options: Any, ctx: StageContext) -> None:
        self.options = options
        self.ctx = ctx

    @abc.abstractmethod
    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        """Outputs for ``batch``: kept or derived samples and drops with reasons."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the stage holds (a teacher, a session)."""
