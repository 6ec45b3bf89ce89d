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
from seawall.state.base import (
    BudgetCharge,
    BudgetSettle,
    BudgetUsage,
    CachedEntry,
    RateCharge,
    SharedState,
)
from seawall.state.lru import ENTRY_OVERHEAD
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


# --------------------------------------------------------------------------- rate limits


def per_s(key: str, rate: float, burst: float, amount: float = 1.0) -> RateCharge:
    return RateCharge(key, rate_per_s=rate, burst=burst, amount=amount)


async def take_all(state: SharedState, charge: RateCharge) -> int:
    taken = 0
    while (await state.rate_acquire([charge])).allowed:
        taken += 1
        assert taken <= 10_000
    return taken


async def test_gcra_grants_the_burst_then_an_exact_retry_after(backend: Backend) -> None:
    state, clock = backend.state, backend.clock
    charge = per_s("key:a:rpm", rate=2.0, burst=4.0)
    decisions = [await state.rate_acquire([charge]) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True] * 4 + [False]
    assert [d.remaining for d in decisions[:4]] == [3.0, 2.0, 1.0, 0.0]
    refused = decisions[4]
    assert refused.retry_after_s == pytest.approx(0.5, abs=1e-9)
    assert refused.limited_by == "key:a:rpm"
    clock.advance(refused.retry_after_s - 0.001)
    assert not (await state.rate_acquire([charge])).allowed, "a refusal consumes nothing"
    clock.advance(0.001)
    assert (await state.rate_acquire([charge])).allowed, "Retry-After is honoured exactly"
    assert not (await state.rate_acquire([charge])).allowed


async def test_a_waiting_client_gets_through_every_retry_after(backend: Backend) -> None:
    state, clock = backend.state, backend.clock
    charge = per_s("tenant:t:tpm", rate=100.0, burst=1000.0, amount=300.0)
    granted = 0
    for _ in range(20):
        decision = await state.rate_acquire([charge])
        if decision.allowed:
            granted += 1
            continue
        assert decision.retry_after_s == pytest.approx(3.0 - decision.remaining / 100.0)
        clock.advance(decision.retry_after_s)
        assert (await state.rate_acquire([charge])).allowed
        granted += 1
    assert granted == 20


async def test_a_charge_bigger_than_the_burst_waits_for_a_full_bucket(backend: Backend) -> None:
    state, clock = backend.state, backend.clock
    small, big = per_s("m:tpm", 10.0, 100.0, 30.0), per_s("m:tpm", 10.0, 100.0, 250.0)
    assert (await state.rate_acquire([small])).allowed
    refused = await state.rate_acquire([big])
    assert not refused.allowed
    assert refused.retry_after_s == pytest.approx(3.0), "until the bucket is full again"
    clock.advance(3.0)
    assert (await state.rate_acquire([big])).allowed, "then admitted, into debt"
    assert (await state.rate_acquire([small])).retry_after_s == pytest.approx(18.0)


async def test_adjust_settles_an_estimate_both_ways(backend: Backend) -> None:
    state = backend.state
    estimate = per_s("k:tpm", rate=1.0, burst=60.0, amount=60.0)
    assert (await state.rate_acquire([estimate])).allowed
    await state.rate_adjust([per_s("k:tpm", 1.0, 60.0, -40.0)])  # used 20 of the 60
    assert await take_all(state, per_s("k:tpm", 1.0, 60.0)) == 40
    await state.rate_adjust([per_s("k:tpm", 1.0, 60.0, 5.0)])  # another call used 5 more
    refused = await state.rate_acquire([per_s("k:tpm", 1.0, 60.0)])
    assert refused.retry_after_s == pytest.approx(6.0)


async def test_a_refund_never_overfills_the_bucket(backend: Backend) -> None:
    state = backend.state
    await state.rate_adjust([per_s("fresh", 1.0, 10.0, -1000.0)])
    assert await take_all(state, per_s("fresh", 1.0, 10.0)) == 10


async def test_several_limits_are_all_or_nothing(backend: Backend) -> None:
    state = backend.state
    key_rpm, tenant_rpm = per_s("key:rpm", 1.0, 5.0), per_s("tenant:rpm", 1.0, 2.0)
    model_tpm = per_s("model:tpm", 10.0, 100.0, 40.0)
    for _ in range(2):
        assert (await state.rate_acquire([key_rpm, tenant_rpm, model_tpm])).allowed
    refused = await state.rate_acquire([key_rpm, tenant_rpm, model_tpm])
    assert not refused.allowed
    assert refused.limited_by == "model:tpm", "the longest wait names the limit"
    assert refused.retry_after_s == pytest.approx(2.0)
    assert await take_all(state, key_rpm) == 3, "the refused call took nothing from key:rpm"


