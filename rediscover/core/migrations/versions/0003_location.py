"""candidate structured address and work-entry location

Revision ID: 0003_location
Revises: 0002_merge
Create Date: 2026-11-22 11:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_location"
down_revision = "0008_sync_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("address", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("work_location", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.drop_column("work_location")
        batch.drop_column("address")
