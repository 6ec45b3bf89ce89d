"""Render a prompt version into chat messages: check the variables first, then run the templates.

The variables are validated against the prompt's variables schema before any template runs,
so a missing or mistyped variable is a 400 that names it (``param: variables.<name>``), not a
half-rendered prompt. Top-level ``default`` values of the schema fill in absent variables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import Template
from jinja2.exceptions import SecurityError, UndefinedError
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from seawall.prompts.errors import PromptRenderError, PromptVariableError
from seawall.prompts.spec import PromptSpec
from seawall.prompts.templates import compile_template, variables_used


class CompiledPrompt:
    """A prompt with its templates and variables validator compiled once; render per call."""

    def __init__(self, spec: PromptSpec) -> None:
        self.spec = spec
        self._templates: list[tuple[str, Template, frozenset[str]]] = [
            (m.role, compile_template(m.content), variables_used(m.content)) for m in spec.messages
        ]
        self._validator = Draft202012Validator(
            spec.variables, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        properties = spec.variables.get("properties")
        self._properties: Mapping[str, Any] = properties if isinstance(properties, dict) else {}

    def check_variables(self, variables: Any) -> dict[str, Any]:
        """The variables with schema defaults filled in; ``PromptVariableError`` when they do not fit."""
        if not isinstance(variables, Mapping):
            raise PromptVariableError("variables must be a JSON object", param="variables")
        filled = dict(variables)
        for name, schema in self._properties.items():
            if name not in filled and isinstance(schema, dict) and "default" in schema:
                filled[name] = schema["default"]
        error = best_match(self._validator.iter_errors(filled))
        if error is not None:
            raise self._variable_error(error, filled)
        return filled

    def render(self, variables: Any) -> list[dict[str, str]]:
        """The chat messages for these variables (OpenAI shape: role and content)."""
        filled = self.check_variables(variables)
        out = []
        for index, (role, template, used) in enumerate(self._templates):
            out.append({"role": role, "content": _run(template, filled, index, used)})
        return out

    def chat_body(self, variables: Any) -> dict[str, Any]:
        """An OpenAI chat body: model, rendered messages, params, output schema as response_format."""
        body: dict[str, Any] = {"model": self.spec.model, "messages": self.render(variables)}
        body.update(self.spec.params.as_body())
        if self.spec.output_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                # OpenAI allows [A-Za-z0-9_-]{1,64} here; prompt names may also hold dots.
                "json_schema": {
                    "name": re.sub(r"[^A-Za-z0-9_-]", "_", self.spec.name)[:64],
                    "schema": self.spec.output_schema,
                },
            }
        return body

    def _variable_error(
        self, error: ValidationError, variables: dict[str, Any]
    ) -> PromptVariableError:
        path = [str(part) for part in error.absolute_path]
        if path:
            name = ".".join(path)
            return PromptVariableError(
                f"variable '{name}': {error.message}", param=f"variables.{name}"
            )
        if error.validator == "required":
            required = error.validator_value if isinstance(error.validator_value, list) else []
            missing = [n for n in required if n not in variables]
            name = missing[0] if missing else "?"
            return PromptVariableError(
                f"variable '{name}' is required but missing", param=f"variables.{name}"
            )
        if error.validator == "additionalProperties":
            extra = sorted(n for n in variables if n not in self._properties)
            if extra:
                expected = ", ".join(sorted(self._properties)) or "none"
                return PromptVariableError(
                    f"variable '{extra[0]}' is not a variable of this prompt (expected: {expected})",
                    param=f"variables.{extra[0]}",
                )
        return PromptVariableError(f"variables: {error.message}", param="variables")


def render_messages(spec: PromptSpec, variables: Any) -> list[dict[str, str]]:
    """Render once (compiles the templates; keep a ``CompiledPrompt`` to render many times)."""
    return CompiledPrompt(spec).render(variables)


def _run(template: Template, variables: dict[str, Any], index: int, used: frozenset[str]) -> str:
    try:
        return template.render(variables)
    except UndefinedError as exc:
        # Name the variable when a top-level one is absent; a missing attribute deeper down
        # (customer.name) keeps Jinja's own message, which names the attribute.
        missing = sorted(used - variables.keys())
        param = f"variables.{missing[0]}" if missing else "variables"
        raise PromptVariableError(f"messages.{index}: {exc.message}", param=param) from None
    except SecurityError as exc:
        raise PromptRenderError(
            f"messages.{index}: the template tried an unsafe operation: {exc.message}"
        ) from None
    except Exception as exc:  # a filter or expression failed: the template's fault
        raise PromptRenderError(
            f"messages.{index}: the template failed: {type(exc).__name__}: {exc}"
        ) from None
