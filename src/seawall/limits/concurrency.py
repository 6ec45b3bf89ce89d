"""A cap on calls in flight to one upstream target, with a bounded wait queue and shedding.

Process-local on purpose: it protects this replica's connections and the upstream from a
burst it sends, and must cost nothing per call. Across N replicas the upstream sees at most
N x ``max_in_flight`` (configure it per replica). A shared cap would need a lease in Redis per
call, with a round trip and a crash-safe release, for little gain: upstream quotas are
enforced by the shared rate limits.

Waiters are served first come, first served. When ``max_queue`` callers already wait, a new
one is shed at once, and a waiter still queued after ``queue_timeout_s`` gives up: both raise
``TargetSaturated``, an upstream error that is not retryable on the same target, so the
fallback chain moves to the next target as it does for an open breaker.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType

from seawall.core.errors import TargetSaturated

__all__ = ["ConcurrencyLimiter", "TargetSaturated"]


class ConcurrencyLimiter:
    """``async with limiter:`` holds one of ``max_in_flight`` slots for the block."""

    def __init__(
        self, target: str, max_in_flight: int, max_queue: int, queue_timeout_s: float
    ) -> None:
        if max_in_flight < 1 or max_queue < 0 or queue_timeout_s < 0:
            raise ValueError("max_in_flight >= 1, max_queue >= 0 and queue_timeout_s >= 0")
        self.target = target
        self.max_in_flight = max_in_flight
        self.max_queue = max_queue
        self.queue_timeout_s = queue_timeout_s
        self.in_flight = 0
        self.shed = 0  # callers refused since start (for metrics)
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def queued(self) -> int:
        """Callers waiting for a slot now."""
        return len(self._waiters)

    async def __aenter__(self) -> None:
        if self.in_flight < self.max_in_flight and not self._waiters:
            self.in_flight += 1
            return
        if len(self._waiters) >= self.max_queue:
            self.shed += 1
            raise TargetSaturated(self.target, f"{self.max_queue} calls already queued")
        await self._wait()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._release()

    async def _wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.queue_timeout_s):
                await waiter  # resolved by _release, which hands its slot straight over
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                self._release()  # the slot arrived as we gave up (timeout, cancel): pass it on
            else:
                waiter.cancel()
                self._waiters.remove(waiter)
            if isinstance(exc, TimeoutError):
                self.shed += 1
                reason = f"no slot within {self.queue_timeout_s:g} s"
                raise TargetSaturated(self.target, reason) from None
            raise

    def _release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes straight to the next waiter
                return
        self.in_flight -= 1
