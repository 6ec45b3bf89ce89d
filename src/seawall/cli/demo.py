"""``seawall demo``: the gateway on the simulator, a burst of realistic traffic, a report."""

from __future__ import annotations

import asyncio
import random
import socket
import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import aiohttp
import orjson
import typer
import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from seawall.cli.common import console, load_or_exit
from seawall.cli.demo_report import print_report
from seawall.cli.serve import banner, uvicorn_config
from seawall.config import Config
from seawall.configload import parse_config
from seawall.http.app import create_app
from seawall.wiring import Runtime, build_runtime

QUESTIONS = [
    "How do I reset my password?",
    "Can I change the billing date on my plan?",
    "The app crashes when I upload a photo, what should I do?",
    "What is your refund policy for annual subscriptions?",
    "How do I export my data to CSV?",
    "Is there a student discount?",
    "My invoice shows the wrong VAT number.",
    "How do I add a teammate to my workspace?",
]
ORDERS = ["What is the order status of A-1001?", "order status for my last purchase please"]


def demo_config() -> tuple[Config, str]:
    text = resources.files("seawall").joinpath("data/demo.yaml").read_text("utf-8")
    return parse_config(text, "demo.yaml (built in)"), "demo.yaml (built in)"


def free_port(host: str, preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind((host, preferred))
        except OSError:
            sock.bind((host, 0))
        return int(sock.getsockname()[1])


def request_for(i: int, rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.15:
        return {
            "model": "order-status",
            "messages": [{"role": "user", "content": rng.choice(ORDERS)}],
            "temperature": 0,
        }
    return {
        "model": "chat",
        "messages": [
            {"role": "system", "content": "You are the support assistant of Acme Cloud."},
            {"role": "user", "content": f"{rng.choice(QUESTIONS)} (ticket {i})"},
        ],
        "stream": rng.random() < 0.3,
    }


async def _one(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> int:
    async with session.post(
        url, data=orjson.dumps(body), headers={"content-type": "application/json"}
    ) as resp:
        await resp.read()
        return resp.status


async def drive(base: str, calls: int, rate: float, concurrency: int, seed: int) -> dict[int, int]:
    """Send ``calls`` requests at about ``rate`` per second, at most ``concurrency`` at once."""
    rng = random.Random(seed)
    statuses: dict[int, int] = {}
    gate = asyncio.Semaphore(concurrency)
    url = f"{base}/v1/chat/completions"
    columns = (TextColumn("[bold]traffic"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("calls", total=calls)

            async def send(i: int, body: dict[str, Any]) -> None:
                async with gate:
                    try:
                        status = await _one(session, url, body)
                    except (aiohttp.ClientError, TimeoutError):
                        status = 0
                statuses[status] = statuses.get(status, 0) + 1
                progress.advance(task)

            start = time.monotonic()
            pending = []
            for i in range(calls):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                pending.append(asyncio.create_task(send(i, request_for(i, rng))))
            await asyncio.gather(*pending)
    return statuses


async def run_demo(config: Config, port: int, calls: int, rate: float, once: bool) -> None:
    runtime: Runtime = build_runtime(config, seed=7)
    host = config.server.host
    server = uvicorn.Server(uvicorn_config(create_app(runtime), config, host, port))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            await serving
            raise typer.Exit(1)
        await asyncio.sleep(0.02)
    base = f"http://{host}:{port}"
    banner(config, host, port)
    started = time.time()
    statuses = await drive(base, calls, rate, concurrency=16, seed=7)
    assert runtime.recorder is not None
    assert runtime.store is not None
    await runtime.recorder.flush()
    records = await runtime.store.recent_calls(limit=calls * 2, since=started - 1)
    print_report(records, statuses, runtime.metrics)
    console.print(
        f"\n  Try it:  curl -s {base}/v1/chat/completions -H 'content-type: application/json' "
        '-d \'{"model":"chat","messages":[{"role":"user","content":"hi"}]}\''
    )
    console.print("  Traces:  seawall traces tail   ·   seawall traces show TRACE_ID")
    if once:
        server.should_exit = True
    else:
        console.print(f"\n[bold]Serving on {base} until Ctrl-C[/]")
    await serving


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        once: Annotated[
            bool, typer.Option("--once", help="Exit after the report instead of serving.")
        ] = False,
        calls: Annotated[int, typer.Option(min=1, help="Number of calls to send.")] = 400,
        rate: Annotated[float, typer.Option(min=1, help="Calls per second.")] = 30.0,
        port: Annotated[int, typer.Option(help="Port (a free one is used if taken).")] = 8080,
        config: Annotated[
            Path | None,
            typer.Option("--config", "-c", help="Use this config instead of the built-in demo."),
        ] = None,
    ) -> None:
        """Start the gateway on the built-in simulator, drive traffic through it, print a report.

        The simulated primary upstream fails now and then (5xx, 429, hangs, malformed JSON) and
        goes down completely for a few seconds; watch retries, the breaker, fallbacks and
        degraded answers handle it. Records land in the store (SQLite under .seawall/).
        """
        cfg = load_or_exit(config).config if config else demo_config()[0]
        asyncio.run(run_demo(cfg, free_port(cfg.server.host, port), calls, rate, once))
