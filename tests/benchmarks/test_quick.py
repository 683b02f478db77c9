"""Every benchmark runs at its quick size, so a change that breaks one fails the tests.

A quick run checks that the benchmark still works end to end against the current schema and
code (seeds, servers, workers, its baselines) and prints its BENCH lines; its goals are judged
only by ``make bench`` at full size.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from benchmarks.__main__ import names
from tests.conftest import ROOT, process_env


@pytest.mark.parametrize("name", names())
def test_benchmark_runs_at_its_quick_size(name: str, postgres_url: str, redis_url: str) -> None:
    # The fixtures fail the run, saying how to start it, when PostgreSQL or Redis is down.
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", name],
        cwd=ROOT,
        # The benchmark empties the Redis database it is given: this worker's own.
        env=process_env({"TEST_REDIS_URL": redis_url}),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = result.stdout.split("== summary\n", 1)[1]
    assert summary.startswith("BENCH "), result.stdout[-4000:]
