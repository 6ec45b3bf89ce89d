"""Schema migrations, run programmatically: no ``alembic.ini`` on disk, no sync driver needed.

The migrations ship inside the package (``migrations/``). They run over the same async engine
as the store (Alembic's async recipe: ``connection.run_sync``), since the only drivers
installed are aiosqlite and asyncpg.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from seawall.store.engine import async_url, create_engine, ensure_sqlite_dir

MIGRATIONS = Path(__file__).with_name("migrations")

# Replicas that start together must not race each other through the same migration:
# PostgreSQL serialises them on this advisory lock (SQLite serialises writers by itself).
_PG_MIGRATION_LOCK = 0x5EA3A11


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for Seawall's migrations (also handy for ``command.revision``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        rendered = async_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Upgrade the store at ``url`` to the newest schema (for the CLI; not inside an event loop)."""
    asyncio.run(migrate_async(url))


async def migrate_async(url: str) -> None:
    """Upgrade the store at ``url`` to the newest schema."""
    ensure_sqlite_dir(url)
    engine = create_engine(url, poolclass=sa.NullPool)
    try:
        await upgrade_engine(engine)
    finally:
        await engine.dispose()


async def upgrade_engine(engine: AsyncEngine) -> None:
    """Upgrade the database behind ``engine`` to head, in one transaction where DDL allows."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


def _upgrade(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
    config = alembic_config()
    config.attributes["connection"] = connection  # env.py runs on this connection
    command.upgrade(config, "head")
