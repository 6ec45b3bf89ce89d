"""Notifiers against a real webhook receiver on loopback: retries, give-up, hangs, drops."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from typing import Any

import pytest

from helpers.alert_receiver import Receiver, start_receiver
from helpers.process import free_port
from seawall.alerts.config import LogNotifier, RetrySettings, SlackNotifier, WebhookNotifier
from seawall.alerts.events import AlertEvent
from seawall.alerts.notifiers import (
    LogSender,
    Notifiers,
    NotifierWorker,
    backoff_delay,
    build_sender,
    deliver,
)
from seawall.alerts.slack import slack_payload

FAST_RETRY = {"max_attempts": 3, "base_delay_s": 0.001, "max_delay_s": 0.002, "timeout_s": 2.0}


def event(n: int = 0, **changes: Any) -> AlertEvent:
    fields: dict[str, Any] = {
        "rule": "error-rate",
        "kind": "error_rate",
        "status": "firing",
        "severity": "page",
        "labels": {"model": "chat"},
        "summary": f"error rate 7.5% (n={n})",
        "runbook_url": "docs/operations.md#alert-error-rate",
        "at": 1_700_000_000.0 + n,
        "value": 0.075,
        "figures": {"calls": 200.0},
    }
    return AlertEvent(**{**fields, **changes})


def webhook(url: str, **retry: Any) -> WebhookNotifier:
    return WebhookNotifier(kind="webhook", url=url, retry=RetrySettings(**{**FAST_RETRY, **retry}))


@pytest.fixture(scope="module")
def module_receiver() -> Iterator[Receiver]:
    with start_receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(module_receiver: Receiver) -> Receiver:
    module_receiver.received.clear()
    module_receiver.hits = 0
    module_receiver.script()
    return module_receiver


async def test_retries_5xx_with_backoff_then_delivers(receiver: Receiver) -> None:
    receiver.script(500, 503)
    cfg = webhook(receiver.hook)
    sender = build_sender(cfg)
    try:
        result = await deliver("hook", sender, event(), cfg.retry, random.Random(1))
    finally:
        await sender.aclose()
    assert (result.ok, result.attempts, receiver.hits) == (True, 3, 3)
    body = receiver.received[0]
    assert body["source"] == "seawall"
    assert body["rule"] == "error-rate"
    assert body["labels"] == {"model": "chat"}
    assert body["runbook_url"] == "docs/operations.md#alert-error-rate"


async def test_gives_up_after_max_attempts_and_counts_it(receiver: Receiver) -> None:
    receiver.script(*[503] * 10)
    notifiers = Notifiers.from_config({"hook": webhook(receiver.hook)})
    notifiers.start()
    try:
        notifiers.submit(event())
        assert await notifiers.drain(5.0)
    finally:
        await notifiers.aclose()
    assert receiver.hits == 3
    assert notifiers.stats()["hook"] == {"queued": 0, "sent": 0, "failed": 1, "dropped": 0}


async def test_a_client_error_is_not_retried(receiver: Receiver) -> None:
    receiver.script(404)
    cfg = webhook(receiver.hook)
    sender = build_sender(cfg)
    try:
        result = await deliver("hook", sender, event(), cfg.retry, random.Random(1))
    finally:
        await sender.aclose()
    assert (result.ok, result.attempts) == (False, 1)
    assert result.error is not None
    assert result.error.startswith("HTTP 404")


async def test_connection_errors_are_retried() -> None:
    cfg = webhook(f"http://127.0.0.1:{free_port()}/hook")
    sender = build_sender(cfg)
    try:
        result = await deliver("dead", sender, event(), cfg.retry, random.Random(1))
    finally:
        await sender.aclose()
    assert (result.ok, result.attempts) == (False, 3)
    assert result.error is not None
    assert "connection failed" in result.error


async def test_a_hanging_notifier_delays_no_other(receiver: Receiver) -> None:
    configs = {
        "stuck": webhook(receiver.hang, max_attempts=2, timeout_s=0.3),
        "hook": webhook(receiver.hook),
    }
    notifiers = Notifiers.from_config(configs)
    notifiers.start()
    try:
        notifiers.submit(event())  # returns at once: nothing has been sent yet
        assert receiver.received == []
        await receiver.wait_for(1, timeout_s=5.0)
        # The healthy notifier delivered while the stuck one is still on its first attempt.
        assert notifiers.stats()["stuck"]["failed"] == 0
        assert await notifiers.workers["stuck"].drain(5.0)
    finally:
        await notifiers.aclose()
    assert notifiers.stats()["stuck"]["failed"] == 1  # two bounded attempts, then gave up
    assert notifiers.stats()["hook"]["sent"] == 1


async def test_a_full_queue_drops_the_oldest_and_counts_it(receiver: Receiver) -> None:
    cfg = WebhookNotifier(
        kind="webhook", url=receiver.hook, queue_size=2, retry=RetrySettings(**FAST_RETRY)
    )
    worker = NotifierWorker("hook", cfg, build_sender(cfg), random.Random(1))
    for n in range(3):
        worker.submit(event(n))  # the worker is not running yet: the queue fills
    assert worker.stats()["dropped"] == 1
    worker.start()
    try:
        bodies = await receiver.wait_for(2)
    finally:
        await worker.aclose()
    assert [b["at"] for b in bodies] == [event(1).at, event(2).at]


async def test_minimum_severity_filters_what_a_notifier_gets(receiver: Receiver) -> None:
    pager = WebhookNotifier(
        kind="webhook", url=receiver.hook, min_severity="page", retry=RetrySettings(**FAST_RETRY)
    )
    notifiers = Notifiers.from_config({"pager": pager})
    notifiers.start()
    try:
        notifiers.submit(event(1, severity="ticket"))
        notifiers.submit(event(2, severity="page"))
        bodies = await receiver.wait_for(1)
        assert await notifiers.drain(5.0)
    finally:
        await notifiers.aclose()
    assert [b["severity"] for b in bodies] == ["page"]


async def test_slack_notifier_posts_text_and_blocks(receiver: Receiver) -> None:
    cfg = SlackNotifier(kind="slack", url=receiver.hook, retry=RetrySettings(**FAST_RETRY))
    sender = build_sender(cfg)
    try:
        assert (await deliver("slack", sender, event(), cfg.retry, random.Random(1))).ok
    finally:
        await sender.aclose()
    body = receiver.received[0]
    assert body["text"].startswith(":rotating_light: FIRING error-rate [page] model=chat:")
    assert "runbook: docs/operations.md#alert-error-rate" in body["text"]
    assert body["blocks"][0]["text"]["text"] == "FIRING: error-rate"
    assert slack_payload(event(), blocks=False).keys() == {"text"}
    linked = slack_payload(event(runbook_url="https://wiki/ops#x"))
    assert "<https://wiki/ops#x|runbook>" in linked["text"]


async def test_secret_urls_are_read_from_the_environment(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = webhook("env:SEAWALL_TEST_ALERT_HOOK")
    monkeypatch.delenv("SEAWALL_TEST_ALERT_HOOK", raising=False)
    sender = build_sender(cfg)
    try:
        missing = await deliver("hook", sender, event(), cfg.retry, random.Random(1))
        monkeypatch.setenv("SEAWALL_TEST_ALERT_HOOK", receiver.hook)
        found = await deliver("hook", sender, event(), cfg.retry, random.Random(1))
    finally:
        await sender.aclose()
    assert (missing.ok, missing.attempts, missing.error) == (
        False,
        1,
        "env:SEAWALL_TEST_ALERT_HOOK is not set",
    )
    assert found.ok
    assert len(receiver.received) == 1


async def test_log_notifier_writes_the_event(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="seawall.alerts"):
        await LogSender().send(event())
        await LogSender().send(event(status="resolved"))
    firing, resolved = caplog.records
    assert firing.levelno == logging.WARNING
    assert resolved.levelno == logging.INFO
    assert "ALERT FIRING error-rate [page] model=chat" in firing.getMessage()
    assert "docs/operations.md#alert-error-rate" in firing.getMessage()
    assert isinstance(build_sender(LogNotifier(kind="log")), LogSender)


def test_backoff_is_full_jitter_doubling_up_to_the_cap() -> None:
    settings = RetrySettings(base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(7)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        draws = [backoff_delay(retry, settings, rng) for _ in range(500)]
        assert min(draws) >= 0.0
        assert max(draws) <= ceiling
        assert max(draws) > 0.9 * ceiling  # jitter spans the range (500 seeded draws)
    again = random.Random(7)
    assert backoff_delay(1, settings, again) == backoff_delay(1, settings, random.Random(7))
