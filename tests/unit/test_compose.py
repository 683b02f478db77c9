"""docker-compose.yml cannot be started here, so its structure is checked instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ONE_SHOT = {"migrate", "minio-init"}
# ${NAME:?message} and ${NAME:-default}, as docker compose interpolates them.
INTERPOLATION = re.compile(r"\$\{([A-Z_]+)(?::[?-]([^}]*))?\}")
OPERATOR_VALUES = {
    "VOICEBOX_SECRET_KEY": "x" * 48,
    "POSTGRES_PASSWORD": "a-strong-password",
    "MINIO_ROOT_USER": "voicebox-admin",
    "MINIO_ROOT_PASSWORD": "another-strong-password",
    "VOICEBOX_SMS_GATEWAY_URL": "https://sms.example.org/send",
    "GRAFANA_ADMIN_PASSWORD": "a-third-strong-password",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def documented_services() -> list[str]:
    line = next(
        line
        for line in (ROOT / "docs" / "deploying.md").read_text().splitlines()
        if line.startswith("Services:")
    )
    return re.findall(r"`([a-z0-9-]+)`", line)


def test_every_service_the_deploying_page_names_exists(compose: dict) -> None:
    named = documented_services()
    assert {"api", "worker", "beat", "postgres", "redis", "minio"} <= set(named)
    assert set(named) == set(compose["services"])


def test_long_running_services_have_health_checks_and_restart(compose: dict) -> None:
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            assert service["restart"] == "no"
            continue
        assert "healthcheck" in service, name
        assert service["restart"] == "unless-stopped", name


def test_state_lives_in_named_volumes(compose: dict) -> None:
    declared = set(compose["volumes"])
    for name in ("postgres", "redis", "minio", "beat"):
        mounts = compose["services"][name]["volumes"]
        assert all(mount.split(":")[0] in declared for mount in mounts), name
    # Prometheus and Grafana read their configuration from deploy/ and keep their data in a volume.
    for name in ("prometheus", "grafana"):
        sources = [mount.split(":")[0] for mount in compose["services"][name]["volumes"]]
        assert f"{name}-data" in sources and all(s in declared or s.startswith("./deploy/") for s in sources)
        assert all((ROOT / s).exists() for s in sources if s.startswith("./deploy/")), name


def test_beat_is_healthy_by_its_heartbeat_not_a_file(compose: dict) -> None:
    assert compose["services"]["beat"]["healthcheck"]["test"][:4] == [
        "CMD",
        "python",
        "-m",
        "config.heartbeat",
    ]


def test_the_processes_that_fork_count_in_a_folder_of_their_own(compose: dict) -> None:
    for name in ("api", "worker"):
        service = compose["services"][name]
        assert service["environment"]["PROMETHEUS_MULTIPROC_DIR"] in service["tmpfs"], name


def test_voicebox_variables_are_known_settings(compose: dict) -> None:
    known = Settings.variable_names()
    for name, service in compose["services"].items():
        for variable in service.get("environment") or {}:
            if variable.startswith("VOICEBOX_"):
                assert variable in known, f"{name} sets unknown {variable}"


def test_compose_environment_makes_valid_production_settings(compose: dict) -> None:
    def interpolate(value: str) -> str:
        return INTERPOLATION.sub(lambda m: OPERATOR_VALUES.get(m.group(1), m.group(2) or ""), value)

    env = {k: interpolate(str(v)) for k, v in compose["services"]["api"]["environment"].items()}
    settings = Settings.from_env(env, env_file=None)
    assert settings.profile == "production"
    assert settings.storage_backend == "s3" and settings.s3_endpoint_url == "http://minio:9000"


def test_secrets_are_required_not_defaulted() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in OPERATOR_VALUES:
        uses = re.findall(r"\$\{" + secret + r"(:[?-])", text)
        assert uses and set(uses) == {":?"}, secret
