"""In-process shared state: correct for one gateway process (the embedded default)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from seawall.config import BreakerPolicy, RetryPolicy
from seawall.core.clock import Clock, SystemClock
from seawall.resilience import breaker, retry
from seawall.state import counters
from seawall.state.base import (
    BudgetCharge,
    BudgetDecision,
    BudgetSettle,
    BudgetUsage,
    CachedEntry,
    RateCharge,
    RateDecision,
)
from seawall.state.lru import ByteLRU

DEFAULT_CACHE_BYTES: Final = 32 * 1024 * 1024
# A budget period is kept this long after it ends, for calls that settle after midnight.
BUDGET_GRACE_S: Final = 3600.0
SWEEP_EVERY: Final = 4096  # writes between two sweeps of forgotten rate and budget keys

_BudgetKey = tuple[str, float]


class MemoryState:
    """Plain dicts; asyncio runs one coroutine at a time, so each method is atomic."""

    def __init__(
        self, clock: Clock | None = None, *, cache_max_bytes: int = DEFAULT_CACHE_BYTES
    ) -> None:
        self._clock = clock or SystemClock()
        self._breakers: dict[str, breaker.BreakerState] = {}
        self._budgets: dict[str, retry.RetryBudgetState] = {}
        self._tats: dict[str, float] = {}
        self._spend: dict[_BudgetKey, counters.BudgetCounter] = {}
        self._cache = ByteLRU(cache_max_bytes)
        self._writes = 0

    @property
    def cache(self) -> ByteLRU:
        """The response cache (its size, for metrics and tests)."""
        return self._cache

    # ------------------------------------------------------------------ breakers and retries

    def _breaker(self, key: str) -> breaker.BreakerState:
        state = self._breakers.get(key)
        if state is None:
            state = self._breakers[key] = breaker.BreakerState(bucket_start=self._clock.monotonic())
        return state

    async def breaker_allow(self, key: str, policy: BreakerPolicy) -> bool:
        return breaker.allow(self._breaker(key), policy, self._clock.monotonic())

    async def breaker_record(self, key: str, policy: BreakerPolicy, ok: bool) -> str | None:
        return breaker.record(self._breaker(key), policy, ok, self._clock.monotonic())

    async def breaker_states(self) -> dict[str, str]:
        return {key: state.state for key, state in self._breakers.items()}

    def _budget(self, key: str) -> retry.RetryBudgetState:
        state = self._budgets.get(key)
        if state is None:
            state = self._budgets[key] = retry.RetryBudgetState()
        return state

    async def retry_deposit(self, key: str, policy: RetryPolicy) -> None:
        retry.deposit(self._budget(key), policy, self._clock.monotonic())

    async def retry_withdraw(self, key: str, policy: RetryPolicy) -> bool:
        return retry.withdraw(self._budget(key), policy, self._clock.monotonic())

    # ------------------------------------------------------------------ rate limits

    async def rate_acquire(self, charges: Sequence[RateCharge]) -> RateDecision:
        now = self._clock.wall()
        decision, updated = counters.acquire(self._tats, now, charges)
        self._tats.update(updated)
        self._wrote(now)
        return decision

    async def rate_adjust(self, charges: Sequence[RateCharge]) -> None:
        now = self._clock.wall()
        for charge in charges:
            tat = self._tats.get(charge.key, now)
            self._tats[charge.key] = counters.adjusted_tat(tat, now, charge)
        self._wrote(now)

    # ------------------------------------------------------------------ budgets

    async def budget_reserve(self, charges: Sequence[BudgetCharge]) -> BudgetDecision:
        now = self._clock.wall()
        keys = [(charge.key, charge.period_end) for charge in charges]
        # One counter object per key, so that a key charged twice sees its own first charge.
        rows = {key: self._spend.get(key) or counters.BudgetCounter() for key in keys}
        decision = counters.reserve([rows[key] for key in keys], charges)
        if decision.allowed:
            self._spend.update(rows)  # a refused call leaves no empty counters behind
        self._wrote(now)
        return decision

    async def budget_settle(self, settles: Sequence[BudgetSettle]) -> tuple[str, ...]:
        crossed = []
        for item in settles:
            counter = self._spend.get((item.key, item.period_end))
            if counter is None:
                continue  # a period long gone: nothing left to settle against
            if counters.settle(counter, item.estimate_usd, item.actual_usd):
                crossed.append(item.key)
        return tuple(crossed)

    async def budget_usage(self, key: str, period_end: float) -> BudgetUsage | None:
        counter = self._spend.get((key, period_end))
        if counter is None:
            return BudgetUsage(0.0, 0.0)
        return BudgetUsage(
            counters.from_nanos(counter.spent), counters.from_nanos(counter.reserved)
        )

    # ------------------------------------------------------------------ cache

    async def cache_get(self, key: str) -> CachedEntry | None:
        return self._cache.get(key, self._clock.wall())

    async def cache_set(self, key: str, value: bytes, ttl_s: float, stale_ttl_s: float) -> None:
        self._cache.set(key, value, self._clock.wall(), ttl_s, stale_ttl_s)

    async def aclose(self) -> None:
        return None

    def _wrote(self, now: float) -> None:
        # Forget full buckets and ended periods now and then, so that keys of departed
        # tenants do not accumulate for the life of the process.
        self._writes += 1
        if self._writes % SWEEP_EVERY:
            return
        self._tats = {key: tat for key, tat in self._tats.items() if tat > now}
        self._spend = {
            key: counter for key, counter in self._spend.items() if key[1] + BUDGET_GRACE_S > now
        }
