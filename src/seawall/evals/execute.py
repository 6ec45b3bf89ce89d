"""Put a run together: config → backend → target, store and cache → runner → stored run.

This is what ``seawall eval run`` does, as a function Python callers (CI scripts, the bench,
the release gate: ``run_for_prompt_version``) can call the same way.
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
from seawall.evals.load import LoadedSuite, check_models, load_suite
from seawall.evals.results import Run
from seawall.evals.runner import Progress, Runner, RunSettings, new_run
from seawall.evals.store import EvalStore
from seawall.evals.suite import Suite, walk
from seawall.evals.summary import summarize
from seawall.evals.targets import Backend, ModelTarget, Target, TargetError
from seawall.evals.targets_prompt import PromptTarget, check_cases, resolve_prompt
from seawall.prompts import open_registry

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
    if settings.prompt_version is not None and loaded.suite.target.prompt is None:
        raise loaded.fail("target", "--prompt-version needs a prompt target (target.prompt)")
    suite = loaded.suite.model_copy(
        update={
            "samples": settings.samples or loaded.suite.samples,
            "seed": loaded.suite.seed if settings.seed is None else settings.seed,
        }
    )
    url = store_url_for(config, where.store_url)
    backend = _backend(where, config, path, suite.seed)
    store: EvalStore | None = None
    try:
        known = await _known_models(backend)
        target = await _target(loaded, suite, backend, url, settings.prompt_version)
        prompt_model = target.model if isinstance(target, PromptTarget) else None
        check_models(loaded, known, _source(where, path), prompt_model=prompt_model)
        if isinstance(target, PromptTarget):
            check_cases(loaded, target)
        store = await EvalStore.open(url)
        runner = _runner(loaded, suite, target, backend, store, settings, on_result)
        run = _new_run(loaded, suite, target)
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


def _new_run(loaded: LoadedSuite, suite: Suite, target: Target) -> Run:
    run = new_run(
        suite,
        target,
        run_id=secrets.token_hex(6),
        samples=suite.samples,
        seed=suite.seed,
        path=str(loaded.path),
    )
    if isinstance(target, PromptTarget):
        run.prompt, run.prompt_version = target.version.name, target.version.version
    return run


async def run_for_prompt_version(
    suite_path: str | Path,
    config_path: str | Path | None,
    version: int,
    *,
    samples: int | None = None,
    seed: int | None = None,
    store_url: str | None = None,
    concurrency: int | None = None,
) -> Run:
    """Run a prompt suite against ``version`` of its prompt, in process; the stored run.

    What promotion gates on: the same suite, the candidate version instead of the one the
    suite names. ``config_path`` None: the suite's ``target.config``, else ./seawall.yaml.
    ``store_url`` None: the config's ``store.url`` (where the registry is, too). Raises
    ``SuiteError`` (bad suite, unknown version, variables that do not fit the prompt),
    ``ConfigError`` or ``RunSetupError`` before the first call.
    """
    loaded = load_suite(suite_path)
    where = Where(config=Path(config_path) if config_path else None, store_url=store_url)
    settings = RunSettings(
        concurrency=concurrency, samples=samples, seed=seed, prompt_version=version
    )
    return await run_suite(loaded, where, settings)


async def _target(
    loaded: LoadedSuite, suite: Suite, backend: Backend, url: str, version: int | None
) -> Target:
    if suite.target.prompt is None:
        return ModelTarget(backend, suite)
    # The registry lives in the deployment's store, beside the runs.
    registry = await open_registry(url)
    try:
        found, label = await resolve_prompt(registry, loaded, version)
    finally:
        await registry.aclose()
    return PromptTarget(backend, suite, found, label=label)


def _runner(
    loaded: LoadedSuite,
    suite: Suite,
    target: Target,
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
        target,
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
