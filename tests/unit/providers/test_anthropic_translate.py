"""OpenAI chat ↔ Anthropic Messages translation, both ways, and the stream translator."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from seawall.core.errors import InvalidRequest, UpstreamError
from seawall.core.types import JSON, ChatChunk, ChatResponse
from seawall.providers.anthropic_stream import StreamTranslator
from seawall.providers.anthropic_translate import from_messages_response, to_messages_request


def _request(**fields: Any) -> JSON:
    body: JSON = {"model": "claude-x", "messages": [{"role": "user", "content": "hi"}]}
    body.update(fields)
    return body


# --------------------------------------------------------------------------- requests


def test_minimal_request_gets_default_max_tokens() -> None:
    assert to_messages_request(_request(), 512) == {
        "model": "claude-x",
        "max_tokens": 512,
        "messages": [{"role": "user", "content": "hi"}],
    }


def test_system_messages_are_joined_from_strings_and_parts() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Use English."}]},
        {"role": "user", "content": "hi"},
    ]
    out = to_messages_request(_request(messages=messages), 16)
    assert out["system"] == "Be brief.\n\nUse English."
    assert out["messages"] == [{"role": "user", "content": "hi"}]


def test_consecutive_same_role_messages_are_merged() -> None:
    messages = [
        {"role": "user", "content": "one"},
        {"role": "user", "content": [{"type": "text", "text": "two"}]},
        {"role": "assistant", "content": "three"},
    ]
    out = to_messages_request(_request(messages=messages), 16)
    assert out["messages"] == [
        {
            "role": "user",
            "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        },
        {"role": "assistant", "content": "three"},
    ]


def test_sampling_fields_are_translated() -> None:
    body = _request(
        max_tokens=100,
        max_completion_tokens=50,
        temperature=1.7,
        top_p=0.9,
        stop="END",
        user="u-1",
        seed=7,
        presence_penalty=0.5,
    )
    out = to_messages_request(body, 16)
    assert out["max_tokens"] == 50  # the newer field wins
    assert out["temperature"] == 1.0  # clamped to the Messages API's range
    assert out["top_p"] == 0.9
    assert out["stop_sequences"] == ["END"]
    assert out["metadata"] == {"user_id": "u-1"}
    assert "seed" not in out
    assert "presence_penalty" not in out


def test_stop_list_is_kept() -> None:
    out = to_messages_request(_request(stop=["a", "b"]), 16)
    assert out["stop_sequences"] == ["a", "b"]


def test_json_schema_response_format_becomes_a_system_instruction() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "r", "schema": schema}}
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    out = to_messages_request(_request(messages=messages, response_format=fmt), 16)
    first, instruction = out["system"].split("\n\n", 1)
    assert first == "Be brief."
    assert "JSON" in instruction
    assert orjson.dumps(schema).decode() in instruction
    assert "response_format" not in out


def test_json_object_response_format_without_system_prompt() -> None:
    out = to_messages_request(_request(response_format={"type": "json_object"}), 16)
    assert "JSON object" in out["system"]


def test_text_response_format_adds_nothing() -> None:
    out = to_messages_request(_request(response_format={"type": "text"}), 16)
    assert "system" not in out


def test_images_become_image_blocks() -> None:
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
    ]
    out = to_messages_request(_request(messages=[{"role": "user", "content": content}]), 16)
    blocks = out["messages"][0]["content"]
    assert blocks[1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"},
    }
    assert blocks[2] == {
        "type": "image",
        "source": {"type": "url", "url": "https://example.com/cat.jpg"},
    }


def test_tool_calls_and_results_round_trip_into_tool_blocks() -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
    }
    messages = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "rainy"},
        {"role": "user", "content": "thanks"},
    ]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "weather",
                "description": "Forecast",
                "parameters": {"type": "object"},
            },
        }
    ]
    body = _request(
        messages=messages, tools=tools, tool_choice="required", parallel_tool_calls=False
    )
    out = to_messages_request(body, 16)
    assert out["messages"][1] == {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "call_1", "name": "weather", "input": {"city": "Oslo"}}
        ],
    }
    assert out["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_1", "content": "rainy"},
            {"type": "text", "text": "thanks"},
        ],
    }
    assert out["tools"] == [
        {"name": "weather", "input_schema": {"type": "object"}, "description": "Forecast"}
    ]
    assert out["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}


def test_named_tool_choice() -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    choice = {"type": "function", "function": {"name": "f"}}
    out = to_messages_request(_request(tools=tools, tool_choice=choice), 16)
    assert out["tool_choice"] == {"type": "tool", "name": "f"}
    assert out["tools"][0]["input_schema"] == {"type": "object", "properties": {}}


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"audio": {"voice": "x"}}, "audio"),
        ({"modalities": ["text", "audio"]}, "modalities"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"response_format": {"type": "grammar"}}, "response_format"),
        ({"messages": "hi"}, "messages"),
        ({"messages": [{"role": "function", "content": "x"}]}, "messages[0].role"),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}
                ]
            },
            "messages[0].content[0].type",
        ),
        (
            {"messages": [{"role": "system", "content": [{"type": "image_url"}]}]},
            "messages[0].content[0]",
        ),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
        (
            {
                "messages": [
                    {
                        "role": "assistant",
                        "tool_calls": [
                            {"id": "c", "function": {"name": "f", "arguments": "{oops"}}
                        ],
                    }
                ]
            },
            "messages[0].tool_calls[0]",
        ),
        ({"tools": [{"type": "code_interpreter"}]}, "tools[0].type"),
    ],
)
def test_untranslatable_requests_name_the_field(fields: JSON, param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        to_messages_request(_request(**fields), 16)
    assert caught.value.param == param


# --------------------------------------------------------------------------- answers


def _message(**fields: Any) -> JSON:
    resp: JSON = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-x-2025",
        "content": [{"type": "text", "text": "Hello"}, {"type": "text", "text": " there"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 4},
    }
    resp.update(fields)
    return resp


def test_answer_becomes_a_chat_completion() -> None:
    out = from_messages_response(_message(), "claude-x")
    assert out["object"] == "chat.completion"
    assert out["id"] == "msg_1"
    assert out["model"] == "claude-x-2025"
    assert out["choices"][0]["message"] == {"role": "assistant", "content": "Hello there"}
    assert out["choices"][0]["finish_reason"] == "stop"
    response = ChatResponse.from_openai(out)
    assert response.content == "Hello there"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (10, 4)


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        (None, None),
    ],
)
def test_stop_reasons_map_to_finish_reasons(stop_reason: str | None, finish: str | None) -> None:
    out = from_messages_response(_message(stop_reason=stop_reason), "m")
    assert out["choices"][0]["finish_reason"] == finish


def test_cached_prompt_tokens_count_inside_prompt_tokens() -> None:
    usage = {
        "input_tokens": 10,
        "output_tokens": 3,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 5,
    }
    out = from_messages_response(_message(usage=usage), "m")
    assert out["usage"] == {
        "prompt_tokens": 115,
        "completion_tokens": 3,
        "total_tokens": 118,
        "prompt_tokens_details": {"cached_tokens": 100},
    }
    assert ChatResponse.from_openai(out).usage.cached_tokens == 100


def test_tool_use_blocks_become_tool_calls() -> None:
    content = [
        {"type": "thinking", "thinking": "hmm", "signature": "s"},
        {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
    ]
    out = from_messages_response(_message(content=content, stop_reason="tool_use"), "m")
    message = out["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"] == [
        {
            "id": "toolu_1",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city":"Oslo"}'},
        }
    ]


@pytest.mark.parametrize(
    "resp",
    [
        {"type": "message"},
        {"content": "text"},
        {"content": [{"type": "text", "text": 5}]},
        {"content": [{"type": "tool_use", "name": "f"}]},
    ],
)
def test_foreign_answers_raise_value_error(resp: JSON) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the provider maps any ValueError to malformed
        from_messages_response(resp, "m")


# --------------------------------------------------------------------------- streams


def _events(*texts: str, stop: str = "end_turn") -> list[JSON]:
    start = {
        "id": "msg_1",
        "model": "claude-x-2025",
        "usage": {"input_tokens": 9, "output_tokens": 1},
    }
    events: list[JSON] = [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "ping"},
    ]
    events += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}}
        for t in texts
    ]
    events += [
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 6}},
        {"type": "message_stop"},
    ]
    return events


def _run(events: list[JSON]) -> tuple[StreamTranslator, list[JSON]]:
    translator = StreamTranslator("claude-x", created=123)
    chunks = [chunk for event in events for chunk in translator.feed(event)]
    return translator, chunks


def test_stream_events_become_chunks_in_order() -> None:
    translator, chunks = _run(_events("Hel", "lo"))
    assert translator.done
    assert [c["choices"][0]["delta"] if c["choices"] else "usage" for c in chunks] == [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
        {"content": "lo"},
        {},
        "usage",
    ]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["prompt_tokens"] == 9
    assert chunks[-1]["usage"]["completion_tokens"] == 6
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(
        (c["id"], c["model"], c["created"]) == ("msg_1", "claude-x-2025", 123) for c in chunks
    )
    parsed = [ChatChunk.from_openai(c) for c in chunks]
    assert "".join(p.text for p in parsed) == "Hello"
    assert parsed[-1].usage is not None
    assert parsed[-1].usage.total_tokens == 15


def test_stream_without_message_stop_is_not_done() -> None:
    translator, chunks = _run(_events("Hel", "lo")[:-1])
    assert not translator.done
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_max_tokens_stop_gives_length() -> None:
    _, chunks = _run(_events("x", stop="max_tokens"))
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"


def test_streamed_tool_use_becomes_tool_call_deltas() -> None:
    tool_block = {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}
    events: list[JSON] = [
        {"type": "message_start", "message": {"id": "msg_2", "usage": {"input_tokens": 3}}},
        {"type": "content_block_start", "index": 1, "content_block": tool_block},
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"ci'},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": 'ty":1}'},
        },
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use"},
            "usage": {"output_tokens": 2},
        },
        {"type": "message_stop"},
    ]
    _, chunks = _run(events)
    calls = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks[1:4]]
    assert calls[0] == {
        "index": 0,
        "id": "toolu_1",
        "type": "function",
        "function": {"name": "weather", "arguments": ""},
    }
    assert "".join(c["function"]["arguments"] for c in calls) == '{"city":1}'
    assert chunks[4]["choices"][0]["finish_reason"] == "tool_calls"


def test_thinking_and_unknown_events_are_skipped() -> None:
    translator = StreamTranslator("m")
    thinking = {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "thinking_delta", "thinking": "x"},
    }
    assert translator.feed(thinking) == []
    assert translator.feed({"type": "some_future_event"}) == []
    assert translator.feed({"type": "ping"}) == []


def test_stream_error_event_raises_a_retryable_upstream_error() -> None:
    translator = StreamTranslator("m")
    event = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with pytest.raises(UpstreamError) as caught:
        translator.feed(event)
    assert caught.value.kind == "http_5xx"
    assert caught.value.retryable
    assert "overloaded_error" in caught.value.message


@pytest.mark.parametrize(
    "event",
    [
        {"type": "message_start"},
        {"type": "content_block_delta", "index": 0},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 3}},
        {
            "type": "content_block_delta",
            "index": 5,
            "delta": {"type": "input_json_delta", "partial_json": "{"},
        },
        {
            "type": "content_block_start",
            "content_block": {"type": "tool_use", "id": "t", "name": "f"},
        },
        {"type": "message_delta"},
    ],
)
def test_malformed_stream_events_raise_value_error(event: JSON) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the provider maps any ValueError to malformed
        StreamTranslator("m").feed(event)
