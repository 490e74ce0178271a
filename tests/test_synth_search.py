"""Recipe search: every method spends at most its budget and returns a cec-equivalent recipe."""

from __future__ import annotations

import pytest

from rtlgen.errors import InputError
from rtlgen.synth import METHODS, RESYN2, AbcSession, get_method, load_design, optimize
from rtlgen.synth.embedding import similarity_alpha
from rtlgen.synth.prior import load_prior
from rtlgen.synth.search import Evaluator
from rtlgen.synth.search.anneal import neighbour
from rtlgen.synth.search.mcts import MctsSearch
from rtlgen.synth.search.retrieval import RetrievalSearch


def test_unknown_method_lists_known():
    with pytest.raises(InputError, match="did you mean 'mcts'.*available: random"):
        get_method("mcst")


def test_prior_loads_and_retrieves(shared):
    prior = load_prior()
    n, f = prior.keys.shape
    assert n >= 10 and prior.w_pos.shape[0] == n and prior.top.shape[:2][0] == n and prior.d0 > 0
    assert set(prior.names) <= {p.stem for p in (shared / "synth-bench" / "train").glob("*.aig")} or not shared.exists()


@pytest.mark.requires_data
def test_retrieval_neighbour_of_training_design_is_itself(shared):
    prior = load_prior()
    name = prior.names[0]
    design = load_design(shared / "synth-bench" / "train" / f"{name}.aig")
    (idx, dist), *_ = prior.neighbours(design, k=1)
    assert prior.names[idx] == name and dist == pytest.approx(0.0, abs=1e-9)
    assert similarity_alpha(dist, prior.d0) > similarity_alpha(prior.d0 * 3, prior.d0)


@pytest.mark.requires_data
def test_retrieval_drops_a_prior_that_does_not_apply(shared):
    """Below min_alpha the agent is plain MCTS: no neighbour recipes, a uniform policy; above it, both."""
    from types import SimpleNamespace

    prior = load_prior()
    ev = SimpleNamespace(design=load_design(shared / "synth-bench" / "train" / f"{prior.names[0]}.aig"))
    near = RetrievalSearch(length=10, seed=0, prior=prior)
    assert near.seeds(ev) and near.alpha >= near.min_alpha  # a training design is its own neighbour
    assert near.prior(3, 0).std() > 0
    far = RetrievalSearch(length=10, seed=0, prior=prior)
    far.min_alpha = 1.01  # no design is that similar
    assert far.seeds(ev) == [] and far.alpha == 0.0
    assert far.prior(3, 0) == pytest.approx(MctsSearch.prior(far, 3, 0))  # uniform


@pytest.fixture(scope="module")
def c432_session(shared, tmp_path_factory):
    from rtlgen.sandbox import Sandbox, SandboxConfig

    sb = Sandbox(SandboxConfig(jobs_dir=str(tmp_path_factory.mktemp("jobs"))))
    design = load_design(shared / "synth-bench" / "validation" / "c432.aig")
    with AbcSession(sandbox=sb) as abc:
        yield design, abc


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
@pytest.mark.parametrize("method", list(METHODS))
def test_method_respects_budget_and_is_equivalent(method, c432_session):
    design, abc = c432_session
    before = abc.requests
    result = optimize(design, abc, method=method, budget=12, seed=3, length=6)
    assert result.evaluations <= 12 and result.evaluations >= 1
    assert abc.requests - before <= 12 + 4  # + resyn2 baseline, the final re-run, cec (+ liberty read)
    assert result.equivalent is True and 1 <= len(result.recipe) <= 6  # greedy may stop inside its build-up
    assert result.adp_ratio == pytest.approx(result.qor.adp / result.resyn2.adp)
    if method == "retrieval":
        searcher = RetrievalSearch(length=6, seed=0)
        assert searcher.prior(0, 7).sum() == pytest.approx(1.0)


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
@pytest.mark.parametrize("resume", [False, True])
def test_reported_qor_is_the_recipe_run_from_the_start(c432_session, sandbox, resume):
    """Snapshot reuse is approximate (ABC is node-order sensitive); what optimize reports must not be."""
    c432, abc = c432_session
    res = optimize(c432, abc, method="mcts", budget=30, seed=1, resume=resume)
    with AbcSession(sandbox=sandbox) as fresh:
        assert fresh.evaluate(c432, res.recipe) == res.qor
    if not resume:  # the search scored every recipe as it is reported: its best is the reported figure
        assert res.trace[-1] == pytest.approx(res.adp_ratio, rel=1e-12)


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_search_evaluations_run_from_the_design_unless_resuming(c432_session):
    """Without ``resume`` no evaluation starts from a snapshot, even one an earlier search left in the session."""
    c432, abc = c432_session
    optimize(c432, abc, method="mcts", budget=12, seed=3, resume=True)  # leaves prefix snapshots behind
    scripts = []
    real = abc._script
    abc._script = lambda *a, **k: scripts.append(real(*a, **k)) or scripts[-1]
    try:
        optimize(c432, abc, method="mcts", budget=12, seed=3)
    finally:
        del abc._script
    assert scripts and all(not any(c.startswith(("write_aiger", "read snap")) for c in sc) for sc in scripts)


