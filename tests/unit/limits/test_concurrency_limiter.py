"""The per-target concurrency cap: a bounded FIFO queue, shedding, timeouts and cancellation."""

from __future__ import annotations

import asyncio
import random

import pytest

from seawall.core.errors import UpstreamError
from seawall.limits.concurrency import ConcurrencyLimiter, TargetSaturated


async def hold(limiter: ConcurrencyLimiter, release: asyncio.Event, log: list[int], i: int) -> None:
    async with limiter:
        log.append(i)
        await release.wait()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_caps_in_flight_queues_in_order_and_sheds_beyond_the_queue() -> None:
    limiter = ConcurrencyLimiter("sim/a", max_in_flight=2, max_queue=2, queue_timeout_s=30)
    release = asyncio.Event()
    entered: list[int] = []
    tasks = [asyncio.create_task(hold(limiter, release, entered, i)) for i in range(4)]
    await settle()
    assert (entered, limiter.in_flight, limiter.queued) == ([0, 1], 2, 2)
    with pytest.raises(TargetSaturated) as shed:
        async with limiter:
            pass
    assert isinstance(shed.value, UpstreamError)
    assert (shed.value.status_code, shed.value.kind, shed.value.retryable) == (
        503,
        "saturated",
        False,
    )
    assert limiter.shed == 1
    release.set()
    await asyncio.gather(*tasks)
    assert entered == [0, 1, 2, 3], "first come, first served"
    assert (limiter.in_flight, limiter.queued) == (0, 0)


async def test_a_waiter_gives_up_after_the_queue_timeout() -> None:
    limiter = ConcurrencyLimiter("sim/a", max_in_flight=1, max_queue=5, queue_timeout_s=0.05)
    release = asyncio.Event()
    holder = asyncio.create_task(hold(limiter, release, [], 0))
    await settle()
    with pytest.raises(TargetSaturated, match=r"no slot within 0\.05 s"):
        async with limiter:
            pass
    assert (limiter.queued, limiter.shed) == (0, 1)
    release.set()
    await holder
    async with limiter:
        assert limiter.in_flight == 1


async def test_a_cancelled_waiter_leaves_the_queue_and_loses_no_slot() -> None:
    limiter = ConcurrencyLimiter("sim/a", max_in_flight=1, max_queue=5, queue_timeout_s=30)
    release = asyncio.Event()
    entered: list[int] = []
    holder = asyncio.create_task(hold(limiter, release, entered, 0))
    await settle()
    waiter = asyncio.create_task(hold(limiter, release, entered, 1))
    last = asyncio.create_task(hold(limiter, release, entered, 2))
    await settle()
    waiter.cancel()
    await settle()
    assert limiter.queued == 1
    release.set()
    await asyncio.gather(holder, last)
    assert entered == [0, 2]
    assert limiter.in_flight == 0


async def test_a_slot_handed_to_a_waiter_cancelled_at_that_moment_passes_on() -> None:
    limiter = ConcurrencyLimiter("sim/a", max_in_flight=1, max_queue=5, queue_timeout_s=30)
    release = asyncio.Event()
    entered: list[int] = []
    tasks: list[asyncio.Task[None]] = []

    async def holder() -> None:
        async with limiter:
            entered.append(0)
            await release.wait()
        tasks[0].cancel()  # the slot was just handed to it; it has not run since

    first = asyncio.create_task(holder())
    await settle()
    tasks += [asyncio.create_task(hold(limiter, release, entered, i)) for i in (1, 2)]
    await settle()
    release.set()
    await first
    await asyncio.gather(*tasks, return_exceptions=True)
    assert entered == [0, 2]
    assert (limiter.in_flight, limiter.queued) == (0, 0)


async def test_never_more_than_the_cap_under_random_load() -> None:
    rng = random.Random(9)
    limiter = ConcurrencyLimiter("sim/a", max_in_flight=4, max_queue=6, queue_timeout_s=30)
    peak = 0
    done = shed = 0

    async def call() -> None:
        nonlocal peak, done, shed
        try:
            async with limiter:
                peak = max(peak, limiter.in_flight)
                for _ in range(rng.randint(0, 4)):
                    await asyncio.sleep(0)
                done += 1
        except TargetSaturated:
            shed += 1

    await asyncio.gather(*(call() for _ in range(300)))
    assert peak == 4
    assert done + shed == 300
    assert shed == limiter.shed > 0
    assert (limiter.in_flight, limiter.queued) == (0, 0)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_in_flight"):
        ConcurrencyLimiter("t", max_in_flight=0, max_queue=1, queue_timeout_s=1)
