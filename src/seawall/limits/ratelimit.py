"""Requests and tokens per minute per key, tenant and logical model, across every replica.

Each scope's limits become GCRA charges (see ``state/counters.py``) taken in one atomic
shared-state call: either every limit of a call has room, or the call is refused with the
exact wait of the tightest one and nothing is taken (no rollback needed, no partial charges).

Tokens are charged by estimate before the call (``limits.tokens``) and settled after it with
the usage the provider reported: the difference is added to, or refunded from, each tokens
bucket. A bucket holds ``burst_s`` seconds of its rate, a minute by default: "60 requests per
minute" lets 60 through at once, then one a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seawall.core.errors import RateLimited
from seawall.state.base import RateCharge, SharedState


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Requests and tokens per minute for one scope; None leaves that dimension unlimited."""

    requests_per_min: float | None = None
    tokens_per_min: float | None = None
    burst_s: float = 60.0  # the bucket holds this many seconds of the rate

    def __post_init__(self) -> None:
        for name in ("requests_per_min", "tokens_per_min", "burst_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0, got {value!r}")


@dataclass(frozen=True, slots=True)
class RateScope:
    """A named holder of a limit: ``key:<id>``, ``tenant:<name>`` or ``model:<name>``."""

    name: str
    limit: RateLimit


@dataclass(frozen=True, slots=True)
class RateTicket:
    """What a call took: settle it with the real token count when the call ends."""

    token_charges: tuple[RateCharge, ...]
    estimated_tokens: int
    degraded: bool = False  # the shared state was unreachable: nothing was taken


def charges_for(scopes: Sequence[RateScope], tokens: int) -> list[RateCharge]:
    """The GCRA charges of one call of ``tokens`` estimated tokens, in scope order."""
    charges = []
    for scope in scopes:
        limit = scope.limit
        if limit.requests_per_min is not None:
            rate = limit.requests_per_min / 60.0
            charges.append(RateCharge(f"{scope.name}:rpm", rate, rate * limit.burst_s, 1.0))
        if limit.tokens_per_min is not None:
            rate = limit.tokens_per_min / 60.0
            charges.append(RateCharge(f"{scope.name}:tpm", rate, rate * limit.burst_s, tokens))
    return charges


def describe(key: str, scopes: Sequence[RateScope]) -> str:
    """``tenant:acme:tpm`` as "100000 tokens per minute for tenant:acme", for the 429 body."""
    name, _, dimension = key.rpartition(":")
    for scope in scopes:
        if scope.name == name:
            if dimension == "rpm":
                return f"{scope.limit.requests_per_min:g} requests per minute for {name}"
            return f"{scope.limit.tokens_per_min:g} tokens per minute for {name}"
    return key


class RateLimiter:
    """Takes a call's requests and tokens from every limit that applies, or raises 429."""

    def __init__(self, state: SharedState) -> None:
        self._state = state

    async def acquire(self, scopes: Sequence[RateScope], estimated_tokens: int) -> RateTicket:
        """Charge one request and ``estimated_tokens``; ``RateLimited`` with the exact wait."""
        charges = charges_for(scopes, estimated_tokens)
        if not charges:
            return RateTicket((), estimated_tokens)
        decision = await self._state.rate_acquire(charges)
        if not decision.allowed:
            what = describe(decision.limited_by or "", scopes)
            raise RateLimited(
                f"rate limit of {what} reached; retry after {decision.retry_after_s:.3f} s",
                retry_after=decision.retry_after_s,
            )
        tokens = tuple(c for c in charges if c.key.endswith(":tpm"))
        return RateTicket(tokens, estimated_tokens, decision.degraded)

    async def settle(self, ticket: RateTicket, actual_tokens: int) -> None:
        """Correct the token buckets by ``actual - estimated`` (a refund when negative)."""
        delta = actual_tokens - ticket.estimated_tokens
        if ticket.degraded or not ticket.token_charges or delta == 0:
            return
        await self._state.rate_adjust(
            [RateCharge(c.key, c.rate_per_s, c.burst, delta) for c in ticket.token_charges]
        )
