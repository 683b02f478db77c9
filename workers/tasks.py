"""Every task module; importing this one registers all of voicebox's tasks with Celery."""

from workers import (  # noqa: F401 - imported for the tasks they register
    accounts,
    delivery,
    families,
    helpdesk,
    media,
    retention,
    uploads,
    watchdog,
)
