"""Street addresses: house number and street-type word, in a few Western conventions.

Precision first: a street line needs a house number next to a street-type word ("Street",
"Ave", "-straße", "rue", "Via"). Addresses written without one ("Flat 3, The Maltings"), PO
boxes, and city/ZIP lines on their own are not found; recall is modest by design.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from seawall.guards.findings import Finding
from seawall.guards.pii_scan import TextView, positions

_US_TYPES = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl"
    "|Terrace|Ter|Circle|Cir|Highway|Hwy|Parkway|Pkwy|Square|Sq|Trail|Trl|Crescent|Close"
    "|Alley|Row|Mews|Grove|Loop|Pike|Plaza|Walk|Path"
)
# Articles and prepositions never start a street name ("in 2019 The Court ruled").
_NAME_WORD = (
    r"(?!(?:The|A|An|And|Of|In|On|At|To|For|By|With|From|Or|Our|My|His|Her|Their)\b)"
    r"(?:[A-Z][a-z]+|[A-Z]|[0-9]{1,3}(?:st|nd|rd|th))"
)
_FR_TYPES = "rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai|cours"  # or capitalised
# Anchored at a house number: "1600 Pennsylvania Avenue NW", "221B Baker Street",
# "350 5th Ave, Suite 21" (one to four capitalised words, a street type, direction, unit),
# or the French order "12 rue de la Paix", "8 bis, avenue Victor Hugo".
_NUMBER_FIRST = re.compile(
    rf"(?<![\w.,/\-])[0-9]{{1,5}}(?:"
    rf"[A-Z]?(?: {_NAME_WORD}){{1,4}} (?:{_US_TYPES})\b\.?"
    r"(?: (?:N|S|E|W|NE|NW|SE|SW)\b)?"
    r"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Floor|Fl)\.? ?#?[0-9]{1,5}[A-Z]?\b)?"
    rf"|(?: ?(?:bis|ter))?,? (?i:{_FR_TYPES}) (?:(?:de|du|des|la|le|l'|d')\s?){{0,2}}"
    r"[A-ZÉÈ][\w'\-]+(?: [A-ZÉÈ][\w'\-]+){0,2})"
)
# "in 2019 Supreme Court …": a year after a preposition is not a house number.
_YEAR_IN_PROSE = re.compile(
    r"(?i)\b(?:in|since|by|from|until|till|of|during|year|and|before|after) (?:19|20)[0-9][0-9] $"
)

# German and Dutch put the number after the name: "Hauptstraße 5", "Kaiser-Wilhelm-Str. 12a",
# "Berliner Allee 3", "Kerkstraat 12". Tried only where such a suffix ends right before a number.
_DE_COMPOUND = ("straße", "strasse", "str.", "weg", "allee", "gasse", "damm", "ufer", "straat",
                "laan", "gracht", "kade")  # fmt: skip
_DE_WORDS = ("Straße", "Strasse", "Str.", "Weg", "Allee", "Gasse", "Damm", "Ufer", "Platz",
             "Ring", "Chaussee")  # fmt: skip
_DE_ARTICLES = r"(?:Der|Die|Das|Den|Dem|Des|Ein|Eine|Einen|Im|Zum|Zur|Vom|The|A)\b"
_DE_STREET = re.compile(
    rf"(?<![\w\-])(?:[A-ZÄÖÜ][a-zäöüß]{{2,}}(?:{'|'.join(map(re.escape, _DE_COMPOUND))})"
    rf"|(?:(?!{_DE_ARTICLES})[A-ZÄÖÜ][a-zäöüß]+[ \-]){{1,3}}(?:{'|'.join(map(re.escape, _DE_WORDS))}))"
    r" ?[0-9]{1,4}(?: ?[a-z])?(?![\w.,][0-9]|\w)"
)
_DE_LOOKBACK = 48
_DE_ENDINGS = tuple(s.lower() for s in _DE_COMPOUND + _DE_WORDS)
_DE_LAST_CHARS = frozenset(ending[-1] for ending in _DE_ENDINGS)
# Cheap checks before the anchored regex: what may follow a house number ("221B Baker",
# "8, rue", "12 Main", "350 5th", "12 rue", "8 bis").
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_AFTER_NUMBER = frozenset("," + _UPPER)
_WORD_AFTER_NUMBER = frozenset(_UPPER + "0123456789ÉÈ" + "rabpcqit")

# Spanish, Italian, Portuguese: "Calle Mayor 5", "Via Roma 10", "Avenida de la Paz, 22".
_SOUTH_TYPES = ("Calle", "Avenida", "Avda.", "Paseo", "Plaza", "Via", "Viale", "Piazza", "Corso",
                "Largo", "Rua")  # fmt: skip
_SOUTH_STREET = re.compile(
    rf"(?<![\w\-])(?:{'|'.join(map(re.escape, _SOUTH_TYPES))})"
    r" (?:(?:de|del|de la|los|las|di|della|dei|delle|do|da)\s)?[A-Z][\w'\-]+"
    r"(?: [A-Z][\w'\-]+){0,2},? [0-9]{1,4}\b(?![.,][0-9])"
)


def find_street_addresses(view: TextView) -> Iterator[Finding]:
    """Street lines in US/UK, French, German/Dutch and Spanish/Italian form."""
    text = view.text
    for start, end in view.number_runs:
        if end - start > 5:
            continue
        space = text.find(" ", start, end)  # "350 5th Ave" is one number run
        house_end = end if space == -1 else space
        after = text[house_end : house_end + 2]
        if after[:1] in _AFTER_NUMBER or (after[:1] == " " and after[1:] in _WORD_AFTER_NUMBER):
            m = _NUMBER_FIRST.match(text, start)
            if m is not None and not _YEAR_IN_PROSE.search(text, max(0, start - 12), end + 1):
                yield Finding(start, m.end(), "street_address")
        if end - start <= 4 and start > 1 and _german_ending_before(view.lower, start):
            yield from _german_before(view, start, end)
    for street_type in _SOUTH_TYPES:
        for pos in positions(text, street_type + " "):
            m = _SOUTH_STREET.match(text, pos)
            if m is not None:
                yield Finding(pos, m.end(), "street_address")


def _german_ending_before(lowered: str, start: int) -> bool:
    """Does a German/Dutch street-type word end right before ``start`` (one space allowed)?"""
    last = lowered[start - 1] if lowered[start - 1] != " " else lowered[start - 2]
    return last in _DE_LAST_CHARS and lowered[max(0, start - 10) : start].rstrip().endswith(
        _DE_ENDINGS
    )


def _german_before(view: TextView, start: int, end: int) -> Iterator[Finding]:
    """A German/Dutch street name ending right before the house number at ``start``."""
    window = max(0, start - _DE_LOOKBACK)
    for m in _DE_STREET.finditer(view.text, window, min(len(view.text), end + 3)):
        if m.start() < start <= m.end():
            yield Finding(m.start(), m.end(), "street_address")
            return
