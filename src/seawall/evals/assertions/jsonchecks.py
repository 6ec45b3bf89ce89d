"""Checks on the output parsed as JSON: is it JSON, does it fit a schema, what is at a path."""

from __future__ import annotations

from typing import Any

import jsonschema
import orjson

from seawall.evals.assertions.base import CheckContext, result
from seawall.evals.assertions.jsonpath import Missing, lookup, parse_path
from seawall.evals.assertions.specs import IsJson, JsonPath, JsonSchema
from seawall.evals.results import AssertionResult, Output


class NotJson(Exception):
    """The output is not a JSON document."""


def parse(text: str) -> Any:
    """The output as JSON; raises ``NotJson``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise NotJson(f"output is not JSON: {exc.args[0]}") from exc


def is_json(spec: IsJson, output: Output, ctx: CheckContext) -> AssertionResult:
    """Pass when the output parses as JSON."""
    try:
        parse(output.text)
    except NotJson as exc:
        return result(spec, False, str(exc))
    return result(spec, True)


def json_schema(spec: JsonSchema, output: Output, ctx: CheckContext) -> AssertionResult:
    """Pass when the JSON output satisfies the schema; the reason names the first problem."""
    try:
        document = parse(output.text)
    except NotJson as exc:
        return result(spec, False, str(exc))
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(spec.schema_).iter_errors(document)
    )
    if error is None:
        return result(spec, True)
    where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.path)
    return result(spec, False, f"{where}: {error.message}")


def json_path(spec: JsonPath, output: Output, ctx: CheckContext) -> AssertionResult:
    """Pass when the value at the path exists and meets the expectation."""
    try:
        value = lookup(parse(output.text), parse_path(spec.path))
    except (NotJson, Missing) as exc:
        return result(spec, False, str(exc))
    if "equals" in spec.model_fields_set:
        return result(
            spec, value == spec.equals, f"{spec.path} is {value!r}, expected {spec.equals!r}"
        )
    if spec.in_ is not None:
        return result(spec, value in spec.in_, f"{spec.path} is {value!r}, not one of {spec.in_!r}")
    if spec.min is not None or spec.max is not None:
        return _in_range(spec, value)
    return result(spec, True)  # the path exists


def _in_range(spec: JsonPath, value: Any) -> AssertionResult:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return result(spec, False, f"{spec.path} is {value!r}, not a number")
    low = spec.min if spec.min is not None else value
    high = spec.max if spec.max is not None else value
    bounds = f"[{'' if spec.min is None else f'{spec.min:g}'}..{'' if spec.max is None else f'{spec.max:g}'}]"
    return result(spec, low <= value <= high, f"{spec.path} is {value:g}, outside {bounds}")
