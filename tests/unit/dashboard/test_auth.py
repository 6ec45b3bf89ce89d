"""Session cookies: signed, expiring, never the key; CSRF tokens bound to the session."""

from __future__ import annotations

import pytest

from seawall.dashboard.auth import (
    SESSION_S,
    Session,
    SessionSigner,
    principal_of,
    safe_next,
    session_lifetime,
)
from seawall.security.keys import KeyRecord

NOW = 1_800_000_000.0


def key(**changes: object) -> KeyRecord:
    values: dict[str, object] = {
        "key_id": "abcdefghijkl",
        "secret_hash": "0" * 64,
        "tenant": "acme",
        "role": "developer",
        "name": None,
        "models": None,
        "created_at": NOW - 100,
        "expires_at": None,
        "revoked_at": None,
        "replaced_by": None,
        "created_by": "cli:test",
    }
    values.update(changes)
    return KeyRecord(**values)  # type: ignore[arg-type]


def test_a_cookie_round_trips_and_holds_only_the_key_id() -> None:
    signer = SessionSigner(b"s" * 32)
    session = signer.new("abcdefghijkl", NOW)
    value = signer.dump(session)
    assert signer.load(value, NOW + 1) == session
    assert "sw-" not in value
    assert session.expires_at == NOW + SESSION_S


@pytest.mark.parametrize(
    "tamper",
    [
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),  # signature
        lambda v: "x" + v,  # body
        lambda v: v.replace(".", ""),
        lambda v: v + ".x",
        lambda v: "",
    ],
)
def test_a_tampered_cookie_is_refused(tamper: object) -> None:
    signer = SessionSigner(b"s" * 32)
    value = signer.dump(signer.new("abcdefghijkl", NOW))
    assert callable(tamper)
    assert signer.load(tamper(value), NOW) is None


def test_another_secret_or_an_expired_cookie_is_refused() -> None:
    signer = SessionSigner(b"s" * 32)
    value = signer.dump(signer.new("abcdefghijkl", NOW, 60))
    assert SessionSigner(b"t" * 32).load(value, NOW) is None
    assert signer.load(value, NOW + 59) is not None
    assert signer.load(value, NOW + 60) is None


def test_the_signing_key_derives_from_the_audit_key_or_is_random() -> None:
    a, b = SessionSigner.from_config("audit-secret"), SessionSigner.from_config("audit-secret")
    value = a.dump(a.new("abcdefghijkl", NOW))
    assert b.load(value, NOW) is not None  # another replica with the same audit key
    assert SessionSigner.from_config(None).load(value, NOW) is None
    assert SessionSigner.from_config("other").load(value, NOW) is None


def test_csrf_tokens_belong_to_one_session() -> None:
    signer = SessionSigner(b"s" * 32)
    one, two = signer.new(None, NOW), signer.new(None, NOW)
    token = signer.csrf(one)
    assert signer.csrf_ok(one, token)
    assert not signer.csrf_ok(two, token)
    assert not signer.csrf_ok(one, "")
    assert not signer.csrf_ok(None, token)
    assert not signer.csrf_ok(Session(one.key_id, one.expires_at, one.nonce + "x"), token)


def test_a_revoked_or_expired_key_has_no_principal() -> None:
    assert principal_of(None, NOW) is None
    assert principal_of(key(revoked_at=NOW - 1), NOW) is None
    assert principal_of(key(expires_at=NOW), NOW) is None
    found = principal_of(key(models=("chat",)), NOW)
    assert found is not None
    assert (found.key_id, found.tenant, found.role, found.models) == (
        "abcdefghijkl",
        "acme",
        "developer",
        frozenset({"chat"}),
    )
    assert principal_of(key(replaced_by="x", expires_at=NOW + 10), NOW) is not None  # rotating


def test_a_session_never_outlives_its_key() -> None:
    assert session_lifetime(key(), NOW) == SESSION_S
    assert session_lifetime(key(expires_at=NOW + 600), NOW) == 600


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/ui/traces?model=chat", "/ui/traces?model=chat"),
        ("//evil.example/ui", "/ui"),
        ("https://evil.example/ui", "/ui"),
        ("/admin/keys", "/ui"),
        ("/ui\\@evil", "/ui"),
        (None, "/ui"),
    ],
)
def test_sign_in_only_returns_to_dashboard_pages(target: str | None, expected: str) -> None:
    assert safe_next(target, "/ui") == expected
