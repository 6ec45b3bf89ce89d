"""OpenAI ``chat.completion`` shapes for a simulated outcome, labelled as the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from seawall.core.types import JSON
from seawall.sim.engine import SimOutcome

FINGERPRINT = "seawall-sim"
"""``system_fingerprint`` of every simulated answer: a simulator is never mistaken for a model."""

MALFORMED = b'{"id": "chatcmpl-x", "choices": ['
"""What a broken upstream sends instead of JSON (cut off mid-document)."""


def completion(outcome: SimOutcome, model: str) -> JSON:
    """A whole ``chat.completion`` body."""
    return {
        "id": f"chatcmpl-sim-{outcome.call_id}",
        "object": "chat.completion",
        "created": outcome.created,
        "model": model,
        "system_fingerprint": FINGERPRINT,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": outcome.text},
                "logprobs": None,
                "finish_reason": outcome.finish_reason,
            }
        ],
        "usage": outcome.usage.as_openai(),
    }


def chunks(outcome: SimOutcome, model: str, *, include_usage: bool) -> Iterator[tuple[float, JSON]]:
    """``(wait_s, chunk)`` pairs of a streamed answer; stops early, without a finish, when
    the outcome is a truncated stream (the consumer then fails the stream its own way)."""
    head = {
        "id": f"chatcmpl-sim-{outcome.call_id}",
        "object": "chat.completion.chunk",
        "created": outcome.created,
        "model": model,
        "system_fingerprint": FINGERPRINT,
    }
    yield outcome.latency_s, _chunk(head, {"role": "assistant", "content": ""}, None)
    for index, piece in enumerate(outcome.pieces):
        yield (outcome.chunk_s if index else 0.0), _chunk(head, {"content": piece}, None)
    if outcome.fault == "truncated":
        return
    yield outcome.chunk_s, _chunk(head, {}, outcome.finish_reason)
    if include_usage:
        yield 0.0, {**head, "choices": [], "usage": outcome.usage.as_openai()}


def _chunk(head: JSON, delta: JSON, finish: str | None) -> JSON:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    return {**head, "choices": [choice]}


def wants_usage(body: JSON) -> bool:
    options: Any = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def error(message: str, *, kind: str, code: str | None = None) -> JSON:
    """An OpenAI error body (``kind`` is the ``type`` field)."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
