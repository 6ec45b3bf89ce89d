"""Reading the caller's key from a request, and turning it into a principal."""

from __future__ import annotations

from starlette.requests import Request

from seawall.core.errors import ServiceUnavailable
from seawall.security.roles import Principal
from seawall.security.service import Security


def presented_key(request: Request) -> str | None:
    """``Authorization: Bearer KEY`` (OpenAI SDKs) or ``x-api-key: KEY`` (Anthropic-style clients)."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return request.headers.get("x-api-key") or None


def authenticate(security: Security | None, request: Request) -> Principal:
    """The principal of this request; raises ``Unauthorized`` for a missing or bad key."""
    if security is None:
        raise ServiceUnavailable("the gateway is starting or shutting down")
    return security.authenticate(presented_key(request))
