"""Unbiased pass@k against the closed form 1 - C(n-c, k) / C(n, k)."""

from __future__ import annotations

from math import comb

import pytest

from rtlgen.evals.passk import mean_pass_at_k, mean_rate, pass_at_k, pass_at_ks


@pytest.mark.parametrize("n", [1, 5, 10, 20])
def test_matches_closed_form(n):
    for c in range(n + 1):
        for k in (1, 5, 10):
            if k > n:
                continue
            expected = 1.0 - comb(n - c, k) / comb(n, k)
            assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_1_is_c_over_n():
    assert pass_at_k(20, 7, 1) == pytest.approx(7 / 20)


def test_undefined_k_is_left_out():
    counts = [(1, 1), (1, 0)]
    assert pass_at_ks(counts) == {"pass_at_1": 0.5}
    assert mean_pass_at_k(counts, 5) is None
    assert set(pass_at_ks([(10, 3), (10, 0)])) == {"pass_at_1", "pass_at_5", "pass_at_10"}
    assert mean_rate([(4, 1), (2, 2)]) == pytest.approx((0.25 + 1) / 2)


def test_bad_arguments():
    with pytest.raises(ValueError):
        pass_at_k(5, 6, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 5)
