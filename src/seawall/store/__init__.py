"""Durable storage: SQLAlchemy Core schema, Alembic migrations and the SQL stores.

SQLite (WAL) is the embedded default, PostgreSQL the choice for several replicas; both are
reached through async drivers (aiosqlite, asyncpg) so the event loop never blocks on the disk.
"""

from seawall.store.calls import CallStore, SqlCallStore, open_store
from seawall.store.engine import create_engine
from seawall.store.migrate import migrate, migrate_async

__all__ = [
    "CallStore",
    "SqlCallStore",
    "create_engine",
    "migrate",
    "migrate_async",
    "open_store",
]
