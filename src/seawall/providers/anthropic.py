"""The Anthropic Messages API, spoken to on behalf of OpenAI-style callers."""

from __future__ import annotations

from collections.abc import AsyncIterator

from seawall.core.errors import InvalidRequest, UpstreamRejected
from seawall.core.types import JSON, ChatChunk, ChatResponse
from seawall.providers import classify
from seawall.providers.anthropic_stream import StreamTranslator
from seawall.providers.anthropic_translate import from_messages_response, to_messages_request
from seawall.providers.transport import HttpTransport, decode_event


class AnthropicUpstream:
    """One Messages API endpoint; ``api_key`` is the resolved secret."""

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str | None,
        version: str,
        default_max_tokens: int,
        max_connections: int,
    ) -> None:
        self.name = name
        self._url = base_url.rstrip("/") + "/v1/messages"
        self._default_max_tokens = default_max_tokens
        headers = {"anthropic-version": version}
        if api_key:
            headers["x-api-key"] = api_key
        self._http = HttpTransport(headers, max_connections)

    def __repr__(self) -> str:
        # Never the headers: they carry the key.
        return f"AnthropicUpstream(name={self.name!r}, url={self._url!r})"

    async def chat(self, body: JSON, *, timeout: float) -> ChatResponse:
        request = self._request(body)
        answer = await self._http.post_json(self._url, request, timeout_s=timeout)
        try:
            return ChatResponse.from_openai(from_messages_response(answer, _model(body)))
        except ValueError as exc:
            raise classify.malformed(str(exc)) from exc

    async def stream(self, body: JSON, *, timeout: float) -> AsyncIterator[ChatChunk]:
        request = self._request(body)
        request["stream"] = True
        translator = StreamTranslator(_model(body))
        async with self._http.post_sse(self._url, request, timeout_s=timeout) as events:
            async for event in events:
                for chunk in _translate(translator, event.data):
                    yield ChatChunk.from_openai(chunk)
                if translator.done:
                    return
        raise classify.truncated("the stream ended without message_stop")

    def _request(self, body: JSON) -> JSON:
        try:
            return to_messages_request(body, self._default_max_tokens)
        except InvalidRequest as exc:
            # A request this target cannot express is this target's refusal, like an upstream
            # 400: final here, but the fallback chain may still try a target that can.
            raise UpstreamRejected(exc.message, upstream_status=400) from exc

    async def aclose(self) -> None:
        await self._http.aclose()


def _translate(translator: StreamTranslator, data: bytes) -> list[JSON]:
    try:
        return translator.feed(decode_event(data))
    except ValueError as exc:
        raise classify.malformed(str(exc)) from exc


def _model(body: JSON) -> str:
    model = body.get("model")
    return model if isinstance(model, str) else ""
