"""Keys, the audit log and retention against SQLite and PostgreSQL, with a frozen clock.

Tampering is done the way an attacker with database access would: by SQL on the stored rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers.postgres import fresh_database
from seawall.config import AuthConfig, RetentionConfig
from seawall.core.clock import FrozenClock
from seawall.core.errors import Forbidden, InvalidRequest, Unauthorized
from seawall.security.roles import Principal
from seawall.security.service import Security
from seawall.store import open_store
from seawall.store.schema import api_keys, audit_log, calls
from seawall.telemetry.records import CallRecord

DAY = 86_400.0


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/seawall.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(1_800_000_000.0)


@pytest.fixture
async def security(store_url: str, clock: FrozenClock) -> AsyncIterator[Security]:
    store = await open_store(store_url)
    async with store.engine.begin() as conn:  # the PostgreSQL database lives for the module
        for table in (api_keys, audit_log, calls):
            await conn.execute(table.delete())
    await store.aclose()
    opened = Security(store_url, AuthConfig(), clock)
    await opened.start(refresh_in_background=False)
    yield opened
    await opened.aclose()


async def execute(security: Security, statement: sa.Executable) -> None:
    async with security._engine.begin() as conn:
        await conn.execute(statement)


# --------------------------------------------------------------------------- keys


async def test_auto_mode_is_open_until_the_first_key(security: Security) -> None:
    assert security.mode == "open"
    assert security.authenticate(None).is_open
    await security.create_key("cli:ops", tenant="acme", role="app")
    assert security.mode == "keys"
    with pytest.raises(Unauthorized, match="required"):
        security.authenticate(None)


async def test_a_created_key_authenticates_as_its_tenant_and_role(security: Security) -> None:
    new = await security.create_key("cli:ops", tenant="acme", role="developer", models=["chat"])
    principal = security.authenticate(new.secret)
    assert principal == Principal(new.record.key_id, "acme", "developer", frozenset({"chat"}))
    stored = await security.keys.get(new.record.key_id)
    assert stored is not None
    assert new.secret not in repr(stored)  # only the hash is stored


async def test_wrong_and_malformed_keys_are_refused(security: Security) -> None:
    new = await security.create_key("cli:ops", tenant="acme", role="app")
    for bad in (new.secret[:-1] + ("A" if new.secret[-1] != "A" else "B"), "sw-nope", "Bearer x"):
        with pytest.raises(Unauthorized, match="not valid"):
            security.authenticate(bad)


async def test_revocation_takes_effect_at_once_and_never_reopens(security: Security) -> None:
    new = await security.create_key("cli:ops", tenant="acme", role="app")
    await security.revoke_key("cli:ops", new.record.key_id)
    with pytest.raises(Unauthorized, match="revoked"):
        security.authenticate(new.secret)
    assert security.mode == "keys"  # revoking every key must not fall back to open mode


async def test_expiry(security: Security, clock: FrozenClock) -> None:
    new = await security.create_key(
        "cli:ops", tenant="acme", role="app", expires_at=clock.wall() + 60
    )
    assert security.authenticate(new.secret).key_id == new.record.key_id
    clock.advance(61)
    with pytest.raises(Unauthorized, match="expired"):
        security.authenticate(new.secret)


async def test_rotation_keeps_the_old_key_for_its_grace_period(
    security: Security, clock: FrozenClock
) -> None:
    old = await security.create_key("cli:ops", tenant="acme", role="app", models=["chat"])
    new = await security.rotate_key("cli:ops", old.record.key_id, grace_s=3600)
    assert (new.record.tenant, new.record.role, new.record.models) == ("acme", "app", ("chat",))
    assert security.authenticate(old.secret).key_id == old.record.key_id
    assert security.authenticate(new.secret).key_id == new.record.key_id
    stored = await security.keys.get(old.record.key_id)
    assert stored is not None
    assert stored.replaced_by == new.record.key_id
    assert stored.status(clock.wall()) == "rotating"
    clock.advance(3601)
    with pytest.raises(Unauthorized, match="expired"):
        security.authenticate(old.secret)
    assert security.authenticate(new.secret).key_id == new.record.key_id


async def test_rotation_never_extends_an_earlier_expiry(
    security: Security, clock: FrozenClock
) -> None:
    old = await security.create_key(
        "cli:ops", tenant="acme", role="app", expires_at=clock.wall() + 60
    )
    await security.rotate_key("cli:ops", old.record.key_id, grace_s=3600)
    stored = await security.keys.get(old.record.key_id)
    assert stored is not None
    assert stored.expires_at == clock.wall() + 60


async def test_tenant_admins_manage_only_their_tenant(security: Security) -> None:
    acme_admin = Principal("a1", "acme", "admin")
    mine = await security.create_key(acme_admin, tenant="acme", role="app")
    theirs = await security.create_key("cli:ops", tenant="globex", role="app")
    with pytest.raises(Forbidden):
        await security.create_key(acme_admin, tenant="globex", role="app")
    with pytest.raises(InvalidRequest, match="no key"):  # another tenant's key looks missing
        await security.revoke_key(acme_admin, theirs.record.key_id)
    listed = {k.key_id for k in await security.list_keys(acme_admin)}
    assert listed == {mine.record.key_id}


async def test_bad_key_requests_are_invalid_requests(security: Security) -> None:
    with pytest.raises(InvalidRequest, match="role"):
        await security.create_key("cli:ops", tenant="acme", role="superuser")
    with pytest.raises(InvalidRequest, match="tenant"):
        await security.create_key("cli:ops", tenant="*", role="app")


# --------------------------------------------------------------------------- audit


async def test_every_key_action_is_audited_in_order(security: Security) -> None:
    new = await security.create_key("cli:ops", tenant="acme", role="app")
    rotated = await security.rotate_key("cli:ops", new.record.key_id, grace_s=10)
    await security.revoke_key("cli:ops", rotated.record.key_id)
    entries = await security.audit.entries()
    assert [e.action for e in entries] == ["key.created", "key.rotated", "key.revoked"]
    assert [e.seq for e in entries] == [1, 2, 3]
    assert all(e.tenant == "acme" and e.actor == "cli:ops" for e in entries)
    assert entries[1].detail["new_key_id"] == rotated.record.key_id
    assert (await security.audit.verify()).ok


async def test_concurrent_appends_keep_one_unbroken_chain(
    store_url: str, security: Security
) -> None:
    # Two handles on the same store (two replicas) append at once.
    other = Security(store_url, AuthConfig(), FrozenClock(1_800_000_000.0))
    await other.start(refresh_in_background=False)
    try:
        await asyncio.gather(
            *(
                (security if n % 2 else other).record("test.event", "cli:ops", detail={"n": n})
                for n in range(40)
            )
        )
    finally:
        await other.aclose()
    result = await security.audit.verify()
    assert result.ok, result.problem
    assert result.checked == 40
    assert sorted(e.detail["n"] for e in await security.audit.entries()) == list(range(40))


async def seeded_log(security: Security, n: int = 6) -> None:
    for i in range(n):
        await security.record("test.event", "cli:ops", target=f"t{i}", detail={"i": i})


async def test_verify_names_an_edited_entry(security: Security) -> None:
    await seeded_log(security)
    await execute(security, audit_log.update().where(audit_log.c.seq == 4).values(actor="mallory"))
    result = await security.audit.verify()
    assert result.bad_seq == 4
    assert "edited" in (result.problem or "")


async def test_verify_names_a_deleted_entry(security: Security) -> None:
    await seeded_log(security)
    await execute(security, audit_log.delete().where(audit_log.c.seq == 3))
    result = await security.audit.verify()
    assert result.bad_seq == 4
    assert "entry 3 is missing" in (result.problem or "")


async def test_verify_names_an_inserted_entry(security: Security) -> None:
    await seeded_log(security)
    # Make room after entry 2 and insert a forged entry that links to it correctly.
    async with security._engine.begin() as conn:
        rows = (
            (await conn.execute(sa.select(audit_log).order_by(audit_log.c.seq.desc())))
            .mappings()
            .all()
        )
        for row in rows:
            if row["seq"] >= 3:
                await conn.execute(
                    audit_log.update()
                    .where(audit_log.c.seq == row["seq"])
                    .values(seq=row["seq"] + 100)
                )
        for row in rows:
            if row["seq"] >= 3:
                await conn.execute(
                    audit_log.update()
                    .where(audit_log.c.seq == row["seq"] + 100)
                    .values(seq=row["seq"] + 1)
                )
        entry2 = next(r for r in rows if r["seq"] == 2)
        await conn.execute(
            audit_log.insert().values(
                seq=3,
                at=1.0,
                actor="mallory",
                tenant=None,
                action="key.created",
                target="x",
                detail={},
                prev_hash=entry2["hash"],
                hash="f" * 64,
            )
        )
    result = await security.audit.verify()
    assert result.bad_seq == 3
    assert not result.ok


async def test_verify_names_reordered_entries(security: Security) -> None:
    await seeded_log(security)
    async with security._engine.begin() as conn:
        await conn.execute(audit_log.update().where(audit_log.c.seq == 3).values(seq=-3))
        await conn.execute(audit_log.update().where(audit_log.c.seq == 4).values(seq=3))
        await conn.execute(audit_log.update().where(audit_log.c.seq == -3).values(seq=4))
    result = await security.audit.verify()
    assert result.bad_seq == 3
    assert not result.ok


async def test_denials_are_audited(security: Security) -> None:
    app = Principal("k1", "acme", "app")
    with pytest.raises(Forbidden, match="may not keys manage"):
        await security.require(app, "keys.manage", target="GET /admin/keys")
    (entry,) = await security.audit.entries(action="access.denied")
    assert (entry.actor, entry.tenant, entry.target) == ("key:k1", "acme", "GET /admin/keys")


# --------------------------------------------------------------------------- retention


async def test_retention_clears_payloads_then_deletes_records(
    security: Security, store_url: str, clock: FrozenClock
) -> None:
    store = await open_store(store_url)
    now = clock.wall()
    ages = {"fresh": 1, "old-payload": 40, "expired": 100}
    await store.write_calls(
        [
            CallRecord(
                trace_id=f"{name:0<32}"[:32].replace("-", "0"),
                started_at=now - days * DAY,
                model="chat",
                stream=False,
                request={"messages": [{"role": "user", "content": "hi"}]},
                response={"choices": []},
            )
            for name, days in ages.items()
        ]
    )
    policy = RetentionConfig(payload_days=30, metadata_days=90)
    dry = await security.purge("cli:ops", policy, dry_run=True)
    assert (dry.payloads_cleared, dry.records_deleted) == (1, 1)
    assert await store.count_calls() == 3  # a dry run deletes nothing
    done = await security.purge("cli:ops", policy)
    assert (done.payloads_cleared, done.records_deleted) == (1, 1)
    remaining = {r.started_at: r for r in await store.recent_calls(10)}
    await store.aclose()
    assert set(remaining) == {now - 1 * DAY, now - 40 * DAY}
    assert remaining[now - DAY].request is not None
    assert remaining[now - 40 * DAY].request is None
    assert remaining[now - 40 * DAY].response is None
    (entry,) = await security.audit.entries(action="retention.purged")
    assert entry.detail["records_deleted"] == 1
