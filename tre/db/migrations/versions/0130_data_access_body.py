"""The data access body on the web: application details and drafts, review questions,
permit tiers, e-mail addresses, the opt-out list each extract build used, patients' one-time
codes and sessions, and researchers' notices.

Revision ID: 0130
Revises: 0101
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tre.db.models import UTCDateTime

revision: str = "0130"
down_revision: str | Sequence[str] | None = "0101"
branch_labels: str | Sequence[str] | None = ("dab",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=False, server_default=""))
    with op.batch_alter_table("projects") as batch:
        for name in ("purpose_description", "expected_outputs"):
            batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("lawful_basis", sa.String(40), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("proposed_tier", sa.String(20), nullable=False, server_default="standard")
        )
    with op.batch_alter_table("permits") as batch:
        batch.add_column(sa.Column("tier", sa.String(20), nullable=True))
    with op.batch_alter_table("extract_builds") as batch:
        batch.add_column(sa.Column("optouts_as_of", UTCDateTime(), nullable=True))
    op.create_table(
        "application_drafts",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_application_drafts"),
    )
    op.create_index("ix_application_drafts_owner", "application_drafts", ["owner"])
    op.create_table(
        "patient_codes",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_patient_codes"),
        sa.UniqueConstraint("code_hash", name="uq_patient_codes_code_hash"),
    )
    op.create_table(
        "patient_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("code_id", sa.String(24), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_patient_sessions"),
    )
    op.create_table(
        "patient_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("client", sa.String(32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patient_attempts"),
    )
    op.create_index("ix_patient_attempts_at", "patient_attempts", ["at"])
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("project_id", sa.String(16), nullable=False),
        sa.Column("object_id", sa.String(128), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.Column("mailed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.UniqueConstraint("username", "seq", name="uq_notices_username"),
    )
    op.create_index("ix_notices_username", "notices", ["username"])
    op.create_table(
        "notice_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notice_cursor"),
    )
    # Notices start from now: an existing TRE does not send its whole history again.
    op.execute("INSERT INTO notice_cursor (id, seq) SELECT id, seq FROM audit_head")


def downgrade() -> None:
    for table in ("notice_cursor", "notices", "patient_attempts", "patient_sessions"):
        op.drop_table(table)
    op.drop_table("patient_codes")
    op.drop_index("ix_application_drafts_owner", table_name="application_drafts")
    op.drop_table("application_drafts")
    with op.batch_alter_table("extract_builds") as batch:
        batch.drop_column("optouts_as_of")
    with op.batch_alter_table("permits") as batch:
        batch.drop_column("tier")
    with op.batch_alter_table("projects") as batch:
        for name in ("purpose_description", "expected_outputs", "lawful_basis", "proposed_tier"):
            batch.drop_column(name)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
