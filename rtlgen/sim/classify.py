"""Failure taxonomy: VerilogEval v2's categories with its exact rules, plus what the sandbox can see.

``classify_upstream(log)`` reproduces ``scripts/sv-iv-analyze`` of NVlabs/verilog-eval bug for bug.
That script reads the v2 harness log, which holds the iverilog output, then the vvp output, then a
line ``TIMEOUT`` when ``timeout`` exited 124. It walks the lines once, in order, and the first line
that matches a decisive rule wins::

    "syntax error"                                              -> S
    (any "error" sets a flag for C below)
    "error: This assignment requires an explicit cast"          -> e
    "error: Sized numeric constant must have a size greater than zero" -> 0
    "warning: always_comb process has no sensitivities"         -> n
    "found no sensitivities so it will never trigger"           -> n
    "is declared here as wire"                                  -> w
    "Unknown module type"                                       -> m
    (any "Unable to bind wire/reg" sets a flag for p below)
    "Unable to bind wire/reg/memory `clk'"                      -> c
    "TIMEOUT"                                                   -> T
    "Mismatches: N in M samples" (whole line) records N
  then: p if the bind flag, else C if the error flag, else pass if a line said 0 mismatches,
  else r if the *sample's code* has a line containing "posedge reset", "negedge reset" or
  "posedge r)", else R.

Known upstream false negative, kept here on purpose: a correct ``always_comb q = 1'b0;`` (a
constant) makes iverilog warn "always_comb process has no sensitivities", so a sample that passes
every test vector is scored ``n``, not pass. ``classify(..., passed=True)`` is the way out for
callers that know the verdict; ``classify_upstream`` stays faithful so scores compare with papers.
Other quirks kept: "error" anywhere, even in the testbench's own output, means C; the r/R split
looks at the code, not the log.

``classify`` is the superset: sandbox kills, empty or truncated code and runtime errors first,
then the upstream rules.
"""

from __future__ import annotations

import enum
import re

from rtlgen.llm.extract import blank_comments_and_strings
from rtlgen.sandbox import KilledBy


class FailureCategory(str, enum.Enum):  # noqa: UP042 - the agreed API; str() keeps the member name
    PASS = "pass"
    SYNTAX = "S"
    EXPLICIT_CAST = "e"
    ZERO_WIDTH = "0"
    NO_SENSITIVITIES = "n"
    DECLARED_AS_WIRE = "w"
    UNKNOWN_MODULE = "m"
    UNBOUND_CLK = "c"
    TIMEOUT = "T"
    UNBOUND_PORT = "p"
    COMPILE_OTHER = "C"
    RESET_MISMATCH = "r"
    MISMATCH = "R"
    # our own, for what upstream cannot see:
    KILLED_MEMORY = "killed_memory"
    KILLED_CPU = "killed_cpu"
    KILLED_OUTPUT = "killed_output"
    KILLED_FILESIZE = "killed_filesize"
    EMPTY_CODE = "empty"
    TRUNCATED_CODE = "truncated"
    RUNTIME_ERROR = "runtime_error"
    # the judge's (rtlgen.sim.judge), for hostile code and unusable input:
    FORBIDDEN = "forbidden"  # the design reaches outside itself, or uses a construct the judge refuses
    NO_VERDICT = "no_verdict"  # the testbench never printed its own tagged verdict or never reached its end
    TOO_LARGE = "too_large"  # the design is over the judge's input size cap
    TOOL_MISSING = "tool_missing"  # a tool could not be started

    @property
    def is_upstream(self) -> bool:
        """True for the categories VerilogEval v2 itself reports."""
        return self not in _OURS


_OURS = frozenset({
    FailureCategory.KILLED_MEMORY, FailureCategory.KILLED_CPU, FailureCategory.KILLED_OUTPUT,
    FailureCategory.KILLED_FILESIZE, FailureCategory.EMPTY_CODE, FailureCategory.TRUNCATED_CODE,
    FailureCategory.RUNTIME_ERROR, FailureCategory.FORBIDDEN, FailureCategory.NO_VERDICT, FailureCategory.TOO_LARGE,
    FailureCategory.TOOL_MISSING,
})

