"""OpenAI chat requests and answers ↔ the Anthropic Messages API, as pure functions.

What cannot be translated faithfully is refused with ``InvalidRequest`` naming the field
(``n`` > 1, log-probabilities, audio, non-image files), so a caller never gets an answer to a
different question. Sampling hints with no Messages equivalent (``seed``, ``presence_penalty``,
``frequency_penalty``, ``logit_bias``, ``service_tier``, ...) are dropped: they tune, not define,
the answer, and refusing them would break fallback from an OpenAI target to an Anthropic one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from seawall.core.errors import InvalidRequest
from seawall.core.types import JSON

# Fields whose answer the caller depends on and the Messages API cannot give (refused when set).
_UNSUPPORTED = ("logprobs", "top_logprobs", "audio", "prediction", "functions", "function_call")
# OpenAI allows temperatures up to 2, the Messages API up to 1 (and answers 400 above it).
_MAX_TEMPERATURE = 1.0
_FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_JSON_ONLY = (
    "Answer with a single JSON {what} and nothing else: no prose before or after it and no "
    "Markdown code fences."
)


# --------------------------------------------------------------------------- requests


def to_messages_request(body: JSON, default_max_tokens: int) -> JSON:
    """An OpenAI chat request as a Messages API request (without ``stream``)."""
    _refuse_unsupported(body)
    system, messages = _convert_messages(body.get("messages"))
    instruction = _format_instruction(body.get("response_format"))
    if instruction:
        system.append(instruction)
    out: JSON = {
        "model": body.get("model"),
        "max_tokens": _max_tokens(body, default_max_tokens),
        "messages": messages,
    }
    if system:
        out["system"] = "\n\n".join(system)
    _copy_sampling(body, out)
    _copy_tools(body, out)
    return out


def _refuse_unsupported(body: JSON) -> None:
    for name in _UNSUPPORTED:
        if body.get(name):
            raise _unsupported(name)
    n = body.get("n")
    if n is not None and n != 1:
        raise InvalidRequest(
            "the Anthropic Messages API gives one choice: 'n' must be 1", param="n"
        )
    modalities = body.get("modalities")
    if isinstance(modalities, list) and any(m != "text" for m in modalities):
        raise _unsupported("modalities")


def _unsupported(param: str) -> InvalidRequest:
    return InvalidRequest(f"'{param}' is not supported by the Anthropic Messages API", param=param)


def _max_tokens(body: JSON, default: int) -> int:
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InvalidRequest(f"'{name}' must be a positive integer", param=name)
        return value
    return default


def _copy_sampling(body: JSON, out: JSON) -> None:
    temperature = body.get("temperature")
    if isinstance(temperature, (int, float)):
        out["temperature"] = min(float(temperature), _MAX_TEMPERATURE)
    for name in ("top_p", "top_k"):
        if body.get(name) is not None:
            out[name] = body[name]
    stop = body.get("stop")
    if isinstance(stop, str):
        out["stop_sequences"] = [stop]
    elif isinstance(stop, list) and stop:
        out["stop_sequences"] = stop
    if isinstance(body.get("user"), str):
        out["metadata"] = {"user_id": body["user"]}


def _format_instruction(response_format: Any) -> str | None:
    """The Messages API has no ``response_format``: ask for JSON in the system prompt instead.

    Forcing a tool call with the schema would be stricter, but it changes the answer's shape
    (a tool_use block, streamed as partial JSON); the output contract (validate, repair, re-ask)
    already catches an answer that strays from the schema.
    """
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind in (None, "text"):
        return None
    if kind == "json_object":
        return _JSON_ONLY.format(what="object")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        what = "value that conforms to this JSON Schema:\n" + orjson.dumps(schema or {}).decode()
        return _JSON_ONLY.format(what=what)
    raise InvalidRequest(f"response_format type {kind!r} is not supported", param="response_format")


# --------------------------------------------------------------------------- messages


def _convert_messages(raw: Any) -> tuple[list[str], list[JSON]]:
    if not isinstance(raw, list):
        raise InvalidRequest("'messages' must be a list", param="messages")
    system: list[str] = []
    turns: list[JSON] = []
    for i, message in enumerate(raw):
        path = f"messages[{i}]"
        if not isinstance(message, dict):
            raise InvalidRequest(f"{path} must be an object", param=path)
        role = message.get("role")
        if role in ("system", "developer"):
            system.append(_plain_text(message.get("content"), f"{path}.content"))
            continue
        if role not in _ROLES:
            raise InvalidRequest(f"{path}.role {role!r} is not supported", param=f"{path}.role")
        target_role, convert = _ROLES[role]
        _append(turns, target_role, convert(message, path))
    return system, [_compact(turn) for turn in turns]


def _append(turns: list[JSON], role: str, blocks: list[JSON]) -> None:
    # The Messages API wants user and assistant turns to alternate: merge neighbours.
    if not blocks:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": blocks})


def _compact(turn: JSON) -> JSON:
    blocks = turn["content"]
    if len(blocks) == 1 and blocks[0]["type"] == "text":
        return {"role": turn["role"], "content": blocks[0]["text"]}
    return turn


def _plain_text(content: Any, path: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_text_of(part, f"{path}[{j}]") for j, part in enumerate(content))
    raise InvalidRequest(f"{path} must be a string or a list of text parts", param=path)


def _text_of(part: Any, path: str) -> str:
    if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
        return str(part["text"])
    raise InvalidRequest(f"{path} must be a text part here", param=path)


def _user_blocks(message: JSON, path: str) -> list[JSON]:
    content = message.get("content")
    if isinstance(content, str):
        return [_text_block(content)] if content else []
    if not isinstance(content, list):
        raise InvalidRequest(f"{path}.content must be a string or a list", param=f"{path}.content")
    return [_user_part(part, f"{path}.content[{j}]") for j, part in enumerate(content)]


def _user_part(part: Any, path: str) -> JSON:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "image_url":
        return _image_block(part.get("image_url"), path)
    if kind == "text":
        return _text_block(_text_of(part, path))
    raise InvalidRequest(f"{path}: content part {kind!r} is not supported", param=f"{path}.type")


def _image_block(image: Any, path: str) -> JSON:
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str):
        raise InvalidRequest(f"{path}.image_url.url must be a string", param=f"{path}.image_url")
    if not url.startswith("data:"):
        return {"type": "image", "source": {"type": "url", "url": url}}
    header, _, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if encoding != "base64" or not data:
        raise InvalidRequest(f"{path}: data URLs must be base64", param=f"{path}.image_url")
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}


def _assistant_blocks(message: JSON, path: str) -> list[JSON]:
    content = message.get("content")
    text = "" if content is None else _plain_text(content, f"{path}.content")
    blocks = [_text_block(text)] if text else []
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise InvalidRequest(f"{path}.tool_calls must be a list", param=f"{path}.tool_calls")
    blocks.extend(_tool_use(call, f"{path}.tool_calls[{k}]") for k, call in enumerate(calls))
    return blocks


def _tool_use(call: Any, path: str) -> JSON:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise InvalidRequest(f"{path} must be a function call", param=path)
    try:
        arguments = orjson.loads(function.get("arguments") or "{}")
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"{path}.function.arguments is not JSON", param=path) from exc
    return {"type": "tool_use", "id": call.get("id"), "name": function["name"], "input": arguments}


def _tool_blocks(message: JSON, path: str) -> list[JSON]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str):
        raise InvalidRequest(f"{path}.tool_call_id is required", param=f"{path}.tool_call_id")
    text = _plain_text(message.get("content") or "", f"{path}.content")
    return [{"type": "tool_result", "tool_use_id": call_id, "content": text}]


def _text_block(text: str) -> JSON:
    return {"type": "text", "text": text}


_ROLES: dict[str, tuple[str, Callable[[JSON, str], list[JSON]]]] = {
    "user": ("user", _user_blocks),
    "assistant": ("assistant", _assistant_blocks),
    "tool": ("user", _tool_blocks),  # tool results travel in the user turn
}


# --------------------------------------------------------------------------- tools


def _copy_tools(body: JSON, out: JSON) -> None:
    tools = body.get("tools")
    if not tools:
        return
    if not isinstance(tools, list):
        raise InvalidRequest("'tools' must be a list", param="tools")
    out["tools"] = [_tool(tool, f"tools[{i}]") for i, tool in enumerate(tools)]
    choice = _tool_choice(body.get("tool_choice"))
    if body.get("parallel_tool_calls") is False and choice.get("type") != "none":
        choice["disable_parallel_tool_use"] = True
    if choice != {"type": "auto"}:
        out["tool_choice"] = choice


def _tool(tool: Any, path: str) -> JSON:
    function = tool.get("function") if isinstance(tool, dict) else None
    if not isinstance(function, dict) or tool.get("type") != "function":
        raise InvalidRequest(f"{path}: only function tools are supported", param=f"{path}.type")
    out: JSON = {
        "name": function.get("name"),
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        out["description"] = function["description"]
    return out


def _tool_choice(choice: Any) -> JSON:
    if choice is None or choice == "auto":
        return {"type": "auto"}
    if choice == "none":
        return {"type": "none"}
    if choice == "required":
        return {"type": "any"}
    function = choice.get("function") if isinstance(choice, dict) else None
    if isinstance(function, dict) and isinstance(function.get("name"), str):
        return {"type": "tool", "name": function["name"]}
    raise InvalidRequest(f"tool_choice {choice!r} is not supported", param="tool_choice")


# --------------------------------------------------------------------------- answers


def from_messages_response(resp: JSON, model: str) -> JSON:
    """A Messages API answer as an OpenAI ``chat.completion``; ``ValueError`` on a foreign shape."""
    content = resp.get("content")
    if not isinstance(content, list):
        raise ValueError("Messages answer has no content list")
    texts: list[str] = []
    calls: list[JSON] = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            texts.append(str_field(block, "text"))
        elif kind == "tool_use":
            calls.append(_tool_call(block))
        # thinking and server-tool blocks have no chat.completion counterpart
    message: JSON = {"role": "assistant", "content": "".join(texts) if texts or not calls else None}
    if calls:
        message["tool_calls"] = calls
    finish = finish_reason(resp.get("stop_reason"))
    choice = {"index": 0, "message": message, "finish_reason": finish}
    return {
        "id": resp.get("id") or "",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": resp.get("model") or model,
        "choices": [choice],
        "usage": usage_from(resp.get("usage")),
    }


def _tool_call(block: JSON) -> JSON:
    arguments = orjson.dumps(block.get("input") or {}).decode()
    function = {"name": str_field(block, "name"), "arguments": arguments}
    return {"id": str_field(block, "id"), "type": "function", "function": function}


def str_field(block: JSON, key: str) -> str:
    value = block.get(key)
    if not isinstance(value, str):
        raise ValueError(f"content block has no string '{key}'")
    return value


def finish_reason(stop_reason: Any) -> str | None:
    """The OpenAI finish reason for an Anthropic stop reason (unknown ones read as "stop")."""
    if stop_reason is None:
        return None
    return _FINISH_REASONS.get(stop_reason, "stop")


def usage_from(raw: Any) -> JSON:
    """Anthropic usage as OpenAI usage.

    Anthropic's ``input_tokens`` counts only the uncached part of the prompt; OpenAI's
    ``prompt_tokens`` counts all of it, with the cached share inside. Pricing relies on the
    OpenAI meaning, so cache reads and cache writes are added back in.
    """
    usage = raw if isinstance(raw, dict) else {}
    cached = _count(usage, "cache_read_input_tokens")
    prompt = _count(usage, "input_tokens") + cached + _count(usage, "cache_creation_input_tokens")
    completion = _count(usage, "output_tokens")
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def _count(usage: JSON, key: str) -> int:
    value = usage.get(key)
    return value if isinstance(value, int) and value > 0 else 0
