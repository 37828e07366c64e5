"""Reads and validates the French YAML content files (the source of truth)."""

from __future__ import annotations

import hashlib
import os
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

REPOSITORY_CONTENT_DIR = Path(__file__).resolve().parents[2] / "knowledge"
# The content a deployment serves and the review console edits: knowledge/ unless
# KNOWLEDGE_DIR names another copy (the live tests edit a copy of their own).
DEFAULT_CONTENT_DIR = Path(os.environ.get("KNOWLEDGE_DIR") or REPOSITORY_CONTENT_DIR)

MISSION_TEXT_FIELDS = ("title", "map_label", "summary", "why", "example")
MISSION_LIST_FIELDS = ("how", "pitfalls", "situations", "keywords")
HOW_STEPS = (3, 6)
# What can add missions to a diagnostic's plan (keys of diagnostic.yml), and the placeholders
# a reason may hold.
PLAN_TRIGGERS = ("imposed", "voluntary", "many_partners")
REASON_FIELDS = ("phase", "count")


class ContentError(ValueError):
    """Invalid content; the message names the file and the entry at fault."""

    def __init__(self, path: Path, entry: str, problem: str) -> None:
        self.path = path
        self.entry = entry
        self.problem = problem
        super().__init__(f"{path}: {entry}: {problem}")


@dataclass(frozen=True)
class PhaseContent:
    id: str
    label: str
    heading: str
    description: str
    position: int
    transversal: bool
    aliases: Tuple[str, ...] = ()


@dataclass(frozen=True)
class MissionContent:
    id: str
    phase_id: str
    position: int
    title: str
    map_label: str
    summary: str
    why: str
    example: str
    how: Tuple[str, ...]
    pitfalls: Tuple[str, ...]
    situations: Tuple[str, ...]
    keywords: Tuple[str, ...]
    competences: Tuple[str, ...] = ()
    # Officers' messages that mean this mission: they train the content classifier only
    # (bot.kb.ranker), and are never shown.
    questions: Tuple[str, ...] = ()
    related: Tuple[str, ...] = ()
    next_id: Optional[str] = None
    parent_id: Optional[str] = None
    source: str = ""


@dataclass(frozen=True)
class PlanRuleContent:
    """A mission the diagnostic adds to the plan when ``trigger`` holds, and why."""

    trigger: str
    mission_id: str
    reason: str


@dataclass(frozen=True)
class DiagnosticContent:
    """The rules of the diagnostic's plan (diagnostic.yml)."""

    rules: Tuple[PlanRuleContent, ...]
    many_partners: int
    phase_reason: str


@dataclass(frozen=True)
class Content:
    phases: Tuple[PhaseContent, ...]
    missions: Tuple[MissionContent, ...]
    synonyms: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    digest: str = ""
    diagnostic: Optional[DiagnosticContent] = None


def load_content(content_dir: Path = DEFAULT_CONTENT_DIR) -> Content:
    """Read every content file, validate it as a whole, and return it.

    Raises:
        ContentError: naming the file and the entry, for the first problem found.
    """
    content_dir = Path(content_dir)
    phases_path = content_dir / "phases.yml"
    synonyms_path = content_dir / "synonymes.yml"
    diagnostic_path = content_dir / "diagnostic.yml"
    mission_paths = sorted((content_dir / "missions").glob("*.yml"))
    digest = content_digest(content_dir)

    phases = _read_phases(phases_path)
    phase_ids = {phase.id for phase in phases}
    missions: List[MissionContent] = []
    seen: Dict[str, Path] = {}
    for path in mission_paths:
        for mission in _read_mission_file(path, phase_ids, start=len(missions)):
            if mission.id in seen:
                raise ContentError(path, mission.id, f"identifiant en double (déjà dans {seen[mission.id].name})")
            seen[mission.id] = path
            missions.append(mission)
    if not missions:
        raise ContentError(content_dir / "missions", "missions", "aucune mission trouvée")
    _check_references(missions, content_dir)
    synonyms = _read_synonyms(synonyms_path) if synonyms_path.exists() else {}
    diagnostic = _read_diagnostic(diagnostic_path, {mission.id for mission in missions})
    return Content(tuple(phases), tuple(missions), synonyms, digest, diagnostic)


