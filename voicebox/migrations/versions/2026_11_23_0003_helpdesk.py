"""helpdesk: help requests, replies, volunteers, events, audit log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_user_id', sa.String(length=32), nullable=True),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_audit_log_actor_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_actor_user_id'), ['actor_user_id'], unique=False)
        batch_op.create_index('ix_audit_log_at', ['at', 'id'], unique=False)
        batch_op.create_index('ix_audit_log_request_id_at', ['request_id', 'at'], unique=False)

    op.create_table('volunteers',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('available', sa.Boolean(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_volunteers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_volunteers'))
    )
    op.create_table('help_requests',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('child_id', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('risk_terms', sa.JSON(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('audio_message_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('waiting_for', sa.String(length=16), nullable=True),
    sa.Column('rank_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('held_by', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('urgent_alerted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_by', sa.String(length=32), nullable=True),
    sa.Column('escalation_reason', sa.String(length=500), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=32), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('outcome_note', sa.String(length=500), nullable=True),
    sa.Column('audio_purged_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['audio_message_id'], ['messages.id'], name=op.f('fk_help_requests_audio_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_help_requests_child_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_help_requests_device_id_devices'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['escalated_by'], ['users.id'], name=op.f('fk_help_requests_escalated_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['held_by'], ['users.id'], name=op.f('fk_help_requests_held_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_help_requests_resolved_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_requests'))
    )
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.create_index('ix_help_requests_child_id_created_at', ['child_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_help_requests_held_by_status', ['held_by', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_requests_resolved_at'), ['resolved_at'], unique=False)
        batch_op.create_index('ix_help_requests_status_lease_expires_at', ['status', 'lease_expires_at'], unique=False)
        batch_op.create_index('ix_help_requests_status_queued_at', ['status', 'queued_at'], unique=False)
        batch_op.create_index('ix_help_requests_waiting_for_rank_at', ['waiting_for', 'rank_at'], unique=False)

    op.create_table('help_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('push', sa.Boolean(), nullable=False),
    sa.Column('pushed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_help_events_request_id_help_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_help_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_events'))
    )
    with op.batch_alter_table('help_events', schema=None) as batch_op:
        batch_op.create_index('ix_help_events_push_pushed_at', ['push', 'pushed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_events_request_id'), ['request_id'], unique=False)

    op.create_table('help_replies',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.String(length=32), nullable=False),
    sa.Column('author_user_id', sa.String(length=32), nullable=True),
    sa.Column('from_child', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('audio_message_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['audio_message_id'], ['messages.id'], name=op.f('fk_help_replies_audio_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_help_replies_author_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_help_replies_request_id_help_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_replies'))
    )
    with op.batch_alter_table('help_replies', schema=None) as batch_op:
        batch_op.create_index('ix_help_replies_request_id_created_at', ['request_id', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('help_replies', schema=None) as batch_op:
        batch_op.drop_index('ix_help_replies_request_id_created_at')

    op.drop_table('help_replies')
    with op.batch_alter_table('help_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_events_request_id'))
        batch_op.drop_index('ix_help_events_push_pushed_at')

    op.drop_table('help_events')
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_help_requests_waiting_for_rank_at')
        batch_op.drop_index('ix_help_requests_status_queued_at')
        batch_op.drop_index('ix_help_requests_status_lease_expires_at')
        batch_op.drop_index(batch_op.f('ix_help_requests_resolved_at'))
        batch_op.drop_index('ix_help_requests_held_by_status')
        batch_op.drop_index('ix_help_requests_child_id_created_at')

    op.drop_table('help_requests')
    op.drop_table('volunteers')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_request_id_at')
        batch_op.drop_index('ix_audit_log_at')
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_user_id'))

    op.drop_table('audit_log')
