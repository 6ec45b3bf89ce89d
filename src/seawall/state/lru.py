"""The in-process response cache: least recently used entries go first, bounded by bytes.

Bounded by bytes, not entries, because answers range from ten bytes to a megabyte and the
gateway's resident memory must stay bounded whatever the traffic. Each entry is charged its
key, its value and ``ENTRY_OVERHEAD`` for the Python objects around them.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from seawall.state.base import CachedEntry

ENTRY_OVERHEAD: Final = 200  # bytes: the tuple, two floats, the bytes header and a dict slot


@dataclass(frozen=True, slots=True)
class _Entry:
    value: bytes
    fresh_until: float
    expires_at: float
    size: int


class ByteLRU:
    """Cache entries by key, evicting the least recently used beyond ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.max_bytes = max_bytes
        self.used_bytes = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, now: float) -> CachedEntry | None:
        """The entry (marked most recently used), or None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if now >= entry.expires_at:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return CachedEntry(entry.value, fresh=now < entry.fresh_until)

    def set(self, key: str, value: bytes, now: float, ttl_s: float, stale_ttl_s: float) -> None:
        """Store ``value``; an entry bigger than the whole cache is not stored at all."""
        if key in self._entries:
            self._drop(key)
        size = len(key) + len(value) + ENTRY_OVERHEAD
        if size > self.max_bytes or ttl_s + stale_ttl_s <= 0:
            return
        fresh_until = now + ttl_s
        self._entries[key] = _Entry(value, fresh_until, fresh_until + stale_ttl_s, size)
        self.used_bytes += size
        while self.used_bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        self.used_bytes -= self._entries.pop(key).size
