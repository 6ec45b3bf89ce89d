"""Streams: relaying chunks, replaying a whole answer as chunks, restoring placeholders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from seawall.core.errors import SeawallError
from seawall.core.types import ChatChunk, ChatRequest, ChatResponse
from seawall.guards.redact import StreamRestorer

StreamEvent = ChatChunk | SeawallError


async def chain(first: ChatChunk, rest: AsyncIterator[ChatChunk]) -> AsyncIterator[ChatChunk]:
    yield first
    async for chunk in rest:
        yield chunk


async def aclose(chunks: AsyncIterator[ChatChunk]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


async def restored(
    chunks: AsyncIterator[ChatChunk], restorer: StreamRestorer
) -> AsyncIterator[ChatChunk]:
    """Placeholders put back into a relayed stream; a split placeholder waits for its end."""
    try:
        async for chunk in chunks:
            if chunk.finish_reason is not None or (not chunk.text and chunk.usage is not None):
                tail = restorer.flush()
                if tail:
                    yield chunk_with_text(chunk, tail, finish=False)
                yield chunk
                continue
            if chunk.text:
                chunk = chunk_with_text(chunk, restorer.feed(chunk.text))
            yield chunk
    finally:
        await aclose(chunks)


def chunk_with_text(chunk: ChatChunk, text: str, *, finish: bool = True) -> ChatChunk:
    """The chunk with its delta content replaced (``finish=False``: as a plain content chunk)."""
    body = dict(chunk.body)
    choice: dict[str, Any] = dict(body["choices"][0]) if body.get("choices") else {"index": 0}
    delta = choice.get("delta")
    choice["delta"] = {**(delta if isinstance(delta, dict) else {}), "content": text}
    if not finish:
        choice["finish_reason"] = None
        body.pop("usage", None)
    body["choices"] = [choice]
    return ChatChunk(
        body, text, chunk.finish_reason if finish else None, chunk.usage if finish else None
    )


def wants_usage(request: ChatRequest) -> bool:
    options = request.body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


async def replay(response: ChatResponse, request: ChatRequest) -> AsyncIterator[StreamEvent]:
    """A whole answer as a stream: role chunk, content chunk, finish chunk (and usage)."""
    body = response.body
    base = {
        "id": body.get("id", ""),
        "object": "chat.completion.chunk",
        "created": body.get("created", 0),
        "model": body.get("model", request.model),
    }
    yield ChatChunk(
        {
            **base,
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
            ],
        }
    )
    content = response.content or ""
    yield ChatChunk(
        {**base, "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]},
        text=content,
    )
    yield ChatChunk(
        {
            **base,
            "choices": [
                {"index": 0, "delta": {}, "finish_reason": response.finish_reason or "stop"}
            ],
        },
        finish_reason=response.finish_reason or "stop",
    )
    if wants_usage(request):
        yield ChatChunk(
            {**base, "choices": [], "usage": response.usage.as_openai()}, usage=response.usage
        )
