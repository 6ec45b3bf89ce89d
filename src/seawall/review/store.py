"""The review queue and feedback in SQLite or PostgreSQL: ``ReviewStore`` and its SQL version.

Transitions are decided by the pure functions of ``review.items`` and written with a
compare-and-set on ``version`` (``UPDATE ... WHERE id = ? AND version = ?``): of two reviewers
racing for one item, the second write matches no row, re-reads the item and is refused by the
state machine (SQLite serialises the writers; PostgreSQL re-checks the WHERE clause of the
blocked UPDATE against the committed row). Reads take ``tenant``: ``None`` means every tenant
(a global principal), anything else restricts to that tenant, and another tenant's item reads
exactly like a missing one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.core.errors import NotFound
from seawall.review import items
from seawall.review.feedback import Feedback, FeedbackIn, new_feedback_id
from seawall.review.items import ReviewItem, TransitionError
from seawall.review.rates import negative_feedback_rates
from seawall.store.engine import create_engine
from seawall.store.rows import row_to_record
from seawall.store.schema import calls
from seawall.store.schema.reviews import feedback, review_items
from seawall.telemetry.records import CallRecord

_CAS_TRIES = 5
# Columns a transition may change; webhook delivery bookkeeping is written on its own.
_TRANSITION_COLUMNS = tuple(
    c.name
    for c in review_items.c
    if c.name not in ("id", "version", "webhook_attempts", "webhook_error")
)
STATUS_FILTERS = (*items.STATUSES, "open")


class ReviewStore(Protocol):
    """Review items (created, read, claimed, resolved, flagged overdue) and feedback."""

    async def create_item(self, item: ReviewItem) -> None:
        """Store a new item; durable when this returns."""

    async def get_item(self, item_id: str, tenant: str | None = None) -> ReviewItem | None:
        """The item, or None when it does not exist or belongs to another tenant."""

    async def list_items(
        self,
        now: float,
        *,
        tenant: str | None = None,
        status: str | None = None,
        overdue: bool | None = None,
        limit: int = 100,
    ) -> list[ReviewItem]:
        """Items filtered by status as of ``now`` (``open``: pending or claimed)."""

    async def claim(
        self, item_id: str, reviewer: str, now: float, *, tenant: str | None = None
    ) -> ReviewItem:
        """Claim atomically; ``TransitionError`` when another reviewer holds it."""

    async def resolve(
        self,
        item_id: str,
        reviewer: str,
        decision: str,
        now: float,
        *,
        tenant: str | None = None,
        answer: str | None = None,
        reason: str | None = None,
    ) -> ReviewItem:
        """Resolve an item ``reviewer`` holds (see ``items.resolve``), atomically."""

    async def mark_overdue(self, now: float) -> list[ReviewItem]:
        """Flag items past their due time; each item is returned by exactly one caller."""

    async def set_webhook(
        self, item_id: str, status: str, attempts: int, error: str | None
    ) -> None:
        """Record how the webhook delivery of an item went."""

    async def undelivered(self) -> list[ReviewItem]:
        """Resolved items whose webhook is still ``pending``."""

    async def get_call(self, trace_id: str, tenant: str | None = None) -> CallRecord | None:
        """The call record of ``trace_id`` when it belongs to ``tenant`` (any, for None)."""

    async def add_feedback(
        self,
        new: FeedbackIn,
        *,
        actor: str,
        now: float,
        tenant: str | None = None,
        review_id: str | None = None,
    ) -> Feedback:
        """Store feedback on a call of ``tenant``; ``NotFound`` for any other trace id."""

    async def list_feedback(
        self,
        *,
        tenant: str | None = None,
        trace_id: str | None = None,
        since: float | None = None,
        limit: int = 100,
    ) -> list[Feedback]:
        """Feedback, newest first."""

    async def negative_feedback_rates(
        self, since: float, *, by: Sequence[str] = ("model",), tenant: str | None = None
    ) -> list[dict[str, Any]]:
        """Per group of calls since ``since``: calls, calls with negative feedback, the rate."""

    async def aclose(self) -> None: ...


class SqlReviewStore:
    """``ReviewStore`` over SQLAlchemy Core (writes durable before they return)."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url, durable=True)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def aclose(self) -> None:
        await self._engine.dispose()

    # ------------------------------------------------------------------ items

    async def create_item(self, item: ReviewItem) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sa.insert(review_items).values(**_item_row(item)))

    async def get_item(self, item_id: str, tenant: str | None = None) -> ReviewItem | None:
        query = _tenant(sa.select(review_items).where(review_items.c.id == item_id), tenant)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else _item(row)

    async def list_items(
        self,
        now: float,
        *,
        tenant: str | None = None,
        status: str | None = None,
        overdue: bool | None = None,
        limit: int = 100,
    ) -> list[ReviewItem]:
        query = _tenant(sa.select(review_items), tenant)
        if status is not None:
            query = query.where(_status_is(status, now))
        if overdue is not None:
            query = query.where(_overdue_is(overdue, now))
        waiting = status in ("open", items.PENDING, items.CLAIMED) or overdue
        order = (
            (review_items.c.due_at, review_items.c.id)
            if waiting
            else (review_items.c.created_at.desc(), review_items.c.id)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(*order).limit(limit))).mappings().all()
        return [_item(row) for row in rows]

    async def claim(
        self, item_id: str, reviewer: str, now: float, *, tenant: str | None = None
    ) -> ReviewItem:
        return await self._transition(item_id, tenant, lambda i: items.claim(i, reviewer, now))

    async def resolve(
        self,
        item_id: str,
        reviewer: str,
        decision: str,
        now: float,
        *,
        tenant: str | None = None,
        answer: str | None = None,
        reason: str | None = None,
    ) -> ReviewItem:
        def step(item: ReviewItem) -> ReviewItem:
            return items.resolve(item, reviewer, decision, now, answer=answer, reason=reason)

        return await self._transition(item_id, tenant, step)

    async def mark_overdue(self, now: float) -> list[ReviewItem]:
        query = sa.select(review_items).where(
            review_items.c.status.in_(items.OPEN),
            review_items.c.overdue.is_(False),
            review_items.c.due_at <= now,
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query.order_by(review_items.c.due_at))).mappings().all()
        flagged = []
        for row in rows:
            item = _item(row)
            marked = items.mark_overdue(item, now)
            # Another replica may flag (or a reviewer resolve) it first: then it is not ours.
            if marked is not None and await self._swap(item, marked):
                flagged.append(dataclasses.replace(marked, version=item.version + 1))
        return flagged

    async def set_webhook(
        self, item_id: str, status: str, attempts: int, error: str | None
    ) -> None:
        statement = (
            sa.update(review_items)
            .where(review_items.c.id == item_id)
            .values(webhook_status=status, webhook_attempts=attempts, webhook_error=error)
        )
        async with self._engine.begin() as conn:
            await conn.execute(statement)

    async def undelivered(self) -> list[ReviewItem]:
        query = sa.select(review_items).where(review_items.c.webhook_status == "pending")
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [item for item in map(_item, rows) if item.resolved]

    async def _transition(
        self, item_id: str, tenant: str | None, step: Callable[[ReviewItem], ReviewItem]
    ) -> ReviewItem:
        for _ in range(_CAS_TRIES):
            item = await self.get_item(item_id, tenant)
            if item is None:
                raise NotFound(f"no review with id '{item_id}'", param="review_id")
            changed = step(item)  # the state machine refuses what is not allowed
            if await self._swap(item, changed):
                return dataclasses.replace(changed, version=item.version + 1)
        raise TransitionError(f"review {item_id} keeps changing under this request; try again")

    async def _swap(self, old: ReviewItem, new: ReviewItem) -> bool:
        """Write ``new`` if the stored item is still at ``old.version``."""
        row = _item_row(new)
        values = {name: row[name] for name in _TRANSITION_COLUMNS}
        statement = (
            sa.update(review_items)
            .where(review_items.c.id == old.id, review_items.c.version == old.version)
            .values(**values, version=old.version + 1)
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount == 1)

    # ------------------------------------------------------------------ feedback

    async def get_call(self, trace_id: str, tenant: str | None = None) -> CallRecord | None:
        query = sa.select(calls).where(calls.c.trace_id == trace_id)
        if tenant is not None:
            query = query.where(calls.c.tenant == tenant)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else row_to_record(row)

    async def add_feedback(
        self,
        new: FeedbackIn,
        *,
        actor: str,
        now: float,
        tenant: str | None = None,
        review_id: str | None = None,
    ) -> Feedback:
        owner = sa.select(calls.c.tenant).where(calls.c.trace_id == new.trace_id)
        async with self._engine.begin() as conn:
            found = (await conn.execute(owner)).first()
            if found is None or (tenant is not None and found.tenant != tenant):
                # Another tenant's trace is refused exactly like a missing one: ids must not leak.
                raise unknown_trace(new.trace_id)
            stored = Feedback(
                id=new_feedback_id(),
                trace_id=new.trace_id,
                tenant=found.tenant,
                kind=new.kind,
                score=new.score,
                label=new.label,
                comment=new.comment,
                correction=new.correction,
                negative=new.negative,
                created_at=now,
                actor=actor,
                review_id=review_id,
            )
            await conn.execute(sa.insert(feedback).values(**stored.as_dict()))
        return stored

    async def list_feedback(
        self,
        *,
        tenant: str | None = None,
        trace_id: str | None = None,
        since: float | None = None,
        limit: int = 100,
    ) -> list[Feedback]:
        query = _tenant(sa.select(feedback), tenant, feedback.c.tenant)
        if trace_id is not None:
            query = query.where(feedback.c.trace_id == trace_id)
        if since is not None:
            query = query.where(feedback.c.created_at >= since)
        query = query.order_by(feedback.c.created_at.desc(), feedback.c.id).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [Feedback(**dict(row)) for row in rows]

    async def negative_feedback_rates(
        self, since: float, *, by: Sequence[str] = ("model",), tenant: str | None = None
    ) -> list[dict[str, Any]]:
        return await negative_feedback_rates(self._engine, since, by=by, tenant=tenant)


