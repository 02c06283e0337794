"""sync operations: sync locks, webhook events, erasure log

Revision ID: 0008_sync_operations
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rediscover.core.types

revision = "0008_sync_operations"
down_revision = "0002_merge"
branch_labels = None
depends_on = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sync_locks",
        sa.Column("connection_id", BigID, nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("acquired_at", rediscover.core.types.UTCDateTime(), nullable=True),
        sa.Column("expires_at", rediscover.core.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"],
                                name=op.f("fk_sync_locks_connection_id_connections"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_sync_locks")),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", BigID, autoincrement=True, nullable=False),
        sa.Column("connection_id", BigID, nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("remote_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", rediscover.core.types.UTCDateTime(), nullable=False),
        sa.Column("processed_at", rediscover.core.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"],
                                name=op.f("fk_webhook_events_connection_id_connections"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("connection_id", "event_id",
                            name=op.f("uq_webhook_events_connection_id")),
    )
    op.create_index(op.f("ix_webhook_events_connection_id"), "webhook_events",
                    ["connection_id"], unique=False)
    op.create_table(
        "erasure_log",
        sa.Column("id", BigID, autoincrement=True, nullable=False),
        sa.Column("requested_at", rediscover.core.types.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("connections", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_log")),
    )


def downgrade() -> None:
    op.drop_table("erasure_log")
    op.drop_index(op.f("ix_webhook_events_connection_id"), table_name="webhook_events")
    op.drop_table("webhook_events")
    op.drop_table("sync_locks")
