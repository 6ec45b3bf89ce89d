"""The prompt registry: the ``PromptRegistry`` protocol and its SQL implementation.

Versions are immutable and content-addressed: a push stores a new version (numbered 1, 2, …
per name) only when the canonical content is new; pushing content already stored returns that
version. Labels (``production``, ``canary``, ``staging`` or any name) point at versions, and
every move is kept as an event with who, when and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from seawall.core.clock import Clock, SystemClock
from seawall.prompts.errors import InvalidPrompt, PromptNotFound
from seawall.prompts.spec import PromptSpec, content_hash, spec_problems
from seawall.prompts.versions import (
    LATEST,
    LabelEvent,
    PromptDiff,
    PromptSummary,
    PromptVersion,
    PushResult,
    Ref,
    check_label,
    diff_versions,
)
from seawall.store.engine import create_engine, ensure_sqlite_dir
from seawall.store.migrate import upgrade_engine
from seawall.store.schema.prompts import prompt_label_events, prompt_labels, prompt_versions

_PUSH_TRIES = 5  # concurrent pushes of one name race for the next number; the loser retries


class PromptRegistry(Protocol):
    """Immutable prompt versions by name, with labels and their history."""

    async def push(self, spec: PromptSpec, *, author: str, note: str = "") -> PushResult:
        """Store ``spec`` as the next version, unless this content is stored already."""

    async def get(self, name: str, ref: Ref = None) -> PromptVersion:
        """A version by number or label (None or ``"latest"``: the newest); ``PromptNotFound``."""

    async def list_prompts(self) -> list[PromptSummary]:
        """Every prompt with its newest version and labels, by name."""

    async def history(self, name: str) -> list[PromptVersion]:
        """Every version of ``name``, oldest first."""

    async def labels(self, name: str) -> dict[str, int]:
        """Where each label of ``name`` points."""

    async def set_labels(
        self, name: str, moves: Mapping[str, int | None], *, actor: str, reason: str = ""
    ) -> list[LabelEvent]:
        """Move (or with None remove) several labels in one transaction; returns the events."""

    async def label_events(self, name: str, label: str | None = None) -> list[LabelEvent]:
        """Label moves of ``name`` (one label, or all), oldest first."""

    async def diff(self, name: str, a: Ref, b: Ref) -> PromptDiff:
        """Two versions of ``name`` compared (refs as for ``get``)."""

    async def aclose(self) -> None:
        """Release the connections (of an engine the registry owns)."""


class SqlPromptRegistry:
    """``PromptRegistry`` over SQLAlchemy Core (SQLite or PostgreSQL)."""

    def __init__(
        self, engine: AsyncEngine, *, clock: Clock | None = None, owns_engine: bool = False
    ) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()
        self._owns_engine = owns_engine

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def push(self, spec: PromptSpec, *, author: str, note: str = "") -> PushResult:
        problems = spec_problems(spec)
        if problems:
            path, message = problems[0]
            raise InvalidPrompt(f"{spec.name}: {'.'.join(path)}: {message}")
        digest = content_hash(spec)
        for _ in range(_PUSH_TRIES):
            existing = await self._by_hash(spec.name, digest)
            if existing is not None:
                return PushResult(existing, created=False)
            try:
                return PushResult(await self._insert(spec, digest, author, note), created=True)
            except sa.exc.IntegrityError:
                continue  # another push took this number (or stored this content): look again
        raise RuntimeError(
            f"could not store a version of {spec.name!r}: too many concurrent pushes"
        )

    async def get(self, name: str, ref: Ref = None) -> PromptVersion:
        async with self._engine.connect() as conn:
            version = await self._resolve(conn, name, ref)
            row = await _version_row(conn, name, version)
        if row is None:  # pragma: no cover - resolved versions exist; versions are never deleted
            raise PromptNotFound(f"prompt '{name}' has no version {version}", param="name")
        return _to_version(row)

    async def list_prompts(self) -> list[PromptSummary]:
        newest = (
            sa.select(prompt_versions.c.name, sa.func.max(prompt_versions.c.version).label("v"))
            .group_by(prompt_versions.c.name)
            .subquery()
        )
        query = (
            sa.select(prompt_versions)
            .join(
                newest,
                sa.and_(
                    prompt_versions.c.name == newest.c.name, prompt_versions.c.version == newest.c.v
                ),
            )
            .order_by(prompt_versions.c.name)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
            label_rows = (await conn.execute(sa.select(prompt_labels))).mappings().all()
        labels: dict[str, dict[str, int]] = {}
        for row in label_rows:
            labels.setdefault(row["name"], {})[row["label"]] = row["version"]
        return [_to_summary(row, labels.get(row["name"], {})) for row in rows]

    async def history(self, name: str) -> list[PromptVersion]:
        query = (
            sa.select(prompt_versions)
            .where(prompt_versions.c.name == name)
            .order_by(prompt_versions.c.version)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        if not rows:
            raise PromptNotFound(f"no prompt named '{name}'", param="name")
        return [_to_version(row) for row in rows]

    async def labels(self, name: str) -> dict[str, int]:
        async with self._engine.connect() as conn:
            return await _labels(conn, name)

    async def set_labels(
        self, name: str, moves: Mapping[str, int | None], *, actor: str, reason: str = ""
    ) -> list[LabelEvent]:
        for label in moves:
            check_label(label)
        now = self._clock.wall()
        events: list[LabelEvent] = []
        async with self._engine.begin() as conn:
            current = await _labels(conn, name, lock=True)
            for label, version in moves.items():
                if current.get(label) == version:
                    continue  # already there: nothing moved, nothing to record
                if version is not None:
                    await self._resolve(conn, name, version)  # PromptNotFound if absent
                event = LabelEvent(name, label, version, current.get(label), actor, reason, now)
                await _apply_move(conn, event)
                events.append(event)
        return events

    async def set_label(
        self, name: str, label: str, version: int, *, actor: str, reason: str = ""
    ) -> LabelEvent | None:
        """Point ``label`` at ``version``; None when it pointed there already."""
        events = await self.set_labels(name, {label: version}, actor=actor, reason=reason)
        return events[0] if events else None

    async def remove_label(
        self, name: str, label: str, *, actor: str, reason: str = ""
    ) -> LabelEvent | None:
        """Remove ``label``; None when ``name`` had no such label."""
        events = await self.set_labels(name, {label: None}, actor=actor, reason=reason)
        return events[0] if events else None

    async def label_events(self, name: str, label: str | None = None) -> list[LabelEvent]:
        query = sa.select(prompt_label_events).where(prompt_label_events.c.name == name)
        if label is not None:
            query = query.where(prompt_label_events.c.label == label)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(prompt_label_events.c.seq))).mappings().all()
        return [_to_event(row) for row in rows]

    async def previous_version(self, name: str, label: str) -> int | None:
        """The version ``label`` pointed at before its current one (what a rollback restores)."""
        for event in reversed(await self.label_events(name, label)):
            if event.previous is not None:
                return event.previous
        return None

    async def diff(self, name: str, a: Ref, b: Ref) -> PromptDiff:
        return diff_versions(await self.get(name, a), await self.get(name, b))

    async def aclose(self) -> None:
        if self._owns_engine:
            await self._engine.dispose()

    async def _by_hash(self, name: str, digest: str) -> PromptVersion | None:
        query = sa.select(prompt_versions).where(
            prompt_versions.c.name == name, prompt_versions.c.content_hash == digest
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _to_version(row)

    async def _insert(self, spec: PromptSpec, digest: str, author: str, note: str) -> PromptVersion:
        async with self._engine.begin() as conn:
            latest = await _latest(conn, spec.name)
            version = PromptVersion(
                name=spec.name,
                version=(latest or 0) + 1,
                content_hash=digest,
                spec=spec,
                author=author,
                note=note,
                created_at=self._clock.wall(),
            )
            await conn.execute(prompt_versions.insert().values(_to_row(version)))
        return version

    async def _resolve(self, conn: AsyncConnection, name: str, ref: Ref) -> int:
        latest = await _latest(conn, name)
        if latest is None:
            raise PromptNotFound(f"no prompt named '{name}'", param="name")
        if ref is None or ref == LATEST:
            return latest
        if isinstance(ref, int):
            if not 1 <= ref <= latest:
                raise PromptNotFound(f"prompt '{name}' has no version {ref} (latest is {latest})")
            return ref
        labels = await _labels(conn, name)
        if ref not in labels:
            known = ", ".join(sorted(labels)) or "none"
            raise PromptNotFound(f"prompt '{name}' has no label '{ref}' (labels: {known})")
        return labels[ref]


async def open_registry(url: str, *, clock: Clock | None = None) -> SqlPromptRegistry:
    """A registry on its own engine for the store at ``url``, its schema upgraded first."""
    ensure_sqlite_dir(url)
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
    except BaseException:
        await engine.dispose()
        raise
    return SqlPromptRegistry(engine, clock=clock, owns_engine=True)


# --------------------------------------------------------------------------- queries and rows


async def _latest(conn: AsyncConnection, name: str) -> int | None:
    query = sa.select(sa.func.max(prompt_versions.c.version)).where(prompt_versions.c.name == name)
    value = (await conn.execute(query)).scalar_one_or_none()
    return None if value is None else int(value)


async def _version_row(conn: AsyncConnection, name: str, version: int) -> Any:
    query = sa.select(prompt_versions).where(
        prompt_versions.c.name == name, prompt_versions.c.version == version
    )
    return (await conn.execute(query)).mappings().first()


async def _labels(conn: AsyncConnection, name: str, *, lock: bool = False) -> dict[str, int]:
    query = sa.select(prompt_labels.c.label, prompt_labels.c.version).where(
        prompt_labels.c.name == name
    )
    if lock:  # PostgreSQL: two label moves of one prompt serialise (SQLite: one writer anyway)
        query = query.with_for_update()
    rows = (await conn.execute(query)).all()
    return {row.label: row.version for row in rows}


async def _apply_move(conn: AsyncConnection, event: LabelEvent) -> None:
    where = (prompt_labels.c.name == event.name, prompt_labels.c.label == event.label)
    if event.version is None:
        await conn.execute(prompt_labels.delete().where(*where))
    elif event.previous is None:
        await conn.execute(
            prompt_labels.insert().values(
                name=event.name, label=event.label, version=event.version, updated_at=event.at
            )
        )
    else:
        await conn.execute(
            prompt_labels.update().where(*where).values(version=event.version, updated_at=event.at)
        )
    await conn.execute(
        prompt_label_events.insert().values(
            name=event.name,
            label=event.label,
            version=event.version,
            previous_version=event.previous,
            actor=event.actor,
            reason=event.reason,
            at=event.at,
        )
    )


def _to_row(version: PromptVersion) -> dict[str, Any]:
    # The full spec (defaults included) is stored: what the version meant when it was pushed.
    return {
        "name": version.name,
        "version": version.version,
        "content_hash": version.content_hash,
        "spec": version.spec.model_dump(mode="json"),
        "author": version.author,
        "note": version.note,
        "created_at": version.created_at,
    }


def _to_version(row: Any) -> PromptVersion:
    return PromptVersion(
        name=row["name"],
        version=row["version"],
        content_hash=row["content_hash"],
        spec=PromptSpec.model_validate(row["spec"]),
        author=row["author"],
        note=row["note"],
        created_at=row["created_at"],
    )


def _to_summary(row: Any, labels: dict[str, int]) -> PromptSummary:
    spec = row["spec"]
    return PromptSummary(
        name=row["name"],
        latest=row["version"],
        updated_at=row["created_at"],
        owner=str(spec.get("owner", "")),
        model=str(spec.get("model", "")),
        labels=labels,
    )


def _to_event(row: Any) -> LabelEvent:
    return LabelEvent(
        name=row["name"],
        label=row["label"],
        version=row["version"],
        previous=row["previous_version"],
        actor=row["actor"],
        reason=row["reason"],
        at=row["at"],
    )