async def test_a_key_named_twice_sees_its_own_first_charge(backend: Backend) -> None:
    state = backend.state
    twice = [per_s("same", 1.0, 3.0, 2.0), per_s("same", 1.0, 3.0, 2.0)]
    refused = await state.rate_acquire(twice)
    assert not refused.allowed
    assert await take_all(state, per_s("same", 1.0, 3.0)) == 3


@pytest.mark.parametrize("seed", [7, 8])
async def test_rate_holds_across_replicas_under_concurrency(backend: Backend, seed: int) -> None:
    """Demand far above the rate for 60 s: grants = burst + rate x 60 s, within 0.5 %."""
    rng = random.Random(seed)
    replicas = [backend.state, backend.replica()]
    rate, burst, duration = 10.0, 5.0, 60.0
    charge = per_s("tenant:busy:rpm", rate, burst)
    granted, elapsed = 0, 0.0
    while elapsed < duration:
        wave = rng.randint(3, 8)  # ~55 requests a second against 10 allowed
        decisions = await asyncio.gather(
            *(replicas[i % 2].rate_acquire([charge]) for i in range(wave))
        )
        granted += sum(d.allowed for d in decisions)
        step = rng.uniform(0.0, 0.2)
        backend.clock.advance(step)
        elapsed += step
    expected = burst + rate * elapsed
    assert granted <= expected + 1, "never above the configured rate"
    assert abs(granted - expected) <= 0.005 * expected, (granted, expected)


# --------------------------------------------------------------------------- spend budgets

DAY_END = 1_086_400.0  # FrozenClock starts at 1,000,000 s


def spend(key: str, limit: float, estimate: float, soft: float | None = None) -> BudgetCharge:
    return BudgetCharge(key, limit, estimate, period_end=DAY_END, soft_usd=soft)


async def test_a_budget_reserves_until_the_limit_then_refuses(backend: Backend) -> None:
    state = backend.state
    for _ in range(3):
        assert (await state.budget_reserve([spend("key:a:day", 1.0, 0.3)])).allowed
    refused = await state.budget_reserve([spend("key:a:day", 1.0, 0.3)])
    assert not refused.allowed
    assert (refused.limited_by, refused.resets_at) == ("key:a:day", DAY_END)
    assert (refused.spent_usd, refused.reserved_usd, refused.limit_usd) == (0.0, 0.9, 1.0)
    assert await state.budget_settle([BudgetSettle("key:a:day", DAY_END, 0.3, 0.1)]) == ()
    assert await state.budget_usage("key:a:day", DAY_END) == BudgetUsage(0.1, 0.6)
    assert (await state.budget_reserve([spend("key:a:day", 1.0, 0.3)])).allowed


async def test_an_allowed_reservation_reports_the_tightest_budget(backend: Backend) -> None:
    decision = await backend.state.budget_reserve(
        [spend("key:day", 10.0, 1.0), spend("tenant:day", 2.0, 1.0)]
    )
    assert decision.allowed
    assert (decision.limited_by, decision.reserved_usd, decision.limit_usd) == (
        "tenant:day",
        1.0,
        2.0,
    )


async def test_budgets_are_all_or_nothing(backend: Backend) -> None:
    state = backend.state
    assert (await state.budget_reserve([spend("tenant:day", 1.0, 0.9)])).allowed
    refused = await state.budget_reserve(
        [spend("key:day", 5.0, 0.2), spend("tenant:day", 1.0, 0.2)]
    )
    assert not refused.allowed
    assert refused.limited_by == "tenant:day"
    assert await state.budget_usage("key:day", DAY_END) == BudgetUsage(0.0, 0.0)


async def test_a_new_period_starts_from_zero(backend: Backend) -> None:
    state = backend.state
    assert (await state.budget_reserve([spend("k", 1.0, 1.0)])).allowed
    assert not (await state.budget_reserve([spend("k", 1.0, 0.01)])).allowed
    tomorrow = BudgetCharge("k", 1.0, 1.0, period_end=DAY_END + 86_400)
    assert (await state.budget_reserve([tomorrow])).allowed


