"""Read call records back from a store URL, through a connection of the test's own."""

from __future__ import annotations

from seawall.store.calls import open_store
from seawall.telemetry.records import CallRecord


async def stored_records(url: str, limit: int = 10_000) -> list[CallRecord]:
    """Every record in the store at ``url`` (newest first)."""
    store = await open_store(url)
    try:
        return await store.recent_calls(limit=limit)
    finally:
        await store.aclose()
