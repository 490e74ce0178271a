"""Per-category counts of a reward call, logged through TRL's ``log_metric``/``log_extra`` when given.

    log_rows("simulation", rows, log_metric=kwargs.get("log_metric"), log_extra=kwargs.get("log_extra"))

TRL (1.16, ``GRPOTrainer._calculate_rewards``) hands every reward function ``log_metric(name, value)``,
whose values are averaged over a logging step, and ``log_extra(column, values)``, one value per
completion for the completions table. Metrics are ``<reward>/count/<category>`` (rows of that category
in the call) and ``<reward>/unscored`` (rows scored ``None``); extra columns are
``<reward>_category`` and ``<reward>_reason``. Without those callables (verl, OpenRLHF, a script)
nothing is logged here; the counts are still returned for the caller's own logs.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rtlgen.rewards.base import RowResult

log = logging.getLogger(__name__)
_REASON_CHARS = 200  # a table cell, not a log file


def category_counts(rows: Sequence[RowResult]) -> dict[str, int]:
    """How many rows fell in each category, most common first."""
    return dict(Counter(r.category for r in rows).most_common())


def log_rows(name: str, rows: Sequence[RowResult], *, log_metric: Callable[[str, float], None] | None = None,
             log_extra: Callable[[str, list], None] | None = None) -> dict[str, int]:
    """Log ``rows`` through the trainer's callables (each optional); returns the category counts."""
    counts = category_counts(rows)
    unscored = [r for r in rows if r.value is None]
    for row in unscored:
        log.info("%s: row not scored: %s", name, row.reason)
    if log_metric is not None:
        for category, n in counts.items():
            log_metric(f"{name}/count/{category}", float(n))
        log_metric(f"{name}/unscored", float(len(unscored)))
    if log_extra is not None:
        log_extra(f"{name}_category", [r.category for r in rows])
        log_extra(f"{name}_reason", [r.reason[:_REASON_CHARS] for r in rows])
    return counts


__all__ = ["category_counts", "log_rows"]
