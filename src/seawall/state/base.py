"""The shared-state protocol: every operation is atomic in the backend that implements it.

Time comes from the backend's clock (``clock.wall()``), never from the caller, so that every
replica and both backends read the same clock in tests (a ``FrozenClock``). Money crosses the
protocol in US dollars and is kept as integer nano-dollars inside (``to_nanos``), so that a
hundred reservations of $0.01 add up to exactly $1.00 in Python and in Redis's Lua alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from seawall.config import BreakerPolicy, RetryPolicy

NANOS_PER_USD = 1_000_000_000


def to_nanos(usd: float) -> int:
    """Dollars as integer nano-dollars (exact sums; a cheap call costs well over 1 n$)."""
    return round(usd * NANOS_PER_USD)


@dataclass(frozen=True, slots=True)
class RateCharge:
    """``amount`` units against the GCRA bucket ``key`` (``rate_per_s`` refill, ``burst`` size)."""

    key: str
    rate_per_s: float
    burst: float
    amount: float

    def __post_init__(self) -> None:
        if not (self.rate_per_s > 0 and self.burst > 0):
            raise ValueError(f"rate limit {self.key!r}: rate and burst must be positive")


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether every charge of a ``rate_acquire`` fitted; if not, how long until they would."""

    allowed: bool
    retry_after_s: float = 0.0  # exact: the same charges fit at now + retry_after_s
    remaining: float = 0.0  # units left in the tightest bucket (after the charge when allowed)
    limited_by: str | None = None  # the key that refused (the longest wait), when refused
    degraded: bool = False  # the state was unreachable: this is the fail-open default


@dataclass(frozen=True, slots=True)
class BudgetCharge:
    """Reserve ``estimate_usd`` against ``key``'s budget for the period ending at ``period_end``."""

    key: str
    limit_usd: float
    estimate_usd: float
    period_end: float  # wall seconds; a new period is a new counter
    soft_usd: float | None = None  # alert once per period when usage reaches it


@dataclass(frozen=True, slots=True)
class BudgetSettle:
    """Replace a reservation of ``estimate_usd`` by the ``actual_usd`` the call cost."""

    key: str
    period_end: float
    estimate_usd: float  # 0 when the reservation was never made (a degraded decision)
    actual_usd: float


@dataclass(frozen=True, slots=True)
class BudgetDecision:
    """The outcome of a ``budget_reserve``: all charges reserved, or none."""

    allowed: bool
    limited_by: str | None = None  # the refusing key, or the one with least headroom left
    spent_usd: float = 0.0  # of that key
    reserved_usd: float = 0.0
    limit_usd: float = 0.0
    resets_at: float = 0.0
    soft_crossed: tuple[str, ...] = ()  # keys whose soft limit was reached for the first time
    degraded: bool = False  # the state was unreachable: this is the fail-open default


@dataclass(frozen=True, slots=True)
class BudgetUsage:
    """What one budget counter holds now."""

    spent_usd: float
    reserved_usd: float


@dataclass(frozen=True, slots=True)
class CachedEntry:
    """A cached value; ``fresh`` False means stale (servable only when the upstreams fail)."""

    value: bytes
    fresh: bool


class SharedState(Protocol):
    """Breakers, retry budgets, rate limits, spend budgets and the response cache."""

    async def breaker_allow(self, key: str, policy: BreakerPolicy) -> bool:
        """May a call go to ``key`` now (reserving a half-open probe slot if needed)?"""
        ...

    async def breaker_record(self, key: str, policy: BreakerPolicy, ok: bool) -> str | None:
        """Account a finished call; returns the breaker's new state when it changed."""
        ...

    async def breaker_states(self) -> dict[str, str]:
        """Current state of every breaker seen so far."""
        ...

    async def retry_deposit(self, key: str, policy: RetryPolicy) -> None:
        """Account a first attempt at ``key`` in its retry budget."""
        ...

    async def retry_withdraw(self, key: str, policy: RetryPolicy) -> bool:
        """Take one retry from ``key``'s budget; False when spent."""
        ...

    async def rate_acquire(self, charges: Sequence[RateCharge]) -> RateDecision:
        """Take every charge, or none of them (a refusal consumes nothing)."""
        ...

    async def rate_adjust(self, charges: Sequence[RateCharge]) -> None:
        """Add ``amount`` to each bucket without checking (negative refunds an estimate)."""
        ...

    async def budget_reserve(self, charges: Sequence[BudgetCharge]) -> BudgetDecision:
        """Reserve every estimate iff each fits: spent + reserved + estimate <= limit."""
        ...

    async def budget_settle(self, settles: Sequence[BudgetSettle]) -> tuple[str, ...]:
        """Release reservations and add actual costs; returns keys whose soft limit was reached."""
        ...

    async def budget_usage(self, key: str, period_end: float) -> BudgetUsage | None:
        """Spent and reserved of one budget period (None when the state is unreachable)."""
        ...

    async def cache_get(self, key: str) -> CachedEntry | None:
        """The cached value, fresh or stale, or None when absent or expired."""
        ...

    async def cache_set(self, key: str, value: bytes, ttl_s: float, stale_ttl_s: float) -> None:
        """Cache ``value``: fresh for ``ttl_s``, then stale for ``stale_ttl_s``, then gone."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
