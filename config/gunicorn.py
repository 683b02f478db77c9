"""gunicorn settings; each can be overridden on the command line or with GUNICORN_CMD_ARGS."""

import multiprocessing
import os

bind = "127.0.0.1:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8)))
worker_class = "gthread"
threads = 4
# Slow phones on 2G upload for a long time; the load balancer in front owns the hard limit.
timeout = 120
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
