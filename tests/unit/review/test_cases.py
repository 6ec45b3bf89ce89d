"""Resolutions and corrections as eval cases, written into a real suite file by ``add_case``."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawall.core.clock import FrozenClock
from seawall.evals.addcase import add_case
from seawall.evals.load import load_suite
from seawall.review import items
from seawall.review.cases import CaseError, case_from_correction, case_from_review
from seawall.review.context import CallContext

SUITE = """\
name: support
target:
  model: chat
cases:
  # the first case
  - id: hello
    messages: [{role: user, content: hi}]
    assert: [{type: contains, value: hi}]
"""


def resolved(decision: str, context: CallContext, **kwargs: str) -> items.ReviewItem:
    clock = FrozenClock()
    item = items.new_item(
        tenant="acme",
        trace_id=context.trace_id,
        source="escalation",
        mode="advise",
        reasons=[],
        context=context.as_dict(),
        answer=context.answer,
        now=clock.wall(),
        sla_s=60,
        claim_timeout_s=60,
    )
    claimed = items.claim(item, "key:alice", clock.wall())
    return items.resolve(claimed, "key:alice", decision, clock.wall(), **kwargs)


CHAT = CallContext(
    trace_id="b" * 32,
    tenant="acme",
    model="chat",
    answer="You have 90 days.",
    messages=[
        {"role": "system", "content": "You are ACME support."},
        {"role": "user", "content": [{"type": "text", "text": "How long to return?"}]},
        {"role": "tool", "content": "ignored"},
    ],
)


def test_an_edit_becomes_an_equals_case_with_the_reviewers_answer(tmp_path: Path) -> None:
    item = resolved("edit", CHAT, answer="You have 30 days.", reason="policy says 30")
    case = case_from_review(item)
    assert case["assert"] == [{"type": "equals", "value": "You have 30 days."}]
    assert case["messages"] == [
        {"role": "system", "content": "You are ACME support."},
        {"role": "user", "content": "How long to return?"},
    ]
    assert case["id"] == f"review-{item.id}"
    assert "corrected by key:alice" in case["description"]
    suite = tmp_path / "support.yaml"
    suite.write_text(SUITE)
    add_case(suite, case)
    loaded = load_suite(suite)
    assert [c.id for c in loaded.suite.cases] == ["hello", case["id"]]
    assert "# the first case" in suite.read_text()


def test_a_rejection_expects_the_rejected_answer_to_stay_away() -> None:
    case = case_from_review(resolved("reject", CHAT, reason="made up"))
    assert case["assert"] == [{"type": "not_contains", "value": "You have 90 days."}]


def test_json_answers_are_expected_as_json_values() -> None:
    schema_call = CallContext(
        trace_id="c" * 32,
        tenant="acme",
        model="chat",
        answer='{"days": 90}',
        variables={"question": "return window?"},
        output_schema={"type": "object"},
    )
    case = case_from_review(resolved("edit", schema_call, answer='{"days": 30}'), use_vars=True)
    assert case["assert"] == [{"type": "equals", "value": {"days": 30}}]
    assert case["vars"] == {"question": "return window?"}
    assert "messages" not in case


def test_a_case_needs_something_to_replay() -> None:
    bare = CallContext(trace_id="d" * 32, tenant=None, model="chat", answer="x")
    with pytest.raises(CaseError, match="no stored messages"):
        case_from_review(resolved("approve", bare))
    with pytest.raises(CaseError, match="no prompt variables"):
        case_from_review(resolved("approve", bare), use_vars=True)


def test_a_correction_becomes_a_case() -> None:
    case = case_from_correction(CHAT.as_dict(), " 30 days ", case_id="fix-1")
    assert case["assert"] == [{"type": "equals", "value": "30 days"}]
    assert case["tags"] == ["regression", "correction"]
