"""Alert state per (rule, label set) and the append-only history of alert events."""

from __future__ import annotations

import sqlalchemy as sa

from seawall.store.schema.base import metadata

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only

# Where each (rule, label set) stands now: the engine loads it at start, so a restart neither
# re-notifies a firing alert nor forgets a pending one. ``series`` is a digest of the labels
# (or of an event's dedup key), short enough for a primary key on every backend.
alert_state = sa.Table(
    "alert_state",
    metadata,
    sa.Column("rule", sa.String(100), primary_key=True),
    sa.Column("series", sa.String(64), primary_key=True),
    sa.Column("labels", sa.JSON(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # inactive | pending | firing | resolving
    sa.Column("since", sa.Double(), nullable=True),  # start of the pending/resolving wait
    sa.Column("fired_at", sa.Double(), nullable=True),  # start of the current or last firing
    sa.Column("resolved_at", sa.Double(), nullable=True),
    sa.Column("last_data_at", sa.Double(), nullable=True),
    sa.Column("value", sa.Double(), nullable=True),
    sa.Column("summary", sa.Text(), nullable=False),
    sa.Column("occurrences", sa.Integer(), nullable=False),  # events folded into this firing
    sa.Column("updated_at", sa.Double(), nullable=False),
)

# Append-only: one row per firing or resolution, with the event as notified.
alert_history = sa.Table(
    "alert_history",
    metadata,
    sa.Column("seq", _SEQ, primary_key=True),
    sa.Column("at", sa.Double(), nullable=False),
    sa.Column("rule", sa.String(100), nullable=False),
    sa.Column("series", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # firing | resolved
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("event", sa.JSON(), nullable=False),
    sa.Index(None, "at"),
    sa.Index(None, "rule", "at"),
)
