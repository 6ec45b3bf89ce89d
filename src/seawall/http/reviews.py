"""The review queue over HTTP: ``/admin/reviews`` for reviewers, two public routes for apps.

    GET  /admin/reviews                       reviews.read     ?status=&overdue=&limit=
    GET  /admin/reviews/{review_id}           reviews.read     the item with its full context
    POST /admin/reviews/{review_id}/claim     reviews.resolve
    POST /admin/reviews/{review_id}/resolve   reviews.resolve  {decision, answer?, reason?}
    GET  /admin/feedback                      reviews.read     ?trace_id=&since=&limit=
    GET  /admin/feedback/rates                usage.read       ?since=&by=model
    GET  /v1/reviews/{review_id}              gateway.call     an app polls its held call
    POST /v1/feedback                         feedback.write   {trace_id, kind, score?, ...}

Admin routes follow ``http.admin`` (authentication, permission, audit of writes); every read is
restricted to the caller's tenant, and another tenant's item is a 404 like a missing one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from seawall.core.errors import InvalidRequest, SeawallError, ServiceUnavailable
from seawall.http.admin import AdminRoute, Call
from seawall.http.auth import authenticate
from seawall.http.chat import read_json
from seawall.http.errors import error_response
from seawall.review.feedback import parse_feedback
from seawall.review.items import decision_of
from seawall.review.service import ReviewService
from seawall.review.store import STATUS_FILTERS
from seawall.security.roles import Principal
from seawall.wiring import Runtime

_MAX_FEEDBACK_BODY = 256_000
_DAY_S = 86_400.0


def review_service(runtime: Runtime) -> ReviewService:
    """The runtime's review service; 503 while it is not running."""
    service: ReviewService | None = getattr(runtime, "reviews", None)
    if service is None:
        raise ServiceUnavailable("the review queue is not running")
    return service


# --------------------------------------------------------------------------- admin


async def list_reviews(call: Call) -> Any:
    """``GET /admin/reviews``."""
    status = call.request.query_params.get("status")
    if status is not None and status not in STATUS_FILTERS:
        raise InvalidRequest(
            f"query parameter 'status' must be one of {', '.join(STATUS_FILTERS)}", param="status"
        )
    found = await review_service(call.runtime).list_items(
        call.principal, status=status, overdue=_query_bool(call, "overdue"), limit=call.limit()
    )
    now = call.runtime.clock.wall()
    return {"data": [item.summary(now) for item in found]}


async def show_review(call: Call) -> Any:
    """``GET /admin/reviews/{review_id}``."""
    item = await review_service(call.runtime).get(call.param("review_id"), call.principal)
    return item.as_dict(call.runtime.clock.wall())


async def claim_review(call: Call) -> Any:
    """``POST /admin/reviews/{review_id}/claim``."""
    item = await review_service(call.runtime).claim(call.param("review_id"), call.principal)
    return item.as_dict(call.runtime.clock.wall())


async def resolve_review(call: Call) -> Any:
    """``POST /admin/reviews/{review_id}/resolve``."""
    service = review_service(call.runtime)
    review_id = call.param("review_id")
    await service.get(review_id, call.principal)  # an unknown id is a 404 before a 400
    body = call.body
    decision = body.get("decision")
    if not isinstance(decision, str):
        raise InvalidRequest("'decision' must be approve, edit or reject", param="decision")
    answer, reason = body.get("answer"), body.get("reason")
    for name, value in (("answer", answer), ("reason", reason)):
        if value is not None and not isinstance(value, str):
            raise InvalidRequest(f"'{name}' must be a string", param=name)
    item = await service.resolve(review_id, call.principal, decision, answer=answer, reason=reason)
    return item.as_dict(call.runtime.clock.wall())


async def list_feedback(call: Call) -> Any:
    """``GET /admin/feedback``."""
    found = await review_service(call.runtime).list_feedback(
        call.principal,
        trace_id=call.request.query_params.get("trace_id"),
        since=call.query_float("since"),
        limit=call.limit(),
    )
    return {"data": [f.as_dict() for f in found]}


