"""Rate limits, the cache and routes over HTTP, as an app with the openai SDK sees them."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from helpers.gateway import Gateway, start_gateway

CONFIG = """
providers:
  sim: {kind: sim}
models:
  limited:
    targets: [{provider: sim, model: sim-small}]
    limits: {requests_per_min: 300, burst_s: 0.2}
  cached:
    targets: [{provider: sim, model: sim-small}]
    cache: {enabled: true, ttl_s: 600}
  cheap: {targets: [{provider: sim, model: sim-small}]}
  smart: {targets: [{provider: sim, model: sim-large}]}
routes:
  support:
    rules:
      - {model: smart, tags: [vip]}
      - {model: cheap}
"""

BODY = {"messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with start_gateway(CONFIG, tmp_path_factory.mktemp("traffic")) as gw:
        yield gw


def test_429_carries_an_exact_wait_that_the_sdk_honours(gateway: Gateway) -> None:
    # 300 a minute with a 0.2 s bucket: one call at once, then one every 200 ms.
    with httpx.Client(base_url=gateway.url) as http:
        statuses = [
            http.post("/v1/chat/completions", json={**BODY, "model": "limited"}) for _ in range(3)
        ]
    refused = next(r for r in statuses if r.status_code == 429)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.headers["retry-after"] == "1"
    assert 0 < int(refused.headers["retry-after-ms"]) <= 200
    client = openai.OpenAI(base_url=gateway.v1, api_key="none", max_retries=4)
    for _ in range(3):  # each waits as told, then gets through
        reply = client.chat.completions.create(model="limited", **BODY)
        assert reply.choices[0].message.content


def test_the_cache_answers_repeats_plain_and_streamed(gateway: Gateway) -> None:
    client = openai.OpenAI(base_url=gateway.v1, api_key="none", max_retries=0)
    ask = {
        "model": "cached",
        "messages": [{"role": "user", "content": "cache me"}],
        "temperature": 0,
    }
    first = client.chat.completions.with_raw_response.create(**ask)
    second = client.chat.completions.with_raw_response.create(**ask)
    assert first.headers["x-seawall-cache"] == "miss"
    assert second.headers["x-seawall-cache"] == "hit"
    assert second.http_response.content == first.http_response.content
    streamed = client.chat.completions.with_raw_response.create(**ask, stream=True)
    assert streamed.headers["x-seawall-cache"] == "hit"
    text = "".join(c.choices[0].delta.content or "" for c in streamed.parse() if c.choices)
    assert text == first.parse().choices[0].message.content
    bypass = client.chat.completions.with_raw_response.create(
        **ask, extra_headers={"x-seawall-cache": "bypass"}
    )
    assert "x-seawall-cache" not in bypass.headers


def test_a_bad_cache_header_is_a_clear_400(gateway: Gateway) -> None:
    response = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        json={**BODY, "model": "cached"},
        headers={"x-seawall-cache": "sometimes"},
    )
    assert response.status_code == 400
    assert "x-seawall-cache" in response.json()["error"]["message"]


def test_routes_show_their_choice(gateway: Gateway) -> None:
    client = openai.OpenAI(base_url=gateway.v1, api_key="none", max_retries=0)
    plain = client.chat.completions.with_raw_response.create(model="support", **BODY)
    vip = client.chat.completions.with_raw_response.create(
        model="support", **BODY, extra_headers={"x-seawall-tags": "vip, emea"}
    )
    assert plain.headers["x-seawall-route"] == "support:1:cheap"
    assert plain.headers["x-seawall-upstream"] == "sim/sim-small"
    assert vip.headers["x-seawall-route"] == "support:0:smart"
    assert vip.headers["x-seawall-upstream"] == "sim/sim-large"
