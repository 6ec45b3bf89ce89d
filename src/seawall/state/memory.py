"""In-process shared state: correct for one gateway process (the embedded default)."""

from __future__ import annotations

from seawall.config import BreakerPolicy, RetryPolicy
from seawall.core.clock import Clock, SystemClock
from seawall.resilience import breaker, retry


class MemoryState:
    """Plain dicts; asyncio runs one coroutine at a time, so each method is atomic."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._breakers: dict[str, breaker.BreakerState] = {}
        self._budgets: dict[str, retry.RetryBudgetState] = {}

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

    async def aclose(self) -> None:
        return None
