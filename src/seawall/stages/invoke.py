"""Invoke: timeouts, retries with jittered backoff, retry budget, breakers and fallback.

For each target in fallback order: skip it while its breaker is open; otherwise try it up to
``retry.max_attempts`` times. A retry needs a retryable error, room before the deadline for the
wait, and a token from the target's retry budget; otherwise the call falls back to the next
target. The per-attempt timeout is the smaller of ``timeout.attempt_s`` and what is left of
the deadline.

Streams use the same loop up to the first chunk: once a byte may have reached the client, a
failure can no longer be retried and ends the stream with an error event instead.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from seawall.core.clock import Clock
from seawall.core.context import upstream_traceparent
from seawall.core.errors import (
    BreakerOpen,
    SeawallError,
    TargetSaturated,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
)
from seawall.core.types import JSON, ChatChunk, ChatResponse
from seawall.resilience.retry import retry_delay
from seawall.stages.resolve import ModelRuntime, TargetRuntime
from seawall.state.base import SharedState
from seawall.telemetry.records import AttemptRecord

T = TypeVar("T")

# Upstream refusals that say the *target* is unhealthy (bad key, missing model), not the request.
_TARGET_FAULT_STATUSES = frozenset({401, 403, 404})


@dataclass(slots=True)
class InvokeLog:
    """What invoke did, for the record: attempts, waits and who answered."""

    started: float
    trace_id: str | None = None  # set when attempts carry a traceparent upstream
    attempts: list[AttemptRecord] = field(default_factory=list)
    upstream_s: float = 0.0  # time spent waiting on upstreams
    backoff_s: float = 0.0  # time spent sleeping before retries
    retries: int = 0
    answered_by: TargetRuntime | None = None
    answered_index: int = -1
    breaker_changes: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class StreamStart:
    """A stream that produced its first chunk; ``rest`` yields the remaining chunks."""

    first: ChatChunk
    rest: AsyncIterator[ChatChunk]
    target: TargetRuntime


class Invoker:
    def __init__(self, state: SharedState, clock: Clock, rng: random.Random) -> None:
        self._state = state
        self._clock = clock
        self._rng = rng

    async def chat(
        self, model: ModelRuntime, body: JSON, deadline: float, log: InvokeLog
    ) -> ChatResponse:
        async def attempt(target: TargetRuntime, timeout: float) -> ChatResponse:
            response = await target.provider.chat(dict(body, model=target.model), timeout=timeout)
            if not response.content and not _has_tool_calls(response):
                raise UpstreamError(
                    "upstream returned an empty answer", kind="empty", retryable=True
                )
            return response

        return await self._run(model, deadline, log, attempt)

    async def stream(
        self, model: ModelRuntime, body: JSON, deadline: float, log: InvokeLog
    ) -> StreamStart:
        async def attempt(target: TargetRuntime, timeout: float) -> StreamStart:
            chunks = target.provider.stream(dict(body, model=target.model), timeout=timeout)
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                raise UpstreamError(
                    "upstream stream ended before any chunk", kind="empty", retryable=True
                ) from None
            except BaseException:
                await _close(chunks)
                raise
            return StreamStart(first, chunks, target)

        return await self._run(model, deadline, log, attempt)

    async def _run(
        self,
        model: ModelRuntime,
        deadline: float,
        log: InvokeLog,
        attempt: Callable[[TargetRuntime, float], Awaitable[T]],
    ) -> T:
        errors: list[tuple[TargetRuntime, SeawallError]] = []
        for index, target in enumerate(model.targets):
            try:
                result = await self._try_target(model, target, deadline, log, attempt)
            except UpstreamError as exc:
                errors.append((target, exc))
                if isinstance(exc, UpstreamTimeout) and self._clock.monotonic() >= deadline:
                    break
                continue
            log.answered_by, log.answered_index = target, index
            return result
        raise _final_error(errors, len(model.targets))

    async def _try_target(
        self,
        model: ModelRuntime,
        target: TargetRuntime,
        deadline: float,
        log: InvokeLog,
        attempt: Callable[[TargetRuntime, float], Awaitable[T]],
    ) -> T:
        policy = model.config
        breaker_on = policy.breaker.enabled
        if breaker_on and not await self._state.breaker_allow(target.key, policy.breaker):
            log.attempts.append(
                _attempt(log, target, self._clock.monotonic(), 0.0, "skipped", "breaker_open")
            )
            raise BreakerOpen(target.key)
        await self._state.retry_deposit(target.key, policy.retry)
        waited = 0.0
        number = 0
        while True:
            number += 1
            timeout = min(policy.timeout.attempt_s, deadline - self._clock.monotonic())
            if timeout <= 0:
                raise UpstreamTimeout(f"deadline of {policy.timeout.deadline_s:g}s exceeded")
            start = self._clock.monotonic()
            span_id = self._span_id() if log.trace_id is not None else None
            token = upstream_traceparent.set(
                f"00-{log.trace_id}-{span_id}-01" if span_id is not None else None
            )
            try:
                result = await _limited(target, attempt, timeout)
            except UpstreamError as exc:
                elapsed = self._clock.monotonic() - start
                log.upstream_s += elapsed
                log.attempts.append(
                    _attempt(
                        log, target, start, elapsed, "error", exc.kind, exc.upstream_status, waited
                    )
                )
                log.attempts[-1].span_id = span_id
                if not isinstance(exc, TargetSaturated):  # our own cap says nothing of its health
                    await self._account(model, target, log, ok=not _blames_target(exc))
                delay = await self._retry_wait(model, target, exc, number, deadline)
                if delay is None:
                    raise
                await asyncio.sleep(delay)
                log.backoff_s += delay
                # The breaker may have opened while we waited: then there is no retry to count.
                if breaker_on and not await self._state.breaker_allow(target.key, policy.breaker):
                    raise BreakerOpen(target.key) from exc
                log.retries += 1
                waited = delay * 1000.0
                continue
            finally:
                upstream_traceparent.reset(token)
            elapsed = self._clock.monotonic() - start
            log.upstream_s += elapsed
            log.attempts.append(_attempt(log, target, start, elapsed, "ok", waited_ms=waited))
            log.attempts[-1].span_id = span_id
            await self._account(model, target, log, ok=True)
            return result

    def _span_id(self) -> str:
        return f"{self._rng.getrandbits(64) or 1:016x}"

    async def _retry_wait(
        self,
        model: ModelRuntime,
        target: TargetRuntime,
        exc: UpstreamError,
        number: int,
        deadline: float,
    ) -> float | None:
        """Seconds to wait before retrying ``target``, or None to move on."""
        policy = model.config.retry
        if not exc.retryable or number >= policy.max_attempts:
            return None
        delay = retry_delay(number, policy, self._rng, exc.retry_after)
        # A wait that would leave no time for the attempt itself is better spent on a fallback.
        if self._clock.monotonic() + delay >= deadline:
            return None
        if not await self._state.retry_withdraw(target.key, policy):
            return None
        return delay

    async def _account(
        self, model: ModelRuntime, target: TargetRuntime, log: InvokeLog, *, ok: bool
    ) -> None:
        if not model.config.breaker.enabled:
            return
        change = await self._state.breaker_record(target.key, model.config.breaker, ok)
        if change is not None:
            log.breaker_changes.append((target.key, change))


def _attempt(
    log: InvokeLog,
    target: TargetRuntime,
    start: float,
    elapsed: float,
    status: str,
    error_class: str | None = None,
    upstream_status: int | None = None,
    waited_ms: float = 0.0,
) -> AttemptRecord:
    return AttemptRecord(
        target=target.key,
        started_ms=(start - log.started) * 1000.0,
        latency_ms=elapsed * 1000.0,
        status=status,
        error_class=error_class,
        upstream_status=upstream_status,
        retry_delay_ms=waited_ms,
    )


async def _limited(
    target: TargetRuntime, attempt: Callable[[TargetRuntime, float], Awaitable[T]], timeout: float
) -> T:
    """Hold one of the target's concurrency slots for the attempt (streams: to the first chunk)."""
    if target.limiter is None:
        return await _bounded(attempt(target, timeout), timeout)
    async with target.limiter:
        return await _bounded(attempt(target, timeout), timeout)


