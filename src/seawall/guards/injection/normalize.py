"""Undo the tricks that hide an injection from a scanner, and decode embedded payloads.

``normalize`` returns the primary normalised text (invisible characters removed, NFKC,
look-alike letters mapped to ASCII, spaced-out letters joined) and a bounded list of extra
*variants* to scan as well: leetspeak de-substituted, rot13, URL- and HTML-decoded text, and
decoded base64 / hex / Unicode-tag payloads (which are normalised and decoded again, down to
``MAX_DEPTH`` layers). Every decoding step draws on one ``_Budget`` so that a hostile input
(thousands of base64-looking runs, deep nesting) costs a bounded amount of work.
"""

from __future__ import annotations

import binascii
import codecs
import html
import re
import unicodedata
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field

from seawall.guards.injection.confusables import CONFUSABLES

MAX_DEPTH = 2  # decoding layers below the input (base64 of base64 is depth 2)
MAX_PAYLOADS = 8  # decoded payloads kept per input
MAX_ATTEMPTS = 48  # candidate runs we try to decode per input
MAX_DECODED_CHARS = 32_768  # total decoded text kept per input
MAX_CANDIDATE_CHARS = 8_192  # a longer run is decoded from its first 8 KB only

# Zero-width and bidi controls named in the threat model, plus other invisible fillers.
_ZERO_WIDTH = [*range(0x200B, 0x2010), *range(0x2060, 0x2065), 0xFEFF]
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_FILLERS = [0x00AD, 0x034F, 0x115F, 0x1160, 0x180E, 0x3164, *range(0xFE00, 0xFE10)]
_STRIP = dict.fromkeys([*_ZERO_WIDTH, *_BIDI, *_FILLERS])
_COUNTED = "".join(chr(c) for c in [*_ZERO_WIDTH, *_BIDI])
_OVERRIDES = "\u202d\u202e"  # LRO / RLO reorder what is displayed (Trojan Source)
_INTERIOR = re.compile(f"(?<=[A-Za-z])[{_COUNTED}\u00ad]+(?=[A-Za-z])")
# Unicode "tag" characters mirror ASCII invisibly (U+E0020-E007E); emoji flags use a few.
_TAGS = re.compile("[\U000e0000-\U000e007f\U000e0100-\U000e01ef]+")
_CONFUSABLE_TABLE = str.maketrans(CONFUSABLES)
_CONFUSABLE_ANY = re.compile(f"[{''.join(CONFUSABLES)}]")
_CONFUSABLE_WORD = re.compile(f"[^\\W\\d_]*[{''.join(CONFUSABLES)}][^\\W\\d_]*")
_ASCII_LETTER = re.compile("[A-Za-z]")
# Four or more single letters/digits, each followed by one separator: "i g n o r e".
_SPACED = re.compile(r"(?<![^\W_])(?:[^\W_][ \t.\-_*|/~+:,·•]){3,}[^\W_](?![^\W_])")
# Cheap pre-check (starts with a character set, so the engine skips ahead): two single
# characters between separators, " a b ".
_SPACED_HINT = re.compile(r"[ \t.\-_*|/~+:,·•][^\W_][ \t.\-_*|/~+:,·•][^\W_][ \t.\-_*|/~+:,·•]")
_SPACED_SHORT = re.compile(r"(?<![^\W_])(?:[^\W_][ \t.\-_*|/~+:,·•]){1,2}[^\W_](?![^\W_])")
_SPACED_SEP = re.compile(r"[ \t.\-_*|/~+:,·•]")

# Leetspeak is scanned as an extra variant only: numbers in ordinary text must stay numbers.
# "1" and "l" are ambiguous, so the variant folds both (and "i") to "i"; rules.py compiles
# an i-folded copy of each pattern for this variant.
_LEET_TABLE = str.maketrans("013457@$!|", "oieastasii")
# A short token mixing letters with leet digits/symbols ("1gn0re", "pr3v10u5"); long runs
# are encodings, handled by the decoders below.
_LEET_CHARS = frozenset("013457@$|!")
_LEET_HINT = re.compile(r"[013457@$|!](?:(?<=[a-z][013457@$|!])|(?=[a-z]))")
_LEET_TOKEN = re.compile(
    r"(?<![\w@$|!/+=%])(?=[\w@$|!]{0,15}[a-z])(?=[\w@$|!]{0,15}[013457@$|!])[\w@$|!]{3,16}"
    r"(?![\w@$|!/+=%])"
)

