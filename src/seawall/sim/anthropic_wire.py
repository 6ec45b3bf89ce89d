"""Anthropic Messages API shapes for a simulated outcome (requests in, messages and events out)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from seawall.core.types import JSON
from seawall.sim.answers import content_text
from seawall.sim.engine import SimOutcome

MALFORMED = b'{"id": "msg_x", "type": "message", "content": ['

_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens"}


def as_openai_request(body: JSON) -> JSON:
    """The OpenAI-style request the engine reads: the system prompt becomes the first message."""
    messages: Any = body.get("messages")
    out_messages = list(messages) if isinstance(messages, list) else []
    system = content_text(body.get("system"))
    if system:
        out_messages.insert(0, {"role": "system", "content": system})
    return {
        "model": body.get("model"),
        "messages": out_messages,
        "max_tokens": body.get("max_tokens"),
    }


def message(outcome: SimOutcome, model: str) -> JSON:
    """A whole Messages API response."""
    return {
        "id": f"msg_sim_{outcome.call_id}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": outcome.text}],
        "stop_reason": _STOP_REASONS.get(outcome.finish_reason, "end_turn"),
        "stop_sequence": None,
        "usage": {
            "input_tokens": outcome.prompt_tokens,
            "output_tokens": outcome.completion_tokens,
        },
    }


def events(outcome: SimOutcome, model: str) -> Iterator[tuple[float, str, JSON]]:
    """``(wait_s, event, data)`` of a streamed message; a truncated stream stops mid-block."""
    start = {**message(outcome, model), "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": outcome.prompt_tokens, "output_tokens": 1}
    yield outcome.latency_s, "message_start", {"type": "message_start", "message": start}
    block = {"type": "text", "text": ""}
    yield (
        0.0,
        "content_block_start",
        {"type": "content_block_start", "index": 0, "content_block": block},
    )
    for index, piece in enumerate(outcome.pieces):
        delta = {"type": "text_delta", "text": piece}
        data = {"type": "content_block_delta", "index": 0, "delta": delta}
        yield (outcome.chunk_s if index else 0.0), "content_block_delta", data
    if outcome.fault == "truncated":
        return
    yield outcome.chunk_s, "content_block_stop", {"type": "content_block_stop", "index": 0}
    stop = {
        "stop_reason": _STOP_REASONS.get(outcome.finish_reason, "end_turn"),
        "stop_sequence": None,
    }
    usage = {"output_tokens": outcome.completion_tokens}
    yield 0.0, "message_delta", {"type": "message_delta", "delta": stop, "usage": usage}
    yield 0.0, "message_stop", {"type": "message_stop"}


def error(kind: str, message: str) -> JSON:
    """An Anthropic error body; ``kind`` is e.g. ``overloaded_error`` or ``rate_limit_error``."""
    return {"type": "error", "error": {"type": kind, "message": message}}
