"""Spend budgets per key, tenant and logical model, per day and per month.

Before a call, its worst-case cost is reserved on every budget that applies, atomically and
all-or-nothing (``SharedState.budget_reserve``): the prompt's estimated tokens at the input
price plus ``max_tokens`` (or a default) at the output price. After the call the reservation
is settled with the cost the price table gives for the reported usage; a failed call settles
with what it cost (usually nothing). So a budget is overspent by at most how much the calls
in flight cost beyond their estimates, and never by a race between replicas.

Periods are calendar days and months in UTC by default (``tz`` for another zone): a budget
resets at midnight, and a call reserved before midnight settles against the day it started.
A soft limit reports its first crossing in a period once, whichever replica saw it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any, Literal

from seawall.config import Price
from seawall.core.clock import Clock
from seawall.core.errors import BudgetExceeded
from seawall.state.base import BudgetCharge, BudgetSettle, SharedState

Period = Literal["day", "month"]
DEFAULT_OUTPUT_TOKENS = 1024  # reserved when a request sets no max_tokens


@dataclass(frozen=True, slots=True)
class Budget:
    """A hard limit in US dollars per period, and an optional soft limit that alerts."""

    limit_usd: float
    period: Period = "day"
    soft_usd: float | None = None

    def __post_init__(self) -> None:
        if self.limit_usd < 0 or (self.soft_usd is not None and self.soft_usd < 0):
            raise ValueError("budget limits must be >= 0")
        if self.period not in ("day", "month"):
            raise ValueError(f"budget period must be day or month, got {self.period!r}")


@dataclass(frozen=True, slots=True)
class BudgetScope:
    """A named holder of budgets (``key:<id>``, ``tenant:<name>``, ``model:<name>``)."""

    name: str
    budgets: tuple[Budget, ...]

    def __post_init__(self) -> None:
        periods = [budget.period for budget in self.budgets]
        if len(periods) != len(set(periods)):
            raise ValueError(f"{self.name}: at most one budget per period")


@dataclass(frozen=True, slots=True)
class SoftAlert:
    """A soft limit reached for the first time in its period (fire one alert event)."""

    scope: str
    period: Period
    soft_usd: float
    limit_usd: float
    resets_at: float


@dataclass(frozen=True, slots=True)
class Reservation:
    """What a call reserved: settle it with the actual cost when the call ends."""

    charges: tuple[BudgetCharge, ...]
    estimate_usd: float  # 0 when the shared state was unreachable (nothing was reserved)
    alerts: tuple[SoftAlert, ...] = ()
    degraded: bool = False


def period_end(now: float, period: Period, tz: tzinfo = UTC) -> float:
    """The instant (unix seconds) the period containing ``now`` ends: next midnight or month."""
    today = datetime.fromtimestamp(now, tz).date()
    if period == "day":
        end = today + timedelta(days=1)
    else:
        end = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(end, time(0), tz).timestamp()


def output_tokens_bound(body: Mapping[str, Any], default: int = DEFAULT_OUTPUT_TOKENS) -> int:
    """The most output tokens the request allows (``max_completion_tokens``/``max_tokens``)."""
    for name in ("max_completion_tokens", "max_tokens"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return default


def estimate_cost_usd(price: Price | None, prompt_tokens: int, output_tokens: int) -> float:
    """Worst-case cost of a call: every prompt token uncached; 0 for a model without a price."""
    if price is None:
        return 0.0
    return (prompt_tokens * price.input + output_tokens * price.output) / 1_000_000


def charges_for(
    scopes: Sequence[BudgetScope], estimate_usd: float, now: float, tz: tzinfo = UTC
) -> list[BudgetCharge]:
    """One charge per budget of every scope, keyed ``<scope>:<period>``."""
    return [
        BudgetCharge(
            f"{scope.name}:{budget.period}",
            budget.limit_usd,
            estimate_usd,
            period_end(now, budget.period, tz),
            budget.soft_usd,
        )
        for scope in scopes
        for budget in scope.budgets
    ]


class BudgetGuard:
    """Reserves a call's estimated cost on every budget that applies, or raises 429."""

    def __init__(self, state: SharedState, clock: Clock, tz: tzinfo = UTC) -> None:
        self._state, self._clock, self._tz = state, clock, tz

    async def reserve(self, scopes: Sequence[BudgetScope], estimate_usd: float) -> Reservation:
        """Reserve ``estimate_usd`` everywhere; ``BudgetExceeded`` naming budget and reset time."""
        charges = charges_for(scopes, estimate_usd, self._clock.wall(), self._tz)
        if not charges:
            return Reservation((), estimate_usd)
        decision = await self._state.budget_reserve(charges)
        if not decision.allowed:
            resets = datetime.fromtimestamp(decision.resets_at, UTC).isoformat(timespec="seconds")
            raise BudgetExceeded(
                f"budget of {decision.limited_by} exhausted: ${decision.spent_usd:.4f} spent and "
                f"${decision.reserved_usd:.4f} in flight of ${decision.limit_usd:.2f}; "
                f"it resets at {resets}",
                resets_at=decision.resets_at,
            )
        estimate = 0.0 if decision.degraded else estimate_usd
        alerts = _alerts(charges, decision.soft_crossed)
        return Reservation(tuple(charges), estimate, alerts, decision.degraded)

    async def settle(self, reservation: Reservation, actual_usd: float) -> tuple[SoftAlert, ...]:
        """Replace the reservation by the actual cost; returns soft limits reached by it."""
        if not reservation.charges:
            return ()
        settles = [
            BudgetSettle(c.key, c.period_end, reservation.estimate_usd, actual_usd)
            for c in reservation.charges
        ]
        return _alerts(reservation.charges, await self._state.budget_settle(settles))


def _alerts(charges: Sequence[BudgetCharge], crossed: Sequence[str]) -> tuple[SoftAlert, ...]:
    by_key = {charge.key: charge for charge in charges}
    alerts = []
    for key in crossed:
        charge = by_key.get(key)
        if charge is None or charge.soft_usd is None:
            continue
        scope, _, period = key.rpartition(":")
        alerts.append(
            SoftAlert(
                scope,
                "month" if period == "month" else "day",
                charge.soft_usd,
                charge.limit_usd,
                charge.period_end,
            )
        )
    return tuple(alerts)
