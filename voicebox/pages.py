"""The family app's pages and files, as the web app's build left them in ``static/``.

Each page is served with the language the caller's ``Accept-Language`` prefers written into its
``<html lang>`` (the app reads it there: a script cannot see the header) and with a strict
Content-Security-Policy. Hashed assets are cached for a year; pages and the service worker are
revalidated on every visit, so a new build reaches every phone at its next load.
"""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, request, send_from_directory

from voicebox.extensions import current_settings

STATIC = Path(__file__).parent / "static"
LANGUAGES = ("zh-CN", "en")
PAGES = {"/": "index.html", "/child": "child.html"}
# What the app may load: itself, and the storage's own host for the audio it links to.
_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:{storage}; connect-src 'self'{storage}; worker-src 'self'; "
    "font-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "manifest-src 'self'"
)

bp = Blueprint("pages", __name__)


def _page(name: str) -> str:
    path = STATIC / name
    if not path.is_file():
        abort(503, description="The web app is not built: run `make web` (Node.js 20 and npm).")
    # Read again only after a new build: its page names new files, the old ones are gone.
    return _read(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _read(path: Path, built: int) -> str:
    return path.read_text(encoding="utf-8")


def content_security_policy() -> str:
    endpoint = current_settings().s3_endpoint_url
    storage = "" if not endpoint else " {0.scheme}://{0.netloc}".format(urlsplit(endpoint))
    return _POLICY.format(storage=storage)


def _secured(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _serve_page(name: str) -> Response:
    language = request.accept_languages.best_match(LANGUAGES, default=LANGUAGES[0])
    html = _page(name).replace('<html lang="zh-CN">', f'<html lang="{language}">', 1)
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Language")
    return _secured(response)


@bp.get("/")
def parent_page() -> Response:
    return _serve_page(PAGES["/"])


@bp.get("/child")
def child_page() -> Response:
    return _serve_page(PAGES["/child"])


@bp.get("/assets/<path:name>")
def asset(name: str) -> Response:
    """A hashed file of the build, as its gzip copy where the browser takes one."""
    assets = STATIC / "assets"
    packed = "gzip" in request.accept_encodings and (assets / f"{name}.gz").is_file()
    response = send_from_directory(assets, f"{name}.gz" if packed else name, max_age=365 * 24 * 3600)
    if packed:
        response.headers["Content-Encoding"] = "gzip"
        response.mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response.headers["Cache-Control"] += ", immutable"
    response.vary.add("Accept-Encoding")
    return _secured(response)


@bp.get("/<any(sw.js, manifest.webmanifest, icon.svg):name>")
def root_file(name: str) -> Response:
    """The service worker (whose scope is where it is served from), the manifest and the icon."""
    response = send_from_directory(STATIC, name, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return _secured(response)


def register_pages(app: Flask) -> None:
    app.register_blueprint(bp)
