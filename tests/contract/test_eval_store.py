"""The eval store on every backend: SQLite (a temp file) and PostgreSQL (a fresh database)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from helpers.evals import make_run
from helpers.postgres import fresh_database
from seawall.evals.results import AssertionResult, SampleResult
from seawall.evals.store import EvalStore, RunLookupError
from seawall.evals.summary import summarize
from seawall.store.schema.evals import eval_cache, eval_results, eval_runs


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/evals.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[EvalStore]:
    opened = await EvalStore.open(store_url)
    async with opened.engine.begin() as conn:  # the PostgreSQL database lives for the module
        for table in (eval_results, eval_runs, eval_cache):
            await conn.execute(table.delete())
    yield opened
    await opened.aclose()


async def test_a_run_round_trips_with_every_field(store: EvalStore) -> None:
    run = make_run(
        {"a": ["pass", "fail"], "b": ["error", "pass"]}, tags={"a": ("happy", "x")}, run_id="abc123"
    )
    run.results[1] = SampleResult(
        "a",
        1,
        "fail",
        0.25,
        "llm_judge: too vague",
        "Some answer ☃",
        (
            AssertionResult("llm_judge", False, 0.25, "too vague", 2.0),
            AssertionResult("contains", True, 1.0, "", 1.0),
        ),
        812.5,
        120,
        33,
        0.000123,
        True,
        "f" * 32,
        0.375,
    )
    run.prompt, run.prompt_version = "triage", 7
    run.finished_at = run.started_at + 2.5
    await store.save_run(run, summarize(run).brief())
    loaded = await store.get_run("abc123")
    assert loaded.results == run.results
    assert loaded.cases == run.cases
    assert (loaded.suite, loaded.status, loaded.finished_at) == ("s", "complete", run.finished_at)
    assert loaded.thresholds == run.thresholds
    assert (loaded.prompt, loaded.prompt_version) == ("triage", 7)
    assert loaded.results[1].confidence == 0.375
    assert loaded.results[0].confidence is None


async def test_saving_again_replaces_the_run(store: EvalStore) -> None:
    run = make_run({"a": ["pass"]}, run_id="r1")
    await store.save_run(run, {})
    run.results = []
    run.status = "interrupted"
    await store.save_run(run, {})
    loaded = await store.get_run("r1")
    assert (loaded.status, loaded.results) == ("interrupted", [])


async def test_lookups_by_prefix_list_and_latest(store: EvalStore) -> None:
    for n, run_id in enumerate(("aa11", "aa22", "bb33")):
        run = make_run({"a": ["pass"]}, run_id=run_id)
        run.started_at += n
        run.suite = "other" if run_id == "bb33" else "s"
        await store.save_run(run, summarize(run).brief())
    assert (await store.get_run("bb")).run_id == "bb33"
    with pytest.raises(RunLookupError, match="ambiguous: aa11, aa22"):
        await store.resolve_run_id("aa")
    with pytest.raises(RunLookupError, match="no eval run with id '%'"):
        await store.resolve_run_id("%")
    assert [r.run_id for r in await store.list_runs()] == ["bb33", "aa22", "aa11"]
    assert [r.run_id for r in await store.list_runs("s", limit=1)] == ["aa22"]
    assert (await store.list_runs("s"))[0].summary["passed"] == 1
    assert await store.latest_run_id("s") == "aa22"
    assert await store.latest_run_id("s", exclude="aa22") == "aa11"
    assert await store.latest_run_id("nope") is None


async def test_interrupted_runs_are_never_the_latest_baseline(store: EvalStore) -> None:
    done = make_run({"a": ["pass"]}, run_id="done")
    partial = make_run({"a": []}, run_id="partial")
    partial.started_at += 10
    partial.status = "interrupted"
    await store.save_run(done, {})
    await store.save_run(partial, {})
    assert await store.latest_run_id("s") == "done"


async def test_output_cache_first_write_wins(store: EvalStore) -> None:
    await store.cache_outputs({"k1": {"text": "one"}, "k2": {"text": "two"}})
    await store.cache_outputs({"k1": {"text": "changed"}, "k3": {"text": "three"}})
    found = await store.cached_outputs(["k1", "k3", "missing"])
    assert found == {"k1": {"text": "one"}, "k3": {"text": "three"}}
    keys = [f"key{i}" for i in range(1200)]  # more than one IN (...) batch
    await store.cache_outputs({k: {"text": k} for k in keys})
    assert len(await store.cached_outputs(keys)) == 1200


async def test_latest_run_of_a_prompt_version(store: EvalStore) -> None:
    for n, (run_id, version) in enumerate(
        (("v1-old", 1), ("v1-new", 1), ("v2", 2), ("model", None))
    ):
        run = make_run({"a": ["pass"]}, run_id=run_id)
        run.started_at += n
        run.prompt, run.prompt_version = ("triage", version) if version else (None, None)
        await store.save_run(run, {})
    assert await store.latest_run_id("s", prompt="triage", prompt_version=1) == "v1-new"
    assert await store.latest_run_id("s", prompt="triage", prompt_version=2) == "v2"
    assert await store.latest_run_id("s", prompt="triage", prompt_version=3) is None
    assert await store.latest_run_id("s", prompt="other", prompt_version=1) is None
    assert await store.latest_run_id("s") == "model", "without a version: any run of the suite"
