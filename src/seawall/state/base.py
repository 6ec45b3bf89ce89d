"""The shared-state protocol: every operation is atomic in the backend that implements it."""

from __future__ import annotations

from typing import Protocol

from seawall.config import BreakerPolicy, RetryPolicy


class SharedState(Protocol):
    """Breakers and retry budgets keyed by target; later issues add counters and cache."""

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

    async def aclose(self) -> None:
        """Release connections."""
        ...