async def feedback_rates(call: Call) -> Any:
    """``GET /admin/feedback/rates``."""
    since = call.query_float("since")
    since = since if since is not None else call.runtime.clock.wall() - _DAY_S
    by = tuple(call.request.query_params.get("by", "model").split(","))
    try:
        rates = await review_service(call.runtime).negative_feedback_rates(
            call.principal, since, by=by
        )
    except ValueError as exc:
        raise InvalidRequest(str(exc), param="by") from exc
    return {"since": since, "by": list(by), "data": rates}


REVIEW_ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute("GET", "/admin/reviews", "reviews.read", list_reviews),
    AdminRoute("GET", "/admin/reviews/{review_id}", "reviews.read", show_review),
    AdminRoute("POST", "/admin/reviews/{review_id}/claim", "reviews.resolve", claim_review),
    AdminRoute("POST", "/admin/reviews/{review_id}/resolve", "reviews.resolve", resolve_review),
    AdminRoute("GET", "/admin/feedback", "reviews.read", list_feedback),
    AdminRoute("GET", "/admin/feedback/rates", "usage.read", feedback_rates),
)


def _query_bool(call: Call, name: str) -> bool | None:
    raw = call.request.query_params.get(name)
    if raw is None:
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise InvalidRequest(f"query parameter '{name}' must be true or false", param=name)


# --------------------------------------------------------------------------- public


class ReviewEndpoints:
    """``GET /v1/reviews/{review_id}`` and ``POST /v1/feedback``, bound to one runtime."""

    def __init__(self, runtime: Runtime, is_ready: Callable[[], bool]) -> None:
        self.runtime = runtime
        self.is_ready = is_ready

    async def get_review(self, request: Request) -> Response:
        """The decision on a held call, polled by the app that made it."""
        return await self._handle(request, self._get_review)

    async def post_feedback(self, request: Request) -> Response:
        """A rating, complaint or correction about one of the caller's own calls."""
        return await self._handle(request, self._post_feedback)

    async def _get_review(self, request: Request, principal: Principal) -> Any:
        if not (principal.can("gateway.call") or principal.can("reviews.read")):
            await self._require(principal, "gateway.call", request)
        service = review_service(self.runtime)
        item = await service.get(str(request.path_params["review_id"]), principal)
        decision = decision_of(item)
        now = self.runtime.clock.wall()
        return {
            "id": item.id,
            "trace_id": item.trace_id,
            "status": item.status_at(now),
            "mode": item.mode,
            "created_at": item.created_at,
            "due_at": item.due_at,
            "decision": decision.as_dict() if decision is not None else None,
        }

    async def _post_feedback(self, request: Request, principal: Principal) -> Any:
        await self._require(principal, "feedback.write", request)
        body = await read_json(request, _MAX_FEEDBACK_BODY)
        if not isinstance(body, dict):
            raise InvalidRequest("request body must be a JSON object")
        stored = await review_service(self.runtime).add_feedback(principal, parse_feedback(body))
        store = self.runtime.store
        record = await store.get_call(stored.trace_id) if store is not None else None
        self.runtime.metrics.feedback_received(record, stored.kind, stored.negative)
        return {"object": "feedback", **stored.as_dict()}

    async def _require(self, principal: Principal, permission: str, request: Request) -> None:
        security = self.runtime.security
        assert security is not None  # authenticate() succeeded, so security is up
        await security.require(principal, permission, target=f"{request.method} {request.url.path}")

    async def _handle(
        self, request: Request, handler: Callable[[Request, Principal], Awaitable[Any]]
    ) -> Response:
        try:
            if not self.is_ready():
                raise ServiceUnavailable("the gateway is starting or shutting down")
            principal = authenticate(self.runtime.security, request)
            result = await handler(request, principal)
        except SeawallError as exc:
            return error_response(exc)
        return Response(orjson.dumps(result, default=str), media_type="application/json")


def public_routes(runtime: Runtime, is_ready: Callable[[], bool]) -> list[Route]:
    """Starlette routes for ``GET /v1/reviews/{review_id}`` and ``POST /v1/feedback``."""
    endpoints = ReviewEndpoints(runtime, is_ready)
    return [
        Route("/v1/reviews/{review_id}", endpoints.get_review, methods=["GET"]),
        Route("/v1/feedback", endpoints.post_feedback, methods=["POST"]),
    ]
