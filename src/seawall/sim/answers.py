"""Deterministic answers of the simulator: prose, scripted replies and schema-shaped JSON.

Everything here is a pure function of the seed and the request, so the same request always gets
the same answer: eval suites and demos can be written against the simulator and stay stable.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from seawall.core.types import JSON

_OPENERS = (
    "In short,",
    "Simply put,",
    "To summarise,",
    "Based on the request,",
    "Broadly speaking,",
    "On balance,",
    "As a first answer,",
    "Put plainly,",
)
_SUBJECTS = (
    "the system",
    "this approach",
    "the request",
    "a careful review",
    "the team",
    "the data",
    "the result",
    "each step",
    "the current plan",
    "a small change",
    "the main option",
    "the evidence",
)
_VERBS = (
    "supports",
    "suggests",
    "improves",
    "depends on",
    "requires",
    "reduces",
    "highlights",
    "confirms",
    "points to",
    "balances",
)
_OBJECTS = (
    "a clear plan",
    "the expected outcome",
    "steady progress",
    "lower latency",
    "a simpler design",
    "better coverage",
    "the original goal",
    "a reliable answer",
    "fewer surprises",
    "a modest cost",
    "the next release",
    "consistent results",
)
_TAILS = (
    "in most cases",
    "over time",
    "for now",
    "without surprises",
    "as expected",
    "with some care",
    "at this scale",
    "",
    "",
)
_WORDS = ("alpha", "bravo", "delta", "harbor", "meadow", "signal", "summit", "vector", "willow")


def rng_for(seed: int, *parts: str) -> random.Random:
    """A generator seeded by a hash of the seed and ``parts`` (stable across processes)."""
    digest = hashlib.blake2b(digest_size=8)
    digest.update(str(seed).encode())
    for part in parts:
        digest.update(b"\x00")
        digest.update(part.encode("utf-8", "surrogatepass"))
    return random.Random(int.from_bytes(digest.digest(), "big"))


@lru_cache(maxsize=4096)
def prose(seed: int, prompt: str) -> str:
    """One to four plausible sentences, echoing the start of ``prompt`` so answers are traceable.

    Cached: load tests repeat a handful of prompts and the simulator's own cost should stay
    negligible next to the gateway it measures.
    """
    rng = rng_for(seed, "prose", prompt)
    sentences = [_sentence(rng) for _ in range(rng.randint(1, 4))]
    first = f"{rng.choice(_OPENERS)} {sentences[0][0].lower()}{sentences[0][1:]}"
    topic = " ".join(prompt.split()[:6])
    lead = f'Regarding "{topic}": ' if topic else ""
    return lead + " ".join([first, *sentences[1:]])


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_SUBJECTS), rng.choice(_VERBS), rng.choice(_OBJECTS), rng.choice(_TAILS)]
    text = " ".join(word for word in words if word)
    return text[0].upper() + text[1:] + "."


# --------------------------------------------------------------------------- message text


def content_text(content: Any) -> str:
    """The text of a message ``content``: a string, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = (p.get("text") for p in content if isinstance(p, dict))
        return "".join(p for p in parts if isinstance(p, str))
    return ""


def last_user_text(messages: Any) -> str:
    return next(user_texts(messages), "")


def user_texts(messages: Any) -> Iterator[str]:
    """The user messages' text, newest first."""
    if not isinstance(messages, list):
        return
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            yield content_text(message.get("content"))


def prompt_chars(messages: Any) -> int:
    if not isinstance(messages, list):
        return 0
    return sum(len(content_text(m.get("content"))) for m in messages if isinstance(m, dict))


