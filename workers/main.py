"""Entry module for ``celery -A workers.main worker|beat``: one Flask app per process.

This is the one place outside tests that builds an app at import time, because Celery's
command line needs an app object to exist when it imports this module.
"""

from celery.signals import worker_process_init

from voicebox import create_app
from voicebox.extensions import db
from workers import (
    metrics,
    tasks,  # noqa: F401 - registers the tasks
)

flask_app = create_app()
celery = flask_app.extensions["celery"]
metrics.init(flask_app)


@worker_process_init.connect
def _fresh_connections(**_: object) -> None:
    """Forked children must not share the parent's database connections."""
    with flask_app.app_context():
        db.engine.dispose(close=False)
