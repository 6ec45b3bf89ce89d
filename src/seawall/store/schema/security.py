"""Virtual API keys and the hash-chained audit log."""

from __future__ import annotations

import sqlalchemy as sa

from seawall.store.schema.base import metadata

# A virtual key is ``sw-<key_id>-<secret>``; only the SHA-256 of the whole key is stored. The
# key id is public (shown by `keys list`, stored in call records) and finds the row in O(1).
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("tenant", sa.String(), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("name", sa.String(), nullable=True),
    sa.Column("models", sa.JSON(none_as_null=True), nullable=True),  # None: every model
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("expires_at", sa.Double(), nullable=True),
    sa.Column("revoked_at", sa.Double(), nullable=True),
    sa.Column("replaced_by", sa.String(32), nullable=True),  # set by rotation
    sa.Column("created_by", sa.String(), nullable=False),
    sa.Index(None, "tenant"),
)

# Append-only: entry ``seq`` carries the hash of entry ``seq - 1``; `audit verify` recomputes
# the chain and names the first entry that does not fit.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("at", sa.Double(), nullable=False),
    sa.Column("actor", sa.String(), nullable=False),
    sa.Column("tenant", sa.String(), nullable=True),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("target", sa.String(), nullable=True),
    sa.Column("detail", sa.JSON(), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index(None, "action", "at"),
    sa.Index(None, "tenant", "at"),
)
