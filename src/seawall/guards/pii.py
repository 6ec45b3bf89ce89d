"""PII and secrets detection for the guard stage: pure, precompiled, no I/O.

``PiiDetector(types).scan(text)`` returns non-overlapping findings sorted by start. Each type
has its own finder (regexes compiled once at import, cheap literal prefilters, checksums or
number-plan validation); overlaps are settled by specificity, then length.
Recall is deliberately modest where precision would suffer: street addresses need a house
number and a street-type word, dates of birth need a birth keyword, national phone numbers
without separators need a phone word, generic secrets need a key-like name.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence

from seawall.guards.findings import Finding
from seawall.guards.pii_address import find_street_addresses
from seawall.guards.pii_dates import find_birth_dates
from seawall.guards.pii_ner import NerUnavailable, load_person_finder
from seawall.guards.pii_numbers import find_cards, find_ibans, find_ssns
from seawall.guards.pii_phone import PhoneMatcher
from seawall.guards.pii_scan import TextView
from seawall.guards.pii_secrets import find_context_secrets, find_vendor_secrets
from seawall.guards.pii_text import find_emails, find_ips

__all__ = [
    "DEFAULT_PHONE_REGIONS",
    "PII_TYPES",
    "Finding",
    "NerUnavailable",
    "PiiDetector",
    "resolve_overlaps",
]

PII_TYPES: tuple[str, ...] = (
    "email",
    "phone",
    "credit_card",
    "iban",
    "us_ssn",
    "ip_address",
    "date_of_birth",
    "street_address",
    "secret",
    "person",
)
DEFAULT_PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "DE", "FR", "IN", "BR", "JP", "AU", "ES", "IT", "NL", "CA",
)  # fmt: skip

Finder = Callable[[TextView], Iterator[Finding]]

# When spans overlap, the more specific type wins: a card number is also a digit run a phone
# regex could see, a key in a URL also looks like an e-mail's local part.
_RANK = {
    "secret": 9,
    "credit_card": 8,
    "iban": 7,
    "us_ssn": 6,
    "email": 5,
    "ip_address": 4,
    "date_of_birth": 3,
    "phone": 2,
    "street_address": 1,
    "person": 0,
}
# Secrets found by their context only lose to a vendor-shaped token over the same span.
_CONTEXT_DETAILS = frozenset(
    {"generic", "password", "bearer_token", "basic_auth", "aws_secret_key", "url_password"}
)

_STATIC_FINDERS: dict[str, tuple[Finder, ...]] = {
    "email": (find_emails,),
    "credit_card": (find_cards,),
    "iban": (find_ibans,),
    "us_ssn": (find_ssns,),
    "ip_address": (find_ips,),
    "date_of_birth": (find_birth_dates,),
    "street_address": (find_street_addresses,),
    "secret": (find_vendor_secrets, find_context_secrets),
}


class PiiDetector:
    """Finds PII and secrets in text; build once, then ``scan`` any number of texts.

    ``types``: names from ``PII_TYPES`` (default: all, "person" only with ``ner=True``);
    an unknown name raises ValueError. ``phone_regions``: ISO codes national numbers are
    validated against ("+" numbers are valid for any region). ``ner=True`` loads spaCy's
    English pipeline for "person" and raises ``NerUnavailable`` when it is not installed.
    ``scan`` holds no state between calls and may be called from several threads.
    """

    def __init__(
        self,
        types: Iterable[str] | None = None,
        phone_regions: Sequence[str] = DEFAULT_PHONE_REGIONS,
        ner: bool = False,
    ) -> None:
        self.types: tuple[str, ...] = _select_types(types, ner)
        finders: list[Finder] = []
        for name in self.types:
            if name == "phone":
                finders.append(PhoneMatcher(phone_regions).find)
            elif name == "person":
                finders.append(load_person_finder())
            else:
                finders.extend(_STATIC_FINDERS[name])
        self._finders = tuple(finders)

    def scan(self, text: str) -> list[Finding]:
        """Findings in ``text``, sorted by start, non-overlapping."""
        view = TextView(text)
        found = [finding for finder in self._finders for finding in finder(view)]
        return resolve_overlaps(found) if len(found) > 1 else found


def _select_types(types: Iterable[str] | None, ner: bool) -> tuple[str, ...]:
    """The requested types in canonical order; "person" only with ``ner=True``."""
    if types is None:
        return PII_TYPES if ner else PII_TYPES[:-1]
    wanted = set(types)
    unknown = sorted(wanted - set(PII_TYPES))
    if unknown:
        raise ValueError(f"unknown PII type(s) {unknown}; valid types: {', '.join(PII_TYPES)}")
    if "person" in wanted and not ner:
        raise ValueError("PII type 'person' needs ner=True (spaCy named-entity recognition)")
    return tuple(name for name in PII_TYPES if name in wanted)


def _priority(f: Finding) -> tuple[int, int, int, int]:
    vendor = f.type == "secret" and f.detail not in _CONTEXT_DETAILS
    return (-_RANK[f.type], -vendor, f.start - f.end, f.start)


def resolve_overlaps(found: Iterable[Finding]) -> list[Finding]:
    """Keep the most specific, then longest, of overlapping findings; sorted by start."""
    kept: list[Finding] = []
    starts: list[int] = []
    for f in sorted(found, key=_priority):
        i = bisect.bisect_right(starts, f.start)
        if (i > 0 and kept[i - 1].end > f.start) or (i < len(kept) and kept[i].start < f.end):
            continue
        kept.insert(i, f)
        starts.insert(i, f.start)
    return kept
