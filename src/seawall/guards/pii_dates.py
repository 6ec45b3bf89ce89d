"""Dates of birth: a real, past date shortly after a birth keyword ("born", "DOB", "geb.")."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from seawall.guards.findings import Finding
from seawall.guards.pii_scan import TextView, positions

_MONTH_NAMES = (
    "january jan januar janvier enero gennaio",
    "february feb februar février fevrier febrero febbraio",
    "march mar märz maerz mars marzo",
    "april apr avril abril aprile",
    "may mai mayo maggio",
    "june jun juni juin junio giugno",
    "july jul juli juillet julio luglio",
    "august aug août aout agosto",
    "september sep sept septembre septiembre settembre",
    "october oct oktober octobre octubre ottobre",
    "november nov novembre noviembre",
    "december dec dezember décembre decembre diciembre dicembre",
)
_MONTHS: dict[str, int] = {
    name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names.split()
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

_DATE = re.compile(
    r"(?i)(?:(?P<iy>[0-9]{4})[\-/.](?P<im>[0-9]{1,2})[\-/.](?P<id>[0-9]{1,2})"
    r"|(?P<na>[0-9]{1,2})[\-/.](?P<nb>[0-9]{1,2})[\-/.](?P<ny>[0-9]{4}|[0-9]{2})"
    rf"|(?P<dd>[0-9]{{1,2}})(?:st|nd|rd|th|er)?\.?\s(?:of\s|de\s)?(?P<dm>{_MONTH})\.?,?\s(?:de\s)?(?P<dy>[0-9]{{4}})"
    rf"|(?P<mm>{_MONTH})\.?\s(?P<md>[0-9]{{1,2}})(?:st|nd|rd|th)?,?\s(?P<my>[0-9]{{4}})"
    r")(?![0-9])"
)
# Between the keyword and the date: a few words ("born in Lyon on"), no digits, one line.
_GAP = re.compile(r"[^0-9\n]{0,30}")
# A month name right before the first digit starts a month-first date ("July 4, 1976").
_MONTH_BEFORE = re.compile(rf"(?i)\b(?:{_MONTH})\.?\s$")
_MONTH_BEFORE_CHARS = 12
# Matched on the lower-cased text, anchored where one of the needles occurs.
_KEYWORD = re.compile(
    r"\b(?:born\b|d\.?o\.?b\b\.?|date\s+of\s+birth\b|birth\s?date\b|birthday\b"
    r"|geb\.|geboren\b|geburtsdatum\b|née?\s+le\b|date\s+de\s+naissance\b"
    r"|fecha\s+de\s+nacimiento\b|nacid[oa]\b|data\s+di\s+nascita\b|nat[oa]\s+il\b)"
)
_NEEDLES = ("born", "dob", "d.o.b", "date", "birth", "geb", "né", "fecha", "nacid", "data di",
            "nato il", "nata il")  # fmt: skip


def find_birth_dates(view: TextView) -> Iterator[Finding]:
    """Dates that follow a birth keyword closely and name a real day in the past."""
    lowered, text = view.lower, view.text
    anchors = sorted({pos for needle in _NEEDLES for pos in positions(lowered, needle)})
    for pos in anchors:
        k = _KEYWORD.match(lowered, pos)
        if k is None:
            continue
        gap = _GAP.match(text, k.end())
        digit = gap.end() if gap is not None else k.end()
        if digit >= len(text) or not text[digit].isdigit():
            continue
        month = _MONTH_BEFORE.search(text, max(k.end(), digit - _MONTH_BEFORE_CHARS), digit)
        for start in (month.start(), digit) if month else (digit,):
            m = _DATE.match(text, start)
            if m is not None and _is_past_date(m):
                yield Finding(start, m.end(), "date_of_birth")
                break


def _is_past_date(m: re.Match[str]) -> bool:
    g = m.groupdict()
    today = dt.date.today()
    if g["iy"]:
        return _past(int(g["iy"]), int(g["im"]), int(g["id"]), today)
    if g["ny"]:
        year = int(g["ny"])
        if len(g["ny"]) == 2:
            year += 2000 if 2000 + year <= today.year else 1900
        a, b = int(g["na"]), int(g["nb"])
        # Day-first or month-first: either reading that is a real date counts.
        return _past(year, b, a, today) or _past(year, a, b, today)
    if g["dy"]:
        return _past(int(g["dy"]), _MONTHS[g["dm"].lower()], int(g["dd"]), today)
    return _past(int(g["my"]), _MONTHS[g["mm"].lower()], int(g["md"]), today)


def _past(year: int, month: int, day: int, today: dt.date) -> bool:
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= date <= today