_ROT13_MENTION = re.compile(r"rot[\s_-]?13|caesar|rotate each letter")
# Frequent English words after rot13 ("the", "and", "you", "ignore", "all", ...).
_ROT13_SET = frozenset(
    [
        "gur",
        "naq",
        "lbh",
        "lbhe",
        "nyy",
        "vtaber",
        "cerivbhf",
        "vafgehpgvbaf",
        "guvf",
        "gung",
        "jvgu",
        "sbe",
        "abg",
        "cebzcg",
        "flfgrz",
        "ehyrf",
        "sbetrg",
        "ner",
        "jvyy",
        "abj",
        "erirny",
        "cnffjbeq",
        "frperg",
    ]
)
_ROT13_WORDS = re.compile(r"\b(?:" + "|".join(sorted(_ROT13_SET)) + r")\b")
_ROT13_PROBES = (
    " gur ",
    " naq ",
    "lbh",
    " nyy ",
    "vtaber",
    "cerivbhf",
    "vafgehpg",
    " guvf ",
    " gung ",
)
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_ENTITY = re.compile(r"&(?:#\d{2,7}|#x[0-9a-fA-F]{2,6}|[a-zA-Z]{2,8});")
# Runs that may be base64 or hex. No look-behind: a pattern that starts with a character set
# lets the regex engine skip ahead fast, which matters on 20 KB inputs.
_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX_DIGITS = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_HEX_ESCAPES = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){6,}")
_HEX_SPACED = re.compile(r"[0-9A-Fa-f]{2}(?:[ :,][0-9A-Fa-f]{2}){7,}")
# Printable ASCII bytes are 0x20-0x7e: their hex starts with a digit.
_HEX_SPACED_HINT = re.compile(r"\d[0-9A-Fa-f][ :,]\d[0-9A-Fa-f][ :,]\d[0-9A-Fa-f]")
_HEX_NOISE = re.compile(r"\\x|[ :,]")
_INVISIBLE_ANY = re.compile(f"[{''.join(chr(c) for c in _STRIP)}]")
_TAG_START = "\U000e0000"


@dataclass(frozen=True, slots=True)
class Variant:
    """An extra text to scan: how it was derived (``chain``) and whether it is i-folded."""

    chain: tuple[str, ...]
    text: str
    folded: bool = False


@dataclass(frozen=True, slots=True)
class Normalized:
    """The primary normalised text, the transformations applied and the extra variants."""

    text: str
    transformations: tuple[str, ...]
    variants: tuple[Variant, ...]
    invisible: int = 0  # zero-width and bidi controls removed
    interior_invisible: int = 0  # of those, how many sat inside a Latin word
    bidi_overrides: int = 0
    confusable_words: int = 0  # words mixing Latin letters with look-alikes
    hidden_tags: int = 0  # Unicode tag characters decoded


@dataclass(slots=True)
class _Budget:
    payloads: int = MAX_PAYLOADS
    attempts: int = MAX_ATTEMPTS
    chars: int = MAX_DECODED_CHARS


