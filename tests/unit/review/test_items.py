"""The review item state machine: allowed and refused transitions, claim timeouts, the SLA."""

from __future__ import annotations

import pytest

from seawall.core.clock import FrozenClock
from seawall.core.errors import InvalidRequest
from seawall.review import items
from seawall.review.items import ReviewItem, TransitionError


def make(clock: FrozenClock, **overrides: object) -> ReviewItem:
    fields: dict[str, object] = {
        "tenant": "acme",
        "trace_id": "t" * 32,
        "source": "escalation",
        "mode": "hold",
        "reasons": [{"code": "low_confidence", "message": "confidence 0.20 is below 0.60"}],
        "context": {"model": "chat", "confidence": 0.2},
        "answer": "The refund window is 90 days.",
        "now": clock.wall(),
        "sla_s": 3600.0,
        "claim_timeout_s": 600.0,
        "webhook_url": None,
    }
    fields.update(overrides)
    return items.new_item(**fields)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(1_800_000_000.0)


def test_a_new_item_is_pending_and_due_after_its_sla(clock: FrozenClock) -> None:
    item = make(clock)
    assert item.status == "pending"
    assert item.due_at == clock.wall() + 3600
    assert item.id.startswith("rv")
    assert len(item.id) == 18
    assert items.decision_of(item) is None


def test_claim_then_approve_keeps_the_answer(clock: FrozenClock) -> None:
    claimed = items.claim(make(clock), "key:alice", clock.wall())
    assert (claimed.status, claimed.claimed_by) == ("claimed", "key:alice")
    assert claimed.claim_expires_at == clock.wall() + 600
    clock.advance(30)
    done = items.resolve(claimed, "key:alice", "approve", clock.wall())
    assert done.status == "approved"
    assert done.final_answer == "The refund window is 90 days."
    decision = items.decision_of(done)
    assert decision is not None
    assert decision.as_dict() == {
        "review_id": done.id,
        "trace_id": "t" * 32,
        "decision": "approved",
        "final_answer": "The refund window is 90 days.",
        "reviewer": "key:alice",
        "reason": None,
        "decided_at": clock.wall(),
    }


def test_edit_overrides_the_answer_and_reject_needs_a_reason(clock: FrozenClock) -> None:
    claimed = items.claim(make(clock), "key:alice", clock.wall())
    edited = items.resolve(
        claimed, "key:alice", "edit", clock.wall(), answer="30 days.", reason="policy"
    )
    assert (edited.status, edited.final_answer, edited.reason) == ("edited", "30 days.", "policy")
    with pytest.raises(InvalidRequest, match="needs the corrected answer"):
        items.resolve(claimed, "key:alice", "edit", clock.wall(), answer="  ")
    with pytest.raises(InvalidRequest, match="needs a reason"):
        items.resolve(claimed, "key:alice", "reject", clock.wall(), reason=" ")
    rejected = items.resolve(claimed, "key:alice", "reject", clock.wall(), reason="made up")
    assert (rejected.status, rejected.final_answer) == ("rejected", None)


def test_an_unknown_decision_is_a_bad_request(clock: FrozenClock) -> None:
    claimed = items.claim(make(clock), "key:alice", clock.wall())
    with pytest.raises(InvalidRequest, match="approve, edit, reject") as caught:
        items.resolve(claimed, "key:alice", "maybe", clock.wall())
    assert caught.value.status_code == 400


def test_a_pending_item_cannot_be_resolved_without_a_claim(clock: FrozenClock) -> None:
    with pytest.raises(TransitionError, match="not claimed; claim it first") as caught:
        items.resolve(make(clock), "key:alice", "approve", clock.wall())
    assert caught.value.status_code == 409


def test_another_reviewer_cannot_take_or_resolve_a_held_claim(clock: FrozenClock) -> None:
    claimed = items.claim(make(clock), "key:alice", clock.wall())
    with pytest.raises(TransitionError, match="claimed by key:alice for 600 s more"):
        items.claim(claimed, "key:bob", clock.wall())
    with pytest.raises(TransitionError, match="claimed by key:alice"):
        items.resolve(claimed, "key:bob", "approve", clock.wall())
    again = items.claim(claimed, "key:alice", clock.wall() + 100)  # the holder may renew
    assert again.claim_expires_at == clock.wall() + 700


def test_a_lapsed_claim_returns_the_item_to_the_queue(clock: FrozenClock) -> None:
    claimed = items.claim(make(clock), "key:alice", clock.wall())
    clock.advance(600)
    assert claimed.status_at(clock.wall()) == "pending"
    with pytest.raises(TransitionError, match="your claim lapsed; claim it first"):
        items.resolve(claimed, "key:alice", "approve", clock.wall())
    taken = items.claim(claimed, "key:bob", clock.wall())
    assert taken.claimed_by == "key:bob"


def test_resolved_items_are_final(clock: FrozenClock) -> None:
    claimed = items.claim(make(clock), "key:alice", clock.wall())
    done = items.resolve(claimed, "key:alice", "approve", clock.wall())
    with pytest.raises(TransitionError, match="already approved"):
        items.claim(done, "key:bob", clock.wall())
    with pytest.raises(TransitionError, match="already approved"):
        items.resolve(done, "key:alice", "reject", clock.wall(), reason="changed my mind")


def test_overdue_is_flagged_once_at_the_due_time(clock: FrozenClock) -> None:
    item = make(clock)
    clock.advance(3599)
    assert items.mark_overdue(item, clock.wall()) is None
    clock.advance(1)
    flagged = items.mark_overdue(item, clock.wall())
    assert flagged is not None
    assert (flagged.overdue, flagged.overdue_at) == (True, clock.wall())
    assert items.mark_overdue(flagged, clock.wall() + 10) is None  # one alert, not one a scan
    assert flagged.summary(clock.wall())["overdue"] is True


def test_claimed_items_go_overdue_too_but_resolved_ones_never(clock: FrozenClock) -> None:
    claimed = items.claim(make(clock), "key:alice", clock.wall())
    resolved = items.resolve(claimed, "key:alice", "approve", clock.wall())
    clock.advance(7200)
    assert items.mark_overdue(claimed, clock.wall()) is not None
    assert items.mark_overdue(resolved, clock.wall()) is None


def test_an_overdue_item_can_still_be_resolved(clock: FrozenClock) -> None:
    item = make(clock)
    clock.advance(4000)
    flagged = items.mark_overdue(item, clock.wall())
    assert flagged is not None
    claimed = items.claim(flagged, "key:alice", clock.wall())
    assert items.resolve(claimed, "key:alice", "approve", clock.wall()).overdue is True


def test_a_webhook_delivery_is_pending_once_resolved(clock: FrozenClock) -> None:
    item = make(clock, webhook_url="http://127.0.0.1:9/hook")
    claimed = items.claim(item, "key:alice", clock.wall())
    assert claimed.webhook_status is None
    assert items.resolve(claimed, "key:alice", "approve", clock.wall()).webhook_status == "pending"


def test_items_survive_the_json_round_trip_of_the_api(clock: FrozenClock) -> None:
    claimed = items.claim(make(clock), "key:alice", clock.wall())
    done = items.resolve(claimed, "key:alice", "edit", clock.wall(), answer="30 days.")
    data = done.as_dict(clock.wall())
    assert data["status"] == "edited"
    assert ReviewItem.from_dict(data) == done
