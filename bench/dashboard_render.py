#!/usr/bin/env python3
"""Dashboard render times with 1,000,000 call records in the store.

Fills a store with synthetic call records (spread over ``--days`` before now, with payloads,
10 tenants, 3 models, errors, streams, cache lookups and a canary's prompt runs), plus keys,
a live release, two eval runs with 200 cases, review items and alert history. Then serves the
gateway app with the dashboard in process (``httpx.ASGITransport``: server-side time, no
network), signs in as a global admin and as one tenant's developer, and times each page.

    .venv/bin/python bench/dashboard_render.py                      # SQLite, 1M records / 30 days
    .venv/bin/python bench/dashboard_render.py --days 7             # all 1M inside the 7-day window
    .venv/bin/python bench/dashboard_render.py --postgres postgresql://postgres@127.0.0.1/bench

The SQLite file is kept (``--db``) and reused when it already holds the records asked for.
Prints, per page, the first render and the p50 and max of ``--reps`` renders after it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from seawall.alerts.events import AlertEvent
from seawall.alerts.store import SqlAlertStore
from seawall.config import AuthConfig
from seawall.configload import parse_config
from seawall.core.clock import SystemClock
from seawall.evals.results import AssertionResult, CaseInfo, Run, SampleResult
from seawall.evals.store import EvalStore
from seawall.evals.summary import summarize
from seawall.http.app import create_app
from seawall.releases.controller import Release
from seawall.releases.store import SqlReleaseStore
from seawall.review.items import new_item
from seawall.review.store import SqlReviewStore
from seawall.security.service import Security
from seawall.store import open_store
from seawall.store.schema import calls
from seawall.wiring import build_runtime

CHUNK = 5_000
MODELS = (
    ("chat", 0.6, "gpt-4o-mini"),
    ("chat-large", 0.25, "gpt-4.1"),
    ("summarize", 0.15, "gpt-4.1-mini"),
)
TENANTS = [f"tenant{i:02d}" for i in range(10)]
CONFIG = """
auth: {{mode: keys}}
providers: {{sim: {{kind: sim}}}}
models:
  chat: {{targets: [{{provider: sim, model: gpt-4o-mini}}]}}
  chat-large: {{targets: [{{provider: sim, model: gpt-4.1}}]}}
  summarize: {{targets: [{{provider: sim, model: gpt-4.1-mini}}]}}
budgets:
  per_tenant: [{{limit_usd: 500, period: month, soft_usd: 400}}]
