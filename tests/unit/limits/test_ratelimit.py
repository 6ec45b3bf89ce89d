"""Rate limits over the in-process state: the 429 names the limit and the exact wait."""

from __future__ import annotations

import pytest

from seawall.core.clock import FrozenClock
from seawall.core.errors import RateLimited
from seawall.limits.ratelimit import RateLimit, RateLimiter, RateScope, charges_for, describe
from seawall.state.base import RateCharge
from seawall.state.memory import MemoryState
from seawall.state.redis import RedisState

KEY = RateScope("key:k1", RateLimit(requests_per_min=60))
TENANT = RateScope("tenant:acme", RateLimit(requests_per_min=600, tokens_per_min=6000))
MODEL = RateScope("model:chat", RateLimit(tokens_per_min=60_000, burst_s=10))


def test_limits_become_per_second_buckets_holding_a_minute() -> None:
    assert charges_for([KEY, TENANT, MODEL], tokens=500) == [
        RateCharge("key:k1:rpm", 1.0, 60.0, 1.0),
        RateCharge("tenant:acme:rpm", 10.0, 600.0, 1.0),
        RateCharge("tenant:acme:tpm", 100.0, 6000.0, 500.0),
        RateCharge("model:chat:tpm", 1000.0, 10_000.0, 500.0),
    ]
    assert charges_for([RateScope("x", RateLimit())], tokens=5) == []


@pytest.mark.parametrize("bad", [{"requests_per_min": 0}, {"tokens_per_min": -1}, {"burst_s": 0}])
def test_non_positive_limits_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        RateLimit(**bad)


def test_describe_names_the_limit_in_words() -> None:
    scopes = [KEY, TENANT]
    assert describe("tenant:acme:tpm", scopes) == "6000 tokens per minute for tenant:acme"
    assert describe("key:k1:rpm", scopes) == "60 requests per minute for key:k1"
    assert describe("unknown:rpm", scopes) == "unknown:rpm"


async def test_a_refusal_raises_429_with_the_exact_retry_after() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(MemoryState(clock))
    for _ in range(6):
        await limiter.acquire([TENANT], estimated_tokens=1000)
    with pytest.raises(RateLimited) as refused:
        await limiter.acquire([TENANT], estimated_tokens=1000)
    assert refused.value.retry_after == pytest.approx(10.0)  # 1,000 tokens at 100 a second
    assert "6000 tokens per minute for tenant:acme" in refused.value.message
    clock.advance(refused.value.retry_after)
    await limiter.acquire([TENANT], estimated_tokens=1000)


async def test_settling_refunds_an_overestimate_and_charges_an_underestimate() -> None:
    clock = FrozenClock()
    limiter = RateLimiter(MemoryState(clock))
    ticket = await limiter.acquire([TENANT], estimated_tokens=6000)
    await limiter.settle(ticket, actual_tokens=1000)  # 5,000 come back
    for _ in range(5):
        await limiter.acquire([TENANT], estimated_tokens=1000)
    with pytest.raises(RateLimited):
        await limiter.acquire([TENANT], estimated_tokens=1000)
    clock.advance(60.0)
    big = await limiter.acquire([TENANT], estimated_tokens=100)
    await limiter.settle(big, actual_tokens=6100)  # the answer was long: the bucket owes
    with pytest.raises(RateLimited) as refused:
        await limiter.acquire([TENANT], estimated_tokens=1)
    assert refused.value.retry_after == pytest.approx(1.01)


async def test_without_limits_nothing_is_charged() -> None:
    limiter = RateLimiter(MemoryState(FrozenClock()))
    ticket = await limiter.acquire([RateScope("key:free", RateLimit())], estimated_tokens=10**9)
    assert ticket.token_charges == ()
    await limiter.settle(ticket, actual_tokens=5)


async def test_an_unreachable_state_lets_calls_through_and_settles_nothing() -> None:
    state = RedisState("redis://127.0.0.1:1/0", clock=FrozenClock(), timeout_s=0.25)
    limiter = RateLimiter(state)
    ticket = await limiter.acquire([TENANT], estimated_tokens=10**6)
    assert ticket.degraded
    await limiter.settle(ticket, actual_tokens=1)
    await state.aclose()
