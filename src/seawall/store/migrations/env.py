"""Alembic environment for Seawall's store, async drivers only.

``seawall.store.migrate`` hands over an open connection (``config.attributes["connection"]``);
the ``alembic`` command line, given ``sqlalchemy.url``, gets an async engine of its own.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import context

from seawall.store.engine import create_engine
from seawall.store.schema import metadata


def run_on(connection: sa.Connection) -> None:
    # Batch mode lets later migrations alter SQLite tables (which lack most ALTER TABLE forms).
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine(url: str) -> None:
    engine = create_engine(url, poolclass=sa.NullPool)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_on)
    finally:
        await engine.dispose()


def run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    url = context.config.get_main_option("sqlalchemy.url") or ""
    if context.is_offline_mode():
        run_offline(url)
    elif connection is not None:
        run_on(connection)
    else:
        asyncio.run(run_with_own_engine(url))


main()