def unknown_trace(trace_id: str) -> NotFound:
    """The error for a trace id the caller cannot give feedback on."""
    return NotFound(
        f"no trace with id '{trace_id}' for this key (a call's record is stored within a "
        "second of its answer; the id must come from the x-seawall-trace-id of your own call)",
        param="trace_id",
    )


# --------------------------------------------------------------------------- rows


def _tenant(query: sa.Select[Any], tenant: str | None, column: Any = None) -> sa.Select[Any]:
    if tenant is None:
        return query
    return query.where((column if column is not None else review_items.c.tenant) == tenant)


def _status_is(status: str, now: float) -> sa.ColumnElement[bool]:
    c = review_items.c
    lapsed = sa.and_(c.status == items.CLAIMED, c.claim_expires_at <= now)
    held = sa.and_(c.status == items.CLAIMED, c.claim_expires_at > now)
    if status == "open":
        return c.status.in_(items.OPEN)
    if status == items.PENDING:
        return sa.or_(c.status == items.PENDING, lapsed)
    if status == items.CLAIMED:
        return held
    if status in items.RESOLVED:
        return c.status == status
    raise ValueError(f"unknown review status {status!r} (one of {', '.join(STATUS_FILTERS)})")


def _overdue_is(overdue: bool, now: float) -> sa.ColumnElement[bool]:
    c = review_items.c
    late = sa.and_(c.status.in_(items.OPEN), sa.or_(c.overdue.is_(True), c.due_at <= now))
    return late if overdue else sa.not_(late)


def _item_row(item: ReviewItem) -> dict[str, Any]:
    row = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    row["reasons"] = [dict(r) for r in item.reasons]
    row["context"] = dict(item.context)
    return row


def _item(row: sa.RowMapping) -> ReviewItem:
    values = dict(row)
    values["reasons"] = tuple(values["reasons"] or ())
    values["context"] = values["context"] or {}
    values["overdue"] = bool(values["overdue"])
    return ReviewItem(**values)
