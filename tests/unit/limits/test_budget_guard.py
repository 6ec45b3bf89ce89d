"""Budgets over the in-process state: periods, estimates, 429s, alerts, and a crowd of calls."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from seawall.config import Price
from seawall.core.clock import FrozenClock
from seawall.core.errors import BudgetExceeded
from seawall.limits.budget import (
    Budget,
    BudgetGuard,
    BudgetScope,
    SoftAlert,
    estimate_cost_usd,
    output_tokens_bound,
    period_end,
)
from seawall.state.base import to_nanos
from seawall.state.memory import MemoryState


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("now", "period", "end"),
    [
        ("2026-11-22T01:06:00", "day", "2026-11-23T00:00:00"),
        ("2026-11-22T00:00:00", "day", "2026-11-23T00:00:00"),
        ("2026-11-22T23:59:59.999", "day", "2026-11-23T00:00:00"),
        ("2026-11-22T12:00:00", "month", "2026-12-01T00:00:00"),
        ("2026-12-31T23:00:00", "month", "2027-01-01T00:00:00"),
        ("2028-02-29T12:00:00", "day", "2028-03-01T00:00:00"),
        ("2026-01-31T12:00:00", "month", "2026-02-01T00:00:00"),
    ],
)
def test_periods_end_at_midnight_utc(now: str, period: str, end: str) -> None:
    assert period_end(at(now), period) == at(end)  # type: ignore[arg-type]


def test_periods_follow_a_configured_time_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    end = period_end(at("2026-11-22T23:30:00"), "day", paris)  # 00:30 on the 23rd in Paris
    assert end == at("2026-11-23T23:00:00")


def test_the_estimate_is_a_worst_case() -> None:
    price = Price(input=2.5, output=10.0, cached_input=1.25)
    assert estimate_cost_usd(price, 1000, 500) == pytest.approx(0.0075)
    assert estimate_cost_usd(None, 1000, 500) == 0.0
    assert output_tokens_bound({"max_completion_tokens": 300, "max_tokens": 10}) == 300
    assert output_tokens_bound({"max_tokens": 64}) == 64
    assert output_tokens_bound({"max_tokens": True}, default=7) == 7
    assert output_tokens_bound({}, default=7) == 7


def test_bad_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        Budget(limit_usd=-1)
    with pytest.raises(ValueError, match="day or month"):
        Budget(limit_usd=1, period="week")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one budget per period"):
        BudgetScope("key:k", (Budget(1.0), Budget(2.0)))


TENANT = BudgetScope("tenant:acme", (Budget(1.0, "day", soft_usd=0.5), Budget(20.0, "month")))


async def test_a_hard_limit_raises_with_the_reset_time() -> None:
    clock = FrozenClock(start=at("2026-11-22T10:00:00"))
    guard = BudgetGuard(MemoryState(clock), clock)
    first = await guard.reserve([TENANT], 0.6)
    assert first.alerts == (SoftAlert("tenant:acme", "day", 0.5, 1.0, at("2026-11-23T00:00:00")),)
    with pytest.raises(BudgetExceeded) as refused:
        await guard.reserve([TENANT], 0.6)
    assert "tenant:acme:day" in refused.value.message
    assert "2026-11-23T00:00:00+00:00" in refused.value.message
    assert await guard.settle(first, actual_usd=0.05) == ()
    second = await guard.reserve([TENANT], 0.6)
    assert second.alerts == (), "the soft alert fired once this period"
    clock.advance(14 * 3600)  # the next day
    third = await guard.reserve([TENANT], 0.9)
    assert [a.period for a in third.alerts] == ["day"]


async def test_without_budgets_nothing_is_reserved() -> None:
    clock = FrozenClock()
    guard = BudgetGuard(MemoryState(clock), clock)
    reservation = await guard.reserve([BudgetScope("key:free", ())], 1e9)
    assert reservation.charges == ()
    assert await guard.settle(reservation, 1e9) == ()


async def test_a_thousand_calls_against_a_budget_for_a_hundred() -> None:
    """Overspend is bounded by how much the calls in flight cost beyond their estimates."""
    rng = random.Random(5)
    clock = FrozenClock(start=at("2026-11-22T10:00:00"))
    state = MemoryState(clock)
    guard = BudgetGuard(state, clock)
    scope = BudgetScope("tenant:crowd", (Budget(1.0, "day"),))
    estimate = 0.01
    costs: list[float] = []
    overruns: list[float] = []

    async def call() -> None:
        try:
            reservation = await guard.reserve([scope], estimate)
        except BudgetExceeded:
            return
        for _ in range(rng.randint(0, 3)):
            await asyncio.sleep(0)  # the upstream call; others reserve meanwhile
        actual = estimate * rng.uniform(0.5, 1.5)
        overruns.append(max(0.0, actual - estimate))
        costs.append(actual)
        await guard.settle(reservation, actual)

    await asyncio.gather(*(call() for _ in range(1000)))
    usage = await state.budget_usage("tenant:crowd:day", period_end(clock.wall(), "day"))
    assert usage is not None
    assert usage.reserved_usd == 0.0, "every reservation was settled"
    assert usage.spent_usd == sum(map(to_nanos, costs)) / 1e9, "no cost lost (to the nano-dollar)"
    assert usage.spent_usd <= 1.0 + sum(overruns) + 1e-9
    # Not starved: a refusal means spent + reserved > $0.99, and no call costs over $0.015.
    assert len(costs) >= 66
