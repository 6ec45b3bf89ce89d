"""Notifiers: a generic JSON webhook, a Slack-compatible webhook, and the log.

Each notifier has its own bounded queue and worker task: the engine only ``submit``s (never
waits), a slow or dead notifier holds up nobody but itself, and when its queue is full the
oldest notification is dropped and counted. Delivery retries 5xx, 429, timeouts and connection
errors with exponential backoff and full jitter up to ``max_attempts``, every attempt bounded
by ``timeout_s``; then it gives up and counts the failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
import orjson

from seawall.alerts.config import (
    LogNotifier,
    NotifierConfig,
    RetrySettings,
    SlackNotifier,
    WebhookNotifier,
)
from seawall.alerts.events import AlertEvent
from seawall.alerts.slack import slack_payload

log = logging.getLogger("seawall.alerts")

SEVERITY_RANK = {"info": 0, "ticket": 1, "page": 2}
Resolve = Callable[[str], str | None]
Sleep = Callable[[float], Awaitable[None]]


class DeliveryError(Exception):
    """A notification attempt failed; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Sender(Protocol):
    """Sends one event once; raises ``DeliveryError`` on failure."""

    async def send(self, event: AlertEvent) -> None: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How the delivery of one event to one notifier ended."""

    notifier: str
    ok: bool
    attempts: int
    error: str | None = None


def env_secret(value: str) -> str | None:
    """``env:NAME`` resolved from the environment (None when unset); other values as they are."""
    if value.startswith("env:"):
        return os.environ.get(value[4:]) or None
    return value


# --------------------------------------------------------------------------- senders


class HttpSender:
    """POSTs a JSON body built from the event (generic webhook or Slack)."""

    def __init__(
        self,
        url: str,
        headers: Mapping[str, str],
        timeout_s: float,
        body: Callable[[AlertEvent], dict[str, Any]],
        resolve: Resolve = env_secret,
    ) -> None:
        self._url, self._headers, self._timeout_s = url, dict(headers), timeout_s
        self._body, self._resolve = body, resolve
        self._session: aiohttp.ClientSession | None = None

    def _session_now(self) -> aiohttp.ClientSession:
        # Created inside the running loop that first sends (aiohttp binds a session to it).
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": "seawall-alerts"})
        return self._session

    def _target(self) -> tuple[str, dict[str, str]]:
        url = self._resolve(self._url)
        if not url:
            raise DeliveryError(f"{self._url} is not set", retryable=False)
        headers = {"Content-Type": "application/json"}
        for name, value in self._headers.items():
            resolved = self._resolve(value)
            if resolved is None:
                raise DeliveryError(f"header {name}: {value} is not set", retryable=False)
            headers[name] = resolved
        return url, headers

    async def send(self, event: AlertEvent) -> None:
        url, headers = self._target()
        data = orjson.dumps(self._body(event))
        try:
            async with asyncio.timeout(self._timeout_s):
                async with self._session_now().post(url, data=data, headers=headers) as response:
                    status = response.status
                    if status < 300:
                        await response.read()
                        return
                    text = (await response.text(errors="replace"))[:200]
        except TimeoutError as exc:
            raise DeliveryError(f"no answer within {self._timeout_s:g}s", retryable=True) from exc
        except aiohttp.ClientError as exc:
            raise DeliveryError(
                f"connection failed: {exc or type(exc).__name__}", retryable=True
            ) from exc
        retryable = status >= 500 or status in (408, 429)
        raise DeliveryError(f"HTTP {status}: {text.strip()}", retryable=retryable)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class LogSender:
    """Writes the event to the ``seawall.alerts`` log."""

    async def send(self, event: AlertEvent) -> None:
        labels = " ".join(f"{k}={v}" for k, v in sorted(event.labels.items()))
        level = logging.WARNING if event.status == "firing" else logging.INFO
        log.log(
            level,
            "ALERT %s %s [%s] %s: %s (runbook: %s)",
            event.status.upper(),
            event.rule,
            event.severity,
            labels or "-",
            event.summary,
            event.runbook_url,
        )

    async def aclose(self) -> None:
        return None


def webhook_body(event: AlertEvent) -> dict[str, Any]:
    """The generic webhook's JSON: the event itself, marked with its source."""
    return {"source": "seawall", "version": 1, **event.as_dict()}


def build_sender(config: NotifierConfig, resolve: Resolve = env_secret) -> Sender:
    """The sender of one notifier config."""
    if isinstance(config, WebhookNotifier):
        return HttpSender(config.url, config.headers, config.retry.timeout_s, webhook_body, resolve)
    if isinstance(config, SlackNotifier):
        blocks = config.blocks

        def body(event: AlertEvent) -> dict[str, Any]:
            return slack_payload(event, blocks=blocks)

        return HttpSender(config.url, {}, config.retry.timeout_s, body, resolve)
    return LogSender()


# --------------------------------------------------------------------------- delivery


def backoff_delay(retry: int, settings: RetrySettings, rng: random.Random) -> float:
    """Full-jitter backoff before retry number ``retry`` (1 = the first retry)."""
    ceiling = min(settings.max_delay_s, settings.base_delay_s * 2 ** (retry - 1))
    return rng.uniform(0.0, ceiling)


