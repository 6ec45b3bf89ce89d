"""Which version of a prompt serves a call: labels, the live release's sticky split, a cache.

A prompt run asks for a label (``production`` unless told otherwise). When a canary release of
the prompt is live, a ``production`` call is split between the release's candidate and its
baseline by ``assign`` (sticky per user or session); any other label is served as it points.

Nothing here reads the database per call: where each prompt's labels point and its live
release are cached for ``refresh_s`` (every replica sees a label move or a rollback within
that), and compiled versions are cached by (name, version), which never change.
"""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict
from dataclasses import dataclass

from seawall.core.clock import Clock
from seawall.prompts.errors import PromptNotFound
from seawall.prompts.registry import SqlPromptRegistry
from seawall.prompts.render import CompiledPrompt
from seawall.prompts.versions import LATEST, check_label
from seawall.releases.assign import Arm, assign
from seawall.releases.controller import Release
from seawall.releases.store import SqlReleaseStore

PRODUCTION = "production"
CANARY = "canary"
REFRESH_S = 2.0
MAX_COMPILED = 512
MAX_ROUTES = 4096  # prompts whose routing is cached (unknown names included): stale ones go first


@dataclass(frozen=True, slots=True)
class Served:
    """The version chosen for one call, compiled, and the release string it is recorded under."""

    prompt: CompiledPrompt
    version: int
    release: str  # "name@version", as the call record keeps it
    arm: Arm | None = None  # set when a live canary release split the call
    release_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Route:
    """One prompt's labels, newest version and live release, as last read from the store."""

    labels: dict[str, int]
    latest: int  # 0: no prompt by that name (cached too, so unknown names cost no reads)
    release: Release | None
    loaded_at: float


class PromptRuns:
    """Resolves (prompt, label, subject) to a compiled version, without a database read per call."""

    def __init__(
        self,
        registry: SqlPromptRegistry,
        releases: SqlReleaseStore,
        clock: Clock,
        *,
        refresh_s: float = REFRESH_S,
        max_compiled: int = MAX_COMPILED,
    ) -> None:
        self._registry = registry
        self._releases = releases
        self._clock = clock
        self._refresh_s = refresh_s
        self._max_compiled = max_compiled
        self._routes: dict[str, _Route] = {}
        self._loading: dict[str, asyncio.Lock] = {}
        self._compiled: OrderedDict[tuple[str, int], CompiledPrompt] = OrderedDict()

    @property
    def registry(self) -> SqlPromptRegistry:
        """The prompt registry the runs read from."""
        return self._registry

    async def serve(
        self,
        name: str,
        *,
        label: str | None = None,
        subject: str | None = None,
        rng: random.Random,
    ) -> Served:
        """The version that serves this call; ``PromptNotFound`` for an unknown prompt or label."""
        wanted = PRODUCTION if label is None else label
        if wanted != LATEST:
            check_label(wanted)
        route = await self._route(name)
        if route.latest == 0:
            raise PromptNotFound(f"no prompt named '{name}'", param="name")
        release = route.release
        if wanted == PRODUCTION and release is not None and release.baseline is not None:
            arm = assign(name, release.id, subject, release.canary_share, rng)
            version = release.candidate if arm == "canary" else release.baseline
            return await self._served(name, version, arm, release.id)
        if wanted == LATEST:
            return await self._served(name, route.latest)
        if wanted not in route.labels:
            known = ", ".join(sorted(route.labels)) or "none"
            raise PromptNotFound(
                f"prompt '{name}' has no label '{wanted}' (labels: {known})", param="label"
            )
        return await self._served(name, route.labels[wanted])

    def invalidate(self, name: str | None = None) -> None:
        """Forget what is cached about ``name`` (or every prompt): the next call reads again."""
        if name is None:
            self._routes.clear()
        else:
            self._routes.pop(name, None)

    async def compiled(self, name: str, version: int) -> CompiledPrompt:
        """Version ``version`` of ``name``, compiled once and kept (versions never change)."""
        key = (name, version)
        found = self._compiled.get(key)
        if found is not None:
            self._compiled.move_to_end(key)
            return found
        stored = await self._registry.get(name, version)
        compiled = CompiledPrompt(stored.spec)
        self._compiled[key] = compiled
        while len(self._compiled) > self._max_compiled:
            self._compiled.popitem(last=False)
        return compiled

    async def _served(
        self, name: str, version: int, arm: Arm | None = None, release_id: str | None = None
    ) -> Served:
        prompt = await self.compiled(name, version)
        return Served(prompt, version, f"{name}@{version}", arm, release_id)

    async def _route(self, name: str) -> _Route:
        route = self._routes.get(name)
        if route is not None and self._fresh(route):
            return route
        # One read per prompt at a time: a burst of calls after expiry waits for the same read.
        lock = self._loading.setdefault(name, asyncio.Lock())
        async with lock:
            route = self._routes.get(name)
            if route is not None and self._fresh(route):
                return route
            route = await self._load(name)
            if len(self._routes) >= MAX_ROUTES:
                self._routes = {k: r for k, r in self._routes.items() if self._fresh(r)}
            self._routes[name] = route
        self._loading.pop(name, None)  # waiters hold the lock already; keep the map small
        return route

    def _fresh(self, route: _Route) -> bool:
        return self._clock.monotonic() - route.loaded_at < self._refresh_s

    async def _load(self, name: str) -> _Route:
        now = self._clock.monotonic()
        try:
            latest = await self._registry.get(name)
        except PromptNotFound:
            return _Route({}, 0, None, now)
        labels = await self._registry.labels(name)
        live = await self._releases.live(name)
        return _Route(labels, latest.version, live[-1] if live else None, now)
