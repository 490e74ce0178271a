"""Synthesis QoR engine: Yosys front end, persistent sandboxed ABC sessions, recipe search.

    from rtlgen.synth import AbcSession, load_design, optimize, RESYN2
    design = load_design("c432.aig")                 # .v/.sv/.aig/.blif/.bench, cached by content
    with AbcSession() as abc:                        # shipped sky130hd liberty unless one is given
        print(abc.evaluate(design, RESYN2).adp)      # map; topo; stime -> area, delay, ADP
        result = optimize(design, abc, method="retrieval", budget=100)
    get_preset("abc-rl")                             # ABC-RL's setting: ASAP7 liberty, length 10, its prior
    ppa_of(verilog_text, top="counter")              # registers too: comb/seq area, delay, ADP (rtlgen.synth.ppa)
"""

from rtlgen.synth.abc_session import BASELINES, AbcSession, baselines
from rtlgen.synth.equivalence import EquivResult, EquivStatus, check_equivalence
from rtlgen.synth.frontend import Design, load_design
from rtlgen.synth.liberty import DEFAULT_LIBERTY, resolve_liberty
from rtlgen.synth.ppa import PPA, PPAStatus, ppa_many, ppa_of
from rtlgen.synth.presets import PRESETS, Preset, get_preset
from rtlgen.synth.qor import EvalStatus, QoR, SynthError, parse_qor, parse_stats, parse_stime
from rtlgen.synth.recipes import ACTIONS, RESYN2, parse_recipe
from rtlgen.synth.search import METHODS, SearchResult, get_method, optimize

__all__ = [
    "ACTIONS", "BASELINES", "DEFAULT_LIBERTY", "METHODS", "PPA", "PRESETS", "RESYN2", "AbcSession", "Design", "EquivResult",
    "EquivStatus", "EvalStatus", "PPAStatus", "Preset", "QoR", "SearchResult", "SynthError", "baselines", "check_equivalence",
    "get_method", "get_preset", "load_design", "optimize", "parse_qor", "parse_recipe", "parse_stats", "parse_stime", "ppa_many",
    "ppa_of", "resolve_liberty",
]
