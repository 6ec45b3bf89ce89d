"""Admit: turn a decoded JSON body into a ``ChatRequest``, or say exactly what is wrong.

Only the fields the pipeline reads are checked; unknown fields pass through to the upstream,
as the OpenAI API evolves faster than any gateway.
"""

from __future__ import annotations

from typing import Any

from seawall.core.errors import InvalidRequest
from seawall.core.types import ChatRequest

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_FORMATS = frozenset({"text", "json_object", "json_schema"})


def parse_chat_request(body: Any, *, max_messages: int) -> ChatRequest:
    """Check the shape of an OpenAI chat request; raises ``InvalidRequest`` naming the field."""
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("'model' is required and must be a non-empty string", param="model")
    messages = _messages(body.get("messages"), max_messages)
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidRequest("'stream' must be a boolean", param="stream")
    return ChatRequest(
        model=model,
        messages=messages,
        body=body,
        stream=stream,
        response_format=_response_format(body.get("response_format")),
    )


def _messages(raw: Any, max_messages: int) -> list[dict[str, Any]]:
    if raw is None:
        raise InvalidRequest("'messages' is required", param="messages")
    if not isinstance(raw, list) or not raw:
        raise InvalidRequest("'messages' must be a non-empty array", param="messages")
    if len(raw) > max_messages:
        raise InvalidRequest(
            f"'messages' has {len(raw)} items; at most {max_messages} are accepted",
            param="messages",
        )
    for i, message in enumerate(raw):
        if not isinstance(message, dict):
            raise InvalidRequest(f"messages[{i}] must be an object", param=f"messages[{i}]")
        role = message.get("role")
        if not isinstance(role, str) or role not in _ROLES:
            raise InvalidRequest(
                f"messages[{i}].role must be one of {', '.join(sorted(_ROLES))}",
                param=f"messages[{i}].role",
            )
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise InvalidRequest(
                f"messages[{i}].content must be a string or an array of content parts",
                param=f"messages[{i}].content",
            )
    return raw


def _response_format(raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("type") not in _FORMATS:
        raise InvalidRequest(
            "'response_format.type' must be one of text, json_object, json_schema",
            param="response_format",
        )
    if raw["type"] == "json_schema":
        spec = raw.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema", {}), dict):
            raise InvalidRequest(
                "'response_format.json_schema' must be an object with a 'schema' object",
                param="response_format.json_schema",
            )
    return raw
