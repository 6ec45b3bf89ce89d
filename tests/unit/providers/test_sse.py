"""The SSE parser: events split anywhere across network chunks, both dialects' framings."""

from __future__ import annotations

import pytest

from seawall.providers.sse import SseEvent, SseParser

OPENAI = b'data: {"a":1}\n\ndata: {"a":2}\n\n: keep-alive\n\ndata: [DONE]\n\n'
ANTHROPIC = b'event: message_start\ndata: {"type":"message_start"}\n\nevent: ping\ndata: {"type": "ping"}\n\n'


def _parse(*chunks: bytes) -> list[SseEvent]:
    parser = SseParser()
    events = [event for chunk in chunks for event in parser.feed(chunk)]
    return events + parser.close()


def test_openai_framing() -> None:
    assert _parse(OPENAI) == [
        SseEvent("message", b'{"a":1}'),
        SseEvent("message", b'{"a":2}'),
        SseEvent("message", b"[DONE]"),
    ]


def test_anthropic_framing_keeps_event_names() -> None:
    assert _parse(ANTHROPIC) == [
        SseEvent("message_start", b'{"type":"message_start"}'),
        SseEvent("ping", b'{"type": "ping"}'),
    ]


@pytest.mark.parametrize("payload", [OPENAI, ANTHROPIC])
def test_every_split_point_gives_the_same_events(payload: bytes) -> None:
    whole = _parse(payload)
    for cut in range(1, len(payload)):
        assert _parse(payload[:cut], payload[cut:]) == whole


def test_byte_by_byte() -> None:
    assert _parse(*(OPENAI[i : i + 1] for i in range(len(OPENAI)))) == _parse(OPENAI)


def test_crlf_line_endings() -> None:
    assert _parse(OPENAI.replace(b"\n", b"\r\n")) == _parse(OPENAI)


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert _parse(b"data: one\ndata:two\n\n") == [SseEvent("message", b"one\ntwo")]


def test_comments_blank_lines_and_other_fields_give_nothing() -> None:
    assert _parse(b": hello\n\n\n\nid: 4\nretry: 10\n\n") == []


def test_event_name_resets_after_dispatch() -> None:
    events = _parse(b"event: a\ndata: 1\n\ndata: 2\n\n")
    assert [e.event for e in events] == ["a", "message"]


def test_last_event_without_blank_line_is_kept_when_its_line_is_whole() -> None:
    assert _parse(b"data: [DONE]\n") == [SseEvent("message", b"[DONE]")]


def test_half_received_line_at_end_is_dropped() -> None:
    assert _parse(b'data: {"a":1}\n\ndata: {"a"') == [SseEvent("message", b'{"a":1}')]