async def test_settles_never_release_other_reservations(backend: Backend) -> None:
    state = backend.state
    assert (await state.budget_reserve([spend("k", 1.0, 0.5)])).allowed
    # A settle of a reservation this counter never held (made while the state was down).
    await state.budget_settle([BudgetSettle("k", DAY_END, 2.0, 0.25)])
    assert await state.budget_usage("k", DAY_END) == BudgetUsage(0.25, 0.0)
    await state.budget_settle([BudgetSettle("gone", DAY_END - 86_400, 1.0, 1.0)])
    assert await state.budget_usage("gone", DAY_END - 86_400) == BudgetUsage(0.0, 0.0)


async def test_a_thousand_concurrent_reservations_never_overspend(backend: Backend) -> None:
    """1,000 calls of $0.01 at once against $1.00: exactly 100 go through, then settle."""
    replicas = [backend.state, backend.replica()]
    charge = spend("tenant:crowd:day", 1.0, 0.01)
    decisions = await asyncio.gather(
        *(replicas[i % 2].budget_reserve([charge]) for i in range(1000))
    )
    allowed = sum(d.allowed for d in decisions)
    assert allowed == 100
    assert all(d.spent_usd + d.reserved_usd <= 1.0 for d in decisions)
    settle = BudgetSettle("tenant:crowd:day", DAY_END, 0.01, 0.012)
    await asyncio.gather(*(replicas[i % 2].budget_settle([settle]) for i in range(allowed)))
    usage = await backend.replica().budget_usage("tenant:crowd:day", DAY_END)
    assert usage == BudgetUsage(pytest.approx(1.2), 0.0)


async def test_the_soft_limit_alerts_once_per_period_across_replicas(backend: Backend) -> None:
    a, b = backend.state, backend.replica()
    crossed = []
    for i in range(8):
        decision = await (a, b)[i % 2].budget_reserve([spend("t:day", 1.0, 0.1, soft=0.5)])
        assert decision.allowed
        crossed.append(decision.soft_crossed)
    assert crossed == [()] * 4 + [("t:day",)] + [()] * 3, "on the reservation reaching $0.50"
    tomorrow = BudgetCharge("t:day", 1.0, 0.6, period_end=DAY_END + 86_400, soft_usd=0.5)
    assert (await b.budget_reserve([tomorrow])).soft_crossed == ("t:day",), "once per period"


async def test_a_refusal_reports_a_soft_limit_not_yet_alerted(backend: Backend) -> None:
    state = backend.state
    assert (await state.budget_reserve([spend("t", 1.0, 0.9)])).soft_crossed == ()
    refused = await state.budget_reserve([spend("t", 1.0, 0.2, soft=0.8)])
    assert not refused.allowed
    assert refused.soft_crossed == ("t",)
    assert (await state.budget_reserve([spend("t", 1.0, 0.2, soft=0.8)])).soft_crossed == ()
    fresh = await state.budget_reserve([spend("new", 1.0, 2.0, soft=0.5)])
    assert (fresh.allowed, fresh.soft_crossed) == (False, ())
    assert await state.budget_usage("new", DAY_END) == BudgetUsage(0.0, 0.0)


async def test_a_settle_that_reaches_the_soft_limit_alerts_once(backend: Backend) -> None:
    a, b = backend.state, backend.replica()
    for state in (a, b):
        assert (await state.budget_reserve([spend("t", 1.0, 0.1, soft=0.5)])).soft_crossed == ()
    over = BudgetSettle("t", DAY_END, 0.1, 0.45)  # the answer cost far more than estimated
    assert await a.budget_settle([over]) == ("t",)
    assert await b.budget_settle([over]) == ()


# --------------------------------------------------------------------------- cache

EVERY_BYTE = bytes(range(256)) * 3 + b'{"id":"chatcmpl-1","choices":[]}\r\n\x00'


async def test_cache_entries_are_fresh_then_stale_then_gone(backend: Backend) -> None:
    state, clock = backend.state, backend.clock
    assert await state.cache_get("c1") is None
    await state.cache_set("c1", EVERY_BYTE, ttl_s=10.0, stale_ttl_s=20.0)
    assert await state.cache_get("c1") == CachedEntry(EVERY_BYTE, fresh=True)
    clock.advance(9.99)
    assert await backend.replica().cache_get("c1") == CachedEntry(EVERY_BYTE, fresh=True)
    clock.advance(0.01)
    assert await state.cache_get("c1") == CachedEntry(EVERY_BYTE, fresh=False)
    clock.advance(19.99)
    assert await state.cache_get("c1") == CachedEntry(EVERY_BYTE, fresh=False)
    clock.advance(0.01)
    assert await state.cache_get("c1") is None


