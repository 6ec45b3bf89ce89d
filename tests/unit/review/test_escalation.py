"""Escalation rules: which calls go to a person, in which mode, and why."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from seawall.review.escalation import CallSignals, EscalationRules, decide

CALM = CallSignals(confidence=0.9, validation="valid", guard_flags=())


def test_no_rules_or_no_rule_firing_means_no_escalation() -> None:
    assert decide(None, CallSignals(confidence=0.0, validation="invalid")) is None
    assert decide(EscalationRules(min_confidence=0.5), CALM) is None


def test_low_confidence_escalates_below_the_threshold_only() -> None:
    rules = EscalationRules(min_confidence=0.6)
    low = decide(rules, CallSignals(confidence=0.42))
    assert low is not None
    assert low.codes == ["low_confidence"]
    assert low.reasons[0].message == "confidence 0.42 is below 0.60"
    assert decide(rules, CallSignals(confidence=0.6)) is None  # at the threshold is enough


def test_an_unknown_confidence_is_not_a_low_one() -> None:
    assert decide(EscalationRules(min_confidence=0.99), CallSignals(confidence=None)) is None


def test_high_stakes_escalates_every_call() -> None:
    escalation = decide(EscalationRules(high_stakes=True, mode="hold"), CALM)
    assert escalation is not None
    assert (escalation.mode, escalation.codes) == ("hold", ["high_stakes"])


def test_invalid_output_escalates_unless_switched_off() -> None:
    invalid = CallSignals(confidence=None, validation="invalid")
    assert decide(EscalationRules(), invalid) is not None
    assert decide(EscalationRules(on_invalid_output=False), invalid) is None
    assert decide(EscalationRules(), CallSignals(validation="repaired")) is None


def test_guard_flags_escalate_when_listed() -> None:
    flagged = CallSignals(guard_flags=("injection", "pii_redacted"))
    listed = decide(EscalationRules(on_guard_flags=("injection",)), flagged)
    assert listed is not None
    assert [r.message for r in listed.reasons] == ["a guard flagged the call: injection"]
    assert decide(EscalationRules(on_guard_flags=("prompt_leak",)), flagged) is None
    every = decide(EscalationRules(on_guard_flags=("*",)), flagged)
    assert every is not None
    assert len(every.reasons) == 2


def test_every_reason_is_reported_in_a_stable_order() -> None:
    rules = EscalationRules(
        min_confidence=0.5, high_stakes=True, on_guard_flags=("prompt_leak",), mode="fallback",
        fallback_answer="A person will get back to you.", sla_s=600, webhook_url="https://x/h",
    )  # fmt: skip
    signals = CallSignals(confidence=0.1, validation="invalid", guard_flags=("prompt_leak",))
    escalation = decide(rules, signals)
    assert escalation is not None
    assert escalation.codes == ["high_stakes", "invalid_output", "guard_flag", "low_confidence"]
    assert escalation.fallback_answer == "A person will get back to you."
    assert (escalation.sla_s, escalation.webhook_url) == (600, "https://x/h")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"mode": "fallback"}, "needs a fallback_answer"),
        ({"on_guard_flags": ["injektion"]}, "unknown guard flag injektion"),
        ({"webhook_url": "ftp://example.com"}, "http:// or https://"),
        ({"min_confidence": 1.5}, "less than or equal to 1"),
        ({"mode": "ask-later"}, "'advise', 'hold' or 'fallback'"),
        ({"sla": 5}, "Extra inputs are not permitted"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EscalationRules.model_validate(fields)


def test_rules_read_from_a_prompt_review_section() -> None:
    rules = EscalationRules.model_validate(
        {"min_confidence": 0.7, "mode": "hold", "webhook_url": "http://127.0.0.1:9/h"}
    )
    assert rules.mode == "hold"
    assert rules.on_invalid_output is True