# Decisive rules, in upstream order; the first matching line ends the scan.
_LINE_RULES: tuple[tuple[str, FailureCategory], ...] = (
    ("syntax error", FailureCategory.SYNTAX),
    ("error: This assignment requires an explicit cast", FailureCategory.EXPLICIT_CAST),
    ("error: Sized numeric constant must have a size greater than zero", FailureCategory.ZERO_WIDTH),
    ("warning: always_comb process has no sensitivities", FailureCategory.NO_SENSITIVITIES),
    ("found no sensitivities so it will never trigger", FailureCategory.NO_SENSITIVITIES),
    ("is declared here as wire", FailureCategory.DECLARED_AS_WIRE),
    ("Unknown module type", FailureCategory.UNKNOWN_MODULE),
    ("Unable to bind wire/reg/memory `clk'", FailureCategory.UNBOUND_CLK),
    ("TIMEOUT", FailureCategory.TIMEOUT),
)
_MISMATCH_LINE = re.compile(r"^Mismatches: (\d+) in \d+ samples$")
_RESET_MARKERS = ("posedge reset", "negedge reset", "posedge r)")
_KILL_CATEGORIES = {
    KilledBy.TIMEOUT: FailureCategory.TIMEOUT,
    KilledBy.MEMORY: FailureCategory.KILLED_MEMORY,
    KilledBy.CPU: FailureCategory.KILLED_CPU,
    KilledBy.OUTPUT: FailureCategory.KILLED_OUTPUT,
    KilledBy.FILESIZE: FailureCategory.KILLED_FILESIZE,
}


def _scan(log: str) -> tuple[FailureCategory | None, bool, bool, bool]:
    """(decisive category or None, saw "error", saw an unbound wire/reg, saw "Mismatches: 0")."""
    error_c = error_p = no_mismatch = False
    for line in log.splitlines():
        if "error" in line:
            error_c = True
        if "Unable to bind wire/reg" in line:
            error_p = True
        for needle, category in _LINE_RULES:
            if needle in line:
                # "error" and the bind flag are set before the later rules are tested, as upstream
                return category, error_c, error_p, no_mismatch
        match = _MISMATCH_LINE.match(line)
        if match and int(match.group(1)) == 0:
            no_mismatch = True
    return None, error_c, error_p, no_mismatch


def classify_upstream(log: str, *, code: str | None = None) -> FailureCategory:
    """VerilogEval v2 ``sv-iv-analyze`` on the combined compile + run log. ``code`` (the sample) only
    splits r from R; without it an undecided log is R."""
    decided, error_c, error_p, no_mismatch = _scan(log)
    if decided is not None:
        return decided
    if error_p:
        return FailureCategory.UNBOUND_PORT
    if error_c:
        return FailureCategory.COMPILE_OTHER
    if no_mismatch:
        return FailureCategory.PASS
    if code is not None and any(m in line for line in code.splitlines() for m in _RESET_MARKERS):
        return FailureCategory.RESET_MISMATCH
    return FailureCategory.MISMATCH


def is_truncated(code: str) -> bool:
    """More ``module`` than ``endmodule`` keywords outside comments and strings: the text was cut off
    (a model hit its token limit). Cheap, and only consulted when compilation failed."""
    text = blank_comments_and_strings(code)  # linear; a regex for this rescans from every unclosed "/*"
    opened = len(re.findall(r"\b(?:macro)?module\b", text))
    closed = len(re.findall(r"\bendmodule\b", text))
    return opened > closed


def classify(compile_log: str, run_log: str, *, compiled: bool, killed_by: KilledBy, exit_code: int | None,
             passed: bool | None = None, code: str | None = None) -> FailureCategory:
    """Our category for one run.

    Order: empty code; a sandbox kill (a wall timeout is upstream's T); code cut off before it could
    compile; ``passed`` when the caller knows the verdict of a compiled run (a cocotb result, a log
    with its mismatch count checked): pass, else runtime_error on a non-zero exit, else r/R; a
    simulation that exited non-zero without ever printing a mismatch count (``$fatal``, a crash) is
    runtime_error; otherwise ``classify_upstream`` on the combined log.
    """
    if code is not None and not code.strip():
        return FailureCategory.EMPTY_CODE
    if killed_by is not KilledBy.NONE:
        return _KILL_CATEGORIES[killed_by]
    if code is not None and not compiled and is_truncated(code):
        return FailureCategory.TRUNCATED_CODE
    if passed is not None and compiled:  # the caller has the verdict (cocotb XML, a checked mismatch count)
        if passed:
            return FailureCategory.PASS
        if exit_code not in (0, None):
            return FailureCategory.RUNTIME_ERROR
        return classify_upstream("", code=code)  # r or R by the code, as upstream
    upstream = classify_upstream(compile_log + run_log, code=code)
    if compiled and exit_code not in (0, None) and not any(_MISMATCH_LINE.match(x) for x in run_log.splitlines()):
        if upstream in (FailureCategory.MISMATCH, FailureCategory.RESET_MISMATCH, FailureCategory.COMPILE_OTHER):
            return FailureCategory.RUNTIME_ERROR
    if not compiled and upstream in (FailureCategory.PASS, FailureCategory.MISMATCH, FailureCategory.RESET_MISMATCH):
        return FailureCategory.COMPILE_OTHER  # a failed build that printed no "error" (a crashed compiler)
    return upstream
