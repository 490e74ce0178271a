"""The pass rule for a self-checking testbench run, shared by the agent, rewards and tools.

VerilogEval testbenches print ``Mismatches: M in N samples``; generic ones stay silent on success and
print FAIL/ERROR or call ``$fatal`` on failure. ``tb_verdict`` reads both.
"""

from __future__ import annotations

import re

_MISMATCHES = re.compile(r"^\s*Mismatches:\s*(\d+)\s+in\s+(\d+)\s+samples\s*$", re.M)
_FAIL_WORD = re.compile(r"\b(FAIL|FAILED|ERROR)\b")


def mismatch_counts(log: str) -> tuple[int, int] | None:
    """(mismatches, samples) from the last ``Mismatches: M in N samples`` line, if any."""
    found = _MISMATCHES.findall(log)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def tb_verdict(run_log: str, exit_code: int | None, killed: bool) -> tuple[bool, str]:
    """Did the testbench pass? (passed, reason).

    The rule: the simulation ended on its own with exit code 0; no output line holds the words FAIL,
    FAILED or ERROR (upper case, as testbenches and $error print them); and if it printed VerilogEval's
    ``Mismatches: M in N samples`` line, then M == 0 and N > 0. Both VerilogEval testbenches and generic
    self-checking ones (silent on success, $fatal or "FAIL" on failure) are read correctly this way.
    """
    if killed:
        return False, "the simulation was stopped by a sandbox limit"
    if exit_code != 0:
        return False, f"the simulation exited with code {exit_code}"
    counts = mismatch_counts(run_log)
    if counts is not None and counts[0] > 0:
        return False, f"{counts[0]} mismatches in {counts[1]} samples"
    if counts is not None and counts[1] == 0:
        return False, "the testbench checked 0 samples"
    bad = next((line for line in run_log.splitlines() if _FAIL_WORD.search(line)), None)
    if bad is not None:
        return False, f"the testbench reported a failure: {bad.strip()[:200]}"
    return True, "passed" if counts is None else f"0 mismatches in {counts[1]} samples"
