"""``ReviewService`` on a real store with the real audit log, webhooks and a frozen clock."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from helpers.webhooks import webhook_receiver
from seawall.config import AuthConfig
from seawall.core.clock import FrozenClock
from seawall.core.errors import NotFound
from seawall.review.context import CallContext
from seawall.review.escalation import CallSignals, EscalationRules, decide
from seawall.review.feedback import FeedbackIn
from seawall.review.items import ReviewItem
from seawall.review.service import ReviewService, ReviewSettings, SystemActor
from seawall.review.webhook import RetryPolicy
from seawall.security.roles import Principal
from seawall.security.service import Security
from seawall.store import SqlCallStore, open_store
from seawall.telemetry.records import AttemptRecord, CallRecord

START = 1_800_000_000.0
ALICE = Principal("alice", "acme", "reviewer")
GLOBEX_REVIEWER = Principal("gina", "globex", "reviewer")
ACME_APP = Principal("app1", "acme", "app")
SETTINGS = ReviewSettings(
    trace_grace_s=0.3, webhook=RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05)
)


@dataclass
class Alerts:
    """The ``on_overdue`` hook, as the alert engine would take it."""

    raised: list[ReviewItem] = field(default_factory=list)

    async def __call__(self, item: ReviewItem) -> None:
        self.raised.append(item)


@dataclass
class Env:
    service: ReviewService
    security: Security
    calls: SqlCallStore
    clock: FrozenClock
    alerts: Alerts


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    url = f"sqlite:///{tmp_path}/seawall.db"
    clock = FrozenClock(START)
    calls = await open_store(url)
    security = Security(url, AuthConfig(), clock)
    await security.start(refresh_in_background=False)
    alerts = Alerts()
    service = ReviewService.open(url, security, clock, on_overdue=alerts, settings=SETTINGS)
    await service.start(scan_in_background=False)
    yield Env(service, security, calls, clock, alerts)
    await service.aclose()
    await security.aclose()
    await calls.aclose()


def held_call(trace_id: str = "a" * 32, tenant: str = "acme") -> CallContext:
    return CallContext(
        trace_id=trace_id,
        tenant=tenant,
        model="support",
        answer="Refunds take 90 days.",
        messages=[{"role": "user", "content": "How long do refunds take?"}],
        variables={"question": "How long do refunds take?"},
        prompt="support@3",
        attempts=[{"target": "sim/sim-small", "status": "ok"}],
        validation="repaired",
        confidence=0.31,
        confidence_components=[{"signal": "validation", "value": 0.85}],
        user="u-42",
        tags=["vip"],
        key_id="app1",
    )


def hold_rules(webhook_url: str | None = None) -> EscalationRules:
    return EscalationRules(min_confidence=0.6, mode="hold", sla_s=600, webhook_url=webhook_url)


async def queue_held(env: Env, webhook_url: str | None = None) -> str:
    escalation = decide(hold_rules(webhook_url), CallSignals(confidence=0.31))
    assert escalation is not None
    return await env.service.hold(held_call(), escalation)


async def test_hold_then_resolve_is_audited_and_polled(env: Env) -> None:
    review_id = await queue_held(env)
    assert await env.service.decision(review_id, "acme") is None
    item = await env.service.get(review_id, ALICE)
    assert item.context["prompt"] == "support@3"
    assert item.context["messages"][0]["content"] == "How long do refunds take?"
    assert item.reasons[0]["code"] == "low_confidence"
    await env.service.claim(review_id, ALICE)
    env.clock.advance(42)
    await env.service.resolve(
        review_id, ALICE, "edit", answer="Refunds take 5 days.", reason="policy"
    )
    decision = await env.service.decision(review_id, "acme")
    assert decision is not None
    assert (decision.decision, decision.final_answer, decision.reviewer) == (
        "edited",
        "Refunds take 5 days.",
        "key:alice",
    )
    entries = await env.security.audit.entries(action="review.*")
    assert [(e.action, e.actor, e.tenant, e.target) for e in entries] == [
        ("review.created", "key:app1", "acme", review_id),
        ("review.claimed", "key:alice", "acme", review_id),
        ("review.resolved", "key:alice", "acme", review_id),
    ]
    resolved = entries[-1].detail
    assert resolved["decision"] == "edited"
    assert resolved["reason"] == "policy"
    assert resolved["answer_sha256"] == hashlib.sha256(b"Refunds take 5 days.").hexdigest()
    assert (await env.security.audit.verify()).ok


async def test_other_tenants_cannot_see_or_touch_an_item(env: Env) -> None:
    review_id = await queue_held(env)
    for action in (
        env.service.get(review_id, GLOBEX_REVIEWER),
        env.service.claim(review_id, GLOBEX_REVIEWER),
        env.service.decision(review_id, "globex"),
    ):
        with pytest.raises(NotFound, match=f"no review with id '{review_id}'"):
            await action
    assert await env.service.list_items(GLOBEX_REVIEWER) == []
    assert [i.id for i in await env.service.list_items(ALICE)] == [review_id]
    everyone = SystemActor("cli:ops")
    assert [i.id for i in await env.service.list_items(everyone, status="open")] == [review_id]


async def test_the_decision_reaches_the_webhook_through_retries(env: Env) -> None:
    with webhook_receiver([503, 502]) as receiver:
        review_id = await queue_held(env, receiver.url)
        await env.service.claim(review_id, ALICE)
        await env.service.resolve(review_id, ALICE, "approve")
        await env.service.webhooks.drain(10)
    assert [r.body for r in receiver.received][-1] == {
        "review_id": review_id,
        "trace_id": "a" * 32,
        "decision": "approved",
        "final_answer": "Refunds take 90 days.",
        "reviewer": "key:alice",
        "reason": None,
        "decided_at": START,
    }
    stored = await env.service.get(review_id, ALICE)
    assert (stored.webhook_status, stored.webhook_attempts) == ("delivered", 3)


async def test_an_undelivered_decision_is_sent_again_on_start(env: Env, tmp_path: Path) -> None:
    with webhook_receiver([503, 503, 503, 503]) as receiver:
        review_id = await queue_held(env, receiver.url)
        await env.service.claim(review_id, ALICE)
        await env.service.resolve(review_id, ALICE, "approve")
        await env.service.webhooks.drain(10)
        assert (await env.service.get(review_id, ALICE)).webhook_status == "failed"
        # A process that died mid-delivery leaves it pending; the next start delivers it.
        await env.service.store.set_webhook(review_id, "pending", 0, None)
        restarted = ReviewService.open(
            f"sqlite:///{tmp_path}/seawall.db", env.security, env.clock, settings=SETTINGS
        )
        await restarted.start(scan_in_background=False)
        await restarted.webhooks.drain(10)
        await restarted.aclose()
    assert len(receiver.received) == 5
    assert (await env.service.get(review_id, ALICE)).webhook_status == "delivered"


async def test_sla_expiry_raises_one_alert_event(env: Env) -> None:
    review_id = await queue_held(env)
    env.clock.advance(599)
    assert await env.service.scan_overdue() == []
    env.clock.advance(1)
    flagged = await env.service.scan_overdue()
    assert [i.id for i in flagged] == [review_id]
    assert [i.id for i in env.alerts.raised] == [review_id]
    assert await env.service.scan_overdue() == []  # flagged once, alerted once
    assert len(env.alerts.raised) == 1
    overdue = await env.security.audit.entries(action="review.overdue")
    assert [(e.actor, e.target) for e in overdue] == [("system:review", review_id)]
    listed = await env.service.list_items(ALICE, overdue=True)
    assert [i.id for i in listed] == [review_id]


async def record_call(env: Env, trace_id: str, tenant: str) -> None:
    await env.calls.write_calls(
        [
            CallRecord(
                trace_id,
                START,
                "chat",
                False,
                tenant=tenant,
                key_id="app1",
                validation="valid",
                attempts=[AttemptRecord("sim/sim-small", 0.0, 12.0, "ok")],
                request={"model": "chat", "messages": [{"role": "user", "content": "Hi?"}]},
                response={"choices": [{"message": {"role": "assistant", "content": "Hello."}}]},
                extra={"guards": {"flags": ["pii"]}},
            )
        ]
    )


async def test_a_complaint_opens_a_review_with_the_calls_context(env: Env) -> None:
    await record_call(env, "c" * 32, "acme")
    stored = await env.service.add_feedback(
        ACME_APP, FeedbackIn("c" * 32, "complaint", comment="rude answer")
    )
    assert stored.review_id is not None
    item = await env.service.get(stored.review_id, ALICE)
    assert (item.source, item.mode, item.answer) == ("complaint", "advise", "Hello.")
    assert item.reasons[0]["message"] == "user complaint: rude answer"
    assert item.context["messages"] == [{"role": "user", "content": "Hi?"}]
    assert item.context["guards"] == {"flags": ["pii"]}
    assert item.context["attempts"][0]["target"] == "sim/sim-small"
    assert item.due_at == START + SETTINGS.complaint_sla_s
    assert [f.id for f in await env.service.list_feedback(ALICE)] == [stored.id]


async def test_feedback_on_an_unknown_or_foreign_trace_is_refused(env: Env) -> None:
    await record_call(env, "d" * 32, "globex")
    for trace_id in ("d" * 32, "e" * 32):
        with pytest.raises(NotFound, match=f"no trace with id '{trace_id}'"):
            await env.service.add_feedback(ACME_APP, FeedbackIn(trace_id, "complaint"))
    assert await env.service.list_items(SystemActor("cli:ops")) == []  # no item was opened


async def test_feedback_waits_for_a_record_still_on_its_way(env: Env) -> None:
    # The record writer stores calls off the hot path: feedback may arrive first.
    pending = asyncio.create_task(
        env.service.add_feedback(ACME_APP, FeedbackIn("f" * 32, "rating", score=1.0))
    )
    await asyncio.sleep(0)  # let the feedback look once and find nothing
    await record_call(env, "f" * 32, "acme")
    stored = await asyncio.wait_for(pending, 5)
    assert stored.tenant == "acme"
