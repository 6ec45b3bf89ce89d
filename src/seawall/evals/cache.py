"""The output cache: model outputs by (target version, case, sample), kept in the store.

Reads come from one batched query before the run (``preload``) and single lookups after
(judgements, whose keys depend on the output); writes are buffered and land in one
transaction when the run ends, interrupted or not, so a rerun after Ctrl-C resumes for free.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from seawall.evals.results import Output
from seawall.evals.store import EvalStore


class OutputCache(Protocol):
    """Where outputs are looked up before calling, and kept after."""

    async def preload(self, keys: Iterable[str]) -> None:
        """Fetch these keys at once (the run's calls), so lookups need no query each."""

    async def get(self, key: str) -> Output | None:
        """The cached output (marked ``cached``), or None."""

    async def put(self, key: str, output: Output) -> None:
        """Keep ``output``; the first output kept for a key stays."""

    async def flush(self) -> None:
        """Write what was put since the last flush."""


class MemoryCache:
    """A cache that lives as long as the process (tests, benchmarks, ``--no-cache`` runs)."""

    def __init__(self) -> None:
        self.outputs: dict[str, dict[str, Any]] = {}

    async def preload(self, keys: Iterable[str]) -> None:
        """Everything is in memory already."""

    async def get(self, key: str) -> Output | None:
        found = self.outputs.get(key)
        return None if found is None else Output.from_json(found, cached=True)

    async def put(self, key: str, output: Output) -> None:
        self.outputs.setdefault(key, output.as_json())

    async def flush(self) -> None:
        """Nothing to write."""


class StoreCache:
    """The cache in the deployment's store, so it follows the deployment (CI included)."""

    def __init__(self, store: EvalStore) -> None:
        self._store = store
        self._known: dict[str, dict[str, Any]] = {}
        self._pending: dict[str, dict[str, Any]] = {}
        self._looked_up: set[str] = set()

    async def preload(self, keys: Iterable[str]) -> None:
        wanted = set(keys)
        self._known.update(await self._store.cached_outputs(wanted))
        self._looked_up |= wanted

    async def get(self, key: str) -> Output | None:
        found = self._known.get(key)
        if found is None and key not in self._looked_up:
            found = (await self._store.cached_outputs([key])).get(key)
            self._looked_up.add(key)
        return None if found is None else Output.from_json(found, cached=True)

    async def put(self, key: str, output: Output) -> None:
        self._known.setdefault(key, output.as_json())
        self._pending.setdefault(key, output.as_json())

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        await self._store.cache_outputs(pending)
