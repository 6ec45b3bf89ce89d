"""The in-process simulator provider: answers, classified faults, streams and timeouts."""

from __future__ import annotations

import time
from typing import Any

import pytest

from seawall.config import SimFaults, SimLatency, SimSettings
from seawall.core.errors import UpstreamError, UpstreamTimeout
from seawall.core.types import ChatChunk
from seawall.providers.base import Provider
from seawall.providers.sim import SimUpstream
from seawall.sim import SimEngine, split_pieces

BODY: dict[str, Any] = {"model": "gpt-sim", "messages": [{"role": "user", "content": "Hello?"}]}


def upstream(**faults: Any) -> SimUpstream:
    return SimUpstream("sim", SimSettings(faults=SimFaults(**faults)))


def expected_answer() -> str:
    return SimEngine(SimSettings()).decide(BODY).text


async def collect(
    provider: Provider,
    body: dict[str, Any],
    timeout: float = 1.0,
    into: list[ChatChunk] | None = None,
) -> list[ChatChunk]:
    """Drain a stream; ``into`` keeps what arrived before an error."""
    received = [] if into is None else into
    async for chunk in provider.stream(body, timeout=timeout):
        received.append(chunk)
    return received


# --------------------------------------------------------------------------- chat


async def test_chat_answers_in_the_openai_shape() -> None:
    provider: Provider = upstream()
    response = await provider.chat(BODY, timeout=1.0)
    assert response.content == expected_answer()
    assert response.finish_reason == "stop"
    assert response.body["model"] == "gpt-sim"
    assert response.body["object"] == "chat.completion"
    assert response.body["id"].startswith("chatcmpl-sim-")
    assert response.body["system_fingerprint"] == "seawall-sim"
    assert response.usage.prompt_tokens == 2
    assert response.usage.completion_tokens > 10
    await provider.aclose()


@pytest.mark.parametrize(
    ("fault", "kind", "status"),
    [
        ("rate_500", "http_5xx", 500),
        ("rate_503", "http_5xx", 503),
        ("rate_connect", "connect", None),
        ("rate_malformed", "malformed", 200),
    ],
)
async def test_faults_raise_classified_errors(fault: str, kind: str, status: int | None) -> None:
    with pytest.raises(UpstreamError) as caught:
        await upstream(**{fault: 1.0}).chat(BODY, timeout=1.0)
    assert (caught.value.kind, caught.value.upstream_status) == (kind, status)
    assert caught.value.retryable


async def test_429_carries_retry_after() -> None:
    with pytest.raises(UpstreamError) as caught:
        await upstream(rate_429=1.0, retry_after_s=1.5).chat(BODY, timeout=1.0)
    error = caught.value
    assert (error.kind, error.retryable, error.upstream_status) == ("http_429", True, 429)
    assert error.retry_after == 1.5


async def test_malformed_says_invalid_json() -> None:
    with pytest.raises(UpstreamError, match="invalid JSON"):
        await upstream(rate_malformed=1.0).chat(BODY, timeout=1.0)


async def test_outage_is_a_retryable_503() -> None:
    provider = upstream()
    provider.engine.set_outage(None)
    with pytest.raises(UpstreamError) as caught:
        await provider.chat(BODY, timeout=1.0)
    assert (caught.value.kind, caught.value.upstream_status) == ("http_5xx", 503)
    provider.engine.set_outage(0)
    assert (await provider.chat(BODY, timeout=1.0)).content


async def test_empty_is_returned_not_raised() -> None:
    response = await upstream(rate_empty=1.0).chat(BODY, timeout=1.0)
    assert response.content == ""
    assert response.finish_reason == "stop"


async def test_truncated_answer_is_cut_with_finish_length() -> None:
    response = await upstream(rate_truncated=1.0).chat(BODY, timeout=1.0)
    full = expected_answer()
    assert response.content == full[: len(full) // 2]
    assert response.finish_reason == "length"


async def test_hang_is_cut_at_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout) as caught:
        await upstream(rate_hang=1.0).chat(BODY, timeout=0.05)
    assert time.monotonic() - started >= 0.05  # a lower bound only: the wait is never short
    assert (caught.value.kind, caught.value.retryable) == ("timeout", True)


async def test_latency_beyond_the_timeout_times_out() -> None:
    provider = SimUpstream("sim", SimSettings(latency=SimLatency(fixed_ms=10_000)))
    with pytest.raises(UpstreamTimeout):
        await provider.chat(BODY, timeout=0.05)


async def test_latency_within_the_timeout_is_waited() -> None:
    provider = SimUpstream("sim", SimSettings(latency=SimLatency(fixed_ms=20)))
    started = time.monotonic()
    await provider.chat(BODY, timeout=1.0)
    assert time.monotonic() - started >= 0.02


# --------------------------------------------------------------------------- streams


async def test_stream_chunks_rebuild_the_answer() -> None:
    chunks = await collect(upstream(), BODY)
    assert chunks[0].body["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c.body["object"] == "chat.completion.chunk" for c in chunks)
    text_chunks = [c.text for c in chunks if c.text]
    assert text_chunks == split_pieces(expected_answer())
    assert chunks[-1].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)


async def test_stream_reports_usage_when_asked() -> None:
    body = {**BODY, "stream_options": {"include_usage": True}}
    last = (await collect(upstream(), body))[-1]
    assert last.body["choices"] == []
    assert last.usage is not None
    assert last.usage.completion_tokens > 10


async def test_truncated_stream_raises_after_about_half() -> None:
    received: list[ChatChunk] = []
    with pytest.raises(UpstreamError) as caught:
        await collect(upstream(rate_truncated=1.0), BODY, into=received)
    assert (caught.value.kind, caught.value.retryable) == ("truncated", True)
    pieces = split_pieces(expected_answer())
    assert len([c for c in received if c.text]) == len(pieces) // 2
    assert all(c.finish_reason is None for c in received)


async def test_stream_error_comes_before_any_chunk() -> None:
    received: list[ChatChunk] = []
    with pytest.raises(UpstreamError) as caught:
        await collect(upstream(rate_429=1.0), BODY, into=received)
    assert caught.value.kind == "http_429"
    assert received == []


async def test_empty_stream_finishes_without_text() -> None:
    chunks = await collect(upstream(rate_empty=1.0), BODY)
    assert "".join(c.text for c in chunks) == ""
    assert chunks[-1].finish_reason == "stop"


async def test_stream_hang_is_cut_at_the_timeout() -> None:
    with pytest.raises(UpstreamTimeout):
        await collect(upstream(rate_hang=1.0), BODY, timeout=0.05)


async def test_slow_chunks_time_out_mid_stream() -> None:
    provider = SimUpstream("sim", SimSettings(latency=SimLatency(chunk_ms=10_000)))
    received: list[ChatChunk] = []
    with pytest.raises(UpstreamTimeout):
        await collect(provider, BODY, timeout=0.05, into=received)
    assert [c.text for c in received] == ["", split_pieces(expected_answer())[0]]
