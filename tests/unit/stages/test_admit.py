import pytest

from seawall.core.errors import InvalidRequest
from seawall.stages.admit import parse_chat_request

OK = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}


def test_accepts_and_keeps_unknown_fields() -> None:
    req = parse_chat_request({**OK, "seed": 3, "x_vendor": {"a": 1}}, max_messages=10)
    assert req.model == "chat"
    assert not req.stream
    assert req.upstream_body()["x_vendor"] == {"a": 1}
    assert (
        "stream" not in parse_chat_request({**OK, "stream": True}, max_messages=10).upstream_body()
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ([1, 2], None),
        ({"messages": OK["messages"]}, "model"),
        ({"model": 3, "messages": OK["messages"]}, "model"),
        ({"model": "chat"}, "messages"),
        ({"model": "chat", "messages": []}, "messages"),
        ({"model": "chat", "messages": "hi"}, "messages"),
        ({"model": "chat", "messages": ["hi"]}, "messages[0]"),
        ({"model": "chat", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"model": "chat", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({**OK, "stream": "yes"}, "stream"),
        ({**OK, "response_format": {"type": "xml"}}, "response_format"),
        (
            {**OK, "response_format": {"type": "json_schema", "json_schema": 1}},
            "response_format.json_schema",
        ),
    ],
)
def test_rejects_with_the_field_named(body: object, param: str | None) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_chat_request(body, max_messages=10)
    assert info.value.param == param
    assert info.value.status_code == 400


def test_message_count_limit() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}] * 11}
    with pytest.raises(InvalidRequest, match="at most 10"):
        parse_chat_request(body, max_messages=10)
