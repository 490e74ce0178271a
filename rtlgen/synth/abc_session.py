"""A persistent yosys-abc per worker: liberty read once, one request per recipe, restart on death.

Each request ends with ``echo @@ENDn@@``; ABC echoes a command line only once every earlier command
has finished, so the first sight of the marker closes the request (any leftover echo text is skipped
by the next, differently numbered marker). Designs are written into the session's job dir; the AIG
after a recipe prefix can be kept there as a snapshot (``write_aiger``) so that extending a prefix
costs only the new steps. A request past its deadline kills the session; the next request reopens it.

    with AbcSession() as abc:
        qor = abc.evaluate(design, RESYN2)
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

from rtlgen.sandbox import Job, KilledBy, Limits, Sandbox, SessionError, default_sandbox, find_tool
from rtlgen.synth.frontend import Design
from rtlgen.synth.liberty import resolve_liberty
from rtlgen.synth.qor import QoR, SynthError, abc_error, parse_qor, parse_stats, strip_ansi
from rtlgen.synth.recipes import RESYN2

# The session lives for many requests: CPU is bounded per request by its deadline, not by RLIMIT_CPU.
SESSION_LIMITS = Limits(wall_s=86_400, cpu_s=86_400, memory_mb=4096, output_bytes=4_000_000, file_size_mb=256)
MAP_FLOW = ("map", "topo", "stime")


class AbcSession:
    """One warm yosys-abc; not thread-safe (use one per worker thread)."""

    def __init__(self, liberty: str | Path | None = None, *, sandbox: Sandbox | None = None,
                 request_timeout_s: float = 120.0, max_snapshots: int = 4096, limits: Limits = SESSION_LIMITS):
        self.liberty = resolve_liberty(liberty)
        self.sandbox = sandbox or default_sandbox()
        self.request_timeout_s = request_timeout_s
        self.max_snapshots = max_snapshots
        self.limits = limits
        self.restarts = 0  # sessions (re)opened after the first
        self.requests = 0
        self._counter = itertools.count()
        self._sess = None
        self._loaded: set[str] = set()
        self._snapshots: OrderedDict[tuple[str, tuple[str, ...]], str] = OrderedDict()

    # -- lifecycle --------------------------------------------------------------------------
    def _open(self) -> None:
        job = Job.single([find_tool("yosys-abc")], limits=self.limits, ro_paths=(str(self.liberty),),
                         cacheable=False)
        if self._sess is not None:
            self.restarts += 1
        self._sess = self.sandbox.open_session(job)
        self._loaded.clear()
        self._snapshots.clear()
        (self._sess.job_dir / "designs").mkdir(exist_ok=True)
        out = self._raw(f"read_lib -w {self.liberty}", timeout_s=120)
        if "Library" not in out and "library" not in out:
            raise SynthError(f"yosys-abc could not read liberty {self.liberty}: {' '.join(out.split())[-300:]}")

    @property
    def process(self):
        """The live session's process (tests kill it to check the restart path)."""
        return self._sess.proc if self._sess is not None else None

    def close(self) -> None:
        if self._sess is not None:
            self._sess.close()
            self._sess = None

    def __enter__(self) -> AbcSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------------
    def _raw(self, commands: str, timeout_s: float | None = None) -> str:
        marker = f"@@END{next(self._counter)}@@"
        self.requests += 1
        return self._sess.request(f"{commands}\necho {marker}\n", until=marker.encode(),
                                  timeout_s=timeout_s or self.request_timeout_s)

    def run(self, commands: Sequence[str] | Callable[[], Sequence[str]], timeout_s: float | None = None) -> str:
        """Run ABC commands as one request; raises SynthError on a deadline or a crash.

        A session found dead (killed, crashed) is reopened and the request retried once; pass a
        callable so that design files and snapshots are re-resolved in the new session.
        """
        for attempt in (0, 1):
            if self._sess is None or not self._sess.alive:
                self._open()
            cmds = commands() if callable(commands) else commands
            try:
                return strip_ansi(self._raw("\n".join(cmds), timeout_s))
            except SessionError as exc:
                self.close_for_restart()
                if exc.killed_by is KilledBy.NONE and attempt == 0:
                    continue
                raise SynthError(f"yosys-abc request failed ({exc}); the session will restart", exc.killed_by) from exc
        raise AssertionError("unreachable")

    def close_for_restart(self) -> None:
        if self._sess is not None:
            self._sess.close()  # keeps self._sess set so that _open counts a restart
        self._loaded.clear()
        self._snapshots.clear()

    def _design_file(self, design: Design) -> str:
        if self._sess is None or not self._sess.alive:
            self._open()
        rel = f"designs/{design.digest}.aig"
        if design.digest not in self._loaded:
            target = self._sess.job_dir / rel
            target.write_bytes(design.aig_bytes())
            target.chmod(0o644)
            self._loaded.add(design.digest)
        return rel

    def _start(self, design: Design, recipe: tuple[str, ...], reuse: bool) -> tuple[list[str], int]:
        """Commands that load the AIG after the longest snapshotted prefix of ``recipe`` (when ``reuse``)."""
        src = self._design_file(design)
        for k in range(len(recipe) if reuse else 0, 0, -1):
            snap = self._snapshots.get((design.digest, recipe[:k]))
            if snap is not None:
                self._snapshots.move_to_end((design.digest, recipe[:k]))
                return [f"read {snap}", "strash"], k
        return [f"read {src}", "strash"], 0

    def _script(self, design: Design, recipe: tuple[str, ...], keep: Sequence[int], reuse: bool = False) -> list[str]:
        cmds, k = self._start(design, recipe, reuse)
        for i in range(k, len(recipe)):
            cmds.append(recipe[i])
            if i + 1 in keep:
                cmds.append(f"write_aiger {self._snapshot_name(design, recipe[:i + 1])}")
        return cmds

    def _snapshot_name(self, design: Design, prefix: tuple[str, ...]) -> str:
        # Written by ABC into the job dir itself, which belongs to the confined uid.
        key = (design.digest, prefix)
        name = self._snapshots.get(key) or f"snap-{design.digest[:8]}-{next(self._counter)}.aig"
        self._snapshots[key] = name
        while len(self._snapshots) > self.max_snapshots:
            _, old = self._snapshots.popitem(last=False)
            (self._sess.job_dir / old).unlink(missing_ok=True)
        return name

    # -- public operations ------------------------------------------------------------------
    def evaluate(self, design: Design, recipe: Sequence[str], *, keep_prefixes: Sequence[int] = (),
                 reuse_snapshots: bool = False) -> QoR:
        """QoR of ``recipe`` on ``design``; snapshots the AIG after each prefix length in ``keep_prefixes``.

        With ``reuse_snapshots`` the run starts from the longest snapshotted prefix. That is what makes
        search cheap, but it is approximate: the AIGER round trip renumbers nodes and ABC's rewrites
        depend on node order, so a resumed recipe can end a few nodes away from the same recipe run
        from the start (ABC's own backup/restore behaves the same). Reported results therefore come
        from runs without reuse, the default.
        """
        recipe = tuple(recipe)
        out = self.run(lambda: self._script(design, recipe, set(keep_prefixes), reuse_snapshots)
                       + ["print_stats", *MAP_FLOW])
        self._check(out, design)
        return parse_qor(out)

    def aig_stats(self, design: Design, recipe: Sequence[str] = ()) -> tuple[int, int]:
        """(and nodes, levels) after ``recipe`` without mapping."""
        out = self.run(lambda: self._script(design, tuple(recipe), ()) + ["print_stats"])
        self._check(out, design)
        return parse_stats(out)

    def cec(self, design: Design, recipe: Sequence[str], *, mapped: bool = True) -> bool:
        """ABC ``cec`` of the (mapped) result of ``recipe`` against the original design."""
        def build() -> list[str]:
            src = self._design_file(design)
            return [f"read {src}", "strash", *recipe] + (["map", "topo"] if mapped else []) + [f"cec {src}"]

        out = self.run(build)
        self._check(out, design)
        if "are equivalent" in out:
            return True
        if "NOT EQUIVALENT" in out or "are not equivalent" in out.lower():
            return False
        raise SynthError(f"{design.name}: cec gave no verdict: {' '.join(out.split())[-300:]}")

    def cec_files(self, a: Path, b: Path) -> bool:
        """ABC ``cec`` between two AIGER files (ports matched by name).

        Not a gate for untrusted RTL: the AIG reads x as 0 and an undriven bit as an input, and knows
        nothing of port lists; ``rtlgen.synth.equivalence`` is the gate the reward uses.
        """
        def build() -> list[str]:
            names = []
            for i, p in enumerate((a, b)):
                rel = f"designs/cmp{i}-{next(self._counter)}.aig"
                (self._sess.job_dir / rel).write_bytes(Path(p).read_bytes())
                names.append(rel)
            return [f"cec {names[0]} {names[1]}"]

        return "are equivalent" in self.run(build)

    @staticmethod
    def _check(out: str, design: Design) -> None:
        error = abc_error(out)
        if error is not None:
            raise SynthError(f"{design.name}: ABC error: {error}")


BASELINES: dict[str, tuple[str, ...]] = {"none": (), "resyn2": RESYN2, "resyn2x3": RESYN2 * 3}


def baselines(session: AbcSession, design: Design) -> dict[str, QoR]:
    """QoR with no optimisation, resyn2, and resyn2 repeated three times (one session, snapshots reused)."""
    out = {"none": session.evaluate(design, ())}
    out["resyn2"] = session.evaluate(design, RESYN2)
    out["resyn2x3"] = session.evaluate(design, RESYN2 * 3)
    return out
