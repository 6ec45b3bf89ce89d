import random

import pytest

from seawall.config import RetryPolicy
from seawall.resilience import retry
from seawall.resilience.retry import RetryBudgetState


def test_full_jitter_stays_under_the_exponential_ceiling() -> None:
    policy = RetryPolicy(base_delay_ms=100, max_delay_ms=1000)
    rng = random.Random(3)
    for n, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        delays = [retry.backoff_delay(n, policy, rng) for _ in range(2000)]
        assert max(delays) <= ceiling
        # Uniform on [0, ceiling]: the mean is ceiling / 2 within 5% of the ceiling.
        assert sum(delays) / len(delays) == pytest.approx(ceiling / 2, abs=0.05 * ceiling)


def test_retry_after_wins_when_honoured() -> None:
    rng = random.Random(1)
    assert retry.retry_delay(1, RetryPolicy(), rng, 2.5) == 2.5
    assert (
        retry.retry_delay(1, RetryPolicy(honour_retry_after=False, base_delay_ms=10), rng, 2.5)
        <= 0.01
    )


def test_budget_limits_retries_to_the_ratio_of_calls() -> None:
    policy = RetryPolicy(budget_ratio=0.1, budget_min_per_s=0.0)
    state = RetryBudgetState()
    granted = 0
    for i in range(1000):
        now = 1.0 + i * 0.001
        retry.deposit(state, policy, now)
        if retry.withdraw(state, policy, now):
            granted += 1
    assert 95 <= granted <= 100


def test_budget_trickles_for_quiet_targets() -> None:
    policy = RetryPolicy(budget_ratio=0.0, budget_min_per_s=2.0)
    state = RetryBudgetState()
    retry.deposit(state, policy, 10.0)
    assert retry.withdraw(state, policy, 10.0)
    assert retry.withdraw(state, policy, 10.0)
    assert not retry.withdraw(state, policy, 10.0)
    assert retry.withdraw(state, policy, 10.6)
    assert not retry.withdraw(state, policy, 10.6)
