"""Feedback requests: their shape checks, what counts as negative."""

from __future__ import annotations

import pytest

from seawall.core.errors import InvalidRequest
from seawall.review.feedback import is_negative, parse_feedback

TRACE = "a" * 32


def test_a_rating_with_a_score() -> None:
    parsed = parse_feedback({"trace_id": TRACE, "kind": "rating", "score": 1})
    assert (parsed.kind, parsed.score, parsed.negative) == ("rating", 1.0, False)
    assert parse_feedback({"trace_id": TRACE, "score": 0.2}).negative  # kind defaults to rating


def test_a_correction_keeps_the_corrected_answer() -> None:
    parsed = parse_feedback({"trace_id": TRACE, "kind": "correction", "correction": "30 days"})
    assert (parsed.correction, parsed.negative) == ("30 days", True)
    # A client that follows the public contract (no 'correction' field) sends it as the comment.
    by_comment = parse_feedback({"trace_id": TRACE, "kind": "correction", "comment": "30 days"})
    assert by_comment.correction == "30 days"


@pytest.mark.parametrize(
    ("kind", "score", "label", "negative"),
    [
        ("complaint", None, None, True),
        ("correction", None, None, True),
        ("rating", 0.49, None, True),
        ("rating", 0.5, None, False),
        ("rating", None, "Thumbs_Down", True),
        ("rating", None, "great", False),
        ("rating", 0.9, "wrong", True),
    ],
)
def test_what_counts_as_negative(
    kind: str, score: float | None, label: str | None, negative: bool
) -> None:
    assert is_negative(kind, score, label) is negative


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({"kind": "rating", "score": 1}, "trace_id", "must be the trace id"),
        ({"trace_id": "x" * 33, "score": 1}, "trace_id", "must be the trace id"),
        ({"trace_id": TRACE, "kind": "like", "score": 1}, "kind", "rating, complaint, correction"),
        ({"trace_id": TRACE, "score": 5}, "score", r"from 0 \(worst\) to 1 \(best\)"),
        ({"trace_id": TRACE, "score": True}, "score", r"from 0 \(worst\) to 1 \(best\)"),
        ({"trace_id": TRACE, "kind": "rating"}, "score", "needs a 'score' or a 'label'"),
        ({"trace_id": TRACE, "kind": "correction"}, "correction", "needs the corrected answer"),
        ({"trace_id": TRACE, "kind": "complaint", "comment": 3}, "comment", "must be a string"),
        ({"trace_id": TRACE, "score": 1, "stars": 5}, "stars", "unknown field 'stars'"),
    ],
)
def test_bad_feedback_names_the_field(body: dict[str, object], param: str, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message) as caught:
        parse_feedback(body)
    assert caught.value.param == param
    assert caught.value.status_code == 400
