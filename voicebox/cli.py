"""Command-line tasks, added to the ``voicebox`` command (a Flask CLI group)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import flask_migrate
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from config import metrics
from config.settings import Settings
from voicebox.celery_app import QUEUES
from voicebox.errors import DomainError
from voicebox.extensions import current_settings
from voicebox.models import Role
from voicebox.services import backups, blob_inventory
from voicebox.services.accounts import users

STOP_GRACE_SECONDS = 10


def _staff_command(role: Role, default_name: str) -> click.Command:
    @click.command(f"create-{role}", help=f"Create a {role} account.")
    @click.option("--phone", required=True, help="E.164, or a Chinese mobile number without +86.")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--display-name", default=default_name, show_default=True)
    @with_appcontext
    def command(phone: str, password: str, display_name: str) -> None:
        try:
            user = users.create_staff(phone, password, display_name, role)
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
        click.echo(f"{role} {user.id} created")

    return command


create_admin = _staff_command(Role.ADMIN, "Admin")
create_supervisor = _staff_command(Role.SUPERVISOR, "Supervisor")


def worker_command(concurrency: int, log_level: str) -> list[str]:
    """The Celery worker `voicebox up` starts: one process pool consuming every queue."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "workers.main",
        "worker",
        "--queues",
        ",".join(QUEUES),
        "--concurrency",
        str(concurrency),
        "--loglevel",
        log_level,
    ]


def beat_command(log_level: str) -> list[str]:
    """Celery beat, the one process that sends the periodic ticks."""
    return [sys.executable, "-m", "celery", "-A", "workers.main", "beat", "--loglevel", log_level]


@click.command("up")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@with_appcontext
def up(host: str, port: int) -> None:
    """Run the API, the push server, a Celery worker and beat together; Ctrl-C stops them all."""
    settings = current_app.config["VOICEBOX_SETTINGS"]
    python = sys.executable
    # The push server holds the port: it serves the live streams and passes every other
    # request to the API on a socket of its own, adding one hop the API trusts.
    api_socket = f"unix:{Path(settings.data_dir) / 'api.sock'}"
    commands = {
        "api": [
            python,
            "-m",
            "gunicorn",
            "-c",
            "python:config.gunicorn",
            "--workers",
            "2",
            "--bind",
            api_socket,
            "voicebox:create_app()",
        ],
        "push": [
            python,
            "-m",
            "voicebox",
            "push",
            "--host",
            host,
            "--port",
            str(port),
            "--upstream",
            api_socket,
        ],
        "worker": worker_command(settings.worker_concurrency, settings.log_level),
        "beat": beat_command(settings.log_level),
    }
    # The API's and the worker's processes count in a folder each (wiped as each starts).
    counted = {
        name: {**os.environ, metrics.MULTIPROCESS_DIR: str(Path(settings.data_dir) / "metrics" / name)}
        for name in ("api", "worker")
    }
    counted["api"]["VOICEBOX_PROXY_HOPS"] = str(settings.proxy_hops + 1)
    processes = {name: subprocess.Popen(argv, env=counted.get(name)) for name, argv in commands.items()}
    click.echo(f"voicebox is up on http://{host}:{port}/api/v1/health (Ctrl-C stops it)")
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                click.echo(f"{name} exited with {process.returncode}; stopping the others", err=True)
                exit_code = 1
                stopping = True
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
    sys.exit(exit_code)


@click.command("push")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True)
@click.option(
    "--upstream", help="pass every other request on to the API there: unix:/path or http://host:port"
)
@with_appcontext
def push(host: str, port: int, upstream: str | None) -> None:
    """Serve the live streams from one asyncio process (run one per core)."""
    # Imported here: every app and worker registers this command, and only this process needs
    # the server and aiohttp.
    from aiohttp import web

    from voicebox.push import server

    limit = server.raise_open_file_limit()
    settings = current_app.config["VOICEBOX_SETTINGS"]
    app = server.create_push_app(current_app._get_current_object(), upstream)  # type: ignore[attr-defined]
    server.count_streams(app)
    metrics.serve("push", settings.metrics_host, settings.metrics_push_port)
    click.echo(
        f"push server on http://{host}:{port}: up to {settings.push_max_streams} streams, {limit} open files"
    )
    web.run_app(app, host=host, port=port, print=None, access_log=None, shutdown_timeout=5)


@click.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@with_appcontext
def backup(archive: Path) -> None:
    """Write a backup of the running embedded service to ARCHIVE (a new file, mode 0600)."""
    try:
        manifest = backups.take(current_settings(), archive)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up revision {manifest.revision} and {manifest.blobs} blobs to {archive}")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def restore(info: ScriptInfo, archive: Path) -> None:
    """Restore ARCHIVE into the empty data folder, upgrade its schema, and name the blobs its
    rows need that it lacks."""
    try:
        # Read, not resolved: resolving the embedded profile makes a secret key in the folder.
        manifest = backups.unpack(archive, Settings.read_env())
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    with info.load_app().app_context():
        flask_migrate.upgrade()
        missing = blob_inventory.missing()
    click.echo(f"restored the backup taken at {manifest.taken_at} (revision {manifest.revision}, upgraded)")
    if missing:
        click.echo(f"{len(missing)} blob(s) the rows name are not in the archive:", err=True)
        for key in missing:
            click.echo(f"  {key}", err=True)


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(create_supervisor)
    app.cli.add_command(up)
    app.cli.add_command(push)
    app.cli.add_command(backup)
