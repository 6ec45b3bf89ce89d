"""Cache keys: equal for requests that get the same answer, different for any that might not."""

from __future__ import annotations

from typing import Any

import pytest

from seawall.limits.cachekey import cache_key, cacheable, normalise

BODY: dict[str, Any] = {
    "model": "chat",
    "messages": [{"role": "user", "content": "What is 2 + 2?"}],
    "temperature": 0,
    "max_tokens": 100,
}
TARGET = "openai/gpt-4o-mini|v1"


def key(body: dict[str, Any], target: str = TARGET, tenant: str | None = "acme") -> str:
    return cache_key(body, target, tenant)


@pytest.mark.parametrize(
    "neutral",
    [
        {"stream": True, "stream_options": {"include_usage": True}},
        {"user": "end-user-42"},
        {"metadata": {"trace": "x"}, "store": True, "service_tier": "auto"},
        {"safety_identifier": "u1", "prompt_cache_key": "k"},
        {"seed": None, "top_p": None},
        {"temperature": 0.0, "max_tokens": 100.0},
    ],
)
def test_fields_that_cannot_change_the_answer_share_the_key(neutral: dict[str, Any]) -> None:
    assert key({**BODY, **neutral}) == key(BODY)


def test_key_order_and_a_lone_text_part_do_not_matter() -> None:
    reordered = dict(reversed(list(BODY.items())))
    parts = {
        **BODY,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "What is 2 + 2?"}]}],
    }
    assert key(reordered) == key(parts) == key(BODY)


@pytest.mark.parametrize(
    "change",
    [
        {"temperature": 0.2},
        {"max_tokens": 101},
        {"seed": 7},
        {"model": "other"},
        {"messages": [{"role": "user", "content": "What is 2 + 3?"}]},
        {"messages": [{"role": "system", "content": "What is 2 + 2?"}]},
        {"response_format": {"type": "json_object"}},
        {"tools": [{"type": "function", "function": {"name": "f"}}]},
        {"some_future_field": 1},
    ],
)
def test_anything_else_changes_the_key(change: dict[str, Any]) -> None:
    assert key({**BODY, **change}) != key(BODY)


def test_tenants_and_targets_never_share_entries() -> None:
    keys = {
        key(BODY),
        key(BODY, tenant="other"),
        key(BODY, tenant=None),
        key(BODY, target="openai/gpt-4o|v1"),
        key(BODY, target="openai/gpt-4o-mini|v2"),
    }
    assert len(keys) == 5
    assert all(k.startswith("v1:") and len(k) == 3 + 64 for k in keys)


def test_values_orjson_cannot_encode_still_get_a_stable_key() -> None:
    huge = {**BODY, "seed": 2**70}
    assert key(huge) == key(dict(huge)) != key({**BODY, "seed": 2**70 + 1})


def test_normalise_keeps_the_body_unchanged() -> None:
    body = {**BODY, "stream": True}
    normalise(body)
    assert body["stream"] is True


@pytest.mark.parametrize(
    ("body", "opt_in", "expected"),
    [
        ({"temperature": 0}, False, True),
        ({"temperature": 0.0, "n": 1}, False, True),
        ({}, False, False),  # the API's default temperature is 1
        ({"temperature": 0.7}, False, False),
        ({"temperature": 0.7}, True, True),
        ({"temperature": 0, "n": 2}, False, False),
        ({"temperature": 0.7, "n": 3}, True, False),
        ({"temperature": False}, False, False),
    ],
)
def test_cacheable_only_when_deterministic_or_opted_in(
    body: dict[str, Any], opt_in: bool, expected: bool
) -> None:
    assert cacheable(body, opt_in) is expected
