"""Dashboard sessions: sign in with an API key, keep only a signed key id in a cookie.

The key itself never leaves the sign-in request: the server checks it
(``Security.authenticate``) and sets ``seawall_session``, an HMAC-SHA256-signed cookie holding
the key id, an expiry and a random nonce (HttpOnly, SameSite=Strict, path ``/ui``, Secure
behind HTTPS). Every request verifies the signature and expiry, then looks the key up again,
so a revoked or expired key ends its sessions at once. POST forms carry a CSRF token derived
from the nonce (a cross-site page can neither read it nor, with SameSite=Strict, send the
cookie). Before sign-in, and in open mode, the cookie holds only a nonce, for the forms.

The signing key is derived from ``audit.hmac_key`` when it is set (every replica accepts the
others' sessions), else drawn at random when the process starts (a restart signs everyone out).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import orjson

from seawall.security.keys import KeyRecord
from seawall.security.roles import Principal

COOKIE = "seawall_session"
SESSION_S = 8 * 3600.0  # a working day; the key's own expiry cuts it shorter
_CSRF = b"seawall-dashboard-csrf\x00"


@dataclass(frozen=True, slots=True)
class Session:
    """What the cookie carries: a key id (None before sign-in), an expiry and a nonce."""

    key_id: str | None
    expires_at: float
    nonce: str


class SessionSigner:
    """Signs and checks session cookies and CSRF tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def from_config(cls, audit_key: str | None) -> SessionSigner:
        """Derived from the audit key when set (stable across replicas), else random."""
        if audit_key:
            digest = hmac.new(audit_key.encode(), b"seawall-dashboard-session", hashlib.sha256)
            return cls(digest.digest())
        return cls(secrets.token_bytes(32))

    def new(self, key_id: str | None, now: float, lifetime_s: float = SESSION_S) -> Session:
        """A fresh session (a new nonce: signing in never keeps a nonce an attacker could know)."""
        return Session(key_id, now + lifetime_s, secrets.token_urlsafe(16))

    def dump(self, session: Session) -> str:
        """The cookie value: base64url(JSON) '.' base64url(HMAC)."""
        payload = orjson.dumps({"k": session.key_id, "e": session.expires_at, "n": session.nonce})
        body = _b64(payload)
        return f"{body}.{_b64(self._sign(body.encode()))}"

    def load(self, value: str | None, now: float) -> Session | None:
        """The session of a cookie value; None when missing, forged, malformed or expired."""
        if not value or value.count(".") != 1:
            return None
        body, signature = value.split(".")
        try:
            given = _unb64(signature)
            data = orjson.loads(_unb64(body))
        except (ValueError, binascii.Error, orjson.JSONDecodeError):
            return None
        if not hmac.compare_digest(given, self._sign(body.encode())):
            return None
        if not isinstance(data, dict):
            return None
        key_id, expires_at, nonce = data.get("k"), data.get("e"), data.get("n")
        if not (key_id is None or isinstance(key_id, str)) or not isinstance(nonce, str):
            return None
        if not isinstance(expires_at, int | float) or expires_at <= now:
            return None
        return Session(key_id, float(expires_at), nonce)

    def csrf(self, session: Session) -> str:
        """The CSRF token of a session: forms send it back, the server recomputes it."""
        return hmac.new(self._secret, _CSRF + session.nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session: Session | None, token: str | None) -> bool:
        """Does ``token`` belong to ``session``? (constant-time)"""
        if session is None or not token:
            return False
        return hmac.compare_digest(self.csrf(session), token)

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._secret, body, hashlib.sha256).digest()


def principal_of(record: KeyRecord | None, now: float) -> Principal | None:
    """The principal of a stored key that is still valid at ``now``; None otherwise."""
    if record is None or record.status(now) in ("revoked", "expired"):
        return None
    models = frozenset(record.models) if record.models is not None else None
    return Principal(record.key_id, record.tenant, record.role, models)


def session_lifetime(record: KeyRecord, now: float) -> float:
    """How long a session of this key may last: the default, or less if the key expires first."""
    if record.expires_at is None:
        return SESSION_S
    return max(0.0, min(SESSION_S, record.expires_at - now))


def safe_next(target: str | None, default: str) -> str:
    """Where to go after sign-in: a dashboard path only (no open redirect to another site)."""
    if target and target.startswith("/ui") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
