"""A scenario's self-reported confidence: seeded, and lower on the answers it got wrong."""

from __future__ import annotations

import statistics
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from seawall.config import SimScenario, SimSettings
from seawall.sim.engine import SimEngine

ORDER = {"match": "order", "reply_json": {"status": "shipped"}, "wrong_field": "status"}


def engine(**scenario: Any) -> SimEngine:
    return SimEngine(SimSettings(seed=4, scenarios=[SimScenario(**{**ORDER, **scenario})]))


def replies(sim: SimEngine, n: int = 400) -> list[dict[str, Any]]:
    asks = [
        {"model": "m", "seed": i, "messages": [{"role": "user", "content": f"order {i % 7}"}]}
        for i in range(n)
    ]
    return [orjson.loads(sim.decide(body).text) for body in asks]


def test_confidence_is_lower_on_wrong_answers() -> None:
    answers = replies(engine(wrong_rate=0.3, confidence_field="confidence"))
    right = [a["confidence"] for a in answers if a["status"] == "shipped"]
    wrong = [a["confidence"] for a in answers if a["status"] != "shipped"]
    assert 0.2 <= len(wrong) / len(answers) <= 0.4, "wrong_rate 0.3 (400 draws, ±0.1)"
    assert min(right) >= 0.55
    assert max(right) <= 0.98
    assert min(wrong) >= 0.05
    assert max(wrong) <= 0.65
    # Uniform ranges: means ~0.765 and ~0.35; with >100 draws each, well apart.
    assert statistics.mean(right) - statistics.mean(wrong) > 0.3


def test_the_field_leaves_the_answers_and_their_seeds_alone() -> None:
    plain = replies(engine(wrong_rate=0.3))
    scored = replies(engine(wrong_rate=0.3, confidence_field="confidence"))
    assert [a["status"] for a in scored] == [a["status"] for a in plain]
    assert all("confidence" not in a for a in plain)
    again = replies(engine(wrong_rate=0.3, confidence_field="confidence"))
    assert again == scored, "the same request seeds give the same confidences"
    always_right = replies(engine(wrong_field=None, confidence_field="certainty"), 50)
    assert all(0.55 <= a["certainty"] <= 0.98 for a in always_right)


def test_confidence_needs_an_object_reply() -> None:
    with pytest.raises(
        ValidationError, match="confidence_field needs 'reply_json' to be an object"
    ):
        SimScenario(match="x", reply="text", confidence_field="confidence")
    with pytest.raises(ValidationError, match="confidence_field needs"):
        SimScenario(match="x", reply_json=[1, 2], confidence_field="confidence")
