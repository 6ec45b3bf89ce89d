"""The append-only, hash-chained audit log.

Entry ``n`` stores ``hash = H(hash of entry n-1, canonical JSON of entry n)`` with ``H`` SHA-256,
or HMAC-SHA256 when ``audit.hmac_key`` is set. ``verify`` recomputes the chain in order and names
the first entry that does not fit: an edited entry no longer matches its hash, a deleted one
leaves a gap in the sequence, an inserted or reordered one breaks the link to its predecessor.
Without the HMAC key, someone with write access could recompute every later hash; compare the
head (``audit verify`` prints it) with a copy kept elsewhere (``audit export``) to catch that.

Appends are serialised (an in-process lock; a PostgreSQL advisory lock; SQLite's writer lock)
and committed with ``synchronous=FULL`` before ``append`` returns.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from seawall.store.schema import audit_log

GENESIS = "0" * 64
_PG_AUDIT_LOCK = 0x5EA3A0D
_APPEND_TRIES = 20
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One security-relevant event."""

    seq: int
    at: float
    actor: str
    action: str
    tenant: str | None = None
    target: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "tenant": self.tenant,
            "action": self.action,
            "target": self.target,
            "detail": dict(self.detail),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def chain_hash(prev_hash: str, entry: AuditEntry, key: bytes | None) -> str:
    """The hash entry ``entry`` must carry when it follows an entry hashed ``prev_hash``."""
    body = [entry.seq, entry.at, entry.actor, entry.tenant, entry.action, entry.target]
    payload = orjson.dumps([*body, entry.detail], option=orjson.OPT_SORT_KEYS)
    data = prev_hash.encode() + b"\n" + payload
    if key is not None:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of ``verify``: ``bad_seq`` and ``problem`` name the first bad entry."""

    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class ChainWalker:
    """Checks entries one at a time, in stored order; remembers the first problem."""

    def __init__(self, key: bytes | None) -> None:
        self._key = key
        self._expected_seq = 1
        self._prev_hash = GENESIS
        self._checked = 0
        self._bad: tuple[int, str] | None = None

    def feed(self, entry: AuditEntry) -> bool:
        """Check the next entry; False once a problem was found (stop feeding)."""
        if self._bad is not None:
            return False
        problem = _problem(entry, self._expected_seq, self._prev_hash, self._key)
        if problem is not None:
            self._bad = (entry.seq, problem)
            return False
        self._expected_seq, self._prev_hash = entry.seq + 1, entry.hash
        self._checked += 1
        return True

    def result(self) -> Verification:
        head = Verification(self._checked, self._expected_seq - 1, self._prev_hash)
        if self._bad is None:
            return head
        return Verification(head.checked, head.head_seq, head.head_hash, *self._bad)


def verify_entries(entries: Iterable[AuditEntry], key: bytes | None) -> Verification:
    """Walk the chain in stored order; stop at the first entry that does not fit."""
    walker = ChainWalker(key)
    for entry in entries:
        if not walker.feed(entry):
            break
    return walker.result()


def _problem(entry: AuditEntry, expected_seq: int, prev_hash: str, key: bytes | None) -> str | None:
    if entry.seq > expected_seq:
        missing = (
            f"{expected_seq}"
            if entry.seq == expected_seq + 1
            else f"{expected_seq}..{entry.seq - 1}"
        )
        return f"entry {missing} is missing (deleted) before entry {entry.seq}"
    if entry.seq < expected_seq:
        return f"entry {entry.seq} appears after entry {expected_seq - 1} (reordered or duplicated)"
    if entry.prev_hash != prev_hash:
        return f"entry {entry.seq} does not link to entry {entry.seq - 1} (inserted or reordered)"
    if not hmac.compare_digest(entry.hash, chain_hash(prev_hash, entry, key)):
        return f"entry {entry.seq} does not match its hash (edited)"
    return None


class AuditLog:
    """Append, read and verify the audit log in the store."""

    def __init__(self, engine: AsyncEngine, key: bytes | None = None) -> None:
        self._engine = engine
        self._key = key
        self._lock = asyncio.Lock()

    @property
    def keyed(self) -> bool:
        return self._key is not None

    async def append(
        self,
        action: str,
        *,
        actor: str,
        at: float,
        tenant: str | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
        conn: AsyncConnection | None = None,
    ) -> AuditEntry:
        """Chain and store one entry; durable when this returns (or when ``conn`` commits)."""
        draft = AuditEntry(0, at, actor, action, tenant, target, dict(detail or {}))
        async with self._lock:
            if conn is not None:
                return await self._append_on(conn, draft)
            for attempt in range(_APPEND_TRIES):
                try:
                    async with self._engine.begin() as own:
                        return await self._append_on(own, draft)
                except (sa.exc.IntegrityError, sa.exc.OperationalError):
                    # Another process appended between our read and our write: chain again.
                    if attempt == _APPEND_TRIES - 1:
                        raise
                    await asyncio.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    async def _append_on(self, conn: AsyncConnection, draft: AuditEntry) -> AuditEntry:
        if conn.dialect.name == "postgresql":
            await conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_PG_AUDIT_LOCK})"))
        last = (
            await conn.execute(
                sa.select(audit_log.c.seq, audit_log.c.hash)
                .order_by(audit_log.c.seq.desc())
                .limit(1)
            )
        ).first()
        seq, prev = (last.seq + 1, last.hash) if last is not None else (1, GENESIS)
        entry = AuditEntry(
            seq, draft.at, draft.actor, draft.action, draft.tenant, draft.target, draft.detail, prev
        )
        entry = AuditEntry(**{**_fields(entry), "hash": chain_hash(prev, entry, self._key)})
        await conn.execute(sa.insert(audit_log).values(**entry.as_dict()))
        return entry

    async def entries(
        self,
        *,
        tenant: str | None = None,
        action: str | None = None,
        since: float | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        """Entries, filtered; ``tenant`` restricts to one tenant's entries."""
        query = sa.select(audit_log)
        if tenant is not None:
            query = query.where(audit_log.c.tenant == tenant)
        if action is not None:
            query = query.where(audit_log.c.action.like(action.replace("*", "%")))
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        order = audit_log.c.seq.desc() if newest_first else audit_log.c.seq
        query = query.order_by(order).limit(limit)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_entry(row) for row in rows]

    async def scan(self) -> AsyncIterator[AuditEntry]:
        """Every entry in stored order, a page at a time (for verify and export)."""
        after = 0
        while True:
            query = sa.select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq)
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query.limit(_PAGE))).mappings().all()
            for row in rows:
                yield _entry(row)
            if len(rows) < _PAGE:
                return
            after = rows[-1]["seq"]

    async def verify(self) -> Verification:
        """Recompute the whole chain, a page at a time."""
        walker = ChainWalker(self._key)
        async for entry in self.scan():
            if not walker.feed(entry):
                break
        return walker.result()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in AuditEntry.__slots__}


def _entry(row: sa.RowMapping) -> AuditEntry:
    return AuditEntry(
        seq=row["seq"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        tenant=row["tenant"],
        target=row["target"],
        detail=row["detail"] or {},
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
