"""One contract for every SharedState backend: in-process memory and Redis.

A ``FrozenClock`` drives time. ``backend.replica()`` opens another handle on the same shared
state: a second ``RedisState`` with the same prefix (another gateway replica), or the same
``MemoryState`` (one process has one state). Redis comes from ``SEAWALL_TEST_REDIS`` (default
the local server); each test uses its own key prefix and deletes only its own keys.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError

from seawall.config import BreakerPolicy, RetryPolicy
from seawall.core.clock import FrozenClock
from seawall.resilience.breaker import CLOSED, HALF_OPEN, OPEN, probe_lease
from seawall.state.base import SharedState
from seawall.state.memory import MemoryState
from seawall.state.redis import RedisState

REDIS_URL = os.environ.get("SEAWALL_TEST_REDIS", "redis://127.0.0.1:6379/0")
POLICY = BreakerPolicy(window_s=10, min_calls=10, failure_rate=0.5, open_s=5, half_open_probes=2)
T = "sim/model-a"


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        with SyncRedis.from_url(
            REDIS_URL, socket_timeout=1, socket_connect_timeout=1, retry=None
        ) as client:
            client.ping()
    except (RedisError, OSError) as exc:
        # CI starts Redis itself: there, an unreachable server is a failure.
        if os.environ.get("CI"):
            pytest.fail(f"Redis not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


@dataclass
class Backend:
    clock: FrozenClock
    replica: Callable[[], SharedState]
    state: SharedState = field(init=False)

    def __post_init__(self) -> None:
        self.state = self.replica()


async def _delete_prefix(url: str, prefix: str) -> None:
    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def redis_states(redis_url: str) -> AsyncIterator[Callable[[FrozenClock], RedisState]]:
    """Opens RedisStates on one fresh prefix; closes them and deletes the prefix afterwards."""
    prefix = f"seawall-test-{secrets.token_hex(6)}"
    opened: list[RedisState] = []

    def open_state(clock: FrozenClock) -> RedisState:
        # A generous timeout: the contract is about answers, and a loaded CI machine must not
        # push a call into the fail-open path (tested on its own in test_redis_failure.py).
        opened.append(RedisState(redis_url, prefix=prefix, clock=clock, timeout_s=5.0))
        return opened[-1]

    yield open_state
    for state in opened:
        await state.aclose()
    await _delete_prefix(redis_url, prefix)


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Backend:
    clock = FrozenClock()
    if request.param == "memory":
        memory = MemoryState(clock)
        return Backend(clock, lambda: memory)
    open_state: Callable[[FrozenClock], RedisState] = request.getfixturevalue("redis_states")
    return Backend(clock, lambda: open_state(clock))


async def feed(state: SharedState, outcomes: list[bool], key: str = T) -> list[str]:
    """Run calls through the breaker like the pipeline does; returns the state changes."""
    changes = []
    for ok in outcomes:
        if await state.breaker_allow(key, POLICY):
            change = await state.breaker_record(key, POLICY, ok)
            if change:
                changes.append(change)
    return changes


async def open_breaker(backend: Backend) -> None:
    assert await feed(backend.state, [False] * 10) == [OPEN]


# --------------------------------------------------------------------------- breaker


async def test_stays_closed_below_min_calls_even_if_all_fail(backend: Backend) -> None:
    assert await feed(backend.state, [False] * 9) == []
    assert await backend.state.breaker_allow(T, POLICY)
    assert await backend.state.breaker_states() == {T: CLOSED}


async def test_opens_at_the_failure_rate(backend: Backend) -> None:
    state = backend.state
    changes = [await feed(state, [ok]) for ok in [True, False] * 5]
    assert changes == [[]] * 9 + [[OPEN]], "opens on the call that reaches min_calls"
    assert not await state.breaker_allow(T, POLICY)
    assert await state.breaker_states() == {T: OPEN}


async def test_twenty_percent_errors_do_not_open(backend: Backend) -> None:
    assert await feed(backend.state, ([True] * 4 + [False]) * 40) == []


async def test_the_window_slides(backend: Backend) -> None:
    state, clock = backend.state, backend.clock
    await feed(state, [False] * 8, key="a")
    await feed(state, [False] * 8, key="b")
    clock.advance(5.0)
    assert await feed(state, [False] * 2, key="a") == [OPEN], "5 s later the failures count"
    clock.advance(6.0)
    assert await feed(state, [False] * 2, key="b") == [], "11 s later they have slid out"
    assert await state.breaker_states() == {"a": OPEN, "b": CLOSED}


async def test_half_open_lets_one_probe_through_at_a_time(backend: Backend) -> None:
    state, clock = backend.state, backend.clock
    await open_breaker(backend)
    clock.advance(4.9)
    assert not await state.breaker_allow(T, POLICY)
    clock.advance(0.1)
    assert await state.breaker_allow(T, POLICY)
    assert await state.breaker_states() == {T: HALF_OPEN}
    assert not await state.breaker_allow(T, POLICY), "one probe at a time"
    assert not await backend.replica().breaker_allow(T, POLICY), "on every replica"


async def test_successful_probes_close_with_a_fresh_window(backend: Backend) -> None:
    state, clock = backend.state, backend.clock
    await open_breaker(backend)
    clock.advance(5.0)
    assert await state.breaker_allow(T, POLICY)
    assert await state.breaker_record(T, POLICY, True) is None
    assert await state.breaker_allow(T, POLICY)
    assert await state.breaker_record(T, POLICY, True) == CLOSED
    assert await feed(state, [False] * 9) == [], "the failures before opening are forgotten"
    assert await state.breaker_states() == {T: CLOSED}


async def test_a_failed_probe_reopens(backend: Backend) -> None:
    state, clock = backend.state, backend.clock
    await open_breaker(backend)
    clock.advance(5.0)
    assert await state.breaker_allow(T, POLICY)
    assert await state.breaker_record(T, POLICY, True) is None
    assert await state.breaker_allow(T, POLICY)
    assert await state.breaker_record(T, POLICY, False) == OPEN
    assert not await state.breaker_allow(T, POLICY)
    clock.advance(4.9)
    assert not await state.breaker_allow(T, POLICY), "a full open period again"
    clock.advance(0.1)
    assert await state.breaker_allow(T, POLICY)


async def test_a_straggler_does_not_count_while_open(backend: Backend) -> None:
    state = backend.state
    assert await state.breaker_allow(T, POLICY)  # started before the breaker opened
    await open_breaker(backend)
    assert await state.breaker_record(T, POLICY, False) is None
    assert await state.breaker_states() == {T: OPEN}


# --------------------------------------------------------------------------- retry budget


async def withdraw_all(state: SharedState, policy: RetryPolicy, key: str = T) -> int:
    granted = 0
    while await state.retry_withdraw(key, policy):
        granted += 1
        assert granted <= 1000
    return granted


async def test_budget_grants_the_ratio_of_calls(backend: Backend) -> None:
    policy = RetryPolicy(budget_ratio=0.25, budget_min_per_s=0.0)
    for _ in range(8):
        await backend.state.retry_deposit(T, policy)
    assert await withdraw_all(backend.state, policy) == 2
    for _ in range(3):
        await backend.state.retry_deposit(T, policy)
    assert await withdraw_all(backend.state, policy) == 0, "0.75 tokens are not a retry"
    await backend.state.retry_deposit(T, policy)
    assert await withdraw_all(backend.state, policy) == 1


async def test_budget_starts_with_one_seconds_allowance(backend: Backend) -> None:
    policy = RetryPolicy(budget_ratio=0.0, budget_min_per_s=3.0)
    assert await withdraw_all(backend.state, policy) == 3
    assert await withdraw_all(backend.state, policy, key="other") == 3, "per target"


async def test_budget_trickles_per_second(backend: Backend) -> None:
    state, clock = backend.state, backend.clock
    policy = RetryPolicy(budget_ratio=0.0, budget_min_per_s=2.0)
    await state.retry_deposit(T, policy)
    assert await withdraw_all(state, policy) == 2
    clock.advance(0.5)
    assert await withdraw_all(state, policy) == 1
    clock.advance(3.0)
    assert await withdraw_all(state, policy) == 6


async def test_budget_is_capped(backend: Backend) -> None:
    state, clock = backend.state, backend.clock
    trickle = RetryPolicy(budget_ratio=0.0, budget_min_per_s=1.0)
    await state.retry_deposit(T, trickle)
    clock.advance(1000.0)
    assert await withdraw_all(state, trickle) == 100
    deposits = RetryPolicy(budget_ratio=1.0, budget_min_per_s=0.0)
    for _ in range(150):
        await state.retry_deposit("other", deposits)
    assert await withdraw_all(state, deposits, key="other") == 100


# --------------------------------------------------------------------------- replicas


async def test_replicas_share_one_breaker(backend: Backend) -> None:
    a, b = backend.state, backend.replica()
    assert await feed(a, [False] * 5) == []
    assert await feed(b, [False] * 5) == [OPEN], "b counts a's failures"
    assert not await a.breaker_allow(T, POLICY)
    assert await a.breaker_states() == await b.breaker_states() == {T: OPEN}
    backend.clock.advance(5.0)
    assert await b.breaker_allow(T, POLICY)
    assert not await a.breaker_allow(T, POLICY), "b holds the only probe"
    assert await b.breaker_record(T, POLICY, True) is None
    assert await a.breaker_allow(T, POLICY)
    assert await a.breaker_record(T, POLICY, True) == CLOSED
    assert await b.breaker_states() == {T: CLOSED}


async def test_replicas_draw_from_one_budget(backend: Backend) -> None:
    a, b = backend.state, backend.replica()
    policy = RetryPolicy(budget_ratio=0.5, budget_min_per_s=0.0)
    for _ in range(3):
        await a.retry_deposit(T, policy)
        await b.retry_deposit(T, policy)
    assert await b.retry_withdraw(T, policy)
    assert await a.retry_withdraw(T, policy)
    assert await b.retry_withdraw(T, policy)
    assert not await a.retry_withdraw(T, policy)


async def test_concurrent_withdrawals_grant_exactly_the_budget(backend: Backend) -> None:
    replicas = [backend.state, backend.replica()]
    policy = RetryPolicy(budget_ratio=1.0, budget_min_per_s=0.0)
    for _ in range(37):
        await replicas[0].retry_deposit(T, policy)
    granted = await asyncio.gather(*(replicas[i % 2].retry_withdraw(T, policy) for i in range(200)))
    assert sum(granted) == 37


async def test_concurrent_allows_grant_one_probe(backend: Backend) -> None:
    replicas = [backend.state, backend.replica()]
    await open_breaker(backend)
    backend.clock.advance(5.0)
    allowed = await asyncio.gather(*(replicas[i % 2].breaker_allow(T, POLICY) for i in range(100)))
    assert sum(allowed) == 1


# --------------------------------------------------------------------------- Redis only


async def test_a_lost_probe_goes_to_the_next_caller_after_its_lease(backend: Backend) -> None:
    # A probe whose call was cancelled (or whose replica died) never reports back.
    clock, state = backend.clock, backend.state
    await open_breaker(backend)
    clock.advance(POLICY.open_s)
    assert await state.breaker_allow(T, POLICY)
    clock.advance(probe_lease(POLICY) - 0.1)
    assert not await state.breaker_allow(T, POLICY)
    clock.advance(0.1)
    assert await state.breaker_allow(T, POLICY), "the lease ran out"
    assert not await state.breaker_allow(T, POLICY), "still one probe at a time"
    assert await state.breaker_record(T, POLICY, True) is None
    assert await state.breaker_allow(T, POLICY)
    assert await state.breaker_record(T, POLICY, True) == CLOSED


async def _same_answers(
    memory: MemoryState, redis: RedisState, op: str, key: str, *args: object
) -> object:
    answers = [await getattr(state, op)(key, *args) for state in (memory, redis)]
    assert answers[0] == answers[1], f"{op}({key}) differs: memory {answers[0]}, redis {answers[1]}"
    return answers[0]


async def test_redis_follows_memory_across_float_bucket_edges(
    redis_states: Callable[[FrozenClock], RedisState],
) -> None:
    # At t=1.0 with 0.1 s buckets, 1.0 // 0.1 == 9.0 (not 10): the t=0 bucket is still in
    # the window. A Lua port using floor(a / b) would forget it and not open.
    clock = FrozenClock(start=0.0)
    memory, redis = MemoryState(clock), redis_states(clock)
    policy = BreakerPolicy(window_s=1.0, min_calls=4, failure_rate=1.0, open_s=1.0)
    for _ in range(3):
        await _same_answers(memory, redis, "breaker_allow", T, policy)
        await _same_answers(memory, redis, "breaker_record", T, policy, False)
    clock.advance(1.0)
    await _same_answers(memory, redis, "breaker_allow", T, policy)
    assert await _same_answers(memory, redis, "breaker_record", T, policy, False) == OPEN


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_redis_follows_memory_step_for_step(
    redis_states: Callable[[FrozenClock], RedisState], seed: int
) -> None:
    """Random traffic with uneven clock steps: both backends give every answer alike."""
    rng = random.Random(seed)
    clock = FrozenClock(start=rng.uniform(1e3, 1e7))
    memory, redis = MemoryState(clock), redis_states(clock)
    breaker = BreakerPolicy(window_s=2.7, min_calls=5, failure_rate=0.4, open_s=0.9)
    budget = RetryPolicy(budget_ratio=0.3, budget_min_per_s=0.7)
    in_flight: list[str] = []
    for _ in range(600):
        key = rng.choice(["a", "b"])
        roll = rng.random()
        if roll < 0.3:
            if await _same_answers(memory, redis, "breaker_allow", key, breaker):
                in_flight.append(key)
        elif roll < 0.6 and in_flight:
            done = in_flight.pop(rng.randrange(len(in_flight)))
            ok = rng.random() < 0.55
            await _same_answers(memory, redis, "breaker_record", done, breaker, ok)
        elif roll < 0.75:
            await _same_answers(memory, redis, "retry_deposit", key, budget)
        elif roll < 0.9:
            await _same_answers(memory, redis, "retry_withdraw", key, budget)
        else:
            clock.advance(rng.choice([rng.uniform(0, 0.5), rng.uniform(0, 3.0), 0.27]))
    assert await memory.breaker_states() == await redis.breaker_states()
