"""Reading VerilogEval's ``Mismatches: M in N samples`` line from a log, for official (upstream) scoring.

Every other verdict, strict or naive, is the one judge's: ``rtlgen.sim.judge``.
"""

from __future__ import annotations

import re

# Logs are up to ~1 MB of a design's own output. A leading "^\s*" under re.M would rescan a run of blank
# lines from each of them (quadratic); the line's own indent is the same test. The rest is possessive,
# and "[^\S\n]*+$" after "samples" accepts exactly what "\s*$" did (blanks up to the first line end).
_MISMATCHES = re.compile(r"^[^\S\n]*+Mismatches:\s*+(\d++)\s++in\s++(\d++)\s++samples[^\S\n]*+$", re.M)


def mismatch_counts(log: str) -> tuple[int, int] | None:
    """(mismatches, samples) from the last ``Mismatches: M in N samples`` line, if any."""
    found = _MISMATCHES.findall(log)
    return (int(found[-1][0]), int(found[-1][1])) if found else None
