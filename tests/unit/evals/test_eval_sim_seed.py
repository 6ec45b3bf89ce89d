"""The simulator honours a request's ``seed``: what lets eval samples be reproduced exactly."""

from __future__ import annotations

from typing import Any

from seawall.config import SimScenario, SimSettings
from seawall.sim.engine import SimEngine

SCENARIO = SimScenario(
    match="order", reply_json={"status": "shipped"}, wrong_field="status", wrong_rate=0.5
)


def ask(prompt: str, seed: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": prompt}]}
    if seed is not None:
        body["seed"] = seed
    return body


def answers(engine: SimEngine, requests: list[dict[str, Any]]) -> list[str]:
    return [engine.decide(r).text for r in requests]


def test_a_seeded_request_gets_the_same_answer_in_any_order() -> None:
    requests = [ask(f"order {i}", seed=i) for i in range(40)]
    forward = answers(SimEngine(SimSettings(seed=1, scenarios=[SCENARIO])), requests)
    backward = answers(SimEngine(SimSettings(seed=1, scenarios=[SCENARIO])), requests[::-1])
    assert forward == backward[::-1]
    wrong = sum('"status":42' in text for text in forward)
    assert 10 <= wrong <= 30, f"about half are corrupted at wrong_rate 0.5 (got {wrong}/40)"


def test_seeds_and_settings_both_shape_the_draw() -> None:
    requests = [ask("order", seed=i) for i in range(40)]
    one = answers(SimEngine(SimSettings(seed=1, scenarios=[SCENARIO])), requests)
    other = answers(SimEngine(SimSettings(seed=2, scenarios=[SCENARIO])), requests)
    assert one != other
    assert len(set(one)) == 2, "different request seeds draw differently"


def test_without_a_seed_the_draws_follow_the_call_order() -> None:
    requests = [ask(f"order {i}") for i in range(40)]
    forward = answers(SimEngine(SimSettings(seed=1, scenarios=[SCENARIO])), requests)
    backward = answers(SimEngine(SimSettings(seed=1, scenarios=[SCENARIO])), requests[::-1])
    assert forward != backward[::-1], "unseeded requests share one stream (the old behaviour)"
