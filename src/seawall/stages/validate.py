"""Validate: hold model output to its JSON contract before anything downstream sees it.

Order of rescue: strict parse → repair near-JSON (code fences, prose around the object,
trailing commas, single quotes) → (the pipeline re-asks once with the error) → degrade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import json_repair
import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from seawall.config import ValidationPolicy
from seawall.core.errors import InvalidRequest
from seawall.core.types import ChatRequest

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)

# Any JSON value satisfies "json_object" mode once it is an object.
_OBJECT_SCHEMA: dict[str, Any] = {"type": "object"}


@dataclass(frozen=True, slots=True)
class Contract:
    """What an answer must be: a JSON value matching ``validator``'s schema."""

    validator: Draft202012Validator
    repair: bool
    reask: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str  # "valid" | "repaired" | "invalid"
    text: str  # the (possibly repaired) answer
    error: str | None = None
    value: Any = None


def compile_schema(schema: dict[str, Any], where: str) -> Draft202012Validator:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise InvalidRequest(
            f"{where} is not a valid JSON schema: {exc.message}", param=where
        ) from exc
    return Draft202012Validator(schema)


@lru_cache(maxsize=256)
def _cached_validator(schema_json: str) -> Draft202012Validator:
    return compile_schema(orjson.loads(schema_json), "response_format.json_schema.schema")


def contract_for(
    request: ChatRequest, policy: ValidationPolicy, model_validator: Draft202012Validator | None
) -> Contract | None:
    """The contract for this call: the request's ``response_format`` wins over the model's."""
    fmt = request.response_format
    if fmt is not None and fmt["type"] == "json_schema":
        schema = fmt["json_schema"].get("schema") or _OBJECT_SCHEMA
        key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS).decode()
        return Contract(_cached_validator(key), policy.repair, policy.reask)
    if fmt is not None and fmt["type"] == "json_object":
        return Contract(_cached_validator('{"type":"object"}'), policy.repair, policy.reask)
    if model_validator is not None:
        return Contract(model_validator, policy.repair, policy.reask)
    return None


def check(content: str | None, contract: Contract) -> Verdict:
    """Judge one answer against the contract."""
    text = content or ""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        if not contract.repair:
            return Verdict("invalid", text, "the answer is not valid JSON")
        return _check_repaired(text, contract)
    error = _first_error(contract.validator, value)
    if error is None:
        return Verdict("valid", text, value=value)
    return Verdict("invalid", text, error)


def _check_repaired(text: str, contract: Contract) -> Verdict:
    value = _repair(text)
    if value is None:
        return Verdict("invalid", text, "the answer is not valid JSON and could not be repaired")
    error = _first_error(contract.validator, value)
    if error is not None:
        return Verdict("invalid", text, error)
    return Verdict("repaired", orjson.dumps(value).decode(), value=value)


def _repair(text: str) -> Any:
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start = min((i for i in (candidate.find("{"), candidate.find("[")) if i >= 0), default=-1)
    if start < 0:
        return None
    end = max(candidate.rfind("}"), candidate.rfind("]"))
    snippet = candidate[start : end + 1] if end > start else candidate[start:]
    try:
        value = json_repair.loads(snippet)
    except Exception:  # json-repair raises assorted errors on hopeless input
        return None
    # json-repair turns hopeless input into "" or an empty container rather than failing.
    return value if isinstance(value, dict | list) and value else None


def _first_error(validator: Draft202012Validator, value: Any) -> str | None:
    error = next(iter(validator.iter_errors(value)), None)
    if error is None:
        return None
    path = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"at {path}: {error.message}"


def reask_messages(messages: list[dict[str, Any]], answer: str, error: str) -> list[dict[str, Any]]:
    """The conversation for one re-ask: the bad answer and what was wrong with it."""
    return [
        *messages,
        {"role": "assistant", "content": answer},
        {
            "role": "user",
            "content": (
                f"Your answer did not match the required JSON schema ({error}). "
                "Reply again with only the corrected JSON, no prose and no code fences."
            ),
        },
    ]