def content_digest(content_dir: Path = DEFAULT_CONTENT_DIR) -> str:
    """A digest of the content files as they are on disk, without reading them as YAML: it
    changes whenever one of them does (Content.digest; the relevance filter's configuration)."""
    content_dir = Path(content_dir)
    paths = [content_dir / name for name in ("phases.yml", "synonymes.yml", "diagnostic.yml")]
    digest = hashlib.sha256()
    for path in [*paths, *sorted((content_dir / "missions").glob("*.yml"))]:
        if path.exists():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _read_yaml(path: Path):
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise ContentError(path, "fichier", "fichier introuvable") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        entry = f"ligne {where.line + 1}" if where else "syntaxe"
        raise ContentError(path, entry, f"YAML invalide ({getattr(error, 'problem', error)})") from None


def _read_phases(path: Path) -> List[PhaseContent]:
    data = _read_yaml(path)
    if not isinstance(data, list) or not data:
        raise ContentError(path, "phases", "une liste de phases est attendue")
    phases, seen = [], set()
    for position, entry in enumerate(data):
        entry_id = _entry_id(path, entry, position)
        if entry_id in seen:
            raise ContentError(path, entry_id, "identifiant en double")
        seen.add(entry_id)
        phases.append(
            PhaseContent(
                id=entry_id,
                label=_text(path, entry_id, entry, "label"),
                heading=_text(path, entry_id, entry, "heading"),
                description=_text(path, entry_id, entry, "description"),
                position=position,
                transversal=bool(entry.get("transversal", False)),
                aliases=tuple(_text_list(path, entry_id, entry, "aliases")),
            )
        )
    return phases


def _read_mission_file(path: Path, phase_ids: set, start: int) -> List[MissionContent]:
    data = _read_yaml(path)
    if not isinstance(data, dict) or "missions" not in data:
        raise ContentError(path, "fichier", "les clés « phase » et « missions » sont attendues")
    phase_id = data.get("phase")
    if phase_id not in phase_ids:
        raise ContentError(path, "phase", f"phase inconnue : {phase_id!r}")
    if not isinstance(data["missions"], list):
        raise ContentError(path, "missions", "une liste de missions est attendue")
    missions = []
    for offset, entry in enumerate(data["missions"]):
        entry_id = _entry_id(path, entry, offset)
        texts = {name: _text(path, entry_id, entry, name) for name in MISSION_TEXT_FIELDS}
        lists = {name: _text_list(path, entry_id, entry, name) for name in MISSION_LIST_FIELDS}
        low, high = HOW_STEPS
        if not low <= len(lists["how"]) <= high:
            raise ContentError(path, entry_id, f"« how » doit compter de {low} à {high} étapes")
        missions.append(
            MissionContent(
                id=entry_id,
                phase_id=phase_id,
                position=start + offset,
                how=tuple(lists["how"]),
                pitfalls=tuple(lists["pitfalls"]),
                situations=tuple(lists["situations"]),
                keywords=tuple(lists["keywords"]),
                competences=tuple(_text_list(path, entry_id, entry, "competences", required=False)),
                questions=tuple(_text_list(path, entry_id, entry, "questions", required=False)),
                related=tuple(_text_list(path, entry_id, entry, "related", required=False)),
                next_id=_optional_text(path, entry_id, entry, "next"),
                parent_id=_optional_text(path, entry_id, entry, "parent"),
                source=path.name,
                **texts,
            )
        )
    return missions


def _check_references(missions: List[MissionContent], content_dir: Path) -> None:
    by_id = {mission.id: mission for mission in missions}
    for mission in missions:
        path = content_dir / "missions" / mission.source
        references = [("related", ref) for ref in mission.related]
        references += [(name, getattr(mission, attr)) for name, attr in (("next", "next_id"), ("parent", "parent_id"))]
        for name, ref in references:
            if ref is None:
                continue
            if ref not in by_id:
                raise ContentError(path, mission.id, f"« {name} » renvoie à une mission inconnue : {ref!r}")
            if ref == mission.id:
                raise ContentError(path, mission.id, f"« {name} » renvoie à la mission elle-même")
        if mission.parent_id and by_id[mission.parent_id].phase_id != mission.phase_id:
            raise ContentError(path, mission.id, "« parent » doit être une mission de la même phase")


