"""Roles, permissions and the principal a request acts as: pure decisions, no I/O.

    app        call the gateway (chat, prompt runs, feedback)
    reviewer   the review queue of its tenant
    developer  the gateway, prompts, evals, traces and usage of its tenant
    admin      everything of its tenant, plus keys and the audit log; tenant ``*`` is global

A principal sees exactly one tenant, or every tenant when its tenant is ``*`` (only admin keys
may have it). Every read of tenant data goes through ``Principal.tenant_filter``.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("app", "reviewer", "developer", "admin")
ALL_TENANTS = "*"

# permission -> roles that hold it; admin holds every permission.
PERMISSIONS: dict[str, frozenset[str]] = {
    "gateway.call": frozenset({"app", "developer"}),
    "feedback.write": frozenset({"app", "developer"}),
    "traces.read": frozenset({"developer"}),
    "usage.read": frozenset({"developer"}),
    "reviews.read": frozenset({"reviewer", "developer"}),
    "reviews.resolve": frozenset({"reviewer"}),
    "prompts.read": frozenset({"developer"}),
    "prompts.write": frozenset({"developer"}),
    "evals.read": frozenset({"developer"}),
    "evals.write": frozenset({"developer"}),
    "keys.manage": frozenset(),
    "audit.read": frozenset(),
    "retention.run": frozenset(),
}


def allowed(role: str, permission: str) -> bool:
    """May ``role`` do ``permission``? Unknown permissions are denied (a typo fails closed)."""
    if permission not in PERMISSIONS:
        return False
    return role == "admin" or role in PERMISSIONS[permission]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as, after authentication."""

    key_id: str | None  # None in open mode
    tenant: str | None  # None in open mode; ALL_TENANTS for global admins
    role: str
    models: frozenset[str] | None = None  # None: every model

    @classmethod
    def open_mode(cls) -> Principal:
        """The principal of every request when no keys are configured (local use only)."""
        return cls(key_id=None, tenant=None, role="admin")

    @property
    def is_open(self) -> bool:
        return self.key_id is None

    @property
    def is_global(self) -> bool:
        return self.is_open or self.tenant == ALL_TENANTS

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)

    def may_use_model(self, model: str) -> bool:
        return self.models is None or model in self.models

    def sees(self, tenant: str | None) -> bool:
        """May this principal read data that belongs to ``tenant``?"""
        return self.is_global or tenant == self.tenant

    @property
    def tenant_filter(self) -> str | None:
        """The tenant every query must be restricted to; None means no restriction."""
        return None if self.is_global else self.tenant

    @property
    def actor(self) -> str:
        """How the audit log names this principal."""
        return "open-mode" if self.key_id is None else f"key:{self.key_id}"
