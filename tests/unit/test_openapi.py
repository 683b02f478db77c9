"""The HTTP contract does not change by accident: clients are written against it.

``tests/openapi.json`` is the OpenAPI document as it was last agreed. A change to the code that
changes the document fails here; an addition that is meant (API.md allows adding, never
renaming) is agreed by writing the document again:
``flask --app voicebox openapi write --format json tests/openapi.json``.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from config.settings import Settings
from voicebox import create_app

AGREED = Path(__file__).resolve().parents[1] / "openapi.json"


def test_the_openapi_document_is_the_agreed_one(tmp_path: Path) -> None:
    app = create_app(Settings.from_env({"VOICEBOX_DATA_DIR": str(tmp_path)}, env_file=None))
    served = app.test_client().get("/api/v1/openapi.json").json
    agreed = json.loads(AGREED.read_text(encoding="utf-8"))
    if served != agreed:
        diff = difflib.unified_diff(
            json.dumps(agreed, indent=2, sort_keys=True).splitlines(),
            json.dumps(served, indent=2, sort_keys=True).splitlines(),
            "agreed",
            "served",
            lineterm="",
            n=2,
        )
        raise AssertionError("The OpenAPI document changed:\n" + "\n".join(list(diff)[:80]))
