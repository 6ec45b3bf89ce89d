"""The review queue and feedback on answers."""

from __future__ import annotations

import sqlalchemy as sa

from seawall.store.schema.base import metadata

# One row per review item (``review.items.ReviewItem``). ``version`` is bumped by every
# transition and checked by the next one (compare-and-set): two reviewers racing for a claim
# cannot both win. ``context`` holds everything the reviewer needs, so an item stays readable
# after the call record it came from was purged.
review_items = sa.Table(
    "review_items",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("tenant", sa.String(), nullable=True),
    sa.Column("trace_id", sa.String(32), nullable=True),
    sa.Column("source", sa.String(16), nullable=False),  # escalation | complaint
    sa.Column("mode", sa.String(16), nullable=False),  # advise | hold | fallback
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reasons", sa.JSON(), nullable=False),
    sa.Column("context", sa.JSON(), nullable=False),
    sa.Column("answer", sa.Text(), nullable=True),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("due_at", sa.Double(), nullable=False),
    sa.Column("claim_timeout_s", sa.Double(), nullable=False),
    sa.Column("claimed_by", sa.String(), nullable=True),
    sa.Column("claimed_at", sa.Double(), nullable=True),
    sa.Column("claim_expires_at", sa.Double(), nullable=True),
    sa.Column("resolved_by", sa.String(), nullable=True),
    sa.Column("resolved_at", sa.Double(), nullable=True),
    sa.Column("final_answer", sa.Text(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("overdue", sa.Boolean(), nullable=False),
    sa.Column("overdue_at", sa.Double(), nullable=True),
    sa.Column("webhook_url", sa.String(), nullable=True),
    sa.Column("webhook_status", sa.String(16), nullable=True),
    sa.Column("webhook_attempts", sa.Integer(), nullable=False),
    sa.Column("webhook_error", sa.Text(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Index(None, "tenant", "status", "created_at"),  # the queue of one tenant
    sa.Index(None, "status", "due_at"),  # the overdue scan
    sa.Index(None, "trace_id"),
)

# One row per rating, complaint or correction. No foreign key to ``calls``: retention purges
# call records on its own schedule, and feedback (like the audit log) outlives them.
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("trace_id", sa.String(32), nullable=False),
    sa.Column("tenant", sa.String(), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("score", sa.Double(), nullable=True),
    sa.Column("label", sa.String(), nullable=True),
    sa.Column("comment", sa.Text(), nullable=True),
    sa.Column("correction", sa.Text(), nullable=True),
    sa.Column("negative", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.Double(), nullable=False),
    sa.Column("actor", sa.String(), nullable=False),
    sa.Column("review_id", sa.String(32), nullable=True),
    sa.Index(None, "trace_id"),
    sa.Index(None, "tenant", "created_at"),
)
