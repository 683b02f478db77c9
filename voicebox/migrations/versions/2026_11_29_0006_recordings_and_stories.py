"""recordings and stories as their own rows: messages, library stories and help threads refer to them

Every message that owned its audio gives a recording of the same id, so the blob keys its rows
hold stay true; a library story's copies share their story's recording and description. A help
thread's recordings were messages in nobody's inbox: they become recordings alone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STORY_COLUMNS = ("cover_text", "category", "language", "age_min", "age_max", "series_id", "episode")
# What a recording keeps of what a message kept (its status is said in its own words).
RECORDING_COLUMNS = (
    "original_key",
    "original_bytes",
    "failure_reason",
    "failure_detail",
    "duration_ms",
    "waveform",
    "renditions",
    "attempts",
    "started_at",
    "lease_expires_at",
)
HELP_TABLES = ("help_requests", "help_replies")


def _recording_columns(filled: bool) -> list[sa.Column]:
    """The columns; those every recording fills are NOT NULL when ``filled``."""
    return [
        sa.Column("original_key", sa.String(length=512), nullable=not filled),
        sa.Column("original_bytes", sa.Integer(), nullable=not filled),
        sa.Column("failure_reason", sa.String(length=32), nullable=True),
        sa.Column("failure_detail", sa.String(length=255), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("waveform", sa.JSON(), nullable=True),
        sa.Column("renditions", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=not filled),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _story_columns() -> list[sa.Column]:
    return [
        sa.Column("cover_text", sa.String(length=500), nullable=True),
        sa.Column("category", sa.String(length=24), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("series_id", sa.String(length=32), nullable=True),
        sa.Column("episode", sa.Integer(), nullable=True),
    ]


def _repoint_audio(table: str, old: tuple[str, str], new: tuple[str, str]) -> None:
    """Move ``table``'s audio reference from the ``old`` (column, table) to the ``new`` one,
    keeping its values (a recording has the id of the message it came from)."""
    (old_column, old_target), (new_column, new_target) = old, new
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(new_column, sa.String(length=32), nullable=True))
    op.execute(f"UPDATE {table} SET {new_column} = {old_column}")
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(f"fk_{table}_{old_column}_{old_target}", type_="foreignkey")
        batch_op.drop_column(old_column)
        batch_op.create_foreign_key(
            batch_op.f(f"fk_{table}_{new_column}_{new_target}"),
            new_target,
            [new_column],
            ["id"],
            ondelete="SET NULL",
        )


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("max_seconds", sa.Integer(), nullable=False),
        *_recording_columns(filled=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
    )
    with op.batch_alter_table("recordings", schema=None) as batch_op:
        batch_op.create_index("ix_recordings_status_lease_expires_at", ["status", "lease_expires_at"], unique=False)
    op.create_table(
        "stories",
        sa.Column("id", sa.String(length=32), nullable=False),
        *_story_columns(),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_stories_series_id_series"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stories")),
    )
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.create_index("ix_stories_series_id_episode", ["series_id", "episode"], unique=False)

    # The limits of the time: 600 s for a message, 3600 s for a story.
    op.execute(
        f"INSERT INTO recordings (id, status, max_seconds, {', '.join(RECORDING_COLUMNS)}, created_at)"
        " SELECT id, CASE status WHEN 'processing' THEN 'processing' WHEN 'failed' THEN 'failed'"
        " ELSE 'ready' END, CASE kind WHEN 'story' THEN 3600 ELSE 600 END,"
        f" {', '.join(RECORDING_COLUMNS)}, created_at FROM messages WHERE source_id IS NULL"
    )
    op.execute(
        f"INSERT INTO stories (id, {', '.join(STORY_COLUMNS)})"
        f" SELECT id, {', '.join(STORY_COLUMNS)} FROM messages WHERE kind = 'story' AND source_id IS NULL"
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recording_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("story_id", sa.String(length=32), nullable=True))
    op.execute("UPDATE messages SET recording_id = COALESCE(source_id, id)")
    op.execute("UPDATE messages SET story_id = COALESCE(source_id, id) WHERE kind = 'story'")

    for table in HELP_TABLES:
        _repoint_audio(table, ("audio_message_id", "messages"), ("audio_recording_id", "recordings"))
    op.execute("DELETE FROM messages WHERE direction = 'help_thread'")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_status_lease_expires_at")
        batch_op.drop_index("ix_messages_series_id_episode")
        batch_op.drop_constraint("fk_messages_series_id_series", type_="foreignkey")
        for name in (*RECORDING_COLUMNS, *STORY_COLUMNS):
            batch_op.drop_column(name)
        batch_op.alter_column("recording_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index(batch_op.f("ix_messages_recording_id"), ["recording_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_story_id"), ["story_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_recording_id_recordings"), "recordings", ["recording_id"], ["id"]
        )
        batch_op.create_foreign_key(batch_op.f("fk_messages_story_id_stories"), "stories", ["story_id"], ["id"])


def _from(table: str, key: str, columns: tuple[str, ...]) -> str:
    """SET clauses reading each of ``columns`` from the ``table`` row that ``key`` names."""
    return ", ".join(f"{name} = (SELECT t.{name} FROM {table} t WHERE t.id = messages.{key})" for name in columns)


def _help_thread_messages(select_owner: str) -> str:
    """A help thread's recordings as the messages they were: in nobody's inbox, 'delivered'
    once transcoded."""
    return (
        "INSERT INTO messages (id, recording_id, kind, child_id, direction, sender_user_id,"
        f" sender_device_id, status, {', '.join(RECORDING_COLUMNS)}, created_at, urgent, queued)"
        " SELECT r.id, r.id, 'message', o.child_id, 'help_thread', o.sender_user_id, o.sender_device_id,"
        " CASE r.status WHEN 'ready' THEN 'delivered' ELSE r.status END,"
        f" {', '.join(f'r.{name}' for name in RECORDING_COLUMNS)}, r.created_at, false, false"
        f" FROM recordings r JOIN ({select_owner}) o ON o.recording_id = r.id"
    )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        for column in (*_recording_columns(filled=False), *_story_columns()):
            batch_op.add_column(column)
    op.execute(f"UPDATE messages SET {_from('recordings', 'recording_id', RECORDING_COLUMNS)}")
    op.execute(f"UPDATE messages SET {_from('stories', 'story_id', STORY_COLUMNS)} WHERE story_id IS NOT NULL")
    # A copy never did any work of its own.
    op.execute(
        "UPDATE messages SET attempts = 0, failure_reason = NULL, failure_detail = NULL,"
        " started_at = NULL, lease_expires_at = NULL WHERE source_id IS NOT NULL"
    )
    op.execute(
        _help_thread_messages(
            "SELECT audio_recording_id AS recording_id, child_id, NULL AS sender_user_id,"
            " device_id AS sender_device_id FROM help_requests WHERE audio_recording_id IS NOT NULL"
            " UNION ALL SELECT p.audio_recording_id, h.child_id, p.author_user_id, NULL"
            " FROM help_replies p JOIN help_requests h ON h.id = p.request_id"
            " WHERE p.audio_recording_id IS NOT NULL"
        )
    )
    for table in HELP_TABLES:
        _repoint_audio(table, ("audio_recording_id", "recordings"), ("audio_message_id", "messages"))

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("fk_messages_story_id_stories", type_="foreignkey")
        batch_op.drop_constraint("fk_messages_recording_id_recordings", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_messages_story_id"))
        batch_op.drop_index(batch_op.f("ix_messages_recording_id"))
        batch_op.drop_column("story_id")
        batch_op.drop_column("recording_id")
        for column in _recording_columns(filled=True):
            if not column.nullable:
                batch_op.alter_column(column.name, existing_type=column.type, nullable=False)
        batch_op.create_index("ix_messages_status_lease_expires_at", ["status", "lease_expires_at"], unique=False)
        batch_op.create_index("ix_messages_series_id_episode", ["series_id", "episode"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_messages_series_id_series"), "series", ["series_id"], ["id"], ondelete="SET NULL"
        )
    op.drop_table("stories")
    op.drop_table("recordings")
