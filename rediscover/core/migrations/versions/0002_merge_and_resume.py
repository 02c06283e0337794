"""person merge explanations and split rules

Revision ID: 0002_merge
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import rediscover.core.types

revision = "0002_merge"
down_revision = "0001"
branch_labels = None
depends_on = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "merge_keys",
        sa.Column("id", BigID, autoincrement=True, nullable=False),
        sa.Column("candidate_id", BigID, nullable=False),
        sa.Column("team_id", BigID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.id"],
            name=op.f("fk_merge_keys_candidate_id_candidates"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_keys")),
    )
    op.create_index(op.f("ix_merge_keys_candidate_id"), "merge_keys", ["candidate_id"])
    op.create_index("ix_merge_keys_lookup", "merge_keys", ["team_id", "kind", "value"])
    op.create_table(
        "merge_links",
        sa.Column("id", BigID, autoincrement=True, nullable=False),
        sa.Column("candidate_id", BigID, nullable=False),
        sa.Column("person_id", BigID, nullable=False),
        sa.Column("linked_candidate_id", BigID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("created_at", rediscover.core.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.id"],
            name=op.f("fk_merge_links_candidate_id_candidates"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_candidate_id"], ["candidates.id"],
            name=op.f("fk_merge_links_linked_candidate_id_candidates"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"],
            name=op.f("fk_merge_links_person_id_people"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_links")),
    )
    op.create_index(op.f("ix_merge_links_candidate_id"), "merge_links", ["candidate_id"])
    op.create_index(op.f("ix_merge_links_person_id"), "merge_links", ["person_id"])
    op.create_table(
        "merge_splits",
        sa.Column("id", BigID, autoincrement=True, nullable=False),
        sa.Column("candidate_id", BigID, nullable=False),
        sa.Column("other_candidate_id", BigID, nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", rediscover.core.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidates.id"],
            name=op.f("fk_merge_splits_candidate_id_candidates"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_candidate_id"], ["candidates.id"],
            name=op.f("fk_merge_splits_other_candidate_id_candidates"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_splits")),
        sa.UniqueConstraint(
            "candidate_id", "other_candidate_id", name=op.f("uq_merge_splits_candidate_id")
        ),
    )
    op.create_index(op.f("ix_merge_splits_candidate_id"), "merge_splits", ["candidate_id"])
    op.create_index(
        op.f("ix_merge_splits_other_candidate_id"), "merge_splits", ["other_candidate_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_merge_splits_other_candidate_id"), table_name="merge_splits")
    op.drop_index(op.f("ix_merge_splits_candidate_id"), table_name="merge_splits")
    op.drop_table("merge_splits")
    op.drop_index(op.f("ix_merge_links_person_id"), table_name="merge_links")
    op.drop_index(op.f("ix_merge_links_candidate_id"), table_name="merge_links")
    op.drop_table("merge_links")
    op.drop_index("ix_merge_keys_lookup", table_name="merge_keys")
    op.drop_index(op.f("ix_merge_keys_candidate_id"), table_name="merge_keys")
    op.drop_table("merge_keys")