async def test_cache_set_replaces_and_zero_ttl_stores_nothing(backend: Backend) -> None:
    state = backend.state
    await state.cache_set("c2", b"old", ttl_s=60.0, stale_ttl_s=0.0)
    await state.cache_set("c2", b"", ttl_s=60.0, stale_ttl_s=0.0)
    assert await state.cache_get("c2") == CachedEntry(b"", fresh=True), "empty bytes survive"
    await state.cache_set("c3", b"x", ttl_s=0.0, stale_ttl_s=0.0)
    assert await state.cache_get("c3") is None


# --------------------------------------------------------------------------- in process only


async def test_the_memory_cache_evicts_least_recently_used_by_bytes() -> None:
    clock = FrozenClock()
    per_entry = 2 + 1000 + ENTRY_OVERHEAD
    state = MemoryState(clock, cache_max_bytes=3 * per_entry)
    for key in ("k1", "k2", "k3"):
        await state.cache_set(key, b"x" * 1000, 60.0, 0.0)
    assert await state.cache_get("k1") is not None  # k1 is now the most recently used
    await state.cache_set("k4", b"y" * 1000, 60.0, 0.0)
    assert [await state.cache_get(k) is not None for k in ("k1", "k2", "k3", "k4")] == [
        True,
        False,
        True,
        True,
    ]
    assert state.cache.used_bytes == 3 * per_entry
    await state.cache_set("huge", b"z" * (4 * per_entry), 60.0, 0.0)
    assert await state.cache_get("huge") is None, "bigger than the cache: not stored"
    assert len(state.cache) == 3


async def test_the_memory_cache_stays_within_its_bytes_under_churn() -> None:
    rng = random.Random(3)
    state = MemoryState(FrozenClock(), cache_max_bytes=100_000)
    for i in range(5000):
        await state.cache_set(f"key-{i}", rng.randbytes(rng.randint(0, 4000)), 60.0, 60.0)
        assert state.cache.used_bytes <= 100_000
    present = 0
    for i in range(5000):
        entry = await state.cache_get(f"key-{i}")
        if entry is not None:
            present += len(f"key-{i}") + len(entry.value) + ENTRY_OVERHEAD
    assert present == state.cache.used_bytes
    assert await state.cache_get("key-4999") is not None, "the newest entry is kept"


@pytest.mark.parametrize("seed", [4, 5])
async def test_redis_follows_memory_on_limits_and_budgets(
    redis_states: Callable[[FrozenClock], RedisState], seed: int
) -> None:
    """Random charges, refunds, reservations and settles: both backends answer alike."""
    rng = random.Random(seed)
    clock = FrozenClock(start=rng.uniform(1e3, 1e7))
    memory, redis = MemoryState(clock), redis_states(clock)
    period_end = clock.wall() + 3600.0
    buckets = {"a": (0.7, 3.0), "b": (13.3, 50.0), "c": (0.05, 1.0)}
    for _ in range(400):
        roll = rng.random()
        if roll < 0.35:
            names = rng.sample(sorted(buckets), rng.randint(1, 3))
            charges = [RateCharge(n, *buckets[n], rng.choice([1.0, 2.5, 40.0])) for n in names]
            answers = [await state.rate_acquire(charges) for state in (memory, redis)]
            assert answers[0] == answers[1]
        elif roll < 0.45:
            name = rng.choice(sorted(buckets))
            charge = RateCharge(name, *buckets[name], rng.uniform(-30.0, 10.0))
            for state in (memory, redis):
                await state.rate_adjust([charge])
        elif roll < 0.7:
            charges = [
                BudgetCharge(k, rng.choice([1.0, 2.5]), rng.uniform(0, 0.4), period_end, 0.8)
                for k in rng.sample(["x", "y", "z"], rng.randint(1, 2))
            ]
            answers = [await state.budget_reserve(charges) for state in (memory, redis)]
            assert answers[0] == answers[1]
        elif roll < 0.85:
            settle = BudgetSettle(rng.choice("xyz"), period_end, rng.uniform(0, 0.4), rng.random())
            answers = [await state.budget_settle([settle]) for state in (memory, redis)]
            assert answers[0] == answers[1]
        else:
            clock.advance(rng.choice([rng.uniform(0, 0.5), rng.uniform(0, 5.0), 1.0]))
    for key in "xyz":
        assert await memory.budget_usage(key, period_end) == await redis.budget_usage(
            key, period_end
        )
