"""Estimate the prompt tokens of a chat request offline, in microseconds, before the call.

No tokenizer data ships with Seawall: tiktoken downloads its encodings on first use (not
allowed on a gateway that may have no internet), and the packages that bundle them weigh
40-75 MB. Instead, a linear model over byte counts that C code computes (words, word bytes,
punctuation, digits, newlines, indented lines, and for non-ASCII text the characters of each
script group, told apart by their UTF-8 lead byte), fitted on OpenAI's o200k_base tokenizer
(gpt-4o, gpt-4.1, o-series, gpt-5) over English prose, code, JSON and 19 languages.

``bench/token_estimate.py`` prints the error per kind of text on held-out requests. Against
o200k the median error is within 5 % for English prose, code and JSON (p10/p90 about -11 % and
+10 %) and within 15 % for each of 19 languages; a single short sentence can be off by a
third. Older encodings (cl100k: gpt-4, gpt-3.5) need more tokens for non-Latin scripts, which
this underestimates by 15-58 %. Texts longer than ``SAMPLE_CHARS`` are estimated from three
slices, so that one message costs at most tens of microseconds.

That is enough for what it is used for: charging tokens-per-minute limits and reserving
budget before the call. Both are settled with the usage the provider reports after the
call, so an estimate's error shifts when tokens are counted, not how many.

Message overhead follows OpenAI's chat format: 3 tokens per message, 1 more for a ``name``,
3 to prime the reply. Images count 85 tokens at ``detail: low`` and 765 otherwise (a
1024x1024 image); tools and a JSON schema count as their JSON text.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import mul
from typing import Any, Final

import orjson

PER_MESSAGE: Final = 3
PER_NAME: Final = 1
REPLY_PRIMING: Final = 3
IMAGE_LOW: Final = 85
IMAGE_DEFAULT: Final = 765
SAMPLE_CHARS: Final = 3000  # longer texts are estimated from a sample of this size


def _classes() -> bytes:
    """A translate table to byte classes: ASCII letter "a", any byte of a non-ASCII character
    "u", digit "0", punctuation ".", newline, and space for the rest."""
    table = bytearray(b" " * 256)
    for byte in range(256):
        char = chr(byte)
        if byte >= 0x80:
            table[byte] = ord("u")
        elif char.isalpha():
            table[byte] = ord("a")
        elif char.isdigit():
            table[byte] = ord("0")
        elif 0x21 <= byte < 0x7F:
            table[byte] = ord(".")
    table[ord("\n")] = ord("\n")
    return bytes(table)


_AS_CLASSES: Final = _classes()

# Scripts by the first byte of their UTF-8 encoding: one translate marks each character's
# lead byte with its group's letter, then one count per group. (Thai and Devanagari share a
# lead byte, and tokenize very differently: the two worst cases in the benchmark.)
_GROUP_LEADS: Final = {
    ord("L"): (*range(0xC2, 0xCE),),  # Latin-1 and Latin Extended letters, IPA, diacritics
    ord("G"): (0xCE, 0xCF),  # Greek
    ord("C"): (*range(0xD0, 0xD5),),  # Cyrillic
    ord("R"): (*range(0xD5, 0xE0),),  # Armenian, Hebrew, Arabic, Syriac, Thaana
    ord("I"): (0xE0,),  # Indic scripts, Thai, Lao, Tibetan
    ord("S"): (0xE2,),  # general punctuation, symbols, arrows, box drawing
    ord("K"): (*range(0xE3, 0xEA), 0xEE, 0xEF),  # CJK, kana, full-width forms
    ord("H"): (*range(0xEA, 0xEE),),  # Hangul syllables (and Yi)
    ord("E"): (*range(0xF0, 0xF8),),  # emoji and other astral characters
}  # 0xE1 (Georgian, Vietnamese additions, ...) fits with weight 0: its words carry it.
_GROUPS: Final = bytes(_GROUP_LEADS)
_AS_GROUPS: Final = bytes(
    next((group for group, leads in _GROUP_LEADS.items() if byte in leads), 0x20)
    for byte in range(256)
)
_NO_GROUPS: Final = (0,) * len(_GROUPS)

# Tokens per feature, in the order ``features`` returns them: fitted by non-negative least
# squares on o200k_base, first on English prose, code and JSON (ASCII), then the script
# groups on the residual of 19 languages; emoji fixed at 2. bench/token_estimate.py checks.
_WEIGHTS: Final = (
    *(0.3787, 0.1978),  # words (an ASCII letter after a space), ASCII letters
    *(0.5252, 1.1461),  # punctuation, digits
    *(0.3791, 0.9082),  # newlines, indented lines
    *(1.5527, 0.4672, 0.3759, 0.4703, 0.4885, 2.7435, 0.917, 0.8503, 2.0),  # L G C R I S K H E
)


def features(text: str) -> tuple[int, ...]:
    """The counts the estimate is made of (public for the calibration script).

    One C-speed translate to byte classes, then a count per feature: no Python object per
    word. Word starts are counted as " a" pairs (a word after a space).
    """
    data = b" " + text.encode("utf-8", "surrogatepass")
    classes = data.translate(_AS_CLASSES)
    counts = (
        classes.count(b" a"),
        classes.count(b"a"),
        classes.count(b"."),
        classes.count(b"0"),
        classes.count(b"\n"),
        classes.count(b"\n "),
    )
    if len(data) - 1 == len(text):  # all ASCII: no multi-byte characters
        return (*counts, *_NO_GROUPS)
    return (*counts, *map(data.translate(_AS_GROUPS).count, _GROUPS))


def estimate_text_tokens(text: str) -> int:
    """Estimated o200k tokens of one text (0 for an empty one)."""
    if not text:
        return 0
    scale = 1.0
    if len(text) > SAMPLE_CHARS:
        # A long text (a RAG context, a pasted file) is estimated from three slices, so
        # that the cost stays bounded: its start, middle and end, scaled to its length.
        third, middle = SAMPLE_CHARS // 3, len(text) // 2
        sample = " ".join(
            (text[:third], text[middle - third // 2 : middle + third // 2], text[-third:])
        )
        scale, text = len(text) / len(sample), sample
    value = float(sum(map(mul, _WEIGHTS, features(text))))
    return max(1, round(value * scale))


def estimate_prompt_tokens(body: Mapping[str, Any]) -> int:
    """Estimated prompt tokens of an OpenAI chat request (messages, tools, JSON schema)."""
    total = REPLY_PRIMING
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else ():
        if isinstance(message, dict):
            total += _message_tokens(message)
    for name in ("tools", "functions"):
        if body.get(name):
            total += estimate_text_tokens(_json(body[name]))
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        total += estimate_text_tokens(_json(response_format.get("json_schema")))
    return total


def _message_tokens(message: Mapping[str, Any]) -> int:
    total = PER_MESSAGE + (PER_NAME if message.get("name") else 0)
    content = message.get("content")
    if isinstance(content, str):
        total += estimate_text_tokens(content)
    elif isinstance(content, list):
        for part in content:
            total += _part_tokens(part)
    if message.get("tool_calls"):
        total += estimate_text_tokens(_json(message["tool_calls"]))
    return total


def _part_tokens(part: Any) -> int:
    if not isinstance(part, dict):
        return 0
    kind = part.get("type")
    if kind == "text" and isinstance(part.get("text"), str):
        return estimate_text_tokens(part["text"])
    if kind == "image_url":
        image = part.get("image_url")
        detail = image.get("detail") if isinstance(image, dict) else None
        return IMAGE_LOW if detail == "low" else IMAGE_DEFAULT
    return estimate_text_tokens(_json(part))  # audio, files: their JSON as a rough stand-in


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return str(value)
