"""Offline-learned policy prior for the retrieval-guided agent, and the command that retrains it.

Training (``rtlgen synth train-prior --out rtlgen/synth/data/prior.npz``; about 3 minutes on 2 cores):
1. log ``n`` random length-10 recipes per small training design (<= ``max_ands`` AND nodes) with
   their ADP relative to resyn2, to a JSONL file that a re-run resumes;
2. per design, fit by ridge regression ``log(adp/resyn2) ~ w_pos[position, action] + w_bi[prev, action]``
   (an action-value model per position and per previous action), plus one global fit on
   per-design-centred targets;
3. keep each design's best logged recipes, its embedding, and the embedding normalisation.
The policy is ``softmax(-(w_pos + w_bi) / tau)``. The artefact is a few tens of KB of numpy arrays.
"""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtlgen.errors import DataMissingError
from rtlgen.synth.embedding import distances, embed_aiger
from rtlgen.synth.frontend import Design, load_design
from rtlgen.synth.recipes import ACTIONS, RESYN2, from_actions

DEFAULT_PRIOR = Path(__file__).resolve().parent / "data" / "prior.npz"
TRAIN_LENGTH = 10  # logged recipe length; longer recipes map positions proportionally
N_ACT = len(ACTIONS)
TOP_K = 8  # best logged recipes kept per design for retrieval


@dataclass(frozen=True)
class Prior:
    names: tuple[str, ...]  # training designs with a fitted model
    keys: np.ndarray  # (n, F) normalised embeddings
    mean: np.ndarray  # (F,) embedding normalisation
    std: np.ndarray
    d0: float  # leave-one-out median nearest-neighbour distance among training designs
    w_pos: np.ndarray  # (n, TRAIN_LENGTH, 7) per-design position/action value (log ADP ratio, lower is better)
    w_bi: np.ndarray  # (n, 8, 7) per-design previous-action/action value; row 7 is "no previous action"
    g_pos: np.ndarray  # (TRAIN_LENGTH, 7) global model
    g_bi: np.ndarray  # (8, 7)
    top: np.ndarray  # (n, TOP_K, TRAIN_LENGTH) best logged recipes per design
    top_ratio: np.ndarray  # (n, TOP_K) their ADP / resyn2 ADP

    def embed(self, design: Design) -> np.ndarray:
        return (embed_aiger(design.aig_bytes()) - self.mean) / self.std

    def neighbours(self, design: Design, k: int = 3) -> list[tuple[int, float]]:
        """(index, distance) of the k nearest training designs."""
        d = distances(self.embed(design), self.keys)
        order = np.argsort(d)[:k]
        return [(int(i), float(d[i])) for i in order]

    def save(self, path: str | Path) -> None:
        arrays = {k: getattr(self, k) for k in ("keys", "mean", "std", "w_pos", "w_bi", "g_pos", "g_bi", "top",
                                                 "top_ratio")}
        np.savez_compressed(path, names=np.array(self.names), d0=np.array(self.d0), **arrays)


def load_prior(path: str | Path | None = None) -> Prior:
    path = Path(path) if path else DEFAULT_PRIOR
    try:
        z = np.load(path, allow_pickle=False)
    except OSError as exc:
        raise DataMissingError(f"policy prior {path} is missing; run `rtlgen synth train-prior --out {path}`") from exc
    return Prior(names=tuple(str(n) for n in z["names"]), d0=float(z["d0"]),
                 **{k: z[k] for k in ("keys", "mean", "std", "w_pos", "w_bi", "g_pos", "g_bi", "top", "top_ratio")})


# -- logging ------------------------------------------------------------------------------------
def collect(designs: list[Design], out: Path, *, per_design: int, workers: int = 2, seed: int = 0,
            liberty: str | None = None, progress: bool = True, shared: bool = False) -> None:
    """Append ``per_design`` random-recipe evaluations per design to ``out`` (JSONL), resuming; ``shared``:
    the i-th recipe is the same on every design (a design x recipe matrix, for transfer studies), and the
    mapped area and delay are logged too."""
    from tqdm import tqdm

    from rtlgen.synth.abc_session import AbcSession
    from rtlgen.synth.qor import SynthError

    done: dict[str, int] = {}
    if out.exists():
        for line in out.read_text().splitlines():
            rec = json.loads(line)
            done[rec["design"]] = done.get(rec["design"], 0) + 1
    tasks = [(d, i) for d in designs for i in range(done.get(d.name, 0), per_design + 1)]
    lock, local = threading.Lock(), threading.local()
    sessions: list[AbcSession] = []

    def work(task):
        design, i = task
        if not hasattr(local, "abc"):
            local.abc = AbcSession(liberty)
            sessions.append(local.abc)
        rng = random.Random(f"{seed}-shared-{i}" if shared else f"{seed}-{design.name}-{i}")
        actions = [rng.randrange(N_ACT) for _ in range(TRAIN_LENGTH)] if i else None
        try:
            qor = local.abc.evaluate(design, from_actions(actions) if actions else RESYN2)
        except SynthError:
            return
        rec = {"design": design.name, "actions": actions, "adp": qor.adp, "and": qor.and_nodes}
        if shared:
            rec.update(area=qor.area, delay=qor.delay)
        with lock, out.open("a") as fh:
            fh.write(json.dumps(rec) + "\n")

    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with ThreadPoolExecutor(workers) as ex:
            list(tqdm(ex.map(work, tasks), total=len(tasks), disable=not progress, desc="logging recipes"))
    finally:
        for s in sessions:
            s.close()


