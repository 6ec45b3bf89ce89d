"""The OpenAI-compatible chat API (OpenAI, vLLM, Ollama, llama.cpp server, most hosted vendors)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from seawall.core.types import JSON, ChatChunk, ChatResponse
from seawall.providers import classify
from seawall.providers.transport import HttpTransport, decode_event

_DONE = b"[DONE]"


class OpenAIUpstream:
    """One OpenAI-compatible endpoint; ``api_key`` and ``headers`` hold resolved secrets."""

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str | None,
        headers: dict[str, str],
        max_connections: int,
    ) -> None:
        self.name = name
        self._url = base_url.rstrip("/") + "/chat/completions"
        sent = dict(headers)
        if api_key:
            sent["Authorization"] = f"Bearer {api_key}"
        self._http = HttpTransport(sent, max_connections)

    def __repr__(self) -> str:
        # Never the headers: they carry the key.
        return f"OpenAIUpstream(name={self.name!r}, url={self._url!r})"

    async def chat(self, body: JSON, *, timeout: float) -> ChatResponse:
        answer = await self._http.post_json(self._url, body, timeout_s=timeout)
        try:
            return ChatResponse.from_openai(answer)
        except ValueError as exc:
            raise classify.malformed(str(exc)) from exc

    async def stream(self, body: JSON, *, timeout: float) -> AsyncIterator[ChatChunk]:
        request = dict(body, stream=True, stream_options={"include_usage": True})
        async with self._http.post_sse(self._url, request, timeout_s=timeout) as events:
            async for event in events:
                if event.data == _DONE:
                    return
                yield _chunk(event.data)
        raise classify.truncated("the stream ended without [DONE]")

    async def aclose(self) -> None:
        await self._http.aclose()


def _chunk(data: bytes) -> ChatChunk:
    payload = decode_event(data)
    if "error" in payload:
        raise classify.error_for_stream_event(payload["error"])
    return ChatChunk.from_openai(payload)
