"""Every assertion type, passing and failing, and how assertions combine."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from seawall.evals.assertions import CheckContext, CheckError, evaluate, run_check
from seawall.evals.assertions.specs import AssertionSpec
from seawall.evals.assertions.text import is_refusal
from seawall.evals.results import AssertionResult, Output
from seawall.evals.suite import Case

SPEC: TypeAdapter[Any] = TypeAdapter(AssertionSpec)
CASE = Case(id="c1", tags=["happy"], vars={"city": "Oslo"})


async def check(raw: dict[str, Any], text: str, **output: Any) -> AssertionResult:
    ctx = CheckContext(case=CASE, sample=0, plugins=PLUGINS)
    return await run_check(
        SPEC.validate_python(raw),
        Output(text=text, latency_ms=output.pop("latency_ms", 10.0), **output),
        ctx,
    )


def words_embedder(texts: list[str]) -> list[list[float]]:
    """A tiny deterministic embedding (bag of words over a fixed vocabulary), as a user's own."""
    vocabulary = ["refund", "30", "days", "return", "shipping", "weather"]
    return [[float(t.lower().split().count(w)) for w in vocabulary] for t in texts]


def judge_like(output: str, case: Case) -> float:
    return 0.9 if case.vars["city"] in output else 0.1


PLUGINS = {
    "emb:words": words_embedder,
    "checks:polite": lambda output, case: ("please" in output, "not polite"),
    "checks:boolean": lambda output, case: output.startswith("Yes"),
    "checks:score": judge_like,
    "checks:broken": lambda output, case: 1 / 0,
    "checks:odd": lambda output, case: "maybe",
}

# (assertion, an output that passes, an output that fails, words in the failure reason)
CASES: list[tuple[dict[str, Any], str, str, str]] = [
    ({"type": "equals", "value": "Paris"}, "  Paris\n", "Paris, France", "expected 'Paris'"),
    ({"type": "equals", "value": {"a": 1}}, '{"a": 1}', '{"a": 2}', "expected {'a': 1}"),
    (
        {"type": "contains", "value": "30 days"},
        "within 30 days",
        "within 30 Days",
        "missing '30 days'",
    ),
    ({"type": "contains", "value": ["30", "days"]}, "30 days", "30 weeks", "missing 'days'"),
    ({"type": "icontains", "value": "REFUND"}, "a Refund", "a return", "missing 'refund'"),
    (
        {"type": "not_contains", "value": ["password", "4111"]},
        "safe",
        "card 4111",
        "contains '4111'",
    ),
    ({"type": "starts_with", "value": "Yes"}, " Yes, we do", "No, yes", "does not start with"),
    ({"type": "regex", "pattern": r"\d+-\d+ days"}, "3-5 days", "three days", "no match"),
    ({"type": "regex", "pattern": "^yes", "ignore_case": True}, "YES sir", "no", "no match"),
    ({"type": "is_json"}, '{"a": [1]}', "{'a': 1}", "not JSON"),
    (
        {
            "type": "json_schema",
            "schema": {
                "type": "object",
                "required": ["n"],
                "properties": {"n": {"type": "integer"}},
            },
        },
        '{"n": 3}',
        '{"n": "3"}',
        "$.n: '3' is not of type 'integer'",
    ),
    (
        {"type": "json_path", "path": "$.items[0].sku", "equals": "A1"},
        '{"items": [{"sku": "A1"}]}',
        '{"items": [{"sku": "B2"}]}',
        "is 'B2', expected 'A1'",
    ),
    (
        {"type": "json_path", "path": "$.items[1]"},
        '{"items": [1, 2]}',
        '{"items": [1]}',
        "nothing at $.items[1]",
    ),
    (
        {"type": "json_path", "path": "$.tier", "in": ["gold", "silver"]},
        '{"tier": "gold"}',
        '{"tier": "tin"}',
        "not one of",
    ),
    (
        {"type": "json_path", "path": "$['total price']", "min": 10, "max": 20},
        '{"total price": 12.5}',
        '{"total price": 25}',
        "outside [10..20]",
    ),
    ({"type": "json_path", "path": "$.n", "min": 0}, '{"n": 1}', '{"n": "1"}', "not a number"),
    ({"type": "length", "max": 10}, "short", "far too long here", "17 chars, expected [..10]"),
    (
        {"type": "length", "min": 2, "max": 3, "unit": "words"},
        "two words",
        "one",
        "1 words, expected [2..3]",
    ),
    (
        {"type": "refusal"},
        "I'm sorry, but I can't help with that.",
        "Sure, here it is.",
        "answered instead",
    ),
    (
        {"type": "refusal", "expected": False},
        "Returns take 30 days.",
        "I cannot help with that request.",
        "the model refused",
    ),
    (
        {
            "type": "similarity",
            "reference": "refund within 30 days",
            "embedder": "emb:words",
            "min": 0.8,
        },
        "30 days refund",
        "weather shipping",
        "similarity 0.000 < 0.8",
    ),
    ({"type": "python", "function": "checks:polite"}, "please wait", "wait", "not polite"),
    ({"type": "python", "function": "checks:boolean"}, "Yes", "No", "returned false"),
    (
        {"type": "python", "function": "checks:score", "min_score": 0.5},
        "Oslo is cold",
        "Rome is warm",
        "score 0.10 < 0.5",
    ),
]


