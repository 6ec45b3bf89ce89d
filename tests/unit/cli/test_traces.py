"""``seawall traces`` against a seeded SQLite store, through the real Typer app."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import typer
from rich.console import Console, RenderableType
from typer.testing import CliRunner

from seawall.cli.traces import follow_calls, register, render_call
from seawall.store import SqlCallStore, open_store
from seawall.store.rows import record_to_row
from seawall.telemetry.records import AttemptRecord, CallRecord

WIDE = {"COLUMNS": "220"}  # Rich wraps to 80 columns when not on a terminal

OK = CallRecord(
    trace_id="aa11" + "0" * 28,
    started_at=1_700_000_001.0,
    model="chat",
    stream=False,
    upstream="primary/gpt-4o",
    attempts=[AttemptRecord("primary/gpt-4o", 0.0, 812.5, "ok")],
    latency_ms=813.25,
    prompt_tokens=120,
    completion_tokens=34,
    cost_usd=0.00042,
    request={"messages": [{"role": "user", "content": "where is my parcel"}]},
    response={"choices": [{"message": {"content": "on its way"}}]},
)
FAILED_OVER = CallRecord(
    trace_id="bb22" + "1" * 28,
    started_at=1_700_000_002.0,
    model="summarise",
    stream=True,
    outcome="degraded",
    upstream="backup/claude-haiku",
    attempts=[
        AttemptRecord("primary/gpt-4o", 0.0, 1500.0, "error", "http_5xx", 503),
        AttemptRecord("primary/gpt-4o", 1580.0, 30000.0, "error", "timeout", None, 80.0),
        AttemptRecord("backup/claude-haiku", 31600.0, 400.0, "ok"),
    ],
    retries=1,
    fallback=True,
    latency_ms=32000.0,
    ttft_ms=31700.0,
    extra={"cache": "miss"},
)
ERRORED = CallRecord(
    trace_id="bb33" + "2" * 28,
    started_at=1_700_000_003.0,
    model="chat",
    stream=False,
    status_code=502,
    outcome="error",
    error_code="upstream_unavailable",
    error_message="every target failed",
)
SEEDED = [OK, FAILED_OVER, ERRORED]


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/seawall.db"

    async def seed() -> None:
        store = await open_store(url)
        await store.write_calls(SEEDED)
        await store.aclose()

    asyncio.run(seed())
    return url


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def run(cli: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["traces", *args], env=WIDE)
    return result.exit_code, result.stdout, result.stderr


def test_tail_lists_calls_oldest_first(cli: typer.Typer, store_url: str) -> None:
    code, out, _ = run(cli, "tail", "--store", store_url)
    assert code == 0
    positions = [out.index(record.trace_id[:12]) for record in SEEDED]
    assert positions == sorted(positions)
    for text in ("primary/gpt-4o", "backup/claude-haiku", "degraded", "120/34", "$0.00042"):
        assert text in out
    assert "813.2" in out
    assert "31700.0" in out
    assert "502" in out


def test_tail_limit_and_model_filter(cli: typer.Typer, store_url: str) -> None:
    _, newest, _ = run(cli, "tail", "--store", store_url, "-n", "1")
    assert ERRORED.trace_id[:12] in newest
    assert OK.trace_id[:12] not in newest
    _, chat, _ = run(cli, "tail", "--store", store_url, "--model", "chat")
    assert OK.trace_id[:12] in chat
    assert FAILED_OVER.trace_id[:12] not in chat


def test_tail_reads_the_store_url_from_the_config(
    cli: typer.Typer, store_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "seawall.yaml"
    config.write_text(f"store:\n  url: {store_url}\nproviders: {{}}\n", encoding="utf-8")
    code, out, _ = run(cli, "tail", "--config", str(config))
    assert code == 0
    assert OK.trace_id[:12] in out


def test_show_prints_fields_attempts_and_payloads(cli: typer.Typer, store_url: str) -> None:
    code, out, _ = run(cli, "show", "--store", store_url, FAILED_OVER.trace_id)
    assert code == 0
    assert FAILED_OVER.trace_id in out
    for text in ("summarise", "backup/claude-haiku", "http_5xx", "503", "timeout", "80.0"):
        assert text in out
    assert "31600.0" in out
    assert '{"cache":"miss"}' in out


def test_show_accepts_a_unique_prefix_and_prints_payloads(cli: typer.Typer, store_url: str) -> None:
    code, out, _ = run(cli, "show", "--store", store_url, "aa1")
    assert code == 0
    assert OK.trace_id in out
    assert "where is my parcel" in out
    assert "on its way" in out


def test_show_json_is_the_raw_record(cli: typer.Typer, store_url: str) -> None:
    code, out, _ = run(cli, "show", "--store", store_url, "--json", OK.trace_id)
    assert code == 0
    assert json.loads(out) == json.loads(json.dumps(record_to_row(OK)))


def test_show_unknown_trace_exits_1_with_a_message(cli: typer.Typer, store_url: str) -> None:
    code, out, err = run(cli, "show", "--store", store_url, "ffff")
    assert code == 1
    assert out == ""
    assert err.strip() == "seawall: no call with trace id 'ffff'"


def test_show_ambiguous_prefix_exits_1_and_lists_matches(cli: typer.Typer, store_url: str) -> None:
    code, _, err = run(cli, "show", "--store", store_url, "bb")
    assert code == 1
    assert "ambiguous" in err
    assert FAILED_OVER.trace_id in err
    assert ERRORED.trace_id in err


def test_missing_sqlite_store_is_one_clear_line(cli: typer.Typer, tmp_path: Path) -> None:
    code, _, err = run(cli, "tail", "--store", f"sqlite:///{tmp_path}/nope.db")
    assert code == 1
    assert err.count("\n") == 1
    assert "nope.db does not exist" in err
    assert not (tmp_path / "nope.db").exists()  # reading never creates a store


def test_unreachable_postgres_is_one_clear_line(cli: typer.Typer) -> None:
    code, _, err = run(cli, "tail", "--store", "postgresql://u:secret@127.0.0.1:1/db")
    assert code == 1
    assert err.count("\n") == 1
    assert "cannot read the store at postgresql://u:***@127.0.0.1:1/db" in err
    assert "secret" not in err
    assert "Traceback" not in err


def test_unsupported_store_url_is_one_clear_line(cli: typer.Typer) -> None:
    code, _, err = run(cli, "tail", "--store", "mysql://db/x")
    assert code == 1
    assert "unsupported store URL scheme" in err


def test_render_call_without_payloads_or_attempts() -> None:
    console = Console(record=True, width=160)
    console.print(render_call(ERRORED))
    text = console.export_text()
    assert "upstream_unavailable" in text
    assert "every target failed" in text
    assert "request" not in text.split("attempts")[1]


async def test_follow_prints_only_new_calls(store_url: str) -> None:
    store = SqlCallStore(store_url)
    late = CallRecord(
        trace_id="cc44" + "3" * 28, started_at=1_700_000_000.5, model="chat", stream=False
    )
    await store.write_calls([late])  # started before the others, recorded after them
    printed: list[RenderableType] = []
    await follow_calls(store, SEEDED, printed.append, interval_s=0, polls=2)
    await store.aclose()
    console = Console(record=True, width=200)
    for renderable in printed:
        console.print(renderable)
    text = console.export_text()
    assert len(printed) == 1
    assert late.trace_id[:12] in text
    assert all(record.trace_id[:12] not in text for record in SEEDED)


def test_unreadable_config_is_one_clear_line(cli: typer.Typer, tmp_path: Path) -> None:
    config = tmp_path / "seawall.yaml"
    config.write_text("store: [\n", encoding="utf-8")
    code, _, err = run(cli, "tail", "--config", str(config))
    assert code == 1
    assert err.count("\n") == 1
    assert f"cannot read {config}" in err
