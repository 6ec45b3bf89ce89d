"""The settled-bucket cache: bounded, expiring, and only for buckets that cannot change."""

from __future__ import annotations

from seawall.dashboard.bucketcache import SETTLE_S, BucketCache, bucket_key, settled


def test_entries_expire_and_the_least_recently_used_go_first() -> None:
    cache: BucketCache[str] = BucketCache(max_entries=2, ttl_s=10.0)
    cache.put("a", "A", now=0.0)
    cache.put("b", "B", now=0.0)
    assert cache.get("a", now=1.0) == "A"  # "a" is now the most recently used
    cache.put("c", "C", now=1.0)
    assert cache.get("b", now=1.0) is None
    assert cache.get("a", now=9.9) == "A"
    assert cache.get("a", now=10.0) is None  # expired
    assert len(cache) == 2
    assert (cache.hits, cache.misses) == (2, 2)


def test_only_buckets_that_ended_long_ago_are_settled() -> None:
    assert settled(1000.0, 1000.0 + SETTLE_S)
    assert not settled(1000.0, 1000.0 + SETTLE_S - 1)


def test_keys_of_the_same_instant_are_equal() -> None:
    a = 1_800_000_000.0 - 86_400.0 + 3 * 1440.0
    b = (1_800_000_000.0 + 1440.0) - 86_400.0 + 2 * 1440.0  # the same start, reached otherwise
    assert bucket_key("overview", None, None, 1440.0, a) == bucket_key(
        "overview", None, None, 1440.0, b
    )
