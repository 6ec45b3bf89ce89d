"""Phone numbers: loose candidates, look-alikes dropped, the rest validated by ``phonenumbers``.

Candidates come from the number runs; shape rules drop dates, decimals, IPs, ZIP+4, SSNs and
lists; the nearest keyword before a candidate ("call" vs "order") decides ambiguous ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

import phonenumbers

from seawall.guards.findings import Finding
from seawall.guards.pii_scan import TextView

# Digits with single separators and an optional "(area)"; never glued to a word, a sign, a
# currency symbol or another number piece. Bounded length keeps backtracking linear.
_CANDIDATE = re.compile(r"(?<![\w+\-./$€£#@])\+?\(?[0-9][0-9 \-./()]{4,22}[0-9](?!\w|[\-./][0-9])")
_SEP = re.compile(r"[ \-./]")
_NON_DIGIT = re.compile(r"\D")
_DOUBLE_SEP = re.compile(r"[ \-./]{2}")
# A date at the start (a timestamp like "2023-11-14 10" or "14.11.2023 9") is never a phone.
_DATE_START = re.compile(
    r"(?:19|20)[0-9][0-9][\-/.](?:0?[1-9]|1[0-2])[\-/.](?:0?[1-9]|[12][0-9]|3[01])(?![0-9])"
    r"|(?:0?[1-9]|[12][0-9]|3[01])[\-/.](?:0?[1-9]|[12][0-9]|3[01])[\-/.](?:19|20)[0-9][0-9](?![0-9])"
)
# The nearest keyword before a candidate decides: a phone word accepts, an identifier word
# ("order 555-123-4567", "ticket 20231114") rejects. Matched on the lower-cased text.
_CONTEXT = re.compile(
    r"\b(?:(?P<pos>tel|tél|phone|call|ring|mobile?|cell|fax|sms|text|whatsapp|dial"
    r"|hotline|contact|reach|fon|telefon|teléfono|telefono|téléphone|handy|portable|móvil"
    r"|cellulare|numéro|número|numero|rufnummer)"
    r"|(?P<neg>order|invoice|ticket|ref|tracking|account|acct|case|id|serial|sku|po\b"
    r"|customer|member|version|build|release|isbn|issn|zip|postal|postcode|plz|pin|otp"
    r"|bestell|rechnung|auftrag|kunden|commande|facture|pedido|factura|ordine|fattura"
    r"|transaction|txn|batch|lot\b|item|part\b|model|patent|iban|card|bic|swift|ean|upc))"
)
_CONTEXT_CHARS = 32
_NATIONAL_DIGITS = (8, 12)
_INTERNATIONAL_DIGITS = (8, 15)
# Regions whose numbers are written nationally with their trunk "0" (020 …, 030 …, 01 …):
# a national candidate without it is not tried against them ("20231114" is a valid DE number).
_TRUNK_WRITTEN = frozenset({"GB", "DE", "FR", "JP", "AU", "NL", "AT", "CH", "BE", "SE", "NZ"})


def _context_kind(lowered: str, start: int) -> str | None:
    """ "pos", "neg" or None: the kind of the keyword nearest before ``start``."""
    kind = None
    for m in _CONTEXT.finditer(lowered, max(0, start - _CONTEXT_CHARS), start):
        kind = "pos" if m.group("pos") else "neg"
    return kind


_BARE, _THOUSANDS, _GROUPED = "bare", "thousands", "grouped"


def _shape(candidate: str) -> str | None:
    """None for shapes that are something else (dates, decimals, IPs, ZIP+4, SSN, cards)."""
    if candidate.count("(") != candidate.count(")") or candidate.count("(") > 1:
        return None
    body = candidate.lstrip("+").replace("(", "").replace(")", "")
    if _DOUBLE_SEP.search(body) or _DATE_START.match(body):
        return None
    groups = [len(g) for g in _SEP.split(body)]
    if len(groups) == 1:
        return _BARE
    if groups in ([5, 4], [3, 2, 4], [4, 4, 4, 4]) or groups[-1] == 1 or groups.count(1) > 1:
        return None  # ZIP+4, SSN, card; "4 8 15 16 23 42" is a list of numbers
    ipv4_like = len(groups) == 4 and max(groups) <= 3
    if "." in body and (len(groups) == 2 or 1 in groups or ipv4_like):
        return None  # a decimal, an OID, an IPv4 address
    if groups[0] <= 3 and all(g == 3 for g in groups[1:]):
        return _THOUSANDS  # "612 345 678" is a Spanish mobile, or 612 million
    return _GROUPED


class PhoneMatcher:
    """Finds phone numbers valid in any region (``+``/``00``) or in one of ``regions``."""

    def __init__(self, regions: Sequence[str]) -> None:
        unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(f"unknown phone region(s) {unknown}: use ISO 3166 codes like 'US'")
        # Per region: its trunk prefix and the lengths a national number can have, so that
        # most regions are ruled out by a length check before the (slow) library parse.
        plans = []
        for region in regions:
            meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
            if meta is None or meta.general_desc is None:
                continue
            lengths = frozenset(meta.general_desc.possible_length or ())
            plans.append((region, meta.national_prefix or "", lengths))
        self._plans = tuple(plans)

    def find(self, view: TextView) -> Iterator[Finding]:
        """Yield the phone numbers in the text."""
        text = view.text
        for start, end in view.number_runs:
            if end - start < _NATIONAL_DIGITS[0]:
                continue
            # A leading "+" or "(" is not part of the run; the candidate may take it.
            for m in _CANDIDATE.finditer(text, max(0, start - 1), min(len(text), end + 2)):
                if m.start() < end and self._accept(view, m.start(), m.group()):
                    yield Finding(m.start(), m.end(), "phone")

    def _accept(self, view: TextView, start: int, candidate: str) -> bool:
        if candidate.startswith("00") and candidate[2:3] != "0":
            candidate = "+" + candidate[2:]  # the international call prefix most regions use
        international = candidate[0] == "+"
        digits = _NON_DIGIT.sub("", candidate)
        low, high = _INTERNATIONAL_DIGITS if international else _NATIONAL_DIGITS
        shape = _shape(candidate) if low <= len(digits) <= high else None
        if shape is None:
            return False
        kind = _context_kind(view.lower, start)
        if kind == "neg" or (shape == _THOUSANDS and kind != "pos"):
            return False
        if international:
            return _valid(candidate, None)
        if shape == _BARE and kind is None:
            return False  # a bare digit run needs a phone word before it
        for region, prefix, lengths in self._plans:
            if digits[0] != "0" and region in _TRUNK_WRITTEN:
                continue
            national = digits[len(prefix) :] if prefix and digits.startswith(prefix) else digits
            if (len(national) in lengths or len(digits) in lengths) and _valid(candidate, region):
                return True
        return False


# A chat request re-sends the whole conversation: the same candidates come back every turn.
@lru_cache(maxsize=4096)
def _valid(candidate: str, region: str | None) -> bool:
    """Is ``candidate`` a valid number (of ``region`` when given, of any when it has a "+")?"""
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return False
    if region is None:
        return phonenumbers.is_valid_number(number)
    return phonenumbers.is_valid_number_for_region(number, region)
