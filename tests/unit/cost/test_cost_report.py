"""Cost reports aggregate in SQL, on SQLite and PostgreSQL alike, to the exact totals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from helpers.postgres import fresh_database
from seawall.cost.report import CostRow, cost_report
from seawall.store import SqlCallStore, open_store
from seawall.store.schema import calls
from seawall.telemetry.records import AttemptRecord, CallRecord

START = 1_800_000_000.0  # the records' first second


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/calls.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlCallStore]:
    opened = await open_store(store_url)
    async with opened.engine.begin() as conn:
        await conn.execute(calls.delete())
    yield opened
    await opened.aclose()


def record(i: int, **fields: object) -> CallRecord:
    values: dict[str, object] = {
        "trace_id": f"{i:032x}",
        "started_at": START + i,
        "model": "chat",
        "stream": False,
        "upstream": "openai/gpt-4o",
        "attempts": [AttemptRecord("openai/gpt-4o", 0.0, 10.0, "ok")],
    }
    values.update(fields)
    return CallRecord(**values)  # type: ignore[arg-type]


RECORDS = [
    *(
        record(i, cost_usd=0.25, prompt_tokens=100, completion_tokens=10, tenant="acme")
        for i in range(4)
    ),
    record(4, cost_usd=0.5, prompt_tokens=300, completion_tokens=30, tenant="acme", retries=2),
    record(
        5,
        model="faq",
        upstream="anthropic/claude-3-5-haiku",
        cost_usd=0.125,
        prompt_tokens=50,
        completion_tokens=5,
        fallback=True,
        retries=1,
        tenant="globex",
        key_id="k1",
        extra={"route": "cheap"},
    ),
    record(6, model="faq", upstream=None, outcome="error", status_code=502, key_id="k1"),
    record(7, cost_usd=1000.0, started_at=START - 1),  # before the window
    record(8, cost_usd=1000.0, started_at=START + 100),  # at its end: excluded
]


async def report(store: SqlCallStore, by: str) -> dict[str | None, CostRow]:
    await store.write_calls(RECORDS)
    result = await cost_report(store.engine, START, START + 100, by)  # type: ignore[arg-type]
    assert result.total == CostRow(None, 7, 1.625, 750, 75, 2, 3, 1, 0.625)
    return {row.group: row for row in result.rows}


async def test_totals_and_groups_by_logical_model(store: SqlCallStore) -> None:
    rows = await report(store, "model")
    assert rows == {
        "chat": CostRow("chat", 5, 1.5, 700, 70, 1, 2, 0, 0.5),
        "faq": CostRow("faq", 2, 0.125, 50, 5, 1, 1, 1, 0.125),
    }
    assert rows["chat"].cost_per_call_usd == pytest.approx(0.3)
    assert rows["chat"].overhead_share == pytest.approx(1 / 3)


async def test_groups_by_upstream_tenant_key_and_route(store: SqlCallStore) -> None:
    by_upstream = await report(store, "upstream")
    assert {k: v.calls for k, v in by_upstream.items()} == {
        "openai/gpt-4o": 5,
        "anthropic/claude-3-5-haiku": 1,
        None: 1,
    }
    by_tenant = await report(store, "tenant")
    assert {k: v.cost_usd for k, v in by_tenant.items()} == {
        "acme": 1.5,
        "globex": 0.125,
        None: 0.0,
    }


@pytest.mark.parametrize(
    ("by", "groups"), [("key", {None: 5, "k1": 2}), ("route", {None: 6, "cheap": 1})]
)
async def test_groups_from_optional_fields(
    store: SqlCallStore, by: str, groups: dict[str | None, int]
) -> None:
    rows = await report(store, by)
    assert {k: v.calls for k, v in rows.items()} == groups


async def test_an_empty_window_reports_zeros(store: SqlCallStore) -> None:
    result = await cost_report(store.engine, START, START + 100, "model")
    assert result.rows == ()
    assert result.total == CostRow(None, 0, 0.0, 0, 0, 0, 0, 0, 0.0)
    assert result.total.cost_per_call_usd == result.total.overhead_share == 0.0
