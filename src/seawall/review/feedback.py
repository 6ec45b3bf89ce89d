"""Feedback on an answer: a rating, a complaint or a correction, each about one trace.

    {"trace_id": "...", "kind": "rating", "score": 0.0..1.0, "label": "...", "comment": "..."}
    {"trace_id": "...", "kind": "complaint", "comment": "..."}          opens a review item
    {"trace_id": "...", "kind": "correction", "correction": "the right answer"}

``score`` runs from 0 (worst) to 1 (best). Feedback is **negative** when it is a complaint or a
correction, a rating scored below 0.5, or a rating labelled as bad (``NEGATIVE_LABELS``); the
negative-feedback rate of a model (prompt, release) is the share of its calls that received
negative feedback.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from seawall.core.errors import InvalidRequest

KINDS = ("rating", "complaint", "correction")
NEGATIVE_SCORE = 0.5  # scores below this are negative
NEGATIVE_LABELS = frozenset(
    {"bad", "negative", "thumbs_down", "thumbs-down", "down", "incorrect", "wrong", "unhelpful"}
)
MAX_TEXT = 20_000  # characters of a comment, label or correction
_TRACE_ID_MAX = 32


@dataclass(frozen=True, slots=True)
class FeedbackIn:
    """A feedback request after its shape was checked."""

    trace_id: str
    kind: str
    score: float | None = None
    label: str | None = None
    comment: str | None = None
    correction: str | None = None

    @property
    def negative(self) -> bool:
        return is_negative(self.kind, self.score, self.label)


@dataclass(frozen=True, slots=True)
class Feedback:
    """Stored feedback; ``tenant`` is the tenant of the call it is about."""

    id: str
    trace_id: str
    tenant: str | None
    kind: str
    score: float | None
    label: str | None
    comment: str | None
    correction: str | None
    negative: bool
    created_at: float
    actor: str
    review_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "trace_id": self.trace_id,
            "tenant": self.tenant,
            "kind": self.kind,
            "score": self.score,
            "label": self.label,
            "comment": self.comment,
            "correction": self.correction,
            "negative": self.negative,
            "created_at": self.created_at,
            "actor": self.actor,
            "review_id": self.review_id,
        }


def is_negative(kind: str, score: float | None, label: str | None) -> bool:
    """Does this feedback say the answer was bad? (See the module docstring.)"""
    if kind in ("complaint", "correction"):
        return True
    if score is not None and score < NEGATIVE_SCORE:
        return True
    return label is not None and label.strip().casefold() in NEGATIVE_LABELS


def new_feedback_id() -> str:
    """A feedback id: ``fb`` and 16 hex digits."""
    return f"fb{secrets.token_hex(8)}"


def parse_feedback(body: Mapping[str, Any]) -> FeedbackIn:
    """The feedback in a request body; ``InvalidRequest`` names the first bad field."""
    unknown = sorted(set(body) - {"trace_id", "kind", "score", "label", "comment", "correction"})
    if unknown:
        raise InvalidRequest(f"unknown field '{unknown[0]}' in feedback", param=unknown[0])
    trace_id = body.get("trace_id")
    if not isinstance(trace_id, str) or not trace_id or len(trace_id) > _TRACE_ID_MAX:
        raise InvalidRequest("'trace_id' must be the trace id of a call", param="trace_id")
    kind = body.get("kind", "rating")
    if kind not in KINDS:
        raise InvalidRequest(f"'kind' must be one of {', '.join(KINDS)}", param="kind")
    score = body.get("score")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1
    ):
        raise InvalidRequest("'score' must be a number from 0 (worst) to 1 (best)", param="score")
    label, comment, correction = (_text(body, name) for name in ("label", "comment", "correction"))
    if kind == "rating" and score is None and label is None:
        raise InvalidRequest("a rating needs a 'score' or a 'label'", param="score")
    if kind == "correction":
        # The public contract has no 'correction' field; a client that follows it sends the
        # corrected answer as the comment.
        correction = correction or comment
        if correction is None:
            raise InvalidRequest("a correction needs the corrected answer", param="correction")
    return FeedbackIn(
        trace_id,
        kind,
        float(score) if score is not None else None,
        label,
        comment,
        correction,
    )


def _text(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"'{name}' must be a string", param=name)
    if len(value) > MAX_TEXT:
        raise InvalidRequest(f"'{name}' is longer than {MAX_TEXT} characters", param=name)
    return value if value.strip() else None
