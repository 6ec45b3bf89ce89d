"""Call records in SQLite or PostgreSQL: the ``CallStore`` protocol and its SQL implementation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.store.engine import create_engine, dumps_json, ensure_sqlite_dir
from seawall.store.migrate import upgrade_engine
from seawall.store.rows import record_to_row, row_to_record
from seawall.store.schema import calls
from seawall.telemetry.records import CallRecord

log = logging.getLogger(__name__)

_SUMMARY_COLUMNS = [c for c in calls.c if c.name not in ("request", "response")]
_JSON_COLUMNS = tuple(c.name for c in calls.c if isinstance(c.type, sa.JSON))
_ENCODE_CHUNK = 100  # records encoded between two yields to the event loop


class CallStore(Protocol):
    """Durable call records: written in batches, read by trace id or recency."""

    async def write_calls(self, records: Sequence[CallRecord]) -> None:
        """Store the records; a trace id already stored is skipped, not an error."""

    async def get_call(self, trace_id: str) -> CallRecord | None: ...

    async def find_trace_ids(self, prefix: str, limit: int = 2) -> list[str]:
        """Trace ids starting with ``prefix``, in order (for short ids typed by people)."""

    async def recent_calls(
        self,
        limit: int,
        since: float | None = None,
        model: str | None = None,
        *,
        payloads: bool = True,
        tenant: str | None = None,
    ) -> list[CallRecord]:
        """Newest first; ``since`` keeps calls started at or after it (unix seconds)."""

    async def usage(self, since: float, tenant: str | None = None) -> list[dict[str, Any]]:
        """Calls, tokens and cost per logical model since ``since`` (of one tenant when given)."""

    async def count_calls(self) -> int: ...

    async def aclose(self) -> None: ...


class SqlCallStore:
    """``CallStore`` over SQLAlchemy Core: SQLite through aiosqlite, PostgreSQL through asyncpg."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url)
        insert = _insert_skipping_duplicates(self._engine.dialect.name)
        compiled = insert.compile(dialect=self._engine.dialect)
        self._insert_sql = str(compiled)
        self._insert_order = tuple(compiled.positiontup or ())
        self._trace_id_at = self._insert_order.index("trace_id")

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def write_calls(self, records: Sequence[CallRecord]) -> None:
        if not records:
            return
        rows = await self._encode(records)
        try:
            await self._insert_rows(rows)
        except sa.exc.StatementError as exc:
            if not _is_bad_row(exc):
                raise  # the database is unwell: the caller keeps the batch and retries
            await self._insert_one_by_one(rows)

    async def get_call(self, trace_id: str) -> CallRecord | None:
        query = sa.select(calls).where(calls.c.trace_id == trace_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else row_to_record(row)

    async def find_trace_ids(self, prefix: str, limit: int = 2) -> list[str]:
        query = (
            sa.select(calls.c.trace_id)
            .where(calls.c.trace_id.startswith(prefix, autoescape=True))
            .order_by(calls.c.trace_id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).scalars())

    async def recent_calls(
        self,
        limit: int,
        since: float | None = None,
        model: str | None = None,
        *,
        payloads: bool = True,
        tenant: str | None = None,
    ) -> list[CallRecord]:
        query = sa.select(*(calls.c if payloads else _SUMMARY_COLUMNS))
        if tenant is not None:
            query = query.where(calls.c.tenant == tenant)
        if since is not None:
            query = query.where(calls.c.started_at >= since)
        if model is not None:
            query = query.where(calls.c.model == model)
        query = query.order_by(calls.c.started_at.desc(), calls.c.trace_id.desc()).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [row_to_record(row) for row in rows]

    async def usage(self, since: float, tenant: str | None = None) -> list[dict[str, Any]]:
        query = (
            sa.select(
                calls.c.model,
                sa.func.count().label("calls"),
                sa.func.sum(calls.c.prompt_tokens).label("prompt_tokens"),
                sa.func.sum(calls.c.completion_tokens).label("completion_tokens"),
                sa.func.sum(calls.c.cost_usd).label("cost_usd"),
            )
            .where(calls.c.started_at >= since)
            .group_by(calls.c.model)
            .order_by(calls.c.model)
        )
        if tenant is not None:
            query = query.where(calls.c.tenant == tenant)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            {
                "model": row["model"],
                "calls": int(row["calls"]),
                "prompt_tokens": int(row["prompt_tokens"] or 0),
                "completion_tokens": int(row["completion_tokens"] or 0),
                "cost_usd": float(row["cost_usd"] or 0.0),
            }
            for row in rows
        ]

    async def count_calls(self) -> int:
        query = sa.select(sa.func.count()).select_from(calls)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def aclose(self) -> None:
        await self._engine.dispose()

    async def _encode(self, records: Sequence[CallRecord]) -> list[tuple[Any, ...]]:
        # These writes share the event loop with live calls. SQLAlchemy's per-value type
        # processing costs ~20 µs a record there (10 ms for a batch of 500); the row is plain,
        # so encode it here (JSON by orjson) for the driver, and yield between chunks.
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(records), _ENCODE_CHUNK):
            if start:
                await asyncio.sleep(0)
            rows.extend(self._encode_one(r) for r in records[start : start + _ENCODE_CHUNK])
        return rows

    def _encode_one(self, record: CallRecord) -> tuple[Any, ...]:
        row = record_to_row(record)
        for name in _JSON_COLUMNS:
            if row[name] is not None:  # None stays SQL NULL
                row[name] = dumps_json(row[name])
        return tuple(row[name] for name in self._insert_order)

    async def _insert_rows(self, rows: list[tuple[Any, ...]]) -> None:
        # One transaction, one executemany: a batch costs one fsync, not one per record.
        async with self._engine.begin() as conn:
            await conn.exec_driver_sql(self._insert_sql, rows)

    async def _insert_one_by_one(self, rows: list[tuple[Any, ...]]) -> None:
        # A row the database refuses (a value it cannot hold) must not take the rest of its
        # batch down with it, nor block the writer by failing forever: store the others,
        # log and skip that one.
        for row in rows:
            try:
                await self._insert_rows([row])
            except sa.exc.StatementError as exc:
                if not _is_bad_row(exc):
                    raise
                reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
                log.error(
                    "call record %s cannot be stored, skipped: %s", row[self._trace_id_at], reason
                )


