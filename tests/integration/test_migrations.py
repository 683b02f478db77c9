"""The Alembic revisions and the models describe the same schema, and can be walked both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from tests.conftest import build_app, dispose
from voicebox.extensions import db


def test_models_match_migrations(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_downgrade_to_nothing_and_back(tmp_path) -> None:
    app = build_app({"VOICEBOX_DATA_DIR": str(tmp_path), "VOICEBOX_LOG_LEVEL": "WARNING"})
    try:
        with app.app_context():
            downgrade(revision="base")
            assert db.inspect(db.engine).get_table_names() == ["alembic_version"]
            upgrade()
            assert "users" in db.inspect(db.engine).get_table_names()
    finally:
        dispose(app)
