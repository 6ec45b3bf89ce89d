"""Admission: rate limits and budgets, taken before the call and settled after it.

Scopes, each optional: ``key:<id>`` and ``tenant:<name>`` (from ``limits``/``budgets``, with
per-key and per-tenant overrides), and ``model:<name>`` (the model's own ``limits`` and
``budgets``). Every limit of a call is taken in one atomic shared-state operation, so limits
hold across replicas; see ``seawall.limits`` for the arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seawall.config import BudgetConfig, BudgetsConfig, LimitsConfig, RateLimitConfig
from seawall.core.context import RequestContext
from seawall.core.types import ChatRequest
from seawall.limits.budget import (
    Budget,
    BudgetGuard,
    BudgetScope,
    Reservation,
    SoftAlert,
    estimate_cost_usd,
    output_tokens_bound,
)
from seawall.limits.ratelimit import RateLimit, RateLimiter, RateScope, RateTicket
from seawall.stages.resolve import ModelRuntime
from seawall.telemetry.prices import PriceTable


@dataclass(slots=True)
class Admitted:
    """What a call took; ``settle`` gives back the difference to what it really used."""

    ticket: RateTicket | None = None
    reservation: Reservation | None = None
    settled: bool = False


class Admission:
    """Rate limits and budgets of one deployment."""

    def __init__(
        self,
        limits: LimitsConfig,
        budgets: BudgetsConfig,
        limiter: RateLimiter,
        guard: BudgetGuard,
        prices: PriceTable,
    ) -> None:
        self._limits, self._budgets = limits, budgets
        self._limiter, self._guard, self._prices = limiter, guard, prices

    def rate_scopes(self, ctx: RequestContext, model: ModelRuntime) -> list[RateScope]:
        found: list[tuple[str, RateLimitConfig | None]] = []
        if ctx.key_id is not None:
            found.append(
                (f"key:{ctx.key_id}", self._limits.keys.get(ctx.key_id, self._limits.per_key))
            )
        if ctx.tenant is not None:
            limit = self._limits.tenants.get(ctx.tenant, self._limits.per_tenant)
            found.append((f"tenant:{ctx.tenant}", limit))
        found.append((f"model:{model.name}", model.config.limits))
        return [
            RateScope(name, RateLimit(c.requests_per_min, c.tokens_per_min, c.burst_s))
            for name, c in found
            if c is not None
        ]

    def budget_scopes(self, ctx: RequestContext, model: ModelRuntime) -> list[BudgetScope]:
        found: list[tuple[str, list[BudgetConfig]]] = []
        if ctx.key_id is not None:
            found.append(
                (f"key:{ctx.key_id}", self._budgets.keys.get(ctx.key_id, self._budgets.per_key))
            )
        if ctx.tenant is not None:
            budgets = self._budgets.tenants.get(ctx.tenant, self._budgets.per_tenant)
            found.append((f"tenant:{ctx.tenant}", budgets))
        found.append((f"model:{model.name}", model.config.budgets))
        return [
            BudgetScope(name, tuple(Budget(b.limit_usd, b.period, b.soft_usd) for b in budgets))
            for name, budgets in found
            if budgets
        ]

    async def admit(
        self, ctx: RequestContext, model: ModelRuntime, request: ChatRequest, tokens: int
    ) -> Admitted:
        """Take the call's request, tokens and estimated cost; 429 when any limit is reached."""
        admitted = Admitted()
        rate_scopes = self.rate_scopes(ctx, model)
        output = output_tokens_bound(request.body)
        if rate_scopes:
            admitted.ticket = await self._limiter.acquire(rate_scopes, tokens + output)
        budget_scopes = self.budget_scopes(ctx, model)
        if budget_scopes:
            estimate = max(
                estimate_cost_usd(self._prices.price(t.model), tokens, output)
                for t in model.targets
            )
            try:
                admitted.reservation = await self._guard.reserve(budget_scopes, estimate)
            except BaseException:
                await self._refund(admitted)
                raise
        return admitted

    async def _refund(self, admitted: Admitted) -> None:
        if admitted.ticket is not None:
            await self._limiter.settle(admitted.ticket, 0)

    async def settle(self, admitted: Admitted, tokens: int, cost_usd: float) -> Sequence[SoftAlert]:
        """Settle with what the call used; returns soft budget limits crossed (alert once)."""
        if admitted.settled:
            return ()
        admitted.settled = True
        if admitted.ticket is not None:
            await self._limiter.settle(admitted.ticket, tokens)
        alerts: tuple[SoftAlert, ...] = ()
        if admitted.reservation is not None:
            alerts = admitted.reservation.alerts + await self._guard.settle(
                admitted.reservation, cost_usd
            )
        return alerts
