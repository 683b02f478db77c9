"""Side effects of a transaction, done only once it commits: Celery tasks enqueued by name,
live streams woken, blobs deleted.

Services call ``enqueue``, ``wake`` and ``delete_blobs`` while they change rows; the effects
happen after the commit, so a worker never looks for a row that is not there yet, a stream
never wakes to a change it cannot see, a blob goes only once no row names it, and a rollback
does nothing. The one effect of a rollback: a blob written for rows that never commit
(``stored``) is deleted. A savepoint rolled back takes back what was asked inside it.

A send that fails (broker down) is logged and left to the sweepers: the row state is the
truth; a blob that fails to go is logged and stays, until the blob sweep (``services.blob_sweep``)
finds that no row names it. Tasks are
named here, so ``voicebox`` never imports ``workers``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from voicebox.extensions import current_blob_store, current_celery, current_event_bus, db

log = logging.getLogger(__name__)

TRANSCODE = "voicebox.media.transcode"
SWEEP_MEDIA = "voicebox.media.sweep"
DISPATCH_DUE = "voicebox.delivery.dispatch_due"
NOTIFY = "voicebox.notify.deliveries"
PLAN_SCHEDULES = "voicebox.delivery.plan_schedules"
PURGE_UPLOADS = "voicebox.uploads.purge_expired"
PURGE_CREDENTIALS = "voicebox.accounts.purge_expired"
SEND_TEXT = "voicebox.accounts.send_text"
SWEEP_HELPDESK = "voicebox.helpdesk.sweep"
PUSH_HELP_EVENT = "voicebox.helpdesk.push"
PURGE_HELPDESK = "voicebox.helpdesk.purge"
NUDGE_QUIET = "voicebox.watchdog.nudge"
ERASE_CHILDREN = "voicebox.families.erase"
EXPORT_CHILD = "voicebox.families.export"
SWEEP_EXPORTS = "voicebox.families.sweep_exports"
PURGE_MESSAGES = "voicebox.retention.purge_messages"
SWEEP_BLOBS = "voicebox.retention.sweep_blobs"
# A transcode is killed after this long; its lease in the row outlasts it, so the sweeper never
# starts a second copy beside one that is still alive.
TRANSCODE_TIME_LIMIT_SECONDS = 960
# A transcode still waiting in the queue after this long is enqueued again (its message was lost).
TRANSCODE_QUEUE_GRACE = timedelta(minutes=10)
TASK_NAMES = frozenset(
    {
        TRANSCODE,
        SWEEP_MEDIA,
        DISPATCH_DUE,
        NOTIFY,
        PLAN_SCHEDULES,
        PURGE_UPLOADS,
        PURGE_CREDENTIALS,
        SEND_TEXT,
        SWEEP_HELPDESK,
        PUSH_HELP_EVENT,
        PURGE_HELPDESK,
        NUDGE_QUIET,
        ERASE_CHILDREN,
        EXPORT_CHILD,
        SWEEP_EXPORTS,
        PURGE_MESSAGES,
        SWEEP_BLOBS,
    }
)
# A task's message header: the id of the request that sent it (the worker logs with it).
REQUEST_ID_HEADER = "voicebox_request_id"
_PENDING = "voicebox.jobs"
# How many jobs were pending when each open savepoint began.
_SAVEPOINTS = "voicebox.jobs.savepoints"
# Not tasks: the blobs named by rows the transaction deleted, and the blobs written for rows
# it adds (deleted only if those never commit).
_DELETE_BLOBS = "voicebox.jobs.delete_blobs"
_STORED = "voicebox.jobs.stored"


def enqueue(name: str, *args: str) -> None:
    """Send task ``name`` with ``args`` (ids) after the current transaction commits."""
    if name not in TASK_NAMES:
        raise ValueError(f"unknown task {name!r}")
    _pending().append((name, args))


def wake(topic: str) -> None:
    """Publish ``topic`` on the event bus after the current transaction commits (once, however
    many changes in the transaction asked for it: one look at the database answers them all)."""
    pending = _pending()
    if (None, (topic,)) not in pending:
        pending.append((None, (topic,)))


def delete_blobs(keys: Iterable[str]) -> None:
    """Delete these blobs after the current transaction commits the removal of their rows."""
    _pending().append((_DELETE_BLOBS, tuple(keys)))


def stored(key: str) -> None:
    """The blob ``key`` was just written for rows of the current transaction: delete it if
    they never commit (the transaction, or the savepoint it was written in, rolls back)."""
    _pending().append((_STORED, (key,)))


def _pending() -> list[tuple[str | None, tuple[str, ...]]]:
    session = db.session()
    if not session.in_transaction():
        # Begin now, so that a rollback before any query still discards this job.
        session.begin()
    return session.info.setdefault(_PENDING, [])


def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: what it asked for waits for the outer commit
    pending = session.info.pop(_PENDING, [])
    session.info.pop(_SAVEPOINTS, None)
    if not pending:
        return
    celery_app = current_celery()
    topics = [args[0] for name, args in pending if name is None]
    if topics:
        try:
            # Together: a batch of deliveries wakes hundreds of phones in one round trip.
            current_event_bus().publish_many(topics)
        except Exception:  # noqa: BLE001 - streams poll
            log.warning("could not wake %d streams after commit", len(topics), exc_info=True)
    # The task's log lines carry the id of the request that sent it.
    headers = {REQUEST_ID_HEADER: g.request_id} if has_request_context() and "request_id" in g else None
    for name, args in pending:
        if name is None or name == _STORED:
            continue
        if name == _DELETE_BLOBS:
            _delete(args)
            continue
        try:
            celery_app.send_task(name, args=list(args), headers=headers)
        except Exception:  # noqa: BLE001 - the sweepers re-enqueue from the rows
            log.warning("could not send %s%s after commit; it will be retried", name, args, exc_info=True)


def _delete(keys: tuple[str, ...]) -> None:
    store = current_blob_store()
    for key in keys:
        try:
            store.delete(key)
        except Exception:  # noqa: BLE001 - the row is gone; an orphaned blob is only space
            log.warning("could not delete blob %s; it stays, unreferenced", key, exc_info=True)


def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_SAVEPOINTS, {})
        marks[transaction] = len(session.info.get(_PENDING, []))


def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    """Forget what the rolled-back transaction asked for; a savepoint's, only what was asked
    since it began (the outer transaction keeps the rest)."""
    if previous_transaction.parent is None:
        dropped = session.info.pop(_PENDING, [])
        session.info.pop(_SAVEPOINTS, None)
    else:
        mark = session.info.get(_SAVEPOINTS, {}).pop(previous_transaction, None)
        if mark is None:
            return
        pending = session.info.get(_PENDING, [])
        dropped = pending[mark:]
        del pending[mark:]
    written = tuple(key for name, keys in dropped if name == _STORED for key in keys)
    if written:
        _delete(written)


def init_app() -> None:
    """Hook the session class once; every app shares Flask-SQLAlchemy's session class."""
    if not event.contains(db.session, "after_commit", _send_pending):
        event.listen(db.session, "after_commit", _send_pending)
        event.listen(db.session, "after_transaction_create", _mark_savepoint)
        event.listen(db.session, "after_soft_rollback", _drop_pending)
