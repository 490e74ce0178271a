"""Boolean helpers for the truth-table, Karnaugh-map and waveform families.

A function of ``n`` inputs is a tuple of ``2**n`` output bits indexed by the inputs read as a binary
number, the first input the most significant bit. ``minimal_sop`` finds a small sum of products
(Quine-McCluskey primes, essential primes first, then a greedy cover) and checks it against the table
before returning it: the reference a family writes is verified in Python before any simulator sees it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

Implicant = tuple[int, int]  # (value, mask): the inputs where mask has a 1 are free


def random_function(rng: random.Random, n: int) -> tuple[int, ...]:
    """A function of ``n`` inputs that is not constant and depends on every input."""
    while True:
        table = tuple(rng.getrandbits(1) for _ in range(1 << n))
        if 0 < sum(table) < len(table) and all(depends_on(table, n, k) for k in range(n)):
            return table


def depends_on(table: Sequence[int], n: int, k: int) -> bool:
    bit = 1 << (n - 1 - k)
    return any(table[i] != table[i ^ bit] for i in range(len(table)))


def _primes(minterms: list[int]) -> set[Implicant]:
    current = {(m, 0) for m in minterms}
    primes: set[Implicant] = set()
    while current:
        merged: set[Implicant] = set()
        used: set[Implicant] = set()
        for (v1, m1), (v2, m2) in itertools.combinations(sorted(current), 2):
            diff = v1 ^ v2
            if m1 == m2 and diff and diff & (diff - 1) == 0:
                merged.add((v1 & ~diff, m1 | diff))
                used.update({(v1, m1), (v2, m2)})
        primes |= current - used
        current = merged
    return primes


def _covers(imp: Implicant, m: int) -> bool:
    value, mask = imp
    return (m & ~mask) == (value & ~mask)


def minimal_sop(table: Sequence[int], n: int) -> list[Implicant]:
    """A small cover of the function's ones by prime implicants (empty for the constant 0)."""
    minterms = [i for i, v in enumerate(table) if v]
    primes = sorted(_primes(minterms), key=lambda p: (-bin(p[1]).count("1"), p))
    left = set(minterms)
    chosen: list[Implicant] = []
    for m in minterms:  # essential primes: the only prime covering some minterm
        covering = [p for p in primes if _covers(p, m)]
        if len(covering) == 1 and covering[0] not in chosen:
            chosen.append(covering[0])
    for p in chosen:
        left -= {m for m in left if _covers(p, m)}
    while left:
        best = max(primes, key=lambda p: (sum(_covers(p, m) for m in left), bin(p[1]).count("1")))
        chosen.append(best)
        left -= {m for m in left if _covers(best, m)}
    if any(any(_covers(p, i) for p in chosen) != bool(v) for i, v in enumerate(table)):
        raise AssertionError("minimal_sop produced a cover that disagrees with the table")
    return chosen


def sop_text(table: Sequence[int], names: Sequence[str]) -> str:
    """A Verilog expression for the function (``1'b0``/``1'b1`` when constant)."""
    n = len(names)
    if not any(table):
        return "1'b0"
    if all(table):
        return "1'b1"
    terms = []
    for value, mask in minimal_sop(table, n):
        lits = [(names[k] if value >> (n - 1 - k) & 1 else f"~{names[k]}")
                for k in range(n) if not mask >> (n - 1 - k) & 1]
        terms.append(lits)
    if len(terms) == 1:
        return " & ".join(terms[0])
    return " | ".join("(" + " & ".join(t) + ")" if len(t) > 1 else t[0] for t in terms)


def gray(n: int) -> list[int]:
    """The ``n``-bit Gray code sequence (the row and column order of a Karnaugh map)."""
    return [i ^ (i >> 1) for i in range(1 << n)]
