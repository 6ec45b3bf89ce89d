"""Roles and principals: the permission table is the contract the admin API enforces."""

from __future__ import annotations

import pytest

from seawall.security.roles import ALL_TENANTS, PERMISSIONS, ROLES, Principal, allowed

EXPECTED = {
    "app": {"gateway.call", "feedback.write"},
    "reviewer": {"reviews.read", "reviews.resolve"},
    "developer": {
        "gateway.call",
        "feedback.write",
        "traces.read",
        "usage.read",
        "reviews.read",
        "prompts.read",
        "prompts.write",
        "evals.read",
        "evals.write",
    },
    "admin": set(PERMISSIONS),
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_holds_exactly_its_permissions(role: str) -> None:
    assert {p for p in PERMISSIONS if allowed(role, p)} == EXPECTED[role]


def test_unknown_permissions_and_roles_are_denied() -> None:
    assert not allowed("admin", "keys.manaeg")
    assert not allowed("root", "gateway.call")


def test_tenant_visibility() -> None:
    acme = Principal("k1", "acme", "developer")
    assert acme.sees("acme")
    assert not acme.sees("globex")
    assert not acme.sees(None)
    assert acme.tenant_filter == "acme"
    root = Principal("k2", ALL_TENANTS, "admin")
    assert root.sees("acme")
    assert root.sees("globex")
    assert root.tenant_filter is None
    open_mode = Principal.open_mode()
    assert open_mode.is_open
    assert open_mode.sees("anything")
    assert open_mode.actor == "open-mode"


def test_model_restrictions() -> None:
    limited = Principal("k1", "acme", "app", frozenset({"support"}))
    assert limited.may_use_model("support")
    assert not limited.may_use_model("gpt-4o")
    assert Principal("k2", "acme", "app").may_use_model("anything")
