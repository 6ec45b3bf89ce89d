"""The official OpenAI Python SDK against the running gateway: unchanged client code works."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import orjson
import pytest

from helpers.gateway import Gateway, start_gateway

CONFIG = """
server: {max_body_bytes: 20000}
providers:
  main: {kind: sim, sim: {seed: 1, latency: {ttft_ms: 20, chunk_ms: 1}, scenarios: [
    {match: "(?i)broken", reply_json: {city: "Oslo", temp_c: 4}, wrong_field: temp_c, wrong_rate: 1.0},
    {match: "(?i)weather", reply_json: {city: "Oslo", temp_c: 4}}]}}
  dead: {kind: sim, sim: {faults: {outage: true}}}
  hangs: {kind: sim, sim: {faults: {rate_hang: 1.0}}}
  cuts: {kind: sim, sim: {faults: {rate_truncated: 1.0}}}
models:
  chat:
    targets: [{provider: main, model: gpt-4o-mini}]
  down:
    targets: [{provider: dead, model: x}]
    retry: {max_attempts: 1}
  slow:
    targets: [{provider: hangs, model: x}]
    timeout: {attempt_s: 0.2, deadline_s: 0.5}
    retry: {max_attempts: 1}
  soft:
    targets: [{provider: dead, model: x}]
    retry: {max_attempts: 1}
    degrade: {message: "We are busy; try again soon."}
  weather:
    targets: [{provider: main, model: gpt-4o-mini}]
    validation:
      json_schema: {type: object, required: [city, temp_c], properties: {city: {type: string}, temp_c: {type: integer}}}
  cut:
    targets: [{provider: cuts, model: x}]
  failover:
    targets: [{provider: dead, model: x}, {provider: main, model: gpt-4o-mini}]
    retry: {max_attempts: 1}
