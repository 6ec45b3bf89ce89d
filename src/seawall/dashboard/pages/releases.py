"""``/ui/releases``: canary releases, their decisions with reasons, and both arms side by side."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from seawall.dashboard.lookups import arm_names, recent_releases, release_arms
from seawall.dashboard.measures import Totals
from seawall.dashboard.web import Dashboard, Viewer
from seawall.releases.controller import Release

SHOWN = 20  # releases listed, newest first
COMPARED = 8  # of which the newest get their arms measured (one indexed query each)


@dataclass(frozen=True, slots=True)
class ReleaseView:
    """A release with the measured traffic of its two arms."""

    release: Release
    candidate: str
    baseline: str | None
    arms: dict[str, Totals] | None  # None: not measured (older releases)


async def page(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """Live releases first, then the most recent finished ones."""
    engine = dashboard.engine
    found = await recent_releases(engine, SHOWN)
    found.sort(key=lambda r: (not r.live, -r.started_at))
    now = dashboard.now()
    views = []
    for index, release in enumerate(found):
        candidate, baseline = arm_names(release)
        arms = None
        if index < COMPARED:
            until = (
                release.decided_at if release.decided_at is not None and not release.live else now
            )
            arms = await release_arms(engine, release, until + 1e-6, viewer.tenant)
        views.append(ReleaseView(release, candidate, baseline, arms))
    return dashboard.render(
        request,
        viewer,
        "releases.html",
        page="releases",
        views=views,
        live=sum(1 for r in found if r.live),
    )