def tokens_for(chars: int) -> int:
    """About four characters a token, as for English with the common tokenizers; at least 1."""
    return max(1, (chars + 3) // 4)


# --------------------------------------------------------------------------- scenarios


def wrong_value(value: Any) -> Any:
    """A value of a different JSON type than ``value``, to exercise output validation."""
    if isinstance(value, bool):
        return "true"
    if isinstance(value, int | float):
        return "forty-two"
    if isinstance(value, str):
        return 42
    if isinstance(value, list):
        return "not-a-list"
    if isinstance(value, dict):
        return "not-an-object"
    return 0


def corrupt_field(document: Any, path: str) -> Any:
    """A copy of ``document`` with the field at dotted ``path`` given a wrong-typed value."""
    head, _, rest = path.partition(".")
    if not isinstance(document, dict) or head not in document:
        return document
    out = dict(document)
    out[head] = corrupt_field(out[head], rest) if rest else wrong_value(out[head])
    return out


# --------------------------------------------------------------------------- JSON answers


class Unsupported(Exception):
    """The schema uses something the best-effort generator does not cover."""


def json_answer(seed: int, prompt: str, response_format: Any) -> JSON:
    """An object for a JSON ``response_format``: schema-shaped when simple, else ``{"answer"}``."""
    schema = _schema_of(response_format)
    if schema is not None:
        try:
            value = value_for(schema, rng_for(seed, "json", prompt), 0)
        except (Unsupported, TypeError, ValueError):
            value = None
        if isinstance(value, dict):
            return value
    return {"answer": prose(seed, prompt)}


def wants_json(response_format: Any) -> bool:
    return isinstance(response_format, dict) and response_format.get("type") in (
        "json_object",
        "json_schema",
    )


def _schema_of(response_format: Any) -> Any:
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema")
    return spec.get("schema") if isinstance(spec, dict) else None


def value_for(schema: Any, rng: random.Random, depth: int) -> Any:
    """A value that satisfies ``schema``; raises ``Unsupported`` when it cannot promise that."""
    if not isinstance(schema, dict) or depth > 8:
        raise Unsupported
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        choices = schema["enum"]
        if not isinstance(choices, list) or not choices:
            raise Unsupported
        return rng.choice(choices)
    if "anyOf" in schema:
        return _first_option(schema["anyOf"], rng, depth)
    generate = _GENERATORS.get(_type_of(schema))
    if generate is None:
        raise Unsupported
    return generate(schema, rng, depth)


def _first_option(options: Any, rng: random.Random, depth: int) -> Any:
    if not isinstance(options, list):
        raise Unsupported
    for option in options:
        try:
            return value_for(option, rng, depth + 1)
        except Unsupported:
            continue
    raise Unsupported


def _type_of(schema: JSON) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        concrete = [k for k in kind if k != "null"]
        kind = concrete[0] if concrete else "null"
    if kind is None and "properties" in schema:
        return "object"
    if kind is None and "items" in schema:
        return "array"
    return kind if isinstance(kind, str) else None


def _object(schema: JSON, rng: random.Random, depth: int) -> JSON:
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(properties, dict) or not isinstance(required, list):
        raise Unsupported
    if any(name not in properties for name in required):
        raise Unsupported
    return {name: value_for(sub, rng, depth + 1) for name, sub in properties.items()}


def _array(schema: JSON, rng: random.Random, depth: int) -> list[Any]:
    low = int(schema.get("minItems", 1))
    high = int(schema.get("maxItems", max(low, 3)))
    if high < low:
        raise Unsupported
    items = [
        value_for(schema.get("items", {}), rng, depth + 1) for _ in range(rng.randint(low, high))
    ]
    if schema.get("uniqueItems") and len({repr(i) for i in items}) != len(items):
        raise Unsupported
    return items


_FORMATS = {
    "date": "2024-05-17",
    "date-time": "2024-05-17T12:00:00Z",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/sim",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def _string(schema: JSON, rng: random.Random, depth: int) -> str:
    if "pattern" in schema:
        raise Unsupported
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", max(low, len(text))))
    if high < low:
        raise Unsupported
    return text.ljust(low, "x")[:high]


def _number(schema: JSON, rng: random.Random, depth: int) -> float:
    low, high = _bounds(schema, 1e-6)
    return round(rng.uniform(low, high), 6) if high - low > 1e-5 else low


def _integer(schema: JSON, rng: random.Random, depth: int) -> int:
    low, high = _bounds(schema, 1)
    low, high = math.ceil(low), math.floor(high)
    if high < low:
        raise Unsupported
    return rng.randint(low, high)


def _bounds(schema: JSON, step: float) -> tuple[float, float]:
    if "multipleOf" in schema:
        raise Unsupported
    lows = [float(schema["minimum"])] if "minimum" in schema else []
    if "exclusiveMinimum" in schema:
        lows.append(float(schema["exclusiveMinimum"]) + step)
    highs = [float(schema["maximum"])] if "maximum" in schema else []
    if "exclusiveMaximum" in schema:
        highs.append(float(schema["exclusiveMaximum"]) - step)
    low = max(lows) if lows else (min(highs) - 100 if highs else 0.0)
    high = min(highs) if highs else low + 100
    if high < low:
        raise Unsupported
    return low, high


def _boolean(schema: JSON, rng: random.Random, depth: int) -> bool:
    return rng.random() < 0.5


def _null(schema: JSON, rng: random.Random, depth: int) -> None:
    return None


_Generator = Callable[[JSON, random.Random, int], Any]
_GENERATORS: dict[str | None, _Generator] = {
    "object": _object,
    "array": _array,
    "string": _string,
    "number": _number,
    "integer": _integer,
    "boolean": _boolean,
    "null": _null,
}
