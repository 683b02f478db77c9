"""The web app's pages and files as the server hands them out: the language, the policy, the
caching and the compressed copies."""

from __future__ import annotations

import gzip

import pytest
from flask.testing import FlaskClient

from voicebox.pages import STATIC


@pytest.fixture(autouse=True)
def _built() -> None:
    if not (STATIC / "index.html").is_file():
        pytest.fail("The web app is not built: run `make web`.", pytrace=False)


@pytest.mark.parametrize("path", ["/", "/child"])
def test_pages_speak_the_callers_language_under_a_strict_policy(client: FlaskClient, path: str) -> None:
    chinese = client.get(path)
    english = client.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="zh-CN">' in chinese.text and '<html lang="en">' in english.text
    assert "Accept-Language" in english.headers["Vary"]
    policy = english.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "font-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "<script>" not in english.text and english.headers["Cache-Control"] == "no-cache"


def test_assets_are_cached_for_good_and_sent_compressed(client: FlaskClient) -> None:
    name = next(path.name for path in (STATIC / "assets").glob("child-*.js"))
    with (
        client.get(f"/assets/{name}", headers={"Accept-Encoding": "gzip, br"}) as packed,
        client.get(f"/assets/{name}") as plain,
    ):
        assert packed.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
        assert gzip.decompress(packed.data) == plain.data
        assert packed.mimetype == plain.mimetype == "text/javascript"
        assert "immutable" in packed.headers["Cache-Control"]
    assert client.get("/assets/none.js").status_code == 404
    with client.get("/sw.js") as worker:
        assert worker.status_code == 200 and worker.headers["Cache-Control"] == "no-cache"
