"""unique episodes: a series' episode numbers are unique by a constraint

Until now only the use case checked that an episode number was free in its series, so two
stories sent at once could both take it. Duplicates already stored are kept, never deleted: in
each series the story first sent keeps its number, and every other story holding the same number
moves to the end of the series (the next numbers after its highest, in the order they were
sent). The migration logs each story it renumbers. Downgrading drops the constraint and keeps
the numbers as they are.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import logging
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    _renumber_duplicates()
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_index("ix_stories_series_id_episode")
        batch_op.create_unique_constraint("uq_stories_series_id_episode", ["series_id", "episode"])


def downgrade() -> None:
    with op.batch_alter_table("stories", schema=None) as batch_op:
        batch_op.drop_constraint("uq_stories_series_id_episode", type_="unique")
        batch_op.create_index("ix_stories_series_id_episode", ["series_id", "episode"], unique=False)


def _renumber_duplicates() -> None:
    connection = op.get_bind()
    # Each numbered story with when it was first sent (the earliest message that tells it).
    numbered = connection.execute(
        sa.text(
            """SELECT s.id, s.series_id, s.episode, MIN(m.created_at) AS sent_at
               FROM stories s LEFT JOIN messages m ON m.story_id = s.id
               WHERE s.series_id IS NOT NULL AND s.episode IS NOT NULL
               GROUP BY s.id, s.series_id, s.episode"""
        )
    ).all()
    by_series: dict[str, list] = defaultdict(list)
    for row in numbered:
        by_series[row.series_id].append(row)
    for series_id, stories in by_series.items():
        # Sent first wins; a story never sent sorts last; the id settles a tie the same way always.
        stories.sort(key=lambda row: (row.sent_at is None, str(row.sent_at), row.id))
        taken: set[int] = set()
        moved = []
        for row in stories:
            if row.episode in taken:
                moved.append(row)
            taken.add(row.episode)
        following = max(taken) + 1
        for row in moved:
            connection.execute(
                sa.text("UPDATE stories SET episode = :episode WHERE id = :id"), {"episode": following, "id": row.id}
            )
            log.warning(
                "story %s of series %s was episode %s, which another story holds: now episode %s",
                row.id,
                series_id,
                row.episode,
                following,
            )
            following += 1
