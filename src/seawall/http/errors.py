"""Every error leaves the gateway in the OpenAI error shape with a stable ``code``."""

from __future__ import annotations

import math
from typing import Any

import orjson
from starlette.responses import Response

from seawall.core.errors import RateLimited, SeawallError

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
}


def error_payload(error: SeawallError) -> dict[str, Any]:
    return {
        "message": error.message,
        "type": _TYPES.get(error.status_code, "api_error"),
        "param": error.param,
        "code": error.code,
    }


def error_response(error: SeawallError, headers: dict[str, str] | None = None) -> Response:
    out = dict(headers or {})
    if isinstance(error, RateLimited):
        # Whole seconds by the HTTP spec (rounded up: never too early), and the exact wait in
        # milliseconds, which the OpenAI SDKs honour before Retry-After.
        out["retry-after"] = f"{max(1, math.ceil(error.retry_after))}"
        out["retry-after-ms"] = f"{max(1, math.ceil(error.retry_after * 1000))}"
    return Response(
        orjson.dumps({"error": error_payload(error)}),
        status_code=error.status_code,
        headers=out,
        media_type="application/json",
    )


def plain_error(status: int, code: str, message: str) -> Response:
    """An error raised by the HTTP layer itself (unknown route, wrong method)."""
    body = {
        "error": {
            "message": message,
            "type": _TYPES.get(status, "api_error"),
            "param": None,
            "code": code,
        }
    }
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")
