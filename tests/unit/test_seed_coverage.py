"""Every label of the mind map is in the content, under the right phase and mission."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Tuple

import pytest

from bot.text import fold
from tests.conftest import REPO_ROOT

SEED = REPO_ROOT / "docs" / "carte-cooperation.md"
SHARED_SEED = REPO_ROOT.parent / "shared" / "seed" / "carte-cooperation.md"


def parse_map(path: Path) -> List[Tuple[str, str, List[str]]]:
    """(section heading, top-level label, sub-labels) for every top-level bullet."""
    entries, heading = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading = re.sub(r"^\d+\.\s*", "", line[3:]).strip()
        elif heading and line.startswith("- "):
            entries.append((heading, line[2:].strip(), []))
        elif heading and re.match(r"^\s+- ", line):
            entries[-1][2].append(line.strip()[2:].strip())
    return entries


def find_phase(content, heading: str):
    folded = fold(heading)
    matches = [phase for phase in content.phases if fold(phase.heading) in folded or folded in fold(phase.heading)]
    return matches[0] if len(matches) == 1 else None


def missing_labels(content, seed: Path) -> List[str]:
    missing = []
    for heading, label, sub_labels in parse_map(seed):
        phase = find_phase(content, heading)
        if phase is None:
            missing.append(f"phase « {heading} »")
            continue
        if label.startswith("("):
            if fold(label) not in fold(phase.description):
                missing.append(f"{heading} / {label}")
            continue
        missions = [m for m in content.missions if m.phase_id == phase.id and fold(m.map_label) == fold(label)]
        if not missions:
            missing.append(f"{heading} / {label}")
            continue
        competences = {fold(competence) for competence in missions[0].competences}
        missing += [f"{heading} / {label} / {sub}" for sub in sub_labels if fold(sub) not in competences]
    return missing


def test_seed_copy_matches_shared_seed():
    if not SHARED_SEED.exists():
        pytest.skip("../shared/seed absent : la copie docs/carte-cooperation.md fait foi")
    assert SEED.read_text(encoding="utf-8") == SHARED_SEED.read_text(encoding="utf-8")


def test_map_parser_reads_every_section_and_label():
    entries = parse_map(SEED)
    headings = {heading for heading, _, _ in entries}
    assert len(headings) == 5
    assert sum(1 + len(subs) for _, _, subs in entries) >= 80


def test_every_map_label_is_in_the_content(content):
    missing = missing_labels(content, SEED)
    assert not missing, "Libellés de la carte absents du contenu :\n" + "\n".join(missing)


def test_coverage_check_names_a_label_removed_from_the_content(content, tmp_path):
    seed = tmp_path / "carte.md"
    seed.write_text(SEED.read_text(encoding="utf-8") + "- une mission qui n'existe pas\n", encoding="utf-8")
    assert missing_labels(content, seed) == ["Pérenniser / une mission qui n'existe pas"]


def test_labels_compare_without_accents_or_case():
    assert fold("Développer et entretenir la confiance Élu / Technicien") == fold(
        "developper ET entretenir la confiance elu technicien"
    )
