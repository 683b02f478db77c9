"""What the API, the worker and beat count for Prometheus (``config.metrics`` serves them).

Labels are bounded: a route is its template (``/api/v1/messages/<id:message_id>``), never a path.
The push server's gauges are its own (``voicebox.push.server``).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from config import metrics as listener

# In multiprocess mode a metric without labels opens its file when defined, below.
listener.multiprocess_dir()

REQUESTS = Counter(
    "voicebox_http_requests",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "voicebox_http_request_duration_seconds",
    "Time to answer an HTTP request (a stream's headers, not its life)",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TRANSCODE_SECONDS = Histogram(
    "voicebox_transcode_duration_seconds",
    "Time to fetch, decode, render and store one recording",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900),
)
TRANSCODES = Counter("voicebox_transcodes", "Transcodes finished, by outcome", ["outcome"])
# What ``processing.transcode`` returns, and a retried outage of the store.
TRANSCODE_OUTCOMES = ("ready", "failed", "skipped", "abandoned", "storage_unavailable")
TRANSCODE_FAILURES = Counter("voicebox_transcode_failures", "Recordings refused, by reason", ["reason"])
TASKS = Counter("voicebox_tasks", "Celery tasks run, by task and outcome", ["task", "outcome"])
TASK_RETRIES = Counter("voicebox_task_retries", "Celery task retries asked for, by task", ["task"])
HEARTBEATS = Gauge(
    "voicebox_heartbeat_timestamp_seconds",
    "When each periodic job last finished (beat: when it last sent a tick), Unix time",
    ["job"],
    multiprocess_mode="max",
)
