"""The script detector and the last user message of a stored request."""

from __future__ import annotations

import pytest

from seawall.drift.text import SCRIPTS, detect_script, last_user_text


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("How do I reset my password?", "latin"),
        ("Ça va ? Très bien, merci. Où est la gare ?", "latin"),
        ("Wie geht's? Schöne Grüße aus Köln", "latin"),
        ("Как сбросить пароль?", "cyrillic"),
        ("Як справи? Добрий день", "cyrillic"),
        ("Καλημέρα, τι κάνεις;", "greek"),
        ("مرحبا، كيف حالك؟", "arabic"),
        ("שלום, מה שלומך?", "hebrew"),
        ("नमस्ते, आप कैसे हैं?", "devanagari"),
        ("你好，你今天怎么样？", "cjk"),
        ("안녕하세요, 잘 지내세요?", "hangul"),
        ("こんにちは、お元気ですか", "kana"),
        ("今日は良い天気ですね", "kana"),  # kanji between kana: Japanese
        ("สวัสดีครับ สบายดีไหม", "thai"),
        ("გამარჯობა, როგორ ხარ?", "other"),  # Georgian: no category of its own
        ("12345 + 678 = ?", "other"),
        ("", "other"),
        ("🙂🙂🙂", "other"),
        ("Привет! Reset my password please, I cannot log in", "latin"),  # most letters win
        ("Сброс пароля, пожалуйста: password reset", "cyrillic"),
    ],
)
def test_detect_script(text: str, script: str) -> None:
    assert detect_script(text) == script
    assert script in SCRIPTS


def test_only_the_opening_of_a_long_text_is_read() -> None:
    assert detect_script("Привет " * 400 + "hello " * 10_000) == "cyrillic"


def test_last_user_text() -> None:
    request = {
        "model": "chat",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "an answer"},
            {"role": "user", "content": "second question"},
            {"role": "assistant", "content": "another answer"},
        ],
    }
    assert last_user_text(request) == "second question"


def test_text_parts_are_joined_and_images_skipped() -> None:
    content = [
        {"type": "text", "text": "what is in"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,xx"}},
        {"type": "text", "text": "this picture?"},
    ]
    request = {"messages": [{"role": "user", "content": content}]}
    assert last_user_text(request) == "what is in\nthis picture?"


@pytest.mark.parametrize(
    "request_body",
    [
        None,
        {},
        {"messages": "not a list"},
        {"messages": [{"role": "system", "content": "only a system prompt"}]},
        {"messages": ["not a message"]},
    ],
)
def test_no_user_message(request_body: object) -> None:
    assert last_user_text(request_body) is None  # type: ignore[arg-type]


def test_odd_content_counts_as_empty_text() -> None:
    assert last_user_text({"messages": [{"role": "user", "content": None}]}) == ""
