"""Named synthesis settings for recipe search: library, action set, recipe length, baseline, prior.

    from rtlgen.synth.presets import get_preset
    p = get_preset("abc-rl")          # ASAP7, ABC-RL's 7 actions, length 10, ADP vs resyn2
    with AbcSession(p.liberty_path()) as abc:
        optimize(design, abc, method="agent", length=p.length, prior=p.load_prior())

``abc-rl`` reproduces the setting of ABC-RL (Chowdhury et al., "Retrieval-Guided Reinforcement
Learning for Boolean Circuit Minimization", ICLR 2024): the ASAP7 7 nm library, the actions
rewrite, rewrite -z, refactor, refactor -z, resub, resub -z, balance, recipes of length 10, and the
area-delay product after ``map; topo; stime`` compared with resyn2's. The ASAP7 liberty is not
shipped; it is read from ``$RTLGEN_SHARED/synth-bench/lib`` (default: ``shared/`` next to the
checkout). ``default`` is the shipped sky130hd library with the same actions and length.

Each preset names the prior fitted with its own library. ``prior_asap7.npz`` was made with
``rtlgen synth train-prior --liberty $RTLGEN_SHARED/synth-bench/lib/asap7sc7p5t_RVT_TT_merged.lib.gz
--per-design 80 --max-ands 2000 --out rtlgen/synth/data/prior_asap7.npz
--log benchmarks/results/abc_rl_preset/prior_asap7.log.jsonl`` (15 training designs, 1,215 evaluations).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from rtlgen.config import help_
from rtlgen.errors import DataMissingError
from rtlgen.registry import unknown
from rtlgen.synth.recipes import ACTIONS, DEFAULT_LENGTH, RESYN2

DATA = Path(__file__).resolve().parent / "data"
ASAP7_LIB = "asap7sc7p5t_RVT_TT_merged.lib.gz"


def shared_dir() -> Path:
    """``$RTLGEN_SHARED`` or ``shared/`` next to the repository checkout."""
    return Path(os.environ.get("RTLGEN_SHARED") or Path(__file__).resolve().parents[3] / "shared")


@dataclass(frozen=True)
class Preset:
    """A named search setting; every figure reported under a preset uses exactly these."""

    name: str = field(metadata=help_("preset name, as given to --preset"))
    liberty: str | None = field(metadata=help_("liberty file relative to $RTLGEN_SHARED; None: shipped sky130hd"))
    prior: str = field(metadata=help_("policy-prior artefact in rtlgen/synth/data fitted with this library"))
    length: int = field(default=DEFAULT_LENGTH, metadata=help_("recipe length"))
    actions: tuple[str, ...] = field(default=ACTIONS, metadata=help_("ABC commands a recipe is made of"))
    baseline: tuple[str, ...] = field(default=RESYN2, metadata=help_("recipe the ADP ratio is measured against"))
    source: str = field(default="", metadata=help_("where the setting comes from"))

    def liberty_path(self) -> Path | None:
        """The liberty file to give ``AbcSession`` (None: its shipped default)."""
        if self.liberty is None:
            return None
        path = shared_dir() / self.liberty
        if not path.exists():
            raise DataMissingError(f"preset {self.name!r} needs the liberty file {path}; set RTLGEN_SHARED to the "
                                   "folder that holds synth-bench/lib")
        return path

    def prior_path(self) -> Path:
        return DATA / self.prior

    def load_prior(self):
        from rtlgen.synth.prior import load_prior

        return load_prior(self.prior_path())

    def to_json(self) -> dict:
        return {"name": self.name, "liberty": self.liberty, "prior": self.prior, "length": self.length,
                "actions": list(self.actions), "baseline": list(self.baseline), "source": self.source}


PRESETS: dict[str, Preset] = {
    "default": Preset("default", None, "prior.npz", source="rtlgen: shipped sky130hd typical corner"),
    "abc-rl": Preset("abc-rl", f"synth-bench/lib/{ASAP7_LIB}", "prior_asap7.npz",
                     source="ABC-RL (ICLR 2024): ASAP7, 7 actions, length 10, ADP after mapping vs resyn2"),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise unknown("synthesis preset", name, PRESETS) from None
