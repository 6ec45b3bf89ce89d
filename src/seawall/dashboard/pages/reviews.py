"""``/ui/reviews``: the review queue of the viewer's tenant; claim, approve, edit or reject.

Every action goes through ``ReviewService`` (which checks the transition, the claim and the
tenant, and audits it); this page only turns its answers into HTML.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from seawall.core.errors import InvalidRequest, ServiceUnavailable
from seawall.dashboard.web import Dashboard, Viewer, form_of
from seawall.review.items import RESOLVED
from seawall.review.service import ReviewService
from seawall.review.store import STATUS_FILTERS

DONE = {  # ?done= -> the notice shown after a successful action (never reflected text)
    "claimed": "Claimed: the item is yours until the claim times out.",
    "approved": "Approved.",
    "edited": "Saved the edited answer.",
    "rejected": "Rejected.",
}


def _service(dashboard: Dashboard) -> ReviewService:
    if dashboard.runtime.reviews is None:
        raise ServiceUnavailable("the review queue is not running")
    return dashboard.runtime.reviews


async def listing(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """Items of the viewer's tenant: open ones first by default."""
    status = request.query_params.get("status") or "open"
    if status != "all" and status not in STATUS_FILTERS:
        raise InvalidRequest(f"status must be all or one of {', '.join(STATUS_FILTERS)}")
    found = await _service(dashboard).list_items(
        viewer.principal, status=None if status == "all" else status, limit=200
    )
    now = dashboard.now()
    return dashboard.render(
        request,
        viewer,
        "reviews.html",
        page="reviews",
        items=[item.summary(now) for item in found],
        current=status,
        statuses=["open", *[s for s in STATUS_FILTERS if s != "open"], "all"],
    )


async def detail(
    dashboard: Dashboard,
    request: Request,
    viewer: Viewer,
    *,
    message: str | None = None,
    status: int = 200,
) -> Response:
    """One item with its full context and the actions the viewer may take on it."""
    item = await _service(dashboard).get(str(request.path_params["review_id"]), viewer.principal)
    done = DONE.get(request.query_params.get("done") or "")
    return dashboard.render(
        request,
        viewer,
        "review.html",
        status=status,
        page="reviews",
        item=item,
        context=dict(item.context),
        state=item.status_at(dashboard.now()),
        mine=item.claim_holds(dashboard.now()) and item.claimed_by == viewer.principal.actor,
        held_by_other=item.claim_holds(dashboard.now())
        and item.claimed_by != viewer.principal.actor,
        resolved=item.status in RESOLVED,
        may_resolve=viewer.can("reviews.resolve"),
        may_trace=viewer.can("traces.read"),
        message=message,
        done=done,
    )


async def claim(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """``POST /ui/reviews/{id}/claim``."""
    form_of(request)  # checked by the endpoint (CSRF)
    review_id = str(request.path_params["review_id"])
    try:
        await _service(dashboard).claim(review_id, viewer.principal)
    except InvalidRequest as exc:  # claimed by someone else, already resolved
        if exc.status_code == 404:
            raise
        return await detail(dashboard, request, viewer, message=exc.message, status=exc.status_code)
    return _back(review_id, "claimed")


async def resolve(dashboard: Dashboard, request: Request, viewer: Viewer) -> Response:
    """``POST /ui/reviews/{id}/resolve``: ``decision`` approve | edit | reject."""
    form = form_of(request)
    review_id = str(request.path_params["review_id"])
    decision = form.get("decision", "")
    try:
        item = await _service(dashboard).resolve(
            review_id,
            viewer.principal,
            decision,
            answer=form.get("answer") if decision == "edit" else None,
            reason=form.get("reason") or None,
        )
    except InvalidRequest as exc:  # not claimed, claim lapsed, missing answer or reason
        if exc.status_code == 404:
            raise
        return await detail(dashboard, request, viewer, message=exc.message, status=exc.status_code)
    return _back(review_id, item.status)


def _back(review_id: str, done: str) -> Response:
    # Post/redirect/get: a reload of the page never posts the action again.
    return RedirectResponse(f"/ui/reviews/{review_id}?done={done}", status_code=303)