"""

USER = [{"role": "user", "content": "Tell me something nice."}]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with start_gateway(CONFIG, tmp_path_factory.mktemp("sdk")) as gw:
        yield gw


@pytest.fixture
def client(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.v1, api_key="unused-in-open-mode", max_retries=0)


def test_plain_call(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="chat", messages=USER)  # type: ignore[arg-type]
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens > 0
    assert len(raw.headers["x-seawall-trace-id"]) == 32
    assert raw.headers["x-seawall-upstream"] == "main/gpt-4o-mini"
    assert raw.headers["x-seawall-attempts"] == "1"
    assert float(raw.headers["x-seawall-overhead-ms"]) >= 0


def test_models_are_listed(client: openai.OpenAI) -> None:
    assert {"chat", "weather", "failover"} <= {m.id for m in client.models.list()}


def test_streamed_call_with_usage(client: openai.OpenAI) -> None:
    plain = client.chat.completions.create(model="chat", messages=USER)  # type: ignore[arg-type]
    stream = client.chat.completions.create(
        model="chat",
        messages=USER,  # type: ignore[arg-type]
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage, finish = "", None, None
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
            finish = chunk.choices[0].finish_reason or finish
        usage = chunk.usage or usage
    assert text == plain.choices[0].message.content, "the simulator is deterministic per request"
    assert finish == "stop"
    assert usage is not None
    assert usage.completion_tokens > 0


def test_json_schema_output(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="chat",
        messages=[{"role": "user", "content": "weather please"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "w", "schema": {"type": "object", "required": ["city"]}},
        },
    )
    assert orjson.loads(completion.choices[0].message.content or "") == {
        "city": "Oslo",
        "temp_c": 4,
    }


def test_model_policy_schema_reasks_then_fails_as_output_invalid(client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(
            model="weather", messages=[{"role": "user", "content": "broken weather"}]
        )
    assert info.value.status_code == 502
    assert info.value.code == "output_invalid"
    assert "does not match the required schema" in info.value.message


async def test_output_invalid_record_shows_the_reask(gateway: Gateway) -> None:
    client = openai.AsyncOpenAI(base_url=gateway.v1, api_key="x", max_retries=0)
    with pytest.raises(openai.InternalServerError) as info:
        await client.chat.completions.create(
            model="weather", messages=[{"role": "user", "content": "broken weather"}]
        )
    record = await _record_of(gateway, info.value.response.headers["x-seawall-trace-id"])
    assert record.validation == "invalid"
    assert record.error_code == "output_invalid"
    assert [a.purpose for a in record.attempts] == ["call", "reask"]


def test_unknown_model_is_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-99", messages=USER)  # type: ignore[arg-type]
    assert info.value.code == "invalid_request"
    assert "chat" in info.value.message, "the error lists the models that exist"


def test_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="chat", messages=[])
    assert info.value.code == "invalid_request"
    assert info.value.param == "messages"


def test_body_too_large(client: openai.OpenAI) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(
            model="chat", messages=[{"role": "user", "content": "x" * 30_000}]
        )
    assert info.value.status_code == 413
    assert info.value.code == "invalid_request"


def test_upstream_unavailable(client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="down", messages=USER)  # type: ignore[arg-type]
    assert info.value.status_code == 502
    assert info.value.code == "upstream_unavailable"
    assert "dead/x" in info.value.message, "the error names the failed target"
    assert info.value.response.headers["x-seawall-trace-id"]


def test_upstream_timeout(client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="slow", messages=USER)  # type: ignore[arg-type]
    assert info.value.status_code == 504
    assert info.value.code == "upstream_timeout"


def test_degraded_answer_is_explicit(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="soft", messages=USER)  # type: ignore[arg-type]
    assert raw.headers["x-seawall-degraded"] == "true"
    assert raw.parse().choices[0].message.content == "We are busy; try again soon."


def test_stream_falls_back_before_the_first_byte(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="failover", messages=USER, stream=True
    )  # type: ignore[arg-type]
    assert raw.headers["x-seawall-upstream"] == "main/gpt-4o-mini"
    text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    assert text


def test_mid_stream_failure_surfaces_in_the_sdk(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="cut", messages=USER, stream=True)  # type: ignore[arg-type]
    received: list[object] = []
    with pytest.raises(openai.APIError) as info:
        received.extend(stream)
    assert received, "some chunks arrived before the cut"
    assert info.value.code == "upstream_unavailable"
    assert "truncated" in info.value.message or "ended" in info.value.message


async def test_ttft_is_recorded_for_streams(gateway: Gateway) -> None:
    client = openai.AsyncOpenAI(base_url=gateway.v1, api_key="x", max_retries=0)
    raw = await client.chat.completions.with_raw_response.create(
        model="chat", messages=USER, stream=True
    )  # type: ignore[arg-type]
    async for _ in raw.parse():
        pass
    trace_id = raw.headers["x-seawall-trace-id"]
    record = await _record_of(gateway, trace_id)
    assert record.stream
    assert record.ttft_ms is not None
    assert 20.0 <= record.ttft_ms <= record.latency_ms


async def _record_of(gateway: Gateway, trace_id: str):  # type: ignore[no-untyped-def]
    # The gateway's loop owns the recorder; read through a separate store connection instead.
    import asyncio

    from seawall.store.calls import open_store

    store = await open_store(gateway.runtime.config.store.url)
    try:
        for _ in range(200):
            record = await store.get_call(trace_id)
            if record is not None:
                return record
            await asyncio.sleep(0.05)  # the writer flushes every 200 ms; poll, do not race
        raise AssertionError(f"record {trace_id} never reached the store")
    finally:
        await store.aclose()


def test_streamed_call_with_a_contract_is_validated_before_the_first_byte(
    client: openai.OpenAI,
) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="weather",
        messages=[{"role": "user", "content": "weather in Oslo"}],
        stream=True,
    )
    assert raw.headers["x-seawall-validation"] == "valid"
    text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    assert orjson.loads(text) == {"city": "Oslo", "temp_c": 4}