def _read_synonyms(path: Path) -> Dict[str, Tuple[str, ...]]:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(path, "synonymes", "un dictionnaire « expression: sens » est attendu")
    synonyms = {}
    for term, meaning in data.items():
        values = meaning if isinstance(meaning, list) else [meaning]
        if not isinstance(term, str) or not term.strip() or not all(isinstance(v, str) and v.strip() for v in values):
            raise ContentError(path, str(term), "expression et sens doivent être des textes non vides")
        synonyms[term.strip()] = tuple(value.strip() for value in values)
    return synonyms


def _read_diagnostic(path: Path, mission_ids: set) -> DiagnosticContent:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(path, "fichier", "un dictionnaire de règles est attendu")
    expected = (*PLAN_TRIGGERS, "phase_reason")
    for key in data:
        if key not in expected:
            raise ContentError(path, str(key), f"clé inconnue (clés attendues : {', '.join(expected)})")
    many = data.get("many_partners")
    if not isinstance(many, dict):
        raise ContentError(path, "many_partners", "les clés « threshold » et « missions » sont attendues")
    threshold = many.get("threshold")
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 2:
        raise ContentError(path, "many_partners", "« threshold » doit être un nombre entier de partenaires (2 ou plus)")
    lists = {"imposed": data.get("imposed"), "voluntary": data.get("voluntary"), "many_partners": many.get("missions")}
    rules = []
    for trigger, items in lists.items():
        if not isinstance(items, list):
            raise ContentError(path, trigger, "une liste de missions (« mission », « reason ») est attendue")
        for position, item in enumerate(items):
            entry = f"{trigger}, entrée n° {position + 1}"
            if not isinstance(item, dict):
                raise ContentError(path, entry, "un dictionnaire est attendu")
            mission_id = _text(path, entry, item, "mission")
            if mission_id not in mission_ids:
                raise ContentError(
                    path, trigger, f"mission inconnue : {mission_id!r} (renommée ? corrigez l'identifiant ici)"
                )
            rules.append(PlanRuleContent(trigger, mission_id, _reason(path, f"{trigger}, {mission_id}", item)))
    return DiagnosticContent(tuple(rules), threshold, _reason(path, "phase_reason", data, "phase_reason"))


def _reason(path: Path, entry: str, data: dict, name: str = "reason") -> str:
    """A reason's text, whose only placeholders are those of REASON_FIELDS."""
    text = _text(path, entry, data, name)
    try:
        placeholders = {parsed[1] for parsed in string.Formatter().parse(text) if parsed[1] is not None}
    except ValueError:  # a lone brace
        placeholders = {"{"}
    if not placeholders <= set(REASON_FIELDS):
        allowed = ", ".join(f"{{{placeholder}}}" for placeholder in REASON_FIELDS)
        raise ContentError(path, entry, f"« {name} » : accolades inattendues (seuls {allowed} sont remplacés)")
    return text


def _entry_id(path: Path, entry, position: int) -> str:
    if not isinstance(entry, dict):
        raise ContentError(path, f"entrée n° {position + 1}", "un dictionnaire est attendu")
    entry_id = entry.get("id")
    if not isinstance(entry_id, str) or not entry_id.strip():
        raise ContentError(path, f"entrée n° {position + 1}", "champ « id » manquant")
    return entry_id.strip()


def _text(path: Path, entry_id: str, entry: dict, name: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(path, entry_id, f"champ « {name} » manquant ou vide")
    return " ".join(value.split())


def _optional_text(path: Path, entry_id: str, entry: dict, name: str) -> Optional[str]:
    return _text(path, entry_id, entry, name) if entry.get(name) is not None else None


def _text_list(path: Path, entry_id: str, entry: dict, name: str, required: bool = True) -> List[str]:
    value = entry.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not value:
        raise ContentError(path, entry_id, f"champ « {name} » : une liste non vide est attendue")
    if not all(isinstance(item, str) and item.strip() for item in value):
        raise ContentError(path, entry_id, f"champ « {name} » : chaque élément doit être un texte non vide")
    return [" ".join(item.split()) for item in value]
