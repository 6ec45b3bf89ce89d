"""``Security``: authentication from an in-memory key ring, and every keyed or audited action.

Authenticating a call never touches the database: each replica keeps the keys in memory and
reloads them every ``auth.refresh_s`` (and at once after its own writes). Key writes and their
audit entries commit in one transaction, durable before the call that made them returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from seawall.config import AuthConfig, RetentionConfig
from seawall.core.clock import Clock
from seawall.core.errors import Forbidden, InvalidRequest, NotFound, Unauthorized
from seawall.security.audit import AuditEntry, AuditLog
from seawall.security.keys import KeyRecord, KeyStore, NewKey, matches, split_key
from seawall.security.retention import Purged, purge
from seawall.security.roles import Principal
from seawall.store.engine import create_engine

log = logging.getLogger("seawall.security")


class Security:
    """Keys, the key ring and the audit log of one deployment."""

    def __init__(
        self, url: str, auth: AuthConfig, clock: Clock, audit_key: bytes | None = None
    ) -> None:
        self._engine = create_engine(url, durable=True)
        self._auth = auth
        self._clock = clock
        self.keys = KeyStore(self._engine)
        self.audit = AuditLog(self._engine, audit_key)
        self._ring: dict[str, KeyRecord] = {}
        self._keys_exist = False
        self._refresher: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, refresh_in_background: bool = True) -> None:
        await self.refresh()
        if refresh_in_background:
            self._refresher = asyncio.create_task(self._refresh_forever(), name="key-refresh")

    async def aclose(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        await self._engine.dispose()

    async def refresh(self) -> None:
        """Reload every key from the store."""
        records = await self.keys.list()
        self._ring = {record.key_id: record for record in records}
        self._keys_exist = bool(records)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._auth.refresh_s)
            try:
                await self.refresh()
            except Exception:  # keep the last good ring: a store hiccup must not lock everyone out
                log.warning("could not reload API keys; keeping the previous set", exc_info=True)

    # ------------------------------------------------------------------ authentication

    @property
    def mode(self) -> str:
        """``open`` (no key checked: unsafe for production) or ``keys``."""
        if self._auth.mode == "auto":
            return "keys" if self._keys_exist else "open"
        return self._auth.mode

    def authenticate(self, presented: str | None) -> Principal:
        """The principal behind a presented key; ``Unauthorized`` says what is wrong with it."""
        if self.mode == "open":
            return Principal.open_mode()
        if not presented:
            raise Unauthorized("an API key is required: send 'Authorization: Bearer sw-...'")
        key_id = split_key(presented)
        record = self._ring.get(key_id) if key_id is not None else None
        if not matches(presented, record.secret_hash if record is not None else None):
            raise Unauthorized("the API key is not valid")
        assert record is not None
        status = record.status(self._clock.wall())
        if status in ("revoked", "expired"):
            raise Unauthorized(f"the API key {record.key_id} is {status}")
        return Principal(
            record.key_id,
            record.tenant,
            record.role,
            frozenset(record.models) if record.models is not None else None,
        )

    async def require(
        self, principal: Principal, permission: str, *, target: str | None = None
    ) -> None:
        """Raise ``Forbidden`` (and audit the denial) unless ``principal`` holds ``permission``."""
        if principal.can(permission):
            return
        await self.record(
            "access.denied",
            principal,
            target=target,
            detail={"permission": permission, "role": principal.role},
        )
        raise Forbidden(f"role '{principal.role}' may not {permission.replace('.', ' ')}")

    # ------------------------------------------------------------------ audited actions

    async def record(
        self,
        action: str,
        actor: Principal | str,
        *,
        tenant: str | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one audit entry; durable when this returns."""
        name = actor if isinstance(actor, str) else actor.actor
        if tenant is None and isinstance(actor, Principal) and not actor.is_global:
            tenant = actor.tenant
        return await self.audit.append(
            action, actor=name, at=self._clock.wall(), tenant=tenant, target=target, detail=detail
        )

    async def create_key(
        self,
        actor: Principal | str,
        *,
        tenant: str,
        role: str,
        name: str | None = None,
        models: Iterable[str] | None = None,
        expires_at: float | None = None,
    ) -> NewKey:
        """Create a key; ``actor`` must be allowed to create it for ``tenant`` with ``role``."""
        _check_scope(actor, tenant)
        now = self._clock.wall()
        actor_name = actor if isinstance(actor, str) else actor.actor
        try:
            async with self._engine.begin() as conn:
                new = await self.keys.create(
                    conn,
                    tenant=tenant,
                    role=role,
                    now=now,
                    created_by=actor_name,
                    name=name,
                    models=models,
                    expires_at=expires_at,
                )
                await self.audit.append(
                    "key.created",
                    actor=actor_name,
                    at=now,
                    tenant=tenant,
                    target=new.record.key_id,
                    detail={"role": role, "name": name, "models": _listed(models)},
                    conn=conn,
                )
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc
        await self.refresh()
        return new

    async def revoke_key(self, actor: Principal | str, key_id: str) -> KeyRecord:
        """Revoke a key at once on this replica (within ``auth.refresh_s`` on the others)."""
        record = await self._visible_key(actor, key_id)
        now = self._clock.wall()
        actor_name = actor if isinstance(actor, str) else actor.actor
        async with self._engine.begin() as conn:
            revoked = await self.keys.revoke(conn, key_id, now)
            await self.audit.append(
                "key.revoked",
                actor=actor_name,
                at=now,
                tenant=record.tenant,
                target=key_id,
                conn=conn,
            )
        await self.refresh()
        assert revoked is not None
        return revoked

    async def rotate_key(self, actor: Principal | str, key_id: str, grace_s: float) -> NewKey:
        """A new key with the same tenant, role and models; the old one works ``grace_s`` more."""
        old = await self._visible_key(actor, key_id)
        if old.status(self._clock.wall()) in ("revoked", "expired"):
            raise InvalidRequest(
                f"key {key_id} is {old.status(self._clock.wall())}; create a new one"
            )
        now = self._clock.wall()
        actor_name = actor if isinstance(actor, str) else actor.actor
        async with self._engine.begin() as conn:
            new = await self.keys.create(
                conn,
                tenant=old.tenant,
                role=old.role,
                now=now,
                created_by=actor_name,
                name=old.name,
                models=old.models,
                expires_at=old.expires_at,
            )
            await self.keys.retire(
                conn, key_id, expires_at=now + grace_s, replaced_by=new.record.key_id
            )
            await self.audit.append(
                "key.rotated",
                actor=actor_name,
                at=now,
                tenant=old.tenant,
                target=key_id,
                detail={"new_key_id": new.record.key_id, "grace_s": grace_s},
                conn=conn,
            )
        await self.refresh()
        return new

    async def purge(
        self, actor: Principal | str, policy: RetentionConfig, *, dry_run: bool = False
    ) -> Purged:
        """Apply the retention policy now; audited (also when nothing expired, as proof it ran)."""
        now = self._clock.wall()
        actor_name = actor if isinstance(actor, str) else actor.actor
        async with self._engine.begin() as conn:
            done = await purge(conn, policy, now, dry_run=dry_run)
            if not dry_run:
                await self.audit.append(
                    "retention.purged", actor=actor_name, at=now, detail=done.as_dict(), conn=conn
                )
        return done

    async def list_keys(self, actor: Principal | str) -> list[KeyRecord]:
        tenant = None if isinstance(actor, str) else actor.tenant_filter
        return await self.keys.list(tenant)

    async def _visible_key(self, actor: Principal | str, key_id: str) -> KeyRecord:
        record = await self.keys.get(key_id)
        if record is None or (isinstance(actor, Principal) and not actor.sees(record.tenant)):
            raise NotFound(f"no key with id '{key_id}'", param="key_id")
        return record


def _check_scope(actor: Principal | str, tenant: str) -> None:
    # A tenant admin manages its own tenant's keys; only a global admin (or the local CLI,
    # which holds the store itself) creates keys for other tenants or global admins.
    if isinstance(actor, Principal) and not actor.is_global and tenant != actor.tenant:
        raise Forbidden(f"a key of tenant '{actor.tenant}' cannot create keys for '{tenant}'")


def _listed(models: Iterable[str] | None) -> list[str] | None:
    return list(models) if models is not None else None
