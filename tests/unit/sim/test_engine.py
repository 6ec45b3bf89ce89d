"""The simulator's decisions: seeded, deterministic, and faithful to the configured rates."""

from __future__ import annotations

import json
import statistics
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seawall.config import SimFaults, SimLatency, SimScenario, SimSettings
from seawall.core.clock import FrozenClock
from seawall.sim import FAULT_KINDS, SimEngine, split_pieces


def ask(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **extra}


PROMPTS = [f"question number {i}: what about topic {i * 7}?" for i in range(40)]


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_run() -> None:
    settings = SimSettings(
        seed=7,
        latency=SimLatency(p50_ms=50, p99_ms=200),
        faults=SimFaults(rate_500=0.2, rate_empty=0.1),
    )
    runs = [SimEngine(settings, FrozenClock()) for _ in range(2)]
    outcomes = [[engine.decide(ask(p)) for p in PROMPTS] for engine in runs]
    first, second = ([(o.fault, o.latency_s, o.text) for o in run] for run in outcomes)
    assert first == second


def test_answer_depends_only_on_seed_and_request() -> None:
    engine = SimEngine(SimSettings(seed=1))
    assert engine.decide(ask("hello there")).text == engine.decide(ask("hello there")).text
    other_seed = SimEngine(SimSettings(seed=2))
    differing = [p for p in PROMPTS if engine.decide(ask(p)).text != other_seed.decide(ask(p)).text]
    assert len(differing) > len(PROMPTS) // 2


def test_answers_vary_in_length_and_echo_the_question() -> None:
    engine = SimEngine(SimSettings())
    texts = [engine.decide(ask(p)).text for p in PROMPTS]
    assert len({len(t) for t in texts}) > 5
    assert texts[3].startswith('Regarding "question number 3:')


def test_content_parts_and_last_user_message_are_read() -> None:
    engine = SimEngine(SimSettings())
    parts = {"role": "user", "content": [{"type": "text", "text": "hello there"}]}
    body = {"messages": [{"role": "user", "content": "first"}, {"role": "assistant"}, parts]}
    assert engine.decide(body).text == engine.decide(ask("hello there")).text


# --------------------------------------------------------------------------- faults


def test_fault_rates_match_the_settings() -> None:
    rates = {
        "429": 0.10,
        "500": 0.05,
        "503": 0.05,
        "connect": 0.02,
        "hang": 0.01,
        "malformed": 0.03,
        "truncated": 0.04,
        "empty": 0.05,
    }
    faults = SimFaults(**{f"rate_{kind}": rate for kind, rate in rates.items()})
    engine = SimEngine(SimSettings(seed=11, faults=faults))
    draws = 20_000
    for i in range(draws):
        engine.decide(ask(PROMPTS[i % len(PROMPTS)]))
    stats = engine.stats()
    assert stats["calls"] == draws
    assert sum(stats[k] for k in ("ok", *FAULT_KINDS)) == draws
    for kind, rate in rates.items():
        # ±0.01 is more than 4 standard errors at these rates and N.
        assert stats[kind] / draws == pytest.approx(rate, abs=0.01), kind
    assert stats["ok"] / draws == pytest.approx(1 - sum(rates.values()), abs=0.015)


def test_no_faults_by_default() -> None:
    engine = SimEngine(SimSettings())
    assert all(engine.decide(ask(p)).fault is None for p in PROMPTS)


def test_retry_after_comes_from_the_faults() -> None:
    engine = SimEngine(SimSettings(faults=SimFaults(rate_429=1.0, retry_after_s=2.5)))
    outcome = engine.decide(ask("x"))
    assert (outcome.fault, outcome.retry_after_s) == ("429", 2.5)


