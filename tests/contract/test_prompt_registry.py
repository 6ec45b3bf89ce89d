"""One contract for the prompt registry and the release store: SQLite and PostgreSQL.

PostgreSQL comes from ``SEAWALL_TEST_POSTGRES`` (see ``helpers.postgres``): a fresh database
for the session, emptied before each test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers.postgres import fresh_database
from seawall.core.clock import FrozenClock
from seawall.prompts import (
    CanaryPolicy,
    InvalidPrompt,
    PromptNotFound,
    PromptSpec,
    SqlPromptRegistry,
    content_hash,
    open_registry,
)
from seawall.prompts.loader import parse_prompt
from seawall.releases import ArmStats, SqlReleaseStore, abort, advance, start
from seawall.store.schema.prompts import (
    prompt_label_events,
    prompt_labels,
    prompt_versions,
    releases,
)

PROMPT = """\
name: support
owner: team
model: chat
params: {temperature: 0.2}
messages:
  - role: system
    content: |
      Help {{ who }}.
variables:
  type: object
  properties: {who: {type: string}}
"""


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/store/seawall.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(1_700_000_000.0)


@pytest.fixture
async def registry(store_url: str, clock: FrozenClock) -> AsyncIterator[SqlPromptRegistry]:
    opened = await open_registry(store_url, clock=clock)
    async with opened.engine.begin() as conn:  # the PostgreSQL database lives for the session
        for table in (releases, prompt_label_events, prompt_labels, prompt_versions):
            await conn.execute(table.delete())
    yield opened
    await opened.aclose()


def spec(text: str = PROMPT, **replace: str) -> PromptSpec:
    for old, new in replace.items():
        text = text.replace(old, new)
    return parse_prompt(text)


V2 = {"temperature: 0.2": "temperature: 0.5"}
V3 = {"Help {{ who }}.": "Help {{ who }} kindly."}


async def test_push_stores_numbered_immutable_versions(
    registry: SqlPromptRegistry, clock: FrozenClock
) -> None:
    first = await registry.push(spec(), author="ada", note="first")
    assert (first.created, first.version.version, first.version.ref) == (True, 1, "support@1")
    clock.advance(60)
    second = await registry.push(spec(**V2), author="bob", note="warmer")
    assert (second.created, second.version.version) == (True, 2)
    stored = await registry.get("support", 1)
    assert stored == first.version  # pushing v2 left v1 exactly as it was
    assert (stored.author, stored.note, stored.created_at) == ("ada", "first", 1_700_000_000.0)
    assert stored.content_hash == content_hash(stored.spec) == content_hash(spec())
    assert (await registry.get("support", 2)).created_at == 1_700_000_060.0


async def test_pushing_unchanged_content_is_a_no_op(registry: SqlPromptRegistry) -> None:
    first = await registry.push(spec(), author="ada", note="first")
    again = await registry.push(spec(), author="eve", note="again")
    assert (again.created, again.version) == (False, first.version)
    reformatted = spec(
        PROMPT.replace("params: {temperature: 0.2}", "params:\n    temperature: 0.20")
    )
    assert (await registry.push(reformatted, author="eve")).created is False
    assert [v.version for v in await registry.history("support")] == [1]


async def test_content_seen_before_returns_its_version(registry: SqlPromptRegistry) -> None:
    await registry.push(spec(), author="ada")
    await registry.push(spec(**V2), author="ada")
    back = await registry.push(spec(), author="ada", note="revert")
    assert (back.created, back.version.version) == (False, 1)
    assert (await registry.get("support")).version == 2  # latest is still 2


async def test_get_by_number_label_and_latest(registry: SqlPromptRegistry) -> None:
    for changes in ({}, V2, V3):
        await registry.push(spec(**changes), author="ada")
    await registry.set_label("support", "production", 2, actor="ada")
    assert (await registry.get("support")).version == 3
    assert (await registry.get("support", "latest")).version == 3
    assert (await registry.get("support", 1)).spec.params.temperature == 0.2
    assert (await registry.get("support", "production")).version == 2


async def test_not_found_errors_say_what_is_missing(registry: SqlPromptRegistry) -> None:
    await registry.push(spec(), author="ada")
    with pytest.raises(PromptNotFound, match="no prompt named 'nope'"):
        await registry.get("nope")
    with pytest.raises(PromptNotFound, match=r"has no version 5 \(latest is 1\)"):
        await registry.get("support", 5)
    with pytest.raises(PromptNotFound, match=r"has no label 'canary' \(labels: none\)"):
        await registry.get("support", "canary")
    with pytest.raises(PromptNotFound):
        await registry.history("nope")


async def test_labels_move_and_every_move_is_recorded(
    registry: SqlPromptRegistry, clock: FrozenClock
) -> None:
    for changes in ({}, V2, V3):
        await registry.push(spec(**changes), author="ada")
    first = await registry.set_label("support", "production", 1, actor="ada", reason="launch")
    assert first is not None
    assert (first.previous, first.version, first.at) == (None, 1, 1_700_000_000.0)
    clock.advance(5)
    await registry.set_label("support", "staging", 3, actor="bob")
    await registry.set_label("support", "production", 2, actor="carol", reason="better tone")
    assert await registry.set_label("support", "production", 2, actor="x") is None  # no move
    assert await registry.labels("support") == {"production": 2, "staging": 3}
    removed = await registry.remove_label("support", "staging", actor="bob", reason="done")
    assert removed is not None
    assert (removed.previous, removed.version) == (3, None)
    assert await registry.remove_label("support", "staging", actor="bob") is None
    events = await registry.label_events("support")
    assert [(e.label, e.previous, e.version, e.actor, e.reason) for e in events] == [
        ("production", None, 1, "ada", "launch"),
        ("staging", None, 3, "bob", ""),
        ("production", 1, 2, "carol", "better tone"),
        ("staging", 3, None, "bob", "done"),
    ]
    assert [e.version for e in await registry.label_events("support", "production")] == [1, 2]
    assert await registry.previous_version("support", "production") == 1


async def test_several_labels_move_in_one_transaction(registry: SqlPromptRegistry) -> None:
    await registry.push(spec(), author="ada")
    await registry.push(spec(**V2), author="ada")
    await registry.set_labels("support", {"production": 1, "canary": 2}, actor="ada")
    # Promotion: production to the candidate, canary removed, atomically.
    events = await registry.set_labels(
        "support", {"production": 2, "canary": None}, actor="controller", reason="promoted"
    )
    assert [(e.label, e.previous, e.version) for e in events] == [
        ("production", 1, 2),
        ("canary", 2, None),
    ]
    assert await registry.labels("support") == {"production": 2}
    # A move to a missing version fails as a whole: nothing else moved.
    with pytest.raises(PromptNotFound):
        await registry.set_labels("support", {"staging": 1, "production": 9}, actor="ada")
    assert await registry.labels("support") == {"production": 2}


async def test_bad_label_names_are_refused(registry: SqlPromptRegistry) -> None:
    await registry.push(spec(), author="ada")
    for bad in ("latest", "Prod", "7"):
        with pytest.raises(Exception, match="not a valid label"):
            await registry.set_label("support", bad, 1, actor="ada")
    assert await registry.label_events("support") == []


async def test_list_and_history(registry: SqlPromptRegistry) -> None:
    await registry.push(spec(), author="ada", note="a")
    await registry.push(spec(**V2), author="bob", note="b")
    await registry.push(spec(PROMPT.replace("name: support", "name: billing")), author="ada")
    await registry.set_label("support", "production", 1, actor="ada")
    summaries = await registry.list_prompts()
    assert [(s.name, s.latest, s.labels, s.model, s.owner) for s in summaries] == [
        ("billing", 1, {}, "chat", "team"),
        ("support", 2, {"production": 1}, "chat", "team"),
    ]
    history = await registry.history("support")
    assert [(v.version, v.author, v.note) for v in history] == [(1, "ada", "a"), (2, "bob", "b")]


async def test_diff_between_stored_versions(registry: SqlPromptRegistry) -> None:
    await registry.push(spec(), author="ada")
    await registry.push(spec(**V2, **V3), author="ada")
    await registry.set_label("support", "production", 1, actor="ada")
    result = await registry.diff("support", "production", 2)
    assert result.changed == ("params", "messages")
    assert "-  temperature: 0.2\n" in result.unified
    assert "+    Help {{ who }} kindly.\n" in result.unified


async def test_a_spec_with_an_undeclared_variable_is_refused(registry: SqlPromptRegistry) -> None:
    bad = PromptSpec.model_validate(
        {
            "name": "x",
            "owner": "o",
            "model": "m",
            "messages": [{"role": "user", "content": "{{ a }} {{ b }}"}],
            "variables": {"type": "object", "properties": {"a": {}}},
        }
    )
    with pytest.raises(InvalidPrompt, match="uses variable 'b'"):
        await registry.push(bad, author="ada")
    assert await registry.list_prompts() == []


async def test_concurrent_pushes_get_distinct_numbers(registry: SqlPromptRegistry) -> None:
    specs = [spec(**{"temperature: 0.2": f"temperature: 0.{n}"}) for n in range(1, 7)]
    results = await asyncio.gather(*(registry.push(s, author="ada") for s in specs))
    assert sorted(r.version.version for r in results) == [1, 2, 3, 4, 5, 6]
    same = await asyncio.gather(*(registry.push(specs[0], author="ada") for _ in range(4)))
    assert {r.version.version for r in same} == {r.version.version for r in results[:1]}
    assert len(await registry.history("support")) == 6


# --------------------------------------------------------------------------- releases


async def test_releases_round_trip_with_their_decision(
    registry: SqlPromptRegistry, clock: FrozenClock
) -> None:
    store = SqlReleaseStore(registry.engine)
    policy = CanaryPolicy(min_calls=100, duration_s=60)
    release = start("support", 2, 1, policy, clock, actor="ada", release_id="a" * 32)
    await store.save(release)
    assert await store.get(release.id) == release
    assert await store.live() == [release]
    clock.advance(30)
    step = advance(
        release,
        policy,
        ArmStats(100, invalid_outputs=15, latencies_ms=[100.0] * 100),
        ArmStats(900, invalid_outputs=9, latencies_ms=[100.0] * 900),
        clock,
    )
    assert step.release.state == "rolled_back"
    await store.save(step.release)
    stored = await store.get(release.id)
    assert stored == step.release
    assert stored is not None
    assert stored.decision is not None
    assert stored.decision.metric == "invalid_output_rate"
    assert await store.live("support") == []


async def test_release_history_is_newest_first(
    registry: SqlPromptRegistry, clock: FrozenClock
) -> None:
    store = SqlReleaseStore(registry.engine)
    policy = CanaryPolicy()
    saved: list[Any] = []
    for candidate in (2, 3, 4):
        release = start("support", candidate, candidate - 1, policy, clock, actor="ada")
        if candidate < 4:
            release = abort(release, clock, actor="ada")
        await store.save(release)
        saved.append(release)
        clock.advance(10)
    await store.save(start("billing", 2, 1, policy, clock, actor="ada"))
    assert [r.candidate for r in await store.history("support")] == [4, 3, 2]
    assert [r.candidate for r in await store.live("support")] == [4]
    assert len(await store.live()) == 2
    assert await store.get("nope") is None
