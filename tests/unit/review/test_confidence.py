"""The confidence formula: each signal alone, combinations, missing signals, and its bounds."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seawall.review.confidence import (
    Signals,
    Weights,
    agreement,
    mean_token_probability,
    score,
    self_reported,
    token_logprobs,
)


def test_no_signal_at_all_has_no_score() -> None:
    result = score(Signals())
    assert result.score is None
    assert result.components == ()
    assert score(Signals(validation="none")).score is None  # no contract is not a signal


def test_logprobs_give_the_geometric_mean_of_token_probabilities() -> None:
    probabilities = [0.9, 0.5, 0.8]
    result = score(Signals(token_logprobs=[math.log(p) for p in probabilities]))
    assert result.score == pytest.approx((0.9 * 0.5 * 0.8) ** (1 / 3), abs=1e-4)
    (component,) = result.components
    assert (component.signal, component.kind) == ("logprobs", "graded")
    assert "3 tokens" in component.detail


def test_validation_outcomes_are_ordered() -> None:
    scores = [
        score(Signals(validation=status)).score for status in ("valid", "repaired", "reasked")
    ]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] == 1.0
    assert score(Signals(validation="ok")).score == 1.0
    assert score(Signals(validation="invalid")).score == 0.0


def test_checks_multiply_the_graded_mean() -> None:
    signals = Signals(
        token_logprobs=[math.log(0.8)],
        self_reported=0.6,
        validation="repaired",
        guard_flags=["injection"],
    )
    result = score(signals)
    assert result.score == pytest.approx((0.8 + 0.6) / 2 * 0.85 * 0.5, abs=1e-4)
    assert [c.signal for c in result.components] == [
        "logprobs",
        "self_reported",
        "validation",
        "guards",
    ]


def test_weights_shift_the_graded_mean() -> None:
    signals = Signals(token_logprobs=[math.log(0.8)], self_reported=0.2)
    assert score(signals, Weights(logprobs=3.0)).score == pytest.approx(
        (0.8 * 3 + 0.2) / 4, abs=1e-4
    )
    # A zero weight drops the signal from the mean (and from the components).
    only_logprobs = score(signals, Weights(self_reported=0.0))
    assert only_logprobs.score == pytest.approx(0.8, abs=1e-4)
    assert [c.signal for c in only_logprobs.components] == ["logprobs"]


def test_guard_findings_on_the_input_alone_do_not_lower_the_score() -> None:
    clean = score(Signals(validation="valid", guard_flags=[]))
    input_pii = score(Signals(validation="valid", guard_flags=["pii_redacted"]))
    assert clean.score == input_pii.score == 1.0
    leak = score(Signals(validation="valid", guard_flags=["prompt_leak", "pii_output"]))
    assert leak.score == pytest.approx(0.25 * 0.7)
    assert leak.components[-1].detail == "pii_output, prompt_leak"


def test_agreement_between_samples() -> None:
    assert agreement(["Paris", " paris ", "PARIS", "Lyon"]) == 0.75
    assert agreement([{"a": 1, "b": 2}, {"b": 2, "a": 1}]) == 1.0  # JSON compared canonically
    assert agreement(["only one"]) is None  # one sample says nothing about agreement
    result = score(Signals(samples=["yes", "yes", "no", "maybe"]))
    assert result.score == 0.5
    assert result.components[0].detail == "2 of 4 samples agree with the majority"


def test_self_reported_confidence_needs_a_declared_field() -> None:
    schema = {"type": "object", "properties": {"answer": {}, "confidence": {"type": "number"}}}
    assert self_reported({"answer": "x", "confidence": 0.7}, schema) == 0.7
    assert self_reported({"answer": "x", "confidence": 0.7}, {"type": "object"}) is None
    assert self_reported({"answer": "x", "confidence": 1.7}, schema) is None  # not guessed
    assert self_reported({"answer": "x", "confidence": True}, schema) is None
    assert self_reported("not an object", schema) is None
    percent = {"properties": {"confidence": {"type": "integer", "maximum": 100}}}
    assert self_reported({"confidence": 85}, percent) == 0.85


def test_token_logprobs_from_an_openai_response() -> None:
    body = {
        "choices": [
            {
                "message": {"role": "assistant", "content": "Hi there"},
                "logprobs": {"content": [{"token": "Hi", "logprob": -0.1}, {"logprob": -0.3}]},
            }
        ]
    }
    assert token_logprobs(body) == [-0.1, -0.3]
    assert token_logprobs({"choices": [{"logprobs": None}]}) is None
    assert token_logprobs({}) is None
    assert token_logprobs(None) is None


def test_odd_logprob_values_are_skipped_not_trusted() -> None:
    assert mean_token_probability([]) is None
    assert mean_token_probability([float("nan"), float("-inf")]) is None
    assert mean_token_probability([0.0]) == 1.0


def test_as_dict_explains_the_score() -> None:
    data = score(Signals(token_logprobs=[math.log(0.5)], validation="reasked")).as_dict()
    assert data["score"] == 0.3
    assert data["components"][1] == {
        "signal": "validation",
        "kind": "check",
        "value": 0.6,
        "weight": 1.0,
        "detail": "reasked",
    }


@given(
    logprobs=st.none() | st.lists(st.floats(-50, 0), min_size=1, max_size=20),
    validation=st.sampled_from([None, "none", "valid", "repaired", "reasked", "invalid"]),
    flags=st.none() | st.lists(st.sampled_from(["injection", "pii", "prompt_leak", "pii_output"])),
    reported=st.none() | st.floats(0, 1),
    samples=st.none() | st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=6),
)
def test_the_score_is_always_in_the_unit_interval(
    logprobs: list[float] | None,
    validation: str | None,
    flags: list[str] | None,
    reported: float | None,
    samples: list[str] | None,
) -> None:
    signals = Signals(logprobs, validation, flags, reported, samples)
    result = score(signals).score
    assert result is None or 0.0 <= result <= 1.0


@given(
    logprobs=st.lists(st.floats(-5, 0), min_size=1, max_size=5),
    flag=st.sampled_from(["injection", "prompt_leak", "pii_output"]),
)
def test_a_finding_or_a_worse_validation_never_raises_the_score(
    logprobs: list[float], flag: str
) -> None:
    base = score(Signals(logprobs, "valid", [])).score
    assert base is not None
    flagged = score(Signals(logprobs, "valid", [flag])).score
    repaired = score(Signals(logprobs, "repaired", [])).score
    assert flagged is not None
    assert repaired is not None
    assert flagged <= base
    assert repaired <= base
