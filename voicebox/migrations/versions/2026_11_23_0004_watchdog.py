"""watchdog: when each child last heard from home

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_contact_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('quiet_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('nudged_at', sa.DateTime(timezone=True), nullable=True))
    # Children added before this revision: their last guardian message delivered, if any.
    op.execute(
        "UPDATE children SET last_contact_at = (SELECT max(deliveries.delivered_at) FROM deliveries"
        " JOIN messages ON messages.id = deliveries.message_id"
        " WHERE deliveries.child_id = children.id AND messages.direction = 'to_child')"
    )
    op.execute("UPDATE children SET quiet_since = coalesce(last_contact_at, created_at)")
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.alter_column('quiet_since', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f('ix_children_quiet_since'), ['quiet_since'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_children_quiet_since'))
        batch_op.drop_column('nudged_at')
        batch_op.drop_column('quiet_since')
        batch_op.drop_column('last_contact_at')
