"""Word-shaped PII: e-mail addresses and IP addresses."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from seawall.guards.findings import Finding
from seawall.guards.pii_scan import TextView, positions

_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_LOCAL_MAX = 64
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])"
)

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# Not part of a longer dotted run (OIDs, "1.2.3.4.5") nor glued to a word ("v2.10.4.1");
# a version or document-numbering word right before ("version 2.10.4.1", "section 4.2.1.3")
# rules it out too.
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\w)")
_IPV4_ANCHOR = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")  # starts with a literal: fast
_VERSION_BEFORE = re.compile(
    r"(?i)(?:\bv|\bversion|\bver\.?|\brelease|\brel\.?|\bbuild|\bfirmware|\bfw|\brev\.?"
    r"|\bsdk|\bapi|\bpython|\bnode|\bupdate[ds]?|\bupgraded?(?:\s+to)?|\bbump(?:ed)?(?:\s+to)?"
    r"|\bsection|\bsect?\.|§|\bchapter|\bch\.|\bclause|\bfigure|\bfig\.|\btable|\bstep|\bitem)"
    r"[\s:=\-]*$"
)
_VERSION_CONTEXT_CHARS = 24
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_HEX_COLON = _HEX_DIGITS | {":"}
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:[0-9A-Fa-f]{1,4}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})?(?![\w:]|\.\w)"
)
_IPV6_ANCHOR = re.compile(r":[0-9A-Fa-f]{0,4}:")  # starts with a literal: fast


def find_emails(view: TextView) -> Iterator[Finding]:
    """E-mail addresses (ASCII local part and domain, TLD of two or more letters)."""
    text, done = view.text, 0
    for at in positions(text, "@"):
        if at < done:
            continue
        start = at
        while start > done and at - start < _LOCAL_MAX and text[start - 1] in _LOCAL_CHARS:
            start -= 1
        while start < at and not text[start].isalnum():
            start += 1  # the local part starts with a letter or digit
        m = _EMAIL.match(text, start)
        if m is not None:
            done = m.end()
            yield Finding(start, done, "email")


def find_ips(view: TextView) -> Iterator[Finding]:
    """IPv4 addresses (not version strings) and IPv6 addresses valid for ``ipaddress``."""
    text = view.text
    for a in _IPV4_ANCHOR.finditer(text):
        start = a.start()
        while start > 0 and a.start() - start < 3 and text[start - 1].isdigit():
            start -= 1
        m = _IPV4.match(text, start)
        if m is None:
            continue
        if not _VERSION_BEFORE.search(text, max(0, start - _VERSION_CONTEXT_CHARS), start):
            yield Finding(start, m.end(), "ip_address")
    if "::" in text or text.count(":") >= 7:
        yield from _find_ipv6(text)


def _find_ipv6(text: str) -> Iterator[Finding]:
    done = 0
    for a in _IPV6_ANCHOR.finditer(text):
        start = a.start()
        if start < done or (
            # A bare run of colons anchors nothing: "::" needs a hex digit next to it.
            a.end() - start == 2
            and text[start - 1 : start] not in _HEX_DIGITS
            and text[a.end() : a.end() + 1] not in _HEX_DIGITS
        ):
            continue
        while start > done and text[start - 1] in _HEX_COLON and a.start() - start < 39:
            start -= 1
        m = _IPV6.match(text, start)
        if m is None:
            # Addresses are never glued to hex digits or colons: none starts later in this run.
            done = a.end()
            continue
        done, candidate = m.end(), m.group()
        # Two groups and a digit at least: "a::b" or "dead::beef" in code are not addresses.
        if sum(1 for g in candidate.split(":") if g) < 2 or not any(c.isdigit() for c in candidate):
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        yield Finding(start, done, "ip_address")
