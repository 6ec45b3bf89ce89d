"""The real gateway on a loopback port, configured from YAML text, for end-to-end tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from helpers.servers import serve_app
from seawall.configload import parse_config
from seawall.http.app import create_app
from seawall.wiring import Runtime, build_runtime


@dataclass
class Gateway:
    url: str  # http://127.0.0.1:PORT
    runtime: Runtime

    @property
    def v1(self) -> str:
        return f"{self.url}/v1"


@contextlib.contextmanager
def start_gateway(yaml_text: str, tmp_path: Path, *, seed: int = 1) -> Iterator[Gateway]:
    """Serve a gateway whose store is a fresh SQLite file under ``tmp_path``.

    ``yaml_text`` may leave out ``store:``; the block exits after a graceful shutdown, so
    every record has been flushed when it returns.
    """
    config = parse_config(yaml_text, "test.yaml")
    if "store:" not in yaml_text:
        store = config.store.model_copy(update={"url": f"sqlite:///{tmp_path / 'seawall.db'}"})
        config = config.model_copy(update={"store": store})
    runtime = build_runtime(config, seed=seed)
    with serve_app(create_app(runtime), lifespan="on") as url:
        yield Gateway(url, runtime)
