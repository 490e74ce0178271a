"""The dataset stages a pipeline config may name, as lazy ``"module:object"`` targets.

    from rtlgen.datasets.registry import STAGES
    Dedup = STAGES.get("dedup")          # imported on first use; unknown names get "did you mean"

Adding a stage is one module with a ``Stage`` subclass and one line here.
"""

from __future__ import annotations

from rtlgen.datasets.stage import Stage
from rtlgen.registry import Registry

STAGES: Registry[type[Stage]] = Registry("dataset stage", base=Stage)
for _name, _target in {
    "ingest": "rtlgen.datasets.ingest:Ingest",
    "split": "rtlgen.datasets.split:Split",
    "close": "rtlgen.datasets.split:Close",
    "parses": "rtlgen.datasets.filters:Parses",
    "compiles": "rtlgen.datasets.filters:Compiles",
    "lints": "rtlgen.datasets.filters:Lints",
    "synthesises": "rtlgen.datasets.filters:Synthesises",
    "size": "rtlgen.datasets.filters:Size",
    "generated": "rtlgen.datasets.heuristics:Generated",
    "dedup": "rtlgen.datasets.dedup:Dedup",
    "decontam": "rtlgen.datasets.decontam:Decontam",
    # teacher stages and generators (their own modules)
    "describe": "rtlgen.datasets.describe:Describe",
    "augment": "rtlgen.datasets.augment:Augment",
    "repair_mutate": "rtlgen.datasets.repair:RepairMutate",
    "repair_from_runs": "rtlgen.datasets.repair:RepairFromRuns",
    "families": "rtlgen.datasets.families:Families",
}.items():
    STAGES.add(_name, _target)
