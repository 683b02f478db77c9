"""Reading a database as a revision left it, for the tests of the migrations."""

from __future__ import annotations

import sqlalchemy as sa

from voicebox.extensions import db


def tables() -> dict[str, sa.Table]:
    metadata = sa.MetaData()
    metadata.reflect(bind=db.engine)
    return metadata.tables  # type: ignore[return-value]


def rows(table: str, *columns: str) -> dict[str, tuple]:
    """Each row of ``table`` by its id: the values of ``columns``."""
    found = tables()[table]
    with db.engine.connect() as connection:
        selected = connection.execute(sa.select(found.c.id, *(found.c[c] for c in columns))).all()
    return {row[0]: tuple(row[1:]) for row in selected}
