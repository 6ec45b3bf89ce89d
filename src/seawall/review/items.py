"""Review items and their allowed transitions: a pure state machine over (item, now).

    pending ──claim──▶ claimed ──resolve──▶ approved | edited | rejected
       ▲                  │
       └── claim timeout ─┘   (an unresolved claim lapses; the item is pending again)

    pending or claimed past ``due_at``  →  flagged ``overdue`` (once; an alert event fires)

A claim is held by one reviewer until ``claim_expires_at``; only that reviewer may resolve the
item while it holds. ``edit`` overrides the answer, ``reject`` needs a reason. Each transition
returns a new item with ``version`` unchanged: the store writes it only if the stored version
is still the one that was read (compare-and-set), which is what makes a claim atomic.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from seawall.core.errors import InvalidRequest

PENDING, CLAIMED = "pending", "claimed"
APPROVED, EDITED, REJECTED = "approved", "edited", "rejected"
OPEN = frozenset({PENDING, CLAIMED})
RESOLVED = frozenset({APPROVED, EDITED, REJECTED})
STATUSES = (PENDING, CLAIMED, APPROVED, EDITED, REJECTED)
DECISIONS: Mapping[str, str] = {"approve": APPROVED, "edit": EDITED, "reject": REJECTED}


class TransitionError(InvalidRequest):
    """The item is not in a state that allows this (claimed by another reviewer, resolved)."""

    status_code = 409


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A call (or a complaint about one) waiting for, or resolved by, a person."""

    id: str
    tenant: str | None
    trace_id: str | None
    source: str  # "escalation" | "complaint"
    mode: str  # "advise" | "hold" | "fallback"
    status: str
    reasons: tuple[Mapping[str, Any], ...]
    context: Mapping[str, Any]  # everything a reviewer needs (see ``CallContext``)
    answer: str | None  # the model's answer under review
    created_at: float
    due_at: float
    claim_timeout_s: float
    claimed_by: str | None = None
    claimed_at: float | None = None
    claim_expires_at: float | None = None
    resolved_by: str | None = None
    resolved_at: float | None = None
    final_answer: str | None = None
    reason: str | None = None
    overdue: bool = False
    overdue_at: float | None = None
    webhook_url: str | None = None
    webhook_status: str | None = None  # None (no webhook) | pending | delivered | failed
    webhook_attempts: int = 0
    webhook_error: str | None = None
    version: int = 0

    def status_at(self, now: float) -> str:
        """The status as of ``now``: a lapsed claim reads as pending."""
        if self.status == CLAIMED and not self.claim_holds(now):
            return PENDING
        return self.status

    def claim_holds(self, now: float) -> bool:
        return (
            self.status == CLAIMED
            and self.claim_expires_at is not None
            and now < self.claim_expires_at
        )

    @property
    def resolved(self) -> bool:
        return self.status in RESOLVED

    def summary(self, now: float) -> dict[str, Any]:
        """The fields a queue listing shows (no context)."""
        return {
            "id": self.id,
            "tenant": self.tenant,
            "trace_id": self.trace_id,
            "source": self.source,
            "mode": self.mode,
            "status": self.status_at(now),
            "reasons": [dict(r) for r in self.reasons],
            "created_at": self.created_at,
            "due_at": self.due_at,
            "overdue": self.overdue or (self.status_at(now) in OPEN and now >= self.due_at),
            "claimed_by": self.claimed_by if self.claim_holds(now) else None,
            "resolved_by": self.resolved_by,
            "confidence": self.context.get("confidence"),
            "model": self.context.get("model"),
        }

    def as_dict(self, now: float) -> dict[str, Any]:
        """Every field, with the status as of ``now`` (the admin API's ``show``)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["reasons"] = [dict(r) for r in self.reasons]
        data["context"] = dict(self.context)
        late = self.status_at(now) in OPEN and now >= self.due_at
        return {**data, "status": self.status_at(now), "stored_status": self.status, "late": late}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReviewItem:
        """An item from ``as_dict`` output (the CLI reads items from the HTTP API)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["status"] = data.get("stored_status", data.get("status"))
        values["reasons"] = tuple(data.get("reasons") or ())
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Decision:
    """What a resolved item decided, as the webhook, polling and the record see it."""

    review_id: str
    trace_id: str | None
    decision: str  # "approved" | "edited" | "rejected"
    final_answer: str | None
    reviewer: str | None
    reason: str | None
    decided_at: float | None
    tenant: str | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "review_id": self.review_id,
            "trace_id": self.trace_id,
            "decision": self.decision,
            "final_answer": self.final_answer,
            "reviewer": self.reviewer,
            "reason": self.reason,
            "decided_at": self.decided_at,
        }


