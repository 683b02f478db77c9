"""Logging: one line per record, each carrying the request id of the request it belongs to (in
a worker, the request that sent the task)."""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from typing import Any

from flask import g, has_request_context

# While a task runs: the id of the request that sent it ("-" for one beat sent).
TASK_REQUEST_ID: ContextVar[str] = ContextVar("task_request_id", default="-")


class RequestIdFilter(logging.Filter):
    """Fill ``request_id`` from the Flask request context, or the running task's, or "-"."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else TASK_REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, as_json: bool) -> None:
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {
                "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
                "json": {"()": JsonFormatter},
            },
            "handlers": {
                "console": {
                    "class": "logging.StreamHandler",
                    "filters": ["request_id"],
                    "formatter": "json" if as_json else "text",
                }
            },
            "root": {"level": level.upper(), "handlers": ["console"]},
        }
    )
