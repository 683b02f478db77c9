"""Beat's healthcheck reads its heartbeat from its metrics listener: fresh is healthy; stale,
missing or no listener at all is not."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Gauge, start_http_server

from config import heartbeat
from tests.conftest import free_port


def test_the_healthcheck_passes_on_a_fresh_heartbeat_only() -> None:
    registry = CollectorRegistry()
    beats = Gauge(heartbeat.HEARTBEAT, "when", ["job"], registry=registry)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        assert heartbeat.main(["beat", str(port)]) == 1  # none yet
        beats.labels("beat").set(time.time())
        assert heartbeat.main(["beat", str(port)]) == 0
        beats.labels("beat").set(time.time() - 45)
        assert heartbeat.main(["beat", str(port)]) == 1
        assert heartbeat.main(["beat", str(port), "60"]) == 0
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert heartbeat.main(["beat", str(port)]) == 1  # nobody listening
