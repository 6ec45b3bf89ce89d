"""Exact-match response cache: which requests may be cached, and under which key.

The key is the SHA-256 of a canonical form of everything that decides the answer: the
tenant (so that tenants never share entries), the resolved target's fingerprint (provider,
upstream model and the parameters Seawall adds; a changed target is a new key), and the
request body with sorted keys. Only fields that cannot change the answer are dropped:

- ``stream``, ``stream_options``: how the answer travels, not what it says (a streamed reply
  may be served from a cached complete one and the other way round);
- ``user``, ``safety_identifier``, ``metadata``, ``store``, ``prompt_cache_key``,
  ``service_tier``: end-user ids, labels and billing or storage hints for the provider;
- any top-level field whose value is null (the API default, as if absent).

Everything else stays, ``model`` and ``seed`` included, and unknown fields too: a field this
list does not know might change the answer. Integral floats are written as integers at the
top level (``"temperature": 0.0`` and ``0`` share an entry). Message contents are hashed as
sent, except that a content made of one text part equals that text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

import orjson

ANSWER_NEUTRAL: Final = frozenset(
    {
        "stream",
        "stream_options",
        "user",
        "safety_identifier",
        "metadata",
        "store",
        "prompt_cache_key",
        "service_tier",
    }
)
KEY_VERSION: Final = "v1"  # bump when the canonical form changes: old entries become misses


def cacheable(body: Mapping[str, Any], opt_in: bool) -> bool:
    """May this request be answered from the cache (and its answer stored)?

    Only deterministic requests (temperature 0) unless the request or its model opts in;
    never when several choices are asked for (``n`` > 1), since a cached answer would
    repeat one sample where the caller wants different ones.
    """
    n = body.get("n")
    if n is not None and n != 1:
        return False
    return opt_in or _is_zero(body.get("temperature"))


def cache_key(body: Mapping[str, Any], target_fingerprint: str, tenant: str | None) -> str:
    """``v1:<sha256 hex>`` of the tenant, the target and the request's canonical form."""
    canonical = {"tenant": tenant, "target": target_fingerprint, "body": normalise(body)}
    try:
        encoded = orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, from a lenient JSON parser
        encoded = json.dumps(canonical, sort_keys=True, default=repr).encode()
    return f"{KEY_VERSION}:{hashlib.sha256(encoded).hexdigest()}"


def normalise(body: Mapping[str, Any]) -> dict[str, Any]:
    """The request without answer-neutral fields, nulls and cosmetic variations."""
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name in ANSWER_NEUTRAL or value is None:
            continue
        if name == "messages" and isinstance(value, list):
            value = [_message(m) for m in value]
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = value
    return out


def _message(message: Any) -> Any:
    if not isinstance(message, dict):
        return message
    content = message.get("content")
    if (
        isinstance(content, list)
        and len(content) == 1
        and isinstance(content[0], dict)
        and content[0].get("type") == "text"
        and set(content[0]) == {"type", "text"}
    ):
        return {**message, "content": content[0]["text"]}
    return message


def _is_zero(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0
