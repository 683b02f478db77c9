"""The Prometheus rules and the Grafana dashboard in deploy/, as the tests read them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "voicebox.json"
_SERIES = re.compile(r"\bvoicebox_[a-z_]+\b")


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def alert_expressions() -> list[str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def series_named(expressions: list[str]) -> set[str]:
    """The voicebox series the expressions read."""
    return {name for expr in expressions for name in _SERIES.findall(expr)}
