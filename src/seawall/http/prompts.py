"""Prompts over HTTP: ``POST /v1/prompts/{name}:run`` for apps, ``/admin/prompts|releases`` for people.

    POST /v1/prompts/{name}:run                gateway.call   {variables, user?, session?, tags?, label?}
    GET  /admin/prompts                        prompts.read   every prompt, newest version, labels
    GET  /admin/prompts/{name}                 prompts.read   one version (?ref=3|label), labels
    POST /admin/prompts/{name}/rollback        prompts.write  {reason?}: stop the canary, or
                                                              restore the previous production
    GET  /admin/releases                       prompts.read   every prompt's release status
    GET  /admin/releases/{name}                prompts.read   one prompt's: live, look, history
    POST /admin/releases/{name}/finish         prompts.write  {reason?, force?}: promote now

A run renders the version that serves the call (the live canary's sticky split for
``production``), then goes through the very pipeline a chat call does, recorded with the
prompt and the release (``name@version``), which the canary controller compares.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from seawall.core.context import RequestContext, parse_traceparent
from seawall.core.errors import InvalidRequest, SeawallError, ServiceUnavailable
from seawall.http.admin import AdminRoute, Call
from seawall.http.auth import authenticate
from seawall.http.chat import call_headers, check_model_access, read_call_options, read_json
from seawall.http.errors import error_response
from seawall.pipeline import Completion
from seawall.releases.controller import Release
from seawall.releases.runtime import Releases
from seawall.releases.serving import Served
from seawall.releases.status import release_dict, version_dict
from seawall.security.roles import Principal
from seawall.stages.admit import parse_chat_request
from seawall.wiring import Runtime

_MAX_TAGS = 32


def releases_of(runtime: Runtime) -> Releases:
    """The runtime's prompt releases; 503 while they are not running."""
    found: Releases | None = getattr(runtime, "releases", None)
    if found is None:
        raise ServiceUnavailable(
            "prompt runs are not available: the release service is not running"
        )
    return found


# --------------------------------------------------------------------------- the run


class PromptEndpoints:
    """``POST /v1/prompts/{name}:run``, bound to one runtime."""

    def __init__(self, runtime: Runtime, is_ready: Callable[[], bool]) -> None:
        self.runtime = runtime
        self.is_ready = is_ready
        # Only calls without a user or session id draw from it: fresh per process is right.
        self._rng = random.Random(os.urandom(16))

    async def run(self, request: Request) -> Response:
        """Render the serving version with the caller's variables and answer through the pipeline."""
        ctx = RequestContext.begin(time.monotonic(), time.time())
        parent = parse_traceparent(request.headers.get("traceparent"))
        if parent is not None:
            ctx.trace_id, ctx.parent_span_id = parent
        headers = {"x-seawall-trace-id": ctx.trace_id}
        try:
            return await self._run(request, ctx, headers)
        except SeawallError as exc:
            return error_response(exc, headers)

    async def _run(
        self, request: Request, ctx: RequestContext, headers: dict[str, str]
    ) -> Response:
        runtime = self.runtime
        if not self.is_ready():
            raise ServiceUnavailable("the gateway is starting or shutting down")
        principal = authenticate(runtime.security, request)
        if not principal.can("gateway.call"):
            assert runtime.security is not None  # authenticate() succeeded
            await runtime.security.require(
                principal, "gateway.call", target=f"POST {request.url.path}"
            )
        ctx.tenant, ctx.key_id = principal.tenant, principal.key_id
        body = await read_json(request, runtime.config.server.max_body_bytes)
        options = _options(body)
        read_call_options(request, ctx)
        served = await releases_of(runtime).runs.serve(
            str(request.path_params["name"]),
            label=options.label,
            subject=options.user or options.session,
            rng=self._rng,
        )
        headers["x-seawall-release"] = served.release
        completion = await self._complete(served, options, ctx, principal)
        record = completion.record
        result = {
            "output": completion.response.content,
            "parsed": completion.parsed,
            "trace_id": ctx.trace_id,
            "release": served.release,
            "confidence": record.confidence,
            "review": record.review_id,
        }
        out = {**call_headers(completion.run), "x-seawall-release": served.release}
        return Response(orjson.dumps(result), media_type="application/json", headers=out)

    async def _complete(
        self, served: Served, options: _Options, ctx: RequestContext, principal: Principal
    ) -> Completion:
        runtime = self.runtime
        chat_body = served.prompt.chat_body(options.variables)  # PromptVariableError: 400
        chat = parse_chat_request(chat_body, max_messages=runtime.config.server.max_messages)
        await check_model_access(runtime, principal, chat.model)
        ctx.prompt, ctx.release, ctx.user = served.prompt.spec.name, served.release, options.user
        if options.tags is not None:
            ctx.tags = options.tags
        return await runtime.pipeline.chat(chat, ctx)


