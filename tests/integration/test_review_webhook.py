"""Webhook delivery against a real receiver on loopback: retries, final refusals, no receiver."""

from __future__ import annotations

import random

from helpers.process import free_port
from helpers.webhooks import webhook_receiver
from seawall.review.webhook import Delivery, RetryPolicy, WebhookSender

FAST = RetryPolicy(attempts=4, base_delay_s=0.01, max_delay_s=0.05, timeout_s=5.0)
PAYLOAD = {"review_id": "rv0123456789abcdef", "decision": "approved", "final_answer": "ok"}


async def test_a_failing_then_recovering_receiver_gets_the_decision() -> None:
    with webhook_receiver([503, 500]) as receiver:
        sender = WebhookSender(FAST, rng=random.Random(1))
        try:
            delivery = await sender.deliver(receiver.url, PAYLOAD, key="rv0123456789abcdef")
        finally:
            await sender.aclose()
        assert delivery == Delivery("delivered", 3, None, 200)
        assert [r.body for r in receiver.received] == [PAYLOAD] * 3
        assert receiver.received[0].headers["x-seawall-review-id"] == "rv0123456789abcdef"
        assert receiver.received[0].headers["content-type"] == "application/json"


async def test_a_refusal_is_final_and_a_busy_receiver_is_retried() -> None:
    with webhook_receiver([404]) as refusing:
        sender = WebhookSender(FAST)
        try:
            refused = await sender.deliver(refusing.url, PAYLOAD)
        finally:
            await sender.aclose()
    assert refused == Delivery("failed", 1, "HTTP 404", 404)
    with webhook_receiver([429, 429, 429, 429]) as busy:
        sender = WebhookSender(FAST)
        try:
            gave_up = await sender.deliver(busy.url, PAYLOAD)
        finally:
            await sender.aclose()
    assert gave_up == Delivery("failed", 4, "HTTP 429", 429)
    assert len(busy.received) == 4


async def test_no_receiver_at_all_fails_after_every_attempt() -> None:
    sender = WebhookSender(FAST)
    try:
        delivery = await sender.deliver(f"http://127.0.0.1:{free_port()}/hook", PAYLOAD)
    finally:
        await sender.aclose()
    assert (delivery.status, delivery.attempts, delivery.http_status) == ("failed", 4, None)
    assert delivery.error is not None
    assert "Connect" in delivery.error


async def test_submit_returns_at_once_and_reports_the_outcome() -> None:
    outcomes: list[tuple[str, Delivery]] = []

    async def done(key: str, delivery: Delivery) -> None:
        outcomes.append((key, delivery))

    with webhook_receiver([503]) as receiver:
        sender = WebhookSender(FAST, on_done=done)
        task = sender.submit("rv1", receiver.url, PAYLOAD)
        assert not task.done()  # the caller did not wait for the receiver
        assert sender.in_flight == 1
        await sender.drain(10)
        await sender.aclose()
    assert outcomes == [("rv1", Delivery("delivered", 2, None, 200))]
    assert sender.in_flight == 0


def test_backoff_is_capped_full_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=4.0)
    rng = random.Random(7)
    delays = [policy.delay(retry, rng) for retry in range(8) for _ in range(50)]
    assert all(0.0 <= d <= 4.0 for d in delays)
    assert max(policy.delay(0, rng) for _ in range(200)) <= 0.5
    assert policy.delay(0, rng, retry_after=2.0) == 2.0
    assert policy.delay(0, rng, retry_after=3600.0) == 4.0
