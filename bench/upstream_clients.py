#!/usr/bin/env python3
"""CPU per request of upstream HTTP clients, against the simulator (0 ms), in one process.

Answers DESIGN.md's "aiohttp or httpx for upstream calls (whichever the benchmark favours)" and
prices the per-attempt timeout wrapper. Starts a simulator on a free port (on CPU 1 when
``taskset`` exists), runs each client variant pinned to CPU 0 with 64 requests in flight, and
prints CPU milliseconds per request (user + system of this process) and requests per second.

    .venv/bin/python bench/upstream_clients.py [--requests 10000] [--concurrency 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any, cast

import aiohttp
import httptools
import httpx
import orjson

BODY: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "You are a concise support assistant for a bookshop."},
        {"role": "user", "content": "My parcel still says 'label created'. Should I worry?"},
    ],
    "max_tokens": 128,
}
Call = Callable[[], Awaitable[None]]


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(call: Call, requests: int, concurrency: int) -> tuple[float, float]:
    """(CPU ms per request, requests per second) of ``requests`` calls, ``concurrency`` at once."""
    left = requests

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await call()

    await asyncio.gather(*(call() for _ in range(concurrency)))  # warm the pool
    cpu0, wall0 = cpu_s(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    cpu, wall = cpu_s() - cpu0, time.perf_counter() - wall0
    return cpu * 1000 / requests, requests / wall


async def compare(variants: dict[str, Call], requests: int, concurrency: int, rounds: int) -> None:
    """Interleaved rounds, so drift hits every variant alike; prints each one's median."""
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, call in variants.items():
            results[name].append(await measure(call, requests, concurrency))
    for name, runs in results.items():
        cpu = statistics.median(r[0] for r in runs)
        rps = statistics.median(r[1] for r in runs)
        spread = f"{min(r[0] for r in runs):.3f}-{max(r[0] for r in runs):.3f}"
        print(f"{name:48s} {cpu:6.3f} ms CPU/request ({spread}) {rps:7.0f} req/s", flush=True)


class _RawConnection(asyncio.Protocol):
    """A minimal keep-alive HTTP/1.1 client connection (httptools), one request at a time."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._waiter: asyncio.Future[bytes] | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        body, self._body = b"".join(self._body), []
        if waiter is not None and not waiter.done():
            waiter.set_result(body)

    def request(self, head: bytes, payload: bytes) -> asyncio.Future[bytes]:
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(head + b"Content-Length: %d\r\n\r\n" % len(payload) + payload)
        return self._waiter


async def run(url: str, requests: int, concurrency: int, rounds: int) -> None:
    headers = {"User-Agent": "seawall", "Content-Type": "application/json"}
    no_timeout = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=None, sock_read=None)
    connector = aiohttp.TCPConnector(limit=256, keepalive_timeout=15)
    session = aiohttp.ClientSession(connector=connector, headers=headers, timeout=no_timeout)

    async def as_transport() -> None:  # what providers/transport.py does per attempt
        timeout = aiohttp.ClientTimeout(total=30)
        async with session.post(url, data=orjson.dumps(BODY), timeout=timeout) as response:
            raw = await response.read()
        orjson.loads(raw)

    async def with_wait_for() -> None:  # plus stages/invoke.py's _bounded
        await asyncio.wait_for(as_transport(), 30)

    async def with_timeout_cm() -> None:  # the same bound without a task per attempt
        async with asyncio.timeout(30):
            await as_transport()

    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    head = f"POST /{path} HTTP/1.1\r\nHost: {host_port}\r\nContent-Type: application/json\r\n"
    loop = asyncio.get_running_loop()
    pool: list[_RawConnection] = []
    for _ in range(concurrency):
        _, protocol = await loop.create_connection(_RawConnection, host, int(port))
        pool.append(protocol)

    async def with_raw() -> None:
        connection = pool.pop()
        try:
            raw = await connection.request(head.encode(), orjson.dumps(BODY))
        finally:
            pool.append(connection)
        orjson.loads(raw)

    variants: dict[str, Call] = {
        "aiohttp, as providers/transport.py": as_transport,
        "aiohttp + asyncio.wait_for (invoke._bounded)": with_wait_for,
        "aiohttp + asyncio.timeout()": with_timeout_cm,
        "raw asyncio.Protocol + httptools (lower bound)": with_raw,
    }
    await compare(variants, requests, concurrency, rounds)
    await session.close()

    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=256), headers=headers)

    async def with_httpx() -> None:
        response = await client.post(url, content=orjson.dumps(BODY), timeout=30)
        orjson.loads(response.content)

    await compare(
        {"httpx (1000 requests, one round: it is slow)": with_httpx}, 1000, concurrency, 1
    )
    await client.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="per variant and round")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    pin = ["taskset", "-c", "1"] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []
    cmd = [*pin, sys.executable, "-m", "seawall.cli", "sim", "--port", str(port)]
    sim = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                break
            time.sleep(0.1)
        if pin:
            os.sched_setaffinity(0, {0})
        with contextlib.suppress(ImportError):
            import uvloop

            uvloop.install()
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        print(f"{args.concurrency} in flight; simulator at 0 ms on CPU 1, clients on CPU 0")
        asyncio.run(run(url, args.requests, args.concurrency, args.rounds))
    finally:
        sim.terminate()
        sim.wait(10)


if __name__ == "__main__":
    main()
