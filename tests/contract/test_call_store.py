"""One contract for every CallStore backend: SQLite (a temp file) and PostgreSQL (a fresh database).

PostgreSQL comes from ``SEAWALL_TEST_POSTGRES`` (an admin URL, default the local server); the
suite creates ``seawall_test_<random>`` for the session and drops it at the end.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from helpers.postgres import fresh_database
from seawall.store import SqlCallStore, migrate_async, open_store
from seawall.store.migrate import alembic_config
from seawall.store.schema import calls, metadata
from seawall.telemetry.records import AttemptRecord, CallRecord


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store/seawall.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlCallStore]:
    opened = await open_store(store_url)
    async with opened.engine.begin() as conn:
        await conn.execute(calls.delete())  # the PostgreSQL database lives for the session
    yield opened
    await opened.aclose()


def make_record(n: int, **changes: object) -> CallRecord:
    record = CallRecord(
        trace_id=f"{n:04d}" + secrets.token_hex(14),
        started_at=1_700_000_000.0 + n,
        model="chat",
        stream=False,
    )
    for name, value in changes.items():
        setattr(record, name, value)
    return record


def full_record() -> CallRecord:
    """A record with every field away from its default."""
    return CallRecord(
        trace_id=secrets.token_hex(16),
        started_at=1_712_345_678.123456,
        model="support-bot",
        stream=True,
        status_code=503,
        outcome="degraded",
        error_code="upstream_unavailable",
        error_message="every target failed: 503, timeout",
        upstream="backup/gpt-4o-mini",
        attempts=[
            AttemptRecord("primary/gpt-4o", 0.0, 1200.5, "error", "http_5xx", 503, 0.0, "call"),
            AttemptRecord("primary/gpt-4o", 1290.25, 30000.0, "error", "timeout", None, 89.75),
            AttemptRecord("backup/gpt-4o-mini", 31300.0, 420.125, "ok", purpose="reask"),
        ],
        retries=1,
        fallback=True,
        latency_ms=31720.5,
        ttft_ms=31410.25,
        overhead_ms=0.375,
        prompt_tokens=1234,
        completion_tokens=56,
        cost_usd=0.00123456789,
        validation="repaired",
        degraded=True,
        tenant="acme",
        key_id="key_123",
        request={"messages": [{"role": "user", "content": "héllo ☃"}], "temperature": 0.2},
        response={"choices": [{"message": {"content": '{"a": 1}'}}], "nested": [1, [2, None]]},
        extra={"guard": {"pii": ["email"]}, "cache": "miss", "confidence": 0.87},
    )


async def test_every_field_round_trips(store: SqlCallStore) -> None:
    record = full_record()
    await store.write_calls([record])
    assert await store.get_call(record.trace_id) == record


async def test_defaults_and_empty_payloads_round_trip(store: SqlCallStore) -> None:
    record = make_record(1)
    await store.write_calls([record])
    stored = await store.get_call(record.trace_id)
    assert stored == record
    assert stored is not None
    assert stored.request is None
    assert stored.ttft_ms is None


async def test_unknown_trace_id_is_none(store: SqlCallStore) -> None:
    assert await store.get_call("f" * 32) is None


async def test_duplicates_are_skipped_not_fatal(store: SqlCallStore) -> None:
    first, second = make_record(1), make_record(2, model="original")
    await store.write_calls([first, second])
    again = make_record(2, model="second write", trace_id=second.trace_id)
    later = make_record(3)
    await store.write_calls([again, later, later, make_record(4)])
    assert await store.count_calls() == 4
    kept = await store.get_call(second.trace_id)
    assert kept is not None
    assert kept.model == "original"  # the first write wins


async def test_a_row_the_database_refuses_does_not_sink_its_batch(store: SqlCallStore) -> None:
    # model is NOT NULL: a producer bug must cost one record, not the whole batch.
    good, bad, also_good = make_record(1), make_record(2, model=None), make_record(3)
    await store.write_calls([good, bad, also_good])
    assert await store.get_call(good.trace_id) == good
    assert await store.get_call(also_good.trace_id) == also_good
    assert await store.get_call(bad.trace_id) is None


async def test_a_value_of_the_wrong_type_does_not_sink_its_batch(store: SqlCallStore) -> None:
    # PostgreSQL refuses it (SQLite's flexible typing may keep it): either way the others land.
    good, odd = make_record(1), make_record(2, status_code="two hundred")
    await store.write_calls([good, odd])
    assert await store.get_call(good.trace_id) == good


async def test_empty_batch_is_a_no_op(store: SqlCallStore) -> None:
    await store.write_calls([])
    assert await store.count_calls() == 0


async def test_recent_calls_newest_first_with_limit(store: SqlCallStore) -> None:
    records = [make_record(n) for n in (3, 1, 4, 2, 5)]
    await store.write_calls(records)
    recent = await store.recent_calls(3)
    assert [r.started_at for r in recent] == [1_700_000_005.0, 1_700_000_004.0, 1_700_000_003.0]


async def test_recent_calls_filters(store: SqlCallStore) -> None:
    records = [make_record(n, model="a" if n % 2 else "b") for n in range(1, 7)]
    await store.write_calls(records)
    since = await store.recent_calls(10, since=1_700_000_004.0)
    assert [r.started_at - 1_700_000_000 for r in since] == [6, 5, 4]
    only_a = await store.recent_calls(10, model="a")
    assert [r.started_at - 1_700_000_000 for r in only_a] == [5, 3, 1]
    both = await store.recent_calls(10, since=1_700_000_002.0, model="b")
    assert [r.started_at - 1_700_000_000 for r in both] == [6, 4, 2]


async def test_recent_calls_without_payloads(store: SqlCallStore) -> None:
    record = full_record()
    await store.write_calls([record])
    [light] = await store.recent_calls(1, payloads=False)
    assert light.request is None
    assert light.response is None
    assert light.attempts == record.attempts
    assert light.extra == record.extra


async def test_find_trace_ids_by_prefix(store: SqlCallStore) -> None:
    records = [make_record(n) for n in (11, 12, 21)]
    await store.write_calls(records)
    assert await store.find_trace_ids("001") == sorted(r.trace_id for r in records[:2])
    assert await store.find_trace_ids("0021") == [records[2].trace_id]
    assert await store.find_trace_ids("0", limit=5) == sorted(r.trace_id for r in records)
    assert await store.find_trace_ids("%") == []  # LIKE wildcards are escaped
    assert await store.find_trace_ids("9") == []


async def test_count_calls(store: SqlCallStore) -> None:
    assert await store.count_calls() == 0
    await store.write_calls([make_record(n) for n in range(25)])
    assert await store.count_calls() == 25


async def test_migrations_match_the_schema_and_rerun_cleanly(store_url: str) -> None:
    await migrate_async(store_url)
    await migrate_async(store_url)  # at head already: nothing to do, no error
    opened = SqlCallStore(store_url)
    try:
        async with opened.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
            version = (
                await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            ).scalar_one()
    finally:
        await opened.aclose()
    assert diff == []
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_sqlite_store_creates_its_directory_and_uses_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/nested/dir/seawall.db"
    opened = await open_store(url)
    try:
        async with opened.engine.connect() as conn:
            mode = (await conn.execute(sa.text("PRAGMA journal_mode"))).scalar_one()
            sync = (await conn.execute(sa.text("PRAGMA synchronous"))).scalar_one()
    finally:
        await opened.aclose()
    assert (tmp_path / "nested" / "dir" / "seawall.db").exists()
    assert (mode, sync) == ("wal", 1)  # 1 = NORMAL
