"""Command-line tasks, added to the ``voicebox`` command (a Flask CLI group)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from voicebox.celery_app import QUEUES
from voicebox.errors import DomainError
from voicebox.models import Role
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
    """Run the API, a Celery worker and beat together; Ctrl-C stops all three."""
    settings = current_app.config["VOICEBOX_SETTINGS"]
    python = sys.executable
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
            f"{host}:{port}",
            "voicebox:create_app()",
        ],
        "worker": worker_command(settings.worker_concurrency, settings.log_level),
        "beat": beat_command(settings.log_level),
    }
    processes = {name: subprocess.Popen(argv) for name, argv in commands.items()}
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


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(create_supervisor)
    app.cli.add_command(up)
