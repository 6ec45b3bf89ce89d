"""The batching recorder against a real SQLite store: nothing accepted is lost, submit never waits."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from seawall.config import StoreConfig
from seawall.store import SqlCallStore, open_store
from seawall.telemetry.recorder import BatchingRecorder
from seawall.telemetry.records import CallRecord

FAST_RETRY = {"retry_base_s": 0.01, "retry_max_s": 0.05}


def record(n: int) -> CallRecord:
    return CallRecord(trace_id=f"{n:032x}", started_at=1_700_000_000.0 + n, model="m", stream=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "seawall.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqlCallStore]:
    opened = await open_store(f"sqlite:///{db_path}")
    yield opened
    await opened.aclose()


class FlakyStore:
    """Fault injector for the CallStore protocol: fails ``failures`` times, then delegates."""

    def __init__(self, real: SqlCallStore, failures: int) -> None:
        self.real = real
        self.failures = failures
        self.calls = 0

    async def write_calls(self, records: Sequence[CallRecord]) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("database went away")
        await self.real.write_calls(records)


class StuckStore:
    """A store whose writes hang until released (a database stalled on a lock or the network)."""

    def __init__(self, real: SqlCallStore) -> None:
        self.real = real
        self.release = asyncio.Event()

    async def write_calls(self, records: Sequence[CallRecord]) -> None:
        await self.release.wait()
        await self.real.write_calls(records)


async def test_everything_submitted_is_written_after_close(store: SqlCallStore) -> None:
    recorder = BatchingRecorder(store, batch_size=100, flush_interval_s=0.05)
    recorder.start()
    assert all(recorder.submit(record(n)) for n in range(1234))
    await recorder.close()
    assert await store.count_calls() == 1234
    assert (recorder.written, recorder.dropped, recorder.depth) == (1234, 0, 0)


async def test_close_writes_records_even_if_never_started(store: SqlCallStore) -> None:
    recorder = BatchingRecorder(store)
    recorder.submit(record(1))
    await recorder.close()
    assert await store.count_calls() == 1


async def test_flush_writes_without_waiting_for_the_interval(store: SqlCallStore) -> None:
    recorder = BatchingRecorder(store, flush_interval_s=30.0)
    recorder.start()
    for n in range(10):
        recorder.submit(record(n))
    started = time.monotonic()
    await recorder.flush()
    assert time.monotonic() - started < 1.0
    assert await store.count_calls() == 10
    await recorder.flush()  # nothing pending: returns at once
    await recorder.close()


async def test_a_trickle_is_written_within_the_flush_interval(store: SqlCallStore) -> None:
    recorder = BatchingRecorder(store, flush_interval_s=0.05)
    recorder.start()
    recorder.submit(record(1))
    for _ in range(100):
        if await store.count_calls():
            break
        await asyncio.sleep(0.01)
    assert await store.count_calls() == 1
    await recorder.close()


async def test_a_full_queue_drops_counts_and_warns(
    store: SqlCallStore, caplog: pytest.LogCaptureFixture
) -> None:
    drops: list[int] = []
    recorder = BatchingRecorder(store, queue_size=10, on_drop=drops.append)
    with caplog.at_level(logging.WARNING, logger="seawall.telemetry.recorder"):
        accepted = [recorder.submit(record(n)) for n in range(25)]
    assert accepted == [True] * 10 + [False] * 15
    assert recorder.dropped == 15
    assert sum(drops) == 15
    assert recorder.depth == 10
    warnings = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(warnings) == 1  # at most one a second, whatever the drop rate
    assert "queue is full" in warnings[0]
    assert "1 dropped" in warnings[0]
    await recorder.close()
    assert await store.count_calls() == 10


async def test_submit_never_waits_for_a_stuck_store(store: SqlCallStore) -> None:
    stuck = StuckStore(store)
    recorder = BatchingRecorder(stuck, queue_size=1000, batch_size=50, flush_interval_s=0.01)
    recorder.start()
    recorder.submit(record(0))
    await asyncio.sleep(0.05)  # the writer is now blocked inside write_calls
    started = time.perf_counter()
    accepted = sum(recorder.submit(record(n)) for n in range(1, 5001))
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5  # ~1 µs each; the bound only rules out waiting
    assert accepted == 1000
    assert recorder.dropped == 4000
    stuck.release.set()
    await recorder.flush()
    assert await store.count_calls() == 1001


async def test_records_survive_a_failing_database(store: SqlCallStore, db_path: Path) -> None:
    # A real failure: the table disappears under the writer (every insert errors), then returns.
    recorder = BatchingRecorder(store, batch_size=20, flush_interval_s=0.01, **FAST_RETRY)
    recorder.start()
    with sqlite3.connect(db_path) as conn:
        conn.execute("ALTER TABLE calls RENAME TO calls_away")
    for n in range(50):
        recorder.submit(record(n))
    await asyncio.sleep(0.2)  # several failed tries
    assert recorder.written == 0
    assert recorder.depth == 50
    with sqlite3.connect(db_path) as conn:
        conn.execute("ALTER TABLE calls_away RENAME TO calls")
    await asyncio.wait_for(recorder.flush(), 5)
    assert await store.count_calls() == 50
    await recorder.close()


async def test_close_waits_out_an_outage_within_its_grace(
    store: SqlCallStore, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyStore(store, failures=3)
    recorder = BatchingRecorder(flaky, **FAST_RETRY)
    recorder.start()
    for n in range(30):
        recorder.submit(record(n))
    with caplog.at_level(logging.WARNING, logger="seawall.telemetry.recorder"):
        await recorder.close(grace_s=5)
    assert await store.count_calls() == 30
    assert flaky.calls == 4
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 3
    assert errors[0].exc_info
    assert not errors[1].exc_info
    assert any("recovered" in r.getMessage() for r in caplog.records)


async def test_close_gives_up_after_its_grace_and_says_what_was_lost(
    store: SqlCallStore, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = BatchingRecorder(FlakyStore(store, failures=10**9), **FAST_RETRY)
    recorder.start()
    for n in range(7):
        recorder.submit(record(n))
    with caplog.at_level(logging.ERROR, logger="seawall.telemetry.recorder"):
        await recorder.close(grace_s=0.1)
    assert "7 records were never written" in caplog.text


async def test_submit_after_close_is_refused(store: SqlCallStore) -> None:
    recorder = BatchingRecorder(store)
    recorder.start()
    await recorder.close()
    assert recorder.submit(record(1)) is False
    assert recorder.dropped == 1
    assert await store.count_calls() == 0


async def test_flush_before_start_is_an_error(store: SqlCallStore) -> None:
    recorder = BatchingRecorder(store)
    recorder.submit(record(1))
    with pytest.raises(RuntimeError, match="start"):
        await recorder.flush()
    await recorder.close()


async def test_depth_is_reported_per_batch(store: SqlCallStore) -> None:
    depths: list[int] = []
    recorder = BatchingRecorder(store, batch_size=10, on_depth=depths.append)
    for n in range(25):
        recorder.submit(record(n))
    recorder.start()
    await recorder.close()
    assert depths[:3] == [15, 5, 0]


def test_from_config_reads_the_store_settings(tmp_path: Path) -> None:
    config = StoreConfig(queue_size=3, batch_size=2, flush_interval_ms=250)
    recorder = BatchingRecorder.from_config(SqlCallStore(f"sqlite:///{tmp_path}/x.db"), config)
    assert [recorder.submit(record(n)) for n in range(4)] == [True, True, True, False]
