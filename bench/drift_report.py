#!/usr/bin/env python3
"""Time of a drift report over a store of a million call records (SQLite).

Fills a fresh SQLite store (schema by the migrations, rows by one bulk insert) with eight days
of traffic on four routes (three logical models, one of them with a prompt in two releases),
every call with a stored request payload and one call in twenty with feedback; on the last
day one route receives Cyrillic questions with longer prompts. Then times
``DriftMonitor.report`` (what the server runs every ``interval_s`` and
``seawall drift report`` runs once): all default features, then without the message features
(no payload sample), and prints the findings.

    .venv/bin/python bench/drift_report.py                      # 1,000,000 records
    .venv/bin/python bench/drift_report.py --records 100000     # quicker
    .venv/bin/python bench/drift_report.py --db /tmp/drift.db   # keep (and reuse) the data

CPU seconds are the process's (the SQLite driver's thread included): on a busy machine they
are steadier than wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from seawall.drift.config import DriftConfig
from seawall.drift.monitor import DriftMonitor
from seawall.store.engine import create_engine
from seawall.store.migrate import migrate
from seawall.store.schema import calls
from seawall.store.schema.reviews import feedback

DAY = 86_400.0
NOW = 1_790_000_000.0
ENGLISH = [
    "How do I reset my password?",
    "What are your opening hours on Sunday?",
    "Can I change the delivery address of my order?",
    "My invoice shows the wrong amount, please check it.",
    "Do you ship to Canada?",
]
RUSSIAN = ["Как сбросить пароль?", "Вы доставляете в Канаду?", "Есть ли скидка для студентов?"]
ROUTES = [  # (model, prompt, release, share of traffic)
    ("chat", None, None, 0.5),
    ("faq", None, None, 0.2),
    ("support", "triage", "triage@3", 0.2),
    ("support", "triage", "triage@4", 0.1),
]


def call_row(rng: random.Random, at: float, drifted: bool) -> dict[str, Any]:
    model, prompt, release, _ = rng.choices(ROUTES, weights=[r[3] for r in ROUTES])[0]
    shifted = drifted and model == "faq"
    text = rng.choice(RUSSIAN if shifted else ENGLISH)
    request = {"model": model, "messages": [{"role": "user", "content": text}]}
    return {
        "trace_id": f"{rng.getrandbits(128):032x}",
        "started_at": at,
        "model": model,
        "stream": 0,
        "status_code": 200,
        "outcome": "ok" if rng.random() > 0.01 else "error",
        "upstream": "openai/gpt-4o-mini",
        "retries": 0,
        "fallback": 0,
        "latency_ms": rng.lognormvariate(6, 0.4),
        "overhead_ms": 0.3,
        "prompt_tokens": max(1, round(rng.gauss(120 if shifted else 40, 8))),
        "completion_tokens": max(1, round(rng.gauss(150, 30))),
        "cost_usd": 0.0001,
        "validation": "invalid" if rng.random() < 0.02 else "valid",
        "degraded": 0,
        "prompt": prompt,
        "release": release,
        "confidence": round(rng.betavariate(8, 2), 3),
        "attempts": "[]",
        "request": orjson.dumps(request).decode(),
        "extra": "{}",
    }


def fill(path: Path, records: int, seed: int) -> tuple[float, int]:
    """Bulk insert ``records`` calls over the eight days before NOW; (seconds, feedback rows)."""
    migrate(f"sqlite:///{path}")
    rng = random.Random(seed)
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    columns = [c.name for c in calls.c]
    insert = f"INSERT INTO calls ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    fb_columns = [c.name for c in feedback.c]
    fb_insert = f"INSERT INTO feedback ({', '.join(fb_columns)}) VALUES ({', '.join('?' * len(fb_columns))})"
    feedback_rows = 0
    chunk = 50_000
    for begin in range(0, records, chunk):
        rows, fb_rows = [], []
        for i in range(begin, min(records, begin + chunk)):
            at = NOW - 8 * DAY + 8 * DAY * i / records
            row = call_row(rng, at, drifted=at >= NOW - DAY)
            rows.append(tuple(row.get(name) for name in columns))
            if rng.random() < 0.05:
                negative = rng.random() < 0.1
                fb = {
                    "id": f"fb{i:016x}",
                    "trace_id": row["trace_id"],
                    "kind": "rating",
                    "score": 0.0 if negative else 1.0,
                    "negative": int(negative),
                    "created_at": at + 60,
                    "actor": "bench",
                }
                fb_rows.append(tuple(fb.get(name) for name in fb_columns))
        db.executemany(insert, rows)
        db.executemany(fb_insert, fb_rows)
        db.commit()
        feedback_rows += len(fb_rows)
    db.close()
    return time.perf_counter() - started, feedback_rows


async def time_reports(path: Path) -> None:
    engine = create_engine(f"sqlite:///{path}")
    try:
        for label, config in (
            ("all default features", DriftConfig()),
            (
                "without message features",
                DriftConfig(
                    features=[
                        "input_tokens",
                        "output_tokens",
                        "validation",
                        "confidence",
                        "outcome",
                    ]
                ),
            ),
        ):
            monitor = DriftMonitor(engine, config)
            times = []
            for _ in range(2):
                started, cpu = time.perf_counter(), time.process_time()
                report = await monitor.report(NOW)
                times.append((time.perf_counter() - started, time.process_time() - cpu))
            (first, first_cpu), (again, again_cpu) = times
            print(
                f"report, {label}: {first:.2f} s ({first_cpu:.2f} s CPU), again {again:.2f} s "
                f"({again_cpu:.2f} s CPU); {len(report.rows)} rows, "
                f"{len(report.findings())} findings"
            )
            for finding in report.findings():
                print(f"  finding: {finding.summary}")
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", type=Path, help="Keep the database here; reuse it if it exists.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "drift.db"
        if not path.exists():
            seconds, fb_rows = fill(path, args.records, args.seed)
            print(
                f"inserted {args.records:,} calls and {fb_rows:,} feedback rows in {seconds:.1f} s "
                f"({args.records / seconds:,.0f} rows/s)"
            )
        print(f"database {path.stat().st_size / 1e6:,.0f} MB")
        asyncio.run(time_reports(path))


if __name__ == "__main__":
    main()
