"""eval prompt version: the prompt version a run resolved to, the confidence of each sample

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("eval_runs") as batch:
        batch.add_column(sa.Column("prompt", sa.String(), nullable=True))
        batch.add_column(sa.Column("prompt_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("eval_results") as batch:
        batch.add_column(sa.Column("confidence", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("eval_results") as batch:
        batch.drop_column("confidence")
    with op.batch_alter_table("eval_runs") as batch:
        batch.drop_column("prompt_version")
        batch.drop_column("prompt")
