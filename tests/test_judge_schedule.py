"""The judge's batching rule (``pipeline.take_group``): longest first, long jobs alone, small ones in batches."""

import heapq

from rtlgen.sim.judge.pipeline import ALONE_S, SIM_BATCH_MAX, SIM_BATCH_MIN, take_group


def _heap(costs: list[float]) -> list:
    heap = [(-c, i) for i, c in enumerate(costs)]
    heapq.heapify(heap)
    return heap


def test_the_two_longest_jobs_never_share_a_lane() -> None:
    # the first check call hands over the two longest problems (4.6 s and 1.1 s): each goes to its own lane
    heap = _heap([4.6, 1.1])
    first = take_group(heap, cap=0.8, floor=SIM_BATCH_MIN, most=SIM_BATCH_MAX)
    second = take_group(heap, cap=0.8, floor=SIM_BATCH_MIN, most=SIM_BATCH_MAX)
    assert [i for _, i in first] == [0] and [i for _, i in second] == [1] and not heap


def test_small_jobs_fill_a_batch_to_the_floor_even_over_the_cap() -> None:
    # tiny jobs whose estimates exceed a small cap still share a sandbox start (the floor), in cost order
    heap = _heap([0.05, 0.2, 0.1, 0.01, 0.02])
    group = take_group(heap, cap=0.02, floor=SIM_BATCH_MIN, most=SIM_BATCH_MAX)
    assert [-c for c, _ in group] == [0.2, 0.1, 0.05, 0.02] and len(heap) == 1


def test_a_batch_stops_at_the_cap_and_at_the_most() -> None:
    heap = _heap([0.1] * 20)
    assert len(take_group(heap, cap=0.35, floor=1, most=SIM_BATCH_MAX)) == 4
    assert len(take_group(heap, cap=100.0, floor=1, most=SIM_BATCH_MAX)) == SIM_BATCH_MAX


def test_a_long_job_under_the_cap_is_batched() -> None:
    # with a large cap (much work per lane) a job over ALONE_S is no reason to start a sandbox for it alone
    heap = _heap([ALONE_S * 2, 0.1, 0.1])
    assert len(take_group(heap, cap=ALONE_S * 10, floor=1, most=SIM_BATCH_MAX)) == 3
