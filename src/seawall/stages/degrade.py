"""Degrade: when every target failed, the configured deterministic answer or a named error."""

from __future__ import annotations

import time

import orjson

from seawall.config import DegradePolicy
from seawall.core.errors import OutputInvalid, SeawallError, UpstreamError, UpstreamRejected
from seawall.core.types import ChatResponse, Usage


def can_degrade(policy: DegradePolicy, error: SeawallError) -> bool:
    """A fixed answer stands in for a failed upstream or an invalid answer, never for a request
    that was refused (by the upstream, a guard, a limit) or malformed."""
    return policy.configured and can_stand_in(error)


def can_stand_in(error: SeawallError) -> bool:
    """May another answer (stale cache, degrade) stand in for a call that failed this way?"""
    if isinstance(error, UpstreamRejected):
        return False
    return isinstance(error, UpstreamError | OutputInvalid)


def degraded_response(policy: DegradePolicy, model: str, trace_id: str) -> ChatResponse:
    if policy.message is not None:
        content = policy.message
    else:
        content = orjson.dumps(policy.json_value).decode()
    return degraded_response_text(content, model, trace_id)


def degraded_response_text(content: str, model: str, trace_id: str) -> ChatResponse:
    """A complete ``chat.completion`` answering ``content``, made by Seawall, not a model."""
    body = {
        "id": f"chatcmpl-{trace_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": Usage().as_openai(),
        "system_fingerprint": "seawall-degraded",
    }
    return ChatResponse(body=body, content=content, finish_reason="stop")
