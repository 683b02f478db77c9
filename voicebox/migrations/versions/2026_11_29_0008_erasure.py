"""erasure: a child marked for erasing, and help requests that outlive the child, de-identified

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erase_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_children_erase_requested_at"), ["erase_requested_at"], unique=False)
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_constraint("fk_help_requests_child_id_children", type_="foreignkey")
        batch_op.alter_column("child_id", existing_type=sa.String(length=32), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_help_requests_child_id_children"), "children", ["child_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    # A de-identified request has no child to belong to under the old schema.
    op.execute("DELETE FROM help_requests WHERE child_id IS NULL")
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_constraint("fk_help_requests_child_id_children", type_="foreignkey")
        batch_op.alter_column("child_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_help_requests_child_id_children"), "children", ["child_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_children_erase_requested_at"))
        batch_op.drop_column("erase_requested_at")
