"""One unit of work: nested use cases commit with the outermost, or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from config.settings import Settings
from voicebox import create_app, jobs
from voicebox.extensions import current_blob_store, db
from voicebox.models import Organisation
from voicebox.services.work import end_read, unit, use_case


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path)}, env_file=None))
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def names() -> set[str]:
    """The organisations another connection sees: only what was committed."""
    with db.engine.connect() as connection:
        return set(connection.scalars(select(Organisation.name)))


@use_case
def add(name: str) -> None:
    db.session.add(Organisation(name=name))
    db.session.flush()


@use_case
def add_both_then(fail: bool) -> None:
    add("inner")
    assert names() == set(), "the inner use case joined the outer one and committed nothing"
    add("outer")
    if fail:
        raise LookupError("refused after both were added")


def test_nested_use_cases_commit_once_with_the_outermost(app: Flask) -> None:
    add_both_then(fail=False)
    assert names() == {"inner", "outer"}


def test_a_use_case_that_raises_leaves_nothing_not_even_what_its_callees_did(app: Flask) -> None:
    current_blob_store().put("written-for-inner", b"x")
    with pytest.raises(LookupError), unit():
        jobs.stored("written-for-inner")
        add_both_then(fail=True)
    assert names() == set()
    assert not current_blob_store().exists("written-for-inner")
    add("after")  # the session is usable again
    assert names() == {"after"}


def test_steps_that_commit_on_their_own_refuse_to_join_another_unit(app: Flask) -> None:
    with unit(), pytest.raises(RuntimeError, match="cannot join"), unit(alone=True):
        pass
    with unit(), pytest.raises(RuntimeError, match="would be lost"):
        end_read()
    with unit(alone=True):
        add("alone")
    assert names() == {"alone"}
