"""Number-shaped PII with a checksum or a number plan: payment cards, IBANs, US SSNs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from seawall.guards.checksums import IBAN_LENGTHS, card_brand, iban_valid, luhn_valid
from seawall.guards.findings import Finding
from seawall.guards.pii_scan import TextView

# 13-19 digits, either one run or groups with one consistent separator (4-4-4-4, 4-6-5, ...).
# The look-arounds keep it out of longer digit runs, decimals and dashed identifiers.
_CARD = re.compile(
    r"(?<![\w+\-./])"
    r"(?:[0-9]{13,19}|[0-9]{4}(?P<sep>[ \-])[0-9]{4,6}(?:(?P=sep)[0-9]{3,6}){1,3})"
    r"(?![\w\-]|[.,/][0-9])"
)
_CARD_MIN_CHARS = 13

# Starts with its literal dash so the scan is a fast substring search; the area is checked after.
_SSN_TAIL = re.compile(r"-([0-9]{2})-([0-9]{4})(?![\w\-]|[./][0-9])")
_SSN_UNDASHED = re.compile(r"(?<![\w\-/.])([0-9]{3})( ?)([0-9]{2})\2([0-9]{4})(?![\w\-]|[./][0-9])")
_SSN_CONTEXT = re.compile(r"\b(?:ssn|ss#|social[\s-]+security|soc\.?\s*sec)")
_SSN_NEEDLES = ("ssn", "ss#", "social", "soc.", "soc sec")
_SSN_CONTEXT_CHARS = 40
# Numbers the SSA or advertisers published; never a real person's.
_SSN_PUBLISHED = frozenset({"078051120", "219099999", "457555462"})
_NOT_BEFORE_NUMBER = frozenset("-/._")

# Country code, check digits, then the BBAN (optionally in groups of four). Tried where a
# number run starts right after two letters ("DE89 3704 …", "GB29NWBK…"), any letter case.
_IBAN = re.compile(r"[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){10,32}")


def find_cards(view: TextView) -> Iterator[Finding]:
    """Luhn-valid numbers with a known issuer prefix and length."""
    text = view.text
    for start, end in view.number_runs:
        if end - start < _CARD_MIN_CHARS:
            continue
        for m in _CARD.finditer(text, start, min(len(text), end + 2)):
            digits = m.group().replace(" ", "").replace("-", "")
            brand = card_brand(digits) if 13 <= len(digits) <= 19 else None
            if brand is not None and luhn_valid(digits):
                yield Finding(m.start(), m.end(), "credit_card", brand)


def _ssn_parts_valid(area: str, group: str, serial: str) -> bool:
    """SSA rules: no area 000, 666 or 9xx; no group 00; no serial 0000."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    return area + group + serial not in _SSN_PUBLISHED


def _starts_clean(text: str, start: int) -> bool:
    """Nothing number- or word-like glued before ``start``."""
    if start == 0:
        return True
    before = text[start - 1]
    return not (before.isalnum() or before in _NOT_BEFORE_NUMBER)


def find_ssns(view: TextView) -> Iterator[Finding]:
    """AAA-GG-SSSS anywhere; undashed (or spaced) forms only after "SSN"/"social security"."""
    text = view.text
    for m in _SSN_TAIL.finditer(text):
        start = m.start() - 3
        area = text[max(0, start) : m.start()]
        if (
            start >= 0
            and area.isdigit()
            and area.isascii()
            and _starts_clean(text, start)
            and _ssn_parts_valid(area, *m.groups())
        ):
            yield Finding(start, m.end(), "us_ssn")
    if not any(needle in view.lower for needle in _SSN_NEEDLES):
        return
    for start, end in view.number_runs:
        if end - start not in (9, 11):
            continue
        plain = _SSN_UNDASHED.match(text, start)
        if plain is None or plain.end() != end or not _ssn_parts_valid(*plain.group(1, 3, 4)):
            continue
        if _SSN_CONTEXT.search(view.lower, max(0, start - _SSN_CONTEXT_CHARS), start):
            yield Finding(start, end, "us_ssn")


def _iban_end(text: str, start: int, end: int, length: int) -> int | None:
    """Where an IBAN of ``length`` characters starting at ``start`` ends, or None."""
    count, pos = 0, start
    while pos < end and count < length:
        if text[pos] != " ":
            count += 1
        elif count % 4 or text[pos - 1] == " ":
            return None  # spaces only between groups of four
        pos += 1
    if count < length or (pos < len(text) and text[pos].isalnum()):
        return None
    return pos


def find_ibans(view: TextView) -> Iterator[Finding]:
    """IBANs with their country's length and a valid mod-97 check."""
    text = view.text
    for run_start, _ in view.number_runs:
        start = run_start - 2
        if start < 0 or not text[start:run_start].isalpha() or not _starts_clean(text, start):
            continue
        m = _IBAN.match(text, start)
        length = IBAN_LENGTHS.get(text[start:run_start].upper()) if m is not None else None
        if m is None or length is None:
            continue
        end = _iban_end(text, start, m.end(), length)
        if end is not None and iban_valid(text[start:end].replace(" ", "").upper()):
            yield Finding(start, end, "iban")
