"""``/ui/traces``: the trace explorer, and ``/ui/traces/{id}``: one call explained."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from seawall.core.errors import InvalidRequest, NotFound, ServiceUnavailable
from seawall.dashboard import charts
from seawall.dashboard.lookups import (
    OUTCOMES,
    TraceFilter,
    find_traces,
    review_items_of,
    trace_prefix,
)
from seawall.dashboard.pages.common import model_names, tenant_of, window_links, window_of
from seawall.dashboard.web import Dashboard, Viewer
from seawall.review.context import answer_text
from seawall.store.rows import record_to_row
from seawall.telemetry.records import CallRecord

PAGE_SIZE = 50


async def listing(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """Calls of a window, newest first, filtered by model, outcome, tenant and trace id."""
    name, window = window_of(dashboard, request, viewer)
    params = request.query_params
    outcome = params.get("outcome") or None
    if outcome is not None and outcome not in OUTCOMES:
        raise InvalidRequest(f"outcome must be one of {', '.join(OUTCOMES)}", param="outcome")
    wanted = TraceFilter(
        since=window.since,
        until=window.until,
        tenant=tenant_of(request, viewer),
        model=window.model,
        outcome=outcome,
        prefix=trace_prefix(params.get("q")),
        before=_float(params.get("before")),
        limit=PAGE_SIZE,
    )
    rows = await find_traces(dashboard.engine, wanted)
    older = None
    if len(rows) == PAGE_SIZE and wanted.prefix is None:
        kept = {k: v for k, v in params.items() if v and k != "before"}
        older = "?" + urlencode({**kept, "before": repr(rows[-1]["started_at"])})
    return dashboard.render(
        request,
        viewer,
        "traces.html",
        page="traces",
        rows=rows,
        wanted=wanted,
        window=window,
        window_name=name,
        windows=window_links(request),
        models=model_names(dashboard),
        outcomes=OUTCOMES,
        older=older,
    )


async def detail(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """Everything recorded about one call, with its review items and feedback."""
    trace_id = str(request.path_params["trace_id"])
    store = dashboard.runtime.store
    if store is None:
        raise ServiceUnavailable("the store is not open")
    record = await store.get_call(trace_id)
    # Another tenant's call reads exactly like a missing one: ids must not leak.
    if record is None or not viewer.principal.sees(record.tenant):
        raise NotFound(f"no trace with id '{trace_id}'")
    feedback = []
    if dashboard.runtime.reviews is not None:
        feedback = await dashboard.runtime.reviews.list_feedback(
            viewer.principal, trace_id=trace_id
        )
    items = await review_items_of(dashboard.engine, trace_id, viewer.tenant)
    can_review = viewer.can("reviews.read")
    return dashboard.render(
        request,
        viewer,
        "trace.html",
        page="traces",
        record=record,
        row=record_to_row(record),
        extra=record.extra,
        guards=record.extra.get("guards") or {},
        answer=answer_text(record.response),
        messages=_messages(record),
        attempts_chart=attempts_chart(record),
        feedback=feedback,
        items=items,
        can_review=can_review,
    )


def _messages(record: CallRecord) -> list[dict[str, Any]]:
    messages = (record.request or {}).get("messages")
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


STATUS_COLORS = {"ok": "#16a34a", "error": "#dc2626", "skipped": "#9ca3af"}


def attempts_chart(record: CallRecord) -> Markup | None:
    """Each attempt on the call's timeline: when it started, its backoff and how long it took."""
    spans = [
        charts.Span(
            f"{i + 1}. {a.target} {a.error_class or a.status}",
            a.started_ms,
            a.latency_ms,
            STATUS_COLORS.get(a.status, charts.PALETTE[0]),
            lead=a.retry_delay_ms,
        )
        for i, a in enumerate(record.attempts)
    ]
    if not spans:
        return None
    return charts.timeline_chart(
        "Attempts on the call's timeline", spans, record.latency_ms, _ms_text
    )


def _ms_text(value: float) -> str:
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _float(raw: str | None) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidRequest("'before' must be a unix time", param="before") from None
