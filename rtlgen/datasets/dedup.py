"""Stage ``dedup`` (whole): exact duplicates, then near duplicates with MinHash LSH; one sample kept per cluster.

Exact: the sha256 of the comment- and whitespace-normalised token stream (``rtlgen.datasets.tokens``).
Near: BigCode's near-dedup defaults: ``ngram``-token shingles (5), ``num_perm`` permutations (256),
Jaccard ``threshold`` 0.7, through ``datasketch.MinHashLSH``; a candidate pair counts only when the
signatures' estimated Jaccard reaches the threshold, and clusters are the connected components.

The representative of a cluster is chosen by one stated rule: permissive license first, then the
most tokens, then the smallest id. It gets ``meta["dedup"] = {"cluster", "size", "exact", "near"}``;
the others are dropped as ``exact_duplicate``/``near_duplicate`` naming it. The export keeps every
cluster on one side of the train/validation split (samples derived later keep the cluster id).
"""

from __future__ import annotations

import enum
import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rtlgen.config import help_
from rtlgen.datasets.licenses import LicenseVerdict, classify
from rtlgen.datasets.sample import Dropped, Sample
from rtlgen.datasets.stage import Stage
from rtlgen.datasets.tokens import fingerprint, tokens

REPRESENTATIVE_RULE = "permissive license first, then most tokens, then smallest id"


class DedupDrop(enum.StrEnum):
    EXACT = "exact_duplicate"
    NEAR = "near_duplicate"


@dataclass(frozen=True)
class DedupOptions:
    exact: bool = field(default=True, metadata=help_("drop exact duplicates (normalised token stream)"))
    near: bool = field(default=True, metadata=help_("drop near duplicates (MinHash LSH)"))
    ngram: int = field(default=5, metadata=help_("tokens per shingle (BigCode: 5)"))
    num_perm: int = field(default=256, metadata=help_("MinHash permutations (BigCode: 256)"))
    threshold: float = field(default=0.7, metadata=help_("Jaccard similarity of near duplicates (BigCode: 0.7)"))
    seed: int = field(default=1, metadata=help_("MinHash permutation seed"))
    with_deps: bool = field(default=False, metadata=help_("compare module plus closure instead of the module alone"))


def _identity(x):  # MinHash's hash function over already-hashed shingles (module level: picklable)
    return x


def shingle_hashes(toks: Sequence[str], n: int) -> np.ndarray:
    """32-bit hashes of the distinct ``n``-token shingles (crc32 of the tokens: stable across processes)."""
    if not toks:
        return np.zeros(0, dtype=np.uint64)
    ids = np.fromiter((zlib.crc32(t.encode("utf-8", "surrogatepass")) for t in toks), dtype=np.uint64, count=len(toks))
    if len(ids) < n:
        ids = np.concatenate([ids, np.zeros(n - len(ids), dtype=np.uint64)])
    h = np.zeros(len(ids) - n + 1, dtype=np.uint64)
    for k in range(n):  # polynomial combination of the n token hashes, wrapping in 64 bits
        h = h * np.uint64(1_000_003) + ids[k:len(ids) - n + 1 + k]
    return np.unique((h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF))


def minhash(hashes: np.ndarray, num_perm: int, seed: int):
    from datasketch import LeanMinHash, MinHash

    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=_identity)
    if len(hashes):
        m.update_batch(hashes)
    return LeanMinHash(m)


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class Dedup(Stage):
    name = "dedup"
    Options = DedupOptions
    whole = True

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        o = self.options
        toks = [tokens("\n".join((*s.deps, s.code)) if o.with_deps else s.code) for s in batch]
        n = len(batch)
        uf = _Union(n)
        exact_of = list(range(n))
        if o.exact:
            first: dict[str, int] = {}
            for i, t in enumerate(toks):
                j = first.setdefault(fingerprint(t), i)
                if j != i:
                    uf.union(i, j)
                    exact_of[i] = j
        if o.near:
            self._near(toks, exact_of, uf)
        clusters: dict[int, list[int]] = {}
        for i in range(n):
            clusters.setdefault(uf.find(i), []).append(i)
        out: list[Sample | Dropped] = [None] * n  # type: ignore[list-item]
        for members in clusters.values():
            rep = min(members, key=lambda i: (classify(batch[i].provenance.license) is not LicenseVerdict.PERMISSIVE,
                                               -len(toks[i]), batch[i].id))
            cid = "c" + hashlib.sha256(batch[rep].id.encode()).hexdigest()[:16]
            n_exact = sum(1 for i in members if i != rep and exact_of[i] == exact_of[rep])
            for i in members:
                if i == rep:
                    continue
                reason = DedupDrop.EXACT if exact_of[i] == exact_of[rep] else DedupDrop.NEAR
                out[i] = Dropped(batch[i].id, self.name, reason.value, f"of {batch[rep].id} (cluster {cid})")
            out[rep] = batch[rep].with_meta(self.name, dedup={"cluster": cid, "size": len(members), "exact": n_exact,
                                                              "near": len(members) - 1 - n_exact})
        return out

    def _near(self, toks: list[list[str]], exact_of: list[int], uf: _Union) -> None:
        from datasketch import MinHashLSH

        o = self.options
        lsh = MinHashLSH(threshold=o.threshold, num_perm=o.num_perm)
        sigs = {}
        for i, t in enumerate(toks):
            if exact_of[i] != i or not t:
                continue  # an exact copy joins its original's cluster already
            sigs[i] = minhash(shingle_hashes(t, o.ngram), o.num_perm, o.seed)
            lsh.insert(i, sigs[i], check_duplication=False)
        for i, sig in sigs.items():
            for j in lsh.query(sig):
                if j != i and uf.find(i) != uf.find(j) and sig.jaccard(sigs[j]) >= o.threshold:
                    uf.union(i, j)
