"""The ``voicebox`` command: Flask's CLI (run, shell, routes), Flask-Migrate's ``db``, and ours."""

import sys

from flask import Flask
from flask.cli import FlaskGroup

from config.settings import Settings, SettingsError
from voicebox import create_app
from voicebox.cli import restore


def _app() -> Flask:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        # A configuration mistake is the operator's to fix: say which, without a traceback.
        sys.exit(f"voicebox: configuration error: {exc}")
    return create_app(settings)


def main() -> None:
    # The app is built only for a command that needs it: a restore runs before there is one,
    # since building the embedded app makes a secret key in the (still empty) data folder.
    group = FlaskGroup(create_app=_app, help=__doc__)
    group.add_command(restore)
    group()


if __name__ == "__main__":
    main()
