"""Rate-limit and budget arithmetic, pure: the in-process backend runs it, Redis's Lua ports it.

Rate limits use GCRA (the generic cell rate algorithm, a token bucket kept as one number): a
bucket holds its "theoretical arrival time" ``tat``; a charge of ``n`` units moves it ``n /
rate`` seconds on, and fits while ``tat`` stays within ``burst / rate`` seconds of now. One
float per key, no refill loop, and the wait of a refused charge is exact: at ``now +
retry_after`` the same charge fits (nothing else taking from the bucket meanwhile).

A charge larger than the whole bucket (a prompt bigger than a minute of tokens) would never
fit; it is admitted when the bucket is full and then puts it in debt by the excess, so the
bucket's owner waits it off instead of being refused forever.

Budgets are integer nano-dollars: ``spent`` (settled costs) and ``reserved`` (estimates of
calls in flight). A reservation fits iff spent + reserved + estimate <= limit, so spend can
exceed the limit only by how much the calls in flight cost beyond their estimates.

Several charges in one operation are all-or-nothing, evaluated in order; a key named twice
sees its own earlier charge. The Lua scripts in ``redis_limits.py`` follow these functions
operation for operation (same float expressions, same order), and the contract suite runs
both backends side by side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from seawall.state.base import BudgetCharge, BudgetDecision, RateCharge, RateDecision, to_nanos

# Float slack when comparing times: now + retry_after may round a hair below the exact instant.
EPSILON_S = 1e-9


@dataclass(frozen=True, slots=True)
class Gcra:
    """One charge evaluated against one bucket."""

    allowed: bool
    tat: float  # the bucket's new tat when allowed
    retry_after_s: float
    remaining: float


def gcra(tat: float, now: float, charge: RateCharge) -> Gcra:
    """Evaluate ``charge`` against a bucket whose theoretical arrival time is ``tat``."""
    base = max(tat, now)
    tolerance = charge.burst / charge.rate_per_s
    admit = min(charge.amount, charge.burst) / charge.rate_per_s
    wait = base + admit - tolerance - now
    if wait > EPSILON_S:
        remaining = max(0.0, charge.burst - (base - now) * charge.rate_per_s)
        return Gcra(False, tat, wait, remaining)
    new_tat = base + charge.amount / charge.rate_per_s
    remaining = max(0.0, charge.burst - (new_tat - now) * charge.rate_per_s)
    return Gcra(True, new_tat, 0.0, remaining)


def adjusted_tat(tat: float, now: float, charge: RateCharge) -> float:
    """The bucket after adding ``charge.amount`` unchecked; a refund never overfills it."""
    return max(now, max(tat, now) + charge.amount / charge.rate_per_s)


def acquire(
    tats: dict[str, float], now: float, charges: Sequence[RateCharge]
) -> tuple[RateDecision, dict[str, float]]:
    """The decision and, when allowed, the new tat of every charged key (else nothing)."""
    updated: dict[str, float] = {}
    refused: tuple[float, str, float] | None = None
    remaining = math.inf
    for charge in charges:
        tat = updated.get(charge.key, tats.get(charge.key, now))
        result = gcra(tat, now, charge)
        if not result.allowed:
            if refused is None or result.retry_after_s > refused[0]:
                refused = (result.retry_after_s, charge.key, result.remaining)
            continue
        updated[charge.key] = result.tat
        remaining = min(remaining, result.remaining)
    if refused is not None:
        wait, key, left = refused
        return RateDecision(False, retry_after_s=wait, remaining=left, limited_by=key), {}
    return RateDecision(True, remaining=remaining), updated


@dataclass(slots=True)
class BudgetCounter:
    """One budget period of one key, in nano-dollars."""

    spent: int = 0
    reserved: int = 0
    soft: int = -1  # the soft limit seen on the last reservation; -1: none
    alerted: bool = False  # the soft limit was reached this period (alert sent)

    def reach_soft(self) -> bool:
        """Mark the soft limit reached; True only the first time in the period."""
        if self.alerted or self.soft < 0 or self.spent + self.reserved < self.soft:
            return False
        self.alerted = True
        return True


def reserve(counters: Sequence[BudgetCounter], charges: Sequence[BudgetCharge]) -> BudgetDecision:
    """Reserve every charge on its counter (``counters[i]`` is ``charges[i]``'s) or none.

    Soft limits are checked either way: a refusal at the hard limit is also the moment the
    soft one (below it) is known to be reached, and its alert must not wait for a settle.
    """
    extra: dict[int, int] = {}  # estimates already taken in this call, per counter
    tightest: tuple[int, BudgetCounter, BudgetCharge] | None = None
    for counter, charge in zip(counters, charges, strict=True):
        estimate, limit = to_nanos(charge.estimate_usd), to_nanos(charge.limit_usd)
        held = counter.spent + counter.reserved + extra.get(id(counter), 0)
        if held + estimate > limit:
            refused = _decision(False, counter, charge)
            return replace(refused, soft_crossed=_mark_soft(counters, charges))
        extra[id(counter)] = extra.get(id(counter), 0) + estimate
        headroom = limit - held - estimate
        if tightest is None or headroom < tightest[0]:
            tightest = (headroom, counter, charge)
    for counter, charge in zip(counters, charges, strict=True):
        counter.reserved += to_nanos(charge.estimate_usd)
    crossed = _mark_soft(counters, charges)
    if tightest is None:
        return BudgetDecision(True, soft_crossed=crossed)
    return _decision(True, tightest[1], tightest[2], crossed)


def _mark_soft(
    counters: Sequence[BudgetCounter], charges: Sequence[BudgetCharge]
) -> tuple[str, ...]:
    crossed = []
    for counter, charge in zip(counters, charges, strict=True):
        counter.soft = -1 if charge.soft_usd is None else to_nanos(charge.soft_usd)
        if counter.reach_soft():
            crossed.append(charge.key)
    return tuple(crossed)


def settle(counter: BudgetCounter, estimate_usd: float, actual_usd: float) -> bool:
    """Release a reservation and add the actual cost; True when this reached the soft limit."""
    # Never below zero: a settle whose reservation belonged to an earlier period, or to an
    # outage of the shared state, must not release the reservations of other calls.
    counter.reserved = max(0, counter.reserved - to_nanos(estimate_usd))
    counter.spent += to_nanos(actual_usd)
    return counter.reach_soft()


def _decision(
    allowed: bool, counter: BudgetCounter, charge: BudgetCharge, crossed: tuple[str, ...] = ()
) -> BudgetDecision:
    return BudgetDecision(
        allowed,
        limited_by=charge.key,
        spent_usd=from_nanos(counter.spent),
        reserved_usd=from_nanos(counter.reserved),
        limit_usd=charge.limit_usd,
        resets_at=charge.period_end,
        soft_crossed=crossed,
    )


def from_nanos(nanos: int) -> float:
    """Nano-dollars back to dollars."""
    return nanos / 1_000_000_000
