"""The simulator as an in-process provider: no network, same faults as the HTTP simulator.

Each fault surfaces as the error a real HTTP provider would raise for it (statuses go through
``classify.error_for_status``), so pipeline tests against this provider exercise the same
retry, breaker and fallback paths as production failures do.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator

from seawall.config import SimSettings
from seawall.core.errors import UpstreamError, UpstreamTimeout
from seawall.core.types import JSON, ChatChunk, ChatResponse
from seawall.providers.classify import error_for_status
from seawall.sim import openai_wire
from seawall.sim.engine import SimEngine, SimOutcome

_TICK_S = 0.001  # the coarsest event-loop timer resolution in use (uvloop: 1 ms)
_STATUS = {"429": 429, "500": 500, "503": 503, "outage": 503}


class SimUpstream:
    """The simulator behind the Provider protocol (answers say ``system_fingerprint: seawall-sim``)."""

    def __init__(
        self, name: str, settings: SimSettings, *, engine: SimEngine | None = None
    ) -> None:
        self.name = name
        self.engine = engine or SimEngine(settings)

    async def chat(self, body: JSON, *, timeout: float) -> ChatResponse:
        outcome = self.engine.decide(body)
        await _before_response(outcome, timeout)
        return ChatResponse.from_openai(openai_wire.completion(outcome, _model(body)))

    async def stream(self, body: JSON, *, timeout: float) -> AsyncIterator[ChatChunk]:
        outcome = self.engine.decide(body, stream=True)
        if outcome.fault is not None and outcome.fault not in ("truncated", "empty"):
            await _before_response(outcome, timeout)  # always raises for these faults
        usage = openai_wire.wants_usage(body)
        for wait, chunk in openai_wire.chunks(outcome, _model(body), include_usage=usage):
            await _wait(wait, timeout)
            yield ChatChunk.from_openai(chunk)
        if outcome.fault == "truncated":
            raise UpstreamError(
                "upstream stream ended before the answer finished (simulated)",
                kind="truncated",
                retryable=True,
            )

    async def aclose(self) -> None:
        """Nothing to release: the simulator holds no connections."""


async def _before_response(outcome: SimOutcome, timeout: float) -> None:
    """Act out the wait before a response and raise the fault's error, if it has one."""
    if outcome.fault == "connect":
        raise UpstreamError(
            "could not connect to the upstream (simulated)", kind="connect", retryable=True
        )
    await _wait(math.inf if outcome.fault == "hang" else outcome.latency_s, timeout)
    error = _error_for(outcome)
    if error is not None:
        raise error


def _error_for(outcome: SimOutcome) -> UpstreamError | None:
    fault = outcome.fault
    if fault in _STATUS:
        status = _STATUS[fault]
        detail = "simulated outage" if fault == "outage" else f"simulated {status}"
        retry_after = f"{outcome.retry_after_s:g}" if status == 429 else None
        return error_for_status(status, detail, retry_after)
    if fault == "malformed":
        return UpstreamError(
            "upstream returned invalid JSON (simulated)",
            kind="malformed",
            retryable=True,
            upstream_status=200,
        )
    return None


async def _wait(seconds: float, timeout: float) -> None:
    """Sleep ``seconds``, or fail as a client would after ``timeout`` when that is longer."""
    if seconds > timeout:
        await _sleep(timeout)
        raise UpstreamTimeout(f"no response from the upstream within {timeout:g} s (simulated)")
    if seconds > 0:
        await _sleep(seconds)


async def _sleep(seconds: float) -> None:
    """Sleep at least ``seconds`` of monotonic time.

    Event-loop timers may fire up to a clock tick early (uvloop counts whole milliseconds);
    callers measure the simulated wait with ``time.monotonic`` and must never see it short.
    """
    deadline = time.monotonic() + seconds
    await asyncio.sleep(seconds)
    left = deadline - time.monotonic()
    if left > 0:
        await asyncio.sleep(left + _TICK_S)


def _model(body: JSON) -> str:
    model = body.get("model")
    return model if isinstance(model, str) and model else "sim"