@dataclass(slots=True)
class _Cleaned:
    text: str
    steps: list[str] = field(default_factory=list)
    invisible: int = 0
    interior: int = 0
    overrides: int = 0
    confusable_words: int = 0
    tags: str = ""


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for scanning and collect decoded variants (bounded work)."""
    cleaned = _clean(text)
    budget = _Budget()
    variants: list[Variant] = []
    steps = list(cleaned.steps)
    if cleaned.tags:
        _add_payload(cleaned.tags, ("unicode_tags",), 0, budget, variants)
    _expand(cleaned.text, (), 0, budget, variants)
    for variant in variants:
        steps.extend(k for k in variant.chain if k not in steps)
    return Normalized(
        text=cleaned.text,
        transformations=tuple(steps),
        variants=tuple(variants),
        invisible=cleaned.invisible,
        interior_invisible=cleaned.interior,
        bidi_overrides=cleaned.overrides,
        confusable_words=cleaned.confusable_words,
        hidden_tags=len(cleaned.tags),
    )


def _clean(text: str) -> _Cleaned:
    out = _Cleaned(text)
    if not text.isascii():
        _strip_invisible(out)
        if not unicodedata.is_normalized("NFKC", out.text):
            out.text = unicodedata.normalize("NFKC", out.text)
            out.steps.append("nfkc")
        _map_confusables(out)
    collapsed, count = out.text, 0
    if _SPACED_HINT.search(out.text) or _SPACED_HINT.search(" " + out.text[:8]):
        collapsed, count = _SPACED.subn(_join_spaced, out.text)
    if count:
        # Once a text spells words out letter by letter, short runs ("a l l") are words too.
        out.text = _SPACED_SHORT.sub(_join_spaced, collapsed)
        out.steps.append("spaced_letters")
    return out


def _strip_invisible(out: _Cleaned) -> None:
    text = out.text
    tags = _TAGS.findall(text) if max(text) >= _TAG_START else []
    if tags:
        text = _TAGS.sub("", text)
        decoded = "".join(chr(ord(c) - 0xE0000) for run in tags for c in run if c < "\U000e007f")
        # A flag emoji carries a handful of tag letters; a hidden message carries more.
        if len(decoded) >= 8:
            out.tags = decoded
            out.steps.append("unicode_tags")
    if not _INVISIBLE_ANY.search(text):
        out.text = text
        return
    stripped = text.translate(_STRIP)
    if len(stripped) != len(text):
        out.invisible = sum(text.count(c) for c in _COUNTED if c in text)
        out.interior = sum(len(m) for m in _INTERIOR.findall(text))
        out.overrides = sum(text.count(c) for c in _OVERRIDES)
        if out.invisible:
            out.steps.append("zero_width")
        if out.overrides:
            out.steps.append("bidi_control")
    out.text = stripped


def _map_confusables(out: _Cleaned) -> None:
    if not _CONFUSABLE_ANY.search(out.text):
        return
    mapped = out.text.translate(_CONFUSABLE_TABLE)
    if mapped == out.text:
        return
    out.confusable_words = sum(
        1 for word in _CONFUSABLE_WORD.findall(out.text) if _ASCII_LETTER.search(word)
    )
    out.text = mapped
    out.steps.append("confusables")


def _join_spaced(match: re.Match[str]) -> str:
    return _SPACED_SEP.sub("", match.group())


def _unleet(match: re.Match[str]) -> str:
    return match.group().translate(_LEET_TABLE)


def _expand(
    text: str, chain: tuple[str, ...], depth: int, budget: _Budget, out: list[Variant]
) -> None:
    """Add the variants of ``text`` (one level), recursing into decoded payloads.

    Leetspeak, rot13, URL and HTML decoding change only parts of a text, so a variant holds
    just the windows around the changed parts: a 20 KB page with one URL is not scanned twice.
    """
    lower = text.lower()
    # A leet character between letters ("1gn0re", "h4ck"): "mp3", "3pm" or "1st" are not hints.
    hints = [
        h
        for m in _LEET_HINT.finditer(lower)
        if 0 < (h := m.start()) < len(lower) - 1
        and lower[h - 1].isalpha()
        and (lower[h + 1].isalpha() or lower[h + 1] in _LEET_CHARS)
    ]
    if hints:
        part, count = _LEET_TOKEN.subn(_unleet, _around(lower, [(h, h) for h in hints]))
        if count:
            out.append(Variant((*chain, "leetspeak"), part.replace("l", "i"), folded=True))
    if depth >= MAX_DEPTH:
        return
    if "rot13" not in chain:
        part = _rot13_part(text, lower)
        if part:
            _add_payload(codecs.encode(part, "rot13"), (*chain, "rot13"), depth, budget, out)
    spans = [m.span() for m in _PERCENT.finditer(text)]
    if len(spans) >= 3:
        part = urllib.parse.unquote(_around(text, spans))
        _add_payload(part, (*chain, "url_encoding"), depth, budget, out)
    spans = [m.span() for m in _ENTITY.finditer(text)]
    if len(spans) >= 3:
        part = html.unescape(_around(text, spans))
        _add_payload(part, (*chain, "html_entities"), depth, budget, out)
    _decode_runs(text, chain, depth, budget, out)


def _around(text: str, spans: list[tuple[int, int]], pad: int = 160) -> str:
    """The parts of ``text`` within ``pad`` characters of any span, in order."""
    parts: list[tuple[int, int]] = []
    for start, end in spans:
        start, end = max(0, start - pad), min(len(text), end + pad)
        if parts and start <= parts[-1][1]:
            parts[-1] = (parts[-1][0], max(parts[-1][1], end))
        else:
            parts.append((start, end))
    # Six newlines: more than a rule's word separator spans, so windows never join words.
    return "\n\n\n\n\n\n".join(text[a:b] for a, b in parts)


def _rot13_part(text: str, lower: str) -> str:
    """The text to read as rot13: all of it when it says so, else dense rot13-word clusters."""
    spans = [m.span() for m in _ROT13_MENTION.finditer(lower)]
    if spans:
        return _around(text, spans, pad=1200)
    if sum(1 for word in _ROT13_PROBES if word in lower) < 2:
        return ""  # cheap substring probes first; the word regex only on likely rot13
    found = [m.start() for m in _ROT13_WORDS.finditer(lower)]
    spans = [
        (found[i], found[i + 2]) for i in range(len(found) - 2) if found[i + 2] - found[i] < 150
    ]
    return _around(text, spans, pad=240) if spans else ""


def _decode_runs(
    text: str, chain: tuple[str, ...], depth: int, budget: _Budget, out: list[Variant]
) -> None:
    for kind, run in _runs(text):
        if budget.attempts <= 0 or budget.payloads <= 0 or budget.chars <= 0:
            return
        budget.attempts -= 1
        run = run[:MAX_CANDIDATE_CHARS]
        decoded = _decode_hex(run) if kind == "hex_payload" else _decode_base64(run)
        if decoded is not None:
            _add_payload(decoded, (*chain, kind), depth, budget, out)


def _runs(text: str) -> Iterator[tuple[str, str]]:
    """Candidate encoded runs, each labelled hex_payload or base64_payload."""
    long_chunks = [chunk for chunk in text.split() if len(chunk) >= 16]
    for match in (m for chunk in long_chunks for m in _RUN.finditer(chunk)):
        run = match.group()
        if _HEX_DIGITS.fullmatch(run):
            if not run.isalpha():  # "deadbeefcafebabe..." words aside, hex has digits
                yield "hex_payload", run
        elif not (run.isalpha() and (run.islower() or run.istitle())):
            # A long plain word ("internationalization") is not worth a decoding attempt.
            yield "base64_payload", run
    if "\\x" in text:
        for match in _HEX_ESCAPES.finditer(text):
            yield "hex_payload", match.group()
    if _HEX_SPACED_HINT.search(text):
        for match in _HEX_SPACED.finditer(text):
            yield "hex_payload", match.group()


def _add_payload(
    raw: str, chain: tuple[str, ...], depth: int, budget: _Budget, out: list[Variant]
) -> None:
    if budget.payloads <= 0 or budget.chars <= 0:
        return
    raw = raw[: budget.chars]
    budget.payloads -= 1
    budget.chars -= len(raw)
    cleaned = _clean(raw).text
    out.append(Variant(chain, cleaned))
    _expand(cleaned, chain, depth + 1, budget, out)


def _printable(data: bytes) -> str | None:
    """The UTF-8 text in ``data`` when it is mostly printable words, else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 6:
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    letters = sum(1 for c in text if c.isalpha())
    if printable < 0.95 * len(text) or letters < 0.5 * len(text.replace(" ", "")):
        return None
    return text


def _decode_base64(run: str) -> str | None:
    run = run.rstrip("=").replace("-", "+").replace("_", "/")
    run = run[: len(run) - len(run) % 4] if len(run) % 4 == 1 else run
    try:
        data = binascii.a2b_base64(run + "=" * (-len(run) % 4), strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    return _printable(data)


def _decode_hex(run: str) -> str | None:
    digits = _HEX_NOISE.sub("", run)
    try:
        return _printable(bytes.fromhex(digits))
    except ValueError:
        return None
