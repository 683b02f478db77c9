"""Alembic environment: migrate the database of the current Flask app, online only."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from flask import current_app
from sqlalchemy import Connection

from voicebox.extensions import db
from voicebox.models.base import UTCDateTime


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write UTCDateTime as plain sa.DateTime: a revision must not import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    connectable = db.engine
    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table by dropping it, which with foreign keys on
            # would cascade into every row that refers to it. SQLite only switches this
            # outside a transaction.
            _foreign_keys(connection, "OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=db.metadata,
                render_item=render_item,
                **current_app.extensions["migrate"].configure_args,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # A migration may rewrite a large table: the app's statement timeout is not
                    # for it (LOCAL: for this transaction alone).
                    connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
                context.run_migrations()
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration left rows that refer to nothing")
        finally:
            if sqlite:
                _foreign_keys(connection, "ON")


def _foreign_keys(connection: Connection, state: Literal["ON", "OFF"]) -> None:
    connection.exec_driver_sql(f"PRAGMA foreign_keys={state}")
    connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run against a database")
run_migrations_online()
