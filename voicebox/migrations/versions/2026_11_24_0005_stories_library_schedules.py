"""stories, the organisation library, story boxes, groups, schedules and quiet hours

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    op.create_table(
        "child_groups",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("join_code", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_child_groups_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_groups")),
        sa.UniqueConstraint("join_code", name=op.f("uq_child_groups_join_code")),
    )
    with op.batch_alter_table("child_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_child_groups_org_id"), ["org_id"], unique=False)

    op.create_table(
        "curatorships",
        sa.Column("org_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("granted_by", sa.String(length=32), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["users.id"], name=op.f("fk_curatorships_granted_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_curatorships_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_curatorships_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("org_id", "user_id", name=op.f("pk_curatorships")),
    )
    with op.batch_alter_table("curatorships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_curatorships_user_id"), ["user_id"], unique=False)

    op.create_table(
        "series",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("child_id", sa.String(length=32), nullable=True),
        sa.Column("org_id", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(child_id IS NULL) <> (org_id IS NULL)", name=op.f("ck_series_one_owner")),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_series_child_id_children"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_series_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_series_org_id_organisations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
    )
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_series_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_series_org_id"), ["org_id"], unique=False)

    op.create_table(
        "story_boxes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_story_boxes_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_story_boxes_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_story_boxes")),
    )
    with op.batch_alter_table("story_boxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_boxes_org_id"), ["org_id"], unique=False)

    op.create_table(
        "box_assignments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("box_id", sa.String(length=32), nullable=False),
        sa.Column("child_id", sa.String(length=32), nullable=True),
        sa.Column("group_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(child_id IS NULL) <> (group_id IS NULL)", name=op.f("ck_box_assignments_one_target")
        ),
        sa.ForeignKeyConstraint(
            ["box_id"],
            ["story_boxes.id"],
            name=op.f("fk_box_assignments_box_id_story_boxes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_box_assignments_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["child_groups.id"],
            name=op.f("fk_box_assignments_group_id_child_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box_assignments")),
        sa.UniqueConstraint("box_id", "child_id", name="uq_box_assignments_box_id_child_id"),
        sa.UniqueConstraint("box_id", "group_id", name="uq_box_assignments_box_id_group_id"),
    )
    with op.batch_alter_table("box_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_box_assignments_box_id"), ["box_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_box_assignments_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_box_assignments_group_id"), ["group_id"], unique=False)

    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("child_id", sa.String(length=32), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_group_members_child_id_children"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["child_groups.id"],
            name=op.f("fk_group_members_group_id_child_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "child_id", name=op.f("pk_group_members")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_members_child_id"), ["child_id"], unique=False)

    op.create_table(
        "schedules",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("child_id", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("minute_of_day", sa.Integer(), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("box_id", sa.String(length=32), nullable=True),
        sa.Column("series_id", sa.String(length=32), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["box_id"], ["story_boxes.id"], name=op.f("fk_schedules_box_id_story_boxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_schedules_child_id_children"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_schedules_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_schedules_series_id_series"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_schedules_child_id"), ["child_id"], unique=False)
        batch_op.create_index("ix_schedules_paused_next_run_at", ["paused", "next_run_at"], unique=False)

    op.create_table(
        "box_items",
        sa.Column("box_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["box_id"], ["story_boxes.id"], name=op.f("fk_box_items_box_id_story_boxes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_box_items_message_id_messages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("box_id", "position", name=op.f("pk_box_items")),
    )
    with op.batch_alter_table("box_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_box_items_message_id"), ["message_id"], unique=False)

    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quiet_start", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("quiet_end", sa.Integer(), nullable=True))
    # Children added before quiet hours existed get the default window, 21:30 to 07:00.
    op.execute("UPDATE children SET quiet_start = 1290, quiet_end = 420")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("schedule_id", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_deliveries_schedule_id", ["schedule_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_deliveries_schedule_id_schedules"),
            "schedules",
            ["schedule_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("queued", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("cover_text", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("category", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("age_min", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("age_max", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("series_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("episode", sa.Integer(), nullable=True))
        batch_op.alter_column("child_id", existing_type=sa.VARCHAR(length=32), nullable=True)
        batch_op.create_index("ix_messages_org_id_created_at", ["org_id", "created_at", "id"], unique=False)
        batch_op.create_index("ix_messages_series_id_episode", ["series_id", "episode"], unique=False)
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
            batch_op.f("fk_messages_series_id_series"), "series", ["series_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_source_id_messages"),
            "messages",
            ["source_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_messages_source_id_messages"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_messages_series_id_series"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_messages_org_id_organisations"), type_="foreignkey")
        batch_op.drop_constraint("uq_messages_source_id_child_id", type_="unique")
        batch_op.drop_index(batch_op.f("ix_messages_source_id"))
        batch_op.drop_index("ix_messages_series_id_episode")
        batch_op.drop_index("ix_messages_org_id_created_at")
        batch_op.alter_column("child_id", existing_type=sa.VARCHAR(length=32), nullable=False)
        batch_op.drop_column("episode")
        batch_op.drop_column("series_id")
        batch_op.drop_column("age_max")
        batch_op.drop_column("age_min")
        batch_op.drop_column("language")
        batch_op.drop_column("category")
        batch_op.drop_column("cover_text")
        batch_op.drop_column("queued")
        batch_op.drop_column("urgent")
        batch_op.drop_column("source_id")
        batch_op.drop_column("org_id")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_deliveries_schedule_id_schedules"), type_="foreignkey")
        batch_op.drop_index("ix_deliveries_schedule_id")
        batch_op.drop_column("schedule_id")

    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")

    with op.batch_alter_table("box_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_box_items_message_id"))

    op.drop_table("box_items")
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_index("ix_schedules_paused_next_run_at")
        batch_op.drop_index(batch_op.f("ix_schedules_child_id"))

    op.drop_table("schedules")
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_members_child_id"))

    op.drop_table("group_members")
    with op.batch_alter_table("box_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_box_assignments_group_id"))
        batch_op.drop_index(batch_op.f("ix_box_assignments_child_id"))
        batch_op.drop_index(batch_op.f("ix_box_assignments_box_id"))

    op.drop_table("box_assignments")
    with op.batch_alter_table("story_boxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_boxes_org_id"))

    op.drop_table("story_boxes")
    with op.batch_alter_table("series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_series_org_id"))
        batch_op.drop_index(batch_op.f("ix_series_child_id"))

    op.drop_table("series")
    with op.batch_alter_table("curatorships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_curatorships_user_id"))

    op.drop_table("curatorships")
    with op.batch_alter_table("child_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_child_groups_org_id"))

    op.drop_table("child_groups")
    op.drop_table("organisations")
