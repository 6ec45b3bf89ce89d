"""Cache: an exact-match response cache in shared state, keyed per tenant, target and request.

What is cached is the upstream's validated answer *before* the output guards run, so a
placeholder-redacted answer is restored with each caller's own values, never another's. A
cached answer is served byte for byte; after ``ttl_s`` it may still stand in for a failed
call during ``stale_if_error_s`` (``x-seawall-cache: stale``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from seawall.core.types import ChatRequest, ChatResponse
from seawall.limits.cachekey import cache_key, cacheable
from seawall.stages.resolve import ModelRuntime
from seawall.state.base import SharedState

HEADER_ALLOW = "allow"  # x-seawall-cache: allow  opts a request in
HEADER_BYPASS = "bypass"  # x-seawall-cache: bypass  neither reads nor writes


@dataclass(frozen=True, slots=True)
class Lookup:
    """A cacheable call: its key, and the answer found (``fresh`` False: stale)."""

    key: str
    response: ChatResponse | None = None
    fresh: bool = True


def fingerprint(model: ModelRuntime) -> str:
    """What besides the request decides an answer: the targets and the output contract."""
    parts = [t.key for t in model.targets]
    schema = model.config.validation.json_schema
    if schema is not None:
        parts.append(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS).decode())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def key_for(
    model: ModelRuntime,
    request: ChatRequest,
    body: dict[str, Any],
    tenant: str | None,
    mode: str | None,
) -> str | None:
    """The cache key of a call, or None when it must not use the cache."""
    policy = model.config.cache
    if not policy.enabled or mode == HEADER_BYPASS:
        return None
    if not cacheable(request.body, policy.opt_in or mode == HEADER_ALLOW):
        return None
    return cache_key(body, fingerprint(model), tenant)


async def lookup(state: SharedState, key: str) -> Lookup:
    entry = await state.cache_get(key)
    if entry is None:
        return Lookup(key)
    try:
        body = orjson.loads(entry.value)
    except orjson.JSONDecodeError:
        return Lookup(key)  # a damaged entry is a miss, and will be overwritten
    return Lookup(key, ChatResponse.from_openai(body), entry.fresh)


async def store(state: SharedState, model: ModelRuntime, key: str, response: ChatResponse) -> None:
    policy = model.config.cache
    await state.cache_set(key, orjson.dumps(response.body), policy.ttl_s, policy.stale_if_error_s)


def completion_body(
    first: dict[str, Any], content: str, finish: str | None, usage: dict[str, Any] | None
) -> dict[str, Any]:
    """A ``chat.completion`` made from a relayed stream, so streams fill the cache too."""
    body: dict[str, Any] = {
        "id": first.get("id", ""),
        "object": "chat.completion",
        "created": first.get("created", 0),
        "model": first.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish or "stop",
            }
        ],
    }
    if usage is not None:
        body["usage"] = usage
    return body
