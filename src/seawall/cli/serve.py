"""``seawall serve``: run the gateway."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from seawall.cli.common import console, errors, load_or_exit, print_warnings
from seawall.config import Config
from seawall.http.app import create_app
from seawall.store.calls import open_store
from seawall.wiring import StartupError, build_runtime


def preflight(config: Config) -> None:
    """Open the store once before serving, so a bad URL is a clear message, not a traceback."""

    async def probe() -> None:
        store = await open_store(config.store.url)
        await store.aclose()

    try:
        asyncio.run(probe())
    except Exception as exc:
        raise StartupError(f"store.url: cannot open {config.store.url}: {exc}") from exc


def uvicorn_config(app: object, config: Config, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        loop="uvloop" if _has_uvloop() else "asyncio",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=int(config.server.drain_timeout_s),
        backlog=4096,
        # Longer than the idle timeout of common load balancers (60 s), so they close first.
        timeout_keep_alive=75,
    )


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def banner(config: Config, host: str, port: int) -> None:
    base = f"http://{host}:{port}"
    console.print(f"[bold]Seawall gateway[/] listening on [cyan]{base}[/]")
    console.print(f"  OpenAI base_url  {base}/v1")
    console.print(f"  models           {', '.join(config.models)}")
    console.print(
        f"  metrics          {base}/metrics   health {base}/healthz   ready {base}/readyz"
    )
    console.print(f"  store            {config.store.url}")
    if config.auth.mode == "open":
        console.print(
            "[yellow]  OPEN MODE (auth.mode=open): no API key is checked; do not expose this gateway[/]"
        )
    elif config.auth.mode == "auto":
        console.print(
            "  auth             API keys once any exists (auth.mode=auto); until then OPEN MODE,"
            " flagged on /readyz"
        )
    if any(p.kind == "sim" for p in config.providers.values()):
        console.print(
            "[magenta]  upstream includes the SIMULATOR (sim): answers are not from a model[/]"
        )


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        config: Annotated[Path, typer.Option("--config", "-c", help="Config file.")] = Path(
            "seawall.yaml"
        ),
        host: Annotated[str | None, typer.Option(help="Override server.host.")] = None,
        port: Annotated[int | None, typer.Option(help="Override server.port.")] = None,
    ) -> None:
        """Serve the OpenAI-compatible gateway (POST /v1/chat/completions, /metrics, ...).

        Refuses to start on an invalid config. SIGTERM or Ctrl-C stops accepting, lets
        in-flight calls finish (server.drain_timeout_s) and flushes every call record.
        """
        loaded = load_or_exit(config)
        print_warnings(loaded)
        cfg = loaded.config
        try:
            preflight(cfg)
        except StartupError as exc:
            errors.print(f"[bold red]✗ {config}: {exc}[/]")
            raise typer.Exit(1) from None
        h, p = host or cfg.server.host, port if port is not None else cfg.server.port
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        banner(cfg, h, p)
        app = create_app(build_runtime(cfg), freeze_heap=True)
        run_server(uvicorn.Server(uvicorn_config(app, cfg, h, p)))


def run_server(server: uvicorn.Server) -> None:
    """Serve until SIGTERM/SIGINT, drain, flush records, and exit 0.

    uvicorn re-raises the signal it caught once it has shut down; with the default handler
    that would kill the process (exit -15) after an orderly drain. A no-op handler makes the
    orderly stop an ordinary exit 0.
    """
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
