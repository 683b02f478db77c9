"""Filling and reading a database as a revision left it, for the tests of the migrations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_migrate import downgrade

from voicebox.extensions import db


def filled_at(revision: str, table_rows: Iterable[tuple[str, Any]]) -> None:
    """The schema taken down to ``revision``, then each (table, row or rows) inserted into it."""
    downgrade(revision=revision)
    old = tables()
    with db.engine.begin() as connection:
        for name, values in table_rows:
            connection.execute(old[name].insert(), values)


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
