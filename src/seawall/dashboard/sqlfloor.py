"""``floor_int(x)``: the largest integer <= x, in the SQL of each backend.

SQLite's ``CAST(x AS INTEGER)`` truncates (the floor for x >= 0, which is all the dashboard
needs) and has no ``floor()`` without its math functions; PostgreSQL's cast rounds, so it gets
``floor()`` first.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class FloorInt(FunctionElement[int]):
    """``floor(x)`` as an integer (for x >= 0)."""

    type = sa.Integer()
    name = "floor_int"
    inherit_cache = True


@compiles(FloorInt)
def _default(element: FloorInt, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(floor({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(FloorInt, "sqlite")
def _sqlite(element: FloorInt, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AS INTEGER)"


def floor_int(value: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """The SQL floor of a non-negative ``value``, as an integer."""
    return FloorInt(value)
