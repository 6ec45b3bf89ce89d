"""The review store against SQLite and PostgreSQL: atomic claims, tenants, overdue, feedback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from helpers.postgres import fresh_database
from seawall.core.clock import FrozenClock
from seawall.core.errors import NotFound
from seawall.review import items
from seawall.review.feedback import FeedbackIn
from seawall.review.items import ReviewItem, TransitionError
from seawall.review.store import SqlReviewStore
from seawall.store import open_store
from seawall.store.schema import calls
from seawall.store.schema.reviews import feedback, review_items
from seawall.telemetry.records import CallRecord

START = 1_800_000_000.0


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/seawall.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[SqlReviewStore]:
    call_store = await open_store(store_url)  # migrates
    async with call_store.engine.begin() as conn:  # the PostgreSQL database lives for the module
        for table in (review_items, feedback, calls):
            await conn.execute(table.delete())
    await call_store.write_calls(
        [
            CallRecord("a" * 32, START - 60, "chat", False, tenant="acme"),
            CallRecord("b" * 32, START - 50, "chat", False, tenant="acme"),
            CallRecord("c" * 32, START - 40, "premium", False, tenant="acme"),
            CallRecord("d" * 32, START - 30, "chat", False, tenant="globex"),
        ]
    )
    await call_store.aclose()
    opened = SqlReviewStore(store_url)
    yield opened
    await opened.aclose()


def new(clock: FrozenClock, tenant: str = "acme", **overrides: object) -> ReviewItem:
    fields: dict[str, object] = {
        "tenant": tenant,
        "trace_id": "a" * 32,
        "source": "escalation",
        "mode": "hold",
        "reasons": [{"code": "low_confidence", "message": "confidence 0.20 is below 0.60"}],
        "context": {"model": "chat", "messages": [{"role": "user", "content": "héllo"}]},
        "answer": "an answer",
        "now": clock.wall(),
        "sla_s": 3600.0,
        "claim_timeout_s": 600.0,
    }
    fields.update(overrides)
    return items.new_item(**fields)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- items


async def test_an_item_round_trips_with_its_full_context(
    store: SqlReviewStore, clock: FrozenClock
) -> None:
    item = new(clock, webhook_url="http://127.0.0.1:9/h")
    await store.create_item(item)
    assert await store.get_item(item.id) == item
    assert await store.get_item(item.id, "acme") == item


async def test_tenants_never_see_each_others_items(
    store: SqlReviewStore, clock: FrozenClock
) -> None:
    acme, globex = new(clock), new(clock, tenant="globex")
    await store.create_item(acme)
    await store.create_item(globex)
    assert await store.get_item(acme.id, "globex") is None
    listed = await store.list_items(clock.wall(), tenant="globex")
    assert [i.id for i in listed] == [globex.id]
    assert {i.id for i in await store.list_items(clock.wall())} == {acme.id, globex.id}
    with pytest.raises(NotFound, match=f"no review with id '{acme.id}'"):
        await store.claim(acme.id, "key:g", clock.wall(), tenant="globex")
    with pytest.raises(NotFound):
        await store.resolve(acme.id, "key:g", "approve", clock.wall(), tenant="globex")


async def test_two_reviewers_racing_for_a_claim_exactly_one_wins(
    store: SqlReviewStore, store_url: str, clock: FrozenClock
) -> None:
    # Two stores (two connection pools, as on two replicas) race for each of 15 items.
    other = SqlReviewStore(store_url)
    try:
        created = [new(clock) for _ in range(15)]
        for item in created:
            await store.create_item(item)
        for item in created:
            outcomes = await asyncio.gather(
                store.claim(item.id, "key:alice", clock.wall()),
                other.claim(item.id, "key:bob", clock.wall()),
                return_exceptions=True,
            )
            won = [o for o in outcomes if isinstance(o, ReviewItem)]
            lost = [o for o in outcomes if isinstance(o, TransitionError)]
            assert (len(won), len(lost)) == (1, 1), outcomes
            stored = await store.get_item(item.id)
            assert stored is not None
            assert stored.claimed_by == won[0].claimed_by
            assert stored.version == 1
            assert f"claimed by {won[0].claimed_by}" in lost[0].message
    finally:
        await other.aclose()


async def test_claim_resolve_and_the_lapse_of_a_claim(
    store: SqlReviewStore, clock: FrozenClock
) -> None:
    item = new(clock)
    await store.create_item(item)
    with pytest.raises(TransitionError, match="claim it first"):
        await store.resolve(item.id, "key:alice", "approve", clock.wall())
    await store.claim(item.id, "key:alice", clock.wall())
    assert [i.id for i in await store.list_items(clock.wall(), status="claimed")] == [item.id]
    clock.advance(600)  # the claim lapses: the item is back in the queue
    assert [i.id for i in await store.list_items(clock.wall(), status="pending")] == [item.id]
    assert await store.list_items(clock.wall(), status="claimed") == []
    await store.claim(item.id, "key:bob", clock.wall())
    done = await store.resolve(
        item.id, "key:bob", "edit", clock.wall(), answer="better", reason="tone"
    )
    assert (done.status, done.final_answer, done.resolved_by, done.version) == (
        "edited",
        "better",
        "key:bob",
        3,
    )
    assert await store.get_item(item.id) == done
    assert [i.id for i in await store.list_items(clock.wall(), status="edited")] == [item.id]
    assert await store.list_items(clock.wall(), status="open") == []


async def test_overdue_items_are_flagged_once_across_replicas(
    store: SqlReviewStore, store_url: str, clock: FrozenClock
) -> None:
    soon, later = new(clock, sla_s=60), new(clock, sla_s=7200)
    resolved = new(clock, sla_s=60)
    for item in (soon, later, resolved):
        await store.create_item(item)
    await store.claim(resolved.id, "key:alice", clock.wall())
    await store.resolve(resolved.id, "key:alice", "approve", clock.wall())
    clock.advance(61)
    late = await store.list_items(clock.wall(), overdue=True)
    assert [i.id for i in late] == [soon.id]  # late already, before any scan flags it
    other = SqlReviewStore(store_url)
    try:
        first, second = await asyncio.gather(
            store.mark_overdue(clock.wall()), other.mark_overdue(clock.wall())
        )
    finally:
        await other.aclose()
    flagged = [*first, *second]
    assert [i.id for i in flagged] == [soon.id]
    assert flagged[0].overdue_at == clock.wall()
    assert await store.mark_overdue(clock.wall() + 100) == []
    stored = await store.get_item(soon.id)
    assert stored is not None
    assert stored.overdue


async def test_the_open_queue_lists_the_most_urgent_first(
    store: SqlReviewStore, clock: FrozenClock
) -> None:
    relaxed, urgent = new(clock, sla_s=7200), new(clock, sla_s=60)
    await store.create_item(relaxed)
    await store.create_item(urgent)
    listed = await store.list_items(clock.wall(), status="open")
    assert [i.id for i in listed] == [urgent.id, relaxed.id]
    assert len(await store.list_items(clock.wall(), limit=1)) == 1
    with pytest.raises(ValueError, match="unknown review status 'done'"):
        await store.list_items(clock.wall(), status="done")


async def test_webhook_status_and_undelivered_items(
    store: SqlReviewStore, clock: FrozenClock
) -> None:
    item = new(clock, webhook_url="http://127.0.0.1:9/h")
    await store.create_item(item)
    await store.claim(item.id, "key:alice", clock.wall())
    assert await store.undelivered() == []  # nothing to deliver before the decision
    await store.resolve(item.id, "key:alice", "approve", clock.wall())
    assert [i.id for i in await store.undelivered()] == [item.id]
    await store.set_webhook(item.id, "delivered", 3, None)
    stored = await store.get_item(item.id)
    assert stored is not None
    assert (stored.webhook_status, stored.webhook_attempts) == ("delivered", 3)
    assert await store.undelivered() == []


# --------------------------------------------------------------------------- feedback


async def test_feedback_is_stored_for_a_trace_of_the_callers_tenant(
    store: SqlReviewStore, clock: FrozenClock
) -> None:
    stored = await store.add_feedback(
        FeedbackIn("a" * 32, "rating", score=0.0, comment="wrong"),
        actor="key:app",
        now=clock.wall(),
        tenant="acme",
    )
    assert (stored.tenant, stored.negative, stored.actor) == ("acme", True, "key:app")
    assert await store.list_feedback(tenant="acme") == [stored]
    assert await store.list_feedback(tenant="globex") == []
    assert await store.list_feedback(trace_id="b" * 32) == []


@pytest.mark.parametrize("trace_id", ["d" * 32, "e" * 32])  # another tenant's; no such call
async def test_feedback_on_a_trace_the_caller_cannot_see_is_a_404(
    store: SqlReviewStore, clock: FrozenClock, trace_id: str
) -> None:
    with pytest.raises(NotFound, match=f"no trace with id '{trace_id}'") as caught:
        await store.add_feedback(
            FeedbackIn(trace_id, "complaint"), actor="key:app", now=clock.wall(), tenant="acme"
        )
    assert caught.value.param == "trace_id"
    assert await store.list_feedback() == []


async def test_a_global_caller_may_give_feedback_on_any_tenants_trace(
    store: SqlReviewStore, clock: FrozenClock
) -> None:
    stored = await store.add_feedback(
        FeedbackIn("d" * 32, "rating", label="great"), actor="key:root", now=clock.wall()
    )
    assert (stored.tenant, stored.negative) == ("globex", False)


async def test_negative_feedback_rate_per_model(store: SqlReviewStore, clock: FrozenClock) -> None:
    async def give(trace: str, kind: str, score: float | None = None) -> None:
        await store.add_feedback(
            FeedbackIn(trace * 32, kind, score=score), actor="key:app", now=clock.wall()
        )

    await give("a", "complaint")
    await give("a", "rating", 0.1)  # a second negative on the same call counts once
    await give("b", "rating", 0.9)
    await give("d", "correction")
    rates = await store.negative_feedback_rates(START - 3600)
    assert rates == [
        {"model": "chat", "calls": 3, "negative": 2, "rate": pytest.approx(2 / 3)},
        {"model": "premium", "calls": 1, "negative": 0, "rate": 0.0},
    ]
    acme = await store.negative_feedback_rates(START - 3600, tenant="acme")
    assert acme[0] == {"model": "chat", "calls": 2, "negative": 1, "rate": 0.5}
    assert await store.negative_feedback_rates(START) == []  # no call started since then
    by_tenant = await store.negative_feedback_rates(START - 3600, by=("tenant", "model"))
    assert [(r["tenant"], r["model"]) for r in by_tenant] == [
        ("acme", "chat"),
        ("acme", "premium"),
        ("globex", "chat"),
    ]
    with pytest.raises(ValueError, match="cannot group calls by"):
        await store.negative_feedback_rates(START, by=("no_such_column",))
