#!/usr/bin/env python3
"""Alert latency: from the start of a sim outage to the alert event and its webhook delivery.

Each trial starts a real gateway in process (``build_runtime`` + ``create_app`` + uvicorn on
loopback, SQLite store, in-process ``sim`` upstream), an alert engine with the default rules
evaluating every N seconds on the same store (as the server will run it), and a webhook
receiver. It drives steady traffic, switches on a full outage (``SimEngine.set_outage``) and
measures the time until the ``error-rate`` alert (2% over 5 min, at least 20 calls) fires and
until its webhook arrives.

Target: one evaluation interval plus the window's minimum data, i.e. the time the outage needs
to push the window's error share over 2% (the record writer's flush interval included).

    .venv/bin/python bench/alert_latency.py            # intervals 1, 5 and 15 s, 3 trials each
    .venv/bin/python bench/alert_latency.py --quick    # intervals 1 and 5 s, one trial each
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import uvicorn
from aiohttp import web

from seawall.alerts.config import AlertsConfig
from seawall.alerts.engine import AlertEngine
from seawall.configload import parse_config
from seawall.http.app import create_app
from seawall.providers.sim import SimUpstream
from seawall.wiring import build_runtime

GATEWAY_YAML = """
providers:
  main: {{kind: sim, sim: {{latency: {{fixed_ms: 5}}}}}}
models:
  chat:
    targets: [{{provider: main, model: m}}]
store: {{url: "sqlite:///{db}"}}
"""
THRESHOLD = 0.02  # the default error-rate rule
BODY = {"model": "chat", "messages": [{"role": "user", "content": "ping"}]}


@dataclass
class Trial:
    interval_s: float
    rate: float
    warmup_s: float
    detect_s: float  # outage start -> the engine's firing event (its evaluation time)
    deliver_s: float  # outage start -> the webhook arrived
    window_calls: int  # calls in the 5-minute window when the outage began
    min_data_s: float  # time the outage needs to push the window over 2%, from its call rate

    @property
    def target_s(self) -> float:
        return self.interval_s + self.min_data_s


@contextlib.asynccontextmanager
async def gateway(db: Path) -> AsyncIterator[tuple[str, Any]]:
    runtime = build_runtime(parse_config(GATEWAY_YAML.format(db=db), "bench.yaml"), seed=1)
    config = uvicorn.Config(
        create_app(runtime), host="127.0.0.1", port=0, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            raise RuntimeError("gateway did not start")
        await asyncio.sleep(0.01)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    try:
        yield f"http://{host}:{port}", runtime
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def receiver() -> AsyncIterator[tuple[str, dict[str, float], asyncio.Event]]:
    arrivals: dict[str, float] = {}
    fired = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("status") == "firing":
            arrivals.setdefault(body["rule"], time.time())
            arrivals.setdefault(f"{body['rule']}:at", body["at"])
            if body["rule"] == "error-rate":
                fired.set()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hook", arrivals, fired
    finally:
        await runner.cleanup()


async def traffic(url: str, rate: float, stop: asyncio.Event, sent: list[float]) -> None:
    """Open-loop load: one call every 1/rate seconds, each in its own task."""
    async with aiohttp.ClientSession() as session:
        pending: set[asyncio.Task[None]] = set()

        async def one() -> None:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.post(f"{url}/v1/chat/completions", json=BODY) as response:
                    await response.read()

        start, n = time.monotonic(), 0
        while not stop.is_set():
            n += 1
            sent.append(time.time())
            task = asyncio.create_task(one())
            pending.add(task)
            task.add_done_callback(pending.discard)
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
        await asyncio.gather(*pending)


async def trial(interval_s: float, rate: float, warmup_s: float, rng: random.Random) -> Trial:
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            receiver() as (hook, arrivals, fired),
            gateway(Path(tmp) / "seawall.db") as (url, runtime),
        ):
            alerts = AlertsConfig.model_validate(
                {"interval_s": interval_s, "notifiers": {"hook": {"kind": "webhook", "url": hook}}}
            )
            assert runtime.store is not None
            engine = AlertEngine(
                alerts, runtime.store.engine, breakers=runtime.state.breaker_states
            )
            await engine.start()
            stop, sent = asyncio.Event(), []
            load = asyncio.create_task(traffic(url, rate, stop, sent))
            # The outage starts at a random phase of the evaluation cycle (seeded).
            await asyncio.sleep(warmup_s + rng.uniform(0.0, interval_s))
            upstream = runtime.providers["main"]
            assert isinstance(upstream, SimUpstream)
            outage_at = time.time()
            window_calls = sum(1 for t in sent if t >= outage_at - 300)
            upstream.engine.set_outage(None)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(fired.wait(), 60 + interval_s)
            stop.set()
            await load
            await engine.aclose()
    if "error-rate" not in arrivals:
        raise RuntimeError(f"no error-rate alert within {60 + interval_s:g}s of the outage")
    # Errors needed to push the window over 2%: e / (N + e) > 0.02.
    needed = int(THRESHOLD * window_calls / (1 - THRESHOLD)) + 1
    return Trial(
        interval_s=interval_s,
        rate=rate,
        warmup_s=warmup_s,
        detect_s=arrivals["error-rate:at"] - outage_at,
        deliver_s=arrivals["error-rate"] - outage_at,
        window_calls=window_calls,
        min_data_s=needed / rate + 0.2,  # + the record writer's flush interval (200 ms)
    )


def report(trials: list[Trial]) -> None:
    print(
        f"{'interval':>9} {'calls/s':>8} {'window':>7} {'detect':>8} {'webhook':>8} {'target':>8}  ok"
    )
    for t in trials:
        ok = "yes" if t.detect_s <= t.target_s else "NO"
        print(
            f"{t.interval_s:>8g}s {t.rate:>8g} {t.window_calls:>7} {t.detect_s:>7.2f}s "
            f"{t.deliver_s:>7.2f}s {t.target_s:>7.2f}s  {ok}"
        )
    for interval in sorted({t.interval_s for t in trials}):
        mine = [t for t in trials if t.interval_s == interval]
        print(
            f"interval {interval:g}s: detection median {statistics.median(t.detect_s for t in mine):.2f}s, "
            f"max {max(t.detect_s for t in mine):.2f}s; webhook median "
            f"{statistics.median(t.deliver_s for t in mine):.2f}s "
            f"(target <= {max(t.target_s for t in mine):.2f}s)"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two short trials")
    parser.add_argument("--rate", type=float, default=50.0, help="calls per second")
    parser.add_argument("--seed", type=int, default=1, help="seeds the outage phases")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("seawall.alerts").setLevel(logging.ERROR)
    intervals, runs, warmup = ([1.0, 5.0], 1, 10.0) if args.quick else ([1.0, 5.0, 15.0], 3, 20.0)
    trials, rng = [], random.Random(args.seed)
    for interval in intervals:
        for _ in range(runs):
            trials.append(await trial(interval, args.rate, warmup, rng))
            print(
                f"  trial at interval {interval:g}s: alert {trials[-1].detect_s:.2f}s after the outage",
                flush=True,
            )
    report(trials)


if __name__ == "__main__":
    asyncio.run(main())