@pytest.mark.parametrize(
    ("raw", "good", "bad", "why"), CASES, ids=[c[0]["type"] + str(i) for i, c in enumerate(CASES)]
)
async def test_each_assertion_passes_and_fails(
    raw: dict[str, Any], good: str, bad: str, why: str
) -> None:
    passed = await check(raw, good)
    assert passed.passed, passed.reason
    assert passed.score > 0
    failed = await check(raw, bad)
    assert not failed.passed
    assert why in failed.reason
    assert failed.type == raw["type"]


async def test_latency_and_cost_ceilings() -> None:
    assert (await check({"type": "latency", "max_ms": 500}, "x", latency_ms=120)).passed
    slow = await check({"type": "latency", "max_ms": 500}, "x", latency_ms=900)
    assert not slow.passed
    assert "took 900 ms" in slow.reason
    assert (await check({"type": "cost", "max_usd": 0.01}, "x", cost_usd=0.002)).passed
    dear = await check({"type": "cost", "max_usd": 0.01}, "x", cost_usd=0.05)
    assert not dear.passed
    unknown = await check({"type": "cost", "max_usd": 0.01}, "x", cost_usd=None)
    assert not unknown.passed, "an unknown cost is not cheap enough"


async def test_a_custom_function_that_crashes_or_answers_oddly_is_an_error() -> None:
    with pytest.raises(CheckError, match="checks:broken raised ZeroDivisionError"):
        await check({"type": "python", "function": "checks:broken"}, "x")
    with pytest.raises(CheckError, match="expected a bool"):
        await check({"type": "python", "function": "checks:odd"}, "x")


async def test_groups_all_any_and_threshold() -> None:
    contains_a = {"type": "contains", "value": "a"}
    contains_z = {"type": "contains", "value": "z"}
    assert not (await check({"type": "all", "assert": [contains_a, contains_z]}, "abc")).passed
    assert (await check({"type": "any", "assert": [contains_a, contains_z]}, "abc")).passed
    none = await check(
        {"type": "any", "assert": [contains_z, {"type": "contains", "value": "y"}]}, "abc"
    )
    assert not none.passed
    assert none.reason.startswith("none passed")
    weighted = {
        "type": "all",
        "threshold": 0.7,
        "assert": [{**contains_a, "weight": 3}, {**contains_z, "weight": 1}],
    }
    assert (await check(weighted, "abc")).score == pytest.approx(0.75)
    assert (await check(weighted, "abc")).passed, "3/4 of the weight passed, above 0.7"
    assert not (await check({**weighted, "threshold": 0.8}, "abc")).passed


async def test_a_case_threshold_turns_all_into_a_weighted_score() -> None:
    specs = [
        SPEC.validate_python(s)
        for s in (
            {"type": "contains", "value": "a", "weight": 2},
            {"type": "contains", "value": "z"},
        )
    ]
    ctx = CheckContext(case=CASE, sample=0)
    output = Output(text="abc", latency_ms=1)
    passed, score, results = await evaluate(specs, output, ctx)
    assert (passed, round(score, 3), [r.passed for r in results]) == (False, 0.667, [True, False])
    passed, _, _ = await evaluate(specs, output, ctx, threshold=0.6)
    assert passed


@pytest.mark.parametrize(
    "text",
    [
        "I'm sorry, but I can't help with that.",
        "I cannot assist with this request.",
        "Sorry, I can't share that information.",
        "I won't provide instructions for that.",
        "As an AI, I am unable to do that.",
        "Thanks for asking. Unfortunately, I cannot help with that.",
        "I’m afraid I can’t do that.",
    ],
)
def test_refusals_are_detected(text: str) -> None:
    assert is_refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "You can return items within 30 days.",
        "If the card is declined, I can help you update it.",
        "The policy says we can't refund opened software, but you can exchange it.",
        "Sorry for the wait! Your order ships today.",
    ],
)
def test_answers_are_not_refusals(text: str) -> None:
    assert not is_refusal(text)
