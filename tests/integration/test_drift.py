"""The drift monitor over a real store with seeded synthetic traffic and a frozen clock.

A week of English questions is the reference; the day after it is the current window. A day
like the week finds nothing; a day of Cyrillic questions with longer prompts finds exactly the
features that moved.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from helpers.postgres import fresh_database
from seawall.alerts.config import AlertsConfig
from seawall.alerts.engine import AlertEngine
from seawall.alerts.events import AlertSignal
from seawall.core.clock import FrozenClock
from seawall.drift.config import DriftConfig, PinnedReference
from seawall.drift.monitor import DriftMonitor, DriftReport
from seawall.review.feedback import is_negative
from seawall.store.calls import SqlCallStore, open_store
from seawall.store.schema.reviews import feedback
from seawall.telemetry.records import CallRecord

DAY = 86_400.0
WEEK_START = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
DAY_8 = WEEK_START + 7 * DAY  # the day after the reference week

ENGLISH = [
    "How do I reset my password?",
    "What are your opening hours on Sunday?",
    "Can I change the delivery address of my order?",
    "My invoice shows the wrong amount, please check it.",
    "Do you ship to Canada?",
    "How long does a refund take?",
    "The app crashes when I open settings.",
    "Is there a student discount?",
]
RUSSIAN = [
    "Как сбросить пароль?",
    "Какие у вас часы работы в воскресенье?",
    "Можно ли изменить адрес доставки заказа?",
    "В счёте неверная сумма, проверьте, пожалуйста.",
    "Вы доставляете в Канаду?",
    "Сколько времени занимает возврат денег?",
    "Приложение падает, когда я открываю настройки.",
    "Есть ли скидка для студентов?",
]
ALL_FEATURES = {
    "input_tokens",
    "output_tokens",
    "message_length",
    "script",
    "validation",
    "confidence",
    "feedback",
    "outcome",
}


def traffic(
    rng: random.Random,
    start: float,
    n: int,
    *,
    span: float = DAY,
    texts: Sequence[str] = ENGLISH,
    tokens: float = 40.0,
    output: float = 120.0,
    invalid: float = 0.02,
    payloads: bool = True,
    **fields: Any,
) -> list[CallRecord]:
    """``n`` calls spread over [start, start + span)."""
    records = []
    for i in range(n):
        text = rng.choice(texts)
        validation = "invalid" if rng.random() < invalid else rng.choice(["valid", "repaired"])
        request = {
            "model": fields.get("model", "chat"),
            "messages": [
                {"role": "system", "content": "You answer customer questions."},
                {"role": "user", "content": text},
            ],
        }
        record = CallRecord(
            trace_id=f"{rng.getrandbits(128):032x}",
            started_at=start + span * (i + rng.random()) / n,
            model="chat",
            stream=False,
            prompt_tokens=max(1, round(rng.gauss(tokens, tokens / 5))),
            completion_tokens=max(1, round(rng.gauss(output, output / 5))),
            validation=validation,
            confidence=round(rng.betavariate(8, 2), 3),
            request=request if payloads else None,
        )
        for name, value in fields.items():
            setattr(record, name, value)
        records.append(record)
    return records


def week(rng: random.Random, per_day: int = 300, **fields: Any) -> list[CallRecord]:
    return traffic(rng, WEEK_START, 7 * per_day, span=7 * DAY, **fields)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlCallStore]:
    opened = await open_store(f"sqlite:///{tmp_path}/seawall.db")
    yield opened
    await opened.aclose()


async def report_of(
    store: SqlCallStore, records: list[CallRecord], now: float = DAY_8 + DAY, **config: Any
) -> DriftReport:
    await store.write_calls(records)
    monitor = DriftMonitor(store.engine, DriftConfig.model_validate(config))
    return await monitor.report(now)


def verdicts(report: DriftReport, route: str = "chat") -> dict[str, str]:
    return {row.feature: row.verdict for row in report.rows if str(row.route) == route}


def drifted(report: DriftReport) -> set[str]:
    return {finding.row.feature for finding in report.findings()}


# --------------------------------------------------------------------------- stable and shifted


async def test_a_day_like_the_reference_week_finds_nothing(store: SqlCallStore) -> None:
    rng = random.Random(1)
    report = await report_of(store, week(rng) + traffic(rng, DAY_8, 300))
    assert report.findings() == []
    found = verdicts(report)
    assert set(found) == ALL_FEATURES
    # feedback: nobody gave any, so there is nothing to judge
    assert {f for f, v in found.items() if v != "stable"} == {"feedback"}
    assert found["feedback"] == "insufficient"
    rows = {row.feature: row for row in report.rows}
    assert rows["input_tokens"].reference_n == 2100
    assert rows["input_tokens"].current_n == 300
    assert rows["script"].change == "latin 100% → 100%"
    assert (report.since, report.until) == (DAY_8, DAY_8 + DAY)
    assert (report.reference_since, report.reference_until) == (WEEK_START, DAY_8)


async def test_a_day_of_cyrillic_with_longer_prompts_drifts_in_those_features(
    store: SqlCallStore,
) -> None:
    rng = random.Random(2)
    day = traffic(rng, DAY_8, 300, texts=RUSSIAN, tokens=90.0)
    report = await report_of(store, week(rng) + day)
    found = verdicts(report)
    assert found["script"] == "drift"
    assert found["input_tokens"] == "drift"
    for unchanged in ("output_tokens", "validation", "confidence", "outcome"):
        assert found[unchanged] == "stable", unchanged
    assert drifted(report) - {"message_length"} == {"script", "input_tokens"}
    rows = {row.feature: row for row in report.rows}
    assert rows["script"].change == "cyrillic 0% → 100%"
    assert rows["input_tokens"].change.startswith("median 40 → ")
    assert rows["script"].psi is not None
    assert rows["script"].psi > 5
    assert rows["script"].p_value is not None
    assert rows["script"].p_value < 1e-50


async def test_min_calls_keeps_a_tiny_window_quiet(store: SqlCallStore) -> None:
    rng = random.Random(3)
    await store.write_calls(week(rng) + traffic(rng, DAY_8, 50, texts=RUSSIAN, tokens=90.0))
    strict = DriftMonitor(store.engine, DriftConfig(min_calls=200))
    report = await strict.report(DAY_8 + DAY)
    assert report.findings() == []
    assert set(verdicts(report).values()) == {"insufficient"}
    lenient = DriftMonitor(store.engine, DriftConfig(min_calls=40))
    assert {"script", "input_tokens"} <= drifted(await lenient.report(DAY_8 + DAY))


async def test_the_frozen_clock_moves_the_windows(store: SqlCallStore) -> None:
    rng = random.Random(4)
    english = traffic(rng, WEEK_START, 8 * 300, span=8 * DAY)
    russian = traffic(rng, WEEK_START + 8 * DAY, 300, texts=RUSSIAN, tokens=90.0)
    await store.write_calls(english + russian)
    clock = FrozenClock(WEEK_START + 8 * DAY)
    monitor = DriftMonitor(store.engine, DriftConfig(), clock=clock)
    assert await monitor.check() == []  # day 8 (English) against days 1-7
    assert monitor.last_report is not None
    assert monitor.last_report.until == clock.wall()
    clock.advance(DAY)
    findings = await monitor.check()  # day 9 (Cyrillic) against days 2-8
    assert {"script", "input_tokens"} <= {f.row.feature for f in findings}
    clock.advance(8 * DAY)
    assert await monitor.check() == []  # nothing in the window: no routes, no rows
    assert monitor.last_report.rows == ()


async def test_a_pinned_reference(store: SqlCallStore) -> None:
    rng = random.Random(5)
    russian_week = traffic(rng, DAY_8 + 3 * DAY, 3 * 300, span=3 * DAY, texts=RUSSIAN)
    await store.write_calls(week(rng) + russian_week)
    monitor = DriftMonitor(store.engine, DriftConfig())
    now = DAY_8 + 6 * DAY
    # previous week = days 5-11: English and Russian mixed; a pinned English week sees it all
    english = PinnedReference(start=date(2026, 1, 1), end=date(2026, 1, 7))
    report = await monitor.report(now, reference=english)
    assert report.reference == "2026-01-01..2026-01-07"
    assert (report.reference_since, report.reference_until) == (WEEK_START, DAY_8)
    assert "script" in drifted(report)
    russian = PinnedReference(start=date(2026, 1, 12), end=date(2026, 1, 13))
    assert "script" not in drifted(await monitor.report(now, reference=russian))


# --------------------------------------------------------------------------- routes and releases


async def test_each_release_of_a_canary_is_compared_with_the_route(store: SqlCallStore) -> None:
    rng = random.Random(6)
    prompt = {"prompt": "greet", "release": "greet@1"}
    old = traffic(rng, DAY_8, 200, **prompt)
    new = traffic(rng, DAY_8, 200, output=300.0, prompt="greet", release="greet@2")
    plain = traffic(rng, DAY_8, 250)  # chat calls without a prompt: a route of their own
    reference = week(rng, **prompt) + week(rng)
    report = await report_of(store, reference + old + new + plain, min_calls=150)
    routes = {str(row.route) for row in report.rows}
    assert routes == {"chat", "chat/greet", "chat/greet@1", "chat/greet@2"}
    assert verdicts(report, "chat/greet@2")["output_tokens"] == "drift"
    assert verdicts(report, "chat/greet@1")["output_tokens"] == "stable"
    assert verdicts(report, "chat")["output_tokens"] == "stable"
    finding = next(f for f in report.findings() if str(f.row.route) == "chat/greet@2")
    assert finding.labels == {
        "model": "chat",
        "prompt": "greet",
        "release": "greet@2",
        "feature": "output_tokens",
    }
    assert finding.key == "drift/chat/greet/greet@2/output_tokens"
    greet = {row.feature: row for row in report.rows if str(row.route) == "chat/greet@2"}
    assert greet["output_tokens"].reference_n == 2100  # the route's whole reference


async def test_a_route_filter(store: SqlCallStore) -> None:
    rng = random.Random(7)
    other = traffic(rng, DAY_8, 300, model="faq", texts=RUSSIAN)
    await store.write_calls(week(rng) + traffic(rng, DAY_8, 300) + other)
    monitor = DriftMonitor(store.engine, DriftConfig())
    only_chat = await monitor.report(DAY_8 + DAY, model="chat")
    assert {str(row.route) for row in only_chat.rows} == {"chat"}
    everything = await monitor.report(DAY_8 + DAY)
    assert {str(row.route) for row in everything.rows} == {"chat", "faq"}
    assert verdicts(everything, "faq")["script"] == "insufficient"  # faq has no reference


# --------------------------------------------------------------------------- outcomes


async def add_feedback(
    store: SqlCallStore, records: list[CallRecord], negative_share: float, seed: int
) -> None:
    rng = random.Random(seed)
    rows = []
    for i, record in enumerate(records[::2]):  # feedback on every other call
        score = 0.0 if rng.random() < negative_share else 1.0  # 0 worst, 1 best
        rows.append(
            {
                "id": f"fb{seed:04x}{i:012x}",
                "trace_id": record.trace_id,
                "tenant": None,
                "kind": "rating",
                "score": score,
                "label": None,
                "comment": None,
                "correction": None,
                "negative": is_negative("rating", score, None),
                "created_at": record.started_at + 60,
                "actor": "test",
                "review_id": None,
            }
        )
    async with store.engine.begin() as conn:
        await conn.execute(sa.insert(feedback), rows)


async def test_validation_failures_and_negative_feedback_drift(store: SqlCallStore) -> None:
    rng = random.Random(8)
    reference, day = week(rng), traffic(rng, DAY_8, 400, invalid=0.4)
    await store.write_calls(reference + day)
    await add_feedback(store, reference, 0.1, seed=1)
    await add_feedback(store, day, 0.6, seed=2)
    report = await DriftMonitor(store.engine, DriftConfig()).report(DAY_8 + DAY)
    assert drifted(report) == {"validation", "feedback"}
    rows = {row.feature: row for row in report.rows}
    assert rows["feedback"].reference_n == 1050
    assert rows["feedback"].current_n == 200
    assert rows["feedback"].change == "negative 9.5% → 61%"
    assert rows["validation"].change == "invalid 2.4% → 42%"


async def test_calls_without_payloads_skip_the_message_features(store: SqlCallStore) -> None:
    rng = random.Random(9)
    records = week(rng, payloads=False) + traffic(rng, DAY_8, 300, payloads=False, tokens=90.0)
    report = await report_of(store, records)
    rows = {row.feature: row for row in report.rows}
    for feature in ("message_length", "script"):
        assert (rows[feature].reference_n, rows[feature].current_n) == (0, 0)
        assert rows[feature].verdict == "insufficient"
    assert drifted(report) == {"input_tokens"}


async def test_the_payload_sample_is_bounded_and_seeded(store: SqlCallStore) -> None:
    rng = random.Random(10)
    await store.write_calls(week(rng) + traffic(rng, DAY_8, 300))
    config = DriftConfig(sample_size=120)
    first = await DriftMonitor(store.engine, config).report(DAY_8 + DAY)
    again = await DriftMonitor(store.engine, config).report(DAY_8 + DAY)
    assert first.rows == again.rows
    rows = {row.feature: row for row in first.rows}
    assert (rows["script"].reference_n, rows["script"].current_n) == (120, 120)
    assert rows["input_tokens"].reference_n == 2100  # counted in SQL: never sampled
    other = await DriftMonitor(store.engine, DriftConfig(sample_size=120, seed=1)).report(
        DAY_8 + DAY
    )
    lengths = {row.feature: row for row in other.rows}["message_length"]
    assert lengths.reference_n == 120
    assert lengths.psi != rows["message_length"].psi  # another seed, another sample


# --------------------------------------------------------------------------- embeddings


def letter_embedder(texts: list[str]) -> list[list[float]]:
    """A stand-in for a sentence model: shares of Latin and Cyrillic letters, and length."""
    vectors = []
    for text in texts:
        latin = sum("a" <= c.lower() <= "z" for c in text)
        cyrillic = sum("а" <= c.lower() <= "я" for c in text)
        vectors.append([latin / len(text), cyrillic / len(text), len(text) / 100])
    return vectors


async def test_the_embedding_distance_drifts_with_the_language(store: SqlCallStore) -> None:
    rng = random.Random(11)
    records = week(rng) + traffic(rng, DAY_8, 300, texts=RUSSIAN)
    config = {"features": ["embedding", "output_tokens"], "embedder": "test_drift:letter_embedder"}
    report = await report_of(store, records, **config)
    rows = {row.feature: row for row in report.rows}
    assert rows["embedding"].verdict == "drift"
    assert (
        rows["embedding"].reference_n == 250
    )  # half of the 500 embedded: the other half is the centroid
    assert rows["embedding"].current_n == 300
    assert rows["embedding"].change.startswith("median distance ")
    assert rows["output_tokens"].verdict == "stable"


async def test_the_same_language_keeps_the_embedding_stable(store: SqlCallStore) -> None:
    rng = random.Random(12)
    monitor_config = {"features": ["embedding"], "embedder": "test_drift:letter_embedder"}
    report = await report_of(store, week(rng) + traffic(rng, DAY_8, 300), **monitor_config)
    assert verdicts(report) == {"embedding": "stable"}


async def test_an_unimportable_embedder_leaves_the_other_features_working(
    store: SqlCallStore,
) -> None:
    rng = random.Random(13)
    records = week(rng) + traffic(rng, DAY_8, 300, texts=RUSSIAN)
    config = {"features": ["script", "embedding"], "embedder": "no_such_embedder_pkg:embed"}
    report = await report_of(store, records, **config)
    rows = {row.feature: row for row in report.rows}
    assert rows["embedding"].verdict == "unavailable"
    assert "cannot import 'no_such_embedder_pkg'" in rows["embedding"].note
    assert rows["script"].verdict == "drift"


# --------------------------------------------------------------------------- into the alerts


async def test_findings_fire_the_default_drift_alert(store: SqlCallStore) -> None:
    rng = random.Random(14)
    await store.write_calls(week(rng) + traffic(rng, DAY_8, 300, texts=RUSSIAN))
    clock = FrozenClock(DAY_8 + DAY)
    monitor = DriftMonitor(store.engine, DriftConfig(features=["script"]), clock=clock)
    engine = AlertEngine(AlertsConfig(), store.engine, clock=clock)
    await engine.start(background=False)
    try:
        for finding in await monitor.check():
            engine.emit(
                AlertSignal(
                    finding.kind, finding.summary, finding.labels, finding.key, finding.values
                )
            )
        events = await engine.evaluate_once(windows=False)
    finally:
        await engine.aclose()
    assert [(e.rule, e.status) for e in events] == [("drift", "firing")]
    (event,) = events
    assert event.labels == {"model": "chat", "feature": "script"}
    assert event.summary.startswith(
        "script of chat drifted from its reference (previous_week): cyrillic 0% → 100%"
    )
    assert event.runbook_url.endswith("#alert-drift")
    assert event.figures["current_calls"] == 300


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


async def test_the_same_findings_on_postgresql(postgres_url: str) -> None:
    store = await open_store(postgres_url)
    try:
        rng = random.Random(2)
        day = traffic(rng, DAY_8, 400, texts=RUSSIAN, tokens=90.0, invalid=0.4)
        reference = week(rng)
        await store.write_calls(reference + day)
        await add_feedback(store, reference, 0.1, seed=1)
        await add_feedback(store, day, 0.6, seed=2)
        report = await DriftMonitor(store.engine, DriftConfig(sample_size=200)).report(DAY_8 + DAY)
    finally:
        await store.aclose()
    assert drifted(report) - {"message_length"} == {
        "script",
        "input_tokens",
        "validation",
        "feedback",
    }
    rows = {row.feature: row for row in report.rows}
    assert rows["confidence"].verdict == "stable"
    assert (rows["script"].reference_n, rows["script"].current_n) == (200, 200)
