"""``python -m config.heartbeat JOB PORT [MAX_AGE]``: exit 0 when the metrics listener on this
machine's PORT shows JOB's heartbeat younger than MAX_AGE seconds (30). Beat's healthcheck in
the compose file: beat sends a tick every 2 s, and says when it last did."""

from __future__ import annotations

import sys
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

HEARTBEAT = "voicebox_heartbeat_timestamp_seconds"


def age(job: str, port: int) -> float:
    """Seconds since JOB's heartbeat, as the listener on ``port`` shows it; inf when it shows none."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as response:
        text = response.read().decode()
    beats = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == HEARTBEAT and sample.labels.get("job") == job
    ]
    return time.time() - max(beats) if beats else float("inf")


def main(argv: list[str]) -> int:
    job, port, *rest = argv
    limit = float(rest[0]) if rest else 30.0
    try:
        seconds = age(job, int(port))
    except OSError as exc:
        print(f"no metrics on port {port}: {exc}", file=sys.stderr)
        return 1
    if seconds > limit:
        print(f"{job}'s heartbeat is {seconds:.0f} s old (more than {limit:.0f})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
