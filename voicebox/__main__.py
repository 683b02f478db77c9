"""The ``voicebox`` command: Flask's CLI (run, shell, routes), Flask-Migrate's ``db``, and ours."""

from flask.cli import FlaskGroup

from voicebox import create_app


def main() -> None:
    FlaskGroup(create_app=create_app, help=__doc__)()


if __name__ == "__main__":
    main()
