"""Canary releases in the ``releases`` table: the controller loop saves each state change here."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.releases.controller import LIVE_STATES, Release
from seawall.releases.sequential import Decision
from seawall.store.schema.prompts import releases


class SqlReleaseStore:
    """Releases by id and by prompt, over the store's engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save(self, release: Release) -> None:
        """Insert the release, or overwrite the stored row with the same id."""
        row = release_to_row(release)
        async with self._engine.begin() as conn:
            done = await conn.execute(
                releases.update().where(releases.c.id == release.id).values(row)
            )
            if done.rowcount == 0:
                await conn.execute(releases.insert().values(row))

    async def get(self, release_id: str) -> Release | None:
        """The release with this id, if any."""
        async with self._engine.connect() as conn:
            query = sa.select(releases).where(releases.c.id == release_id)
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else row_to_release(row)

    async def live(self, prompt: str | None = None) -> list[Release]:
        """Releases whose candidate still serves a canary share, oldest first."""
        query = sa.select(releases).where(releases.c.state.in_(LIVE_STATES))
        if prompt is not None:
            query = query.where(releases.c.prompt == prompt)
        return await self._fetch(query.order_by(releases.c.started_at, releases.c.id))

    async def history(self, prompt: str, limit: int = 50) -> list[Release]:
        """The prompt's releases, newest first."""
        query = (
            sa.select(releases)
            .where(releases.c.prompt == prompt)
            .order_by(releases.c.started_at.desc(), releases.c.id)
            .limit(limit)
        )
        return await self._fetch(query)

    async def _fetch(self, query: sa.Select[Any]) -> list[Release]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [row_to_release(row) for row in rows]


def release_to_row(release: Release) -> dict[str, Any]:
    """The ``releases`` row of a release."""
    return {
        "id": release.id,
        "prompt": release.prompt,
        "candidate_version": release.candidate,
        "baseline_version": release.baseline,
        "share": release.share,
        "state": release.state,
        "started_at": release.started_at,
        "decided_at": release.decided_at,
        "decision": None if release.decision is None else release.decision.as_dict(),
        "actor": release.actor,
    }


def row_to_release(row: Any) -> Release:
    """A release from its ``releases`` row."""
    decision = row["decision"]
    return Release(
        id=row["id"],
        prompt=row["prompt"],
        candidate=row["candidate_version"],
        baseline=row["baseline_version"],
        share=row["share"],
        state=row["state"],
        started_at=row["started_at"],
        actor=row["actor"],
        decided_at=row["decided_at"],
        decision=None if decision is None else Decision.from_dict(decision),
    )