# -- fitting ------------------------------------------------------------------------------------
def _features(actions: list[int]) -> np.ndarray:
    x = np.zeros(TRAIN_LENGTH * N_ACT + (N_ACT + 1) * N_ACT)
    prev = N_ACT
    for pos, a in enumerate(actions):
        x[pos * N_ACT + a] = 1
        x[TRAIN_LENGTH * N_ACT + prev * N_ACT + a] = 1
        prev = a
    return x


def _ridge(x: np.ndarray, y: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    w = np.linalg.solve(x.T @ x + lam * np.eye(x.shape[1]), x.T @ y)
    return w[:TRAIN_LENGTH * N_ACT].reshape(TRAIN_LENGTH, N_ACT), w[TRAIN_LENGTH * N_ACT:].reshape(N_ACT + 1, N_ACT)


def fit(log_path: Path, designs: list[Design], lam: float = 2.0) -> Prior:
    rows: dict[str, list[tuple[list[int], float]]] = {}
    ref: dict[str, float] = {}
    for line in log_path.read_text().splitlines():
        rec = json.loads(line)
        if rec["actions"] is None:
            ref[rec["design"]] = rec["adp"]
        else:
            rows.setdefault(rec["design"], []).append((rec["actions"], rec["adp"]))
    names = [d.name for d in designs if d.name in ref and len(rows.get(d.name, ())) >= 20]
    by_name = {d.name: d for d in designs}
    raw = np.stack([embed_aiger(by_name[n].aig_bytes()) for n in names])
    mean, std = raw.mean(axis=0), raw.std(axis=0)
    std = np.where(std < 1e-6, 1.0, std)
    keys = (raw - mean) / std
    w_pos, w_bi, top, top_ratio, gx, gy = [], [], [], [], [], []
    for n in names:
        x = np.stack([_features(a) for a, _ in rows[n]])
        y = np.log(np.array([adp for _, adp in rows[n]]) / ref[n])
        wp, wb = _ridge(x, y - y.mean(), lam)
        w_pos.append(wp)
        w_bi.append(wb)
        order = np.argsort(y)[:TOP_K]
        top.append(np.array([rows[n][i][0] for i in order]))
        top_ratio.append(np.exp(y[order]))
        gx.append(x)
        gy.append(y - y.mean())
    g_pos, g_bi = _ridge(np.concatenate(gx), np.concatenate(gy), lam)
    loo = [np.sort(distances(keys[i], keys))[1] for i in range(len(names))]
    return Prior(names=tuple(names), keys=keys, mean=mean, std=std, d0=float(np.median(loo)),
                 w_pos=np.stack(w_pos), w_bi=np.stack(w_bi), g_pos=g_pos, g_bi=g_bi,
                 top=np.stack(top).astype(np.int8), top_ratio=np.stack(top_ratio))


def train_designs(train_dir: Path, max_ands: int) -> list[Design]:
    """The training designs' AIGs with at most ``max_ands`` AND nodes (sorted by name)."""
    files = sorted(train_dir.glob("*.aig"))
    if not files:
        raise DataMissingError(f"no training AIGs in {train_dir}; pass --train-dir (synth-bench/train)")
    out = []
    for f in files:
        header = f.read_bytes()[:64].split(b"\n")[0].split()
        if int(header[5]) <= max_ands:
            out.append(load_design(f))
    return out


def train_prior(train_dir: Path, out: Path, *, log_path: Path | None = None, per_design: int = 150,
                max_ands: int = 4000, workers: int = 2, liberty: str | None = None) -> Prior:
    designs = train_designs(train_dir, max_ands)
    log_path = log_path or out.with_suffix(".log.jsonl")
    collect(designs, log_path, per_design=per_design, workers=workers, liberty=liberty)
    prior = fit(log_path, designs)
    prior.save(out)
    return prior

