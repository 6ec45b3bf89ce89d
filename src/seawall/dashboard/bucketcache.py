"""Aggregates of settled time buckets, kept in memory so a page re-reads only recent calls.

A bucket that ended more than ``SETTLE_S`` ago gets no new call records (a call's record
carries its start time and is written within a second of its end), so its per-group totals
never change: the first render of a 7-day window aggregates every call in it, the next ones
only the buckets that are still filling (the last one or two). Entries are read again after
``TTL_S`` anyway, so a retention purge or a record that arrived very late (a store outage)
shows within the hour. The cache holds at most ``MAX_ENTRIES`` buckets (least recently used
go first): measured at ~16 kB a bucket with 3 models and 2 releases, so ~10 MB at most.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

SETTLE_S = 900.0  # longer than any call (deadlines are seconds to minutes) plus the flush
TTL_S = 3600.0
MAX_ENTRIES = 600  # 10 windows of 60 buckets (the overview and usage of 5 views)

T = TypeVar("T")


class BucketCache(Generic[T]):
    """Per-bucket values by key, expiring after ``ttl_s``, bounded, least recently used out."""

    def __init__(self, max_entries: int = MAX_ENTRIES, ttl_s: float = TTL_S) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl_s
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, now: float) -> T | None:
        """The value stored under ``key`` less than ``ttl_s`` ago, else None."""
        found = self._entries.get(key)
        if found is None or now - found[0] >= self._ttl:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return found[1]

    def put(self, key: Hashable, value: T, now: float) -> None:
        """Store ``value`` (evicting the least recently used entry beyond the bound)."""
        self._entries[key] = (now, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def settled(bucket_end: float, now: float) -> bool:
    """Can a bucket ending at ``bucket_end`` still receive call records?"""
    return bucket_end <= now - SETTLE_S


def bucket_key(kind: str, *parts: Any) -> tuple[Any, ...]:
    """A cache key; floats (bucket starts) rounded so that equal instants compare equal."""
    return (kind, *(round(p, 3) if isinstance(p, float) else p for p in parts))
