"""Extensions, created unbound and attached to an app in ``create_app``, and typed accessors
for what the app was built with."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from config.settings import Settings
from voicebox import rate_limits  # noqa: F401 - registers the voicebox+sqlite:// storage
from voicebox.storage.base import BlobStore

if TYPE_CHECKING:
    from celery import Celery

    from voicebox.events import EventBus
    from voicebox.notify import Notifier
    from voicebox.sms import SmsSender

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


_BLOB_STORE = "voicebox.blob_store"
_EVENT_BUS = "voicebox.event_bus"
_NOTIFIER = "voicebox.notifier"
_SMS = "voicebox.sms"

db = SQLAlchemy(model_class=Base)
# Every model's base. Flask-SQLAlchemy builds ``db.Model`` from ``Base`` at run time, so a type
# checker cannot see its columns' types through it; to a checker it is ``Base``.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
# Alembic's scripts, applied by ``voicebox db upgrade`` and by a restore.
MIGRATIONS = Path(__file__).parent / "migrations"
# Its storage comes from the settings: Redis in production, rate_limits' SQLite file embedded.
limiter = Limiter(key_func=get_remote_address)
View = TypeVar("View", bound=Callable[..., Any])


def rate_limit(limit: Callable[[], str], key: Callable[[], str] | None = None) -> Callable[[View], View]:
    """``limiter.limit(limit)`` on a view, marked so that the limiter's hook looks it up;
    counted per client address unless ``key`` says what else."""

    def decorate(view: View) -> View:
        limited = cast(View, limiter.limit(limit, key_func=key)(view))
        limited.rate_limited = True  # type: ignore[attr-defined]  # a mark read by _unlimited
        return limited

    return decorate


@limiter.request_filter
def _unlimited() -> bool:
    # Only a few endpoints have a limit and none applies to all: every other request skips
    # the limiter's lookups (0.05 ms of the 0.6 ms an authenticated GET cost in process).
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "rate_limited", False)


def current_settings() -> Settings:
    """The settings the current app was built with."""
    return current_app.config["VOICEBOX_SETTINGS"]


def current_blob_store() -> BlobStore:
    """The blob store the current app was built with."""
    return current_app.extensions[_BLOB_STORE]


def current_event_bus() -> EventBus:
    """The bus that wakes live streams: Redis pub/sub, or in-process on the embedded profile."""
    return current_app.extensions[_EVENT_BUS]


def current_notifier() -> Notifier:
    """Where push notifications go."""
    return current_app.extensions[_NOTIFIER]


def current_sms() -> SmsSender:
    """Where texts to a phone go (verification codes)."""
    return current_app.extensions[_SMS]


def current_celery() -> Celery:
    """The Celery app built from this app (``celery_init_app``)."""
    return current_app.extensions["celery"]


def attach(
    app: Flask,
    *,
    blob_store: BlobStore,
    event_bus: EventBus,
    notifier: Notifier,
    sms: SmsSender,
) -> None:
    """Give ``app`` what the accessors above hand out; only ``create_app`` calls this."""
    app.extensions.update(
        {
            _BLOB_STORE: blob_store,
            _EVENT_BUS: event_bus,
            _NOTIFIER: notifier,
            _SMS: sms,
        }
    )
