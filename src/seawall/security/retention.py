"""Retention: drop call payloads after ``payload_days`` and call records after ``metadata_days``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from seawall.config import RetentionConfig
from seawall.store.schema import calls

_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Purged:
    """What one purge removed (or would remove, for a dry run)."""

    payloads_cleared: int
    records_deleted: int
    payload_cutoff: float | None
    record_cutoff: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "payloads_cleared": self.payloads_cleared,
            "records_deleted": self.records_deleted,
            "payload_cutoff": self.payload_cutoff,
            "record_cutoff": self.record_cutoff,
        }


def cutoffs(policy: RetentionConfig, now: float) -> tuple[float | None, float | None]:
    """Unix times before which payloads, and records, have expired."""
    payload = now - policy.payload_days * _DAY if policy.payload_days is not None else None
    record = now - policy.metadata_days * _DAY if policy.metadata_days is not None else None
    return payload, record


async def purge(
    conn: AsyncConnection, policy: RetentionConfig, now: float, *, dry_run: bool = False
) -> Purged:
    """Clear expired payloads and delete expired records, on ``conn`` (the caller commits)."""
    payload_cutoff, record_cutoff = cutoffs(policy, now)
    deleted = cleared = 0
    if record_cutoff is not None:
        old = calls.c.started_at < record_cutoff
        deleted = (
            await _count(conn, old)
            if dry_run
            else await _rowcount(conn, sa.delete(calls).where(old))
        )
    if payload_cutoff is not None:
        has_payload = sa.or_(calls.c.request.is_not(None), calls.c.response.is_not(None))
        stale = sa.and_(calls.c.started_at < payload_cutoff, has_payload)
        if dry_run and record_cutoff is not None:
            stale = sa.and_(stale, calls.c.started_at >= record_cutoff)
        cleared = (
            await _count(conn, stale)
            if dry_run
            else await _rowcount(
                conn, sa.update(calls).where(stale).values(request=None, response=None)
            )
        )
    return Purged(cleared, deleted, payload_cutoff, record_cutoff)


async def _count(conn: AsyncConnection, where: sa.ColumnElement[bool]) -> int:
    query = sa.select(sa.func.count()).select_from(calls).where(where)
    return int((await conn.execute(query)).scalar_one())


async def _rowcount(conn: AsyncConnection, statement: sa.Executable) -> int:
    result = await conn.execute(statement)
    return int(result.rowcount or 0)
