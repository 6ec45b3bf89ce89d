"""Upstream outcomes → the core error tree: statuses, error bodies, transport errors."""

from __future__ import annotations

from email.utils import formatdate

import aiohttp
import orjson
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from seawall.core.errors import UpstreamError, UpstreamRejected, UpstreamTimeout
from seawall.core.types import JSON
from seawall.providers import classify


def _openai_error(message: str, kind: str, code: str | None = None) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": kind, "param": None, "code": code}})


def _anthropic_error(kind: str, message: str) -> bytes:
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": message}})


# --------------------------------------------------------------------------- statuses


def test_429_is_retryable_with_retry_after() -> None:
    error = classify.error_for_status(
        429, _openai_error("slow down", "requests", "rate_limit_exceeded"), "2.5"
    )
    assert (error.kind, error.retryable, error.upstream_status, error.retry_after) == (
        "http_429",
        True,
        429,
        2.5,
    )
    assert "rate_limit_exceeded" in error.message
    assert not isinstance(error, UpstreamRejected)


def test_429_for_exhausted_quota_is_not_retryable() -> None:
    body = _openai_error(
        "You exceeded your current quota", "insufficient_quota", "insufficient_quota"
    )
    error = classify.error_for_status(429, body)
    assert error.kind == "http_429"
    assert not error.retryable


@pytest.mark.parametrize("status", [500, 502, 503, 504, 529])
def test_server_errors_are_retryable(status: int) -> None:
    error = classify.error_for_status(
        status, _anthropic_error("overloaded_error", "Overloaded"), "1"
    )
    assert (error.kind, error.retryable, error.upstream_status, error.retry_after) == (
        "http_5xx",
        True,
        status,
        1.0,
    )


def test_408_is_a_retryable_timeout() -> None:
    error = classify.error_for_status(408, "request timeout")
    assert (error.kind, error.retryable) == ("timeout", True)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (
            400,
            _openai_error(
                "This model's maximum context length is 8192",
                "invalid_request_error",
                "context_length_exceeded",
            ),
            "context_length",
        ),
        (
            400,
            _anthropic_error(
                "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"
            ),
            "context_length",
        ),
        # vLLM-style: no code, the signal is only in the message
        (
            400,
            orjson.dumps(
                {
                    "object": "error",
                    "message": "This model's maximum context length is 4096 tokens.",
                    "type": "BadRequestError",
                    "code": 400,
                }
            ),
            "context_length",
        ),
        (
            400,
            _openai_error("flagged", "invalid_request_error", "content_filter"),
            "content_filter",
        ),
        (400, _openai_error("bad temperature", "invalid_request_error", None), "rejected"),
        (
            401,
            _openai_error("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
            "rejected",
        ),
        (401, _anthropic_error("authentication_error", "invalid x-api-key"), "rejected"),
        (
            403,
            _anthropic_error("permission_error", "no access to this model; context length"),
            "rejected",
        ),
        (404, _anthropic_error("not_found_error", "model: claude-nope"), "rejected"),
        (
            413,
            _anthropic_error("request_too_large", "Request exceeds the maximum size"),
            "rejected",
        ),
        (400, b"<html>Bad Request</html>", "rejected"),
    ],
)
def test_client_errors_are_final_rejections(status: int, body: bytes, kind: str) -> None:
    error = classify.error_for_status(status, body)
    assert isinstance(error, UpstreamRejected)
    assert (error.kind, error.retryable, error.upstream_status, error.status_code) == (
        kind,
        False,
        status,
        status,
    )


def test_error_message_quotes_the_upstream_message_not_the_raw_body() -> None:
    error = classify.error_for_status(
        400, _anthropic_error("invalid_request_error", "max_tokens: must be >= 1")
    )
    assert (
        error.message
        == "upstream rejected the request (400 invalid_request_error): max_tokens: must be >= 1"
    )


def test_plain_text_error_bodies_are_kept_short() -> None:
    error = classify.error_for_status(502, "x" * 5000)
    assert len(error.message) < 400


# --------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("3", 3.0), ("0.5", 0.5), (None, None), ("", None), ("-1", None), ("soon", None)],
)
def test_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    assert classify.parse_retry_after(value) == seconds


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert classify.parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == 30.0
    assert classify.parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0


# --------------------------------------------------------------------------- streams and bodies


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"type": "overloaded_error", "message": "Overloaded"}, "http_5xx"),
        ({"message": "boom", "type": "server_error", "code": None}, "http_5xx"),
        ({"type": "rate_limit_error", "message": "slow"}, "http_429"),
        ("plain string", "http_5xx"),
        (None, "http_5xx"),
    ],
)
def test_stream_error_events_are_retryable(error: JSON | str | None, kind: str) -> None:
    result = classify.error_for_stream_event(error)
    assert (result.kind, result.retryable) == (kind, True)


def test_malformed_and_truncated_are_retryable() -> None:
    assert (classify.malformed("x").kind, classify.malformed("x").retryable) == ("malformed", True)
    assert (classify.truncated("x").kind, classify.truncated("x").retryable) == ("truncated", True)


# --------------------------------------------------------------------------- transport errors


def _connector_error() -> aiohttp.ClientConnectorError:
    key = aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None)
    return aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused"))


def _bad_status_line() -> aiohttp.ClientResponseError:
    url = URL("http://upstream/v1")
    info = aiohttp.RequestInfo(url, "POST", CIMultiDictProxy(CIMultiDict()), url)
    return aiohttp.ClientResponseError(info, (), status=400, message="Invalid status line")


@pytest.mark.parametrize(
    ("exc", "kind", "retryable"),
    [
        (TimeoutError(), "timeout", True),
        (aiohttp.ServerTimeoutError("read"), "timeout", True),
        (aiohttp.ConnectionTimeoutError("connect"), "timeout", True),
        (_connector_error(), "connect", True),
        (aiohttp.ServerDisconnectedError(), "reset", True),
        (aiohttp.ClientPayloadError("cut"), "reset", True),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), "reset", True),
        (aiohttp.InvalidURL("nope"), "connect", False),
        (_bad_status_line(), "malformed", True),
    ],
)
def test_transport_errors(exc: BaseException, kind: str, retryable: bool) -> None:
    error = classify.error_for_exception(exc)
    assert isinstance(error, UpstreamError)
    assert (error.kind, error.retryable) == (kind, retryable)
    assert isinstance(error, UpstreamTimeout) == (kind == "timeout")
