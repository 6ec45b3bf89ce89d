"""Degrade: when every target failed, the configured deterministic answer or a named error."""

from __future__ import annotations

import time

import orjson

from seawall.config import DegradePolicy
from seawall.core.errors import SeawallError, UpstreamRejected
from seawall.core.types import ChatResponse, Usage


def can_degrade(policy: DegradePolicy, error: SeawallError) -> bool:
    """A fixed answer stands in for a failed upstream, never for a request the upstream refused."""
    return policy.configured and not isinstance(error, UpstreamRejected)


def degraded_response(policy: DegradePolicy, model: str, trace_id: str) -> ChatResponse:
    if policy.message is not None:
        content = policy.message
    else:
        content = orjson.dumps(policy.json_value).decode()
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
