"""Real servers on loopback for integration tests: uvicorn in a thread with its own loop."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from seawall.config import SimSettings
from seawall.sim.engine import SimEngine
from seawall.sim.server import create_app, uvicorn_config

STARTUP_TIMEOUT_S = 10.0


@contextlib.contextmanager
def serve(config: uvicorn.Config) -> Iterator[str]:
    """Run ``config`` (use port 0) until the block exits; yields ``http://host:port``."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="test-uvicorn", daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_S)


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("test server exited during startup (see its log above)")
        if time.monotonic() > deadline:
            raise TimeoutError(f"test server not started after {STARTUP_TIMEOUT_S} s")
        time.sleep(0.005)


def serve_app(app: Any, **config: Any) -> contextlib.AbstractContextManager[str]:
    """Serve any ASGI ``app`` on a free loopback port; ``config`` overrides uvicorn settings."""
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "access_log": False,
        "log_level": "warning",
        "lifespan": "auto",
        "timeout_graceful_shutdown": 2,
        **config,
    }
    return serve(uvicorn.Config(app, **options))


def start_sim_server(
    settings: SimSettings | None = None, *, engine: SimEngine | None = None
) -> contextlib.AbstractContextManager[str]:
    """Serve the HTTP simulator on a free loopback port; yields its base URL (no ``/v1``).

    Pass ``engine`` to keep a handle on the simulator's state (``stats()``, ``set_outage``).
    """
    settings = settings or SimSettings()
    app = create_app(settings, engine=engine)
    return serve(uvicorn_config(app, "127.0.0.1", 0))
