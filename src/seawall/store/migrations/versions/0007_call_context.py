"""call context: prompt, release, confidence and review of each call

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("prompt", sa.String(), nullable=True))
        batch.add_column(sa.Column("release", sa.String(), nullable=True))
        batch.add_column(sa.Column("confidence", sa.Double(), nullable=True))
        batch.add_column(sa.Column("review_id", sa.String(), nullable=True))
    op.create_index(
        "ix_calls_prompt_release_started_at", "calls", ["prompt", "release", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_calls_prompt_release_started_at", "calls")
    with op.batch_alter_table("calls") as batch:
        for column in ("review_id", "confidence", "release", "prompt"):
            batch.drop_column(column)
