"""``Releases``: prompt serving and the canary controller over one engine, for the composition root.

runtime.releases = await Releases.open(url, security, clock, on_event=events.release_event)
runtime.releases.start(interval_s)   # the controller loop (a gateway; not the CLI)
await runtime.releases.aclose()
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.core.clock import Clock
from seawall.prompts.registry import SqlPromptRegistry
from seawall.releases.metrics import SqlArmMetrics
from seawall.releases.service import LOOK_INTERVAL_S, Auditor, EventCallback, ReleaseManager
from seawall.releases.serving import REFRESH_S, PromptRuns
from seawall.releases.store import SqlReleaseStore
from seawall.store.engine import create_engine
from seawall.store.migrate import upgrade_engine


class Releases:
    """What a running gateway holds for prompts: ``runs`` (serving) and ``manager`` (controller)."""

    def __init__(
        self,
        engine: AsyncEngine,
        audit: Auditor,
        clock: Clock,
        *,
        on_event: EventCallback | None = None,
        refresh_s: float = REFRESH_S,
        owns_engine: bool = False,
    ) -> None:
        self.engine = engine
        self.registry = SqlPromptRegistry(engine, clock=clock)
        self.store = SqlReleaseStore(engine)
        self.runs = PromptRuns(self.registry, self.store, clock, refresh_s=refresh_s)
        self.manager = ReleaseManager(
            self.registry,
            self.store,
            SqlArmMetrics(engine),
            audit,
            clock,
            on_event=on_event,
            on_change=self.runs.invalidate,
        )
        self._owns_engine = owns_engine
        self._loop: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        url: str,
        audit: Auditor,
        clock: Clock,
        *,
        on_event: EventCallback | None = None,
        refresh_s: float = REFRESH_S,
        migrate: bool = True,
    ) -> Releases:
        """On an engine of its own (label moves and releases written durably)."""
        engine = create_engine(url, durable=True)
        try:
            if migrate:
                await upgrade_engine(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, audit, clock, on_event=on_event, refresh_s=refresh_s, owns_engine=True)

    def start(self, interval_s: float = LOOK_INTERVAL_S) -> None:
        """Run the canary controller in the background (a gateway; not the CLI)."""
        if self._loop is None:
            self._loop = asyncio.create_task(self.manager.run(interval_s), name="canary-controller")

    async def aclose(self) -> None:
        """Stop the controller and release the engine (when it is ours)."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        if self._owns_engine:
            await self.engine.dispose()
