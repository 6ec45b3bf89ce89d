"""``/ui/drift``: the drift monitor's last report (inputs and outcomes against their reference).

The server's monitor compares every ``drift.interval_s``; this page shows its last report
rather than recomputing one (a report reads two windows of calls and their payloads). Drift is
measured over every tenant's calls of a route, so only global viewers see its rows.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from seawall.dashboard.web import Dashboard, Viewer
from seawall.drift.monitor import DriftReport


async def page(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """The last report, drifted rows first."""
    monitor = dashboard.runtime.drift  # set by the runtime when drift detection is on
    report: DriftReport | None = monitor.last_report if monitor is not None else None
    order = {"drift": 0, "watch": 1}
    rows = (
        sorted(report.rows, key=lambda r: (order.get(r.verdict, 2), str(r.route), r.feature))
        if report
        else []
    )
    return dashboard.render(
        request,
        viewer,
        "drift.html",
        page="drift",
        configured=monitor is not None,
        report=report,
        rows=rows if viewer.tenant is None else [],
        findings=report.findings() if report is not None and viewer.tenant is None else [],
    )
