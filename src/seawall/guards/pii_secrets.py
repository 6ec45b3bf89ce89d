"""Secrets: vendor tokens with a recognisable shape, and high-entropy values in key context.

A hex hash, UUID or git SHA in prose is not flagged by itself: generic values are looked at
only after a key-like name (``api_key=``, ``token:``, ``password=``, ``Authorization:``).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson

from seawall.guards.findings import Finding
from seawall.guards.pii_scan import TextView, positions

_B = r"(?<![A-Za-z0-9_\-])"  # not glued to a token character before …
_E = r"(?![A-Za-z0-9_\-])"  # … nor after


@dataclass(frozen=True, slots=True)
class _Vendor:
    detail: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...]  # literals a match starts with: where ``pattern`` is tried
    check: Callable[[str], bool] | None = None


def _mixed(value: str) -> bool:
    """Letters and digits both present: real keys are random, words and slugs are not."""
    return any(ch.isdigit() for ch in value) and any(ch.isalpha() for ch in value)


def _jwt_header_ok(token: str) -> bool:
    """The first part decodes to a JSON object with an "alg" member."""
    head = token.split(".", 1)[0]
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(decoded, dict) and "alg" in decoded


_PEM_NAME = r"(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?"
_VENDORS: tuple[_Vendor, ...] = (
    _Vendor(
        "aws_access_key",
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        ("AKIA", "ASIA"),
    ),
    _Vendor(
        "github_token",
        re.compile(
            rf"{_B}(?:gh[pousr]_[A-Za-z0-9]{{36,251}}|github_pat_[A-Za-z0-9_]{{22,255}}){_E}"
        ),
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _Vendor("gitlab_token", re.compile(rf"{_B}glpat-[A-Za-z0-9_\-]{{20,}}"), ("glpat-",)),
    _Vendor("slack_token", re.compile(rf"{_B}xox[abprs]-[A-Za-z0-9\-]{{10,}}"), ("xox",)),
    _Vendor(
        "slack_webhook",
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9_/]{20,}"),
        ("https://hooks.slack.com/",),
    ),
    _Vendor(
        "stripe_key",
        re.compile(rf"{_B}(?:(?:sk|rk)_(?:live|test)|pk_live)_[A-Za-z0-9]{{16,}}{_E}"),
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_", "pk_live_"),
    ),
    _Vendor("anthropic_key", re.compile(rf"{_B}sk-ant-[A-Za-z0-9_\-]{{20,}}"), ("sk-ant-",)),
    _Vendor(
        "openai_key",
        re.compile(rf"{_B}sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{{20,}}"),
        ("sk-",),
        _mixed,
    ),
    _Vendor("npm_token", re.compile(rf"{_B}npm_[A-Za-z0-9]{{36}}{_E}"), ("npm_",)),
    _Vendor("huggingface_token", re.compile(rf"{_B}hf_[A-Za-z0-9]{{34,40}}{_E}"), ("hf_",)),
    _Vendor(
        "pypi_token",
        re.compile(rf"{_B}pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{{50,}}"),
        ("pypi-AgEIcHlwaS5vcmc",),
    ),
    _Vendor(
        "sendgrid_key",
        re.compile(rf"{_B}SG\.[A-Za-z0-9_\-]{{22}}\.[A-Za-z0-9_\-]{{43}}{_E}"),
        ("SG.",),
    ),
    _Vendor(
        "shopify_token",
        re.compile(rf"{_B}shp(?:at|ss|ca|pa)_[a-fA-F0-9]{{32}}{_E}"),
        ("shpat_", "shpss_", "shpca_", "shppa_"),
    ),
    _Vendor(
        "digitalocean_token",
        re.compile(rf"{_B}do[por]_v1_[a-f0-9]{{64}}{_E}"),
        ("dop_v1_", "doo_v1_", "dor_v1_"),
    ),
    _Vendor("google_api_key", re.compile(rf"{_B}AIza[0-9A-Za-z_\-]{{35}}{_E}"), ("AIza",)),
    _Vendor(
        "jwt",
        re.compile(rf"{_B}eyJ[A-Za-z0-9_\-]{{8,}}\.[A-Za-z0-9_\-]{{8,}}\.[A-Za-z0-9_\-]*{_E}"),
        ("eyJ",),
        _jwt_header_ok,
    ),
    _Vendor(
        "private_key",
        # Up to the END line; a pasted key cut short still loses its whole base64 body.
        re.compile(
            rf"-----BEGIN {_PEM_NAME}-----(?:[\s\S]*?-----END {_PEM_NAME}-----"
            r"|[A-Za-z0-9+/=\s:,\-]*[A-Za-z0-9+/=])"
        ),
        ("-----BEGIN ",),
    ),
)

# Matched on the lower-cased text: a key-like name (also inside "client_secret", "X-Api-Key")
_KEY_NAME = re.compile(r"key|token|secret|passw(?:or)?d|pwd|credential")
# … then, on the text, the rest of the identifier, an assignment and the value.
_ASSIGNED_VALUE = re.compile(
    r"[\w\-]{0,20}?[\"']?\s*(?:=>|:=|[:=])\s*[\"']?(?P<val>[^\s\"'`,;(){}\[\]<>]{6,512})"
)
_AUTH_HEADER = re.compile(
    r"(?i)(?:authorization\s*[:=]\s*[\"']?(?P<scheme>bearer|token|basic)\s+|bearer\s+)"
    r"(?P<val>[A-Za-z0-9\-._~+/]{8,}=*)"
)
_AWS_SECRET_VALUE = re.compile(r"[A-Za-z0-9/+]{40}")
_AWS_CONTEXT_CHARS = 24
_URL_USERINFO = re.compile(r"[^\s:/@]{1,64}:(?P<val>[^\s:/@]{3,128})@[\w.\-]+")
_PLACEHOLDER = re.compile(
    r"(?i)x{4}|\*{3}|\.{3}|<|>|^\$|\$\{|\{\{|%\(|your|example|changeme|redacted|placeholder|dummy"
    r"|^(?:null|none|true|false|password|secret|token|undefined)$|env:|environ|getenv|://"
)
_WORD_SEP = re.compile(r"[\-_.]")
_MIN_GENERIC_LEN = 20
_MIN_GENERIC_ENTROPY = 3.3  # bits per character; random base62 of 20+ chars is ~4
_MIN_PASSWORD_LEN = 6


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value``'s own character distribution."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _classes(value: str) -> int:
    return (
        any(ch.islower() for ch in value)
        + any(ch.isupper() for ch in value)
        + any(ch.isdigit() for ch in value)
        + any(not ch.isalnum() for ch in value)
    )


def _wordy(value: str) -> bool:
    """Slugs like "my-secret-token-value-2024": mostly letters in three or more parts."""
    parts = _WORD_SEP.split(value)
    letters = sum(len(p) for p in parts if p.isalpha())
    return len(parts) >= 3 and letters >= 0.6 * len(value)


def _generic_ok(value: str) -> bool:
    alnum = value.replace("-", "").replace("_", "")
    return (
        len(value) >= _MIN_GENERIC_LEN
        and _classes(alnum) >= 2
        and shannon_entropy(value) >= _MIN_GENERIC_ENTROPY
        and not _wordy(value)
        and not _PLACEHOLDER.search(value)
    )


def _password_ok(value: str) -> bool:
    return (
        _MIN_PASSWORD_LEN <= len(value) <= 128
        and _classes(value) >= 2
        and not _PLACEHOLDER.search(value)
    )


def find_vendor_secrets(view: TextView) -> Iterator[Finding]:
    """Tokens whose prefix and shape name their vendor."""
    text = view.text
    for vendor in _VENDORS:
        for needle in vendor.needles:
            for pos in positions(text, needle):
                m = vendor.pattern.match(text, pos)
                if m is not None and (vendor.check is None or vendor.check(m.group())):
                    yield Finding(pos, m.end(), "secret", vendor.detail)


def find_context_secrets(view: TextView) -> Iterator[Finding]:
    """Values after a key-like name, an Authorization header, or in a URL's user info."""
    yield from _key_values(view)
    yield from _auth_headers(view)
    for pos in positions(view.text, "://"):
        m = _URL_USERINFO.match(view.text, pos + 3)
        if m is not None and not _PLACEHOLDER.search(m.group("val")):
            yield Finding(*m.span("val"), "secret", "url_password")


