"""The HTTP simulator over real loopback: both dialects, streams, faults and control endpoints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from helpers.servers import start_sim_server
from seawall.config import SimSettings
from seawall.sim import SimEngine

CHAT: dict[str, Any] = {"model": "gpt-sim", "messages": [{"role": "user", "content": "Hello?"}]}
MESSAGES: dict[str, Any] = {
    "model": "claude-sim",
    "system": "Be brief.",
    "max_tokens": 512,
    "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello?"}]}],
}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with start_sim_server(SimSettings(seed=1)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=5.0) as http:
        yield http
        # Every test starts from a healthy simulator, whatever it switched on.
        http.post("/sim/faults", json={}).raise_for_status()
        http.post("/sim/outage", json={"seconds": 0}).raise_for_status()


def set_faults(client: httpx.Client, **faults: Any) -> None:
    client.post("/sim/faults", json=faults).raise_for_status()


def sse_data(response: httpx.Response) -> list[str]:
    return [line[6:] for line in response.iter_lines() if line.startswith("data: ")]


def sse_events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    lines = [line for line in response.iter_lines() if line]
    names = [line[7:] for line in lines if line.startswith("event: ")]
    data = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    return list(zip(names, data, strict=True))


# --------------------------------------------------------------------------- basics


def test_health_and_models(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "simulator": True}
    models = client.get("/v1/models").json()
    assert models["object"] == "list"
    assert models["data"][0]["owned_by"] == "seawall-sim"


def test_openai_completion(client: httpx.Client) -> None:
    response = client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 200
    assert response.headers["x-simulator"] == "seawall-sim"
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "gpt-sim"
    assert body["system_fingerprint"] == "seawall-sim"
    assert body["choices"][0]["finish_reason"] == "stop"
    expected = SimEngine(SimSettings(seed=1)).decide(CHAT).text
    assert body["choices"][0]["message"] == {"role": "assistant", "content": expected}
    assert body["usage"]["total_tokens"] > 10


def test_openai_stream(client: httpx.Client) -> None:
    whole = client.post("/v1/chat/completions", json=CHAT).json()["choices"][0]["message"]
    body = {**CHAT, "stream": True, "stream_options": {"include_usage": True}}
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        data = sse_data(response)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == whole["content"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] > 10


def test_openai_sdk_reads_the_simulator(base_url: str) -> None:
    sdk = openai.OpenAI(base_url=f"{base_url}/v1", api_key="sim", max_retries=0)
    completion = sdk.chat.completions.create(model="gpt-sim", messages=CHAT["messages"])
    assert completion.system_fingerprint == "seawall-sim"
    stream = sdk.chat.completions.create(model="gpt-sim", messages=CHAT["messages"], stream=True)
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert streamed == completion.choices[0].message.content
    sdk.close()


def test_invalid_body_is_a_400(client: httpx.Client) -> None:
    response = client.post("/v1/chat/completions", content=b"{nope")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert client.post("/v1/messages", json={"model": "x"}).json()["type"] == "error"


# --------------------------------------------------------------------------- Anthropic dialect


def test_anthropic_message(client: httpx.Client) -> None:
    body = client.post("/v1/messages", json=MESSAGES).json()
    assert body["type"] == "message"
    assert body["role"] == "assistant"
    assert body["model"] == "claude-sim"
    assert body["id"].startswith("msg_sim_")
    assert body["stop_reason"] == "end_turn"
    assert body["content"][0]["type"] == "text"
    assert body["content"][0]["text"].startswith('Regarding "Hello?"')
    assert body["usage"]["input_tokens"] == 4  # "Be brief." + "Hello?": 15 chars, ~4 a token
    assert body["usage"]["output_tokens"] > 10


def test_anthropic_stream(client: httpx.Client) -> None:
    whole = client.post("/v1/messages", json=MESSAGES).json()["content"][0]["text"]
    with client.stream("POST", "/v1/messages", json={**MESSAGES, "stream": True}) as response:
        events = sse_events(response)
    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert all(data["type"] == name for name, data in events)
    text = "".join(d["delta"]["text"] for n, d in events if n == "content_block_delta")
    assert text == whole
    delta = events[-2][1]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert delta["usage"]["output_tokens"] > 10


def test_anthropic_max_tokens_stop_reason(client: httpx.Client) -> None:
    body = client.post("/v1/messages", json={**MESSAGES, "max_tokens": 2}).json()
    assert body["stop_reason"] == "max_tokens"
    assert len(body["content"][0]["text"]) == 8


@pytest.mark.parametrize(
    ("fault", "status", "kind"),
    [
        ("rate_429", 429, "rate_limit_error"),
        ("rate_500", 500, "api_error"),
        ("rate_503", 529, "overloaded_error"),
    ],
)
def test_anthropic_errors(client: httpx.Client, fault: str, status: int, kind: str) -> None:
    set_faults(client, **{fault: 1.0})
    response = client.post("/v1/messages", json=MESSAGES)
    assert response.status_code == status
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == kind


def test_anthropic_truncated_stream_never_stops(client: httpx.Client) -> None:
    set_faults(client, rate_truncated=1.0)
    with client.stream("POST", "/v1/messages", json={**MESSAGES, "stream": True}) as response:
        names = [name for name, _ in sse_events(response)]
    assert "content_block_delta" in names
    assert "message_stop" not in names


# --------------------------------------------------------------------------- faults over HTTP


def test_429_sends_retry_after(client: httpx.Client) -> None:
    set_faults(client, rate_429=1.0, retry_after_s=2)
    response = client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"


@pytest.mark.parametrize(("fault", "status"), [("rate_500", 500), ("rate_503", 503)])
def test_server_errors_have_an_openai_body(client: httpx.Client, fault: str, status: int) -> None:
    set_faults(client, **{fault: 1.0})
    response = client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == status
    assert response.json()["error"]["type"] == "server_error"


def test_connect_drops_the_connection(client: httpx.Client) -> None:
    set_faults(client, rate_connect=1.0)
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.post("/v1/chat/completions", json=CHAT)


def test_hang_never_answers(client: httpx.Client) -> None:
    set_faults(client, rate_hang=1.0)
    with pytest.raises(httpx.ReadTimeout):
        client.post("/v1/chat/completions", json=CHAT, timeout=0.2)
    assert client.get("/sim/stats").json()["hang"] >= 1


def test_malformed_is_a_200_that_is_not_json(client: httpx.Client) -> None:
    set_faults(client, rate_malformed=1.0)
    response = client.post("/v1/chat/completions", json=CHAT)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_empty_is_a_200_with_empty_content(client: httpx.Client) -> None:
    set_faults(client, rate_empty=1.0)
    body = client.post("/v1/chat/completions", json=CHAT).json()
    assert body["choices"][0]["message"]["content"] == ""


def test_truncated_completion_has_finish_length(client: httpx.Client) -> None:
    set_faults(client, rate_truncated=1.0)
    body = client.post("/v1/chat/completions", json=CHAT).json()
    assert body["choices"][0]["finish_reason"] == "length"


def test_truncated_stream_ends_without_done(client: httpx.Client) -> None:
    set_faults(client, rate_truncated=1.0)
    with client.stream("POST", "/v1/chat/completions", json={**CHAT, "stream": True}) as response:
        assert response.headers["connection"] == "close"
        data = sse_data(response)
    assert "[DONE]" not in data
    chunks = [json.loads(d) for d in data]
    assert len(chunks) > 1
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks)


# --------------------------------------------------------------------------- control endpoints


def test_outage_switch(client: httpx.Client) -> None:
    state = client.post("/sim/outage", json={"seconds": None}).json()
    assert state["outage_active"] is True
    assert client.post("/v1/chat/completions", json=CHAT).status_code == 503
    assert client.post("/v1/messages", json=MESSAGES).status_code == 529
    assert client.post("/sim/outage", json={"seconds": 0}).json()["outage_active"] is False
    assert client.post("/v1/chat/completions", json=CHAT).status_code == 200
    assert client.get("/sim/stats").json()["outage"] >= 2


def test_faults_endpoint_replaces_and_reports(client: httpx.Client) -> None:
    set_faults(client, rate_500=0.5)
    assert client.get("/sim/faults").json()["rate_500"] == 0.5
    set_faults(client)
    assert client.get("/sim/faults").json()["rate_500"] == 0.0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sim/faults", {"rate_500": 2}),
        ("/sim/faults", {"unknown": 1}),
        ("/sim/outage", {"seconds": "soon"}),
    ],
)
def test_control_rejects_bad_input(client: httpx.Client, path: str, body: Any) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 400
    assert "error" in response.json()


def test_stats_count_calls(client: httpx.Client) -> None:
    before = client.get("/sim/stats").json()
    client.post("/v1/chat/completions", json=CHAT)
    after = client.get("/sim/stats").json()
    assert after["calls"] == before["calls"] + 1
    assert after["ok"] == before["ok"] + 1


def test_malformed_stream_sends_broken_json(client: httpx.Client) -> None:
    set_faults(client, rate_malformed=1.0)
    with client.stream("POST", "/v1/chat/completions", json={**CHAT, "stream": True}) as response:
        data = sse_data(response)
    assert response.status_code == 200
    assert "[DONE]" not in data
    with pytest.raises(json.JSONDecodeError):
        json.loads(data[0])
