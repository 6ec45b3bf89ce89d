"""``ReviewService``: the review queue and feedback with audit, webhooks and overdue alerts.

Every decision is audited before the call that made it returns (``review.created``,
``review.claimed``, ``review.resolved``, ``review.overdue``, ``feedback.complaint``); the audit
entry of a resolution names the reviewer, the decision, the reason and the SHA-256 of the final
answer (the answer itself stays in the item, out of the long-lived log). Webhooks go out in
the background; an item past its SLA is flagged once (across replicas) and handed to
``on_overdue``, the alert engine's hook.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from seawall.core.clock import Clock
from seawall.core.errors import NotFound
from seawall.review import items
from seawall.review.context import CallContext
from seawall.review.escalation import Escalation, Reason
from seawall.review.feedback import Feedback, FeedbackIn
from seawall.review.items import Decision, ReviewItem
from seawall.review.store import ReviewStore, SqlReviewStore, unknown_trace
from seawall.review.webhook import Delivery, RetryPolicy, WebhookSender
from seawall.telemetry.records import CallRecord

log = logging.getLogger("seawall.review")

OnOverdue = Callable[[ReviewItem], Awaitable[None]]
_TRACE_POLL_S = 0.05


class Actor(Protocol):
    """Who acts, and the tenant they are restricted to (``None``: every tenant).

    ``seawall.security.roles.Principal`` is one; ``SystemActor`` covers everything else.
    """

    @property
    def actor(self) -> str: ...

    @property
    def tenant_filter(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class SystemActor:
    """An actor that is not an API key: the pipeline, a scheduler, the operator's CLI."""

    actor: str
    tenant_filter: str | None = None


