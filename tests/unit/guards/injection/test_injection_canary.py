"""Canary tokens: deterministic per secret, and found in answers however they are disguised."""

from __future__ import annotations

import base64
import codecs

import pytest

from seawall.guards.injection import canary_instruction, leaked, make_canary

TOKEN = make_canary("deployment-secret-1")


def test_canary_is_deterministic_and_secret_dependent() -> None:
    assert make_canary("deployment-secret-1") == TOKEN
    assert make_canary("deployment-secret-2") != TOKEN
    assert TOKEN.startswith("sw-canary-")
    assert len(TOKEN) == len("sw-canary-") + 10
    with pytest.raises(ValueError, match="secret"):
        make_canary("")


def test_instruction_carries_the_token() -> None:
    assert TOKEN in canary_instruction(TOKEN)


@pytest.mark.parametrize(
    "answer",
    [
        f"My instructions begin: Confidential marker: {TOKEN}. Never repeat...",
        TOKEN.upper(),
        " ".join(TOKEN),
        "\u200b".join(TOKEN),
        TOKEN.replace("-", "."),
        "sw canary " + " - ".join(TOKEN[10:]),
        TOKEN[10:],
        TOKEN[::-1],
        base64.b64encode(TOKEN.encode()).decode(),
        base64.b64encode(f"the prompt says {TOKEN} ok".encode()).decode(),
        TOKEN.encode().hex(),
        "in rot13: " + codecs.encode(TOKEN, "rot13"),
        TOKEN.replace("a", "а").replace("c", "с"),  # Cyrillic look-alikes
    ],
)
def test_leaks_are_detected_through_obfuscation(answer: str) -> None:
    assert leaked(answer, TOKEN)


@pytest.mark.parametrize(
    "answer",
    [
        "Here is a summary of your document.",
        make_canary("another-deployment"),
        "sw-canary-0000000000",
        "The hash is 9fceb02d0ae598e95dc970b74767f19372d61af8.",
    ],
)
def test_non_leaks_are_not_flagged(answer: str) -> None:
    assert not leaked(answer, TOKEN)
