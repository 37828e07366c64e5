"""Generates the Rasa NLU lookup tables and synonyms of the phases and themes from the
content, so the entity recogniser and the knowledge base never drift apart.

- ``phase``: the phases' labels and aliases, mapped to the phase id;
- ``theme``: the missions' keywords, mapped to the mission id (a keyword shared by two
  missions, or found in another mission's title, is left out: it names no single theme).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List

from bot.kb.content import Content
from bot.text import plain, strip_accents

LOOKUP_PATH = Path(__file__).resolve().parents[2] / "data" / "nlu" / "lookups.yml"
HEADER = "# Généré par « python -m bot.kb export-nlu » depuis knowledge/ : ne pas modifier."


def render_nlu_lookups(content: Content) -> str:
    """YAML training data: lookup tables and synonym blocks for ``phase`` and ``theme``."""
    lines = [HEADER, 'version: "3.1"', "nlu:"]
    for entity, names_by_value in (("phase", _phase_names(content)), ("theme", _theme_names(content))):
        lines += [f"  - lookup: {entity}", "    examples: |"]
        lines += [f"      - {name}" for names in names_by_value.values() for name in names]
        for value, names in names_by_value.items():
            lines += [f"  - synonym: {value}", "    examples: |"]
            lines += [f"      - {name}" for name in names if name != value]
    return "\n".join(lines) + "\n"


def write_nlu_lookups(content: Content, path: Path = LOOKUP_PATH) -> bool:
    """Write the file if its text changed; returns whether it was written."""
    text = render_nlu_lookups(content)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def _phase_names(content: Content) -> Dict[str, List[str]]:
    return {phase.id: _variants((phase.label, *phase.aliases)) for phase in content.phases}


def _theme_names(content: Content) -> Dict[str, List[str]]:
    """Each mission's keywords that name it alone: a keyword of two missions, or one that is in
    another mission's title (« ingénierie », a keyword of the partnerships, is in « Organiser
    le qui fait quoi et l'ingénierie »), names no single theme."""
    owners: Dict[str, set] = defaultdict(set)
    titles = {mission.id: f" {plain(mission.title)} " for mission in content.missions}
    for mission in content.missions:
        for name in _variants(mission.keywords):
            owners[name].add(mission.id)
            owners[name].update(other for other, title in titles.items() if f" {plain(name)} " in title)
    themes: Dict[str, List[str]] = {}
    for mission in content.missions:
        names = [name for name in _variants(mission.keywords) if owners[name] == {mission.id}]
        if names:
            themes[mission.id] = names
    return themes


def _variants(names: Iterable[str]) -> List[str]:
    variants: List[str] = []
    for name in names:
        for variant in (name.lower(), strip_accents(name.lower())):
            if variant not in variants:
                variants.append(variant)
    return variants
