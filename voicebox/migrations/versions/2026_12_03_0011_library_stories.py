"""library stories: an organisation's story is a row of its own, no longer a message

Each ``library`` message becomes a ``library_stories`` row with the same id (so links, boxes
and children's copies keep naming it), its organisation, title, recording, description, the
curator who recorded it and when. Box items and children's copies now point at it
(``box_items.story_id``, ``messages.library_story_id``). The library messages are then deleted,
and messages lose ``org_id`` and ``source_id``; every message left has a child. Whether a
library story can be heard is its recording's status, so its ``ready`` status is not kept.

A library message without a description (none was ever made so) gets an empty one. Downgrading
makes the messages again from the rows, with the status their recordings give them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_stories",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=True),
        sa.Column("recording_id", sa.String(length=32), nullable=False),
        sa.Column("story_id", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_library_stories_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recording_id"], ["recordings.id"], name=op.f("fk_library_stories_recording_id_recordings")
        ),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], name=op.f("fk_library_stories_story_id_stories")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_library_stories_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_stories")),
    )
    with op.batch_alter_table("library_stories", schema=None) as batch_op:
        batch_op.create_index("ix_library_stories_org_id_created_at", ["org_id", "created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_library_stories_recording_id"), ["recording_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_library_stories_story_id"), ["story_id"], unique=False)

    op.execute("INSERT INTO stories (id) SELECT id FROM messages WHERE direction = 'library' AND story_id IS NULL")
    op.execute(
        """INSERT INTO library_stories (id, org_id, title, recording_id, story_id, created_by, created_at)
           SELECT id, org_id, title, recording_id, COALESCE(story_id, id), sender_user_id, created_at
           FROM messages WHERE direction = 'library'"""
    )

    # Point the copies and the box items at the new rows before the library messages go (the
    # old keys cascade: deleting a library message would take its copies and box items along).
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_messages_source_id_messages"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_messages_org_id_organisations"), type_="foreignkey")
        batch_op.drop_constraint("uq_messages_source_id_child_id", type_="unique")
        batch_op.drop_index(batch_op.f("ix_messages_source_id"))
        batch_op.drop_index("ix_messages_org_id_created_at")
        batch_op.add_column(sa.Column("library_story_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("box_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_box_items_message_id_messages"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_box_items_message_id"))
        batch_op.add_column(sa.Column("story_id", sa.String(length=32), nullable=True))
    op.execute("UPDATE messages SET library_story_id = source_id WHERE source_id IS NOT NULL")
    op.execute("UPDATE box_items SET story_id = message_id")
    op.execute("DELETE FROM messages WHERE direction = 'library'")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("source_id")
        batch_op.drop_column("org_id")
        batch_op.alter_column("child_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f("ix_messages_library_story_id"), ["library_story_id"], unique=False)
        batch_op.create_unique_constraint(
            "uq_messages_library_story_id_child_id", ["library_story_id", "child_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_library_story_id_library_stories"),
            "library_stories",
            ["library_story_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("box_items", schema=None) as batch_op:
        batch_op.drop_column("message_id")
        batch_op.alter_column("story_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f("ix_box_items_story_id"), ["story_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_box_items_story_id_library_stories"),
            "library_stories",
            ["story_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_messages_library_story_id_library_stories"), type_="foreignkey")
        batch_op.drop_constraint("uq_messages_library_story_id_child_id", type_="unique")
        batch_op.drop_index(batch_op.f("ix_messages_library_story_id"))
        batch_op.alter_column("child_id", existing_type=sa.String(length=32), nullable=True)
        batch_op.add_column(sa.Column("org_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("box_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_box_items_story_id_library_stories"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_box_items_story_id"))
        batch_op.add_column(sa.Column("message_id", sa.String(length=32), nullable=True))

    op.execute(
        """INSERT INTO messages (id, kind, title, org_id, recording_id, story_id, direction,
                                 sender_user_id, status, created_at, urgent, queued)
           SELECT l.id, 'story', l.title, l.org_id, l.recording_id, l.story_id, 'library',
                  l.created_by, r.status, l.created_at, false, false
           FROM library_stories l JOIN recordings r ON r.id = l.recording_id"""
    )
    op.execute(
        """UPDATE messages SET source_id = library_story_id,
               org_id = (SELECT org_id FROM library_stories WHERE library_stories.id = messages.library_story_id)
           WHERE library_story_id IS NOT NULL"""
    )
    op.execute("UPDATE box_items SET message_id = story_id")

    with op.batch_alter_table("box_items", schema=None) as batch_op:
        batch_op.drop_column("story_id")
        batch_op.alter_column("message_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f("ix_box_items_message_id"), ["message_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_box_items_message_id_messages"), "messages", ["message_id"], ["id"], ondelete="CASCADE"
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("library_story_id")
        batch_op.create_index("ix_messages_org_id_created_at", ["org_id", "created_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_source_id"), ["source_id"], unique=False)
        batch_op.create_unique_constraint("uq_messages_source_id_child_id", ["source_id", "child_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_org_id_organisations"),
            "organisations",
            ["org_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_source_id_messages"), "messages", ["source_id"], ["id"], ondelete="CASCADE"
        )
    op.drop_table("library_stories")
