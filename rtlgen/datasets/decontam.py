"""Stage ``decontam``: find samples that overlap any benchmark problem (``rtlgen.datasets.benchmarks``), drop them.

Four checks, each reported on its own with the benchmark item it matched:

- ``exact``: the item's normalised token stream is a substring of the sample's, verbatim or after
  renaming every name by first use (``tokens.canonical``: a reference with renamed signals matches);
- ``ngram``: at least ``ngram_fraction`` of the item's distinct ``ngram``-token n-grams occur in the
  sample (names as written, as in the usual n-gram decontamination);
- ``minhash``: MinHash Jaccard of rename-blind 5-token shingles at least ``minhash_threshold``;
- ``rouge``: Rouge-L F1 of the token streams (names as written: on rename-blind streams every small
  gate-level module scores above 0.5 against some benchmark one) above ``rouge_threshold`` (CodeV-R1 drops > 0.5),
  computed for the ``rouge_candidates`` items sharing the most rename-blind n-grams, each stream cut
  to ``max_tokens`` (bit-parallel LCS: bounded time).

Prose (sample descriptions written by the teacher stages) is compared with benchmark prompts and
descriptions by words, with the same n-gram and Rouge-L checks. Items shorter than ``min_tokens``
(``assign zero = 1'b0``) are skipped: any matching corpus text would be a coincidence. Hits go in the
drop detail, in ``DIR/decontam-hits.jsonl`` (one line per hit) and, with ``drop: false``, in meta.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from rtlgen.config import help_
from rtlgen.datasets.benchmarks import BenchItem, TaskLoad, load_items
from rtlgen.datasets.dedup import minhash, shingle_hashes
from rtlgen.datasets.sample import Dropped, Sample
from rtlgen.datasets.stage import Stage
from rtlgen.datasets.tokens import blind, canonical, from_module, lcs_length, ngrams, tokens, words

HITS_FILE = "decontam-hits.jsonl"
CONTAMINATED = "contaminated"


@dataclass(frozen=True)
class DecontamOptions:
    tasks: tuple[str, ...] = field(default=(), metadata=help_("benchmarks to check (default: every registered task)"))
    data_dirs: dict[str, str] = field(default_factory=dict, metadata=help_(
        "task name -> its data folder (default: the task's own lookup, then the shared data)"))
    ngram: int = field(default=10, metadata=help_("tokens per n-gram of the overlap check"))
    ngram_fraction: float = field(default=0.5, metadata=help_("share of an item's n-grams found in a sample for a hit"))
    minhash_threshold: float = field(default=0.7, metadata=help_("MinHash Jaccard for a near match"))
    num_perm: int = field(default=256, metadata=help_("MinHash permutations"))
    rouge_threshold: float = field(default=0.5, metadata=help_("Rouge-L F1 above which a sample is contaminated"))
    rouge_candidates: int = field(default=8, metadata=help_("benchmark items per sample scored by Rouge-L"))
    max_tokens: int = field(default=3000, metadata=help_("tokens of each side Rouge-L looks at (bounds its cost)"))
    min_tokens: int = field(default=20, metadata=help_("benchmark items shorter than this are not checked"))
    drop: bool = field(default=True, metadata=help_("drop contaminated samples; false keeps them with meta hits"))


@dataclass
class _Coded:
    item: BenchItem
    raw: str  # normalised, names as written
    toks: list[str]
    canon: list[str]
    raw_grams: set
    blind_grams: set


class _Index:
    """Everything the checks need about the benchmark items, built once per stage."""

    def __init__(self, items: list[BenchItem], o: DecontamOptions) -> None:
        from datasketch import MinHashLSH

        self.o = o
        self.code: list[_Coded] = []
        self.prose: list[tuple[BenchItem, list[str], set]] = []
        self.raw_index: dict[tuple, list[int]] = {}
        self.blind_index: dict[tuple, list[int]] = {}
        self.word_index: dict[tuple, list[int]] = {}
        self.lsh = MinHashLSH(threshold=o.minhash_threshold, num_perm=o.num_perm)
        self.sigs = {}
        for item in items:
            if item.code:
                toks = tokens(item.text)
                if len(toks) < o.min_tokens:
                    continue
                c = _Coded(item, " ".join(toks), toks, canonical(from_module(toks)), ngrams(toks, o.ngram),
                           ngrams(blind(toks), o.ngram))
                k = len(self.code)
                self.code.append(c)
                for g in c.raw_grams:
                    self.raw_index.setdefault(g, []).append(k)
                for g in c.blind_grams:
                    self.blind_index.setdefault(g, []).append(k)
                self.sigs[k] = minhash(shingle_hashes(blind(toks), 5), o.num_perm, 1)
                self.lsh.insert(k, self.sigs[k], check_duplication=False)
            else:
                ws = words(item.text)
                if len(ws) < o.min_tokens:
                    continue
                k = len(self.prose)
                grams = ngrams(ws, o.ngram)
                self.prose.append((item, ws, grams))
                for g in grams:
                    self.word_index.setdefault(g, []).append(k)

    def check_code(self, code: str) -> list[tuple[str, BenchItem, float]]:
        o = self.o
        toks = tokens(code)
        raw, canon = " ".join(toks), canonical(from_module(toks))
        canon_text = " ".join(canon)
        hits: dict[int, tuple[str, float]] = {}
        shared = Counter(k for g in ngrams(toks, o.ngram) for k in self.raw_index.get(g, ()))
        for k, n in shared.items():
            c = self.code[k]
            if n == len(c.raw_grams) and c.raw in raw:
                hits[k] = ("exact", 1.0)
            elif n / len(c.raw_grams) >= o.ngram_fraction:
                hits[k] = ("ngram", round(n / len(c.raw_grams), 3))
        bshared = Counter(k for g in ngrams(blind(toks), o.ngram) for k in self.blind_index.get(g, ()))
        for k, n in bshared.items():
            c = self.code[k]
            if k not in hits and n == len(c.blind_grams) and " ".join(c.canon) in canon_text:
                hits[k] = ("exact", 1.0)
        sig = minhash(shingle_hashes(blind(toks), 5), o.num_perm, 1)
        for k in self.lsh.query(sig):
            score = sig.jaccard(self.sigs[k])
            if k not in hits and score >= o.minhash_threshold:
                hits[k] = ("minhash", round(score, 3))
        mine = toks[:o.max_tokens]
        for k, _n in (shared + bshared).most_common(o.rouge_candidates):
            theirs = self.code[k].toks[:o.max_tokens]
            if k in hits or 2 * min(len(mine), len(theirs)) / (len(mine) + len(theirs)) <= o.rouge_threshold:
                continue
            score = _rouge(mine, theirs)
            if score > o.rouge_threshold:
                hits[k] = ("rouge", round(score, 3))
        return [(check, self.code[k].item, score) for k, (check, score) in hits.items()]

    def check_prose(self, text: str) -> list[tuple[str, BenchItem, float]]:
        o = self.o
        ws = words(text)
        shared = Counter(k for g in ngrams(ws, o.ngram) for k in self.word_index.get(g, ()))
        hits = []
        for k, n in shared.most_common(o.rouge_candidates):
            item, theirs, grams = self.prose[k]
            if n / len(grams) >= o.ngram_fraction:
                hits.append(("ngram", item, round(n / len(grams), 3)))
                continue
            score = _rouge(ws[:o.max_tokens], theirs[:o.max_tokens])
            if score > o.rouge_threshold:
                hits.append(("rouge", item, round(score, 3)))
        return hits


def _rouge(a: Sequence[str], b: Sequence[str]) -> float:
    lcs = lcs_length(a, b)
    return 0.0 if lcs == 0 else 2 * lcs / (len(a) + len(b))  # F1 of P = lcs/len(a), R = lcs/len(b)


class Decontam(Stage):
    name = "decontam"
    Options = DecontamOptions
    batch_size = 256

    def __init__(self, options: DecontamOptions, ctx) -> None:
        super().__init__(options, ctx)
        self._index: _Index | None = None
        self.loads: list[TaskLoad] = []

    def index(self) -> _Index:
        if self._index is None:
            items, self.loads = load_items(self.options.tasks, self.options.data_dirs)
            self._index = _Index(items, self.options)
            with (self.ctx.out_dir / "decontam-benchmarks.json").open("w") as fh:
                json.dump([load.__dict__ for load in self.loads], fh, indent=1)
        return self._index

    def process(self, batch: Sequence[Sample]) -> list[Sample | Dropped]:
        index = self.index()
        out: list[Sample | Dropped] = []
        lines = []
        for s in batch:
            hits = index.check_code(s.code)
            for text in s.descriptions.values():
                hits += index.check_prose(text)
            records = [{"sample": s.id, "check": check, "task": task, "problem": pid, "field": fld, "score": score}
                       for check, item, score in hits for task, pid, fld in item.sources]
            lines += [json.dumps(r) for r in records]
            if not hits:
                out.append(s.evolve(self.name))
            elif self.options.drop:
                first = records[0]
                out.append(Dropped(s.id, self.name, CONTAMINATED, f"{first['check']} {first['task']}/{first['problem']} "
                                   f"({first['field']}, {first['score']}); {len(records)} hits"))
            else:
                out.append(s.with_meta(self.name, decontam=records))
        if lines:
            with (self.ctx.out_dir / HITS_FILE).open("a") as fh:
                fh.write("\n".join(lines) + "\n")
        return out