def test_empty_and_truncated_answers() -> None:
    full = SimEngine(SimSettings()).decide(ask("tell me")).text
    empty = SimEngine(SimSettings(faults=SimFaults(rate_empty=1.0))).decide(ask("tell me"))
    assert (empty.fault, empty.text) == ("empty", "")
    cut = SimEngine(SimSettings(faults=SimFaults(rate_truncated=1.0))).decide(ask("tell me"))
    assert cut.text == full[: len(full) // 2]
    assert cut.finish_reason == "length"


def test_truncated_stream_sends_about_half_the_pieces() -> None:
    engine = SimEngine(SimSettings(faults=SimFaults(rate_truncated=1.0)))
    outcome = engine.decide(ask("tell me"), stream=True)
    whole = split_pieces(outcome.text)
    assert outcome.pieces == tuple(whole[: len(whole) // 2])
    assert outcome.finish_reason == "stop"


# --------------------------------------------------------------------------- outages


def test_configured_outage_window_follows_the_clock() -> None:
    clock = FrozenClock()
    faults = SimFaults(outage_after_s=10, outage_for_s=5)
    engine = SimEngine(SimSettings(faults=faults), clock)
    assert engine.decide(ask("a")).fault is None
    clock.advance(10)
    assert engine.decide(ask("a")).fault == "outage"
    clock.advance(5)
    assert engine.decide(ask("a")).fault is None
    assert engine.stats()["outage"] == 1


def test_runtime_outage_switch() -> None:
    clock = FrozenClock()
    engine = SimEngine(SimSettings(faults=SimFaults(outage=True)), clock)
    assert engine.outage_active()
    engine.set_outage(0)
    assert not engine.outage_active()
    engine.set_outage(3)
    assert engine.decide(ask("a")).fault == "outage"
    clock.advance(3)
    assert not engine.outage_active()
    engine.set_outage(None)
    clock.advance(1e6)
    assert engine.outage_active()


def test_set_faults_replaces_rates_and_restarts_the_window() -> None:
    clock = FrozenClock()
    engine = SimEngine(SimSettings(), clock)
    clock.advance(100)
    engine.set_faults(SimFaults(rate_503=1.0, outage_after_s=1))
    assert engine.decide(ask("a")).fault == "503"
    clock.advance(1)
    assert engine.decide(ask("a")).fault == "outage"
    engine.set_faults(SimFaults())
    assert engine.decide(ask("a")).fault is None


# --------------------------------------------------------------------------- latency


def test_lognormal_latency_matches_p50_and_p99() -> None:
    engine = SimEngine(SimSettings(seed=3, latency=SimLatency(p50_ms=100, p99_ms=400)))
    samples = sorted(engine.decide(ask("x")).latency_s for _ in range(20_000))
    assert statistics.median(samples) == pytest.approx(0.100, rel=0.05)
    assert samples[int(0.99 * len(samples))] == pytest.approx(0.400, rel=0.10)


def test_fixed_latency_overrides_the_distribution() -> None:
    latency = SimLatency(fixed_ms=25, p50_ms=100, p99_ms=400)
    engine = SimEngine(SimSettings(latency=latency))
    assert {engine.decide(ask(p)).latency_s for p in PROMPTS} == {0.025}


def test_p50_alone_is_a_fixed_latency_and_default_is_none() -> None:
    engine = SimEngine(SimSettings(latency=SimLatency(p50_ms=40)))
    assert engine.decide(ask("x")).latency_s == pytest.approx(0.040)
    assert SimEngine(SimSettings()).decide(ask("x")).latency_s == 0.0


def test_stream_waits_ttft_first_and_chunk_ms_between() -> None:
    latency = SimLatency(fixed_ms=500, ttft_ms=30, chunk_ms=5)
    outcome = SimEngine(SimSettings(latency=latency)).decide(ask("x"), stream=True)
    assert (outcome.latency_s, outcome.chunk_s) == (0.030, 0.005)
    assert "".join(outcome.pieces) == outcome.text


# --------------------------------------------------------------------------- scenarios


def test_first_matching_scenario_wins() -> None:
    scenarios = [
        SimScenario(match=r"refund", reply="Refunds take 5 days."),
        SimScenario(match=r"refund|order", reply_json={"status": "shipped"}),
    ]
    engine = SimEngine(SimSettings(scenarios=scenarios))
    assert engine.decide(ask("where is my refund?")).text == "Refunds take 5 days."
    assert json.loads(engine.decide(ask("my order")).text) == {"status": "shipped"}
    assert engine.decide(ask("hello")).text.startswith("Regarding")


def test_wrong_rate_corrupts_the_field_at_that_rate() -> None:
    scenario = SimScenario(
        match="x",
        reply_json={"id": 1, "who": {"name": "a"}},
        wrong_field="who.name",
        wrong_rate=0.3,
    )
    engine = SimEngine(SimSettings(seed=5, scenarios=[scenario]))
    names = [json.loads(engine.decide(ask("x")).text)["who"]["name"] for _ in range(4000)]
    wrong = sum(not isinstance(name, str) for name in names)
    assert wrong / len(names) == pytest.approx(0.3, abs=0.03)
    assert {name for name in names if isinstance(name, str)} == {"a"}


def test_scenario_without_wrong_rate_is_always_right() -> None:
    scenario = SimScenario(match="x", reply_json={"n": 1}, wrong_field="n")
    engine = SimEngine(SimSettings(scenarios=[scenario]))
    assert all(engine.decide(ask("x")).text == '{"n":1}' for _ in range(100))


# --------------------------------------------------------------------------- JSON answers

SCHEMAS: list[dict[str, Any]] = [
    {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 3, "maxLength": 8},
            "age": {"type": "integer", "minimum": 18, "maximum": 20},
            "score": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
            "ok": {"type": "boolean"},
            "mood": {"enum": ["happy", "sad"]},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        },
        "required": ["name", "age"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}},
                    "required": ["sku", "qty"],
                },
            },
            "note": {"type": ["string", "null"]},
            "when": {"type": "string", "format": "date"},
        },
        "required": ["items"],
    },
    {"type": "object", "properties": {"level": {"type": "integer", "exclusiveMinimum": 9}}},
]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_json_schema_answers_validate(schema: dict[str, Any]) -> None:
    engine = SimEngine(SimSettings())
    fmt = {"type": "json_schema", "json_schema": {"name": "out", "schema": schema}}
    for prompt in PROMPTS[:10]:
        jsonschema.validate(
            json.loads(engine.decide(ask(prompt, response_format=fmt)).text), schema
        )


