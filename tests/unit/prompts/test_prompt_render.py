"""Rendering: variables checked before templates run, strict undefined, the sandbox holds."""

from __future__ import annotations

from typing import Any

import pytest

from seawall.core.errors import InvalidRequest
from seawall.prompts import (
    CompiledPrompt,
    PromptRenderError,
    PromptSpec,
    PromptVariableError,
    render_messages,
)


def spec(*templates: str, variables: dict[str, Any] | None = None) -> PromptSpec:
    messages = [{"role": "user", "content": t} for t in templates]
    return PromptSpec.model_validate(
        {
            "name": "p",
            "owner": "o",
            "model": "m",
            "messages": messages,
            "variables": variables or {},
        }
    )


SCHEMA = {
    "type": "object",
    "required": ["name", "order"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "tone": {"type": "string", "default": "warm"},
        "order": {
            "type": "object",
            "required": ["id", "lines"],
            "properties": {"id": {"type": "integer"}, "lines": {"type": "array"}},
        },
        "email": {"type": "string", "format": "email"},
    },
}
ORDER = spec(
    "Hello {{ name }} ({{ tone }}).",
    "Order {{ order.id }}: {% for i in order.lines %}{{ i }};{% endfor %}",
    variables=SCHEMA,
)


def variable_error(prompt: PromptSpec, variables: Any) -> PromptVariableError:
    with pytest.raises(PromptVariableError) as caught:
        render_messages(prompt, variables)
    assert isinstance(caught.value, InvalidRequest)
    assert caught.value.status_code == 400
    return caught.value


def test_renders_messages_with_schema_defaults() -> None:
    messages = render_messages(ORDER, {"name": "Ada", "order": {"id": 7, "lines": ["a", "b"]}})
    assert messages == [
        {"role": "user", "content": "Hello Ada (warm)."},
        {"role": "user", "content": "Order 7: a;b;"},
    ]


def test_a_given_variable_beats_the_default_and_rendering_is_repeatable() -> None:
    compiled = CompiledPrompt(ORDER)
    variables = {"name": "Ada", "tone": "dry", "order": {"id": 1, "lines": []}}
    first = compiled.render(variables)
    assert first[0]["content"] == "Hello Ada (dry)."
    assert compiled.render(variables) == first
    assert variables == {"name": "Ada", "tone": "dry", "order": {"id": 1, "lines": []}}


def test_a_missing_variable_is_named() -> None:
    error = variable_error(ORDER, {"order": {"id": 1, "lines": []}})
    assert error.param == "variables.name"
    assert error.message == "variable 'name' is required but missing"


def test_a_mistyped_variable_is_named_with_its_path() -> None:
    error = variable_error(ORDER, {"name": "Ada", "order": {"id": "seven", "lines": []}})
    assert error.param == "variables.order.id"
    assert error.message == "variable 'order.id': 'seven' is not of type 'integer'"


def test_a_format_is_checked() -> None:
    bad = {"name": "A", "order": {"id": 1, "lines": []}, "email": "not-an-email"}
    assert variable_error(ORDER, bad).param == "variables.email"


def test_an_unexpected_variable_is_named() -> None:
    error = variable_error(ORDER, {"name": "A", "order": {"id": 1, "lines": []}, "nme": "x"})
    assert error.param == "variables.nme"
    assert "expected: email, name, order, tone" in error.message


def test_variables_must_be_an_object() -> None:
    assert variable_error(ORDER, ["Ada"]).param == "variables"


def test_an_undefined_variable_at_render_is_named() -> None:
    # No schema properties: nothing to check before rendering; strict undefined catches it.
    error = variable_error(spec("Hi {{ first }} {{ last }}"), {"first": "Ada"})
    assert error.param == "variables.last"
    assert "'last' is undefined" in error.message
    assert error.message.startswith("messages.0:")


def test_a_missing_attribute_is_an_error_not_an_empty_string() -> None:
    error = variable_error(spec("Hi {{ user.name }}"), {"user": {"id": 1}})
    assert "has no attribute 'name'" in error.message


def test_optional_variables_can_be_tested_with_is_defined() -> None:
    prompt = spec("Hi{% if nick is defined %} {{ nick }}{% endif %}!")
    assert render_messages(prompt, {})[0]["content"] == "Hi!"
    assert render_messages(prompt, {"nick": "Al"})[0]["content"] == "Hi Al!"


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ items.append(4) }}",  # immutable sandbox: no mutation of the caller's data
    ],
)
def test_the_sandbox_blocks_python_internals(template: str) -> None:
    items = [1, 2, 3]
    with pytest.raises(PromptRenderError) as caught:
        render_messages(spec(template), {"items": items})
    assert "unsafe" in caught.value.message
    assert caught.value.status_code == 500
    assert items == [1, 2, 3]


def test_variable_values_are_data_never_templates() -> None:
    [message] = render_messages(spec("Q: {{ q }}"), {"q": "{{ ''.__class__ }} {% raw %}"})
    assert message["content"] == "Q: {{ ''.__class__ }} {% raw %}"


def test_no_html_escaping() -> None:
    [message] = render_messages(spec("{{ s }}"), {"s": "<b>&'\""})
    assert message["content"] == "<b>&'\""


def test_a_failing_expression_is_a_render_error() -> None:
    with pytest.raises(PromptRenderError, match=r"messages\.1: the template failed: ZeroDivision"):
        render_messages(spec("ok", "{{ 1 / n }}"), {"n": 0})


def test_chat_body_pins_model_params_and_output_schema() -> None:
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}}
    prompt = PromptSpec.model_validate(
        {
            "name": "support.reply",
            "owner": "o",
            "model": "support",
            "params": {"temperature": 0.1, "max_tokens": 50},
            "messages": [{"role": "user", "content": "Q: {{ q }}"}],
            "output_schema": schema,
        }
    )
    assert CompiledPrompt(prompt).chat_body({"q": "why?"}) == {
        "model": "support",
        "messages": [{"role": "user", "content": "Q: why?"}],
        "temperature": 0.1,
        "max_tokens": 50,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "support_reply", "schema": schema},
        },
    }
    assert "response_format" not in CompiledPrompt(spec("hi")).chat_body({})
