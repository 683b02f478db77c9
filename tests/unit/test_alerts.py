"""The alert rules, their unit tests and the dashboard's queries, checked by Debian's promtool
(`make test` installs it, as it installs ffmpeg)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.monitoring import ALERTS, DEPLOY, dashboard_expressions

PROMTOOL = shutil.which("promtool")


@pytest.fixture(scope="module")
def promtool() -> str:
    if PROMTOOL is None:
        pytest.fail("promtool is missing: `make ops-tools` installs Debian's prometheus, which has it")
    return PROMTOOL


def run(promtool: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([promtool, *args], capture_output=True, text=True, cwd=cwd, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_the_alert_rules_are_valid(promtool: str) -> None:
    assert "SUCCESS: 10 rules found" in run(promtool, "check", "rules", str(ALERTS)).stdout


def test_each_alert_fires_when_it_should_and_not_before(promtool: str) -> None:
    assert "SUCCESS" in run(promtool, "test", "rules", "alerts.test.yml", cwd=ALERTS.parent).stdout


def test_the_scrape_configuration_is_valid(promtool: str, tmp_path: Path) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    # The compose file mounts the rules at /etc/prometheus; here they are beside the copy.
    config["rule_files"] = [str(ALERTS)]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    run(promtool, "check", "config", str(tmp_path / "prometheus.yml"))


def test_every_dashboard_query_is_valid_promql(promtool: str, tmp_path: Path) -> None:
    expressions = dashboard_expressions()
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{n}", "expr": expr} for n, expr in enumerate(expressions)
                ],
            }
        ]
    }
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    assert (
        f"SUCCESS: {len(expressions)} rules found"
        in run(promtool, "check", "rules", str(tmp_path / "dashboard.yml")).stdout
    )