alerts: {{enabled: false}}
store: {{url: '{url}'}}
"""
REQUEST = {
    "model": "chat",
    "messages": [
        {"role": "system", "content": "You answer support questions." * 4},
        {"role": "user", "content": "Where is my order? " * 8},
    ],
}
RESPONSE = {
    "id": "x",
    "object": "chat.completion",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Your order ships tomorrow. " * 12},
            "finish_reason": "stop",
        }
    ],
}


# --------------------------------------------------------------------------- synthetic records


def synthetic_row(i: int, at: float, rng: random.Random) -> dict[str, Any]:
    """One plausible call record as a ``calls`` row (JSON columns already encoded)."""
    roll = rng.random()
    model, target = next(
        ((m, t) for m, share, t in _CUMULATIVE if roll < share), _CUMULATIVE[-1][::2]
    )
    latency = rng.lognormvariate(6.3, 0.7)
    stream = rng.random() < 0.25
    failure = rng.random()
    outcome, code, status = "ok", None, 200
    if failure < 0.025:
        outcome, code, status = "error", "upstream_unavailable", 502
    elif failure < 0.035:
        outcome, code, status = "error", "rate_limited", 429
    elif failure < 0.045:
        outcome, code, status = "degraded", "upstream_timeout", 200
    extra: dict[str, Any] = {}
    if rng.random() < 0.3:
        extra["cache"] = "hit" if rng.random() < 0.4 else "miss"
    prompt = release = None
    if rng.random() < 0.2:
        prompt = "faq"
        release = "faq@2" if rng.random() < 0.1 else "faq@1"
    prompt_tokens, completion_tokens = rng.randint(30, 900), rng.randint(10, 500)
    return {
        "trace_id": f"{rng.getrandbits(128):032x}",
        "started_at": at,
        "model": model,
        "stream": stream,
        "status_code": status,
        "outcome": outcome,
        "error_code": code,
        "error_message": None,
        "upstream": f"sim/{target}",
        "retries": 1 if rng.random() < 0.03 else 0,
        "fallback": rng.random() < 0.03,
        "latency_ms": latency,
        "ttft_ms": latency * rng.uniform(0.1, 0.4) if stream else None,
        "overhead_ms": rng.uniform(0.2, 0.9),
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "cost_usd": (prompt_tokens * 0.15 + completion_tokens * 0.6) / 1e6,
        "validation": "invalid" if rng.random() < 0.01 else "none",
        "degraded": outcome == "degraded",
        "tenant": TENANTS[min(int(rng.paretovariate(1.2)) - 1, len(TENANTS) - 1)],
        "key_id": f"key{i % 40:09d}",
        "prompt": prompt,
        "release": release,
        "confidence": rng.random() if prompt else None,
        "review_id": None,
        "attempts": orjson.dumps(
            [{"target": f"sim/{target}", "started_ms": 0.2, "latency_ms": latency, "status": "ok"}]
        ).decode(),
        "request": _REQUEST,
        "response": _RESPONSE,
        "extra": orjson.dumps(extra).decode(),
    }


_CUMULATIVE = []
_total = 0.0
for _name, _share, _target in MODELS:
    _total += _share
    _CUMULATIVE.append((_name, _total, _target))
_REQUEST, _RESPONSE = orjson.dumps(REQUEST).decode(), orjson.dumps(RESPONSE).decode()


async def fill(url: str, records: int, days: float, now: float) -> None:
    """Bulk-insert ``records`` rows spread evenly over ``days`` before ``now``."""
    store = await open_store(url)
    engine = store.engine
    insert = sa.insert(calls).compile(dialect=engine.dialect)
    order = list(insert.positiontup or [])
    rng = random.Random(7)
    step = days * 86_400 / records
    start = now - days * 86_400
    began = time.perf_counter()
    try:
        for first in range(0, records, CHUNK):
            rows = []
            for i in range(first, min(records, first + CHUNK)):
                row = synthetic_row(i, start + i * step, rng)
                rows.append(tuple(row[name] for name in order))
            async with engine.begin() as conn:
                await conn.exec_driver_sql(str(insert), rows)
            if first % 100_000 == 0:
                print(f"  {first:>9,} rows  {time.perf_counter() - began:5.0f} s", flush=True)
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:  # what autovacuum does soon after a bulk load
                await conn.exec_driver_sql("ANALYZE calls")
    finally:
        await store.aclose()
    print(f"filled {records:,} records in {time.perf_counter() - began:.0f} s")


async def count(url: str) -> int:
    """Call records already in the store."""
    store = await open_store(url)
    try:
        return await store.count_calls()
    finally:
        await store.aclose()


async def seed_rest(url: str, now: float) -> dict[str, str]:
    """Keys, a live release, eval runs, review items and alert history."""
    store = await open_store(url)
    engine = store.engine
    try:
        # Finished (promoted), so the gateway's canary controller leaves it alone; the page
        # measures its arms the same way as a live one's.
        await SqlReleaseStore(engine).save(
            Release("bench-rel", "faq", 2, 1, 0.1, "promoted", now - 6 * 3600, "bench", now - 60)
        )
        evals = EvalStore(engine)
        cases = [CaseInfo(f"case-{i:03d}", (f"tag{i % 5}",)) for i in range(200)]
        for n in range(2):
            results = [
                SampleResult(c.id, s, "fail" if (i + n) % 17 == 0 else "pass", 1.0, "", "out",
                             (AssertionResult("contains", True, 1.0),), 100.0, cost_usd=0.0001)
                for i, c in enumerate(cases) for s in range(3)
            ]  # fmt: skip
            run = Run(f"bench-run-{n}", "support", "prompt:faq", "f" * 16, now - 7200 + n * 600,
                      3, 0, cases, {"pass_rate": 0.9}, "complete", now - 7000 + n * 600, None, results)  # fmt: skip
            await evals.save_run(run, summarize(run).brief())
        reviews = SqlReviewStore(url)
        for i in range(200):
            item = new_item(tenant=TENANTS[i % 10], trace_id=None, source="complaint", mode="advise",
                            reasons=[{"code": "complaint", "message": "wrong"}], context={"model": "chat"},
                            answer="an answer", now=now - i * 60, sla_s=86_400, claim_timeout_s=900)  # fmt: skip
            await reviews.create_item(item)
        await reviews.aclose()
        events = [
            AlertEvent("error-rate", "error_rate", "firing" if i % 2 == 0 else "resolved", "page",
                       {"model": "chat", "tenant": TENANTS[i % 10]}, "error rate 3%", "", now - i * 600)
            for i in range(300)
        ]  # fmt: skip
        await SqlAlertStore(engine).save([], events, now)
    finally:
        await store.aclose()
    security = Security(url, AuthConfig(), SystemClock())
    await security.start(refresh_in_background=False)
    try:
        root = await security.create_key("bench", tenant="*", role="admin")
        dev = await security.create_key("bench", tenant=TENANTS[0], role="developer")
        return {"global admin": root.secret, "tenant developer": dev.secret}
    finally:
        await security.aclose()


# --------------------------------------------------------------------------- timing


class ShiftedClock(SystemClock):
    """Wall time moved back to just after the last stored call, as if traffic were live."""

    def __init__(self, shift_s: float) -> None:
        self.shift_s = shift_s

    def wall(self) -> float:
        return time.time() - self.shift_s


async def last_call_at(url: str) -> float:
    """When the newest stored call started."""
    store = await open_store(url)
    try:
        async with store.engine.connect() as conn:
            found = (await conn.execute(sa.select(sa.func.max(calls.c.started_at)))).scalar()
    finally:
        await store.aclose()
    return float(found or time.time())


@asynccontextmanager
async def dashboard(url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway app with the dashboard, started, behind an in-process client."""
    shift = max(0.0, time.time() - await last_call_at(url) - 1.0)
    config = parse_config(CONFIG.format(url=url), "bench.yaml")
    runtime = build_runtime(config, clock=ShiftedClock(shift))
    app = create_app(runtime)  # the gateway app mounts the dashboard under /ui
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client


