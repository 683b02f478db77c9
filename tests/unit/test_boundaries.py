"""`make lint` holds the house's boundaries: a forbidden import in a scratch copy fails it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT

WEB_MODULES = Path("voicebox/web/node_modules")


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """The project's code and lint settings in a folder of their own, sharing the installed
    tools (the virtual environment and the web app's packages) by links."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    for name in ("voicebox", "workers", "config"):
        shutil.copytree(
            ROOT / name,
            tmp_path / name,
            ignore=shutil.ignore_patterns("node_modules", "static", "__pycache__"),
        )
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / WEB_MODULES).symlink_to(ROOT / WEB_MODULES)
    return tmp_path


def make_lint(folder: Path) -> subprocess.CompletedProcess[str]:
    # The installed tools are taken as they are: nothing is installed again from the copy.
    checksum = subprocess.run(
        ["cksum", "pyproject.toml"], cwd=folder, capture_output=True, text=True, check=True
    ).stdout.split()[0]
    installed = [f".venv/.test-{checksum}", str(WEB_MODULES / ".package-lock.json")]
    argv = ["make", "--no-print-directory", *(f"--old-file={path}" for path in installed), "lint"]
    return subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    ("module", "imported", "contract"),
    [
        # A lower domain importing an upper one: messaging is used by families, never the reverse.
        ("voicebox/services/messaging/scratch.py", "voicebox.services.families.watchdog", "Domains"),
        # A model importing a service: data flows from the services down, never up.
        ("voicebox/models/scratch.py", "voicebox.services.policy", "Data flows one way"),
    ],
)
def test_a_forbidden_import_fails_make_lint(scratch: Path, module: str, imported: str, contract: str) -> None:
    package, name = imported.rsplit(".", 1)
    (scratch / module).write_text(
        f'"""A forbidden import."""\n\nfrom {package} import {name}\n\n__all__ = ["{name}"]\n'
    )
    result = make_lint(scratch)
    assert result.returncode != 0, result.stdout
    assert f"{contract}" in result.stdout
    assert "BROKEN" in result.stdout


def test_the_copy_itself_passes_the_boundaries(scratch: Path) -> None:
    # The failures above are the added import's, not the copy's.
    result = subprocess.run(
        [str(scratch / ".venv/bin/lint-imports")], cwd=scratch, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout
