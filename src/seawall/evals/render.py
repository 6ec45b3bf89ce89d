"""Fill ``{{name}}`` variables in message templates: plain substitution, nothing executable.

Deliberately not a template language: a suite's messages are data, and the only operation is
"put the case's value here". An undefined variable is an error (caught when the suite loads),
never an empty string that quietly changes the prompt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")


class RenderError(ValueError):
    """A template names a variable the case does not define."""


def variables_in(template: str) -> set[str]:
    """The variable names a template uses."""
    return set(_VARIABLE.findall(template))


def render(template: str, variables: Mapping[str, Any]) -> str:
    """``template`` with each ``{{name}}`` replaced; non-text values are written as JSON."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise RenderError(f"undefined variable '{name}'")
        found = variables[name]
        return found if isinstance(found, str) else orjson.dumps(found).decode()

    return _VARIABLE.sub(value, template)
