"""Virtual API keys: ``sw-<key id>-<secret>``, shown once, stored as a SHA-256 hash.

The key id is public (``keys list``, call records, audit entries) and finds the stored row; the
whole key's hash is compared with ``hmac.compare_digest``, and an unknown id is compared against
a dummy hash, so the time to reject does not tell an attacker which part was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from seawall.security.roles import ALL_TENANTS, ROLES
from seawall.store.schema import api_keys

PREFIX = "sw"
_KEY_RE = re.compile(r"^sw-([a-z0-9]{12})-([A-Za-z0-9_]{32,64})$")
_TENANT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DUMMY_HASH = hashlib.sha256(b"seawall: no such key").hexdigest()
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """A stored key (never the key itself)."""

    key_id: str
    secret_hash: str
    tenant: str
    role: str
    name: str | None
    models: tuple[str, ...] | None
    created_at: float
    expires_at: float | None
    revoked_at: float | None
    replaced_by: str | None
    created_by: str

    def status(self, now: float) -> str:
        """``active``, ``revoked``, ``expired`` or ``rotating`` (replaced, still in its grace period)."""
        if self.revoked_at is not None and self.revoked_at <= now:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "rotating" if self.replaced_by is not None else "active"

    def public(self, now: float) -> dict[str, object]:
        """What ``keys list`` and the admin API show."""
        return {
            "key_id": self.key_id,
            "tenant": self.tenant,
            "role": self.role,
            "name": self.name,
            "models": list(self.models) if self.models is not None else None,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
            "replaced_by": self.replaced_by,
            "created_by": self.created_by,
            "status": self.status(now),
        }


@dataclass(frozen=True, slots=True)
class NewKey:
    """A freshly created key: ``secret`` is the only copy of the key, shown once."""

    record: KeyRecord
    secret: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    match = _KEY_RE.match(key)
    return match.group(1) if match else None


def matches(key: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented key with a stored hash (None: unknown id)."""
    return (
        hmac.compare_digest(hash_key(key), stored_hash or _DUMMY_HASH) and stored_hash is not None
    )


def check_new_key(tenant: str, role: str, models: Iterable[str] | None) -> None:
    """Raise ValueError naming the bad field of a key about to be created."""
    if role not in ROLES:
        raise ValueError(f"role: unknown role '{role}' (one of {', '.join(ROLES)})")
    if tenant == ALL_TENANTS:
        if role != "admin":
            raise ValueError("tenant: only admin keys may span every tenant ('*')")
    elif not _TENANT_RE.match(tenant):
        raise ValueError(f"tenant: '{tenant}' is not a valid tenant name (letters, digits, _ . -)")
    if models is not None and not all(isinstance(m, str) and m for m in models):
        raise ValueError("models: expected a list of logical model names")


def _new_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def _new_secret() -> str:
    return secrets.token_urlsafe(32).replace("-", "_")[:43]


class KeyStore:
    """Keys in the store; every write happens on a connection the caller commits with its audit entry."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(
        self,
        conn: AsyncConnection,
        *,
        tenant: str,
        role: str,
        now: float,
        created_by: str,
        name: str | None = None,
        models: Iterable[str] | None = None,
        expires_at: float | None = None,
    ) -> NewKey:
        check_new_key(tenant, role, models)
        key_id = _new_id()
        secret = f"{PREFIX}-{key_id}-{_new_secret()}"
        record = KeyRecord(
            key_id=key_id,
            secret_hash=hash_key(secret),
            tenant=tenant,
            role=role,
            name=name,
            models=tuple(models) if models is not None else None,
            created_at=now,
            expires_at=expires_at,
            revoked_at=None,
            replaced_by=None,
            created_by=created_by,
        )
        values = {name: getattr(record, name) for name in KeyRecord.__slots__}
        values["models"] = list(record.models) if record.models is not None else None
        await conn.execute(sa.insert(api_keys).values(**values))
        return NewKey(record, secret)

    async def revoke(self, conn: AsyncConnection, key_id: str, now: float) -> KeyRecord | None:
        await conn.execute(
            sa.update(api_keys)
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return await self.get(key_id, conn)

    async def retire(
        self, conn: AsyncConnection, key_id: str, *, expires_at: float, replaced_by: str
    ) -> None:
        """Mark a rotated key: it keeps working until ``expires_at`` (or its own earlier expiry)."""
        current = api_keys.c.expires_at
        await conn.execute(
            sa.update(api_keys)
            .where(api_keys.c.key_id == key_id)
            .values(
                replaced_by=replaced_by,
                expires_at=sa.case(
                    (sa.and_(current.is_not(None), current < expires_at), current),
                    else_=expires_at,
                ),
            )
        )

    async def get(self, key_id: str, conn: AsyncConnection | None = None) -> KeyRecord | None:
        query = sa.select(api_keys).where(api_keys.c.key_id == key_id)
        if conn is not None:
            row = (await conn.execute(query)).mappings().first()
        else:
            async with self._engine.connect() as own:
                row = (await own.execute(query)).mappings().first()
        return _record(row) if row is not None else None

    async def list(self, tenant: str | None = None) -> list[KeyRecord]:
        """Every key (of one tenant when given), oldest first."""
        query = sa.select(api_keys).order_by(api_keys.c.created_at, api_keys.c.key_id)
        if tenant is not None:
            query = query.where(api_keys.c.tenant == tenant)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [_record(row) for row in rows]

    async def ever_created(self) -> bool:
        """Has any key ever been created (revoked ones count: revoking all keys never reopens)."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(api_keys.c.key_id).limit(1))).first()
        return row is not None


def _record(row: sa.RowMapping) -> KeyRecord:
    models = row["models"]
    return KeyRecord(
        key_id=row["key_id"],
        secret_hash=row["secret_hash"],
        tenant=row["tenant"],
        role=row["role"],
        name=row["name"],
        models=tuple(models) if models is not None else None,
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        replaced_by=row["replaced_by"],
        created_by=row["created_by"],
    )
