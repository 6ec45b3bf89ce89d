"""Prompt versions, their labels and label history, and canary releases."""

from __future__ import annotations

import sqlalchemy as sa

from seawall.store.schema.base import metadata

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only

# Immutable: rows are inserted, never updated. A version is identified by (name, version) for
# people and by (name, content_hash) for content addressing; both are unique.
prompt_versions = sa.Table(
    "prompt_versions",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False),  # sha256 of the canonical JSON
    sa.Column("spec", sa.JSON(), nullable=False),
    sa.Column("author", sa.String(), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("created_at", sa.Double(), nullable=False),  # unix seconds
    sa.UniqueConstraint("name", "content_hash"),
)

# Where each label points now; moving a label updates its row and appends a label event.
prompt_labels = sa.Table(
    "prompt_labels",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("label", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_at", sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(
        ["name", "version"], ["prompt_versions.name", "prompt_versions.version"]
    ),
)

# Append-only history of label moves: who moved which label from where to where, and why.
# ``version`` NULL means the label was removed.
prompt_label_events = sa.Table(
    "prompt_label_events",
    metadata,
    sa.Column("seq", _SEQ, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("label", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer(), nullable=True),
    sa.Column("previous_version", sa.Integer(), nullable=True),
    sa.Column("actor", sa.String(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("at", sa.Double(), nullable=False),
    sa.Index(None, "name", "seq"),
)

# One row per canary release of a prompt version; ``id`` salts the sticky assignment, so a
# new release of the same prompt reshuffles who sees the candidate.
releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("prompt", sa.String(100), nullable=False),
    sa.Column("candidate_version", sa.Integer(), nullable=False),
    sa.Column("baseline_version", sa.Integer(), nullable=True),  # None: nothing in production
    sa.Column("share", sa.Double(), nullable=False),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("started_at", sa.Double(), nullable=False),
    sa.Column("decided_at", sa.Double(), nullable=True),
    sa.Column("decision", sa.JSON(none_as_null=True), nullable=True),
    sa.Column("actor", sa.String(), nullable=False),
    sa.Index(None, "prompt", "started_at"),
)
