"""Extensions, created unbound and attached to an app in ``create_app``."""

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from config.settings import Settings
from voicebox.storage.base import BlobStore

# Constraint names must be stable for Alembic to alter or drop them later, on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address)


def current_settings() -> Settings:
    """The settings the current app was built with."""
    return current_app.config["VOICEBOX_SETTINGS"]


def current_blob_store() -> BlobStore:
    """The blob store the current app was built with."""
    return current_app.extensions["voicebox.blob_store"]
