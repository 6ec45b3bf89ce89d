"""What several pages share: the time window and the tenant a viewer's query is limited to."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from starlette.requests import Request

from seawall.core.errors import InvalidRequest
from seawall.dashboard.queries import BUCKETS, Window
from seawall.dashboard.web import Dashboard, Viewer

WINDOWS: dict[str, float] = {"1h": 3600.0, "24h": 86_400.0, "7d": 604_800.0}


def window_of(
    dashboard: Dashboard,
    request: Request,
    viewer: Viewer,
    *,
    windows: dict[str, float] = WINDOWS,
    default: str = "24h",
) -> tuple[str, Window]:
    """The window (``?window=``), model (``?model=``) and tenant of a page's query.

    A viewer limited to one tenant always gets it, whatever ``?tenant=`` says; a global viewer
    may narrow to one. The window ends at the next bucket boundary, so the buckets are round
    minutes (hours over 7 days) and stay put between reloads.
    """
    name = request.query_params.get("window") or default
    if name not in windows:
        raise InvalidRequest(f"window must be one of {', '.join(windows)}", param="window")
    span = windows[name]
    step = span / BUCKETS
    until = math.ceil(dashboard.now() / step) * step
    return name, Window(until - span, until, tenant_of(request, viewer), model_of(request))


def tenant_of(request: Request, viewer: Viewer) -> str | None:
    """The viewer's tenant, or the one a global viewer picked (None: all)."""
    if viewer.tenant is not None:
        return viewer.tenant
    return request.query_params.get("tenant") or None


def model_of(request: Request) -> str | None:
    """The model a page is narrowed to (``?model=``), if any."""
    return request.query_params.get("model") or None


def model_names(dashboard: Dashboard) -> list[str]:
    """Logical models and routes of the config, for filter lists."""
    config = dashboard.runtime.config
    return sorted({*config.models, *config.routes})


def window_links(request: Request, windows: dict[str, float] = WINDOWS) -> dict[str, str]:
    """A link per window that keeps the page's other filters (and drops its page cursor)."""
    kept = {k: v for k, v in request.query_params.items() if v and k not in ("window", "before")}
    return {name: "?" + urlencode({**kept, "window": name}) for name in windows}
