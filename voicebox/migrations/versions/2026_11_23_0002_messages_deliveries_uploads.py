"""messages: voice messages, their deliveries, and resumable uploads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('messages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=True),
    sa.Column('child_id', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('sender_user_id', sa.String(length=32), nullable=True),
    sa.Column('sender_device_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('failure_reason', sa.String(length=32), nullable=True),
    sa.Column('failure_detail', sa.String(length=255), nullable=True),
    sa.Column('original_key', sa.String(length=512), nullable=False),
    sa.Column('original_bytes', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('waveform', sa.JSON(), nullable=True),
    sa.Column('renditions', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deliver_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('played_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_messages_child_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_device_id'], ['devices.id'], name=op.f('fk_messages_sender_device_id_devices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sender_user_id'], ['users.id'], name=op.f('fk_messages_sender_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_messages_idempotency_key'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_child_id_direction_created_at', ['child_id', 'direction', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_messages_sender_user_id_created_at', ['sender_user_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_messages_status_lease_expires_at', ['status', 'lease_expires_at'], unique=False)

    op.create_table('uploads',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('owner_user_id', sa.String(length=32), nullable=True),
    sa.Column('owner_device_id', sa.String(length=32), nullable=True),
    sa.Column('length', sa.BigInteger(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('blob_key', sa.String(length=512), nullable=True),
    sa.CheckConstraint('(owner_user_id IS NULL) <> (owner_device_id IS NULL)', name=op.f('ck_uploads_one_owner')),
    sa.ForeignKeyConstraint(['owner_device_id'], ['devices.id'], name=op.f('fk_uploads_owner_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_uploads_owner_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads'))
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploads_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_uploads_owner_device_id'), ['owner_device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_uploads_owner_user_id'), ['owner_user_id'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('message_id', sa.String(length=32), nullable=False),
    sa.Column('child_id', sa.String(length=32), nullable=True),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('position_ms', sa.Integer(), nullable=False),
    sa.Column('played_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(child_id IS NULL) <> (user_id IS NULL)', name=op.f('ck_deliveries_one_recipient')),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_deliveries_child_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_deliveries_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deliveries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('message_id', 'child_id', name='uq_deliveries_message_id_child_id'),
    sa.UniqueConstraint('message_id', 'user_id', name='uq_deliveries_message_id_user_id')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_child_id_delivered_at', ['child_id', 'delivered_at', 'id'], unique=False)
        batch_op.create_index('ix_deliveries_delivered_at_due_at', ['delivered_at', 'due_at'], unique=False)
        batch_op.create_index('ix_deliveries_user_id_delivered_at', ['user_id', 'delivered_at', 'id'], unique=False)

    op.create_table('upload_chunks',
    sa.Column('upload_id', sa.String(length=32), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=512), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_upload_chunks_upload_id_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('upload_id', 'offset', name=op.f('pk_upload_chunks'))
    )


def downgrade() -> None:
    op.drop_table('upload_chunks')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_user_id_delivered_at')
        batch_op.drop_index('ix_deliveries_delivered_at_due_at')
        batch_op.drop_index('ix_deliveries_child_id_delivered_at')

    op.drop_table('deliveries')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploads_owner_user_id'))
        batch_op.drop_index(batch_op.f('ix_uploads_owner_device_id'))
        batch_op.drop_index(batch_op.f('ix_uploads_expires_at'))

    op.drop_table('uploads')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_status_lease_expires_at')
        batch_op.drop_index('ix_messages_sender_user_id_created_at')
        batch_op.drop_index('ix_messages_child_id_direction_created_at')

    op.drop_table('messages')
