"""Growing a suite: cases from traces, written back with the file's comments and layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.evals.addcase import AddCaseError, add_case, case_from_trace, parse_expect
from seawall.evals.load import load_suite
from seawall.telemetry.records import CallRecord

SUITE = """\
# Top comment
name: support   # the name
target:
  model: chat
  messages:
    - {role: user, content: "{{q}}"}
cases:
  # happy path
  - id: first
    vars: {q: "hi"}   # inline
    assert:
      - {type: contains, value: "x"}
"""

# The same file in the other common style (sequences flush with their key).
FLUSH_LEFT = (
    SUITE.replace("    - {role", "  - {role")
    .replace("  # happy path\n  - id: first", "# happy path\n- id: first")
    .replace("    vars:", "  vars:")
    .replace("    assert:\n      -", "  assert:\n  -")
)


def record(**changes: object) -> CallRecord:
    call = CallRecord(
        trace_id="ab" * 16,
        started_at=1_700_000_000.0,
        model="chat",
        stream=False,
        request={
            "model": "chat",
            "messages": [
                {"role": "system", "content": "Be nice."},
                {"role": "user", "content": [{"type": "text", "text": "Where is my order?"}]},
            ],
        },
    )
    for name, value in changes.items():
        setattr(call, name, value)
    return call


@pytest.mark.parametrize("text", [SUITE, FLUSH_LEFT], ids=["indented", "flush-left"])
def test_add_case_keeps_comments_and_layout(tmp_path: Path, text: str) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(text)
    case = case_from_trace(record(), [parse_expect("contains:tracking link")], tags=["orders"])
    add_case(path, case, comment="from trace abab")
    written = path.read_text()
    assert written.startswith(text), "everything before the new case is untouched"
    dash = "  - " if text is SUITE else "- "
    assert f"{dash[:-2]}# from trace abab\n{dash}id: trace-abababababab\n" in written
    loaded = load_suite(path)
    new = loaded.suite.cases[-1]
    assert new.tags == ["regression", "orders"]
    assert [m.content for m in loaded.suite.messages_for(new)] == ["Be nice.", "Where is my order?"]
    assert new.description == "from trace " + "ab" * 16 + " (chat, 2023-11-14)"


def test_a_bad_or_duplicate_case_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(SUITE)
    with pytest.raises(AddCaseError, match="already has a case with id 'first'"):
        add_case(path, {"id": "first", "vars": {"q": "x"}, "assert": [{"type": "is_json"}]})
    with pytest.raises(AddCaseError, match="the new case is not valid: id"):
        add_case(path, {"id": "has space", "assert": [{"type": "is_json"}]})
    assert path.read_text() == SUITE
    assert not list(tmp_path.glob(".suite.yaml.*")), "no temporary file left behind"


def test_a_trace_without_payloads_cannot_become_a_case() -> None:
    with pytest.raises(AddCaseError, match="no stored request messages"):
        case_from_trace(record(request=None), [parse_expect("is_json")])
    with pytest.raises(AddCaseError, match="at least one --expect"):
        case_from_trace(record(), [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contains:30 days", {"type": "contains", "value": "30 days"}),
        ("regex:^Yes: (.*)", {"type": "regex", "pattern": "^Yes: (.*)"}),
        ("latency:1500", {"type": "latency", "max_ms": 1500.0}),
        ("refusal", {"type": "refusal"}),
        (
            "{type: json_path, path: $.a, in: [1, 2]}",
            {"type": "json_path", "path": "$.a", "in": [1, 2]},
        ),
    ],
)
def test_expectations_from_the_command_line(text: str, expected: dict[str, object]) -> None:
    assert parse_expect(text) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("wat:1", "unknown assertion type 'wat'"),
        ("is_json:yes", "is_json takes no value"),
        ("regex:(", "not a valid regular expression"),
        ("{type: length}", "set 'min', 'max' or both"),
    ],
)
def test_bad_expectations_say_why(text: str, error: str) -> None:
    with pytest.raises(AddCaseError, match=error.replace("(", r"\(")):
        parse_expect(text)
