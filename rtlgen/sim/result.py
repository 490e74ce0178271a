"""What one simulation returned: a frozen ``SimResult`` with a status enum and a failure category.

Built by ``rtlgen.sim.base.sim_result`` from a sandbox ``JobResult``; never raised, always returned,
so a batch of thousands of model samples keeps going whatever each one does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from rtlgen.sandbox import KilledBy
from rtlgen.sim.classify import FailureCategory

_TAIL_CHARS = 4000  # how much of a log ``tail`` keeps: enough for the first errors, small enough for a prompt


class SimStatus(str, enum.Enum):  # noqa: UP042 - like KilledBy
    """How far the job got, independent of whether the design is right (that is ``category``)."""

    OK = "ok"  # compiled and the simulation exited 0
    COMPILE_ERROR = "compile_error"  # a compile/elaboration/build step failed
    RUNTIME_ERROR = "runtime_error"  # compiled, but the simulation exited non-zero
    TIMEOUT = "timeout"  # the wall clock ran out (any step)
    KILLED = "killed"  # another sandbox limit stopped it: memory, cpu, output, file size
    TOOL_MISSING = "tool_missing"  # a step could not even be started


@dataclass(frozen=True)
class SimResult:
    simulator: str  # registry name: "icarus", "verilator", "icarus-syntax", "cocotb-icarus"
    status: SimStatus
    compiled: bool  # every compile/build step ran and exited 0
    exit_code: int | None  # of the last step that ran; negative = killed by that signal; None = never started
    killed_by: KilledBy  # first sandbox limit that stopped a step, or NONE
    stdout: str  # of the last step that ran
    stderr: str  # of the last step that ran
    compile_log: str  # stdout + stderr of the compile steps, in order
    run_log: str  # stdout + stderr of the simulation step ("" when it never ran)
    wall_s: float  # all steps
    cpu_s: float  # all steps
    category: FailureCategory  # VerilogEval v2 category or one of ours
    argv: tuple[tuple[str, ...], ...]  # every step's argv as built (not only those that ran)
    cached: bool = False  # the sandbox answered from its result cache

    @property
    def ok(self) -> bool:
        return self.status is SimStatus.OK

    @property
    def passed(self) -> bool:
        return self.category is FailureCategory.PASS

    @property
    def log(self) -> str:
        """Compile and run output as one text, as the VerilogEval v2 harness logs it."""
        return self.compile_log + self.run_log

    def tail(self, chars: int = _TAIL_CHARS) -> str:
        """The end of the combined log, for feeding back to a model or a person."""
        text = self.log.strip()
        return text if len(text) <= chars else "..." + text[-chars:]

    def to_json(self) -> dict:
        return {
            "simulator": self.simulator,
            "status": self.status.value,
            "compiled": self.compiled,
            "exit_code": self.exit_code,
            "killed_by": self.killed_by.value,
            "category": self.category.value,
            "passed": self.passed,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "compile_log": self.compile_log,
            "run_log": self.run_log,
            "wall_s": round(self.wall_s, 6),
            "cpu_s": round(self.cpu_s, 6),
            "argv": [list(a) for a in self.argv],
            "cached": self.cached,
        }
