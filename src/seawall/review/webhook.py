"""Deliver review decisions to the app's webhook: in the background, retried with backoff.

A decision is POSTed as JSON (``Decision.as_dict``: review id, trace id, decision, final
answer, reviewer, reason) with an ``x-seawall-review-id`` header. A 2xx answer delivers it.
Connection errors, timeouts, 408, 425, 429 and 5xx are retried with exponential backoff and
full jitter (``Retry-After`` honoured, capped); any other status is final, since the receiver
said the request itself is wrong. Delivery is at least once: a receiver must accept the same
review id twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

log = logging.getLogger("seawall.review")

_RETRY_STATUSES = frozenset({408, 425, 429})
_USER_AGENT = "seawall-review-webhook"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard a delivery tries before it is marked failed."""

    attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 60.0
    timeout_s: float = 10.0  # per attempt

    def delay(self, retry: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based): full jitter, capped."""
        if retry_after is not None:
            return min(self.max_delay_s, max(0.0, retry_after))
        return rng.uniform(0.0, min(self.max_delay_s, self.base_delay_s * 2**retry))


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a delivery ended."""

    status: str  # "delivered" | "failed"
    attempts: int
    error: str | None = None
    http_status: int | None = None

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"


OnDone = Callable[[str, Delivery], Awaitable[None]]


class WebhookSender:
    """Sends payloads in background tasks; ``aclose`` lets in-flight deliveries finish."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        rng: random.Random | None = None,
        on_done: OnDone | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self._rng = rng or random.Random()
        self._on_done = on_done
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Delivery]] = set()

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def submit(self, key: str, url: str, payload: Mapping[str, Any]) -> asyncio.Task[Delivery]:
        """Start delivering now, in the background; the caller never waits for the receiver."""
        task = asyncio.create_task(self._run(key, url, payload), name=f"webhook-{key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout_s: float | None = None) -> None:
        """Wait until every delivery in flight has ended (or ``timeout_s`` passed)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)

    async def aclose(self, grace_s: float = 5.0) -> None:
        """Give deliveries ``grace_s`` to finish, cancel the rest, close the connections."""
        await self.drain(grace_s)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()

    async def _run(self, key: str, url: str, payload: Mapping[str, Any]) -> Delivery:
        delivery = await self.deliver(url, payload, key=key)
        if not delivery.delivered:
            log.warning("webhook for review %s failed: %s", key, delivery.error)
        if self._on_done is not None:
            try:
                await self._on_done(key, delivery)
            except Exception:  # the delivery happened; only its bookkeeping is short
                log.error("could not store the webhook status of review %s", key, exc_info=True)
        return delivery

    async def deliver(self, url: str, payload: Mapping[str, Any], *, key: str = "") -> Delivery:
        """POST ``payload`` to ``url`` until it is accepted, refused, or attempts run out."""
        body = orjson.dumps(payload, default=str)
        error, status = "not attempted", None
        for attempt in range(1, self.policy.attempts + 1):
            retry_after: float | None = None
            try:
                status, retry_after = await self._post(url, body, key)
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, error = None, f"{type(exc).__name__}: {exc}".strip(": ")
            else:
                if 200 <= status < 300:
                    return Delivery("delivered", attempt, None, status)
                error = f"HTTP {status}"
                if not (status in _RETRY_STATUSES or status >= 500):
                    return Delivery("failed", attempt, error, status)
            if attempt < self.policy.attempts:
                await asyncio.sleep(self.policy.delay(attempt - 1, self._rng, retry_after))
        return Delivery("failed", self.policy.attempts, error, status)

    async def _post(self, url: str, body: bytes, key: str) -> tuple[int, float | None]:
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout_s)
        headers = {
            "content-type": "application/json",
            "user-agent": _USER_AGENT,
            "x-seawall-review-id": key,
        }
        async with self._client().post(url, data=body, headers=headers, timeout=timeout) as reply:
            await reply.read()
            return reply.status, _retry_after(reply.headers.get("retry-after"))

    def _client(self) -> aiohttp.ClientSession:
        # Created inside the running loop on first use (aiohttp binds a session to its loop).
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None  # an HTTP date: fall back to the backoff schedule
