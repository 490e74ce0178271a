"""Unbiased pass@k (Chen et al. 2021, as VerilogEval's ``evaluation.py``) and v2's mean c/n.

pass@k for one problem with n samples, c correct: 1 - C(n-c, k) / C(n, k), computed as a stable
product. Reported only for k <= n (the estimator is undefined otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

DEFAULT_KS = (1, 5, 10)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c correct) passes."""
    if not 0 <= c <= n or k < 1:
        raise ValueError(f"need 0 <= c <= n and k >= 1, not n={n}, c={c}, k={k}")
    if k > n:
        raise ValueError(f"pass@{k} is undefined with only {n} samples")
    if n - c < k:
        return 1.0
    prob_all_fail = 1.0
    for i in range(n - c + 1, n + 1):
        prob_all_fail *= 1.0 - k / i
    return 1.0 - prob_all_fail


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float | None:
    """Mean pass@k over problems given (n, c) pairs; None when some problem has fewer than k samples."""
    if not counts or any(n < k for n, _ in counts):
        return None
    return sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)


def mean_rate(counts: Iterable[tuple[int, int]]) -> float | None:
    """v2's pass rate: mean over problems of c / n."""
    counts = list(counts)
    if not counts:
        return None
    return sum(c / n for n, c in counts if n) / len(counts)


def pass_at_ks(counts: Sequence[tuple[int, int]], ks: Iterable[int] = DEFAULT_KS) -> dict[str, float]:
    """{"pass_at_1": ..., "pass_at_5": ...} for every k defined by the sample counts."""
    out = {}
    for k in ks:
        value = mean_pass_at_k(counts, k)
        if value is not None:
            out[f"pass_at_{k}"] = value
    return out
