"""References, label names and diffs between versions."""

from __future__ import annotations

import pytest

from seawall.core.errors import InvalidRequest
from seawall.prompts import PromptSpec, PromptVersion, check_label, content_hash, diff_versions
from seawall.prompts import parse_ref as ref


def version(number: int, **changes: object) -> PromptVersion:
    data: dict[str, object] = {
        "name": "p",
        "owner": "o",
        "model": "small",
        "params": {"temperature": 0.2},
        "messages": [{"role": "system", "content": "Be brief.\nBe kind.\n"}],
    }
    data.update(changes)
    spec = PromptSpec.model_validate(data)
    return PromptVersion("p", number, content_hash(spec), spec, "ada", "", 0.0)


def test_parse_ref() -> None:
    assert ref("support") == ("support", None)
    assert ref("support@3") == ("support", 3)
    assert ref("support@production") == ("support", "production")
    assert ref("support@latest") == ("support", "latest")
    for bad in ("@3", "support@", ""):
        with pytest.raises(InvalidRequest, match="not a prompt reference"):
            ref(bad)


@pytest.mark.parametrize("good", ["production", "canary", "staging", "team-a_2", "x"])
def test_valid_labels(good: str) -> None:
    assert check_label(good) == good


@pytest.mark.parametrize("bad", ["latest", "Prod", "3", "9lives", "a b", "", "x" * 65])
def test_invalid_labels(bad: str) -> None:
    with pytest.raises(InvalidRequest, match="not a valid label"):
        check_label(bad)


def test_diff_names_the_changed_sections_and_shows_the_lines() -> None:
    a = version(1)
    b = version(
        2,
        model="large",
        params={"temperature": 0.7},
        messages=[{"role": "system", "content": "Be brief.\nBe very kind.\n"}],
    )
    result = diff_versions(a, b)
    assert result.changed == ("model", "params", "messages")
    lines = result.unified.splitlines()
    assert lines[:2] == ["--- p@1", "+++ p@2"]
    assert "-model: small" in lines
    assert "+model: large" in lines
    assert "-  temperature: 0.2" in lines
    assert "+  temperature: 0.7" in lines
    assert "-    Be kind." in lines  # templates diff line by line (literal blocks)
    assert "+    Be very kind." in lines


def test_diff_of_schemas() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    result = diff_versions(version(1), version(2, output_schema=schema))
    assert result.changed == ("output_schema",)


def test_diff_of_equal_content_is_empty() -> None:
    result = diff_versions(version(1), version(1))
    assert result.changed == ()
    assert result.unified == ""
