"""bulk jobs resume: resolved people and a heartbeat

Revision ID: 0011_bulk_job_resume
Revises: 0007_bulk_actions_audit
Create Date: 2026-11-22 13:40:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import rediscover.core.types


revision = '0011_bulk_job_resume'
down_revision = '0007_bulk_actions_audit'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bulk_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', rediscover.core.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bulk_jobs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('person_ids')
