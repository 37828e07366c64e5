"""Generates the Rasa NLU lookup table and synonyms of the phases from the content, so the
entity recogniser and the knowledge base never drift apart."""

from __future__ import annotations

from pathlib import Path

from bot.kb.content import Content
from bot.text import strip_accents

LOOKUP_PATH = Path(__file__).resolve().parents[2] / "data" / "nlu" / "lookups.yml"
HEADER = "# Généré par « python -m bot.kb export-nlu » depuis knowledge/phases.yml : ne pas modifier.\n"


def render_phase_lookups(content: Content) -> str:
    """YAML training data: a ``phase`` lookup table and a synonym block per phase id."""
    lines = [HEADER.rstrip("\n"), 'version: "3.1"', "nlu:", "  - lookup: phase", "    examples: |"]
    names_by_phase = {phase.id: _names(phase) for phase in content.phases}
    for names in names_by_phase.values():
        lines += [f"      - {name}" for name in names]
    for phase_id, names in names_by_phase.items():
        lines += [f"  - synonym: {phase_id}", "    examples: |"]
        lines += [f"      - {name}" for name in names if name != phase_id]
    return "\n".join(lines) + "\n"


def write_phase_lookups(content: Content, path: Path = LOOKUP_PATH) -> bool:
    """Write the file if its text changed; returns whether it was written."""
    text = render_phase_lookups(content)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def _names(phase) -> list:
    names = []
    for name in (phase.label, *phase.aliases):
        for variant in (name.lower(), strip_accents(name.lower())):
            if variant not in names:
                names.append(variant)
    return names
