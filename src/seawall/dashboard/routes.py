"""The dashboard's routes under ``/ui``: each page with the permission it needs.

Mounted by the gateway app beside its API routes (``dashboard_routes(runtime, is_ready)``).
The permission of each page is in this one table, so none ships unchecked; data is further
restricted to the viewer's tenant inside every page.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from seawall.dashboard.pages import (
    alerts,
    drift,
    evals,
    overview,
    releases,
    reviews,
    session,
    traces,
    usage,
)
from seawall.dashboard.web import Dashboard, Handler, endpoint, public_endpoint
from seawall.wiring import Runtime

# (method, path, permission, handler); None: any signed-in viewer.
PAGE_ROUTES: tuple[tuple[str, str, str | None, Handler], ...] = (
    ("GET", "/ui", None, session.landing),
    ("GET", "/ui/", None, session.landing),
    ("POST", "/ui/logout", None, session.logout),
    ("GET", "/ui/overview", "usage.read", overview.page),
    ("GET", "/ui/traces", "traces.read", traces.listing),
    ("GET", "/ui/traces/{trace_id}", "traces.read", traces.detail),
    ("GET", "/ui/releases", "prompts.read", releases.page),
    ("GET", "/ui/evals", "evals.read", evals.listing),
    ("GET", "/ui/evals/{run_id}", "evals.read", evals.detail),
    ("GET", "/ui/reviews", "reviews.read", reviews.listing),
    ("GET", "/ui/reviews/{review_id}", "reviews.read", reviews.detail),
    ("POST", "/ui/reviews/{review_id}/claim", "reviews.resolve", reviews.claim),
    ("POST", "/ui/reviews/{review_id}/resolve", "reviews.resolve", reviews.resolve),
    ("GET", "/ui/alerts", "usage.read", alerts.page),
    ("GET", "/ui/drift", "usage.read", drift.page),
    ("GET", "/ui/usage", "usage.read", usage.page),
)


def dashboard_routes(runtime: Runtime, is_ready: Callable[[], bool]) -> list[BaseRoute]:
    """Starlette routes of the dashboard (pages, sign-in and its static assets)."""
    dashboard = Dashboard(runtime, is_ready)
    routes: list[BaseRoute] = [
        Route("/ui/login", public_endpoint(dashboard, session.login_form), methods=["GET"]),
        Route("/ui/login", public_endpoint(dashboard, session.login), methods=["POST"]),
    ]
    routes += [
        Route(path, endpoint(dashboard, handler, permission), methods=[method])
        for method, path, permission, handler in PAGE_ROUTES
    ]
    routes.append(
        Mount(
            "/ui/static",
            app=StaticFiles(packages=[("seawall.dashboard", "static")]),
            name="ui-static",
        )
    )
    return routes
