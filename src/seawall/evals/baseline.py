"""Which stored run a candidate is compared with: ``--baseline RUN_ID | latest | production``.

``production`` is for prompt targets: the newest complete run of the same suite whose target
resolved to the version the ``production`` label points at *now*. When the suite never ran
against that version, it is run against it first (and stored), so the first comparison after
a label move costs one extra run and later ones none (unchanged outputs come from the cache).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from seawall.evals.compare import Comparison, compare_runs
from seawall.evals.execute import Where, run_suite, suite_store_url
from seawall.evals.load import LoadedSuite, load_suite
from seawall.evals.results import Run
from seawall.evals.runner import Progress, RunSettings
from seawall.evals.store import EvalStore, RunLookupError
from seawall.prompts import open_registry

PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class Baseline:
    """The run to compare with, and how it was found."""

    run_id: str
    prompt: str | None = None  # --baseline production: the prompt and its production version
    version: int | None = None
    ran: bool = False  # True: no stored run existed, the suite was run against it just now


async def find_baseline(
    loaded: LoadedSuite,
    where: Where,
    baseline: str,
    settings: RunSettings = RunSettings(),
    *,
    on_run: Callable[[str, int], None] | None = None,
    on_start: Callable[[Run], None] | None = None,
    on_result: Progress | None = None,
) -> Baseline:
    """The baseline run named by ``baseline``; raises ``RunLookupError`` when there is none.

    ``on_run(prompt, version)`` is told before the suite is run against production first;
    ``on_start`` and ``on_result`` follow that run as for ``run_suite``.
    """
    url = suite_store_url(loaded, where)
    if baseline == PRODUCTION:
        run = _Production(loaded, where, settings, on_run, on_start, on_result)
        return await run.baseline(url)
    store = await EvalStore.open(url)
    try:
        if baseline != "latest":
            return Baseline(await store.resolve_run_id(baseline))
        found = await store.latest_run_id(loaded.suite.name)
    finally:
        await store.aclose()
    if found is None:
        raise RunLookupError(f"no complete run of suite '{loaded.suite.name}' to compare with yet")
    return Baseline(found)


async def compare_with_production(
    suite_path: str | Path,
    config_path: str | Path | None,
    candidate: Run,
    *,
    store_url: str | None = None,
    confidence: float = 0.95,
) -> Comparison:
    """``candidate`` (e.g. from ``run_for_prompt_version``) against the production baseline.

    The baseline is found, or run first, with the candidate's samples and seed, in process.
    Raises ``RunLookupError`` when the prompt has no ``production`` label.
    """
    loaded = load_suite(suite_path)
    where = Where(config=Path(config_path) if config_path else None, store_url=store_url)
    settings = RunSettings(samples=candidate.samples, seed=candidate.seed)
    found = await find_baseline(loaded, where, PRODUCTION, settings)
    store = await EvalStore.open(suite_store_url(loaded, where))
    try:
        baseline = await store.get_run(found.run_id)
    finally:
        await store.aclose()
    return compare_runs(baseline, candidate, confidence)


async def production_version(loaded: LoadedSuite, url: str) -> tuple[str, int]:
    """(prompt, version) the ``production`` label of the suite's prompt points at."""
    ref = loaded.suite.target.prompt_ref
    if ref is None:
        raise RunLookupError(
            "--baseline production needs a prompt target (target.prompt); "
            "use a run id or 'latest' for a model target"
        )
    name = ref[0]
    registry = await open_registry(url)
    try:
        labels = await registry.labels(name)
    finally:
        await registry.aclose()
    if PRODUCTION not in labels:
        known = ", ".join(sorted(labels)) or "none"
        raise RunLookupError(
            f"prompt '{name}' has no '{PRODUCTION}' label to compare with (labels: {known})"
        )
    return name, labels[PRODUCTION]


@dataclass(frozen=True, slots=True)
class _Production:
    loaded: LoadedSuite
    where: Where
    settings: RunSettings
    on_run: Callable[[str, int], None] | None
    on_start: Callable[[Run], None] | None
    on_result: Progress | None

    async def baseline(self, url: str) -> Baseline:
        name, version = await production_version(self.loaded, url)
        store = await EvalStore.open(url)
        try:
            found = await store.latest_run_id(
                self.loaded.suite.name, prompt=name, prompt_version=version
            )
        finally:
            await store.aclose()
        if found is not None:
            return Baseline(found, name, version)
        if self.on_run is not None:
            self.on_run(name, version)
        run = await run_suite(
            self.loaded,
            self.where,
            replace(self.settings, prompt_version=version),
            on_start=self.on_start,
            on_result=self.on_result,
        )
        return Baseline(run.run_id, name, version, ran=True)
