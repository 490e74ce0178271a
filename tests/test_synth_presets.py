"""Synthesis presets and the recipe agent's model, without ABC (a scripted objective stands in for it)."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest

from rtlgen.errors import DataMissingError, InputError
from rtlgen.synth import load_design
from rtlgen.synth.presets import PRESETS, get_preset
from rtlgen.synth.prior import load_prior
from rtlgen.synth.search import SearchConfig, get_method
from rtlgen.synth.search.agent import AgentSearch, _back, _forward
from rtlgen.synth.search.base import BudgetExhausted, Evaluator


def test_abc_rl_preset_is_abc_rls_setting():
    p = get_preset("abc-rl")
    assert p.length == 10 and len(p.actions) == 7 and "balance" in p.actions and "resub -z" in p.actions
    assert p.baseline[0] == "balance" and len(p.baseline) == 10  # resyn2
    assert "asap7" in p.liberty and p.prior_path().name == "prior_asap7.npz"
    assert set(p.to_json()) >= {"name", "liberty", "length", "actions", "baseline"}
    assert get_preset("default").liberty_path() is None  # the shipped sky130hd


def test_unknown_preset_suggests():
    with pytest.raises(InputError, match="did you mean 'abc-rl'"):
        get_preset("abcrl")


def test_missing_shared_liberty_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("RTLGEN_SHARED", str(tmp_path))
    with pytest.raises(DataMissingError, match="RTLGEN_SHARED"):
        get_preset("abc-rl").liberty_path()


def test_presets_ship_their_priors():
    for p in PRESETS.values():
        prior = p.load_prior()
        assert prior.w_pos.shape[1:] == (10, 7) and prior.d0 > 0


def test_search_config_defaults_to_retrieval_and_preset():
    cfg = SearchConfig()
    assert cfg.method == "retrieval" and cfg.preset == "default" and cfg.length is None
    assert get_method("agent").uses_prior and not get_method("random").uses_prior


def test_triangular_solves_match_numpy():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((20, 20))
    a = m @ m.T + 20 * np.eye(20)
    b = rng.standard_normal(20)
    low = np.linalg.cholesky(a)
    assert np.allclose(_back(low.T, _forward(low, b)), np.linalg.solve(a, b))


def test_viterbi_is_the_exact_minimiser():
    agent = AgentSearch(length=4, seed=0)
    rng = np.random.default_rng(1)
    wp, wb = rng.standard_normal((4, 7)), rng.standard_normal((8, 7))
    everything = np.array(list(itertools.product(range(7), repeat=4)))
    best = everything[agent._scores(everything, wp, wb).argmin()]
    assert agent._viterbi(wp, wb) == [int(a) for a in best]


class _Scripted(Evaluator):
    """An evaluator whose objective is a hidden additive model plus noise: no ABC."""

    def __call__(self, actions, keep_prefix=None):
        key = tuple(int(a) for a in actions)
        if key in self._memo:
            return self._memo[key]
        if self.evaluations >= self.budget:
            raise BudgetExhausted
        self.evaluations += 1
        rnd = random.Random(hash(key))
        cost = (0.02, 0.0, 0.03, 0.01, 0.04, 0.02, 0.05)  # per use of each action; balance last pays off
        ratio = math.exp(sum(cost[a] for a in key) - 0.1 * (key[-1] == 6) - 0.2 + rnd.gauss(0, 0.005))
        self._memo[key] = ratio
        self.history.append((key, ratio))
        self.elapsed.append(0.0)
        return ratio


@pytest.fixture(scope="module")
def c432(shared):
    path = shared / "synth-bench" / "validation" / "c432.aig"
    if not path.exists():
        pytest.skip("synth-bench data not available")
    return load_design(path)


@pytest.mark.requires_data
def test_agent_spends_its_budget_and_beats_random_on_a_learnable_objective(c432):
    prior = load_prior()
    gaps = []
    for seed in range(3):
        ev_a = _Scripted(session=None, design=c432, budget=60, reference_adp=1.0)
        AgentSearch(seed=seed, prior=prior).run(ev_a)
        ev_r = _Scripted(session=None, design=c432, budget=60, reference_adp=1.0)
        get_method("random")(seed=seed).run(ev_r)
        assert ev_a.evaluations == 60 and len(ev_a.best_trace()) == 60
        gaps.append(min(r for _, r in ev_r.history) - min(r for _, r in ev_a.history))
    assert min(gaps) > 0  # the online model finds the additive optimum's neighbourhood


@pytest.mark.parametrize("argv, rc, message", [
    (["synth", "optimize", "d.aig", "--preset", "abcrl"], 2, "did you mean 'abc-rl'"),  # bad input
    (["synth", "optimize", "d.aig", "--preset", "abc-rl"], 3, "RTLGEN_SHARED"),  # data missing
])
def test_cli_preset_errors_are_one_line(argv, rc, message, capsys, monkeypatch, tmp_path):
    from rtlgen.cli.main import main

    monkeypatch.setenv("RTLGEN_SHARED", str(tmp_path))  # no synth-bench there
    assert main(argv) == rc
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