async def sign_in(client: httpx.AsyncClient, key: str) -> None:
    """Sign in through the form, as a browser does."""
    client.cookies.clear()
    form = await client.get("/ui/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    done = await client.post("/ui/login", data={"csrf": token.group(1), "key": key, "next": "/ui"})
    assert done.status_code == 303, done.text


async def pages(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    """The pages to time: (name, path)."""
    listing = await client.get("/ui/traces?window=24h")
    trace = re.search(r"/ui/traces/([0-9a-f]{32})", listing.text)
    assert trace is not None, listing.text[:500]
    return [
        ("overview 1h", "/ui/overview?window=1h"),
        ("overview 24h", "/ui/overview?window=24h"),
        ("overview 7d", "/ui/overview?window=7d"),
        ("traces 24h", "/ui/traces?window=24h"),
        ("traces 24h, errors of a model", "/ui/traces?window=24h&outcome=error&model=summarize"),
        ("traces, id search", f"/ui/traces?q={trace.group(1)[:8]}"),
        ("trace", f"/ui/traces/{trace.group(1)}"),
        ("releases", "/ui/releases"),
        ("evals", "/ui/evals"),
        ("eval run + diff", "/ui/evals/bench-run-1"),
        ("reviews", "/ui/reviews"),
        ("alerts", "/ui/alerts"),
        ("drift", "/ui/drift"),
        ("usage 24h", "/ui/usage?window=24h"),
        ("usage 7d", "/ui/usage?window=7d"),
    ]


async def time_pages(client: httpx.AsyncClient, reps: int) -> list[tuple[str, float, float, float]]:
    """First render, p50 and max (ms) of each page."""
    found = []
    for name, path in await pages(client):
        samples = []
        for _ in range(reps + 1):
            began = time.perf_counter()
            response = await client.get(path)
            elapsed = time.perf_counter() - began
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
            samples.append(elapsed * 1000)
        # The first render compiles the statements (and finds colder database pages).
        found.append((name, samples[0], statistics.median(samples[1:]), max(samples[1:])))
    return found


async def bench(url: str, records: int, days: float, reps: int) -> None:
    """Fill (once), seed, then time every page for both viewers."""
    now = time.time()
    have = await count(url)
    if have != records:
        if have:
            raise SystemExit(f"{url} holds {have:,} records, not {records:,}: use another --db")
        await fill(url, records, days, now)
    keys = await seed_rest(url, await last_call_at(url))  # on the records' own time line
    async with dashboard(url) as client:
        for who, key in keys.items():
            await sign_in(client, key)
            print(f"\n{who}  ({url.split('?')[0]}, {records:,} records over {days:g} days)")
            print(f"  {'page':32} {'first ms':>9} {'p50 ms':>9} {'max ms':>9}")
            for name, first, p50, worst in await time_pages(client, reps):
                print(f"  {name:32} {first:9.1f} {p50:9.1f} {worst:9.1f}")


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--db", type=Path, default=Path("/tmp/seawall-bench/dashboard.db"))
    parser.add_argument("--postgres", help="also (or only, with --no-sqlite) a PostgreSQL URL")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        asyncio.run(bench(f"sqlite:///{args.db}", args.records, args.days, args.reps))
    if args.postgres:
        asyncio.run(bench(args.postgres, args.records, args.days, args.reps))


if __name__ == "__main__":
    main()
