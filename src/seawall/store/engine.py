"""Store URLs and the async engine: users write ``sqlite:///…`` or ``postgresql://…``.

The async drivers are an implementation detail, so user URLs name no driver and are converted
here, in one place.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_ALIASES = {"postgres": "postgresql"}


def async_url(url: str) -> sa.URL:
    """The URL with its async driver: ``postgresql://h/db`` becomes ``postgresql+asyncpg://h/db``."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ValueError(f"not a store URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    backend = _ALIASES.get(backend, backend)
    if backend not in _DRIVERS:
        known = ", ".join(f"{name}://" for name in _DRIVERS)
        raise ValueError(f"unsupported store URL scheme '{parsed.drivername}' (use {known})")
    return parsed.set(drivername=_DRIVERS[backend])


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for in-memory SQLite and other backends."""
    parsed = async_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def ensure_sqlite_dir(url: str) -> None:
    """Create the directory of a SQLite file (e.g. ``.seawall/``) so a first start just works."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, *, durable: bool = False, **kwargs: Any) -> AsyncEngine:
    """An async engine for a user store URL, with SQLite tuned for one writer and many readers.

    ``durable``: every SQLite commit reaches the disk before it returns (``synchronous=FULL``),
    for writes that must survive a power cut, such as audit entries and keys.
    """
    # hide_parameters: errors and logs must never carry prompts, answers or tenant data.
    engine = create_async_engine(
        async_url(url),
        json_serializer=dumps_json,
        json_deserializer=orjson.loads,
        hide_parameters=True,
        **kwargs,
    )
    if engine.dialect.name == "sqlite":
        pragmas = _SQLITE_PRAGMAS + (("synchronous=FULL",) if durable else ())
        sa.event.listen(engine.sync_engine, "connect", partial(_sqlite_pragmas, pragmas))
    return engine


def dumps_json(value: Any) -> str:
    """JSON text for a JSON column (orjson; odd objects become strings rather than errors)."""
    # default=str: a stage that puts an odd object into `extra` must not make a record unstorable.
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


# WAL lets the CLI and dashboard read while the gateway writes; synchronous=NORMAL is durable
# across process crashes in WAL mode and far cheaper than FULL; busy_timeout rides out the
# short write locks of another process (a second gateway, `seawall` CLI) instead of failing.
_SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000")


def _sqlite_pragmas(pragmas: tuple[str, ...], dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
