"""Choose among sampled candidates: rank by verification results, cluster by behaviour.

Ranking (best first): passed its test; compiled; fewer mismatches (as a fraction of samples); fewer
rounds used. With only a self-generated test, the model may have written a wrong test, so candidates
are also clustered AlphaCode-style by their output traces on shared random stimulus
(``testbench.random_harness``): among candidates equal on "passed", the largest agreeing cluster wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CandidateScore:
    """What ranking needs to know about one candidate's last round."""

    index: int  # candidate number
    passed: bool  # passed the test used
    compiled: bool  # design and test compiled together
    mismatch_fraction: float  # mismatches / samples; 1.0 when unknown or nothing ran
    rounds: int  # rounds used


def rank_key(score: CandidateScore, cluster_size: int = 0) -> tuple:
    """Sort key, smaller is better."""
    return (not score.passed, -cluster_size, not score.compiled, score.mismatch_fraction, score.rounds, score.index)


def cluster_by_traces(traces: Mapping[int, str | None]) -> list[list[int]]:
    """Groups of candidates with identical traces, largest first (ties: lowest index first).

    ``None`` means the candidate produced no trace (did not compile or crashed); those never cluster.
    """
    groups: dict[str, list[int]] = {}
    for index in sorted(traces):
        trace = traces[index]
        if trace is not None:
            groups.setdefault(trace, []).append(index)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def cluster_sizes(clusters: Sequence[Sequence[int]]) -> dict[int, int]:
    return {i: len(group) for group in clusters for i in group}


def rank(scores: Sequence[CandidateScore], clusters: Sequence[Sequence[int]] = ()) -> list[CandidateScore]:
    """Candidates best first; ``clusters`` (from ``cluster_by_traces``) only matter when given."""
    sizes = cluster_sizes(clusters)
    return sorted(scores, key=lambda s: rank_key(s, sizes.get(s.index, 0)))
