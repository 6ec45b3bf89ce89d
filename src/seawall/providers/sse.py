"""Server-sent events, as both upstream dialects stream them.

``SseParser`` is the pure part (bytes in, events out), ``iter_sse`` reads it off an aiohttp
response with an idle timeout. Only ``event`` and ``data`` matter: ``id`` and ``retry`` serve
reconnection, and a POST stream is never reconnected (a cut stream is a failed attempt).
Lines end in LF or CRLF; a lone CR as line end (allowed by the spec) is not used by any LLM API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import NamedTuple

import aiohttp


class SseEvent(NamedTuple):
    event: str
    """The ``event:`` field; ``message`` when the event named none."""
    data: bytes
    """The ``data:`` lines joined by newlines, undecoded (orjson reads bytes)."""


class SseParser:
    """Incremental parser; lines and events may be split anywhere across network chunks."""

    __slots__ = ("_data", "_event", "_partial")

    def __init__(self) -> None:
        self._partial = b""
        self._data: list[bytes] = []
        self._event = ""

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """The events completed by ``chunk``."""
        buffer = self._partial + chunk if self._partial else chunk
        lines = buffer.split(b"\n")
        self._partial = lines.pop()
        events: list[SseEvent] = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[SseEvent]:
        """The event still pending at end of stream, if its last line arrived whole.

        The spec drops an event without its blank line; we keep it when every line is complete,
        because a few servers end the stream right after ``data: [DONE]``. A half-received line
        is dropped, so a cut stream still reads as cut.
        """
        if self._partial:
            self._partial, self._data = b"", []
            return []
        event = self._dispatch()
        return [] if event is None else [event]

    def _line(self, line: bytes) -> SseEvent | None:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            return self._dispatch()
        if line.startswith(b"data:"):
            self._data.append(_value(line, 5))
        elif line.startswith(b"event:"):
            self._event = _value(line, 6).decode(errors="replace")
        # Comments (":" keep-alives) and other fields are ignored.
        return None

    def _dispatch(self) -> SseEvent | None:
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        joined = data[0] if len(data) == 1 else b"\n".join(data)
        return SseEvent(event or "message", joined)


def _value(line: bytes, start: int) -> bytes:
    # The spec strips exactly one space after the colon.
    return line[start + 1 :] if line[start : start + 1] == b" " else line[start:]


async def iter_sse(
    content: aiohttp.StreamReader, *, idle_timeout: float, first_deadline: float
) -> AsyncGenerator[SseEvent, None]:
    """Events from a response body; ``TimeoutError`` when an event takes too long to arrive.

    The wait for each event is bounded, not each network read, so keep-alive comments do not
    keep a stalled upstream alive; the time the consumer spends between events is not counted.
    ``first_deadline`` (loop time) bounds the first event, counted from when the request began.
    """
    loop = asyncio.get_running_loop()
    parser = SseParser()
    deadline = first_deadline
    while True:
        async with asyncio.timeout_at(deadline):
            chunk = await content.readany()
        if not chunk:
            break
        for event in parser.feed(chunk):
            yield event
            deadline = loop.time() + idle_timeout
    for event in parser.close():
        yield event
