"""Settings: read once from ``VOICEBOX_*`` environment variables (and an optional ``.env``).

Two profiles share one code path. ``embedded`` (the default) needs no server: SQLite, a local
blob folder and a SQLite-backed Celery broker under ``VOICEBOX_DATA_DIR``. ``production``
needs PostgreSQL, Redis and an S3-compatible store, and refuses to start while a secret is
missing or still at a development value.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

PREFIX = "VOICEBOX_"
PROFILES = ("embedded", "production")
STORAGE_BACKENDS = ("local", "s3")
NOTIFIERS = ("log", "webhook")
SMS_SENDERS = ("log", "http")
# Published with earlier versions as the embedded default: a secret anyone can read.
DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"
# Values that ship in examples and quick starts; no profile runs on them.
KNOWN_DEV_SECRETS = frozenset(
    {"", DEV_SECRET_KEY, "changeme", "change-me", "secret", "dev", "test", "minioadmin", "password"}
)
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe; the message names the variable."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {raw!r}")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"expected zero or more, got {raw!r}")
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def cast(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {raw!r}")
        return value

    return cast


def _quiet_window(raw: str) -> str:
    value = raw.strip().lower()
    if value != "off" and not re.fullmatch(r"(?:[01]\d|2[0-3]):[0-5]\d-(?:[01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"expected HH:MM-HH:MM or off, got {raw!r}")
    return value


def _setting(default: Any = None, cast: Callable[[str], Any] = str) -> Any:
    return dataclasses.field(default=default, metadata={"cast": cast})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every setting voicebox reads; the field ``foo_bar`` is ``VOICEBOX_FOO_BAR``."""

    profile: str = _setting("embedded", _choice(PROFILES))
    # Unset on the embedded profile: it makes its own on first start (see embedded_secret).
    secret_key: str = _setting("")
    data_dir: str = _setting("instance")
    database_url: str | None = _setting()
    broker_url: str | None = _setting()
    # Connections each process keeps open to PostgreSQL (and up to 10 more under load).
    database_pool_size: int = _setting(5, _positive_int)
    # The longest one statement may run (PostgreSQL): a database that stops answering fails a
    # request or a task in seconds rather than holding it. Migrations have none.
    database_statement_timeout_seconds: int = _setting(5, _positive_int)
    redis_url: str | None = _setting()
    ratelimit_storage_url: str | None = _setting()
    storage_backend: str | None = _setting(None, _choice(STORAGE_BACKENDS))
    storage_dir: str | None = _setting()
    s3_endpoint_url: str | None = _setting()
    s3_bucket: str | None = _setting()
    s3_region: str = _setting("us-east-1")
    s3_access_key: str | None = _setting()
    s3_secret_key: str | None = _setting()
    user_token_ttl_days: int = _setting(30, _positive_int)
    device_token_ttl_days: int = _setting(365, _positive_int)
    pairing_code_ttl_seconds: int = _setting(600, _positive_int)
    invite_ttl_hours: int = _setting(72, _positive_int)
    consent_policy_version: str = _setting("2026-11")
    max_request_bytes: int = _setting(1024 * 1024, _positive_int)
    login_rate_limit: str = _setting("10 per minute;100 per hour")
    code_rate_limit: str = _setting("10 per minute;50 per hour")
    register_rate_limit: str = _setting("10 per minute;100 per hour")
    ratelimit_enabled: bool = _setting(True, _bool)
    proxy_hops: int = _setting(0, _non_negative_int)
    worker_concurrency: int = _setting(2, _positive_int)
    max_upload_bytes: int = _setting(50_000_000, _positive_int)
    max_message_seconds: int = _setting(600, _positive_int)
    max_story_seconds: int = _setting(3600, _positive_int)
    media_time_limit_seconds: int = _setting(600, _positive_int)
    media_max_attempts: int = _setting(3, _positive_int)
    upload_ttl_hours: int = _setting(24, _positive_int)
    # Per account (or device): uploads not yet sent nor expired, and the bytes they declare.
    max_open_uploads: int = _setting(5, _positive_int)
    max_upload_bytes_in_flight: int = _setting(150_000_000, _positive_int)
    audio_link_ttl_seconds: int = _setting(900, _positive_int)
    notifier: str = _setting("log", _choice(NOTIFIERS))
    webhook_url: str | None = _setting()
    # Texts with verification codes: the log (embedded) or an HTTP gateway.
    sms: str = _setting("log", _choice(SMS_SENDERS))
    sms_gateway_url: str | None = _setting()
    # A code by SMS before sign-up; unset: on in production, off on the embedded profile.
    phone_verification: bool | None = _setting(None, _bool)
    phone_code_ttl_seconds: int = _setting(600, _positive_int)
    phone_code_rate_limit: str = _setting("3 per 10 minutes;10 per day")
    # The push server (voicebox push): streams held by one process before it answers 503, by
    # one token before 429; a keep-alive this often; a stream ends after this long (the client
    # reconnects where it left off), and looks at its rows this often without a wake-up. A revoked
    # token's streams end on the word the revocation publishes; the token sweep is the safety net.
    push_max_streams: int = _setting(10_000, _positive_int)
    push_streams_per_token: int = _setting(4, _positive_int)
    push_heartbeat_seconds: int = _setting(20, _positive_int)
    push_stream_seconds: int = _setting(900, _positive_int)
    push_poll_seconds: int = _setting(60, _positive_int)
    push_token_sweep_seconds: int = _setting(4, _positive_int)
    # Each process serves /metrics on a listener of its own, never on the API's port; 0 turns one
    # off. Bound to 127.0.0.1 unless told otherwise: the scraper runs beside it.
    metrics_host: str = _setting("127.0.0.1")
    metrics_api_port: int = _setting(9200, _non_negative_int)
    metrics_push_port: int = _setting(9201, _non_negative_int)
    metrics_worker_port: int = _setting(9202, _non_negative_int)
    metrics_beat_port: int = _setting(9203, _non_negative_int)
    help_lease_seconds: int = _setting(600, _positive_int)
    help_reply_lease_seconds: int = _setting(1800, _positive_int)
    help_urgent_alert_seconds: int = _setting(120, _positive_int)
    help_escalate_seconds: int = _setting(1800, _positive_int)
    help_aging_seconds: int = _setting(900, _positive_int)
    volunteer_capacity: int = _setting(3, _positive_int)
    help_audio_retention_days: int = _setting(30, _positive_int)
    # A resolved help request (text, replies, queue events) is deleted this long after it was
    # resolved, and an audit entry this long after it was written.
    help_record_retention_days: int = _setting(2190, _positive_int)
    audit_retention_days: int = _setting(2190, _positive_int)
    # A delivered message (and its recording) is deleted this long after delivery; 0 keeps it
    # until someone deletes it.
    message_retention_days: int = _setting(0, _non_negative_int)
    # A child's export (a zip of everything held about them) can be downloaded this long after
    # it is ready, and is then deleted.
    export_retention_hours: int = _setting(24, _positive_int)
    risk_words_file: str | None = _setting()
    quiet_days: int = _setting(7, _positive_int)
    prompts_file: str | None = _setting()
    # A new child's quiet hours in their own zone; guardians change them per child.
    quiet_hours: str = _setting("21:30-07:00", _quiet_window)
    schedule_lookahead_seconds: int = _setting(600, _positive_int)
    log_level: str = _setting("INFO")
    log_json: bool = _setting(False, _bool)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: str | os.PathLike[str] | None = ".env"
    ) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``), over an optional ``.env`` file.

        The real environment wins over the file, so an operator can always override it.
        """
        return cls.read_env(environ, env_file).resolved()

    @classmethod
    def read_env(
        cls, environ: Mapping[str, str] | None = None, env_file: str | os.PathLike[str] | None = ".env"
    ) -> Settings:
        """The settings as given, before the profile's defaults fill them: nothing is checked
        and nothing is made in the data folder (a restore needs it empty)."""
        merged: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        merged.update(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        known = {PREFIX + field.name.upper() for field in dataclasses.fields(cls)}
        for field in dataclasses.fields(cls):
            name = PREFIX + field.name.upper()
            if name not in merged:
                continue
            try:
                values[field.name] = field.metadata["cast"](merged[name])
            except ValueError as exc:
                raise SettingsError(f"{name}: {exc}") from None
        unknown = sorted(k for k in merged if k.startswith(PREFIX) and k not in known)
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        return cls(**values)

    @classmethod
    def variable_names(cls) -> frozenset[str]:
        return frozenset(PREFIX + field.name.upper() for field in dataclasses.fields(cls))

    def resolved(self) -> Settings:
        """Fill the profile's defaults and check that the result can run."""
        data = Path(self.data_dir).resolve()
        if self.profile == "embedded":
            defaults: dict[str, Any] = {
                "database_url": f"sqlite:///{data / 'voicebox.sqlite'}",
                "broker_url": f"sqla+sqlite:///{data / 'broker.sqlite'}",
                # Counted across the API's processes (voicebox.rate_limits).
                "ratelimit_storage_url": f"voicebox+sqlite://{data / 'ratelimits.sqlite'}",
                "storage_backend": "local",
            }
        else:
            defaults = {
                "broker_url": self.redis_url,
                "ratelimit_storage_url": self.redis_url,
                "storage_backend": "s3",
            }
        defaults["storage_dir"] = str(data / "blobs")
        filled = dataclasses.replace(
            self,
            data_dir=str(data),
            **{k: v for k, v in defaults.items() if getattr(self, k) is None},
        )
        if self.profile == "embedded" and not self.secret_key:
            filled = dataclasses.replace(filled, secret_key=embedded_secret(data))
        if self.phone_verification is None:
            filled = dataclasses.replace(filled, phone_verification=self.profile == "production")
        filled.validate()
        return filled

    def validate(self) -> None:
        if self.secret_key in KNOWN_DEV_SECRETS or len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            raise SettingsError(
                f"VOICEBOX_SECRET_KEY is missing or a development value; set a random value of at "
                f"least {MIN_SECRET_KEY_LENGTH} characters (e.g. python -c "
                f"'import secrets; print(secrets.token_urlsafe(48))')"
                + ("" if self.profile == "production" else ", or leave it unset for one of the data folder's")
            )
        if self.profile == "production":
            self._validate_production()
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise SettingsError("VOICEBOX_S3_BUCKET is required when the storage backend is s3")
        if self.s3_bucket is not None and len(self.s3_bucket) < 3:
            raise SettingsError("VOICEBOX_S3_BUCKET must be at least 3 characters")
        for name in ("risk_words_file", "prompts_file"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise SettingsError(f"VOICEBOX_{name.upper()} {path} is not a readable file")
        if self.notifier == "webhook" and not (self.webhook_url or "").startswith(("http://", "https://")):
            raise SettingsError("VOICEBOX_WEBHOOK_URL must be an http(s) URL when the notifier is webhook")
        if self.sms == "http" and not (self.sms_gateway_url or "").startswith(("http://", "https://")):
            raise SettingsError("VOICEBOX_SMS_GATEWAY_URL must be an http(s) URL when VOICEBOX_SMS is http")
        if self.profile == "production" and self.phone_verification and self.sms != "http":
            raise SettingsError(
                "phone verification sends codes by SMS: set VOICEBOX_SMS=http and VOICEBOX_SMS_GATEWAY_URL "
                "(or VOICEBOX_PHONE_VERIFICATION=off)"
            )

    def _validate_production(self) -> None:
        for name in ("database_url", "redis_url"):
            if not getattr(self, name):
                raise SettingsError(f"VOICEBOX_{name.upper()} is required in the production profile")
        if not self.database_url.startswith(("postgresql", "postgres")):  # type: ignore[union-attr]
            raise SettingsError("VOICEBOX_DATABASE_URL must be a PostgreSQL URL in production")
        if self.storage_backend == "s3":
            for name in ("s3_access_key", "s3_secret_key"):
                if (getattr(self, name) or "") in KNOWN_DEV_SECRETS:
                    raise SettingsError(
                        f"VOICEBOX_{name.upper()} is missing or a development value in production"
                    )


def embedded_secret(data: Path) -> str:
    """The embedded profile's own secret: random, made on first start and kept in the data
    folder, readable by its owner only. Processes starting together agree on one: it is written
    aside and linked into place, which fails for all but the first."""
    path = data / "secret_key"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        draft = data / f".secret_key.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
