"""``/ui/alerts``: the alerts firing now and the history of fired and resolved alerts.

A viewer limited to one tenant sees the alerts labelled with that tenant only (deployment-wide
alerts, e.g. a model's error rate over every tenant, are for global viewers).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from seawall.alerts.catalog import build_catalog
from seawall.alerts.events import AlertEvent
from seawall.alerts.store import SqlAlertStore
from seawall.dashboard.web import Dashboard, Viewer

HISTORY = 100


async def page(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """Firing alerts first (with their runbook), then the history, newest first."""
    store = SqlAlertStore(dashboard.engine)
    engine = dashboard.runtime.alerts
    firing = engine.firing() if engine is not None else await _firing_from_store(dashboard, store)
    history = await store.history(HISTORY * 3 if viewer.tenant else HISTORY)
    return dashboard.render(
        request,
        viewer,
        "alerts.html",
        page="alerts",
        firing=[e for e in firing if _visible(e, viewer)],
        history=[e for e in history if _visible(e, viewer)][:HISTORY],
        evaluating=engine is not None,
    )


def _visible(event: AlertEvent, viewer: Viewer) -> bool:
    return viewer.tenant is None or event.labels.get("tenant") == viewer.tenant


async def _firing_from_store(dashboard: Dashboard, store: SqlAlertStore) -> list[AlertEvent]:
    """Without a running engine (alerts off in this process): what the store last saved."""
    rules = {entry.name: entry for entry in build_catalog(dashboard.runtime.config.alerts)}
    now = dashboard.now()
    found = []
    for series in await store.load():
        entry = rules.get(series.rule)
        if entry is None or not series.state.active:
            continue
        found.append(
            AlertEvent(
                rule=entry.name,
                kind=entry.kind,
                status="firing",
                severity=entry.severity,
                labels={**entry.labels, **series.labels},
                summary=series.summary,
                runbook_url=entry.runbook_url,
                at=now,
                fired_at=series.state.fired_at,
                value=series.value,
                figures=dict(series.figures),
                series=series.series,
            )
        )
    return found