async def deliver(
    name: str,
    sender: Sender,
    event: AlertEvent,
    settings: RetrySettings,
    rng: random.Random,
    sleep: Sleep = asyncio.sleep,
) -> DeliveryResult:
    """Send with retries; never raises for a delivery failure."""
    error = "not attempted"
    for attempt in range(1, settings.max_attempts + 1):
        try:
            await sender.send(event)
            return DeliveryResult(name, True, attempt)
        except DeliveryError as exc:
            error = str(exc)
            if not exc.retryable:
                return DeliveryResult(name, False, attempt, error)
        except Exception as exc:  # a bug in a sender must not kill its worker
            log.exception("notifier %s failed unexpectedly", name)
            return DeliveryResult(name, False, attempt, f"{type(exc).__name__}: {exc}")
        if attempt < settings.max_attempts:
            await sleep(backoff_delay(attempt, settings, rng))
    return DeliveryResult(name, False, settings.max_attempts, error)


class NotifierWorker:
    """One notifier: a bounded drop-oldest queue drained by its own task."""

    def __init__(
        self, name: str, config: NotifierConfig, sender: Sender, rng: random.Random
    ) -> None:
        self.name, self.config, self.sender = name, config, sender
        self.retry = RetrySettings() if isinstance(config, LogNotifier) else config.retry
        self.rng = rng
        self._queue: deque[AlertEvent] = deque(maxlen=config.queue_size)
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.sent = self.failed = self.dropped = 0

    def accepts(self, event: AlertEvent) -> bool:
        """True when the event's severity reaches this notifier's minimum."""
        return SEVERITY_RANK.get(event.severity, 0) >= SEVERITY_RANK[self.config.min_severity]

    def submit(self, event: AlertEvent) -> None:
        """Queue the event without waiting; a full queue drops its oldest entry (counted)."""
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
            log.warning("alert notifier %s is behind: dropped its oldest notification", self.name)
        self._queue.append(event)
        self._idle.clear()
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"alert-notifier-{self.name}")

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            event = self._queue.popleft()
            result = await deliver(self.name, self.sender, event, self.retry, self.rng)
            if result.ok:
                self.sent += 1
            else:
                self.failed += 1
                log.error(
                    "alert notifier %s gave up on %s after %d attempt(s): %s",
                    self.name,
                    event.rule,
                    result.attempts,
                    result.error,
                )

    async def drain(self, timeout_s: float) -> bool:
        """Wait until the queue is empty and the last delivery ended (False on timeout)."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._idle.wait()
            return True
        except TimeoutError:
            return False

    async def aclose(self, grace_s: float = 5.0) -> None:
        if self._task is not None:
            await self.drain(grace_s)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.sender.aclose()

    def stats(self) -> dict[str, int]:
        return {
            "queued": len(self._queue),
            "sent": self.sent,
            "failed": self.failed,
            "dropped": self.dropped,
        }


class Notifiers:
    """Every configured notifier, and the routing of events to them."""

    def __init__(self, workers: dict[str, NotifierWorker]) -> None:
        self.workers = workers

    @classmethod
    def from_config(
        cls,
        configs: Mapping[str, NotifierConfig],
        *,
        resolve: Resolve = env_secret,
        rng: random.Random | None = None,
    ) -> Notifiers:
        rng = rng or random.Random()
        return cls(
            {
                name: NotifierWorker(name, cfg, build_sender(cfg, resolve), rng)
                for name, cfg in configs.items()
            }
        )

    def selected(self, names: tuple[str, ...] | None) -> list[NotifierWorker]:
        """The workers of ``names`` (every worker when None)."""
        if names is None:
            return list(self.workers.values())
        return [self.workers[n] for n in names if n in self.workers]

    def submit(self, event: AlertEvent, names: tuple[str, ...] | None = None) -> None:
        """Queue the event for the named notifiers whose minimum severity it reaches."""
        for worker in self.selected(names):
            if worker.accepts(event):
                worker.submit(event)

    async def test(
        self,
        event: AlertEvent,
        names: tuple[str, ...] | None = None,
        *,
        max_attempts: int | None = None,
    ) -> list[DeliveryResult]:
        """Deliver ``event`` now to each named notifier (all at once), whatever its severity."""

        def settings(worker: NotifierWorker) -> RetrySettings:
            if max_attempts is None:
                return worker.retry
            return worker.retry.model_copy(update={"max_attempts": max_attempts})

        sends = (deliver(w.name, w.sender, event, settings(w), w.rng) for w in self.selected(names))
        return list(await asyncio.gather(*sends))

    def start(self) -> None:
        for worker in self.workers.values():
            worker.start()

    async def drain(self, timeout_s: float) -> bool:
        """Wait for every queue to empty (False when some did not within ``timeout_s``)."""
        results = await asyncio.gather(*(w.drain(timeout_s) for w in self.workers.values()))
        return all(results)

    async def aclose(self, grace_s: float = 5.0) -> None:
        await asyncio.gather(*(w.aclose(grace_s) for w in self.workers.values()))

    def stats(self) -> dict[str, dict[str, int]]:
        """Per notifier: queued, sent, failed (gave up) and dropped (queue full)."""
        return {name: worker.stats() for name, worker in self.workers.items()}
