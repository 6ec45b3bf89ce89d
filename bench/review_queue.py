#!/usr/bin/env python3
"""The review work's costs: scoring and escalating a call (hot path), and the queue's writes.

    .venv/bin/python bench/review_queue.py                 # SQLite in a temp dir
    .venv/bin/python bench/review_queue.py --store postgresql://postgres@127.0.0.1/seawall_bench

Prints: CPU microseconds per call of ``confidence.score`` + ``escalation.decide`` (what the
"score & escalate" stage adds to every call), and the latency of the durable queue operations
(create, claim, resolve) and of a claim race between two connection pools.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import tempfile
import time
from pathlib import Path

from seawall.review import items
from seawall.review.confidence import Signals, score
from seawall.review.escalation import CallSignals, EscalationRules, decide
from seawall.review.items import TransitionError
from seawall.review.store import SqlReviewStore
from seawall.store import open_store

RULES = EscalationRules(min_confidence=0.6, on_guard_flags=("injection",), mode="hold")


def bench_scoring(calls: int) -> None:
    signals = [
        Signals(
            token_logprobs=[math.log(0.5 + (i % 50) / 100)] * 40,
            validation=("valid", "repaired", "reasked")[i % 3],
            guard_flags=("injection",) if i % 17 == 0 else (),
        )
        for i in range(1000)
    ]
    escalated = 0
    started = time.process_time()
    for i in range(calls):
        s = signals[i % 1000]
        confidence = score(s)
        signal = CallSignals(confidence.score, s.validation or "none", s.guard_flags or ())
        escalated += decide(RULES, signal) is not None
    cpu_us = (time.process_time() - started) / calls * 1e6
    print(f"score + decide: {cpu_us:.1f} µs CPU per call (40 logprobs), "
          f"{escalated / calls:.0%} escalated")  # fmt: skip
    started = time.process_time()
    for _ in range(calls):
        decide(RULES, CallSignals(0.9, "valid", ()))
    cpu_us = (time.process_time() - started) / calls * 1e6
    print(f"decide alone, nothing fires: {cpu_us:.2f} µs CPU per call")


def new_item(now: float) -> items.ReviewItem:
    return items.new_item(
        tenant="acme",
        trace_id="a" * 32,
        source="escalation",
        mode="hold",
        reasons=[{"code": "low_confidence", "message": "confidence 0.20 is below 0.60"}],
        context={"messages": [{"role": "user", "content": "x" * 2000}], "model": "chat"},
        answer="y" * 500,
        now=now,
        sla_s=3600,
        claim_timeout_s=600,
    )


async def bench_store(url: str, n: int) -> None:
    await (await open_store(url)).aclose()
    store, other = SqlReviewStore(url), SqlReviewStore(url)
    timings: dict[str, list[float]] = {"create": [], "claim": [], "resolve": [], "race": []}
    try:
        for _ in range(n):
            now = time.time()
            item = new_item(now)
            t0 = time.perf_counter()
            await store.create_item(item)
            t1 = time.perf_counter()
            await store.claim(item.id, "key:a", now)
            t2 = time.perf_counter()
            await store.resolve(item.id, "key:a", "approve", now)
            t3 = time.perf_counter()
            timings["create"].append((t1 - t0) * 1000)
            timings["claim"].append((t2 - t1) * 1000)
            timings["resolve"].append((t3 - t2) * 1000)
            raced = new_item(now)
            await store.create_item(raced)
            t0 = time.perf_counter()
            outcomes = await asyncio.gather(
                store.claim(raced.id, "key:a", now),
                other.claim(raced.id, "key:b", now),
                return_exceptions=True,
            )
            timings["race"].append((time.perf_counter() - t0) * 1000)
            assert sum(isinstance(o, TransitionError) for o in outcomes) == 1, outcomes
    finally:
        await store.aclose()
        await other.aclose()
    backend = url.split(":", 1)[0]
    for name, values in timings.items():
        values.sort()
        p95 = values[int(0.95 * (len(values) - 1))]
        print(f"{backend} {name}: p50 {statistics.median(values):.2f} ms, p95 {p95:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="store URL (default: SQLite in a temp dir)")
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--items", type=int, default=200)
    args = parser.parse_args()
    bench_scoring(args.calls)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.store or f"sqlite:///{Path(tmp) / 'bench.db'}"
        asyncio.run(bench_store(url, args.items))


if __name__ == "__main__":
    main()
