"""A throwaway PostgreSQL database on the machine's server, for tests that need a real one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import Iterator

import asyncpg
import pytest

ADMIN_URL = os.environ.get("SEAWALL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """Create ``seawall_test_<random>``, yield its URL, drop it afterwards.

    Fails under CI (which starts PostgreSQL itself) when the server is unreachable; skips
    elsewhere, so a laptop without PostgreSQL still runs everything else.
    """
    name = f"seawall_test_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL not reachable at {ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {exc}")
    try:
        yield f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
