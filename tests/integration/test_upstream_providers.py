"""The real HTTP providers against Seawall's simulator over loopback: answers, faults, pooling.

Every fault the simulator acts out on the wire must reach the pipeline as the right
``UpstreamError`` kind, for both dialects and for plain and streamed calls alike.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psutil  # type: ignore[import-untyped]
import pytest

from helpers.servers import serve_app, start_sim_server
from seawall.config import SimFaults, SimLatency, SimScenario, SimSettings
from seawall.core.errors import UpstreamError, UpstreamRejected, UpstreamTimeout
from seawall.core.types import JSON, ChatChunk
from seawall.providers.anthropic import AnthropicUpstream
from seawall.providers.base import Provider
from seawall.providers.openai import OpenAIUpstream
from seawall.sim.engine import SimEngine

BODY: JSON = {
    "model": "sim-model",
    "messages": [{"role": "user", "content": "Say hello to the pool"}],
}
TIMEOUT_S = 5.0
SHORT_TIMEOUT_S = 0.2


@pytest.fixture(scope="module")
def sim() -> Iterator[tuple[str, SimEngine]]:
    engine = SimEngine(SimSettings(seed=7))
    with start_sim_server(engine=engine) as base_url:
        yield base_url, engine


@pytest.fixture(autouse=True)
def _no_faults(sim: tuple[str, SimEngine]) -> Iterator[None]:
    yield
    sim[1].set_faults(SimFaults())


def _make(dialect: str, base_url: str, max_connections: int = 8) -> Provider:
    if dialect == "openai":
        return OpenAIUpstream(
            "sim-openai", f"{base_url}/v1", "sk-test", {"x-extra": "1"}, max_connections
        )
    return AnthropicUpstream(
        "sim-anthropic", base_url, "sk-ant-test", "2023-06-01", 256, max_connections
    )


@pytest.fixture(params=["openai", "anthropic"])
async def provider(
    request: pytest.FixtureRequest, sim: tuple[str, SimEngine]
) -> AsyncIterator[Provider]:
    upstream = _make(request.param, sim[0])
    yield upstream
    await upstream.aclose()


def _slow(*, chunk_ms: float, reply: str) -> SimSettings:
    # A short scripted reply keeps the server's side of an abandoned stream (and so its
    # shutdown) short.
    return SimSettings(
        latency=SimLatency(chunk_ms=chunk_ms), scenarios=[SimScenario(match="", reply=reply)]
    )


def _faults(sim: tuple[str, SimEngine], **rates: float) -> None:
    sim[1].set_faults(SimFaults.model_validate(rates))


async def _collect(provider: Provider, timeout: float = TIMEOUT_S) -> list[ChatChunk]:
    return [chunk async for chunk in provider.stream(BODY, timeout=timeout)]


async def _stream_error(provider: Provider, timeout: float = TIMEOUT_S) -> UpstreamError:
    with pytest.raises(UpstreamError) as caught:
        await _collect(provider, timeout)
    return caught.value


async def _chat_error(provider: Provider, timeout: float = TIMEOUT_S) -> UpstreamError:
    with pytest.raises(UpstreamError) as caught:
        await provider.chat(BODY, timeout=timeout)
    return caught.value


# --------------------------------------------------------------------------- answers


async def test_chat(provider: Provider) -> None:
    response = await provider.chat(BODY, timeout=TIMEOUT_S)
    assert response.content
    assert response.finish_reason == "stop"
    assert response.usage.prompt_tokens > 0
    assert response.usage.completion_tokens > 0
    assert response.body["object"] == "chat.completion"


async def test_stream(provider: Provider) -> None:
    whole = await provider.chat(BODY, timeout=TIMEOUT_S)
    chunks = await _collect(provider)
    assert "".join(c.text for c in chunks) == whole.content
    assert chunks[0].body["choices"][0]["delta"]["role"] == "assistant"
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]
    usage = chunks[-1].usage
    assert usage is not None
    assert usage.completion_tokens == whole.usage.completion_tokens


# --------------------------------------------------------------------------- faults


async def test_429_carries_retry_after(provider: Provider, sim: tuple[str, SimEngine]) -> None:
    _faults(sim, rate_429=1.0, retry_after_s=1.5)
    for error in (await _chat_error(provider), await _stream_error(provider)):
        assert (error.kind, error.retryable, error.upstream_status) == ("http_429", True, 429)
        assert error.retry_after == 1.5


@pytest.mark.parametrize(("rate", "statuses"), [("rate_500", {500}), ("rate_503", {503, 529})])
async def test_server_errors(
    provider: Provider, sim: tuple[str, SimEngine], rate: str, statuses: set[int]
) -> None:
    _faults(sim, **{rate: 1.0})
    for error in (await _chat_error(provider), await _stream_error(provider)):
        assert (error.kind, error.retryable) == ("http_5xx", True)
        assert error.upstream_status in statuses


async def test_dropped_connection_is_a_reset(
    provider: Provider, sim: tuple[str, SimEngine]
) -> None:
    _faults(sim, rate_connect=1.0)
    for error in (await _chat_error(provider), await _stream_error(provider)):
        assert (error.kind, error.retryable) == ("reset", True)


async def test_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for dialect in ("openai", "anthropic"):
        upstream = _make(dialect, f"http://127.0.0.1:{port}")
        try:
            for error in (await _chat_error(upstream), await _stream_error(upstream)):
                assert (error.kind, error.retryable) == ("connect", True)
        finally:
            await upstream.aclose()


async def test_hang_is_cut_at_the_timeout(provider: Provider, sim: tuple[str, SimEngine]) -> None:
    _faults(sim, rate_hang=1.0)
    for call in (_chat_error, _stream_error):
        started = time.monotonic()
        error = await call(provider, SHORT_TIMEOUT_S)
        assert isinstance(error, UpstreamTimeout)
        assert (error.kind, error.retryable) == ("timeout", True)
        assert time.monotonic() - started < SHORT_TIMEOUT_S + 0.5


async def test_malformed_json(provider: Provider, sim: tuple[str, SimEngine]) -> None:
    _faults(sim, rate_malformed=1.0)
    for error in (await _chat_error(provider), await _stream_error(provider)):
        assert (error.kind, error.retryable) == ("malformed", True)


async def test_truncated_stream(provider: Provider, sim: tuple[str, SimEngine]) -> None:
    _faults(sim, rate_truncated=1.0)
    error = await _stream_error(provider)
    assert (error.kind, error.retryable) == ("truncated", True)


async def test_bad_request_is_rejected(provider: Provider) -> None:
    with pytest.raises(UpstreamRejected) as caught:
        await provider.chat(
            {"model": "m", "messages": []} | {"messages": "not a list"}, timeout=TIMEOUT_S
        )
    assert caught.value.retryable is False


async def test_stalled_stream_times_out_between_chunks() -> None:
    with start_sim_server(_slow(chunk_ms=600, reply="Hello")) as base_url:
        for dialect in ("openai", "anthropic"):
            upstream = _make(dialect, base_url)
            chunks: list[ChatChunk] = []
            started = time.monotonic()
            try:
                with pytest.raises(UpstreamTimeout):
                    await _collect_into(chunks, upstream.stream(BODY, timeout=SHORT_TIMEOUT_S))
            finally:
                await upstream.aclose()
            assert chunks  # the first chunks came in time; the stall came after them
            assert time.monotonic() - started < 1.0


async def _collect_into(chunks: list[ChatChunk], stream: AsyncIterator[ChatChunk]) -> None:
    async for chunk in stream:
        chunks.append(chunk)


# --------------------------------------------------------------------------- scripted upstreams
# Wire shapes the simulator does not produce, served byte for byte.

Frame = bytes | float  # bytes to send, or seconds to pause


def _scripted(status: int, frames: list[Frame], content_type: bytes = b"text/event-stream") -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        headers = [(b"content-type", content_type)]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for frame in frames:
            if isinstance(frame, float):
                await asyncio.sleep(frame)
            else:
                await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


async def _against(
    dialect: str, app: Any, timeout: float = TIMEOUT_S
) -> tuple[UpstreamError, float]:
    """The error streaming from ``app`` ends in, and how long the stream took to fail."""
    with serve_app(app, lifespan="off") as base_url:
        upstream = _make(dialect, base_url)
        try:
            started = time.monotonic()
            error = await _stream_error(upstream, timeout)
            return error, time.monotonic() - started
        finally:
            await upstream.aclose()


async def test_openai_error_event_mid_stream() -> None:
    first = b'data: {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}\r\n\r\n'
    failure = b'data: {"error": {"message": "boom", "type": "server_error"}}\r\n\r\n'
    error, _ = await _against("openai", _scripted(200, [first, failure]))
    assert (error.kind, error.retryable) == ("http_5xx", True)
    assert "boom" in error.message


async def test_anthropic_error_event_mid_stream() -> None:
    start = b'event: message_start\ndata: {"type": "message_start", "message": {"id": "m"}}\n\n'
    failure = (
        b"event: error\n"
        b'data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    )
    error, _ = await _against("anthropic", _scripted(200, [start[:20], start[20:], failure]))
    assert (error.kind, error.retryable) == ("http_5xx", True)


async def test_anthropic_prompt_too_long_is_a_context_length_rejection() -> None:
    body = b'{"type": "error", "error": {"type": "invalid_request_error", "message": "prompt is too long: 250000 tokens > 200000 maximum"}}'
    error, _ = await _against("anthropic", _scripted(400, [body], b"application/json"))
    assert isinstance(error, UpstreamRejected)
    assert (error.kind, error.upstream_status) == ("context_length", 400)


async def test_keep_alive_comments_do_not_extend_the_idle_timeout() -> None:
    first = b'data: {"choices": [{"index": 0, "delta": {"content": "Hi"}}]}\n\n'
    frames: list[Frame] = [first, *[f for _ in range(10) for f in (0.05, b": keep-alive\n\n")]]
    error, elapsed = await _against("openai", _scripted(200, frames), timeout=0.2)
    assert isinstance(error, UpstreamTimeout)
    assert elapsed < 0.4  # comments kept coming every 50 ms until 0.5 s


# --------------------------------------------------------------------------- connections


def _client_ports(server_port: int) -> set[int]:
    connections = psutil.Process().net_connections(kind="tcp")
    return {c.laddr.port for c in connections if c.raddr and c.raddr.port == server_port}


@pytest.mark.parametrize("dialect", ["openai", "anthropic"])
async def test_sequential_calls_reuse_one_connection(
    dialect: str, sim: tuple[str, SimEngine]
) -> None:
    base_url = sim[0]
    server_port = int(base_url.rsplit(":", 1)[1])
    upstream = _make(dialect, base_url)
    seen: set[int] = set()
    try:
        for i in range(40):
            if i % 2:
                await upstream.chat(BODY, timeout=TIMEOUT_S)
            else:
                await _collect(upstream)
            seen |= _client_ports(server_port)
    finally:
        await upstream.aclose()
    assert len(seen) == 1


async def test_abandoned_stream_releases_its_connection(
    provider: Provider, sim: tuple[str, SimEngine]
) -> None:
    # One connection only: a leaked one would make every later call wait for the pool.
    upstream = _make("openai" if isinstance(provider, OpenAIUpstream) else "anthropic", sim[0], 1)
    try:
        for _ in range(3):
            chunks = upstream.stream(BODY, timeout=TIMEOUT_S)
            await anext(chunks)
            await chunks.aclose()  # type: ignore[attr-defined]
        assert (await upstream.chat(BODY, timeout=1.0)).content
    finally:
        await upstream.aclose()


async def test_cancelled_stream_releases_its_connection(sim: tuple[str, SimEngine]) -> None:
    with start_sim_server(_slow(chunk_ms=150, reply="a b c d e")) as base_url:
        upstream = _make("openai", base_url, 1)
        try:
            task = asyncio.create_task(_collect(upstream))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            first = upstream.stream(BODY, timeout=1.0)
            assert (await anext(first)).body["choices"][0]["delta"]["role"] == "assistant"
            await first.aclose()  # type: ignore[attr-defined]
        finally:
            await upstream.aclose()
