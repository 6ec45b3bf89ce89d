"""Prompt files: the model, errors with file:line: path, and content addressing."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.prompts import PromptFileError, PromptSpec, content_hash, load_prompts
from seawall.prompts.loader import parse_prompt
from seawall.prompts.spec import canonical_json

ROOT = Path(__file__).resolve().parents[3]

GOOD = """\
name: greet
owner: team-a
model: chat
params:
  temperature: 0.3
  max_tokens: 100
messages:
  - role: system
    content: |
      You greet people.
      Be brief.
  - role: user
    content: "Say hello to {{ who }}."
variables:
  type: object
  required: [who]
  properties:
    who: {type: string}
"""

# The same content, laid out differently: flow style, other key order, other indentation,
# quoting, comments and an explicitly written default (share: 0.1).
REFORMATTED = """\
# reformatted by hand
owner: "team-a"
name: greet
variables: {type: object, properties: {who: {type: string}}, required: [who]}
messages:
    -   content: "You greet people.\\nBe brief.\\n"
        role: system
    -   {role: user, content: 'Say hello to {{ who }}.'}
params: {max_tokens: 100, temperature: 0.30}
model: chat
canary: {share: 0.1}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(PromptFileError) as caught:
        parse_prompt(text, "p.yaml")
    return caught.value.problems


def test_a_good_file_loads_with_defaults() -> None:
    spec = parse_prompt(GOOD, "p.yaml")
    assert spec.name == "greet"
    assert spec.params.as_body() == {"temperature": 0.3, "max_tokens": 100}
    assert [m.role for m in spec.messages] == ["system", "user"]
    assert spec.canary.share == 0.10
    assert spec.canary.auto_promote is True
    assert spec.canary.metrics.p95_latency_ms.tolerance == 0.2
    assert spec.output_schema is None


def test_the_spec_is_frozen_and_strict() -> None:
    spec = parse_prompt(GOOD, "p.yaml")
    with pytest.raises(ValueError, match="frozen"):
        spec.model = "other"  # type: ignore[misc]
    [problem] = problems_of(GOOD + "temprature: 1\n")
    assert problem.startswith("p.yaml:19: temprature: Extra inputs are not permitted")


def test_errors_name_file_line_path_and_expectation() -> None:
    text = GOOD.replace("temperature: 0.3", "temperature: hot").replace("role: user", "role: bot")
    problems = problems_of(text)
    assert "p.yaml:5: params.temperature: Input should be a valid number" in problems[0]
    assert "(got 'hot')" in problems[0]
    assert problems[1].startswith("p.yaml:12: messages.1.role: Input should be")


def test_a_missing_field_is_named() -> None:
    [problem] = problems_of(GOOD.replace("owner: team-a\n", ""))
    assert problem == "p.yaml:1: owner: Field required"


def test_template_syntax_error_names_file_message_and_line() -> None:
    # The block's indicator (|) is on line 9, so template line 3 is line 12 of the file.
    text = GOOD.replace("      Be brief.\n", "      Be brief.\n      {{ oops }\n")
    [problem] = problems_of(text)
    assert problem.startswith(
        "p.yaml:12: messages.0.content: template syntax error at template line 3:"
    )
    assert "unexpected '}'" in problem


def test_template_syntax_error_in_a_quoted_template() -> None:
    [problem] = problems_of(GOOD.replace("Say hello to {{ who }}.", "Say {% if %} hi"))
    assert problem.startswith(
        "p.yaml:13: messages.1.content: template syntax error at template line 1"
    )


def test_a_template_variable_the_schema_does_not_declare() -> None:
    [problem] = problems_of(GOOD.replace("{{ who }}", "{{ who }} from {{ place }}"))
    assert problem == (
        "p.yaml:13: messages.1.content: uses variable 'place', which variables.properties "
        "does not declare"
    )


def test_loop_variables_and_globals_are_not_undeclared_variables() -> None:
    text = GOOD.replace("{{ who }}", "{% for i in range(2) %}{{ who }}{{ i }}{% endfor %}")
    assert parse_prompt(text, "p.yaml").messages[1].content.startswith("Say hello")


def test_schemas_must_be_json_schemas() -> None:
    [problem] = problems_of(GOOD + "output_schema: {type: banana}\n")
    assert problem.startswith("p.yaml:19: output_schema: not a valid JSON schema:")
    [problem] = problems_of(GOOD.replace("  type: object\n", "  type: string\n"))
    assert "variables: the variables schema must describe an object" in problem


def test_canary_policy_is_checked() -> None:
    problems = problems_of(GOOD + "canary: {share: 1.5, duration_s: 10, max_duration_s: 5}\n")
    assert any("canary.share: Input should be less than 1" in p for p in problems)
    text = GOOD + "canary: {duration_s: 10, max_duration_s: 5}\n"
    assert problems_of(text) == ["p.yaml:19: canary: max_duration_s must be >= duration_s"]


def test_not_yaml_and_not_a_mapping() -> None:
    assert problems_of("name: [unclosed\n")[0].startswith("p.yaml:2: not valid YAML:")
    assert problems_of("- a\n- b\n") == [
        "p.yaml:1: the file must hold a mapping (name:, model:, messages:)"
    ]


def test_reformatted_yaml_has_the_same_content_hash() -> None:
    original, reformatted = parse_prompt(GOOD), parse_prompt(REFORMATTED)
    assert canonical_json(original) == canonical_json(reformatted)
    assert content_hash(original) == content_hash(reformatted)


@pytest.mark.parametrize(
    "change",
    [
        ("temperature: 0.3", "temperature: 0.4"),  # params
        ("model: chat", "model: chat-large"),  # model
        ("      Be brief.\n", "      Be brief.  \n"),  # whitespace inside a template is content
        ("owner: team-a", "owner: team-b"),
        ("    who: {type: string}", "    who: {type: string, maxLength: 9}"),  # schema
    ],
)
def test_any_content_change_changes_the_hash(change: tuple[str, str]) -> None:
    changed = GOOD.replace(*change)
    assert changed != GOOD
    assert content_hash(parse_prompt(changed)) != content_hash(parse_prompt(GOOD))


def test_a_directory_loads_every_prompt_and_reports_every_bad_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "b.yml").write_text(GOOD.replace("name: greet", "name: other"))
    assert [p.spec.name for p in load_prompts(tmp_path)] == ["greet", "other"]
    (tmp_path / "c.yaml").write_text(GOOD.replace("model: chat\n", ""))
    (tmp_path / "d.yaml").write_text(GOOD)  # same name as a.yaml
    with pytest.raises(PromptFileError) as caught:
        load_prompts(tmp_path)
    assert caught.value.problems == [
        f"{tmp_path}/c.yaml:1: model: Field required",
        f"{tmp_path}/d.yaml: name: 'greet' is also the name in {tmp_path}/a.yaml",
    ]


def test_an_empty_directory_and_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PromptFileError, match="no prompt files"):
        load_prompts(tmp_path)
    with pytest.raises(PromptFileError, match=r"nope\.yaml: cannot read the file"):
        load_prompts(tmp_path / "nope.yaml")


def test_the_example_prompt_is_valid() -> None:
    [loaded] = load_prompts(ROOT / "examples" / "prompts")
    spec: PromptSpec = loaded.spec
    assert spec.model == "support"
    assert spec.output_schema is not None
    assert spec.canary.auto_promote is False
