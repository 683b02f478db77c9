"""Fixtures of the integration tests that walk the schema's revisions."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import PG_URL, build_app, dispose


@pytest.fixture(params=["production", "embedded"])
def blank_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on a database of its own, so its revisions can be walked without disturbing the
    shared one."""
    env = {"VOICEBOX_DATA_DIR": str(tmp_path), "VOICEBOX_LOG_LEVEL": "WARNING"}
    if request.param == "embedded":
        app = build_app(env)
        yield app
        dispose(app)
        return
    base = os.environ.get("TEST_DATABASE_URL", PG_URL)
    schema = f"vb_migrate_{secrets.token_hex(4)}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        url = f"{base}?options=-csearch_path%3D{schema}"
        app = build_app(request.getfixturevalue("production_env"), VOICEBOX_DATABASE_URL=url)
        yield app
        dispose(app)
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()
