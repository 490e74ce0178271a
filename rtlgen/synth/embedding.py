"""Design embedding for retrieval: normalised AIG statistics read straight from the AIGER file.

The vector holds sizes (log PI/PO/latch/AND counts, log depth), shape (ANDs per I/O, complemented
edge fraction, mean fanout), a fanout histogram and a histogram of node levels relative to the
depth. Training designs' vectors are z-scored with their own mean/std (kept in the prior artefact),
and the distance is the RMS difference of z-scores (Euclidean / sqrt(dim)).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from rtlgen.errors import InputError

FEATURES = ("log_pi", "log_po", "log_latch", "log_and", "log_depth", "and_per_io", "compl_frac", "mean_fanout",
            "fo1", "fo2", "fo3_4", "fo5_8", "fo9p", *(f"lev{i}" for i in range(8)))


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def read_aiger(data: bytes) -> tuple[tuple[int, int, int, int], list[int], list[tuple[int, int]]]:
    """((I, L, O, A), literals driving outputs and latches, AND fan-in literal pairs) of a binary AIGER."""
    end = data.index(b"\n")
    header = data[:end].split()
    if header[:1] != [b"aig"] or len(header) < 6:
        raise InputError("not a binary AIGER file (header must start with 'aig M I L O A')")
    _, i, latches, o, a = (int(x) for x in header[1:6])
    pos = end + 1
    lines = []
    for _ in range(latches + o):
        nl = data.index(b"\n", pos)
        lines.append(int(data[pos:nl].split()[0]))
        pos = nl + 1
    for _ in range(sum(int(x) for x in header[6:8])):  # AIGER 1.9 bad/constraint lines
        pos = data.index(b"\n", pos) + 1
    ands = []
    for k in range(a):
        lhs = 2 * (i + latches + k + 1)
        d0, pos = _varint(data, pos)
        d1, pos = _varint(data, pos)
        r0 = lhs - d0
        ands.append((r0, r0 - d1))
    return (i, latches, o, a), lines, ands


def embed_aiger(data: bytes) -> np.ndarray:
    """Raw (un-normalised) feature vector, in the order of ``FEATURES``."""
    (i, latches, o, a), outs, ands = read_aiger(data)
    base = i + latches + 1
    level = np.zeros(base + a, dtype=np.int64)
    fanout = np.zeros(base + a, dtype=np.int64)
    compl = 0
    for k, (r0, r1) in enumerate(ands):
        v0, v1 = r0 >> 1, r1 >> 1
        level[base + k] = 1 + max(level[v0], level[v1])
        fanout[v0] += 1
        fanout[v1] += 1
        compl += (r0 & 1) + (r1 & 1)
    for lit in outs:
        fanout[lit >> 1] += 1
    depth = int(level.max()) if a else 0
    fo = fanout[base:] if a else np.zeros(1, dtype=np.int64)
    fo_hist = [np.mean(fo == 1), np.mean(fo == 2), np.mean((fo >= 3) & (fo <= 4)), np.mean((fo >= 5) & (fo <= 8)),
               np.mean(fo >= 9)]
    rel = level[base:] / max(depth, 1) if a else np.zeros(1)
    lev_hist = np.histogram(rel, bins=8, range=(0.0, 1.0))[0] / max(a, 1)
    vec = [math.log1p(i), math.log1p(o), math.log1p(latches), math.log1p(a), math.log1p(depth),
           math.log1p(a / max(i + o, 1)), compl / max(2 * a, 1), float(fo.mean()), *fo_hist, *lev_hist]
    return np.asarray(vec, dtype=np.float64)


def embed_file(path: str | Path) -> np.ndarray:
    return embed_aiger(Path(path).read_bytes())


def normalise(raw: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return (raw - mean) / std


def distances(query: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """RMS z-score difference between one normalised vector and each row of ``keys``."""
    return np.sqrt(np.mean((keys - query[None, :]) ** 2, axis=1))


def similarity_alpha(d: float, d0: float) -> float:
    """ABC-RL's trust in the prior, alpha = 1 - sigmoid(100 (d' - 0.007)), with d' = 0.007 d / d0.

    ABC-RL's cosine distances put "a similar design" near 0.007; ours are RMS z-score distances whose
    typical nearest-neighbour value among training designs (leave-one-out median) is ``d0``, so d is
    rescaled to make d0 play the role of 0.007: alpha(0) = 0.67, alpha(d0) = 0.5, alpha(4 d0) = 0.11.
    """
    scaled = 0.007 * d / max(d0, 1e-12)
    return 1.0 - 1.0 / (1.0 + math.exp(-100.0 * (scaled - 0.007)))
