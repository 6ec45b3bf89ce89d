"""The provider protocol: how the pipeline talks to any upstream model API.

A provider sends one attempt and reports failure only as ``seawall.core.errors.UpstreamError``
(or a subclass), already classified as retryable or final. Retries, timeouts across attempts,
breakers and fallback belong to the pipeline, not here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from seawall.core.types import JSON, ChatChunk, ChatResponse


class Provider(Protocol):
    """One upstream; ``body`` is an OpenAI-style chat request already naming the target model."""

    name: str

    async def chat(self, body: JSON, *, timeout: float) -> ChatResponse:
        """Send a chat request and return the whole answer, within ``timeout`` seconds."""
        ...

    def stream(self, body: JSON, *, timeout: float) -> AsyncIterator[ChatChunk]:
        """Stream the answer; ``timeout`` bounds the wait for the first and each next chunk.

        Ends normally only when the upstream signalled the end of the answer; a stream that
        stops early raises ``UpstreamError(kind="truncated")``.
        """
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
