"""``/admin/…``: the control plane over HTTP, each route checked against the caller's role.

``ADMIN_ROUTES`` is the one table of routes and the permission each needs; the RBAC test walks
it, so a new route cannot ship unchecked. Reads are restricted to the caller's tenant (a global
admin, tenant ``*``, sees every tenant). Writes, denials and every use of an admin key are
audited before the response leaves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from seawall.core.errors import (
    Forbidden,
    InvalidRequest,
    NotFound,
    SeawallError,
    ServiceUnavailable,
)
from seawall.http.auth import authenticate
from seawall.http.chat import read_body
from seawall.http.errors import error_response
from seawall.security.roles import Principal
from seawall.security.service import Security
from seawall.store.rows import record_to_row
from seawall.wiring import Runtime

_MAX_ADMIN_BODY = 1_000_000
_MAX_LIMIT = 1000


@dataclass(slots=True)
class Call:
    """One admin request, authenticated."""

    request: Request
    principal: Principal
    runtime: Runtime
    security: Security
    body: dict[str, Any]

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def query_float(self, name: str) -> float | None:
        raw = self.request.query_params.get(name)
        if raw is None:
            return None
        try:
            return float(raw)
        except ValueError:
            raise InvalidRequest(f"query parameter '{name}' must be a number", param=name) from None

    def limit(self, default: int = 100) -> int:
        value = self.query_float("limit")
        return default if value is None else max(1, min(_MAX_LIMIT, int(value)))


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class AdminRoute:
    method: str
    path: str
    permission: str | None  # None: any valid key
    handler: Handler
    global_only: bool = False  # needs a global admin (tenant '*'), not a tenant admin


# --------------------------------------------------------------------------- handlers


async def whoami(call: Call) -> Any:
    p = call.principal
    return {
        "key_id": p.key_id,
        "tenant": p.tenant,
        "role": p.role,
        "models": sorted(p.models) if p.models is not None else None,
        "mode": call.security.mode,
    }


async def list_keys(call: Call) -> Any:
    now = call.runtime.clock.wall()
    return {"data": [k.public(now) for k in await call.security.list_keys(call.principal)]}


async def create_key(call: Call) -> Any:
    body = call.body
    tenant = body.get("tenant", call.principal.tenant)
    role = body.get("role", "app")
    if not isinstance(tenant, str) or not isinstance(role, str):
        raise InvalidRequest("'tenant' and 'role' must be strings")
    expires_in = body.get("expires_in_s")
    if expires_in is not None and (not isinstance(expires_in, int | float) or expires_in <= 0):
        raise InvalidRequest("'expires_in_s' must be a positive number", param="expires_in_s")
    models = body.get("models")
    if models is not None and not (
        isinstance(models, list) and all(isinstance(m, str) for m in models)
    ):
        raise InvalidRequest("'models' must be a list of model names", param="models")
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise InvalidRequest("'name' must be a string", param="name")
    now = call.runtime.clock.wall()
    new = await call.security.create_key(
        call.principal,
        tenant=tenant,
        role=role,
        name=name,
        models=models,
        expires_at=now + expires_in if expires_in is not None else None,
    )
    return {**new.record.public(now), "key": new.secret}


async def revoke_key(call: Call) -> Any:
    record = await call.security.revoke_key(call.principal, call.param("key_id"))
    return record.public(call.runtime.clock.wall())


async def rotate_key(call: Call) -> Any:
    grace = call.body.get("grace_s", 86_400.0)
    if not isinstance(grace, int | float) or grace < 0:
        raise InvalidRequest("'grace_s' must be a number of seconds >= 0", param="grace_s")
    new = await call.security.rotate_key(call.principal, call.param("key_id"), float(grace))
    return {**new.record.public(call.runtime.clock.wall()), "key": new.secret}


async def list_audit(call: Call) -> Any:
    entries = await call.security.audit.entries(
        tenant=call.principal.tenant_filter,
        action=call.request.query_params.get("action"),
        since=call.query_float("since"),
        limit=call.limit(),
        newest_first=True,
    )
    return {"data": [e.as_dict() for e in entries]}


async def verify_audit(call: Call) -> Any:
    result = await call.security.audit.verify()
    return {
        "ok": result.ok,
        "checked": result.checked,
        "head_seq": result.head_seq,
        "head_hash": result.head_hash,
        "bad_seq": result.bad_seq,
        "problem": result.problem,
        "keyed": call.security.audit.keyed,
    }


async def list_traces(call: Call) -> Any:
    store = _store(call)
    records = await store.recent_calls(
        call.limit(),
        since=call.query_float("since"),
        model=call.request.query_params.get("model"),
        payloads=False,
        tenant=call.principal.tenant_filter,
    )
    return {"data": [_summary(record_to_row(r)) for r in records]}


async def get_trace(call: Call) -> Any:
    record = await _store(call).get_call(call.param("trace_id"))
    # Another tenant's trace is reported exactly like a missing one: ids must not leak.
    if record is None or not call.principal.sees(record.tenant):
        raise NotFound(f"no trace with id '{call.param('trace_id')}'", param="trace_id")
    return record_to_row(record)


async def usage(call: Call) -> Any:
    since = call.query_float("since")
    since = since if since is not None else call.runtime.clock.wall() - 86_400.0
    rows = await _store(call).usage(since, tenant=call.principal.tenant_filter)
    return {"since": since, "tenant": call.principal.tenant_filter, "data": rows}


async def purge_retention(call: Call) -> Any:
    dry_run = call.body.get("dry_run", False) is True
    done = await call.security.purge(call.principal, call.runtime.config.retention, dry_run=dry_run)
    return {**done.as_dict(), "dry_run": dry_run}


ADMIN_ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute("GET", "/admin/whoami", None, whoami),
    AdminRoute("GET", "/admin/keys", "keys.manage", list_keys),
    AdminRoute("POST", "/admin/keys", "keys.manage", create_key),
    AdminRoute("POST", "/admin/keys/{key_id}/revoke", "keys.manage", revoke_key),
    AdminRoute("POST", "/admin/keys/{key_id}/rotate", "keys.manage", rotate_key),
    AdminRoute("GET", "/admin/audit", "audit.read", list_audit),
    AdminRoute("GET", "/admin/audit/verify", "audit.read", verify_audit, global_only=True),
    AdminRoute("GET", "/admin/traces", "traces.read", list_traces),
    AdminRoute("GET", "/admin/traces/{trace_id}", "traces.read", get_trace),
    AdminRoute("GET", "/admin/usage", "usage.read", usage),
    AdminRoute(
        "POST", "/admin/retention/purge", "retention.run", purge_retention, global_only=True
    ),
)


# --------------------------------------------------------------------------- plumbing


def admin_routes(
    runtime: Runtime, is_ready: Callable[[], bool], extra: Iterable[AdminRoute] = ()
) -> list[Route]:
    """Starlette routes for ``ADMIN_ROUTES`` and the ``extra`` tables of other areas."""
    return [
        Route(route.path, _endpoint(route, runtime, is_ready), methods=[route.method])
        for route in (*ADMIN_ROUTES, *extra)
    ]


def _endpoint(
    route: AdminRoute, runtime: Runtime, is_ready: Callable[[], bool]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            if not is_ready() or runtime.security is None:
                raise ServiceUnavailable("the gateway is starting or shutting down")
            security = runtime.security
            principal = authenticate(security, request)
            await _authorize(security, principal, route, request)
            body = await _body(request) if route.method != "GET" else {}
            call = Call(request, principal, runtime, security, body)
            status, result = 200, await route.handler(call)
        except SeawallError as exc:
            return error_response(exc)
        if principal.role == "admin" or route.method != "GET":
            await security.record(
                "admin.request",
                principal,
                target=f"{route.method} {request.url.path}",
                detail={"status": status},
            )
        return Response(orjson.dumps(result, default=str), media_type="application/json")

    return endpoint


async def _authorize(
    security: Security, principal: Principal, route: AdminRoute, request: Request
) -> None:
    target = f"{route.method} {request.url.path}"
    if route.permission is not None:
        await security.require(principal, route.permission, target=target)
    if route.global_only and not principal.is_global:
        await security.record(
            "access.denied", principal, target=target, detail={"needs": "global admin"}
        )
        raise Forbidden("this action needs a global admin key (tenant '*')")


async def _body(request: Request) -> dict[str, Any]:
    raw = await read_body(request, _MAX_ADMIN_BODY)
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"request body is not valid JSON: {exc.args[0]}") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    return body


def _store(call: Call) -> Any:
    if call.runtime.store is None:
        raise ServiceUnavailable("the store is not open")
    return call.runtime.store


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("request", "response", "attempts")}
