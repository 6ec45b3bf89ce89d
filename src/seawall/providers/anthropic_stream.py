"""Anthropic Messages stream events → OpenAI ``chat.completion.chunk`` dicts."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from seawall.core.types import JSON
from seawall.providers import classify
from seawall.providers.anthropic_translate import finish_reason, str_field, usage_from


class StreamTranslator:
    """Turns Messages API stream events into ``chat.completion.chunk`` dicts, one stream each.

    ``done`` turns true on ``message_stop``; a stream that ends before it was cut short.
    Events with no chat.completion counterpart (ping, thinking deltas, block stops) give
    nothing; unknown event types are skipped, as Anthropic asks of clients.
    """

    __slots__ = ("_created", "_finish", "_id", "_model", "_tools", "_usage", "done")

    def __init__(self, model: str, *, created: int | None = None) -> None:
        self.done = False
        self._id = ""
        self._model = model
        self._created = int(time.time()) if created is None else created
        self._usage: JSON = {}
        self._finish: str | None = None
        self._tools: dict[int, int] = {}  # content block index → tool call index

    def feed(self, event: JSON) -> list[JSON]:
        """The chunks one event becomes; ``ValueError`` on a malformed event."""
        kind = event.get("type")
        handler = _HANDLERS.get(kind) if isinstance(kind, str) else None
        return handler(self, event) if handler is not None else []

    def _message_start(self, event: JSON) -> list[JSON]:
        message = _member(event, "message")
        self._id = str(message.get("id") or "")
        self._model = str(message.get("model") or self._model)
        self._merge_usage(message.get("usage"))
        return [self._chunk({"role": "assistant", "content": ""})]

    def _block_start(self, event: JSON) -> list[JSON]:
        block = _member(event, "content_block")
        kind = block.get("type")
        if kind == "tool_use":
            index = self._tools[_index(event)] = len(self._tools)
            call = {"name": str_field(block, "name"), "arguments": ""}
            delta = {
                "index": index,
                "id": str_field(block, "id"),
                "type": "function",
                "function": call,
            }
            return [self._chunk({"tool_calls": [delta]})]
        if kind == "text" and block.get("text"):
            return [self._chunk({"content": str_field(block, "text")})]
        return []

    def _block_delta(self, event: JSON) -> list[JSON]:
        delta = _member(event, "delta")
        kind = delta.get("type")
        if kind == "text_delta":
            return [self._chunk({"content": str_field(delta, "text")})]
        if kind == "input_json_delta":
            tool = self._tools.get(_index(event))
            if tool is None:
                raise ValueError("input_json_delta for a block that is not a tool call")
            call = {"index": tool, "function": {"arguments": str_field(delta, "partial_json")}}
            return [self._chunk({"tool_calls": [call]})]
        return []

    def _message_delta(self, event: JSON) -> list[JSON]:
        self._finish = finish_reason(_member(event, "delta").get("stop_reason"))
        self._merge_usage(event.get("usage"))
        return [self._chunk({}, self._finish)]

    def _message_stop(self, event: JSON) -> list[JSON]:
        self.done = True
        return [self._envelope([], usage_from(self._usage))]

    def _error(self, event: JSON) -> list[JSON]:
        raise classify.error_for_stream_event(event.get("error"))

    def _ignore(self, event: JSON) -> list[JSON]:
        return []

    def _merge_usage(self, usage: Any) -> None:
        # Counts in later events are cumulative: the newest value wins.
        if isinstance(usage, dict):
            self._usage.update((k, v) for k, v in usage.items() if isinstance(v, int))

    def _chunk(self, delta: JSON, finish: str | None = None) -> JSON:
        return self._envelope([{"index": 0, "delta": delta, "finish_reason": finish}])

    def _envelope(self, choices: list[JSON], usage: JSON | None = None) -> JSON:
        chunk: JSON = {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": choices,
        }
        if usage is not None:
            chunk["usage"] = usage
        return chunk


_HANDLERS: dict[str, Callable[[StreamTranslator, JSON], list[JSON]]] = {
    "message_start": StreamTranslator._message_start,
    "content_block_start": StreamTranslator._block_start,
    "content_block_delta": StreamTranslator._block_delta,
    "content_block_stop": StreamTranslator._ignore,
    "message_delta": StreamTranslator._message_delta,
    "message_stop": StreamTranslator._message_stop,
    "ping": StreamTranslator._ignore,
    "error": StreamTranslator._error,
}


def _member(event: JSON, key: str) -> JSON:
    value = event.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"{event.get('type')} event has no '{key}' object")
    return value


def _index(event: JSON) -> int:
    value = event.get("index")
    if not isinstance(value, int):
        raise ValueError(f"{event.get('type')} event has no block index")
    return value