class AuditRecorder(Protocol):
    """Appends one durable audit entry (``seawall.security.service.Security.record``)."""

    async def record(
        self,
        action: str,
        actor: str,
        *,
        tenant: str | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> object: ...


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    """Defaults of the queue (escalation rules bring their own SLA and claim timeout)."""

    complaint_sla_s: float = 86_400.0
    claim_timeout_s: float = 900.0
    # Call records are written off the hot path (within store.flush_interval_ms): feedback
    # sent right after an answer may find no record yet, so look again for this long.
    trace_grace_s: float = 1.0
    scan_interval_s: float = 30.0
    webhook: RetryPolicy = field(default_factory=RetryPolicy)


class ReviewService:
    """The review queue, feedback, their audit trail, webhooks and overdue alerts."""

    def __init__(
        self,
        store: ReviewStore,
        audit: AuditRecorder,
        clock: Clock,
        *,
        on_overdue: OnOverdue | None = None,
        settings: ReviewSettings | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or ReviewSettings()
        self._audit = audit
        self._clock = clock
        self._on_overdue = on_overdue
        self.webhooks = WebhookSender(self.settings.webhook, on_done=self._webhook_done)
        self._scanner: asyncio.Task[None] | None = None

    @classmethod
    def open(
        cls,
        url: str,
        audit: AuditRecorder,
        clock: Clock,
        *,
        on_overdue: OnOverdue | None = None,
        settings: ReviewSettings | None = None,
    ) -> ReviewService:
        """A service on the store at ``url`` (already migrated: ``open_store`` does that)."""
        return cls(SqlReviewStore(url), audit, clock, on_overdue=on_overdue, settings=settings)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, scan_in_background: bool = True) -> None:
        """Resume webhooks a previous process left undelivered; start the overdue scan."""
        for item in await self.store.undelivered():
            self._send_webhook(item)
        if scan_in_background:
            self._scanner = asyncio.create_task(self._scan_forever(), name="review-overdue")

    async def aclose(self) -> None:
        """Stop the scan, let webhooks in flight finish (briefly), close the store."""
        if self._scanner is not None:
            self._scanner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scanner
        await self.webhooks.aclose()
        await self.store.aclose()

    async def _scan_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.scan_interval_s)
            try:
                await self.scan_overdue()
            except Exception:  # the store may be briefly down; the next round catches up
                log.warning("overdue review scan failed; will retry", exc_info=True)

    # ------------------------------------------------------------------ escalations

    async def queue(self, call: CallContext, escalation: Escalation) -> ReviewItem:
        """Open a review item for an escalated call (any mode); audited."""
        item = items.new_item(
            tenant=call.tenant,
            trace_id=call.trace_id,
            source="escalation",
            mode=escalation.mode,
            reasons=[reason.as_dict() for reason in escalation.reasons],
            context=call.as_dict(),
            answer=call.answer,
            now=self._clock.wall(),
            sla_s=escalation.sla_s,
            claim_timeout_s=escalation.claim_timeout_s,
            webhook_url=escalation.webhook_url,
        )
        await self.store.create_item(item)
        actor = f"key:{call.key_id}" if call.key_id else "system:review"
        await self._record("review.created", actor, item, {"reasons": escalation.codes})
        return item

    async def hold(self, call: CallContext, escalation: Escalation) -> str:
        """Queue a held call; the caller answers 202 with the returned review id."""
        return (await self.queue(call, escalation)).id

    async def decision(self, item_id: str, tenant: str | None = None) -> Decision | None:
        """The decision on an item (None while it waits); ``NotFound`` outside ``tenant``."""
        return items.decision_of(await self._get(item_id, tenant))

    # ------------------------------------------------------------------ the queue

    async def get(self, item_id: str, who: Actor) -> ReviewItem:
        """One item ``who`` may see; ``NotFound`` otherwise."""
        return await self._get(item_id, who.tenant_filter)

    async def list_items(
        self,
        who: Actor,
        *,
        status: str | None = None,
        overdue: bool | None = None,
        limit: int = 100,
    ) -> list[ReviewItem]:
        """Items of ``who``'s tenant, filtered as ``ReviewStore.list_items``."""
        return await self.store.list_items(
            self._clock.wall(),
            tenant=who.tenant_filter,
            status=status,
            overdue=overdue,
            limit=limit,
        )

    async def claim(self, item_id: str, who: Actor) -> ReviewItem:
        """Claim the item for ``who`` (atomic across replicas); audited."""
        item = await self.store.claim(
            item_id, who.actor, self._clock.wall(), tenant=who.tenant_filter
        )
        detail = {"claim_expires_at": item.claim_expires_at}
        await self._record("review.claimed", who.actor, item, detail)
        return item

    async def resolve(
        self,
        item_id: str,
        who: Actor,
        decision: str,
        *,
        answer: str | None = None,
        reason: str | None = None,
    ) -> ReviewItem:
        """Approve, edit or reject an item ``who`` holds; audited, then the webhook goes out."""
        item = await self.store.resolve(
            item_id,
            who.actor,
            decision,
            self._clock.wall(),
            tenant=who.tenant_filter,
            answer=answer,
            reason=reason,
        )
        detail = {
            "decision": item.status,
            "reason": item.reason,
            "answer_sha256": _sha256(item.final_answer),
            "overdue": item.overdue,
        }
        await self._record("review.resolved", who.actor, item, detail)
        self._send_webhook(item)
        return item

    async def scan_overdue(self) -> list[ReviewItem]:
        """Flag items past their SLA, audit each and raise its alert; returns those flagged."""
        flagged = await self.store.mark_overdue(self._clock.wall())
        for item in flagged:
            await self._record("review.overdue", "system:review", item, {"due_at": item.due_at})
            if self._on_overdue is not None:
                try:
                    await self._on_overdue(item)
                except Exception:  # the item stays flagged; the alert path logs its own failure
                    log.error("overdue alert for review %s failed", item.id, exc_info=True)
        return flagged

    # ------------------------------------------------------------------ feedback

    async def add_feedback(self, who: Actor, new: FeedbackIn) -> Feedback:
        """Store feedback on a call of ``who``'s tenant; a complaint opens a review item."""
        record = await self._find_call(new.trace_id, who.tenant_filter)
        review_id = None
        if new.kind == "complaint":
            review_id = (await self._complaint(who, record, new)).id
        return await self.store.add_feedback(
            new,
            actor=who.actor,
            now=self._clock.wall(),
            tenant=who.tenant_filter,
            review_id=review_id,
        )

    async def list_feedback(
        self,
        who: Actor,
        *,
        trace_id: str | None = None,
        since: float | None = None,
        limit: int = 100,
    ) -> list[Feedback]:
        """Feedback of ``who``'s tenant, newest first."""
        return await self.store.list_feedback(
            tenant=who.tenant_filter, trace_id=trace_id, since=since, limit=limit
        )

    async def negative_feedback_rates(
        self, who: Actor, since: float, *, by: Sequence[str] = ("model",)
    ) -> list[dict[str, Any]]:
        """Negative-feedback rate per group of ``who``'s calls since ``since``."""
        return await self.store.negative_feedback_rates(since, by=by, tenant=who.tenant_filter)

    async def _complaint(self, who: Actor, record: CallRecord, new: FeedbackIn) -> ReviewItem:
        reason = Reason("complaint", f"user complaint: {new.comment or '(no comment)'}")
        context = CallContext.from_record(record)
        item = items.new_item(
            tenant=record.tenant,
            trace_id=record.trace_id,
            source="complaint",
            mode="advise",  # the answer already went out
            reasons=[reason.as_dict()],
            context=context.as_dict(),
            answer=context.answer,
            now=self._clock.wall(),
            sla_s=self.settings.complaint_sla_s,
            claim_timeout_s=self.settings.claim_timeout_s,
        )
        await self.store.create_item(item)
        await self._record("review.created", who.actor, item, {"reasons": ["complaint"]})
        return item

    async def _find_call(self, trace_id: str, tenant: str | None) -> CallRecord:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.trace_grace_s
        while True:
            record = await self.store.get_call(trace_id, tenant)
            if record is not None:
                return record
            if loop.time() >= deadline:
                raise unknown_trace(trace_id)
            await asyncio.sleep(_TRACE_POLL_S)  # the record writer flushes within this grace

    # ------------------------------------------------------------------ plumbing

    async def _get(self, item_id: str, tenant: str | None) -> ReviewItem:
        item = await self.store.get_item(item_id, tenant)
        if item is None:
            # Another tenant's item is reported exactly like a missing one: ids must not leak.
            raise NotFound(f"no review with id '{item_id}'", param="review_id")
        return item

    async def _record(
        self, action: str, actor: str, item: ReviewItem, detail: Mapping[str, Any]
    ) -> None:
        base = {"trace_id": item.trace_id, "source": item.source, "mode": item.mode}
        await self._audit.record(
            action, actor, tenant=item.tenant, target=item.id, detail={**base, **detail}
        )

    def _send_webhook(self, item: ReviewItem) -> None:
        decision = items.decision_of(item)
        if item.webhook_url is None or decision is None:
            return
        self.webhooks.submit(item.id, item.webhook_url, decision.as_dict())

    async def _webhook_done(self, item_id: str, delivery: Delivery) -> None:
        await self.store.set_webhook(item_id, delivery.status, delivery.attempts, delivery.error)


def _sha256(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if text is not None else None
