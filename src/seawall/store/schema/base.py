"""The shared metadata every table is declared on (one per area module in this package)."""

from __future__ import annotations

import sqlalchemy as sa

# Explicit constraint names keep migrations reproducible across dialects (SQLite names nothing
# by itself, PostgreSQL invents names) and let later migrations drop what earlier ones created.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