def decision_of(item: ReviewItem) -> Decision | None:
    """The decision of a resolved item; None while it waits."""
    if not item.resolved:
        return None
    return Decision(
        item.id,
        item.trace_id,
        item.status,
        item.final_answer,
        item.resolved_by,
        item.reason,
        item.resolved_at,
        item.tenant,
    )


def new_id() -> str:
    """A review id: ``rv`` and 16 hex digits (unguessable: ids are shown to apps)."""
    return f"rv{secrets.token_hex(8)}"


def new_item(
    *,
    tenant: str | None,
    trace_id: str | None,
    source: str,
    mode: str,
    reasons: Sequence[Mapping[str, Any]],
    context: Mapping[str, Any],
    answer: str | None,
    now: float,
    sla_s: float,
    claim_timeout_s: float,
    webhook_url: str | None = None,
    item_id: str | None = None,
) -> ReviewItem:
    """A pending item, due ``sla_s`` from ``now``."""
    return ReviewItem(
        id=item_id or new_id(),
        tenant=tenant,
        trace_id=trace_id,
        source=source,
        mode=mode,
        status=PENDING,
        reasons=tuple(dict(r) for r in reasons),
        context=dict(context),
        answer=answer,
        created_at=now,
        due_at=now + sla_s,
        claim_timeout_s=claim_timeout_s,
        webhook_url=webhook_url,
    )


# --------------------------------------------------------------------------- transitions


def claim(item: ReviewItem, reviewer: str, now: float) -> ReviewItem:
    """``reviewer`` holds the item until ``now + claim_timeout_s`` (a holder may re-claim)."""
    if item.resolved:
        raise TransitionError(f"review {item.id} is already {item.status}")
    if item.claim_holds(now) and item.claimed_by != reviewer:
        raise TransitionError(
            f"review {item.id} is claimed by {item.claimed_by} "
            f"for {item.claim_expires_at - now if item.claim_expires_at else 0:.0f} s more"
        )
    return dataclasses.replace(
        item,
        status=CLAIMED,
        claimed_by=reviewer,
        claimed_at=now,
        claim_expires_at=now + item.claim_timeout_s,
    )


def resolve(
    item: ReviewItem,
    reviewer: str,
    decision: str,
    now: float,
    *,
    answer: str | None = None,
    reason: str | None = None,
) -> ReviewItem:
    """Approve, edit (with the new ``answer``) or reject (with a ``reason``) a claimed item."""
    status = DECISIONS.get(decision)
    if status is None:
        raise InvalidRequest(
            f"decision must be one of {', '.join(DECISIONS)} (got {decision!r})", param="decision"
        )
    _check_resolvable(item, reviewer, now)
    reason = reason.strip() if reason and reason.strip() else None
    if status == EDITED and not (answer and answer.strip()):
        raise InvalidRequest("an edit needs the corrected answer", param="answer")
    if status == REJECTED and reason is None:
        raise InvalidRequest("a rejection needs a reason", param="reason")
    final = {APPROVED: item.answer, EDITED: answer, REJECTED: None}[status]
    return dataclasses.replace(
        item,
        status=status,
        resolved_by=reviewer,
        resolved_at=now,
        final_answer=final,
        reason=reason,
        claim_expires_at=None,
        webhook_status="pending" if item.webhook_url else None,
    )


def _check_resolvable(item: ReviewItem, reviewer: str, now: float) -> None:
    if item.resolved:
        raise TransitionError(f"review {item.id} is already {item.status}")
    if not item.claim_holds(now):
        lapsed = item.status == CLAIMED and item.claimed_by == reviewer
        why = "your claim lapsed" if lapsed else "it is not claimed"
        raise TransitionError(f"review {item.id} cannot be resolved: {why}; claim it first")
    if item.claimed_by != reviewer:
        raise TransitionError(f"review {item.id} is claimed by {item.claimed_by}")


def is_overdue(item: ReviewItem, now: float) -> bool:
    """Still waiting for a decision at or after its due time."""
    return item.status in OPEN and now >= item.due_at


def mark_overdue(item: ReviewItem, now: float) -> ReviewItem | None:
    """The item flagged overdue, or None when it is not overdue or already flagged."""
    if item.overdue or not is_overdue(item, now):
        return None
    return dataclasses.replace(item, overdue=True, overdue_at=now)
