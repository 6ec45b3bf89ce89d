import pytest

from seawall.config import ValidationPolicy
from seawall.core.types import ChatRequest
from seawall.stages import validate

SCHEMA = {
    "type": "object",
    "required": ["name", "age"],
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
}


def contract(repair: bool = True) -> validate.Contract:
    req = ChatRequest(
        model="m",
        messages=[],
        body={},
        response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": SCHEMA}},
    )
    found = validate.contract_for(req, ValidationPolicy(repair=repair), None)
    assert found is not None
    return found


def test_valid_json_passes_untouched() -> None:
    verdict = validate.check('{"name": "Ada", "age": 36}', contract())
    assert verdict.status == "valid"
    assert verdict.value == {"name": "Ada", "age": 36}


@pytest.mark.parametrize(
    "text",
    [
        '```json\n{"name": "Ada", "age": 36}\n```',
        'Sure! Here it is: {"name": "Ada", "age": 36} Hope that helps.',
        '{"name": "Ada", "age": 36,}',
        "{'name': 'Ada', 'age': 36}",
    ],
)
def test_near_json_is_repaired(text: str) -> None:
    verdict = validate.check(text, contract())
    assert verdict.status == "repaired"
    assert verdict.value == {"name": "Ada", "age": 36}


def test_repair_can_be_switched_off() -> None:
    assert (
        validate.check('```json\n{"name": "Ada", "age": 36}\n```', contract(repair=False)).status
        == "invalid"
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"name": "Ada", "age": "old"}', "at age"),
        ('{"name": "Ada"}', "'age' is a required property"),
        ("I cannot help with that.", "not valid JSON"),
        ("", "not valid JSON"),
    ],
)
def test_invalid_answers_say_why(text: str, fragment: str) -> None:
    verdict = validate.check(text, contract())
    assert verdict.status == "invalid"
    assert verdict.error is not None
    assert fragment in verdict.error


def test_json_object_mode_and_model_schema() -> None:
    req = ChatRequest(model="m", messages=[], body={}, response_format={"type": "json_object"})
    c = validate.contract_for(req, ValidationPolicy(), None)
    assert c is not None
    assert validate.check("[1]", c).status == "invalid"
    plain = ChatRequest(model="m", messages=[], body={})
    assert validate.contract_for(plain, ValidationPolicy(), None) is None
    own = validate.compile_schema(SCHEMA, "models.m.validation.json_schema")
    c2 = validate.contract_for(plain, ValidationPolicy(), own)
    assert c2 is not None
    assert validate.check('{"name": "x", "age": 1}', c2).status == "valid"


def test_reask_quotes_the_error() -> None:
    msgs = validate.reask_messages([{"role": "user", "content": "q"}], "bad", "at age: wrong")
    assert msgs[-2] == {"role": "assistant", "content": "bad"}
    assert "at age: wrong" in msgs[-1]["content"]