async def open_store(url: str) -> SqlCallStore:
    """Open the store at ``url``, creating or upgrading its schema first."""
    ensure_sqlite_dir(url)
    store = SqlCallStore(url)
    try:
        await upgrade_engine(store.engine)
    except BaseException:
        await store.aclose()
        raise
    return store


def _insert_skipping_duplicates(dialect: str) -> sa.Insert:
    # ON CONFLICT DO NOTHING (both dialects): a retried batch, or a trace id seen twice, is
    # idempotent instead of failing the whole batch.
    if dialect == "postgresql":
        return postgresql.insert(calls).on_conflict_do_nothing(index_elements=["trace_id"])
    if dialect == "sqlite":
        return sqlite.insert(calls).on_conflict_do_nothing(index_elements=["trace_id"])
    raise ValueError(f"no call store for SQL dialect {dialect!r}")


def _is_bad_row(exc: sa.exc.StatementError) -> bool:
    """True when the data is at fault (retrying cannot help), False when the database is."""
    if isinstance(exc, sa.exc.DataError | sa.exc.IntegrityError):
        return True
    if isinstance(exc, sa.exc.DBAPIError):
        # asyncpg's data errors reach SQLAlchemy untranslated; SQLSTATE classes 22 (data
        # exception) and 23 (integrity violation) say the row, not the server, is at fault.
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        if sqlstate[:2] in ("22", "23"):
            return True
        # asyncpg refuses a value of the wrong type before sending anything (a ValueError or
        # TypeError under SQLAlchemy's adapter): the row again, not the server.
        return isinstance(getattr(exc.orig, "__cause__", None), ValueError | TypeError)
    # A StatementError that is not a DBAPIError was raised while binding parameters, before
    # the database saw anything: the row's values are at fault.
    return True
