"""What every rtlgen reward shares: the TRL call, per-row results with reasons, logging, async, checks.

    reward = FormatReward()                       # any subclass of Reward
    check_columns(reward, dataset.column_names)   # before training: one-line InputError / sandbox error
    reward(prompts, completions, top=[...], log_metric=..., log_extra=...)   # TRL: list[float | None]
    AsyncReward(reward)                           # the same, as a coroutine TRL runs concurrently

TRL's convention (``GRPOTrainer._calculate_rewards`` in TRL 1.16): a reward is called with
``prompts``, ``completions``, ``completion_ids`` and every dataset column as keyword lists, plus
``trainer_state``, ``log_extra``, ``log_metric`` (and ``environments`` with environments); it returns
one float per completion, ``None`` where it does not apply. A callable whose ``__call__`` is a
coroutine function runs on TRL's event loop, all such rewards together (``asyncio.gather``).

A subclass implements ``score_rows(completions, rows)`` over per-row column dicts and returns one
``RowResult`` (value, category, reason) per row; ``__call__`` never raises: a batch that fails as a
whole (the sandbox vanished, an internal error) comes back as ``None`` rows with the reason logged.
``preflight()`` raises instead, before training, when a tool or the sandbox is missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from rtlgen.errors import InputError, RtlgenError
from rtlgen.rewards.metrics import log_rows

log = logging.getLogger(__name__)
C = TypeVar("C")

# Keyword arguments TRL adds that are not dataset columns.
TRAINER_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "completion_ids", "environments"})


@dataclass(frozen=True)
class RowResult:
    """One row's reward: ``value`` (None: not applicable / cannot be scored), a category for counting
    (an enum's value: a judge category, an equivalence status, a format verdict) and a reason."""

    value: float | None
    category: str
    reason: str = ""

    def to_json(self) -> dict:
        return {"value": self.value, "category": self.category, "reason": self.reason}


def unscored(reason: str, category: str = "unscored") -> RowResult:
    return RowResult(None, category, reason)


def rows_from_columns(columns: Mapping[str, Any], n: int) -> list[dict[str, Any]]:
    """Per-row dicts of the dataset columns TRL passes as lists (trainer kwargs and non-lists left out)."""
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    for key, values in columns.items():
        if key in TRAINER_KWARGS or not isinstance(values, (list, tuple)) or len(values) != n:
            continue
        for row, value in zip(rows, values, strict=True):
            row[key] = value
    return rows


def config_of(cls: type[C], config: C | Mapping[str, Any] | None, options: Mapping[str, Any]) -> C:
    """A reward's config from a ``cls`` instance, a mapping (YAML) or keyword options (``rtlgen train``'s
    ``options:``), checked by the one config loader: unknown keys and wrong types are one-line errors."""
    from rtlgen.config import from_mapping

    if config is not None and options:
        raise InputError(f"give {cls.__name__} either as a config or as keyword options, not both")
    if isinstance(config, cls):
        return config
    return from_mapping(cls, dict(config or options), where=cls.__name__)


class Reward:
    """Base of rtlgen's rewards: picklable (live processes are dropped by ``__getstate__``)."""

    __name__ = "reward"  # TRL names the reward's logged column after this

    def __init__(self) -> None:
        self.last_results: list[RowResult] = []

    # -- to implement -----------------------------------------------------------------------------
    def required_columns(self) -> tuple[str, ...]:
        """Dataset columns without which this reward cannot score any row."""
        return ()

    def tools(self) -> tuple[str, ...]:
        """External tools this reward runs (checked by ``preflight``)."""
        return ()

    def score_rows(self, completions: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        raise NotImplementedError

    # -- shared -----------------------------------------------------------------------------------
    def uses_sandbox(self) -> bool:
        return bool(self.tools()) and not getattr(self, "unsafe", False)

    def preflight(self) -> None:
        """Raise a one-line ``ToolMissingError``/``SandboxUnavailableError`` if this reward cannot run here."""
        from rtlgen.sandbox import find_tool

        for tool in self.tools():
            find_tool(tool)
        if self.uses_sandbox():
            from rtlgen.sandbox import default_sandbox

            default_sandbox()  # raises SandboxUnavailableError when bubblewrap is missing

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["last_results"] = []
        for key in self._transient():
            state[key] = None
        return state

    def _transient(self) -> tuple[str, ...]:
        """Attributes holding live processes or tool handles, recreated lazily after unpickling."""
        return ()

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        results = self.results(completions, rows_from_columns(kwargs, len(completions)))
        log_rows(self.__name__, results, log_metric=kwargs.get("log_metric"), log_extra=kwargs.get("log_extra"))
        return [r.value for r in results]

    def results(self, completions: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> list[RowResult]:
        """``score_rows``, never raising: a failure of the whole batch is ``None`` rows with the reason."""
        try:
            results = self.score_rows(completions, rows)
            if len(results) != len(completions):
                raise RuntimeError(f"{len(results)} results for {len(completions)} completions")
        except RtlgenError as exc:
            log.error("%s: batch not scored: %s", self.__name__, exc)
            results = [unscored(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, "error")
                       for _ in completions]
        except Exception as exc:  # a reward worker must never take down the trainer
            log.exception("%s: batch not scored", self.__name__)
            results = [unscored(f"internal error: {type(exc).__name__}: {exc}", "error") for _ in completions]
        self.last_results = results
        return results

    async def acall(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        """The same call off the event loop (the work is subprocesses; a thread waits on them)."""
        return await asyncio.to_thread(self.__call__, prompts, completions, **kwargs)


class AsyncReward:
    """A reward TRL runs concurrently with its other async rewards: ``__call__`` is a coroutine function
    (``trl.trainer.utils.is_async_callable``). Picklable when the wrapped reward is."""

    def __init__(self, reward: Reward) -> None:
        self.reward = reward
        self.__name__ = reward.__name__

    async def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **kwargs: Any) -> list[float | None]:
        return await self.reward.acall(prompts, completions, **kwargs)


def check_columns(reward: Reward | AsyncReward, column_names: Iterable[str], *, tools: bool = True) -> None:
    """Before training: a one-line ``InputError`` naming the columns ``reward`` needs and the dataset lacks;
    with ``tools``, also the reward's ``preflight`` (tool or sandbox missing)."""
    inner = reward.reward if isinstance(reward, AsyncReward) else reward
    have = list(column_names)
    missing = [c for c in inner.required_columns() if c not in have]
    if missing:
        raise InputError(f"reward {inner.__name__!r} needs dataset column(s) {', '.join(map(repr, missing))}; "
                         f"the dataset has: {', '.join(have) or 'no columns'}")
    if tools:
        inner.preflight()


__all__ = ["TRAINER_KWARGS", "AsyncReward", "Reward", "RowResult", "check_columns", "config_of", "rows_from_columns",
           "unscored"]
