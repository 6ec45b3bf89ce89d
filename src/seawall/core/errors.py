"""The one exception tree of Seawall.

    SeawallError                      status  code
    ├── InvalidRequest                 400     invalid_request
    │   ├── PayloadTooLarge            413     invalid_request
    │   ├── NotFound                   404     invalid_request (a trace, key, review ... id)
    │   └── UnknownModel               404     invalid_request (param: model)
    ├── Unauthorized                   401     unauthorized
    ├── Forbidden                      403     forbidden
    ├── RateLimited                    429     rate_limited   (+ Retry-After)
    ├── BudgetExceeded                 429     budget_exceeded
    ├── GuardBlocked                   400     guard_blocked
    ├── UpstreamError                  502     upstream_unavailable   (raised by providers)
    │   ├── UpstreamTimeout            504     upstream_timeout
    │   ├── UpstreamRejected           4xx     invalid_request   (final: the upstream said no)
    │   ├── BreakerOpen                503     upstream_unavailable
    │   └── TargetSaturated            503     upstream_unavailable   (concurrency cap: shed)
    ├── OutputInvalid                  502     output_invalid
    └── ServiceUnavailable             503     degraded   (shutting down, store dead)

Every error carries its HTTP ``status_code``, a stable ``code`` and whether a retry of the same
attempt may succeed (``retryable``). ``seawall.http.errors`` turns any of them into the OpenAI
error shape; nothing anywhere matches on message strings.
"""

from __future__ import annotations


class SeawallError(Exception):
    """Base of every error Seawall raises on purpose."""

    status_code = 500
    code = "internal_error"
    retryable = False

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param

    @property
    def error_class(self) -> str:
        """A short, stable label for records and metrics."""
        return self.code


class InvalidRequest(SeawallError):
    status_code = 400
    code = "invalid_request"


class PayloadTooLarge(InvalidRequest):
    status_code = 413


class NotFound(InvalidRequest):
    status_code = 404


class UnknownModel(NotFound):
    pass


class Unauthorized(SeawallError):
    status_code = 401
    code = "unauthorized"


class Forbidden(SeawallError):
    status_code = 403
    code = "forbidden"


class RateLimited(SeawallError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BudgetExceeded(SeawallError):
    status_code = 429
    code = "budget_exceeded"

    def __init__(self, message: str, *, resets_at: float | None = None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


class GuardBlocked(SeawallError):
    status_code = 400
    code = "guard_blocked"


class UpstreamError(SeawallError):
    """An attempt at an upstream failed; ``kind`` says how (for records and metrics).

    kinds: ``http_429``, ``http_5xx``, ``connect``, ``reset``, ``timeout``, ``malformed``,
    ``empty``, ``truncated``, ``rejected``, ``breaker_open``.
    """

    status_code = 502
    code = "upstream_unavailable"

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        retryable: bool,
        upstream_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.upstream_status = upstream_status
        self.retry_after = retry_after

    @property
    def error_class(self) -> str:
        return self.kind


class UpstreamTimeout(UpstreamError):
    status_code = 504
    code = "upstream_timeout"

    def __init__(self, message: str, *, kind: str = "timeout") -> None:
        super().__init__(message, kind=kind, retryable=True)


class UpstreamRejected(UpstreamError):
    """The upstream refused the request itself (400, 401, 403, context length, content filter).

    Retrying or falling back to an equivalent target will not help a malformed request, but an
    auth failure on one target does not condemn the next; the fallback chain decides.
    """

    code = "invalid_request"

    def __init__(self, message: str, *, upstream_status: int, kind: str = "rejected") -> None:
        super().__init__(message, kind=kind, retryable=False, upstream_status=upstream_status)
        self.status_code = upstream_status if 400 <= upstream_status < 500 else 400


class BreakerOpen(UpstreamError):
    status_code = 503

    def __init__(self, target: str) -> None:
        super().__init__(f"circuit breaker open for {target}", kind="breaker_open", retryable=False)


class TargetSaturated(UpstreamError):
    """No slot for this target: its queue is full or the wait timed out (shed to the next)."""

    status_code = 503

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"{target} is saturated: {reason}", kind="saturated", retryable=False)


class OutputInvalid(SeawallError):
    status_code = 502
    code = "output_invalid"


class ServiceUnavailable(SeawallError):
    status_code = 503
    code = "degraded"
