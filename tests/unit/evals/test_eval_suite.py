"""Loading a suite: valid files load; every mistake is reported as file:line: path: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.evals.load import SuiteError, check_models, load_suite
from seawall.evals.render import RenderError, render

GOOD = """\
target:
  model: chat
  messages:
    - {role: system, content: "Be brief."}
    - {role: user, content: "{{question}}"}
samples: 2
thresholds: {pass_rate: 0.8, tags: {happy: 1.0}}
cases:
  - id: one
    tags: [happy]
    vars: {question: "hi"}
    assert:
      - {type: contains, value: "x"}
"""


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SuiteError) as info:
        load_suite(write(tmp_path, text))
    assert str(info.value).startswith(str(tmp_path / "suite.yaml"))
    return info.value.problems


def test_a_good_suite_loads_with_defaults(tmp_path: Path) -> None:
    loaded = load_suite(write(tmp_path, GOOD, "support.yaml"))
    suite = loaded.suite
    assert suite.name == "support", "the name defaults to the file name"
    assert (suite.samples, suite.seed, suite.thresholds.case) == (2, 0, 0.5)
    assert suite.target.model == "chat"
    assert [c.id for c in suite.cases] == ["one"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('value: "x"', "value: 3"), "13: cases.0.assert.0.value"),
        (
            ('{type: contains, value: "x"}', '{type: regex, pattern: "("}'),
            "13: cases.0.assert.0.pattern: not a valid regular expression",
        ),
        (
            ('{type: contains, value: "x"}', "{type: wat}"),
            "13: cases.0.assert.0: unknown assertion type 'wat'",
        ),
        (
            ('{type: contains, value: "x"}', "{value: 1}"),
            "13: cases.0.assert.0: an assertion needs a 'type'",
        ),
        (("samples: 2", "samples: 0"), "6: samples: Input should be greater than or equal to 1"),
        (('{question: "hi"}', '{q: "hi"}'), "11: cases.0.vars: missing question"),
        (
            ("tags: {happy: 1.0}", "tags: {sad: 1.0}"),
            "7: thresholds.tags.sad: no case has this tag",
        ),
        (("id: one", 'id: "no spaces"'), "9: cases.0.id: String should match pattern"),
        (
            ("    tags: [happy]\n", "    tags: [happy]\n    extra: 1\n"),
            "11: cases.0.extra: Extra inputs are not permitted",
        ),
        (
            ('{type: contains, value: "x"}', '{type: json_path, path: "$.a", equals: 1, in: [1]}'),
            "13: cases.0.assert.0: use one of 'equals', 'in', or 'min'/'max'",
        ),
        (
            ('{type: contains, value: "x"}', '{type: json_path, path: "a.b"}'),
            "13: cases.0.assert.0.path: a JSON path starts with '$'",
        ),
        (
            ('{type: contains, value: "x"}', "{type: json_schema, schema: {type: 12}}"),
            "13: cases.0.assert.0.schema: not a valid JSON schema",
        ),
        (
            ('{type: contains, value: "x"}', "{type: llm_judge, rubric: good}"),
            "9: cases.0: llm_judge needs 'model' or the suite's 'judge.model'",
        ),
    ],
)
def test_mistakes_name_line_path_and_expectation(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in GOOD
    found = problems(tmp_path, GOOD.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_duplicate_case_ids(tmp_path: Path) -> None:
    text = GOOD + '  - id: one\n    vars: {question: "again"}\n    assert: [{type: is_json}]\n'
    assert problems(tmp_path, text) == ["14: cases.1.id: 'one' is used by an earlier case"]


def test_a_case_without_assertions(tmp_path: Path) -> None:
    text = GOOD + '  - id: two\n    vars: {question: "x"}\n'
    assert problems(tmp_path, text) == [
        "14: cases.1.assert: the case checks nothing (and the suite has no assert)"
    ]


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    assert problems(tmp_path, "cases: [\n")[0].startswith("2: not valid YAML")
    assert problems(tmp_path, "- 1\n") == ["1: the file must hold a mapping (target:, cases:, ...)"]
    with pytest.raises(SuiteError, match="cannot read the file"):
        load_suite(tmp_path / "missing.yaml")


PROMPT_SUITE = """\
target:
  prompt: support@production
cases:
  - id: one
    vars: {question: "hi", customer: {name: Ada}}
    assert:
      - {type: contains, value: "x"}
"""


def test_a_prompt_target_takes_only_variables(tmp_path: Path) -> None:
    suite = load_suite(write(tmp_path, PROMPT_SUITE)).suite
    assert suite.target.prompt_ref == ("support", "production")
    assert suite.cases[0].vars == {"question": "hi", "customer": {"name": "Ada"}}
    with_messages = PROMPT_SUITE.replace(
        "  prompt: support@production\n",
        "  prompt: support@3\n  messages: [{role: user, content: hi}]\n",
    )
    assert problems(tmp_path, with_messages) == [
        "2: target: a prompt target takes its messages and params from the prompt version: "
        "remove target.messages and target.params"
    ]
    case_params = PROMPT_SUITE.replace("    vars:", "    params: {temperature: 0}\n    vars:")
    assert problems(tmp_path, case_params) == [
        "4: cases.0: a prompt target renders the prompt's messages from the case's vars "
        "(remove the case's messages and params)"
    ]
    assert problems(tmp_path, PROMPT_SUITE.replace("support@production", "support"))[0].startswith(
        "2: target.prompt: String should match pattern"
    )


def test_similarity_without_the_extra_is_a_load_error(tmp_path: Path) -> None:
    text = GOOD.replace('{type: contains, value: "x"}', '{type: similarity, reference: "hello"}')
    [problem] = problems(tmp_path, text)
    assert problem.startswith("13: cases.0.assert: similarity needs the 'embeddings' extra")
    assert "pip install 'seawall[embeddings]'" in problem


def test_custom_functions_are_imported_at_load_time(tmp_path: Path) -> None:
    (tmp_path / "mychecks.py").write_text("def short(output, case):\n    return len(output) < 5\n")
    text = GOOD.replace(
        '{type: contains, value: "x"}', '{type: python, function: "mychecks:short"}'
    )
    loaded = load_suite(write(tmp_path, text))
    assert loaded.plugins["mychecks:short"]("abc", None) is True
    missing = GOOD.replace(
        '{type: contains, value: "x"}', '{type: python, function: "mychecks:nope"}'
    )
    [problem] = problems(tmp_path, missing)
    assert problem.startswith("13: cases.0.assert: cannot import mychecks:nope: AttributeError")


def test_models_are_checked_against_the_config(tmp_path: Path) -> None:
    loaded = load_suite(write(tmp_path, GOOD))
    check_models(loaded, {"chat", "other"}, "seawall.yaml")
    with pytest.raises(SuiteError) as info:
        check_models(loaded, {"other"}, "seawall.yaml")
    assert info.value.problems == [
        "2: target.model: unknown model 'chat' in seawall.yaml (known: other)"
    ]


def test_rendering_is_substitution_only() -> None:
    assert render("Hi {{ name }}, {{n}}!", {"name": "Ada", "n": [1, 2]}) == "Hi Ada, [1,2]!"
    assert render("{{ name.attr }} {% if x %}", {}) == "{{ name.attr }} {% if x %}", (
        "nothing else is a template"
    )
    with pytest.raises(RenderError, match="undefined variable 'who'"):
        render("Hi {{who}}", {})
