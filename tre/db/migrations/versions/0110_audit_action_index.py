"""An index on audit_events.action: signing and the public register find key handovers by it.

Revision ID: 0110
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0110"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("audit",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))
