"""phone codes: one-time codes by SMS for sign-up and forgotten passwords

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phone_codes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_codes")),
    )
    with op.batch_alter_table("phone_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_phone_codes_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(
            "ix_phone_codes_phone_purpose_created_at", ["phone", "purpose", "created_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("phone_codes")
