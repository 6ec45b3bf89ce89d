"""``/ui/overview``: traffic, errors, latency, time to first token, tokens, cost and rates."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from seawall.dashboard import charts
from seawall.dashboard.charts import Line
from seawall.dashboard.measures import Totals
from seawall.dashboard.pages.common import model_names, window_links, window_of
from seawall.dashboard.queries import Overview, overview
from seawall.dashboard.render import ms, num, pct, usd
from seawall.dashboard.web import Dashboard, Viewer

RED, GREEN = "#dc2626", "#16a34a"


async def page(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """The overview of a window."""
    name, window = window_of(dashboard, request, viewer)
    found = await overview(dashboard.engine, window, cache=dashboard.buckets, now=dashboard.now())
    return dashboard.render(
        request,
        viewer,
        "overview.html",
        page="overview",
        window=window,
        window_name=name,
        windows=window_links(request),
        models=model_names(dashboard),
        total=found.total,
        by_model=found.by_model,
        by_release=found.by_release,
        charts=overview_charts(found),
    )


Value = Callable[[Totals], float | None]
# (title, unit, format, lines: (name, value of a bucket, colour)); None colours take the palette.
CHARTS: list[tuple[str, str, Callable[[float], str], list[tuple[str, Value, str | None]]]] = [
    (
        "Traffic",
        "calls/min",
        lambda v: f"{v:,.0f}" if v == 0 or v >= 10 else f"{v:.1f}",
        [("calls", lambda b: float(b.calls), None), ("errors", lambda b: float(b.errors), RED)],
    ),
    ("Error rate", "", pct, [("errors", lambda b: b.rate("errors"), RED)]),
    (
        "Latency",
        "",
        ms,
        [("p50", lambda b: b.latency_q(0.5), None), ("p95", lambda b: b.latency_q(0.95), None)],
    ),
    (
        "Time to first token (streams)",
        "",
        ms,
        [("p50", lambda b: b.ttft_q(0.5), None), ("p95", lambda b: b.ttft_q(0.95), None)],
    ),
    (
        "Tokens",
        "per bucket",
        num,
        [
            ("in", lambda b: float(b.prompt_tokens), None),
            ("out", lambda b: float(b.completion_tokens), None),
        ],
    ),
    ("Cost", "per bucket", usd, [("cost", lambda b: b.cost_usd, GREEN)]),
    (
        "Fallback, degraded and cache hits",
        "",
        pct,
        [
            ("fallback", lambda b: b.rate("fallback"), "#ea580c"),
            ("degraded", lambda b: b.rate("degraded"), "#9333ea"),
            ("cache hits", lambda b: b.cache_hit_rate, "#0891b2"),
        ],
    ),
]


def overview_charts(found: Overview) -> list[Markup]:
    """The time series of the overview, in reading order."""
    window, series = found.window, found.series
    starts = [window.bucket_start(i) for i in range(len(series))]
    step = window.width_s
    made = []
    for title, unit, fmt, lines in CHARTS:
        counts = unit in ("calls/min", "per bucket")  # 0 in an empty bucket, not a gap
        scale = 60.0 / step if unit == "calls/min" else 1.0
        drawn = [
            Line(name, [_point(value, b, counts, scale) for b in series], color)
            for name, value, color in lines
        ]
        label = f"per {_step_text(step)}" if unit == "per bucket" else unit
        made.append(charts.line_chart(title, starts, step, drawn, fmt, unit=label))
    return made


def _point(value: Value, bucket: Totals, counts: bool, scale: float) -> float | None:
    # Rates and quantiles have no value in a bucket without calls: the line breaks there.
    if not counts and not bucket.calls:
        return None
    found = value(bucket)
    return None if found is None else found * scale


def _step_text(step_s: float) -> str:
    if step_s < 3600:
        return f"{step_s / 60:.0f} min"
    return f"{step_s / 3600:.1f} h"