@dataclass(frozen=True, slots=True)
class _Options:
    """The fields of a run's body, checked."""

    variables: Any
    user: str | None
    session: str | None
    tags: list[str] | None
    label: str | None


def _options(body: Any) -> _Options:
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    tags = body.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        raise InvalidRequest("'tags' must be a list of strings", param="tags")
    return _Options(
        variables=body.get("variables", {}),
        user=_text(body, "user"),
        session=_text(body, "session"),
        tags=[t.strip() for t in tags if t.strip()][:_MAX_TAGS] if tags is not None else None,
        label=_text(body, "label"),
    )


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidRequest(f"'{name}' must be a non-empty string", param=name)
    return value


def prompt_routes(runtime: Runtime, is_ready: Callable[[], bool]) -> list[Route]:
    """The Starlette route for ``POST /v1/prompts/{name}:run``."""
    endpoints = PromptEndpoints(runtime, is_ready)
    return [Route("/v1/prompts/{name}:run", endpoints.run, methods=["POST"])]


# --------------------------------------------------------------------------- admin


async def list_prompts(call: Call) -> Any:
    """``GET /admin/prompts``."""
    summaries = await releases_of(call.runtime).registry.list_prompts()
    return {
        "data": [
            {
                "name": s.name,
                "latest": s.latest,
                "labels": s.labels,
                "owner": s.owner,
                "model": s.model,
                "updated_at": s.updated_at,
            }
            for s in summaries
        ]
    }


async def show_prompt(call: Call) -> Any:
    """``GET /admin/prompts/{name}``; ``?ref=`` picks a version or label (default: newest)."""
    name = call.param("name")
    raw = call.request.query_params.get("ref") or None
    ref = int(raw) if raw is not None and raw.isdigit() else raw
    registry = releases_of(call.runtime).registry
    version = await registry.get(name, ref)
    return {**version_dict(version), "labels": await registry.labels(name)}


async def rollback_prompt(call: Call) -> Any:
    """``POST /admin/prompts/{name}/rollback``."""
    manager = releases_of(call.runtime).manager
    done = await manager.rollback(
        call.param("name"), call.principal.actor, reason=_reason(call.body)
    )
    return _release(done)


async def release_status(call: Call) -> Any:
    """``GET /admin/releases``."""
    found = await releases_of(call.runtime).manager.status()
    return {"data": [s.as_dict() for s in found]}


async def release_status_one(call: Call) -> Any:
    """``GET /admin/releases/{name}``."""
    found = await releases_of(call.runtime).manager.status(call.param("name"))
    return found[0].as_dict()


async def finish_release(call: Call) -> Any:
    """``POST /admin/releases/{name}/finish``."""
    force = call.body.get("force", False)
    if not isinstance(force, bool):
        raise InvalidRequest("'force' must be true or false", param="force")
    done = await releases_of(call.runtime).manager.finish(
        call.param("name"), call.principal.actor, reason=_reason(call.body), force=force
    )
    return _release(done)


PROMPT_ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute("GET", "/admin/prompts", "prompts.read", list_prompts),
    AdminRoute("GET", "/admin/prompts/{name}", "prompts.read", show_prompt),
    AdminRoute("POST", "/admin/prompts/{name}/rollback", "prompts.write", rollback_prompt),
    AdminRoute("GET", "/admin/releases", "prompts.read", release_status),
    AdminRoute("GET", "/admin/releases/{name}", "prompts.read", release_status_one),
    AdminRoute("POST", "/admin/releases/{name}/finish", "prompts.write", finish_release),
)


def _reason(body: dict[str, Any]) -> str:
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise InvalidRequest("'reason' must be a string", param="reason")
    return reason


def _release(release: Release) -> dict[str, Any]:
    return release_dict(release)
