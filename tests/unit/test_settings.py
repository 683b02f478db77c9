"""Settings: defaults, casting, the production guard, and the .env file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import DEV_SECRET_KEY, Settings, SettingsError

GOOD_PRODUCTION = {
    "VOICEBOX_PROFILE": "production",
    "VOICEBOX_SECRET_KEY": "k" * 48,
    "VOICEBOX_DATABASE_URL": "postgresql+psycopg://voicebox@db/voicebox",
    "VOICEBOX_REDIS_URL": "redis://redis:6379/0",
    "VOICEBOX_S3_BUCKET": "voicebox",
    "VOICEBOX_S3_ACCESS_KEY": "AKIAEXAMPLEKEY",
    "VOICEBOX_S3_SECRET_KEY": "a-real-secret-value",
    "VOICEBOX_SMS": "http",
    "VOICEBOX_SMS_GATEWAY_URL": "https://sms.example.org/send",
}


def test_embedded_is_the_default_and_needs_nothing(tmp_path: Path) -> None:
    settings = Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path)}, env_file=None)
    assert settings.profile == "embedded"
    assert settings.database_url == f"sqlite:///{tmp_path / 'voicebox.sqlite'}"
    assert settings.broker_url == f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    assert settings.storage_backend == "local"
    assert settings.ratelimit_storage_url == f"voicebox+sqlite://{tmp_path / 'ratelimits.sqlite'}"


def test_production_fills_broker_and_limits_from_redis() -> None:
    settings = Settings.from_env(GOOD_PRODUCTION, env_file=None)
    assert settings.broker_url == settings.ratelimit_storage_url == "redis://redis:6379/0"
    assert settings.storage_backend == "s3"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"VOICEBOX_SECRET_KEY": None}, "VOICEBOX_SECRET_KEY"),
        ({"VOICEBOX_SECRET_KEY": DEV_SECRET_KEY}, "VOICEBOX_SECRET_KEY"),
        ({"VOICEBOX_SECRET_KEY": "short"}, "VOICEBOX_SECRET_KEY"),
        ({"VOICEBOX_S3_SECRET_KEY": "minioadmin"}, "VOICEBOX_S3_SECRET_KEY"),
        ({"VOICEBOX_S3_SECRET_KEY": None}, "VOICEBOX_S3_SECRET_KEY"),
        ({"VOICEBOX_S3_ACCESS_KEY": "minioadmin"}, "VOICEBOX_S3_ACCESS_KEY"),
        ({"VOICEBOX_DATABASE_URL": None}, "VOICEBOX_DATABASE_URL"),
        ({"VOICEBOX_DATABASE_URL": "sqlite:///x.db"}, "VOICEBOX_DATABASE_URL"),
        ({"VOICEBOX_REDIS_URL": None}, "VOICEBOX_REDIS_URL"),
        ({"VOICEBOX_S3_BUCKET": None}, "VOICEBOX_S3_BUCKET"),
    ],
)
def test_production_refuses_missing_or_development_secrets(change: dict, named: str) -> None:
    env = {k: v for k, v in {**GOOD_PRODUCTION, **change}.items() if v is not None}
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env, env_file=None)


def test_quiet_hours_default_to_the_evening_and_can_be_off() -> None:
    assert Settings.from_env({}, env_file=None).quiet_hours == "21:30-07:00"
    assert Settings.from_env({"VOICEBOX_QUIET_HOURS": "OFF"}, env_file=None).quiet_hours == "off"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VOICEBOX_PROFILE", "staging"),
        ("VOICEBOX_MAX_REQUEST_BYTES", "lots"),
        ("VOICEBOX_MAX_REQUEST_BYTES", "-1"),
        ("VOICEBOX_RATELIMIT_ENABLED", "maybe"),
        ("VOICEBOX_STORAGE_BACKEND", "ftp"),
        ("VOICEBOX_NO_SUCH_SETTING", "1"),
        ("VOICEBOX_QUIET_HOURS", "21:30"),
        ("VOICEBOX_QUIET_HOURS", "25:00-07:00"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value}, env_file=None)


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("VOICEBOX_LOG_LEVEL=DEBUG\nVOICEBOX_INVITE_TTL_HOURS=5\n")
    settings = Settings.from_env(
        {"VOICEBOX_DATA_DIR": str(tmp_path), "VOICEBOX_INVITE_TTL_HOURS": "9"}, env_file=env_file
    )
    assert settings.log_level == "DEBUG"
    assert settings.invite_ttl_hours == 9


def test_the_command_refuses_production_without_secrets_and_names_them(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEBOX_")}
    env.update({k: v for k, v in GOOD_PRODUCTION.items() if k != "VOICEBOX_SECRET_KEY"})
    result = subprocess.run(
        [sys.executable, "-m", "voicebox", "routes"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "VOICEBOX_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_embedded_profile_makes_its_own_secret_and_refuses_a_known_one(tmp_path: Path) -> None:
    first = Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path)}, env_file=None).secret_key
    assert Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path)}, env_file=None).secret_key == first
    assert len(first) >= 32 and first != DEV_SECRET_KEY
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600  # its owner's alone
    elsewhere = Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path / "other")}, env_file=None)
    assert elsewhere.secret_key != first
    with pytest.raises(SettingsError, match="VOICEBOX_SECRET_KEY"):
        Settings.from_env(
            {"VOICEBOX_DATA_DIR": str(tmp_path), "VOICEBOX_SECRET_KEY": DEV_SECRET_KEY}, env_file=None
        )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("VOICEBOX_RISK_WORDS_FILE", None),  # no such file
        ("VOICEBOX_RISK_WORDS_FILE", "# only a comment\n"),
        ("VOICEBOX_PROMPTS_FILE", None),
        ("VOICEBOX_PROMPTS_FILE", '{"bands": [{"ages": [3]}]}'),
    ],
)
def test_a_domain_resource_is_checked_once_at_start(tmp_path: Path, name: str, content: str | None) -> None:
    from voicebox import create_app

    resource = tmp_path / "resource"
    if content is not None:
        resource.write_text(content, encoding="utf-8")
    env = {"VOICEBOX_DATA_DIR": str(tmp_path / "data"), name: str(resource)}
    with pytest.raises(SettingsError, match=name):
        create_app(Settings.from_env(env, env_file=None))
