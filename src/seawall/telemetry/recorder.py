"""The batching recorder: call records leave the hot path in O(1) and reach the store in batches.

``submit`` appends to a bounded deque and returns; one background task drains it. A full queue
drops (counted, logged, reported) rather than slowing calls down; a failing store is retried
with backoff while the batch stays in memory, so nothing accepted is lost once it recovers.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from seawall.config import StoreConfig
from seawall.telemetry.records import CallRecord

log = logging.getLogger(__name__)

_WARN_EVERY_S = 1.0


class CallWriter(Protocol):
    """Where batches go; any ``CallStore`` is one."""

    async def write_calls(self, records: Sequence[CallRecord]) -> None: ...


class BatchingRecorder:
    """Accepts call records without waiting and writes them in batches in the background."""

    def __init__(
        self,
        store: CallWriter,
        *,
        queue_size: int = 50_000,
        batch_size: int = 500,
        flush_interval_s: float = 0.2,
        on_drop: Callable[[int], None] | None = None,
        on_depth: Callable[[int], None] | None = None,
        retry_base_s: float = 0.1,
        retry_max_s: float = 5.0,
    ) -> None:
        """``on_drop(n)`` hears of each drop of n records, ``on_depth(d)`` of the depth."""
        self._store = store
        self._capacity = queue_size
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._on_drop = on_drop
        self._on_depth = on_depth
        self._retry_base = retry_base_s
        self._retry_max = retry_max_s
        self._queue: deque[CallRecord] = deque()
        self._wakeup = asyncio.Event()
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._accepted = 0  # records taken by submit, ever
        self._done = 0  # of those, records handed to the store successfully (in order)
        self._in_flight = 0
        self._dropped = 0
        self._last_warning = -_WARN_EVERY_S

    @classmethod
    def from_config(
        cls,
        store: CallWriter,
        config: StoreConfig,
        *,
        on_drop: Callable[[int], None] | None = None,
        on_depth: Callable[[int], None] | None = None,
    ) -> BatchingRecorder:
        return cls(
            store,
            queue_size=config.queue_size,
            batch_size=config.batch_size,
            flush_interval_s=config.flush_interval_ms / 1000,
            on_drop=on_drop,
            on_depth=on_depth,
        )

    @property
    def depth(self) -> int:
        """Records accepted but not yet written (queued or in the batch being written)."""
        return len(self._queue) + self._in_flight

    @property
    def dropped(self) -> int:
        return self._dropped

    @property
    def written(self) -> int:
        return self._done

    @property
    def running(self) -> bool:
        """The background writer is alive and accepting records."""
        return self._task is not None and not self._task.done() and not self._closing

    def submit(self, record: CallRecord) -> bool:
        """Queue a record for writing; False when it was dropped (queue full or closed)."""
        queue = self._queue
        if len(queue) >= self._capacity:
            self._drop()
            return False
        queue.append(record)
        self._accepted += 1
        # Wake the writer only on the edges it waits for: the first record (it sleeps on an
        # empty queue) and a full batch (it would otherwise wait out the interval).
        if len(queue) == 1 or len(queue) >= self._batch_size:
            self._wakeup.set()
        return True

    def start(self) -> None:
        """Start the background writer (needs a running event loop)."""
        if self._task is None:
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(), name="seawall-call-record-writer")

    async def flush(self) -> None:
        """Wait until every record accepted so far is written."""
        target = self._accepted
        if self._done >= target:
            return
        if self._task is None or self._task.done():
            raise RuntimeError("the recorder is not running: call start() first")
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((target, waiter))
        self._wakeup.set()
        await waiter

    async def close(self, grace_s: float = 10.0) -> None:
        """Write everything accepted, then stop; records still unwritten after ``grace_s``
        seconds (the store is down) are lost and logged. Later submits are refused."""
        self._closing = True
        self._capacity = 0
        self.start()
        self._wakeup.set()
        assert self._task is not None
        done, _ = await asyncio.wait({self._task}, timeout=grace_s)
        if done:
            self._report_crash(self._task)
        else:
            await self._abandon(grace_s)
        self._fail_waiters()

    def _drop(self) -> None:
        self._dropped += 1
        if self._on_drop is not None:
            self._on_drop(1)
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            why = "the recorder is closed" if self._closing else "the record queue is full"
            log.warning("call record dropped: %s (%d dropped so far)", why, self._dropped)

    async def _run(self) -> None:
        while self._queue or not self._closing:
            await self._wait_for_batch()
            if self._queue:
                await self._write(self._take_batch())
            if self._on_depth is not None:
                self._on_depth(self.depth)

    async def _wait_for_batch(self) -> None:
        if not self._queue and not self._closing:
            self._wakeup.clear()
            await self._wakeup.wait()  # idle: no timer ticks while nothing is queued
        if self._closing or self._waiters or len(self._queue) >= self._batch_size:
            return
        # Let a trickle of records gather into one batch, but none waits past the interval.
        self._wakeup.clear()
        try:
            async with asyncio.timeout(self._interval):
                await self._wakeup.wait()
        except TimeoutError:
            pass

    def _take_batch(self) -> list[CallRecord]:
        queue = self._queue
        batch = [queue.popleft() for _ in range(min(len(queue), self._batch_size))]
        self._in_flight = len(batch)
        return batch

    async def _write(self, batch: list[CallRecord]) -> None:
        failures = 0
        while True:
            try:
                await self._store.write_calls(batch)
                break
            except Exception:
                failures += 1
                delay = self._backoff(failures)
                log.error(
                    "writing %d call records failed (try %d); retrying in %.2fs, %d queued",
                    len(batch),
                    failures,
                    delay,
                    len(self._queue),
                    exc_info=failures == 1,  # one traceback per outage, not one per retry
                )
                await asyncio.sleep(delay)
        if failures:
            log.warning("call record store recovered after %d failed tries", failures)
        self._in_flight = 0
        self._done += len(batch)
        self._release_waiters()

    def _backoff(self, failures: int) -> float:
        # Full jitter, so replicas that lost the same database do not return in lockstep.
        ceiling = min(self._retry_max, self._retry_base * 2 ** (failures - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _release_waiters(self) -> None:
        pending = []
        for target, waiter in self._waiters:
            if self._done >= target:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                pending.append((target, waiter))
        self._waiters = pending

    def _fail_waiters(self) -> None:
        for _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(
                    RuntimeError("recorder closed before the records were written")
                )
        self._waiters = []

    async def _abandon(self, grace_s: float) -> None:
        assert self._task is not None
        lost = self.depth
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        log.error(
            "call record writer stopped after %.1fs: %d records were never written", grace_s, lost
        )

    @staticmethod
    def _report_crash(task: asyncio.Task[None]) -> None:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            log.error("call record writer crashed", exc_info=error)
