"""A pooled HTTP client to one upstream: JSON POSTs and SSE POSTs, failures already classified.

Both real providers sit on this; they differ only in URLs, headers and body translation. The
aiohttp session is created lazily, inside the running loop that first uses it (aiohttp binds a
session to its loop), and reused for every call so connections are pooled and kept alive.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing, asynccontextmanager
from typing import Any

import aiohttp
import orjson

from seawall.core.context import upstream_traceparent
from seawall.core.types import JSON
from seawall.providers import classify
from seawall.providers.sse import SseEvent, iter_sse

# Below the idle timeouts of common servers (uvicorn's is 5 s, nginx's 75 s) would avoid racing a
# server-side close, but costs reconnects on quiet upstreams; a lost race is a retryable "reset".
KEEPALIVE_S = 15.0
_USER_AGENT = "seawall"
DRAIN_S = 0.1
"""Longest wait for the end of an HTTP body after the stream's own end (see ``_drain``)."""
# Streams are bounded by the per-event idle timeout in ``iter_sse``, not by aiohttp's timers.
_NO_TIMEOUT = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None, sock_read=None)
_TRANSPORT_ERRORS = (aiohttp.ClientError, TimeoutError)


class HttpTransport:
    """The connection pool and request helpers shared by the HTTP providers."""

    def __init__(self, headers: Mapping[str, str], max_connections: int) -> None:
        self._headers = {"User-Agent": _USER_AGENT, "Content-Type": "application/json", **headers}
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The pooled session, created on first use inside the running loop."""
        session = self._session
        if session is None or session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, keepalive_timeout=KEEPALIVE_S
            )
            session = aiohttp.ClientSession(
                connector=connector, headers=self._headers, timeout=_NO_TIMEOUT
            )
            self._session = session
        return session

    async def post_json(self, url: str, body: JSON, *, timeout_s: float) -> JSON:
        """POST ``body`` and return the JSON object answered; any failure as ``UpstreamError``."""
        try:
            async with self.session().post(
                url,
                data=orjson.dumps(body),
                headers=_trace_headers(),
                timeout=aiohttp.ClientTimeout(total=timeout_s),
                allow_redirects=False,
            ) as response:
                raw = await response.read()
                if response.status >= 300:
                    raise _status_error(response, raw)
        except _TRANSPORT_ERRORS as exc:
            raise classify.error_for_exception(exc) from exc
        return _json_object(raw)

    @asynccontextmanager
    async def post_sse(
        self, url: str, body: JSON, *, timeout_s: float
    ) -> AsyncIterator[AsyncIterator[SseEvent]]:
        """POST ``body`` and give its SSE events; ``timeout_s`` bounds the wait for each event.

        Leaving the block releases the connection: back to the pool after a complete stream,
        closed after one cut short (by the caller, an error or cancellation).
        """
        first_deadline = asyncio.get_running_loop().time() + timeout_s
        response = await self._open(url, body, first_deadline)
        try:
            events = iter_sse(
                response.content, idle_timeout=timeout_s, first_deadline=first_deadline
            )
            async with aclosing(events) as open_events:
                yield open_events
            await _drain(response)
        except _TRANSPORT_ERRORS as exc:
            raise classify.error_for_exception(exc) from exc
        finally:
            response.release()

    async def _open(self, url: str, body: JSON, deadline: float) -> aiohttp.ClientResponse:
        try:
            async with asyncio.timeout_at(deadline):
                response = await self.session().post(
                    url,
                    data=orjson.dumps(body),
                    headers=_trace_headers(),
                    timeout=_NO_TIMEOUT,
                    allow_redirects=False,
                )
                if response.status >= 300:
                    try:
                        raw = await response.read()
                    finally:
                        response.release()
                    raise _status_error(response, raw)
        except _TRANSPORT_ERRORS as exc:
            raise classify.error_for_exception(exc) from exc
        return response

    async def aclose(self) -> None:
        """Close the pool; a later call opens a new one."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()


async def _drain(response: aiohttp.ClientResponse) -> None:
    """Read what follows the end-of-answer event, so the connection can go back to the pool.

    The closing chunk of the HTTP body may arrive a moment after ``[DONE]``; releasing before
    it would close the connection and cost the next call a new (TLS) handshake.
    """
    if response.content.is_eof():
        return
    with contextlib.suppress(*_TRANSPORT_ERRORS):
        async with asyncio.timeout(DRAIN_S):
            await response.content.read()


def _trace_headers() -> dict[str, str] | None:
    traceparent = upstream_traceparent.get()
    return {"traceparent": traceparent} if traceparent is not None else None


def _status_error(response: aiohttp.ClientResponse, raw: bytes) -> Exception:
    return classify.error_for_status(response.status, raw, response.headers.get("Retry-After"))


def _json_object(raw: bytes) -> JSON:
    try:
        parsed: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise classify.malformed(f"body is not JSON ({exc})") from exc
    if not isinstance(parsed, dict):
        raise classify.malformed("body is not a JSON object")
    return parsed


def decode_event(data: bytes) -> JSON:
    """One SSE data payload as a JSON object, or a ``malformed`` error."""
    return _json_object(data)
