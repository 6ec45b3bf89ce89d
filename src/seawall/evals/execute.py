"""Put a run together: config → backend → target, store and cache → runner → stored run.

This is what ``seawall eval run`` does, as a function Python callers (CI scripts, the bench,
later the release gate) can call the same way.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seawall.config import Config
from seawall.configload import load_config
from seawall.evals.assertions.specs import LlmJudge
from seawall.evals.backends import GatewayBackend, InProcessBackend
from seawall.evals.cache import OutputCache, StoreCache
from seawall.evals.judging import BackendJudge
from seawall.evals.load import LoadedSuite, check_models
from seawall.evals.results import Run
from seawall.evals.runner import Progress, Runner, RunSettings, new_run
from seawall.evals.store import EvalStore
from seawall.evals.suite import Suite, walk
from seawall.evals.summary import summarize
from seawall.evals.targets import Backend, ModelTarget, TargetError

DEFAULT_STORE_URL = "sqlite:///.seawall/seawall.db"


class RunSetupError(Exception):
    """The run cannot start (no config, unknown gateway, ...); the message says what to fix."""


@dataclass(frozen=True, slots=True)
class Where:
    """What the suite runs against and where its runs are kept."""

    config: Path | None = None  # seawall.yaml (required in process)
    gateway: str | None = None  # run through this gateway instead of in process
    api_key: str | None = None
    store_url: str | None = None  # default: the config's store.url


def config_path(loaded: LoadedSuite, override: Path | None) -> Path | None:
    """``--config``, else the suite's ``target.config`` (beside the suite), else ./seawall.yaml."""
    if override is not None:
        return override
    if loaded.suite.target.config is not None:
        return loaded.path.parent / loaded.suite.target.config
    default = Path("seawall.yaml")
    return default if default.exists() else None


def store_url_for(config: Config | None, override: str | None) -> str:
    """The store URL: the override, else the config's ``store.url``, else the default."""
    if override:
        return override
    return config.store.url if config is not None else DEFAULT_STORE_URL


def suite_store_url(loaded: LoadedSuite, where: Where) -> str:
    """Where runs of ``loaded`` are kept: ``--store``, else the config's ``store.url``."""
    if where.store_url:
        return where.store_url
    path = config_path(loaded, where.config)
    return store_url_for(load_config(path).config if path is not None else None, None)


async def run_suite(
    loaded: LoadedSuite,
    where: Where,
    settings: RunSettings = RunSettings(),
    *,
    on_start: Callable[[Run], None] | None = None,
    on_result: Progress | None = None,
) -> Run:
    """Run ``loaded`` and store the run (also when cancelled); returns the stored run.

    Raises ``ConfigError`` / ``SuiteError`` / ``RunSetupError`` before the first call.
    ``on_start`` receives the run before its first sample: on cancellation (Ctrl-C) the
    caller still holds the partial run, stored and marked ``interrupted``.
    """
    path = config_path(loaded, where.config)
    config = load_config(path).config if path is not None else None
    suite = loaded.suite.model_copy(
        update={
            "samples": settings.samples or loaded.suite.samples,
            "seed": loaded.suite.seed if settings.seed is None else settings.seed,
        }
    )
    backend = _backend(where, config, path, suite.seed)
    store: EvalStore | None = None
    try:
        check_models(loaded, await _known_models(backend), _source(where, path))
        store = await EvalStore.open(store_url_for(config, where.store_url))
        runner = _runner(loaded, suite, backend, store, settings, on_result)
        run = new_run(
            suite,
            runner.target,
            run_id=secrets.token_hex(6),
            samples=suite.samples,
            seed=suite.seed,
            path=str(loaded.path),
        )
        if settings.tags:
            run.cases = [c for c in run.cases if set(c.tags) & set(settings.tags)]
        if on_start is not None:
            on_start(run)
        try:
            await runner.run(run)
        finally:
            await store.save_run(run, summarize(run).brief())
        return run
    finally:
        await backend.aclose()
        if store is not None:
            await store.aclose()


def _runner(
    loaded: LoadedSuite,
    suite: Suite,
    backend: Backend,
    store: EvalStore,
    settings: RunSettings,
    on_result: Progress | None,
) -> Runner:
    cache: OutputCache | None = StoreCache(store) if settings.use_cache else None
    judge = None
    if suite_has_judge(loaded):
        judge = BackendJudge(backend, cache=cache, seed=suite.seed, timeout_s=suite.timeout_s)
    return Runner(
        suite,
        ModelTarget(backend, suite),
        cache=cache,
        judge=judge,
        plugins=loaded.plugins,
        concurrency=settings.concurrency or suite.concurrency,
        timeout_s=suite.timeout_s,
        on_result=on_result,
    )


def suite_has_judge(loaded: LoadedSuite) -> bool:
    """Does any assertion of the suite need the judge model?"""
    suite = loaded.suite
    specs = [*walk(list(suite.assert_))]
    for case in suite.cases:
        specs += walk(list(case.assert_))
    return any(isinstance(s, LlmJudge) for s in specs)


def _backend(where: Where, config: Config | None, path: Path | None, seed: int) -> Backend:
    if where.gateway:
        return GatewayBackend(where.gateway, api_key=where.api_key, config=config)
    if config is None:
        raise RunSetupError(
            "no seawall.yaml to run against: pass --config, set target.config in the suite, "
            "or --gateway URL"
        )
    return InProcessBackend(config, source=str(path), seed=seed)


async def _known_models(backend: Backend) -> set[str]:
    try:
        await backend.start()
        return await backend.known_models()
    except TargetError as exc:
        raise RunSetupError(str(exc)) from exc


def _source(where: Where, path: Path | None) -> str:
    return f"the gateway {where.gateway}" if where.gateway else str(path)
