"""Bad input never crashes the gateway: each gets the documented 4xx in the OpenAI error shape."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers.gateway import Gateway, start_gateway

CONFIG = """
providers:
  main: {kind: sim}
models:
  chat:
    targets: [{provider: main, model: m}]
"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with start_gateway(CONFIG, tmp_path_factory.mktemp("bad")) as gw:
        yield gw


@pytest.fixture(scope="module")
def http(gateway: Gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=30) as client:
        yield client


def error_of(resp: httpx.Response) -> dict[str, object]:
    assert resp.headers["content-type"].startswith("application/json")
    error = resp.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("content", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"", 400, "not valid JSON"),
        (b"[1, 2, 3]", 400, "must be a JSON object"),
        (b'{"model": "chat"}', 400, "'messages' is required"),
        (b'{"model": "chat", "messages": {"role": "user"}}', 400, "non-empty array"),
        (b'{"model": 7, "messages": [{"role": "user", "content": "x"}]}', 400, "'model'"),
        (
            b'{"model": "chat", "messages": [{"role": "user", "content": "x"}], "stream": 1}',
            400,
            "'stream'",
        ),
        (
            b'{"model": "nope", "messages": [{"role": "user", "content": "x"}]}',
            404,
            "unknown model 'nope'",
        ),
        (b"\xff\xfe\x00garbage", 400, "not valid JSON"),
    ],
)
def test_bad_bodies(http: httpx.Client, content: bytes, status: int, fragment: str) -> None:
    resp = http.post(
        "/v1/chat/completions", content=content, headers={"content-type": "application/json"}
    )
    assert resp.status_code == status
    error = error_of(resp)
    assert error["code"] == "invalid_request"
    assert fragment in str(error["message"])


def test_twenty_megabyte_body_is_refused(http: httpx.Client) -> None:
    huge = (
        b'{"model": "chat", "messages": [{"role": "user", "content": "'
        + b"a" * (20 * 1024 * 1024)
        + b'"}]}'
    )
    resp = http.post("/v1/chat/completions", content=huge)
    assert resp.status_code == 413
    assert error_of(resp)["code"] == "invalid_request"


def test_chunked_body_over_the_limit_is_refused(http: httpx.Client) -> None:
    def parts() -> Iterator[bytes]:
        yield b'{"model": "chat", "messages": [{"role": "user", "content": "'
        for _ in range(5):
            yield b"a" * 1024 * 1024
        yield b'"}]}'

    resp = http.post("/v1/chat/completions", content=parts())
    assert resp.status_code == 413


def test_unknown_route_and_method(http: httpx.Client) -> None:
    assert error_of(http.get("/v1/nothing-here"))["code"] == "invalid_request"
    resp = http.get("/v1/chat/completions")
    assert resp.status_code == 405
    assert error_of(resp)["code"] == "invalid_request"


def test_unknown_fields_pass_through(http: httpx.Client) -> None:
    body = {
        "model": "chat",
        "messages": [{"role": "user", "content": "x"}],
        "x_custom": {"deep": [1]},
    }
    assert http.post("/v1/chat/completions", json=body).status_code == 200


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
messages = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "role": st.sampled_from(["user", "system", "assistant", "tool", "bogus"]) | json_values,
            "content": st.text(max_size=40) | json_values,
            "name": json_values,
        },
    )
    | json_values,
    max_size=4,
)
bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "model": st.sampled_from(["chat", "unknown"]) | json_values,
            "messages": messages | json_values,
            "stream": st.booleans() | json_values,
            "response_format": st.sampled_from(
                [
                    {"type": "json_object"},
                    {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}},
                    {"type": "text"},
                ]
            )
            | json_values,
            "temperature": json_values,
            "max_tokens": json_values,
        },
    )
    | json_values
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies)
def test_generated_bodies_never_produce_a_500(http: httpx.Client, body: object) -> None:
    resp = http.post("/v1/chat/completions", content=json.dumps(body))
    assert resp.status_code < 500, resp.text
    if resp.status_code >= 400:
        error_of(resp)
    elif "text/event-stream" not in resp.headers["content-type"]:
        assert resp.json()["choices"][0]["message"]["content"]
