"""The ASGI application: routes, error mapping and the runtime's lifecycle."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from seawall.core.context import RequestContext, parse_traceparent
from seawall.core.errors import SeawallError, ServiceUnavailable
from seawall.dashboard.routes import dashboard_routes
from seawall.http.admin import admin_routes
from seawall.http.auth import authenticate
from seawall.http.chat import complete
from seawall.http.errors import error_response, plain_error
from seawall.http.prompts import PROMPT_ROUTES, prompt_routes
from seawall.http.reviews import REVIEW_ROUTES, public_routes
from seawall.wiring import Runtime

log = logging.getLogger("seawall.http")

GC_THRESHOLD = 5_000  # young-generation allocations between collections (CPython default: 700)


class Gateway:
    """Request handlers bound to one runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.ready = False

    async def chat_completions(self, request: Request) -> Response:
        started, started_wall = time.monotonic(), time.time()
        ctx = RequestContext.begin(started, started_wall)
        parent = parse_traceparent(request.headers.get("traceparent"))
        if parent is not None:  # join the app's trace: its trace id becomes ours
            ctx.trace_id, ctx.parent_span_id = parent
        try:
            if not self.ready:
                raise ServiceUnavailable("the gateway is starting or shutting down")
            principal = authenticate(self.runtime.security, request)
            if not principal.can("gateway.call"):
                assert self.runtime.security is not None
                await self.runtime.security.require(principal, "gateway.call", target="chat")
            ctx.tenant, ctx.key_id = principal.tenant, principal.key_id
            return await complete(self.runtime, request, ctx, principal)
        except SeawallError as exc:
            return error_response(exc, {"x-seawall-trace-id": ctx.trace_id})

    async def models(self, request: Request) -> Response:
        try:
            if not self.ready:
                raise ServiceUnavailable("the gateway is starting or shutting down")
            principal = authenticate(self.runtime.security, request)
        except SeawallError as exc:
            return error_response(exc)
        config = self.runtime.config
        data = [
            {"id": name, "object": "model", "created": 0, "owned_by": "seawall"}
            for name in [*config.models, *config.routes]
            if principal.may_use_model(name)
        ]
        return _json({"object": "list", "data": data})

    async def metrics(self, request: Request) -> Response:
        recorder = self.runtime.recorder
        self.runtime.metrics.refresh(
            await self.runtime.state.breaker_states(),
            recorder.depth if recorder is not None else 0,
            recorder.written if recorder is not None else 0,
        )
        return Response(self.runtime.metrics.exposition(), media_type="text/plain; version=0.0.4")

    async def healthz(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        recorder = self.runtime.recorder
        breakers = await self.runtime.state.breaker_states()
        checks = {
            "accepting": self.ready,
            "store": self.runtime.store is not None,
            "record_writer": recorder is not None and recorder.running,
        }
        ok = all(checks.values())
        body = {
            "status": "ready" if ok else "not_ready",
            "checks": checks,
            "record_queue": recorder.depth if recorder is not None else None,
            "records_dropped": recorder.dropped if recorder is not None else None,
            "breakers": breakers,
            "auth": self.runtime.security.mode if self.runtime.security is not None else None,
            "unsafe": unsafe_settings(self.runtime),
        }
        return _json(body, status=200 if ok else 503)


def unsafe_settings(runtime: Runtime) -> list[str]:
    """What makes this running deployment unfit for production traffic, in plain words."""
    found = []
    security = runtime.security
    if security is not None and security.mode == "open":
        found.append("open mode: no API key is checked (create one: seawall keys create)")
    return found


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = "invalid_request" if exc.status_code < 500 else "internal_error"
    if exc.status_code == 404:
        return plain_error(404, code, f"no route for {request.method} {request.url.path}")
    if exc.status_code == 405:
        return plain_error(405, code, f"method {request.method} not allowed on {request.url.path}")
    return plain_error(exc.status_code, code, str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug must still answer in the documented shape, and must not leak a traceback.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return plain_error(500, "internal_error", "internal error in the gateway; see the server log")


def tune_gc() -> None:
    """Keep CPython's collector off the hot path of a long-running gateway.

    A full collection walks every object, including the ~100k that importing the stack
    creates and that live for ever: measured at 80 ms pauses that set the p99 and a quarter
    of the CPU under load (docs/benchmarks.md). Freezing the start-up heap takes those
    objects out of every future collection; a larger young-generation threshold makes
    collections rarer, at the cost of a little more memory.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


def create_app(runtime: Runtime, *, freeze_heap: bool = False) -> Starlette:
    """The gateway app; ``freeze_heap`` (set by ``seawall serve``) applies ``tune_gc`` at start."""
    gateway = Gateway(runtime)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.start()
        if freeze_heap:
            tune_gc()
        gateway.ready = True
        try:
            yield
        finally:
            gateway.ready = False
            await runtime.close()

    routes = [
        Route("/v1/chat/completions", gateway.chat_completions, methods=["POST"]),
        Route("/chat/completions", gateway.chat_completions, methods=["POST"]),
        Route("/v1/models", gateway.models, methods=["GET"]),
        Route("/metrics", gateway.metrics, methods=["GET"]),
        Route("/healthz", gateway.healthz, methods=["GET"]),
        Route("/readyz", gateway.readyz, methods=["GET"]),
        *admin_routes(runtime, lambda: gateway.ready, (*REVIEW_ROUTES, *PROMPT_ROUTES)),
        *prompt_routes(runtime, lambda: gateway.ready),
        *dashboard_routes(runtime, lambda: gateway.ready),
        *public_routes(runtime, lambda: gateway.ready),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _unexpected},
    )
    app.state.gateway = gateway
    return app
