"""Backoff with full jitter and a retry budget.

Full jitter (delay drawn uniformly in [0, min(cap, base * 2**n)]) spreads retries of many
clients apart instead of synchronising them. The budget is a token bucket per target: every
call deposits ``budget_ratio`` tokens, every retry withdraws one, and ``budget_min_per_s``
tokens trickle in per second so that a quiet target can still retry. Under a failing upstream
retries therefore add at most ~``budget_ratio`` extra load instead of multiplying it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from seawall.config import RetryPolicy


def backoff_delay(retry_number: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Seconds to wait before retry number ``retry_number`` (1 for the first retry)."""
    ceiling = min(policy.max_delay_ms, policy.base_delay_ms * (2 ** (retry_number - 1)))
    return rng.uniform(0.0, ceiling) / 1000.0


def retry_delay(
    retry_number: int,
    policy: RetryPolicy,
    rng: random.Random,
    retry_after: float | None,
) -> float:
    """The wait before a retry: the upstream's ``Retry-After`` when honoured, else backoff."""
    if retry_after is not None and policy.honour_retry_after:
        return retry_after
    return backoff_delay(retry_number, policy, rng)


@dataclass(slots=True)
class RetryBudgetState:
    tokens: float = 0.0
    updated: float = 0.0
    # Cap so that a long healthy period does not bank an unbounded burst of retries.
    cap: float = 100.0


def deposit(s: RetryBudgetState, policy: RetryPolicy, now: float) -> None:
    """Account one first attempt at the target."""
    _trickle(s, policy, now)
    s.tokens = min(s.cap, s.tokens + policy.budget_ratio)


def withdraw(s: RetryBudgetState, policy: RetryPolicy, now: float) -> bool:
    """Take one retry from the budget; False when the budget is spent."""
    _trickle(s, policy, now)
    if s.tokens < 1.0:
        return False
    s.tokens -= 1.0
    return True


def _trickle(s: RetryBudgetState, policy: RetryPolicy, now: float) -> None:
    if not s.updated:
        # A new target starts with one second's worth of retries, not with none.
        s.tokens = policy.budget_min_per_s
    elif now > s.updated:
        s.tokens = min(s.cap, s.tokens + (now - s.updated) * policy.budget_min_per_s)
    s.updated = now
