"""Where the pipeline and the services report what happened: the audit log, alert events,
and the review queue. The composition root (``wiring``) connects them once everything runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from seawall.alerts.engine import AlertEngine
from seawall.alerts.events import AlertSignal
from seawall.core.context import RequestContext
from seawall.core.errors import GuardBlocked, ServiceUnavailable
from seawall.drift.monitor import DriftFinding
from seawall.limits.budget import SoftAlert
from seawall.review.context import CallContext
from seawall.review.escalation import Escalation
from seawall.review.items import ReviewItem
from seawall.review.service import ReviewService
from seawall.security.service import Security

log = logging.getLogger("seawall")


@dataclass
class AuditSink:
    """Where the pipeline reports audited events (guard blocks) once security is up."""

    security: Security | None = None

    async def guard_blocked(self, ctx: RequestContext, error: GuardBlocked) -> None:
        if self.security is None:
            return
        actor = f"key:{ctx.key_id}" if ctx.key_id else "open-mode"
        try:
            await self.security.record(
                "guard.blocked",
                actor,
                tenant=ctx.tenant,
                target=ctx.trace_id,
                detail={"reason": error.message},
            )
        except Exception:  # the refusal stands either way; the log says the audit is short
            log.error("could not audit the guard block of trace %s", ctx.trace_id, exc_info=True)


@dataclass
class EventSink:
    """Alert events from the pipeline (budget soft limits); the alert engine subscribes."""

    recent: list[dict[str, object]] = field(default_factory=list)
    listeners: list[Callable[[dict[str, object]], None]] = field(default_factory=list)

    def soft_limit(self, alert: SoftAlert) -> None:
        event: dict[str, object] = {
            "kind": "budget_soft_limit",
            "scope": alert.scope,
            "period": alert.period,
            "soft_usd": alert.soft_usd,
            "limit_usd": alert.limit_usd,
            "resets_at": alert.resets_at,
        }
        log.warning(
            "budget soft limit reached: %s spent over $%.2f of $%.2f this %s",
            alert.scope,
            alert.soft_usd,
            alert.limit_usd,
            alert.period,
        )
        self._emit(event)

    def release_event(self, event: dict[str, object]) -> None:
        """A canary the controller rolled back (``kind: canary_rollback``)."""
        log.warning("%s", event.get("summary"))
        self._emit(event)

    async def review_overdue(self, item: ReviewItem) -> None:
        self._emit(
            {
                "kind": "review_overdue",
                "review_id": item.id,
                "tenant": item.tenant,
                "trace_id": item.trace_id,
            }
        )

    def _emit(self, event: dict[str, object]) -> None:
        self.recent = [*self.recent[-99:], event]
        for listener in self.listeners:
            listener(event)


@dataclass
class EscalationSink:
    """Where escalated calls go: the review queue once it runs."""

    reviews: ReviewService | None = None

    async def escalate(self, context: CallContext, escalation: Escalation) -> str:
        if self.reviews is None:
            raise ServiceUnavailable("the review queue is not running; the call cannot escalate")
        if escalation.mode == "hold":
            return await self.reviews.hold(context, escalation)
        return (await self.reviews.queue(context, escalation)).id


def alert_signal(event: dict[str, object]) -> AlertSignal:
    """An event of the pipeline or the review queue, as the alert engine takes it."""
    kind = str(event["kind"])
    if kind == "budget_soft_limit":
        scope, period = str(event["scope"]), str(event["period"])
        return AlertSignal(
            "budget_soft_limit",
            f"{scope} passed its soft limit of ${_number(event['soft_usd']):.2f} this {period} "
            f"(hard limit ${_number(event['limit_usd']):.2f})",
            labels={"scope": scope, "period": period},
            key=f"{scope}/{period}/{event['resets_at']}",
        )
    if kind == "canary_rollback":
        values = event.get("values")
        return AlertSignal(
            "canary_rollback",
            str(event["summary"]),
            labels={
                "prompt": str(event["prompt"]),
                "release": str(event["release"]),
                "metric": str(event["metric"]),
            },
            key=f"release/{event['release_id']}",
            values={k: _number(v) for k, v in values.items()} if isinstance(values, dict) else {},
        )
    if kind == "review_overdue":
        return AlertSignal(
            "review_sla",
            f"review {event['review_id']} is past its SLA",
            labels={"tenant": str(event.get("tenant") or "")},
            key=f"review/{event['review_id']}",
        )
    return AlertSignal(kind, str(event.get("summary", kind)))


def report_drift(alerts: AlertEngine, findings: Sequence[DriftFinding]) -> None:
    for f in findings:
        alerts.emit(AlertSignal(f.kind, f.summary, f.labels, f.key, f.values))


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
