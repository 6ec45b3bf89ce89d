"""Redaction: placeholders, the way back, streaming restore, stored payloads."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from seawall.guards.findings import Finding
from seawall.guards.pii import PiiDetector
from seawall.guards.redact import Redaction, StreamRestorer, redact_payload

LABELLED = Path(__file__).resolve().parents[2] / "data" / "guards" / "pii_labelled.jsonl"
EMAIL, OTHER_EMAIL, PHONE = "ana@example.com", "bo@example.org", "+44 20 7946 0958"


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector()


def test_redact_replaces_each_finding(detector: PiiDetector) -> None:
    text = f"Mail {EMAIL} or call {PHONE}; card 4111 1111 1111 1111."
    redaction = Redaction()
    assert (
        redaction.redact(text, detector.scan(text))
        == "Mail [EMAIL_1] or call [PHONE_1]; card [CREDIT_CARD_1]."
    )


def test_round_trip_on_the_labelled_set(detector: PiiDetector) -> None:
    redaction = Redaction()  # one redaction across every text, like one long conversation
    redacted_any = 0
    for line in LABELLED.read_text("utf-8").splitlines():
        text = json.loads(line)["text"]
        findings = detector.scan(text)
        redacted = redaction.redact(text, findings)
        assert (redacted != text) == bool(findings)
        assert redaction.restore(redacted) == text
        redacted_any += bool(findings)
    assert redacted_any > 100


def test_same_value_same_placeholder_across_texts() -> None:
    redaction = Redaction()
    first = f"I am {EMAIL}, my friend is {OTHER_EMAIL}."
    second = f"Again: {OTHER_EMAIL} and {EMAIL}."
    out1 = redaction.redact(first, _findings(first, (EMAIL, "email"), (OTHER_EMAIL, "email")))
    out2 = redaction.redact(second, _findings(second, (OTHER_EMAIL, "email"), (EMAIL, "email")))
    assert out1 == "I am [EMAIL_1], my friend is [EMAIL_2]."
    assert out2 == "Again: [EMAIL_2] and [EMAIL_1]."
    assert redaction.mapping == {"[EMAIL_1]": "email", "[EMAIL_2]": "email"}
    assert redaction.counts() == {"email": 4}


def test_numbering_is_per_type() -> None:
    redaction = Redaction()
    text = f"{EMAIL} {PHONE} {OTHER_EMAIL}"
    out = redaction.redact(
        text, _findings(text, (EMAIL, "email"), (PHONE, "phone"), (OTHER_EMAIL, "email"))
    )
    assert out == "[EMAIL_1] [PHONE_1] [EMAIL_2]"
    assert redaction.counts() == {"email": 2, "phone": 1}


def test_mapping_and_counts_never_hold_values() -> None:
    redaction = Redaction()
    text = f"key sk-secret-value {EMAIL}"
    redaction.redact(text, _findings(text, ("sk-secret-value", "secret"), (EMAIL, "email")))
    dumped = json.dumps([redaction.mapping, redaction.counts()])
    assert EMAIL not in dumped
    assert "sk-secret-value" not in dumped
    assert redaction.mapping == {"[SECRET_1]": "secret", "[EMAIL_1]": "email"}


def test_restore_leaves_unknown_and_missing_placeholders() -> None:
    redaction = Redaction()
    text = f"write to {EMAIL}"
    redaction.redact(text, _findings(text, (EMAIL, "email")))
    answer = "I wrote to [EMAIL_1], not [EMAIL_7] nor [PHONE_1]; see [1] and [EMAIL_1"
    assert redaction.restore(answer) == (
        f"I wrote to {EMAIL}, not [EMAIL_7] nor [PHONE_1]; see [1] and [EMAIL_1"
    )
    assert redaction.restore("nothing to restore here") == "nothing to restore here"
    assert Redaction().restore("[EMAIL_1]") == "[EMAIL_1]"


def test_a_prefixed_redaction_never_collides_with_the_conversation() -> None:
    conversation, answer_only = Redaction(), Redaction(prefix="OUT_")
    question = f"I am {EMAIL}"
    assert conversation.redact(question, _findings(question, (EMAIL, "email"))) == (
        "I am [EMAIL_1]"
    )
    answer = f"Hi [EMAIL_1], write to {OTHER_EMAIL}"
    redacted = answer_only.redact(answer, _findings(answer, (OTHER_EMAIL, "email")))
    assert redacted == "Hi [EMAIL_1], write to [OUT_EMAIL_1]"
    assert conversation.restore(redacted) == f"Hi {EMAIL}, write to [OUT_EMAIL_1]"
    assert answer_only.mapping == {"[OUT_EMAIL_1]": "email"}
    with pytest.raises(ValueError, match="prefix"):
        Redaction(prefix="out")


def test_overlapping_or_out_of_range_findings_are_skipped() -> None:
    text = "abcdefghij"
    findings = [Finding(0, 4, "email"), Finding(2, 6, "phone"), Finding(8, 40, "phone")]
    assert Redaction().redact(text, findings) == "[EMAIL_1]efghij"


# --------------------------------------------------------------------------- streaming


def _redacted_answer() -> tuple[Redaction, str, str]:
    redaction = Redaction()
    source = f"{EMAIL} {PHONE} {OTHER_EMAIL} 4111 1111 1111 1111"
    redaction.redact(
        source,
        _findings(
            source,
            (EMAIL, "email"),
            (PHONE, "phone"),
            (OTHER_EMAIL, "email"),
            ("4111 1111 1111 1111", "credit_card"),
        ),
    )
    answer = "Sure [EMAIL_1]! I'll call [PHONE_1], cc [EMAIL_2] [x] [CREDIT_CARD_1][EMAIL_1]."
    return redaction, answer, redaction.restore(answer)


def test_stream_restore_with_every_two_chunk_split() -> None:
    redaction, answer, expected = _redacted_answer()
    for cut in range(len(answer) + 1):
        restorer = StreamRestorer(redaction)
        out = restorer.feed(answer[:cut]) + restorer.feed(answer[cut:]) + restorer.flush()
        assert out == expected, cut


def test_stream_restore_with_every_three_chunk_split() -> None:
    redaction, answer, expected = _redacted_answer()
    answer = answer[:40]
    expected = redaction.restore(answer)
    for i in range(len(answer) + 1):
        for j in range(i, len(answer) + 1):
            restorer = StreamRestorer(redaction)
            out = "".join(restorer.feed(part) for part in (answer[:i], answer[i:j], answer[j:]))
            assert out + restorer.flush() == expected, (i, j)


def test_stream_restore_char_by_char_never_emits_a_partial_placeholder() -> None:
    redaction, answer, expected = _redacted_answer()
    restorer = StreamRestorer(redaction)
    pieces = [restorer.feed(ch) for ch in answer]
    assert "".join(pieces) + restorer.flush() == expected
    assert not any("[EMAIL" in piece or "[PHONE" in piece for piece in pieces)


def test_stream_holds_only_what_could_still_be_a_placeholder() -> None:
    redaction, _, _ = _redacted_answer()
    restorer = StreamRestorer(redaction)
    assert restorer.feed("see [") == "see "
    assert restorer.feed("1] and [EM") == "[1] and "
    assert restorer.feed("PTY]") == "[EMPTY]"
    assert restorer.feed("[EMAIL_1") == ""
    assert restorer.feed("0] done") == "[EMAIL_10] done"
    assert restorer.feed("[PHONE_") == ""
    assert restorer.flush() == "[PHONE_"
    assert restorer.flush() == ""


# --------------------------------------------------------------------------- stored payloads


def test_redact_payload_on_a_chat_request(detector: PiiDetector) -> None:
    request = {
        "model": "support",
        "temperature": 0.2,
        "stream": False,
        "user": None,
        "messages": [
            {"role": "system", "content": "You are a helpful agent."},
            {"role": "user", "content": f"I am {EMAIL}, call {PHONE}"},
            {"role": "assistant", "content": "Noted."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": f"Also {OTHER_EMAIL} and again {EMAIL}"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                ],
            },
        ],
        "metadata": {EMAIL: "keys are kept", "tags": ("a", "b")},
    }
    original = copy.deepcopy(request)
    stored = redact_payload(request, detector)
    assert request == original  # the input is not touched
    assert isinstance(stored, dict)
    assert isinstance(original["messages"], list)
    messages = stored["messages"]
    assert messages[1]["content"] == "I am [EMAIL_1], call [PHONE_1]"
    assert messages[3]["content"][0]["text"] == "Also [EMAIL_2] and again [EMAIL_1]"
    assert messages[3]["content"][1] == original["messages"][3]["content"][1]
    assert messages[0] == original["messages"][0]
    assert (stored["temperature"], stored["stream"], stored["user"]) == (0.2, False, None)
    assert stored["metadata"] == {EMAIL: "keys are kept", "tags": ["a", "b"]}
    assert EMAIL not in json.dumps(stored["messages"])


def test_redact_payload_numbers_per_payload(detector: PiiDetector) -> None:
    first = redact_payload({"a": f"{OTHER_EMAIL}"}, detector)
    second = redact_payload({"a": f"{EMAIL}"}, detector)
    assert first == {"a": "[EMAIL_1]"}
    assert second == {"a": "[EMAIL_1]"}


def test_redact_payload_scalars_and_deep_nesting(detector: PiiDetector) -> None:
    assert redact_payload(f"mail {EMAIL}", detector) == "mail [EMAIL_1]"
    assert redact_payload(42, detector) == 42
    assert redact_payload(None, detector) is None
    deep: object = f"mail {EMAIL}"
    for _ in range(5_000):  # deeper than the interpreter's recursion limit
        deep = [deep]
    out = redact_payload(deep, detector)
    for _ in range(5_000):
        assert isinstance(out, list)
        assert len(out) == 1
        out = out[0]
    assert out == "mail [EMAIL_1]"


def _findings(text: str, *items: tuple[str, str]) -> list[Finding]:
    """Findings for the first occurrence (after the previous one) of each value."""
    found, pos = [], 0
    for value, kind in items:
        start = text.index(value, pos)
        found.append(Finding(start, start + len(value), kind))
        pos = start + len(value)
    return found
