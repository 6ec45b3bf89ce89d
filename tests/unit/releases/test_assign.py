"""Sticky canary assignment: stable per user, the configured share, monotone in the share."""

from __future__ import annotations

import random

import pytest

from seawall.releases import assign, bucket

USERS = [f"user-{i}" for i in range(10_000)]
# Binomial standard deviation of the share over 10,000 ids at 10% is 0.3 points; 1.5 points is
# five of them (the hash is fixed, so the figure is reproducible, not flaky).
TOLERANCE = 0.015


def canary_users(share: float, release: str = "rel-1") -> set[str]:
    rng = random.Random(0)
    return {u for u in USERS if assign("support", release, u, share, rng) == "canary"}


def test_the_same_user_always_gets_the_same_arm() -> None:
    first = {u: assign("support", "rel-1", u, 0.1, random.Random(1)) for u in USERS[:1000]}
    for seed in range(2, 6):
        rng = random.Random(seed)  # the rng is never consulted for a user with an id
        assert {u: assign("support", "rel-1", u, 0.1, rng) for u in USERS[:1000]} == first


@pytest.mark.parametrize("share", [0.01, 0.05, 0.10, 0.20, 0.50])
def test_observed_share_is_within_tolerance(share: float) -> None:
    observed = len(canary_users(share)) / len(USERS)
    assert abs(observed - share) <= TOLERANCE


def test_raising_the_share_keeps_every_canary_user_on_the_canary() -> None:
    at_10, at_20 = canary_users(0.10), canary_users(0.20)
    assert at_10 < at_20
    assert abs(len(at_20) / len(USERS) - 0.20) <= TOLERANCE
    assert canary_users(0.05) < at_10


def test_a_new_release_reshuffles_who_goes_first() -> None:
    first, second = canary_users(0.10, "rel-1"), canary_users(0.10, "rel-2")
    overlap = len(first & second) / len(first)
    assert abs(overlap - 0.10) <= 0.03  # independent draws overlap by about the share


def test_prompts_are_independent() -> None:
    rng = random.Random(0)
    other = {u for u in USERS if assign("billing", "rel-1", u, 0.1, rng) == "canary"}
    assert abs(len(other & canary_users(0.1)) / len(other) - 0.10) <= 0.03


def test_share_edges() -> None:
    rng = random.Random(0)
    assert {assign("p", "r", u, 0.0, rng) for u in USERS[:500]} == {"baseline"}
    assert {assign("p", "r", u, -1.0, rng) for u in USERS[:500]} == {"baseline"}
    assert {assign("p", "r", u, 1.0, rng) for u in USERS[:500]} == {"canary"}
    assert {assign("p", "r", None, 1.0, rng) for _ in range(100)} == {"canary"}


def test_calls_without_an_id_are_drawn_per_call_from_the_seeded_rng() -> None:
    draws = [assign("p", "r", None, 0.1, random.Random(7)) for _ in range(3)]
    assert len(set(draws)) == 1  # same seed, same draw
    rng = random.Random(7)
    arms = [assign("p", "r", None, 0.1, rng) for _ in range(10_000)]
    assert abs(arms.count("canary") / len(arms) - 0.1) <= TOLERANCE
    assert [assign("p", "r", "", 0.1, random.Random(s)) for s in range(50)].count("canary") > 0


def test_buckets_are_in_the_half_open_unit_interval_and_separated() -> None:
    points = [bucket("p", "r", u) for u in USERS]
    assert all(0.0 <= p < 1.0 for p in points)
    assert len(set(points)) == len(points)
    assert bucket("ab", "c", "u") != bucket("a", "bc", "u")  # the separator matters