def _one_move_apart(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    if sum(x != y for x, y in zip(a, b, strict=True)) <= 2:
        return True
    return any(a[:i] + a[i + 1:] == b[:j] + b[j + 1:] for i in range(len(a)) for j in range(len(b)))


@pytest.mark.parametrize("shift", [0.0, 0.2])
def test_anneal_moves_keep_the_length_and_say_where_the_change_starts(shift):
    import random

    rng = random.Random(0)
    recipe = [rng.randrange(7) for _ in range(10)]
    far = 0
    for _ in range(500):
        cand, first = neighbour(recipe, rng, shift)
        assert len(cand) == 10 and cand[:first] == recipe[:first] and _one_move_apart(tuple(cand), tuple(recipe))
        far += sum(a != b for a, b in zip(cand, recipe, strict=True)) > 2
    assert (far > 0) == (shift > 0)  # only shift moves change more than two steps


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_retrieval_refines_its_tree_search_best_by_annealing(c432_session):
    """The agent spends ``refine_after`` of the budget in the tree, then anneals from the best recipe so far:
    every later candidate is one move (a step changed, two swapped, one dropped and one inserted) away from a
    recipe evaluated before it."""
    design, abc = c432_session
    resyn2 = abc.evaluate(design, RESYN2)
    ev = Evaluator(session=abc, design=design, budget=20, reference_adp=resyn2.adp)
    RetrievalSearch(length=6, seed=2).run(ev)
    assert ev.evaluations == 20 and ev.budget == 20  # the cap of the tree phase is lifted again
    split = round(RetrievalSearch.refine_after * 20)
    seen = [h[0] for h in ev.history[:split]]
    for recipe, _ in ev.history[split:]:
        assert any(_one_move_apart(recipe, old) for old in seen)
        seen.append(recipe)


@pytest.mark.requires_yosys
@pytest.mark.requires_bwrap
@pytest.mark.requires_data
def test_capped_evaluator_stops_a_phase_and_restores_the_budget(c432_session):
    design, abc = c432_session
    ev = Evaluator(session=abc, design=design, budget=5, reference_adp=1.0)
    with ev.capped(2):
        for i in range(4):
            ev([i % 7] * 4)
    assert ev.evaluations == 2 and ev.budget == 5 and ev.remaining == 3


@pytest.mark.requires_data
def test_shared_log_evaluates_the_same_recipes_on_every_design_and_resumes(shared, tmp_path):
    """``collect(shared=True)`` (benchmarks/recipe_transfer.py): the i-th recipe is the same on each design, area
    and delay are logged, and a re-run adds only what is missing."""
    import json

    from rtlgen.synth.prior import collect

    designs = [load_design(shared / "synth-bench" / "train" / f"{n}.aig") for n in ("frg1", "ctrl")]
    log = tmp_path / "matrix.jsonl"
    collect(designs, log, per_design=2, workers=1, progress=False, shared=True)
    rows = [json.loads(x) for x in log.read_text().splitlines()]
    by = {d.name: [tuple(r["actions"]) for r in rows if r["design"] == d.name and r["actions"]] for d in designs}
    assert len(rows) == 6 and by["frg1"] == by["ctrl"] and len(set(by["frg1"])) == 2
    assert all(r["area"] * r["delay"] == pytest.approx(r["adp"]) for r in rows)
    collect(designs, log, per_design=3, workers=1, progress=False, shared=True)
    rows = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(rows) == 8 and rows[-1]["actions"] == rows[-2]["actions"]