async def _bounded(awaitable: Awaitable[T], timeout: float) -> T:
    """Enforce the attempt timeout even on a provider that forgets to."""
    try:
        # asyncio.timeout, unlike wait_for on 3.11, does not wrap the attempt in a new task.
        async with asyncio.timeout(timeout + 0.05):
            return await awaitable
    except TimeoutError:
        raise UpstreamTimeout(f"attempt timed out after {timeout:.3g}s") from None


def _blames_target(exc: UpstreamError) -> bool:
    if isinstance(exc, UpstreamRejected):
        return exc.upstream_status in _TARGET_FAULT_STATUSES
    return True


def _has_tool_calls(response: ChatResponse) -> bool:
    message = response.body["choices"][0].get("message") or {}
    return bool(message.get("tool_calls") or message.get("function_call"))


async def _close(chunks: AsyncIterator[ChatChunk]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


def _final_error(errors: list[tuple[TargetRuntime, SeawallError]], n_targets: int) -> SeawallError:
    """One error that names every failure, typed by the most telling one."""
    if not errors:
        return UpstreamError("no target could be tried", kind="breaker_open", retryable=False)
    summary = "; ".join(f"{t.key}: {_describe(e)}" for t, e in errors)
    message = f"all {n_targets} target(s) failed: {summary}"
    rejections = [e for _, e in errors if isinstance(e, UpstreamRejected)]
    if len(rejections) == len(errors):
        first = rejections[0]
        return UpstreamRejected(
            message, upstream_status=first.upstream_status or 400, kind=first.kind
        )
    if any(isinstance(e, UpstreamTimeout) for _, e in errors):
        return UpstreamTimeout(message)
    last = errors[-1][1]
    kind = last.kind if isinstance(last, UpstreamError) else "error"
    return UpstreamError(message, kind=kind, retryable=False)


def _describe(error: SeawallError) -> str:
    if isinstance(error, UpstreamError) and error.upstream_status:
        return f"{error.kind} ({error.upstream_status})"
    if isinstance(error, UpstreamError):
        return error.kind
    return error.code
