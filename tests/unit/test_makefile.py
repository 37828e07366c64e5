"""The Makefile rebuilds what depends on the knowledge content when any of it changes."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import REPO_ROOT


def regenerates_lookups_after(changed: str) -> bool:
    """Whether make would regenerate data/nlu/lookups.yml if ``changed`` had just been edited."""
    dry_run = subprocess.run(
        ["make", "--dry-run", "--what-if", changed, "data/nlu/lookups.yml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return "bot.kb export-nlu" in dry_run.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make absent de cette machine")
@pytest.mark.parametrize(
    "changed", ["knowledge/phases.yml", "knowledge/missions/emergence.yml", "knowledge/synonymes.yml"]
)
def test_lookup_tables_are_regenerated_when_any_knowledge_file_changes(changed):
    """Theme look-ups come from mission keywords: a mission edit must regenerate them."""
    assert not regenerates_lookups_after("README.md"), "la table est déjà périmée : lancez « make model »"
    assert regenerates_lookups_after(changed)
