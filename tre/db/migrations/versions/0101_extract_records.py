"""Extract builds and the lake persons each contained (for transparency lookups).

Revision ID: 0101
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tre.db.models import UTCDateTime

revision: str = "0101"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("extract",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "extract_builds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=16), nullable=False),
        sa.Column("built_at", UTCDateTime(), nullable=False),
        sa.Column("built_by", sa.String(length=64), nullable=False),
        sa.Column("snapshots", sa.JSON(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name="fk_extract_builds_project_id_projects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_extract_builds"),
    )
    op.create_index("ix_extract_builds_project_id", "extract_builds", ["project_id"])
    op.create_table(
        "extract_persons",
        sa.Column("build_id", sa.String(length=40), nullable=False),
        sa.Column("lake_pseudonym", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["build_id"], ["extract_builds.id"], name="fk_extract_persons_build_id_extract_builds"
        ),
        sa.PrimaryKeyConstraint("build_id", "lake_pseudonym", name="pk_extract_persons"),
    )
    op.create_index("ix_extract_persons_lake_pseudonym", "extract_persons", ["lake_pseudonym"])


def downgrade() -> None:
    op.drop_index("ix_extract_persons_lake_pseudonym", table_name="extract_persons")
    op.drop_table("extract_persons")
    op.drop_index("ix_extract_builds_project_id", table_name="extract_builds")
    op.drop_table("extract_builds")
