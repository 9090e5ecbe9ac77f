"""Airlock: release requests, file groups, files, votes per file, comments.

Revision ID: 0100
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0100"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("airlock",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "airlock_requests",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("override_by", sa.String(length=64), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("override_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_airlock_requests_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airlock_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_airlock_requests_number")),
    )
    with op.batch_alter_table("airlock_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_airlock_requests_author"), ["author"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_airlock_requests_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_airlock_requests_status"), ["status"], unique=False)

    op.create_table(
        "airlock_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["airlock_requests.id"],
            name=op.f("fk_airlock_comments_request_id_airlock_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airlock_comments")),
    )
    op.create_table(
        "airlock_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("controls", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["airlock_requests.id"],
            name=op.f("fk_airlock_groups_request_id_airlock_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airlock_groups")),
        sa.UniqueConstraint("request_id", "name", name=op.f("uq_airlock_groups_request_id")),
    )
    op.create_table(
        "airlock_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("vote", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["airlock_requests.id"],
            name=op.f("fk_airlock_votes_request_id_airlock_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airlock_votes")),
        sa.UniqueConstraint(
            "request_id", "round", "reviewer", "path", name=op.f("uq_airlock_votes_request_id")
        ),
    )
    op.create_table(
        "airlock_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("detected_type", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["airlock_groups.id"],
            name=op.f("fk_airlock_files_group_id_airlock_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["airlock_requests.id"],
            name=op.f("fk_airlock_files_request_id_airlock_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_airlock_files")),
        sa.UniqueConstraint("request_id", "path", name=op.f("uq_airlock_files_request_id")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("airlock_files")
    op.drop_table("airlock_votes")
    op.drop_table("airlock_groups")
    op.drop_table("airlock_comments")
    with op.batch_alter_table("airlock_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_airlock_requests_status"))
        batch_op.drop_index(batch_op.f("ix_airlock_requests_project_id"))
        batch_op.drop_index(batch_op.f("ix_airlock_requests_author"))

    op.drop_table("airlock_requests")
