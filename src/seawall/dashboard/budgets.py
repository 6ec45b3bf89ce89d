"""Budget usage now: every configured budget the viewer may see, with what it has spent.

Budgets live in the config (per key, per tenant, per model) and their counters in shared
state (``SharedState.budget_usage``), keyed ``<scope>:<period>`` per period end, exactly as
the admission stage charges them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from seawall.config import BudgetConfig, Config
from seawall.limits.budget import period_end
from seawall.security.keys import KeyRecord
from seawall.security.roles import Principal
from seawall.state.base import SharedState

MAX_ROWS = 200


@dataclass(frozen=True, slots=True)
class BudgetRow:
    """One budget of one scope in its current period."""

    scope: str  # key:<id> | tenant:<name> | model:<name>
    period: str
    limit_usd: float
    soft_usd: float | None
    spent_usd: float | None  # None: the shared state did not answer
    reserved_usd: float | None
    resets_at: float

    @property
    def used(self) -> float | None:
        """Share of the hard limit spent or reserved."""
        if self.spent_usd is None or self.reserved_usd is None or self.limit_usd <= 0:
            return None
        return (self.spent_usd + self.reserved_usd) / self.limit_usd

    @property
    def level(self) -> str:
        """``ok``, ``warn`` (past the soft limit) or ``bad`` (at the hard limit)."""
        spent = (self.spent_usd or 0.0) + (self.reserved_usd or 0.0)
        if spent >= self.limit_usd:
            return "bad"
        if self.soft_usd is not None and spent >= self.soft_usd:
            return "warn"
        return "ok"


def scopes_of(
    config: Config, principal: Principal, keys: Iterable[KeyRecord], tenants: Iterable[str]
) -> list[tuple[str, list[BudgetConfig]]]:
    """The budget scopes ``principal`` may see: its tenant's (all for a global viewer)."""
    budgets = config.budgets
    found: list[tuple[str, list[BudgetConfig]]] = []
    for tenant in sorted({*tenants, *budgets.tenants}):
        if principal.sees(tenant):
            found.append((f"tenant:{tenant}", budgets.tenants.get(tenant, budgets.per_tenant)))
    for key in keys:
        if principal.sees(key.tenant):
            found.append((f"key:{key.key_id}", budgets.keys.get(key.key_id, budgets.per_key)))
    if principal.is_global:  # a model's budget counts every tenant's spend
        found += [(f"model:{name}", m.budgets) for name, m in sorted(config.models.items())]
    return [(scope, configs) for scope, configs in found if configs]


async def budget_rows(
    state: SharedState, scopes: list[tuple[str, list[BudgetConfig]]], now: float
) -> list[BudgetRow]:
    """The current period of every budget of ``scopes``."""
    rows = []
    for scope, configs in scopes:
        for budget in configs:
            end = period_end(now, budget.period)
            usage = await state.budget_usage(f"{scope}:{budget.period}", end)
            rows.append(
                BudgetRow(
                    scope,
                    budget.period,
                    budget.limit_usd,
                    budget.soft_usd,
                    usage.spent_usd if usage is not None else None,
                    usage.reserved_usd if usage is not None else None,
                    end,
                )
            )
            if len(rows) >= MAX_ROWS:
                return rows
    return rows
