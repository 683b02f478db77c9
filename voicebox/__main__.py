"""The ``voicebox`` command: Flask's CLI (run, shell, routes), Flask-Migrate's ``db``, and ours."""

import sys

from flask.cli import FlaskGroup

from config.settings import Settings, SettingsError
from voicebox import create_app


def main() -> None:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        # A configuration mistake is the operator's to fix: say which, without a traceback.
        sys.exit(f"voicebox: configuration error: {exc}")
    FlaskGroup(create_app=lambda: create_app(settings), help=__doc__)()


if __name__ == "__main__":
    main()