def test_json_answers_are_deterministic() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "out", "schema": SCHEMAS[0]}}
    texts = {SimEngine(SimSettings()).decide(ask("q", response_format=fmt)).text for _ in range(3)}
    assert len(texts) == 1


@pytest.mark.parametrize(
    "fmt",
    [
        {"type": "json_object"},
        {"type": "json_schema", "json_schema": {"schema": {"type": "string", "pattern": "^a+$"}}},
        {"type": "json_schema", "json_schema": {"schema": {"$ref": "#/defs/x"}}},
    ],
)
def test_json_without_a_simple_schema_answers_an_object(fmt: dict[str, Any]) -> None:
    answer = json.loads(SimEngine(SimSettings()).decide(ask("q", response_format=fmt)).text)
    assert isinstance(answer["answer"], str)


# --------------------------------------------------------------------------- usage and limits


def test_usage_is_about_four_characters_a_token() -> None:
    outcome = SimEngine(SimSettings()).decide(ask("x" * 400))
    assert outcome.prompt_tokens == 100
    assert outcome.completion_tokens == pytest.approx(len(outcome.text) / 4, abs=1)
    tiny = SimEngine(SimSettings(faults=SimFaults(rate_empty=1.0))).decide({"messages": []})
    assert (tiny.prompt_tokens, tiny.completion_tokens) == (1, 1)


def test_max_tokens_cuts_the_answer() -> None:
    outcome = SimEngine(SimSettings()).decide(ask("tell me", max_tokens=3))
    assert len(outcome.text) == 12
    assert outcome.finish_reason == "length"


@given(st.text())
def test_stream_pieces_join_back_to_the_text(text: str) -> None:
    pieces = split_pieces(text)
    assert "".join(pieces) == text
    assert all(pieces)
