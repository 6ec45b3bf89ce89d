"""Translate upstream outcomes into the core error tree, in one place.

Every way an upstream call can go wrong ends here: an HTTP error status (with the upstream's
JSON error body), a transport exception from aiohttp, an error event inside a stream, or a
body that is not what the API promises. Providers only ``raise classify.<fn>(...) from exc``.

Error bodies are read by their structured fields first (OpenAI ``error.code`` / ``error.type``,
Anthropic ``error.type``); message text is consulted only for the one signal OpenAI-compatible
servers (vLLM, llama.cpp, Ollama) send without a code: an over-long prompt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import orjson

from seawall.core.errors import UpstreamError, UpstreamRejected, UpstreamTimeout

_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_CONTEXT_MARKERS = (
    "prompt is too long",
    "maximum context length",
    "context length",
    "context window",
)
_FILTER_CODES = frozenset({"content_filter", "content_policy_violation"})
# OpenAI sends 429 both for "slow down" and for "your account has no credit"; only the first heals.
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
_RESET_ERRORS = (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError)
_AUTH_TYPES = frozenset({"authentication_error", "permission_error"})
_RATE_LIMIT_TYPES = frozenset({"rate_limit_error", "rate_limit_exceeded", "requests", "tokens"})


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What an upstream error body says, whichever dialect it is written in."""

    type: str = ""
    code: str = ""
    message: str = ""

    @property
    def label(self) -> str:
        return self.code or self.type


def read_error_body(detail: str | bytes) -> ErrorInfo:
    """Read an OpenAI (``{"error": {...}}``) or Anthropic (``{"type": "error", ...}``) body."""
    try:
        parsed = orjson.loads(detail)
    except orjson.JSONDecodeError:
        text = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
        return ErrorInfo(message=text.strip()[:300])
    if not isinstance(parsed, dict):
        return ErrorInfo(message=str(parsed)[:300])
    # vLLM and some others put the error fields at the top level.
    member = parsed.get("error", parsed.get("detail"))
    return error_info(parsed if member is None else member)


def error_info(error: Any) -> ErrorInfo:
    """Read the ``error`` member of an error body or stream event (a dict or a bare string)."""
    if isinstance(error, str):
        return ErrorInfo(message=error[:300])
    if not isinstance(error, dict):
        return ErrorInfo()
    return ErrorInfo(
        type=_text(error.get("type")),
        code=_text(error.get("code")),
        message=_text(error.get("message"))[:300],
    )


def _text(value: Any) -> str:
    # Some servers send numeric codes; everything is compared as a string.
    return value if isinstance(value, str) else "" if value is None else str(value)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent or bad."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until(value, time.time() if now is None else now)
    return seconds if seconds >= 0 else None


def _seconds_until(http_date: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def error_for_status(
    status: int, detail: str | bytes, retry_after: str | None = None
) -> UpstreamError:
    """The error an HTTP status means: 429/5xx/408 retryable, other statuses final."""
    info = read_error_body(detail)
    said = f"({status} {info.label})" if info.label else f"({status})"
    if status == 429:
        quota = info.code in _QUOTA_CODES or info.type in _QUOTA_CODES
        return UpstreamError(
            f"upstream rate limited {said}: {info.message}",
            kind="http_429",
            retryable=not quota,
            upstream_status=status,
            retry_after=parse_retry_after(retry_after),
        )
    if status >= 500 or status == 408:
        # Includes Anthropic's 529 overloaded_error.
        return UpstreamError(
            f"upstream failed {said}: {info.message}",
            kind="http_5xx" if status >= 500 else "timeout",
            retryable=True,
            upstream_status=status,
            retry_after=parse_retry_after(retry_after),
        )
    message = f"upstream rejected the request {said}: {info.message}"
    return UpstreamRejected(message, upstream_status=status, kind=_rejection_kind(status, info))


def _rejection_kind(status: int, info: ErrorInfo) -> str:
    if info.code in _CONTEXT_CODES:
        return "context_length"
    if info.code in _FILTER_CODES or info.type in _FILTER_CODES:
        return "content_filter"
    if status in (401, 403) or info.type in _AUTH_TYPES:
        return "rejected"
    # Anthropic ("prompt is too long") and OpenAI-compatible servers say this only in prose.
    lowered = info.message.lower()
    if any(marker in lowered for marker in _CONTEXT_MARKERS):
        return "context_length"
    return "rejected"


def error_for_stream_event(error: Any) -> UpstreamError:
    """An error event inside a stream that had started: the upstream failed mid-answer."""
    info = error_info(error)
    said = f" ({info.label})" if info.label else ""
    limited = info.type in _RATE_LIMIT_TYPES or info.code in _RATE_LIMIT_TYPES
    return UpstreamError(
        f"upstream reported an error mid-stream{said}: {info.message}",
        kind="http_429" if limited else "http_5xx",
        retryable=True,
    )


def error_for_exception(exc: BaseException) -> UpstreamError:
    """The error a transport exception (aiohttp or a timeout) means; all but bad URLs retryable."""
    # Order matters: aiohttp's timeout errors are also connection errors, and
    # ClientConnectorError is also a ClientOSError.
    if isinstance(exc, TimeoutError):
        return UpstreamTimeout(f"upstream did not answer in time ({type(exc).__name__})")
    if isinstance(exc, aiohttp.InvalidURL):
        return UpstreamError(f"invalid upstream URL: {exc}", kind="connect", retryable=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamError(f"cannot connect to upstream: {exc}", kind="connect", retryable=True)
    if isinstance(exc, _RESET_ERRORS):
        return UpstreamError(f"upstream connection lost: {exc!r}", kind="reset", retryable=True)
    if isinstance(exc, aiohttp.ClientConnectionError):
        return UpstreamError(f"upstream connection failed: {exc!r}", kind="connect", retryable=True)
    # Remaining aiohttp errors are responses that do not parse as HTTP.
    return malformed(f"not a valid HTTP response ({exc!r})")


def malformed(reason: str) -> UpstreamError:
    """A 2xx answer whose body is not the shape the API promises; another attempt may be fine."""
    message = f"upstream sent a malformed answer: {reason}"
    return UpstreamError(message, kind="malformed", retryable=True)


def truncated(reason: str) -> UpstreamError:
    """A stream that ended before the upstream signalled the end of the answer."""
    message = f"upstream stream was cut short: {reason}"
    return UpstreamError(message, kind="truncated", retryable=True)
