"""``/ui/usage``: cost and tokens over time, per model and per tenant, and budget usage now."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from seawall.dashboard import charts
from seawall.dashboard.budgets import budget_rows, scopes_of
from seawall.dashboard.charts import Line
from seawall.dashboard.pages.common import window_links, window_of
from seawall.dashboard.queries import Usage, usage
from seawall.dashboard.render import num, usd
from seawall.dashboard.web import Dashboard, Viewer


async def page(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """Usage of a window and the budgets of the viewer's scope."""
    name, window = window_of(dashboard, request, viewer)
    found = await usage(dashboard.engine, window, cache=dashboard.buckets, now=dashboard.now())
    config = dashboard.runtime.config
    keys = []
    if config.budgets.per_key or config.budgets.keys:
        keys = [
            k
            for k in await dashboard.security.list_keys(viewer.principal)
            if k.status(dashboard.now()) != "revoked"
        ]
    scopes = scopes_of(config, viewer.principal, keys, [t for t in found.by_tenant if t])
    budgets = await budget_rows(dashboard.runtime.state, scopes, dashboard.now())
    return dashboard.render(
        request,
        viewer,
        "usage.html",
        page="usage",
        window=window,
        window_name=name,
        windows=window_links(request),
        found=found,
        charts=_charts(found, viewer.tenant is None),
        budgets=budgets,
    )


def _charts(found: Usage, per_tenant: bool) -> list[Markup]:
    window = found.window
    starts = [window.bucket_start(i) for i in range(len(found.series))]
    step = (
        f"per {window.width_s / 60:.0f} min"
        if window.width_s < 3600
        else f"per {window.width_s / 3600:.1f} h"
    )
    made = [
        charts.line_chart(
            "Cost",
            starts,
            window.width_s,
            [Line("cost", [b.cost_usd for b in found.series], "#16a34a")],
            usd,
            unit=step,
        ),
        charts.line_chart(
            "Tokens",
            starts,
            window.width_s,
            [
                Line("in", [float(b.prompt_tokens) for b in found.series]),
                Line("out", [float(b.completion_tokens) for b in found.series]),
            ],
            num,
            unit=step,
        ),
        charts.bar_chart(
            "Cost per model", [(m, t.cost_usd) for m, t in found.by_model.items()], usd
        ),
    ]
    if per_tenant:
        made.append(
            charts.bar_chart(
                "Cost per tenant",
                [(t or "(none)", v.cost_usd) for t, v in found.by_tenant.items()],
                usd,
            )
        )
    return made
