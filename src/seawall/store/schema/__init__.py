"""The tables, as SQLAlchemy Core metadata shared by the stores and by Alembic.

One module per area, all on the one ``metadata``. Portable types only (SQLite and PostgreSQL).
Each change here needs a migration in ``migrations/versions``; a contract test fails when the
two drift apart.
"""

from seawall.store.schema import alerts, evals, prompts, reviews  # noqa: F401  (tables join metadata)
from seawall.store.schema.base import NAMING_CONVENTION, metadata
from seawall.store.schema.calls import calls
from seawall.store.schema.security import api_keys, audit_log

__all__ = ["NAMING_CONVENTION", "api_keys", "audit_log", "calls", "metadata"]