def _key_values(view: TextView) -> Iterator[Finding]:
    text, lowered, done = view.text, view.lower, 0
    for k in _KEY_NAME.finditer(lowered):
        if k.start() < done:
            continue  # "secret" then "key" of one "secret_key = …"
        m = _ASSIGNED_VALUE.match(text, k.end())
        if m is None:
            continue
        done = m.end()  # a value is judged once, whatever key names appear inside it
        name = lowered[max(0, k.start() - _AWS_CONTEXT_CHARS) : m.start("val")]
        detail = _classify(name, k.group(), m.group("val"))
        if detail is not None:
            yield Finding(*m.span("val"), "secret", detail)


def _classify(name: str, keyword: str, value: str) -> str | None:
    """The kind of secret ``value`` is after the key ``name``, or None if it looks like none."""
    if keyword.startswith(("passw", "pwd")):
        return "password" if _password_ok(value) else None
    aws = "aws" in name or "secretaccesskey" in name.replace("_", "")
    if aws and _AWS_SECRET_VALUE.fullmatch(value) and _mixed(value):
        return "aws_secret_key"
    return "generic" if _generic_ok(value) else None


def _auth_headers(view: TextView) -> Iterator[Finding]:
    seen: set[int] = set()  # "Authorization: Bearer x" is found from both words
    for needle in ("authorization", "bearer"):
        for pos in positions(view.lower, needle):
            m = _AUTH_HEADER.match(view.text, pos)
            if m is None or m.start("val") in seen:
                continue
            basic = (m.group("scheme") or "").lower() == "basic"
            value = m.group("val")
            if (basic and len(value) >= _MIN_PASSWORD_LEN) or _generic_ok(value):
                seen.add(m.start("val"))
                yield Finding(*m.span("val"), "secret", "basic_auth" if basic else "bearer_token")
