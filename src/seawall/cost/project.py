"""The monthly bill projected from recorded traffic, and what a routing change would save.

Per upstream model: observed cost per day x 30.4 days x growth. The observed cost already
holds the overhead of resilience as it happened (re-asks billed, fallbacks priced at the
model that answered), so the projection carries it at the same rate.

A route change ``FROM=TO`` moves the traffic that ``FROM`` answered to ``TO``, keeping its
token counts, and prices it with the price table: the saving is the moved traffic's
projected cost minus its re-priced one. Records keep no cached-token counts, so the
re-pricing charges every prompt token at ``TO``'s full input price (a saving is never
overstated by a prompt cache that ``TO`` might not hit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seawall.cost.report import CostRow
from seawall.telemetry.prices import PriceTable

DAYS_PER_MONTH = 30.4


@dataclass(frozen=True, slots=True)
class RouteChange:
    """Move the traffic answered by ``source`` (``model`` or ``provider/model``) to ``target``."""

    source: str
    target: str

    def matches(self, upstream: str | None) -> bool:
        """Did ``source`` answer this traffic (by full upstream or by model name)?"""
        if upstream is None:
            return False
        return upstream == self.source or upstream.split("/", 1)[-1] == self.source


@dataclass(frozen=True, slots=True)
class ModelProjection:
    """One upstream model: what it cost in the window and its projected month."""

    upstream: str | None
    observed: CostRow
    monthly_usd: float


@dataclass(frozen=True, slots=True)
class ChangeEffect:
    """What moving one model's traffic elsewhere does to the projected month."""

    change: RouteChange
    moved_calls: int
    monthly_before_usd: float
    monthly_after_usd: float

    @property
    def saving_usd(self) -> float:
        """Projected monthly saving (negative when the target is dearer)."""
        return self.monthly_before_usd - self.monthly_after_usd


@dataclass(frozen=True, slots=True)
class Projection:
    """The projected month per model, in total, and after the route changes."""

    days: float
    growth: float
    models: tuple[ModelProjection, ...]
    monthly_usd: float
    changes: tuple[ChangeEffect, ...]

    @property
    def monthly_after_changes_usd(self) -> float:
        """The projected month with every route change applied."""
        return self.monthly_usd - sum(effect.saving_usd for effect in self.changes)


class UnknownPrice(ValueError):
    """A route change names a target model the price table does not know."""


def project(
    by_upstream: Sequence[CostRow],
    days: float,
    growth: float,
    changes: Sequence[RouteChange],
    prices: PriceTable,
) -> Projection:
    """Project a month from per-upstream rows observed over ``days`` days."""
    if days <= 0 or growth <= 0:
        raise ValueError("the window and the growth must be > 0")
    factor = DAYS_PER_MONTH / days * growth
    models = tuple(ModelProjection(row.group, row, row.cost_usd * factor) for row in by_upstream)
    effects = tuple(_effect(change, by_upstream, factor, prices) for change in changes)
    return Projection(days, growth, models, sum(m.monthly_usd for m in models), effects)


def _effect(
    change: RouteChange, rows: Sequence[CostRow], factor: float, prices: PriceTable
) -> ChangeEffect:
    price = prices.price(change.target)
    if price is None:
        raise UnknownPrice(f"no price for {change.target!r}: add it under 'prices:' in the config")
    moved = [row for row in rows if change.matches(row.group)]
    before = sum(row.cost_usd for row in moved) * factor
    prompt = sum(row.prompt_tokens for row in moved)
    completion = sum(row.completion_tokens for row in moved)
    after = (prompt * price.input + completion * price.output) / 1_000_000 * factor
    return ChangeEffect(change, sum(row.calls for row in moved), before, after)
